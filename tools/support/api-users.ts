/**
 * How HTTP tests and benchmarks act as a user. Every one of them authenticates through here,
 * so the way callers prove who they are can change in one place.
 *
 * Users are real: `provisionUsers` writes each user and an API token into the database a
 * service under test uses (through the storage library, as `npm run admin -- user create`
 * does), before or while it runs; `asUser(id)` then gives that token's Authorization header.
 * Each user id gets one random token per process, so the same id works against every
 * database it was provisioned into.
 */
import { join } from 'node:path';
import type { Pool } from 'pg';
import { hashToken, newToken } from '@facecloud/auth';
import { UserRepository, openDatabase, runMigrations, type Queryable } from '@facecloud/storage';

const tokens = new Map<string, string>();

/**
 * Where the users go: an open pool, or the settings a service is started with (DATABASE_URL,
 * else the embedded database under DATA_DIR, which must not be open in a running service:
 * the data folder takes one process at a time, so provision those before starting it).
 */
export type UserTarget = { pool: Pool } | { DATABASE_URL?: string; DATA_DIR?: string };

function tokenOf(userId: string): string {
  let token = tokens.get(userId);
  if (!token) tokens.set(userId, (token = newToken()));
  return token;
}

async function insertUsers(db: Queryable, userIds: string[]): Promise<void> {
  const users = new UserRepository(db);
  for (const userId of userIds) {
    await users.create(userId, null);
    const hash = hashToken(tokenOf(userId));
    const existing = await db.query('SELECT 1 FROM api_tokens WHERE token_sha256 = $1', [hash]);
    if (!existing.rowCount) {
      await users.insertToken({ userId, kind: 'api', name: 'test', tokenSha256: hash, expiresAt: null });
    }
  }
}

/** Creates the users (if absent) with this process's token for each; migrates the database first. */
export async function provisionUsers(target: UserTarget, userIds: string[]): Promise<void> {
  if ('pool' in target) {
    await runMigrations(target.pool);
    return insertUsers(target.pool, userIds);
  }
  if (!target.DATABASE_URL && !target.DATA_DIR) throw new Error('provisionUsers: DATABASE_URL or DATA_DIR needed');
  const database = await openDatabase({
    url: target.DATABASE_URL || undefined,
    embeddedDir: join(target.DATA_DIR ?? '', 'pglite'),
    poolMax: 1,
  });
  try {
    await runMigrations(database.pool);
    await insertUsers(database.pool, userIds);
  } finally {
    await database.close();
  }
}

/** Request headers that make an HTTP request act as `userId` (provisioned with provisionUsers). */
export function asUser(userId: string): Record<string, string> {
  return { Authorization: `Bearer ${tokenOf(userId)}` };
}
