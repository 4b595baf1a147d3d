import { CLAIM_LOST_SQL, LIVE_CLAIM_HOLDERS_SQL, leaseSql } from './claim-holder';
import { OwnerScoped, type Queryable } from './database';

export interface ClaimedJob {
  id: string;
  photoId: string;
  ownerId: string;
  /** 1 on the first delivery. */
  attempt: number;
}

interface JobRow {
  id: string;
  photo_id: string;
  owner_id: string;
  attempts: number;
}

const toJob = (row: JobRow): ClaimedJob => ({
  id: row.id,
  photoId: row.photo_id,
  ownerId: row.owner_id,
  attempt: row.attempts,
});

/**
 * The `ingest_jobs` table and its dead letters, bound to one owner: a job is written with its
 * photo in one transaction, then claimed by workers (no Kafka) or published to Kafka by the
 * outbox relay (IngestJobQueue).
 */
export class IngestJobRepository extends OwnerScoped {
  async enqueue(photoId: string): Promise<void> {
    await this.db.query('INSERT INTO ingest_jobs (photo_id, owner_id) VALUES ($1, $2)', [photoId, this.ownerId]);
  }

  /** Queues a job for each of the owner's photos that has none pending (see enqueueAll). */
  async enqueueAll(): Promise<number> {
    return enqueueAll(this.db, this.ownerId);
  }

  /** Keeps a job given up on, so an operator can see why and replay it. */
  async addDeadLetter(letter: { photoId: string; attempts: number; reason: string }): Promise<void> {
    await this.db.query('INSERT INTO ingest_dead_letters (photo_id, owner_id, attempts, reason) VALUES ($1, $2, $3, $4)', [
      letter.photoId,
      this.ownerId,
      letter.attempts,
      letter.reason,
    ]);
  }
}

/**
 * Queues a job for every photo (of one owner, or all) that has none pending. Workers skip
 * photos already done by their pipeline version, so this re-does exactly the photos an older
 * pipeline (e.g. another embedder) produced, plus failed ones. Returns how many.
 */
async function enqueueAll(db: Queryable, ownerId: string | null): Promise<number> {
  const result = await db.query(
    `INSERT INTO ingest_jobs (photo_id, owner_id)
     SELECT p.id, p.owner_id FROM photos p
     WHERE ($1::text IS NULL OR p.owner_id = $1)
       AND NOT EXISTS (SELECT 1 FROM ingest_jobs j WHERE j.photo_id = p.id)
     ORDER BY p.uploaded_at, p.id`,
    [ownerId],
  );
  return result.rowCount ?? 0;
}

/** Ingest jobs across owners: claiming, settling and publishing them, and the operators' counts. */
export class IngestJobQueue {
  constructor(private readonly db: Queryable) {}

  /** Queues a job for every photo of every owner that has none pending (see enqueueAll). */
  async enqueueAll(): Promise<number> {
    return enqueueAll(this.db, null);
  }

  /**
   * Leases up to `limit` due jobs for `holder` (a ClaimHolder's number). SKIP LOCKED lets
   * several workers claim side by side. A job is free when nobody claimed it, when its
   * holder's process is gone (its liveness lock is no longer held: taken over at once), or
   * when its lease ran out (a holder alive but stuck).
   */
  async claim(limit: number, leaseSeconds: number, holder: number): Promise<ClaimedJob[]> {
    const result = await this.db.query<JobRow>(
      `UPDATE ingest_jobs SET ${leaseSql('$3', '$2')}, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM ingest_jobs
         WHERE available_at <= now()
           AND (claimed_until IS NULL OR ${CLAIM_LOST_SQL})
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, photo_id, owner_id, attempts`,
      [limit, leaseSeconds, holder],
    );
    return result.rows.map(toJob).sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Jobs claimed by a holder whose process is gone: work a restart (or any live worker) takes over now. */
  async countHeldByDeadHolders(): Promise<number> {
    const result = await this.db.query<{ count: string }>(
      `SELECT count(*) FROM ingest_jobs
       WHERE claimed_until >= now() AND claim_holder IS NOT NULL AND claim_holder NOT IN (${LIVE_CLAIM_HOLDERS_SQL})`,
    );
    return Number(result.rows[0].count);
  }

  async complete(jobId: string): Promise<void> {
    await this.db.query('DELETE FROM ingest_jobs WHERE id = $1', [jobId]);
  }

  /** Puts a failed job back, due again after `delayMs`. */
  async retryLater(jobId: string, delayMs: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE ingest_jobs SET claimed_until = NULL, claim_holder = NULL, available_at = now() + make_interval(secs => $2), last_error = $3
       WHERE id = $1`,
      [jobId, delayMs / 1000, error],
    );
  }

  /** Oldest jobs first, for the outbox relay; rows stay until `deleteMany` after publishing. */
  async listOldest(limit: number): Promise<ClaimedJob[]> {
    const result = await this.db.query<JobRow>(
      'SELECT id, photo_id, owner_id, attempts FROM ingest_jobs ORDER BY id LIMIT $1',
      [limit],
    );
    return result.rows.map(toJob);
  }

  async deleteMany(jobIds: string[]): Promise<void> {
    await this.db.query('DELETE FROM ingest_jobs WHERE id = ANY($1::bigint[])', [jobIds]);
  }

  async count(): Promise<number> {
    const result = await this.db.query<{ count: string }>('SELECT count(*) FROM ingest_jobs');
    return Number(result.rows[0].count);
  }

  async countDeadLetters(): Promise<number> {
    const result = await this.db.query<{ count: string }>('SELECT count(*) FROM ingest_dead_letters');
    return Number(result.rows[0].count);
  }
}
