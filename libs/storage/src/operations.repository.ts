import type { Queryable } from './database';
import type { FaceKind } from './faces.repository';
import type { PhotoStatus } from './photos.repository';

/** Where a set of photos stands: counts by status and the faces found so far. */
export interface PhotoProgress {
  byStatus: Record<PhotoStatus, number>;
  faces: number;
}

export interface ExportedFace {
  faceId: string;
  photoId: string;
  /** The name (or, from the import CLI, the relative path) the photo was uploaded under. */
  photoName: string | null;
  photoSha256: string;
  box: { x: number; y: number; width: number; height: number };
  kind: FaceKind;
  quality: number;
  assignedBy: 'cluster' | 'user';
}

export interface ExportedPerson {
  personId: string;
  name: string | null;
  hidden: boolean;
  faces: ExportedFace[];
}

/** Queries of the operator tools (import, export, maintenance) that the API does not need. */
export class OperationsRepository {
  /** The owner's photos by the SHA-256 of their bytes: what an import can skip without uploading. */
  async photoHashes(db: Queryable, ownerId: string): Promise<Map<string, string>> {
    const result = await db.query<{ sha256: string; id: string }>('SELECT sha256, id FROM photos WHERE owner_id = $1', [ownerId]);
    return new Map(result.rows.map((row) => [row.sha256, row.id]));
  }

  async progressOf(db: Queryable, photoIds: readonly string[]): Promise<PhotoProgress> {
    const result = await db.query<{ status: PhotoStatus; photos: string; faces: string | null }>(
      `SELECT status, count(*) AS photos, sum(face_count) AS faces FROM photos WHERE id = ANY($1::uuid[]) GROUP BY status`,
      [photoIds],
    );
    const byStatus: Record<PhotoStatus, number> = { queued: 0, processing: 0, done: 0, failed: 0 };
    let faces = 0;
    for (const row of result.rows) {
      byStatus[row.status] = Number(row.photos);
      faces += Number(row.faces ?? 0);
    }
    return { byStatus, faces };
  }

  /** The owner's persons, largest first, each with its faces and the photos they are on. */
  async exportPersons(db: Queryable, ownerId: string): Promise<ExportedPerson[]> {
    const result = await db.query<{
      person_id: string;
      name: string | null;
      hidden: boolean;
      face_id: string;
      photo_id: string;
      original_name: string | null;
      sha256: string;
      box_x: number;
      box_y: number;
      box_width: number;
      box_height: number;
      kind: FaceKind;
      quality: number;
      assigned_by: 'cluster' | 'user';
    }>(
      `SELECT p.id AS person_id, p.name, p.hidden, f.id AS face_id, f.photo_id, ph.original_name, ph.sha256,
              f.box_x, f.box_y, f.box_width, f.box_height, f.kind, f.quality, f.assigned_by
       FROM persons p
       JOIN faces f ON f.person_id = p.id
       JOIN photos ph ON ph.id = f.photo_id
       WHERE p.owner_id = $1
       ORDER BY count(*) OVER (PARTITION BY p.id) DESC, p.created_at, p.id, ph.original_name, f.face_index`,
      [ownerId],
    );
    const persons = new Map<string, ExportedPerson>();
    for (const row of result.rows) {
      let person = persons.get(row.person_id);
      if (!person) {
        person = { personId: row.person_id, name: row.name, hidden: row.hidden, faces: [] };
        persons.set(row.person_id, person);
      }
      person.faces.push({
        faceId: row.face_id,
        photoId: row.photo_id,
        photoName: row.original_name,
        photoSha256: row.sha256,
        box: { x: row.box_x, y: row.box_y, width: row.box_width, height: row.box_height },
        kind: row.kind,
        quality: row.quality,
        assignedBy: row.assigned_by,
      });
    }
    return [...persons.values()];
  }

  /**
   * Rebuilds the indexes of the face tables (the pgvector HNSW index included, which
   * degrades after many deletes and re-embeddings) and refreshes the planner's statistics.
   * Blocks writes to each table while it runs: do it in a quiet hour.
   */
  async rebuildIndexes(db: Queryable): Promise<string[]> {
    const tables = ['photos', 'faces', 'face_embeddings', 'persons', 'ingest_jobs'];
    for (const table of tables) {
      await db.query(`REINDEX TABLE ${table}`);
      await db.query(`ANALYZE ${table}`);
    }
    return tables;
  }
}
