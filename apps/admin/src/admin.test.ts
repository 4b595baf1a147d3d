import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Repositories, openDatabase, runMigrations, type Database } from '@facecloud/storage';
import { repoRoot } from '../../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres';

const run = promisify(execFile);
const admin = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [resolve(repoRoot, 'dist/apps/admin/src/main.js'), ...args], { env: { ...process.env, ...env } });

describe('admin CLI', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  const repositories = new Repositories();

  before(async () => {
    testDatabase = await createTestDatabase('admin');
    database = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 2 });
    await runMigrations(database.pool);
    for (const [owner, sha] of [['ann', 'a'], ['ann', 'b'], ['bob', 'c']]) {
      const { photos } = repositories.forOwner(database.pool, owner);
      await photos.insertOrFind({ sha256: sha.repeat(64), byteSize: 1, contentType: 'image/jpeg', originalName: null });
    }
  });
  after(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

  test('reprocess queues one job per photo of the owner, and none twice', async () => {
    const env = { DATABASE_URL: testDatabase.url, LOG_LEVEL: 'silent' };
    const first = await admin(['reprocess', '--owner', 'ann'], env);
    assert.match(first.stdout, /queued 2 photo\(s\) of ann/);
    const again = await admin(['reprocess'], env);
    assert.match(again.stdout, /queued 1 photo\(s\)/, 'only bob\'s photo had no pending job');
    assert.equal(await repositories.acrossOwners(database.pool).jobs.count(), 3);
  });

  test('an unknown command exits 2 with the usage', async () => {
    await assert.rejects(admin(['explode'], { DATABASE_URL: testDatabase.url }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /unknown command "explode"/);
      return true;
    });
  });
});
