import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Client, type Pool } from 'pg';

/**
 * First key of the two-key advisory locks that say "this claimer is alive" ('FCLH'); the
 * second key is the holder's number, recorded as `claim_holder` on what it claims.
 */
export const CLAIM_LOCK_SPACE = 0x46434c48;

/**
 * Holder numbers whose process is alive: their liveness lock is held in this database. Used
 * by the claim queries as `claim_holder NOT IN (live holders)`.
 */
export const LIVE_CLAIM_HOLDERS_SQL = `SELECT l.objid::bigint FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.classid = ${CLAIM_LOCK_SPACE}::oid AND l.objsubid = 2 AND l.granted
    AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())`;

/**
 * The lease of a claimed row (ingest job, clustering run), as an SQL SET list: held by claim
 * holder `holder` until `leaseSeconds` from now (both SQL expressions, e.g. parameters).
 */
export function leaseSql(holder: string, leaseSeconds: string): string {
  return `claim_holder = ${holder}, claimed_until = now() + make_interval(secs => ${leaseSeconds})`;
}

/** A claimed row whose claim is lost: its holder's process is gone (at once), or its lease ran out (a holder alive but stuck). */
export const CLAIM_LOST_SQL = `(claimed_until < now() OR (claim_holder IS NOT NULL AND claim_holder NOT IN (${LIVE_CLAIM_HOLDERS_SQL})))`;

const TRY_LOCK_SQL = 'SELECT pg_try_advisory_lock($1::int, $2::int) AS locked';

/**
 * This process's identity as a claimer of ingest jobs and clustering runs, with liveness the
 * database itself can see: a session-level advisory lock held for as long as the process
 * lives. The server releases it the moment the session ends, so when a process dies (kill -9,
 * OOM, crash) its claims are free at once for anyone, its own restart included, while a live
 * process's claims are never taken from it, however long its work runs and whether or not its
 * event loop is busy (no heartbeat to miss).
 *
 * PostgreSQL: the lock is held on a connection of its own (outside the pool, whose idle
 * connections come and go), reconnected and re-taken if it breaks. PGlite: one session for
 * the process's whole life, so the lock is taken on it; the data-folder lock already
 * guarantees that whatever a previous process claimed is dead.
 */
export class ClaimHolder {
  private readonly logger = new Logger('ClaimHolder');
  private key: Promise<number> | undefined;
  private client: Client | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    /** Connection string for the dedicated liveness connection; undefined for PGlite. */
    private readonly url: string | undefined,
  ) {}

  /** This process's holder number, taking its liveness lock on first use. */
  holderKey(): Promise<number> {
    this.key ??= this.url ? this.lockOnOwnConnection() : this.lockOn(this.pool);
    return this.key;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  /** Picks a free holder number and locks it on `db` (numbers are random: no registry to keep). */
  private async lockOn(db: Pick<Pool, 'query'>, preferred?: number): Promise<number> {
    for (let tries = 0; ; tries++) {
      const key = tries === 0 && preferred !== undefined ? preferred : randomInt(1, 2 ** 31 - 1);
      const { rows } = await db.query<{ locked: boolean }>(TRY_LOCK_SQL, [CLAIM_LOCK_SPACE, key]);
      if (rows[0].locked) return key;
    }
  }

  private async lockOnOwnConnection(preferred?: number): Promise<number> {
    const client = new Client({ connectionString: this.url, keepAlive: true });
    client.on('error', () => undefined); // 'end' follows; handled there
    await client.connect();
    const key = await this.lockOn(client, preferred);
    this.client = client;
    client.once('end', () => {
      if (!this.closed) void this.relock(key);
    });
    return key;
  }

  /**
   * The liveness connection broke (server restart, network): take the same number again, so
   * the claims made under it stay ours. Meanwhile others may see them as free, as after a
   * death: a job then runs twice, which processing tolerates (it is idempotent).
   */
  private async relock(key: number): Promise<void> {
    for (let delayMs = 250; !this.closed; delayMs = Math.min(delayMs * 2, 10_000)) {
      try {
        const relocked = await this.lockOnOwnConnection(key);
        if (relocked !== key) {
          this.logger.warn(`claim holder ${key} was taken meanwhile; now holder ${relocked}`);
          this.key = Promise.resolve(relocked);
        }
        return;
      } catch (error) {
        this.logger.warn(`claim holder liveness connection lost, retrying: ${(error as Error).message}`);
        await sleep(delayMs);
      }
    }
  }
}
