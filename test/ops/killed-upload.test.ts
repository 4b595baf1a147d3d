import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startService, type RunningService } from '../../tools/support/service-process';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/**
 * An upload cut off by a killed API process leaves its half-written temporary file in
 * BLOB_DIR/.incoming (multer removes it only when the request ends). The next start removes
 * such files, those last written before it started, and leaves newer ones alone.
 */

const USER = 'uploader';

describe('temporary files of killed uploads (api process, PostgreSQL)', () => {
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let api: RunningService | undefined;
  const incoming = () => join(dataDir, 'blobs', '.incoming');
  const incomingFiles = async () => (await readdir(incoming()).catch(() => [] as string[])).sort();

  before(async () => {
    database = await createTestDatabase('killed_upload');
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-killed-upload-'));
    env = { DATABASE_URL: database.url, DATA_DIR: dataDir, KAFKA_BROKERS: '', AUTH_CREATE_FIRST_USER: 'false' };
    await provisionUsers(env, [USER]);
  });
  after(async () => {
    await api?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('a restart removes what a killed upload left, and only that', async () => {
    api = await startService('api', env);
    // Half an upload: the part's first 256 KiB, then the process is killed while it waits for the rest.
    const { port } = new URL(api.baseUrl!);
    const upload = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/photos',
      headers: { ...asUser(USER), 'Content-Type': 'multipart/form-data; boundary=XYZ' },
    });
    const cutOff = new Promise<string>((done) => {
      upload.on('error', (error) => done(error.message));
      upload.on('response', (response) => done(`answered ${response.statusCode}`));
    });
    upload.write('--XYZ\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n');
    upload.write(Buffer.alloc(256 * 1024, 0xab));
    let left: string[] = [];
    for (let waited = 0; waited < 10_000; waited += 50) {
      left = await incomingFiles();
      if (left.length === 1 && (await stat(join(incoming(), left[0]))).size === 256 * 1024) break;
      await sleep(50);
    }
    assert.equal(left.length, 1, 'the upload is being written to a temporary file');
    await api.kill();
    assert.match(await cutOff, /socket hang up|ECONNRESET|EPIPE/);
    assert.deepEqual(await incomingFiles(), left, 'the killed upload left its file behind');

    // A file written after the next start (dated in the future here) is not the sweep's to remove.
    const later = join(incoming(), 'written-after-start');
    await writeFile(later, 'still being uploaded');
    const inTenMinutes = new Date(Date.now() + 10 * 60_000);
    await utimes(later, inTenMinutes, inTenMinutes);
    await mkdir(join(incoming(), 'a-folder'));

    api = await startService('api', env);
    assert.deepEqual(await incomingFiles(), ['a-folder', 'written-after-start']);
    const logged = api.logs.filter((line) => line.includes('temporary file(s) of interrupted uploads'));
    assert.equal(logged.length, 1, api.logs.join('\n'));
    assert.match(logged[0], new RegExp(`removed 1 temporary file\\(s\\) of interrupted uploads \\(${256 * 1024} bytes\\)`));
  });
});
