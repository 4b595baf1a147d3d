import type { Queryable } from './database';

export interface ClusteringRunResult {
  faceCount: number;
  personCount: number;
  noiseCount: number;
}

export class ClusteringRunRepository {
  async start(db: Queryable, ownerId: string): Promise<string> {
    const result = await db.query<{ id: string }>('INSERT INTO clustering_runs (owner_id) VALUES ($1) RETURNING id', [
      ownerId,
    ]);
    return result.rows[0].id;
  }

  async finish(db: Queryable, runId: string, result: ClusteringRunResult): Promise<void> {
    await db.query(
      `UPDATE clustering_runs SET status = 'done', finished_at = now(), face_count = $2, person_count = $3,
         noise_count = $4 WHERE id = $1`,
      [runId, result.faceCount, result.personCount, result.noiseCount],
    );
  }

  async fail(db: Queryable, runId: string, error: string): Promise<void> {
    await db.query(`UPDATE clustering_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1`, [
      runId,
      error,
    ]);
  }

  /** Records that an owner's faces changed (a photo processed or deleted). */
  async markLibraryChanged(db: Queryable, ownerId: string): Promise<void> {
    await db.query(
      `INSERT INTO library_changes (owner_id, changed_at) VALUES ($1, now())
       ON CONFLICT (owner_id) DO UPDATE SET changed_at = now()`,
      [ownerId],
    );
  }

  /** Owners whose faces changed after their last finished run started. */
  async ownersNeedingRun(db: Queryable): Promise<string[]> {
    const result = await db.query<{ owner_id: string }>(
      `WITH last_run AS (
         SELECT owner_id, max(started_at) AS started_at FROM clustering_runs WHERE status = 'done' GROUP BY owner_id)
       SELECT c.owner_id FROM library_changes c LEFT JOIN last_run r ON r.owner_id = c.owner_id
       WHERE r.started_at IS NULL OR c.changed_at > r.started_at
       ORDER BY c.owner_id`,
    );
    return result.rows.map((row) => row.owner_id);
  }
}
