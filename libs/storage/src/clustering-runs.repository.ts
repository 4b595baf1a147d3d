import { CLAIM_LOST_SQL, leaseSql } from './claim-holder';
import { OwnerScoped, type Queryable } from './database';

export interface ClusteringRunResult {
  faceCount: number;
  personCount: number;
  noiseCount: number;
}

export type ClusteringRunStatus = 'queued' | 'running' | 'done' | 'failed';
export type ClusteringRunRequester = 'schedule' | 'user' | 'admin';

export interface ClusteringRun {
  id: string;
  ownerId: string;
  status: ClusteringRunStatus;
  requestedBy: ClusteringRunRequester;
  queuedAt: Date;
  /** When a clusterer claimed it (for queued runs: when it was queued). */
  startedAt: Date;
  finishedAt: Date | null;
  faceCount: number | null;
  personCount: number | null;
  noiseCount: number | null;
  error: string | null;
}

/** When the schedule queues a run for a library that changed since its last run. */
export interface RunSchedule {
  /** Enough new faces since the last run... */
  minNewFaces: number;
  /** ...and at least this share of the faces the last run saw (0..1), so big libraries re-run less often. */
  minNewFraction: number;
  /** Or: the library changed and its last run is at least this old. */
  maxDelaySeconds: number;
}

interface RunRow {
  id: string;
  owner_id: string;
  status: ClusteringRunStatus;
  requested_by: ClusteringRunRequester;
  queued_at: Date;
  started_at: Date;
  finished_at: Date | null;
  face_count: number | null;
  person_count: number | null;
  noise_count: number | null;
  error: string | null;
}

const RUN_COLUMNS = `id, owner_id, status, requested_by, queued_at, started_at, finished_at, face_count, person_count,
  noise_count, error`;

function toRun(row: RunRow): ClusteringRun {
  return {
    id: row.id,
    ownerId: row.owner_id,
    status: row.status,
    requestedBy: row.requested_by,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    faceCount: row.face_count,
    personCount: row.person_count,
    noiseCount: row.noise_count,
    error: row.error,
  };
}

/** The clustering_runs table and the library changes that call for runs, bound to one owner. */
export class ClusteringRunRepository extends OwnerScoped {
  /** Queues a run for the owner, or returns the run already queued for them. */
  async enqueue(requestedBy: ClusteringRunRequester): Promise<ClusteringRun> {
    const result = await this.db.query<RunRow>(
      `INSERT INTO clustering_runs (owner_id, status, requested_by) VALUES ($1, 'queued', $2)
       ON CONFLICT (owner_id) WHERE status = 'queued' DO UPDATE SET queued_at = clustering_runs.queued_at
       RETURNING ${RUN_COLUMNS}`,
      [this.ownerId, requestedBy],
    );
    return toRun(result.rows[0]);
  }

  /**
   * One clustering writer per owner at a time, until the transaction ends: runs and
   * incremental passes of one owner take turns.
   */
  async lockOwner(): Promise<void> {
    await this.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`facecloud.clustering:${this.ownerId}`]);
  }

  /** One of the owner's runs; undefined for another owner's id. */
  async get(runId: string): Promise<ClusteringRun | undefined> {
    const result = await this.db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM clustering_runs WHERE owner_id = $1 AND id = $2`, [
      this.ownerId,
      runId,
    ]);
    return result.rows[0] ? toRun(result.rows[0]) : undefined;
  }

  async finish(runId: string, result: ClusteringRunResult): Promise<void> {
    await this.db.query(
      `UPDATE clustering_runs SET status = 'done', finished_at = now(), face_count = $3, person_count = $4,
         noise_count = $5, claimed_until = NULL WHERE owner_id = $1 AND id = $2`,
      [this.ownerId, runId, result.faceCount, result.personCount, result.noiseCount],
    );
  }

  async fail(runId: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE clustering_runs SET status = 'failed', finished_at = now(), error = $3, claimed_until = NULL
       WHERE owner_id = $1 AND id = $2`,
      [this.ownerId, runId, error],
    );
  }

  /**
   * Records that an owner's faces changed (a photo processed or deleted). Several workers
   * store one owner's photos at once: the time is the statement's, not the transaction's
   * start (a store that began before a run was claimed and wrote its change after the claim
   * counts as a change after that run), and it never moves back, whichever writer commits last.
   */
  async markLibraryChanged(): Promise<void> {
    await this.db.query(
      `INSERT INTO library_changes (owner_id, changed_at) VALUES ($1, clock_timestamp())
       ON CONFLICT (owner_id) DO UPDATE SET changed_at = greatest(library_changes.changed_at, excluded.changed_at)`,
      [this.ownerId],
    );
  }
}

