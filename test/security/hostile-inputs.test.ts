import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startService, type RunningService } from '../../tools/support/service-process';
import { generated, hostileDir, hostileFilesDir } from '../fixtures/hostile/generate';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { processMemory, resetPeakRss } from '../../tools/support/process-memory';

/**
 * The hostile-input corpus (test/fixtures/hostile/manifest.json) against the real server
 * (all-in-one process on PostgreSQL): every refused case answers its 4xx with a JSON message
 * and stores nothing (database rows, blob files, temporary upload files), and the server
 * stays healthy; every accepted odd image is processed.
 */

interface UploadFile {
  file?: string;
  generate?: string;
  name?: string;
  type?: string;
}
interface Case {
  name: string;
  request: { upload?: UploadFile[]; raw?: { method: string; path: string; headers?: Record<string, string>; body?: string } };
  expect: {
    status: number;
    message: string;
    processed?: boolean;
    fileName?: string;
    photosAdded?: number;
    originalHeaders?: Record<string, string>;
    contentType?: string;
  };
  reason: string;
}

const USER = 'hostile-tester';
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_FILES = 5;

describe('hostile and broken inputs (all-in-one, PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dataDir: string;
  let service: RunningService;
  let cases: Case[];
  const results: string[][] = [];

  const counts = async () => {
    const { rows } = await pool.query<{ photos: number; jobs: number; faces: number }>(
      `SELECT (SELECT count(*)::int FROM photos) AS photos, (SELECT count(*)::int FROM ingest_jobs) AS jobs,
              (SELECT count(*)::int FROM faces) AS faces`,
    );
    return rows[0];
  };
  /** Every file under the blob store, temporary uploads included. */
  const blobFiles = async () => {
    const names = await readdir(join(dataDir, 'blobs'), { recursive: true, withFileTypes: true }).catch(() => []);
    return names.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort();
  };

  const send = async (testCase: Case): Promise<Response> => {
    const { upload, raw } = testCase.request;
    if (upload) {
      const form = new FormData();
      for (const part of upload) {
        const bytes = part.file
          ? await readFile(join(hostileFilesDir, part.file))
          : await generated[part.generate!]({ maxFileBytes: MAX_FILE_BYTES });
        form.append('photos', new Blob([bytes], { type: part.type ?? 'image/jpeg' }), part.name ?? part.file ?? part.generate);
      }
      return fetch(`${service.baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(USER) });
    }
    return fetch(`${service.baseUrl}${raw!.path}`, {
      method: raw!.method,
      headers: { ...asUser(USER), ...raw!.headers },
      body: raw!.body === undefined ? undefined : Buffer.from(raw!.body, 'utf8'),
    });
  };

  const waitProcessed = async (photoId: string) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const photo = (await (await fetch(`${service.baseUrl}/photos/${photoId}`, { headers: asUser(USER) })).json()) as {
        status: string;
        failureReason: string | null;
      };
      if (photo.status === 'done' || photo.status === 'failed') return photo;
      assert.ok(Date.now() < deadline, `photo ${photoId} still ${photo.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  before(async () => {
    cases = (JSON.parse(await readFile(join(hostileDir, 'manifest.json'), 'utf8')) as { cases: Case[] }).cases;
    database = await createTestDatabase('hostile');
    pool = new Pool({ connectionString: database.url, max: 2 });
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-hostile-'));
    const env = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      KAFKA_BROKERS: '',
      UPLOAD_MAX_FILE_BYTES: String(MAX_FILE_BYTES),
      UPLOAD_MAX_FILES: String(MAX_FILES),
      CLUSTER_INTERVAL_SECONDS: '3600',
      WORKER_POLL_INTERVAL_MS: '100',
    };
    await provisionUsers(env, [USER]);
    service = await startService('all-in-one', env);
  });
  after(async () => {
    if (results.length) printTable(['case', 'expected', 'got', 'stored', 'decision / reason'], results);
    await service?.stop();
    await pool?.end();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('the corpus has at least 40 cases, each with a status, a message and a reason', () => {
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    for (const testCase of cases) {
      assert.ok(testCase.name && testCase.reason && Number.isInteger(testCase.expect.status), JSON.stringify(testCase));
      assert.ok(testCase.request.upload || testCase.request.raw, testCase.name);
    }
    assert.equal(new Set(cases.map((testCase) => testCase.name)).size, cases.length, 'case names are unique');
  });

  test('every case: its status and message; refusals store nothing; the server stays healthy', async () => {
    const failures: string[] = [];
    for (const testCase of cases) {
      const before = { ...(await counts()), blobs: await blobFiles() };
      let response: Response;
      try {
        response = await send(testCase);
      } catch (error) {
        failures.push(`${testCase.name}: request failed: ${(error as Error).message}`);
        results.push([testCase.name, String(testCase.expect.status), 'no answer', '?', testCase.reason]);
        continue;
      }
      const text = await response.text();
      const problems: string[] = [];
      if (response.status !== testCase.expect.status) problems.push(`status ${response.status}, expected ${testCase.expect.status}`);
      if (!(response.headers.get('content-type') ?? '').includes('application/json')) problems.push('answer is not JSON');
      if (!text.includes(testCase.expect.message)) problems.push(`answer lacks "${testCase.expect.message}"`);

      let stored = 'nothing';
      if (response.status >= 400) {
        // Temporary upload files are removed once the request is answered; allow that a moment.
        let after = { ...(await counts()), blobs: await blobFiles() };
        for (let waited = 0; after.blobs.length !== before.blobs.length && waited < 2000; waited += 100) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          after = { ...(await counts()), blobs: await blobFiles() };
        }
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          stored = 'SOMETHING';
          problems.push(`stored something: ${JSON.stringify({ before, after })}`);
        }
      } else if (testCase.request.upload) {
        const body = JSON.parse(text) as { photos: Array<{ photoId?: string; fileName: string; outcome: string }> };
        const added = (await counts()).photos - before.photos;
        stored = `${added} photo(s)`;
        if (added !== (testCase.expect.photosAdded ?? testCase.request.upload.length)) problems.push(`${added} photos stored`);
        if (testCase.expect.fileName !== undefined && body.photos[0].fileName !== testCase.expect.fileName) {
          problems.push(`file name came back as ${JSON.stringify(body.photos[0].fileName)}`);
        }
        if (testCase.expect.processed) {
          const photo = await waitProcessed(body.photos[0].photoId!);
          stored += `, ${photo.status}`;
          if (photo.status !== 'done') problems.push(`processing ${photo.status}: ${photo.failureReason}`);
        }
        if (testCase.expect.contentType) {
          const photo = (await (await fetch(`${service.baseUrl}/photos/${body.photos[0].photoId}`, { headers: asUser(USER) })).json()) as {
            contentType: string;
          };
          if (photo.contentType !== testCase.expect.contentType) problems.push(`stored as ${photo.contentType}`);
        }
        if (testCase.expect.originalHeaders) {
          const original = await fetch(`${service.baseUrl}/photos/${body.photos[0].photoId}/original`, { headers: asUser(USER) });
          for (const [header, value] of Object.entries(testCase.expect.originalHeaders)) {
            if (original.headers.get(header) !== value) problems.push(`original's ${header}: ${original.headers.get(header)}`);
          }
        }
      }
      const health = await fetch(`${service.baseUrl}/health`);
      if (health.status !== 200) problems.push(`health ${health.status} afterwards`);
      results.push([testCase.name, String(testCase.expect.status), String(response.status), stored, testCase.reason]);
      if (problems.length) failures.push(`${testCase.name}: ${problems.join('; ')} — ${text.slice(0, 200)}`);
    }
    // The tables of people and photos are intact after the SQL-looking names.
    assert.ok((await counts()).photos > 0);
    assert.deepEqual(failures, []);
  });

  test('a 10000×10000 progressive JPEG is refused without decoding: the server grows by under 200 MiB, not 573', async (t) => {
    const before = await processMemory(service.pid);
    if (!before || !(await resetPeakRss(service.pid))) {
      t.skip('needs Linux /proc/<pid>/status and clear_refs to read the server’s peak memory');
      return;
    }
    const form = new FormData();
    const bytes = await generated['progressive-10000x10000.jpg']({ maxFileBytes: MAX_FILE_BYTES });
    form.append('photos', new Blob([bytes], { type: 'image/jpeg' }), 'progressive.jpg');
    const response = await fetch(`${service.baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(USER) });
    const answer = await response.text();
    // A decode, had one started, would still be running or just over: allow it time to show.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = (await processMemory(service.pid))!;
    const growthMiB = after.peakRssMiB - before.rssMiB;
    assert.ok(growthMiB < 200, `the server's peak RSS grew by ${growthMiB.toFixed(0)} MiB (answer ${response.status})`);
    assert.equal(response.status, 415, answer);
  });

  test('each refusal is logged with its reason', () => {
    assert.ok(
      service.logs.some((line) => line.includes('→ 415') && line.includes('no file was accepted')),
      'a refused upload is logged',
    );
    assert.ok(service.logs.some((line) => line.includes('rejected upload') && line.includes('file name')));
    assert.ok(service.logs.some((line) => line.includes('rejected upload') && line.includes('needs about 573 MiB to decode')));
  });
});

function printTable(columns: string[], rows: string[][]): void {
  const widths = columns.map((title, index) => Math.min(60, Math.max(title.length, ...rows.map((row) => row[index].length))));
  const line = (cells: string[]) => cells.map((cell, index) => cell.slice(0, 60).padEnd(widths[index])).join(' | ');
  console.log(['', line(columns), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line), ''].join('\n'));
}
