import type { PhotoStatus } from '@facecloud/contract';
import type { Queryable } from './database';

export type { PhotoStatus };

export interface Photo {
  id: string;
  ownerId: string;
  sha256: string;
  byteSize: number;
  contentType: string;
  originalName: string | null;
  status: PhotoStatus;
  failureReason: string | null;
  width: number | null;
  height: number | null;
  faceCount: number | null;
  uploadedAt: Date;
  processedAt: Date | null;
  /** Pipeline that produced the faces (set when done). */
  pipelineVersion: string | null;
  /** How many times processing committed: 1 after a clean run, whatever the redeliveries. */
  processCount: number;
  processedBy: string | null;
}

export interface NewPhoto {
  ownerId: string;
  sha256: string;
  byteSize: number;
  contentType: string;
  originalName: string | null;
}

const columns = `id, owner_id, sha256, byte_size, content_type, original_name, status, failure_reason,
  width, height, face_count, uploaded_at, processed_at, pipeline_version, process_count, processed_by`;

interface PhotoRow {
  id: string;
  owner_id: string;
  sha256: string;
  byte_size: string;
  content_type: string;
  original_name: string | null;
  status: PhotoStatus;
  failure_reason: string | null;
  width: number | null;
  height: number | null;
  face_count: number | null;
  uploaded_at: Date;
  processed_at: Date | null;
  pipeline_version: string | null;
  process_count: number;
  processed_by: string | null;
}

function toPhoto(row: PhotoRow): Photo {
  return {
    id: row.id,
    ownerId: row.owner_id,
    sha256: row.sha256,
    byteSize: Number(row.byte_size),
    contentType: row.content_type,
    originalName: row.original_name,
    status: row.status,
    failureReason: row.failure_reason,
    width: row.width,
    height: row.height,
    faceCount: row.face_count,
    uploadedAt: row.uploaded_at,
    processedAt: row.processed_at,
    pipelineVersion: row.pipeline_version,
    processCount: row.process_count,
    processedBy: row.processed_by,
  };
}

/** Position after the last photo of a page: newest first, ties broken by id. */
export interface PhotoCursor {
  uploadedAt: Date;
  id: string;
}

export interface PhotoListQuery {
  status?: PhotoStatus;
  limit: number;
  after?: PhotoCursor;
}

export class PhotoRepository {
  /** Inserts the photo unless this owner already has the same bytes; returns which happened. */
  async insertOrFind(db: Queryable, photo: NewPhoto): Promise<{ photo: Photo; created: boolean }> {
    const inserted = await db.query<PhotoRow>(
      `INSERT INTO photos (owner_id, sha256, byte_size, content_type, original_name)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (owner_id, sha256) DO NOTHING
       RETURNING ${columns}`,
      [photo.ownerId, photo.sha256, photo.byteSize, photo.contentType, photo.originalName],
    );
    if (inserted.rows[0]) return { photo: toPhoto(inserted.rows[0]), created: true };
    const existing = await db.query<PhotoRow>(`SELECT ${columns} FROM photos WHERE owner_id = $1 AND sha256 = $2`, [
      photo.ownerId,
      photo.sha256,
    ]);
    return { photo: toPhoto(existing.rows[0]), created: false };
  }

  async findById(db: Queryable, id: string, ownerId?: string): Promise<Photo | undefined> {
    const result = await db.query<PhotoRow>(
      `SELECT ${columns} FROM photos WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)`,
      [id, ownerId ?? null],
    );
    return result.rows[0] && toPhoto(result.rows[0]);
  }

  async markProcessing(db: Queryable, id: string): Promise<void> {
    await db.query(`UPDATE photos SET status = 'processing' WHERE id = $1 AND status <> 'done'`, [id]);
  }

  async markDone(
    db: Queryable,
    id: string,
    result: { width: number; height: number; faceCount: number; pipelineVersion: string; processedBy: string },
  ): Promise<void> {
    await db.query(
      `UPDATE photos SET status = 'done', failure_reason = NULL, width = $2, height = $3, face_count = $4,
         processed_at = now(), pipeline_version = $5, processed_by = $6, process_count = process_count + 1
       WHERE id = $1`,
      [id, result.width, result.height, result.faceCount, result.pipelineVersion, result.processedBy],
    );
  }

  /** One page of an owner's photos, newest first (keyset pagination: stable under inserts). */
  async list(db: Queryable, ownerId: string, query: PhotoListQuery): Promise<Photo[]> {
    const result = await db.query<PhotoRow>(
      `SELECT ${columns} FROM photos
       WHERE owner_id = $1 AND ($2::text IS NULL OR status = $2)
         AND ($3::timestamptz IS NULL OR (uploaded_at, id) < ($3::timestamptz, $4::uuid))
       ORDER BY uploaded_at DESC, id DESC LIMIT $5`,
      [ownerId, query.status ?? null, query.after?.uploadedAt ?? null, query.after?.id ?? null, query.limit],
    );
    return result.rows.map(toPhoto);
  }

  /** Deletes the photo (its faces and job go with it); returns it, or undefined if absent. */
  async delete(db: Queryable, id: string, ownerId: string): Promise<Photo | undefined> {
    const result = await db.query<PhotoRow>(`DELETE FROM photos WHERE id = $1 AND owner_id = $2 RETURNING ${columns}`, [
      id,
      ownerId,
    ]);
    return result.rows[0] && toPhoto(result.rows[0]);
  }

  /** Whether any photo, of any owner, still uses these bytes (the blob store is shared). */
  async isBlobReferenced(db: Queryable, sha256: string): Promise<boolean> {
    const result = await db.query('SELECT 1 FROM photos WHERE sha256 = $1 LIMIT 1', [sha256]);
    return result.rowCount! > 0;
  }

  async markFailed(db: Queryable, id: string, reason: string): Promise<void> {
    await db.query(
      `UPDATE photos SET status = 'failed', failure_reason = $2, face_count = NULL, processed_at = now() WHERE id = $1`,
      [id, reason],
    );
  }
}
