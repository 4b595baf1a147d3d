import type { Queryable } from './database';
import type { PhotoStatus } from './photos.repository';

/** Where a set of photos stands: counts by status and the faces found so far. */
export interface PhotoProgress {
  byStatus: Record<PhotoStatus, number>;
  faces: number;
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
