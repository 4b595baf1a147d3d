import { OwnerScoped, type Queryable } from './database';

export type PhotoStatus = 'queued' | 'processing' | 'done' | 'failed';

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

/** Where a set of photos stands: counts by status and the faces found so far. */
export interface PhotoProgress {
  byStatus: Record<PhotoStatus, number>;
  faces: number;
}

export interface PhotoListQuery {
  status?: PhotoStatus;
  limit: number;
  after?: PhotoCursor;
}

/** The photos table, bound to one owner. */
export class PhotoRepository extends OwnerScoped {
  /** Inserts the photo unless this owner already has the same bytes; returns which happened. */
  async insertOrFind(photo: NewPhoto): Promise<{ photo: Photo; created: boolean }> {
    const inserted = await this.db.query<PhotoRow>(
      `INSERT INTO photos (owner_id, sha256, byte_size, content_type, original_name)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (owner_id, sha256) DO NOTHING
       RETURNING ${columns}`,
      [this.ownerId, photo.sha256, photo.byteSize, photo.contentType, photo.originalName],
    );
    if (inserted.rows[0]) return { photo: toPhoto(inserted.rows[0]), created: true };
    const existing = await this.db.query<PhotoRow>(`SELECT ${columns} FROM photos WHERE owner_id = $1 AND sha256 = $2`, [
      this.ownerId,
      photo.sha256,
    ]);
    return { photo: toPhoto(existing.rows[0]), created: false };
  }

  async find(id: string): Promise<Photo | undefined> {
    const result = await this.db.query<PhotoRow>(`SELECT ${columns} FROM photos WHERE owner_id = $1 AND id = $2`, [this.ownerId, id]);
    return result.rows[0] && toPhoto(result.rows[0]);
  }

  /** The owner's photos by the SHA-256 of their bytes: what an import can skip without uploading. */
  async idsBySha256(): Promise<Map<string, string>> {
    const result = await this.db.query<{ sha256: string; id: string }>('SELECT sha256, id FROM photos WHERE owner_id = $1', [this.ownerId]);
    return new Map(result.rows.map((row) => [row.sha256, row.id]));
  }

  async markProcessing(id: string): Promise<void> {
    await this.db.query(`UPDATE photos SET status = 'processing' WHERE owner_id = $1 AND id = $2 AND status <> 'done'`, [this.ownerId, id]);
  }

  async markDone(
    id: string,
    result: { width: number; height: number; faceCount: number; pipelineVersion: string; processedBy: string },
  ): Promise<void> {
    await this.db.query(
      `UPDATE photos SET status = 'done', failure_reason = NULL, width = $3, height = $4, face_count = $5,
         processed_at = now(), pipeline_version = $6, processed_by = $7, process_count = process_count + 1
       WHERE owner_id = $1 AND id = $2`,
      [this.ownerId, id, result.width, result.height, result.faceCount, result.pipelineVersion, result.processedBy],
    );
  }

  async markFailed(id: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE photos SET status = 'failed', failure_reason = $3, face_count = NULL, processed_at = now() WHERE owner_id = $1 AND id = $2`,
      [this.ownerId, id, reason],
    );
  }

  /** One page of the owner's photos, newest first (keyset pagination: stable under inserts). */
  async list(query: PhotoListQuery): Promise<Photo[]> {
    const result = await this.db.query<PhotoRow>(
      `SELECT ${columns} FROM photos
       WHERE owner_id = $1 AND ($2::text IS NULL OR status = $2)
         AND ($3::timestamptz IS NULL OR (uploaded_at, id) < ($3::timestamptz, $4::uuid))
       ORDER BY uploaded_at DESC, id DESC LIMIT $5`,
      [this.ownerId, query.status ?? null, query.after?.uploadedAt ?? null, query.after?.id ?? null, query.limit],
    );
    return result.rows.map(toPhoto);
  }

  /** Where the given photos of the owner stand. */
  async progressOf(photoIds: readonly string[]): Promise<PhotoProgress> {
    const result = await this.db.query<{ status: PhotoStatus; photos: string; faces: string | null }>(
      `SELECT status, count(*) AS photos, sum(face_count) AS faces FROM photos
       WHERE owner_id = $1 AND id = ANY($2::uuid[]) GROUP BY status`,
      [this.ownerId, photoIds],
    );
    const byStatus: Record<PhotoStatus, number> = { queued: 0, processing: 0, done: 0, failed: 0 };
    let faces = 0;
    for (const row of result.rows) {
      byStatus[row.status] = Number(row.photos);
      faces += Number(row.faces ?? 0);
    }
    return { byStatus, faces };
  }

  /** Deletes the photo (its faces and job go with it); returns it, or undefined if absent. */
  async delete(id: string): Promise<Photo | undefined> {
    const result = await this.db.query<PhotoRow>(`DELETE FROM photos WHERE owner_id = $1 AND id = $2 RETURNING ${columns}`, [
      this.ownerId,
      id,
    ]);
    return result.rows[0] && toPhoto(result.rows[0]);
  }
}

/** Photo queries across owners: the blob store is shared, so its bytes are too. */
export class AllPhotos {
  constructor(private readonly db: Queryable) {}

  /** Whether any photo, of any owner, still uses these bytes. */
  async isBlobReferenced(sha256: string): Promise<boolean> {
    const result = await this.db.query('SELECT 1 FROM photos WHERE sha256 = $1 LIMIT 1', [sha256]);
    return result.rowCount! > 0;
  }
}