/** Runs across owners: claiming them (and taking back lost ones), and the schedule. */
export class ClusteringRunQueue {
  constructor(private readonly db: Queryable) {}

  /**
   * Claims the oldest queued run (or the given one) whose owner has no run in progress, with
   * a lease, for `holder` (a ClaimHolder's number; `claimer` names the process for people);
   * concurrent claimers skip each other's rows. Undefined when there is none.
   */
  async claim(claimer: string, holder: number, leaseSeconds: number, runId?: string): Promise<ClusteringRun | undefined> {
    const result = await this.db.query<RunRow>(
      `UPDATE clustering_runs r SET status = 'running', started_at = now(), claimed_by = $1, ${leaseSql('$4', '$2')}
       WHERE r.id = (
         SELECT q.id FROM clustering_runs q
         WHERE q.status = 'queued' AND ($3::uuid IS NULL OR q.id = $3::uuid)
           AND NOT EXISTS (SELECT 1 FROM clustering_runs a WHERE a.owner_id = q.owner_id AND a.status = 'running')
         ORDER BY q.queued_at FOR UPDATE SKIP LOCKED LIMIT 1)
       RETURNING ${RUN_COLUMNS}`,
      [claimer, leaseSeconds, runId ?? null, holder],
    );
    return result.rows[0] ? toRun(result.rows[0]) : undefined;
  }

  /**
   * Gives up runs whose clusterer is gone (its liveness lock is no longer held: at once) or
   * whose lease ran out (alive but stuck), and queues a new run for each of their owners (or
   * joins the one queued), so the work starts again instead of blocking the owner's next
   * runs. Returns how many were given up.
   */
  async requeueLost(): Promise<number> {
    const result = await this.db.query<{ lost: number }>(
      `WITH lost AS (
         UPDATE clustering_runs SET status = 'failed', finished_at = now(), claimed_until = NULL,
           error = 'its clusterer stopped before the run finished; queued again'
         WHERE status = 'running' AND claimed_until IS NOT NULL AND ${CLAIM_LOST_SQL}
         RETURNING owner_id, requested_by),
       requeued AS (
         INSERT INTO clustering_runs (owner_id, status, requested_by)
         SELECT DISTINCT ON (owner_id) owner_id, 'queued', requested_by FROM lost ORDER BY owner_id
         ON CONFLICT (owner_id) WHERE status = 'queued' DO NOTHING)
       SELECT count(*)::int AS lost FROM lost`,
    );
    return result.rows[0].lost;
  }

  /** Owners whose faces changed after their last finished run started (whatever the schedule says). */
  async ownersNeedingRun(): Promise<string[]> {
    const result = await this.db.query<{ owner_id: string }>(
      `WITH last_run AS (
         SELECT owner_id, max(started_at) AS started_at FROM clustering_runs WHERE status = 'done' GROUP BY owner_id)
       SELECT c.owner_id FROM library_changes c LEFT JOIN last_run r ON r.owner_id = c.owner_id
       WHERE r.started_at IS NULL OR c.changed_at > r.started_at
       ORDER BY c.owner_id`,
    );
    return result.rows.map((row) => row.owner_id);
  }

  /**
   * Owners the schedule should queue a run for now: their library changed since their last
   * finished run, no run of theirs is queued or running, and either they never had a run,
   * or enough new faces arrived (see RunSchedule), or the last run is older than the delay.
   */
  async ownersDueForRun(schedule: RunSchedule): Promise<string[]> {
    const result = await this.db.query<{ owner_id: string }>(
      `WITH last_run AS (
         SELECT DISTINCT ON (owner_id) owner_id, started_at, face_count FROM clustering_runs
         WHERE status = 'done' ORDER BY owner_id, started_at DESC)
       SELECT c.owner_id FROM library_changes c LEFT JOIN last_run r ON r.owner_id = c.owner_id
       WHERE (r.started_at IS NULL OR c.changed_at > r.started_at)
         AND NOT EXISTS (SELECT 1 FROM clustering_runs o WHERE o.owner_id = c.owner_id AND o.status IN ('queued', 'running'))
         AND (r.started_at IS NULL
           OR r.started_at <= now() - make_interval(secs => $3)
           OR (SELECT count(*) FROM faces f
               WHERE f.owner_id = c.owner_id AND f.created_at > r.started_at AND f.kind = 'face')
              >= greatest($1::int, ceil($2::float8 * coalesce(r.face_count, 0))))
       ORDER BY c.changed_at`,
      [schedule.minNewFaces, schedule.minNewFraction, schedule.maxDelaySeconds],
    );
    return result.rows.map((row) => row.owner_id);
  }
}
