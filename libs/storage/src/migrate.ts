import { join } from 'node:path';
import { findRepoRoot } from '@facecloud/config';
import { runner } from 'node-pg-migrate';
import type { Pool } from 'pg';
import type { Queryable } from './database';

/** SQL migrations shipped with the repository (`migrations/*.sql`). */
export const migrationsDir = join(findRepoRoot(), 'migrations');

/** Applies pending migrations; safe to call from several processes (advisory lock). */
export async function runMigrations(pool: Pool, log: (message: string) => void = () => undefined): Promise<string[]> {
  const client = await pool.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable: 'schema_migrations',
      checkOrder: true,
      log,
    });
    return applied.map((migration) => migration.name);
  } finally {
    client.release();
  }
}

/**
 * Rebuilds the indexes of the face tables (the pgvector HNSW index included, which degrades
 * after many deletes and re-embeddings) and refreshes the planner's statistics. Blocks writes
 * to each table while it runs: do it in a quiet hour. Returns the tables.
 */
export async function rebuildIndexes(db: Queryable): Promise<string[]> {
  const tables = ['photos', 'faces', 'face_embeddings', 'persons', 'ingest_jobs'];
  for (const table of tables) {
    await db.query(`REINDEX TABLE ${table}`);
    await db.query(`ANALYZE ${table}`);
  }
  return tables;
}
