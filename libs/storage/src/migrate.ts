import { join } from 'node:path';
import { findRepoRoot } from '@facecloud/config';
import { runner } from 'node-pg-migrate';
import type { Pool } from 'pg';

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
