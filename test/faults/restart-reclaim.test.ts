import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { openDatabase, runMigrations } from '@facecloud/storage';
import { startService, type AppName, type RunningService } from '../../tools/support/service-process';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { datasetsDir, skipWithoutDatasets } from '../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { insertSyntheticLibrary, longTailedSizes } from '../../tools/support/synthetic-library';

/**
 * A process SIGKILLed in the middle of its work and started again takes over what it held at
 * once: the photos it was processing and the clustering run it was computing, in the embedded
 * mode (all-in-one on PGlite) and with PostgreSQL (separate worker process, in-database queue).
 * Before, the photos waited out a 300 s lease and the run blocked its owner for
 * CLUSTER_RUN_LEASE_SECONDS (900 s). Prints how long the take-over took after each restart.
 * Long-running: only `npm run test:faults` runs it.
 */

const PHOTOS = 40;
const FILES_PER_REQUEST = 10;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Timing {
  mode: string;
  what: string;
  held: number;
  readyMs: number;
  reclaimedMs: number;
}
const timings: Timing[] = [];

async function datasetPhotos(count: number): Promise<Array<{ name: string; bytes: Buffer }>> {
  const entries = await readdir(join(datasetsDir, 'dev'), { withFileTypes: true, recursive: true });
  const files = entries
    .filter((entry) => entry.isFile() && /\.jpe?g$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  const seen = new Set<string>();
  const photos: Array<{ name: string; bytes: Buffer }> = [];
  for (const file of files) {
    const bytes = await readFile(file);
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (seen.has(sha)) continue;
    seen.add(sha);
    photos.push({ name: file.slice(datasetsDir.length + 1).replace(/[\\/]/g, '_'), bytes });
    if (photos.length === count) break;
  }
  return photos;
}

async function upload(baseUrl: string, owner: string, photos: Array<{ name: string; bytes: Buffer }>): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < photos.length; start += FILES_PER_REQUEST) {
    const form = new FormData();
    for (const photo of photos.slice(start, start + FILES_PER_REQUEST)) form.append('file', new Blob([photo.bytes], { type: 'image/jpeg' }), photo.name);
    const response = await fetch(`${baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(owner) });
    const body = (await response.json()) as { photos: Array<{ photoId: string }> };
    assert.equal(response.status, 202, JSON.stringify(body));
    ids.push(...body.photos.map((photo) => photo.photoId));
  }
  return ids;
}

async function photoStatuses(baseUrl: string, owner: string, ids: string[]): Promise<Map<string, string>> {
  const entries = await Promise.all(
    ids.map(async (id) => {
      const response = await fetch(`${baseUrl}/photos/${id}`, { headers: asUser(owner) });
      return [id, ((await response.json()) as { status: string }).status] as const;
    }),
  );
  return new Map(entries);
}

/** Waits until `ready` holds, polling every `everyMs`; returns when, in ms since `since`. */
async function waitFor(what: string, ready: () => Promise<boolean>, since: number, timeoutMs = 180_000, everyMs = 50): Promise<number> {
  for (;;) {
    if (await ready()) return Date.now() - since;
    assert.ok(Date.now() - since < timeoutMs, `${what} within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

function printTimings(): void {
  if (timings.length === 0) return;
  const rows = timings.map((t) => [t.mode, t.what, String(t.held), `${(t.readyMs / 1000).toFixed(1)} s`, `${(t.reclaimedMs / 1000).toFixed(1)} s`]);
  const header = ['mode', 'killed while', 'held', 'restart → ready', 'restart → held work done'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ');
  console.log(['', line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line), ''].join('\n'));
}

describe('restart after SIGKILL takes over the dead process\'s work at once', { skip: skipWithoutDatasets }, () => {
  let photos: Array<{ name: string; bytes: Buffer }> = [];
  const running = new Set<RunningService>();
  const start = async (app: AppName, env: Record<string, string>) => {
    const service = await startService(app, env, 120_000);
    running.add(service);
    return service;
  };
  const kill = async (service: RunningService) => {
    await service.kill();
    running.delete(service);
  };

  before(async () => {
    photos = await datasetPhotos(PHOTOS);
    assert.equal(photos.length, PHOTOS, 'the dev dataset has enough distinct photos');
  });
  after(async () => {
    for (const service of running) await service.kill();
    printTimings();
  });

  describe('embedded (all-in-one, PGlite)', () => {
    let dataDir: string;
    const owner = 'reclaim-embedded';
    const env = () => ({
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      KAFKA_BROKERS: '',
      CLUSTER_INTERVAL_SECONDS: '3600',
      CLUSTER_POLL_INTERVAL_MS: '100',
      WORKER_BATCH_SIZE: '4',
      WORKER_POLL_INTERVAL_MS: '200',
    });

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'facecloud-reclaim-'));
      // Before the service opens the folder: the users, and a library big enough that a run takes a while.
      await provisionUsers({ DATA_DIR: dataDir }, [owner, `${owner}-big`]);
      const database = await openDatabase({ embeddedDir: join(dataDir, 'pglite'), poolMax: 1 });
      try {
        await runMigrations(database.pool);
        await insertSyntheticLibrary(database.pool, { ownerId: `${owner}-big`, facesPerIdentity: longTailedSizes(4000, 300, 2), withPersons: false, seed: 3 });
      } finally {
        await database.close();
      }
    });
    after(() => rm(dataDir, { recursive: true, force: true }));

    test('killed mid-ingest: the photos it was processing are taken over by the restarted process', async () => {
      let service = await start('all-in-one', env());
      const ids = await upload(service.baseUrl!, owner, photos);
      let statuses = new Map<string, string>();
      await waitFor(
        'some photos processed',
        async () => {
          statuses = await photoStatuses(service.baseUrl!, owner, ids);
          const done = [...statuses.values()].filter((status) => status === 'done').length;
          return done >= 4 && [...statuses.values()].includes('processing');
        },
        Date.now(),
      );
      await kill(service);
      const held = ids.filter((id) => statuses.get(id) === 'processing');
      const restartedAt = Date.now();
      service = await start('all-in-one', env());
      const readyMs = Date.now() - restartedAt;
      const reclaimedMs = await waitFor(
        'the held photos done',
        async () => [...(await photoStatuses(service.baseUrl!, owner, held)).values()].every((status) => status === 'done'),
        restartedAt,
      );
      await waitFor('every photo done', async () => [...(await photoStatuses(service.baseUrl!, owner, ids)).values()].every((s) => s === 'done'), restartedAt);
      timings.push({ mode: 'embedded', what: 'ingesting', held: held.length, readyMs, reclaimedMs });
      assert.ok(held.length > 0, 'the kill caught photos in processing');
      assert.ok(reclaimedMs < 60_000, `taken over in ${reclaimedMs} ms, not after the 300 s lease`);
      await service.stop();
      running.delete(service);
    });

    test('killed mid clustering run: the run is queued again and runs after the restart', async () => {
      const big = `${owner}-big`;
      let service = await start('all-in-one', env());
      const queued = await fetch(`${service.baseUrl}/clustering/run`, { method: 'POST', headers: asUser(big) });
      const run = (await queued.json()) as { id: string };
      const runStatus = async (base: string, id: string) =>
        ((await (await fetch(`${base}/clustering/runs/${id}`, { headers: asUser(big) })).json()) as { status: string; error: string | null });
      await waitFor('the run running', async () => {
        const { status } = await runStatus(service.baseUrl!, run.id);
        assert.notEqual(status, 'done', 'the run finished before the kill: the library is too small');
        return status === 'running';
      }, Date.now(), 120_000, 10);
      await kill(service);

      const restartedAt = Date.now();
      service = await start('all-in-one', env());
      const readyMs = Date.now() - restartedAt;
      const lost = await runStatus(service.baseUrl!, run.id);
      assert.equal(lost.status, 'failed', 'the dead process\'s run was given up at start-up');
      assert.match(lost.error ?? '', /queued again/);
      const reclaimedMs = await waitFor(
        'persons from the run queued again',
        async () => {
          const response = await fetch(`${service.baseUrl}/people?limit=1`, { headers: asUser(big) });
          return ((await response.json()) as { people: unknown[] }).people.length > 0;
        },
        restartedAt,
        300_000,
        200,
      );
      timings.push({ mode: 'embedded', what: 'clustering (4,000 faces)', held: 1, readyMs, reclaimedMs });
      assert.ok(reclaimedMs < 300_000);
      await service.stop();
      running.delete(service);
    });
  });

  describe('PostgreSQL (api and worker processes, in-database queue)', () => {
    let database: TestDatabase;
    let pool: Pool;
    let dataDir: string;
    const owner = 'reclaim-postgres';
    let env: Record<string, string>;

    before(async () => {
      database = await createTestDatabase('restart_reclaim');
      pool = new Pool({ connectionString: database.url, max: 2 });
      dataDir = await mkdtemp(join(tmpdir(), 'facecloud-reclaim-pg-'));
      env = {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        KAFKA_BROKERS: '',
        CLUSTER_INTERVAL_SECONDS: '3600',
        WORKER_BATCH_SIZE: '4',
        WORKER_POLL_INTERVAL_MS: '200',
      };
      await runMigrations(pool);
      await provisionUsers({ pool }, [owner]);
    });
    after(async () => {
      await pool?.end();
      await database?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    test('worker killed mid-batch: the restarted worker takes over its claimed jobs at once', async () => {
      const api = await start('api', env);
      let worker = await start('worker', { ...env, MIGRATE_ON_START: 'false' });
      const ids = await upload(api.baseUrl!, owner, photos);
      const claimedBy = async () =>
        (
          await pool.query<{ photo_id: string }>(
            'SELECT photo_id FROM ingest_jobs WHERE photo_id = ANY($1::uuid[]) AND claimed_until > now() AND claim_holder IS NOT NULL',
            [ids],
          )
        ).rows.map((row) => row.photo_id);
      const done = async (only: string[]) =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM photos WHERE id = ANY($1::uuid[]) AND status = 'done'`, [only])).rows[0].n;
      let held: string[] = [];
      await waitFor('a batch claimed after some photos were done', async () => {
        held = await claimedBy();
        return (await done(ids)) >= 4 && held.length > 0;
      }, Date.now());
      await kill(worker);
      held = await claimedBy(); // still claimed, with most of the 300 s lease left
      assert.ok(held.length > 0, 'the dead worker held jobs');

      const restartedAt = Date.now();
      worker = await start('worker', { ...env, MIGRATE_ON_START: 'false' });
      const readyMs = Date.now() - restartedAt;
      const reclaimedMs = await waitFor('the held photos done', async () => (await done(held)) === held.length, restartedAt);
      await waitFor('every photo done', async () => (await done(ids)) === ids.length, restartedAt);
      timings.push({ mode: 'PostgreSQL', what: 'ingesting (worker)', held: held.length, readyMs, reclaimedMs });
      assert.ok(reclaimedMs < 60_000, `taken over in ${reclaimedMs} ms, not after the 300 s lease`);
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM photos WHERE id = ANY($1::uuid[]) AND (status <> 'done' OR process_count <> 1)`,
        [ids],
      );
      assert.equal(rows[0].n, 0, 'every photo done, each committed once');
      await worker.stop();
      await api.stop();
      running.delete(worker);
      running.delete(api);
    });
  });
});
