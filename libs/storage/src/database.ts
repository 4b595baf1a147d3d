import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { Pool, type PoolClient } from 'pg';
import { ClaimHolder } from './claim-holder';
import { DataFolderLock } from './data-folder-lock';
import { PreparedStatementClient } from './prepared-statement-client';
import { TableUpkeep } from './table-upkeep';

export type DatabaseKind = 'postgres' | 'pglite';

/**
 * One `pg.Pool` for both run modes, so repositories, migrations and binary vector
 * parameters are the same code against real PostgreSQL and against embedded PGlite.
 */
export interface Database {
  readonly kind: DatabaseKind;
  readonly pool: Pool;
  /** This process as a claimer of jobs and runs, with liveness others can see (see ClaimHolder). */
  readonly claims: ClaimHolder;
  /** Embedded only: this process's exclusive lock on the data folder. */
  readonly folderLock?: DataFolderLock;
  /**
   * Embedded only: a consistent copy of the database, as a gzipped tar PGlite can start from
   * (restoreEmbeddedDatabase), taken between transactions after a checkpoint.
   */
  backup?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it an embedded PGlite database is opened. */
  url?: string;
  /** Directory for the embedded database (ignored with `url`); `memory://` for a throwaway one. */
  embeddedDir: string;
  poolMax: number;
  /** Embedded only: how often tables due for VACUUM or ANALYZE are looked for (TableUpkeep). */
  tableUpkeepIntervalMs?: number;
}

/** How often the embedded database looks for tables due for VACUUM or ANALYZE, by default. */
const TABLE_UPKEEP_INTERVAL_MS = 10_000;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new Pool({ connectionString: options.url, max: options.poolMax, Client: PreparedStatementClient });
    // An idle connection that breaks (server restart, network) is dropped by the pool and
    // reported here; unlistened, the error would end the process. Queries then reconnect.
    pool.on('error', (error) => new Logger('Database').warn(`idle database connection lost: ${error.message}`));
    // Fail fast on a wrong URL instead of on the first request.
    await pool.query('SELECT 1');
    const claims = new ClaimHolder(pool, options.url);
    return {
      kind: 'postgres',
      pool,
      claims,
      close: async () => {
        await claims.close();
        await pool.end();
      },
    };
  }
  return openEmbeddedDatabase(options.embeddedDir, options.tableUpkeepIntervalMs ?? TABLE_UPKEEP_INTERVAL_MS);
}

/** The lock file of an embedded database folder: beside it, so that it is never part of a backup. */
export function embeddedLockPath(dir: string): string {
  return `${resolve(dir)}.lock`;
}

/**
 * Fails with DataFolderInUseError, naming the holder, when another process holds the embedded
 * folder now; a start-up checks this before anything else (openDatabase still takes the lock).
 */
export function assertEmbeddedFolderFree(dir: string): void {
  if (dir.startsWith('memory://') || !existsSync(embeddedLockPath(dir))) return;
  DataFolderLock.assertFree(resolve(dir), embeddedLockPath(dir));
}

/**
 * Takes the folder's lock before anything reads or writes it; throws DataFolderInUseError,
 * naming the holder, when another process (or another opener in this one) has it.
 */
function lockEmbeddedFolder(dataDir: string): DataFolderLock {
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  return DataFolderLock.acquire(dataDir, embeddedLockPath(dataDir));
}

async function loadPGlite() {
  // PGlite is ESM-first; its CommonJS builds are loaded lazily so production processes
  // never pay for the WASM runtime.
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  return { PGlite, extensions: { vector } };
}

async function openEmbeddedDatabase(dir: string, tableUpkeepIntervalMs: number): Promise<Database> {
  const { PGlite, extensions } = await loadPGlite();
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const inMemory = dir.startsWith('memory://');
  const dataDir = inMemory ? dir : resolve(dir);
  const folderLock = inMemory ? undefined : lockEmbeddedFolder(dataDir);
  let pglite;
  try {
    if (!inMemory) mkdirSync(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir, { extensions });
  } catch (error) {
    folderLock?.release();
    throw error;
  }
  // PGlite is a single session: more than one pooled connection would interleave
  // transactions, so the pool is capped at one and callers queue.
  const pool = new Pool({ ...createPgConfig(pglite), max: 1, Client: PreparedStatementClient } as ConstructorParameters<typeof Pool>[0]);
  const claims = new ClaimHolder(pool, undefined);
  const engine = pglite;
  const upkeep = startTableUpkeep(pool, tableUpkeepIntervalMs);
  return {
    kind: 'pglite',
    pool,
    claims,
    folderLock,
    backup: async () => {
      // Holding the pool's only connection: no statement or transaction of this process runs
      // meanwhile; the checkpoint puts everything committed into the files the dump copies.
      const client = await pool.connect();
      try {
        await client.query('CHECKPOINT');
        return await engine.dumpDataDir('gzip');
      } finally {
        client.release();
      }
    },
    close: async () => {
      try {
        await upkeep.stop();
        await claims.close();
        await pool.end();
        await engine.close();
      } finally {
        folderLock?.release();
      }
    },
  };
}

/** PGlite's stand-in for autovacuum (see TableUpkeep), logged like autovacuum's own log lines. */
function startTableUpkeep(pool: Pool, intervalMs: number): TableUpkeep {
  const logger = new Logger('Database');
  const upkeep = new TableUpkeep(
    pool,
    ({ table, action, ms }) => logger.debug(`automatic ${action} of table ${table}: ${Math.round(ms)} ms`),
    (error) => logger.warn(`table upkeep failed (tried again in ${intervalMs / 1000} s): ${error instanceof Error ? error.message : String(error)}`),
  );
  upkeep.start(intervalMs);
  return upkeep;
}

/**
 * Creates an embedded database folder from a backup (Database.backup's tar). The folder must
 * be new or empty, and is locked while it is written, so no service can be running on it;
 * `whileLocked` runs after the database is written, before the lock is released (e.g. to put
 * the originals back before any service can start on the folder).
 */
export async function restoreEmbeddedDatabase(dir: string, backup: Blob, whileLocked?: () => Promise<void>): Promise<void> {
  const dataDir = resolve(dir);
  const lock = lockEmbeddedFolder(dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
    if (readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} is not empty: restore only into a new folder (move the current one away first)`);
    }
    const { PGlite, extensions } = await loadPGlite();
    const pglite = await PGlite.create(dataDir, { extensions, loadDataDir: backup });
    await pglite.query('SELECT 1');
    await pglite.close();
    await whileLocked?.();
  } finally {
    lock.release();
  }
}

/** Anything that runs SQL: the pool, or a client inside a transaction. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/**
 * A repository bound to one owner (see Repositories.forOwner): every query it runs is limited
 * to `ownerId`'s rows, so no call can forget the owner or pass another's.
 */
export abstract class OwnerScoped {
  constructor(
    protected readonly db: Queryable,
    protected readonly ownerId: string,
  ) {}
}

/**
 * Runs `work` in one transaction on a dedicated client. Inside it, use the client given,
 * never the pool: with PGlite's single connection that would wait forever.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client reports a broken connection as an 'error' event (the pool listens
  // only to idle ones): keep it from ending the process, fail the work, discard the client.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** SQLSTATE classes and codes that mean the server is going away or not there yet. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * True when the error says the database could not be reached (server down, restarting, a
 * connection cut), not that the statement was wrong: the work may simply be tried again
 * once it is back, and should not count against the job that hit it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_NET_CODES.has(code))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}
