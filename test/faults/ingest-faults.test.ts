import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client, Pool } from 'pg';
import { startService, type RunningService } from '../../tools/support/service-process';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { mockKafkaServiceEnv, startMockKafka, type MockKafka } from '../../tools/support/mock-kafka';
import { datasetsDir, repoRoot, skipWithoutDatasets } from '../../tools/support/paths';
import { startPostgresCluster, type PostgresCluster } from '../../tools/support/postgres-cluster';

/**
 * Fault injection on the production shape (api + worker processes, PostgreSQL, Kafka-protocol
 * broker) over every photo of the dev dataset: the same photos are ingested once cleanly, then
 * once per fault under other owners, and each faulty run must end in exactly the clean state.
 * Long-running: only `npm run test:faults` runs it.
 */

interface Photo {
  name: string;
  bytes: Buffer;
  sha256: string;
}

/** What a clean run stores for one photo, compared field by field. */
interface StoredFace {
  faceIndex: number;
  kind: string;
  box: [number, number, number, number];
}

interface PhotoState {
  id: string;
  sha256: string;
  status: string;
  failure_reason: string | null;
  face_count: number | null;
  process_count: number;
}

const topic = 'facecloud.photos.ingest';
const deadLetterTopic = `${topic}.dead-letters`;
const OWNERS_PER_RUN = 4;
const FILES_PER_REQUEST = 10;
/** Boxes may differ by float rounding when a photo shares its micro-batch with other photos. */
const BOX_TOLERANCE_PX = 0.01;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function listJpegs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.jpe?g$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

describe('ingest under faults (api + worker processes, PostgreSQL, Kafka)', { skip: skipWithoutDatasets }, () => {
  let cluster: PostgresCluster;
  let databaseUrl: string;
  let pool: Pool;
  let broker: MockKafka;
  let dataDir: string;
  let api: RunningService;
  let worker: RunningService;
  let env: Record<string, string>;
  let photos: Photo[] = [];
  /** Faces per photo sha256 from the clean run. */
  let clean: Map<string, StoredFace[]>;

  const startWorker = async () => {
    worker = await startService('worker', { ...env, WORKER_ID: 'faults-worker', MIGRATE_ON_START: 'false' });
  };

  const logs = () =>
    [
      ...api.logs.slice(-10).map((line) => `api: ${line}`),
      ...(worker?.logs.slice(-20).map((line) => `worker: ${line}`) ?? []),
    ].join('\n');

  /** Writes every log line of the api and the worker to test-artifacts/faults/<name>.log; returns the path. */
  const saveLogs = async (name: string): Promise<string> => {
    const dir = join(repoRoot, 'test-artifacts', 'faults');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${name}.log`);
    await writeFile(path, [...api.logs.map((line) => `api: ${line}`), ...(worker?.logs ?? []).map((line) => `worker: ${line}`)].join('\n'));
    return path;
  };

  /** Uploads every photo, spread over `OWNERS_PER_RUN` owners named after the run; returns the photo ids. */
  const uploadAll = async (run: string, list: Photo[] = photos): Promise<string[]> => {
    const ids: string[] = [];
    const byOwner = new Map<string, Photo[]>();
    list.forEach((photo, index) => {
      const owner = `${run}-${index % OWNERS_PER_RUN}`;
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), photo]);
    });
    // One upload stream per owner, as users upload in parallel.
    await Promise.all(
      [...byOwner].map(async ([owner, own]) => {
        for (let start = 0; start < own.length; start += FILES_PER_REQUEST) {
          const form = new FormData();
          for (const photo of own.slice(start, start + FILES_PER_REQUEST)) {
            form.append('file', new Blob([photo.bytes], { type: 'image/jpeg' }), photo.name);
          }
          const response = await fetch(`${api.baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(owner) });
          const body = (await response.json()) as { photos: Array<{ photoId: string; outcome: string }> };
          assert.equal(response.status, 202, JSON.stringify(body));
          for (const result of body.photos) {
            assert.equal(result.outcome, 'accepted', JSON.stringify(result));
            ids.push(result.photoId);
          }
        }
      }),
    );
    return ids;
  };

  const photoStates = async (ids: string[]): Promise<PhotoState[]> =>
    (
      await pool.query<PhotoState>(
        `SELECT id, sha256, status, failure_reason, face_count, process_count FROM photos WHERE id = ANY($1::uuid[])`,
        [ids],
      )
    ).rows;

  const countDone = async (ids: string[]): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM photos WHERE id = ANY($1::uuid[]) AND status = 'done'`, [ids]))
      .rows[0].n;

  const waitSettled = async (ids: string[], timeoutMs = 240_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await photoStates(ids).catch(() => [] as PhotoState[]);
      if (rows.length === ids.length && rows.every((row) => row.status === 'done' || row.status === 'failed')) return;
      if (Date.now() > deadline) {
        const open = rows.filter((row) => row.status !== 'done' && row.status !== 'failed');
        const saved = await saveLogs(`not-settled-${Date.now()}`);
        const about = [...api.logs, ...(worker?.logs ?? [])].filter((line) => open.some((row) => line.includes(row.id)));
        throw new Error(
          `${open.length} of ${ids.length} photo(s) not settled: ${JSON.stringify(open.slice(0, 3))}\n` +
            `log lines naming them:\n${about.join('\n') || '(none)'}\nfull logs: ${saved}\n${logs()}`,
        );
      }
      await sleep(250);
    }
  };

  const waitDone = async (ids: string[], atLeast: number, timeoutMs = 120_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while ((await countDone(ids)) < atLeast) {
      assert.ok(Date.now() < deadline, `fewer than ${atLeast} photos done in time\n${logs()}`);
      await sleep(50);
    }
  };

  /** Stored faces per photo sha256 for the given photos, by face index. */
  const storedFaces = async (ids: string[]): Promise<Map<string, StoredFace[]>> => {
    const { rows } = await pool.query<{
      sha256: string;
      face_index: number | null;
      kind: string | null;
      box_x: number;
      box_y: number;
      box_width: number;
      box_height: number;
    }>(
      `SELECT p.sha256, f.face_index, f.kind, f.box_x, f.box_y, f.box_width, f.box_height
       FROM photos p LEFT JOIN faces f ON f.photo_id = p.id
       WHERE p.id = ANY($1::uuid[]) ORDER BY p.sha256, f.face_index`,
      [ids],
    );
    const faces = new Map<string, StoredFace[]>();
    for (const row of rows) {
      const list = faces.get(row.sha256) ?? [];
      faces.set(row.sha256, list);
      if (row.face_index === null) continue;
      list.push({ faceIndex: row.face_index, kind: row.kind!, box: [row.box_x, row.box_y, row.box_width, row.box_height] });
    }
    return faces;
  };

  /**
   * The run's final state equals the clean run's: every photo done exactly once (no photo
   * stuck in queued/processing, none failed, none stored twice), with the same faces (count,
   * order, kind, box), no pending job and no dead letter.
   */
  const assertEqualsCleanRun = async (ids: string[], what: string) => {
    const rows = await photoStates(ids);
    assert.equal(rows.length, photos.length, `${what}: one photo row per upload`);
    assert.equal(new Set(rows.map((row) => row.sha256)).size, photos.length, `${what}: no photo stored twice`);
    for (const row of rows) {
      assert.equal(row.status, 'done', `${what}: photo ${row.id} is ${row.status} (${row.failure_reason})`);
      assert.equal(row.process_count, 1, `${what}: photo ${row.id} processed ${row.process_count} times`);
    }
    const faces = await storedFaces(ids);
    let maxBoxDiff = 0;
    for (const row of rows) {
      const expected = clean.get(row.sha256)!;
      const actual = faces.get(row.sha256) ?? [];
      assert.equal(row.face_count, expected.length, `${what}: face_count of ${row.sha256}`);
      assert.equal(actual.length, expected.length, `${what}: stored faces of ${row.sha256}`);
      for (const [index, face] of actual.entries()) {
        assert.equal(face.faceIndex, index, `${what}: face indexes of ${row.sha256} are 0..n-1, each once`);
        assert.equal(face.kind, expected[index].kind, `${what}: kind of face ${index} of ${row.sha256}`);
        for (let k = 0; k < 4; k++) maxBoxDiff = Math.max(maxBoxDiff, Math.abs(face.box[k] - expected[index].box[k]));
      }
    }
    assert.ok(maxBoxDiff <= BOX_TOLERANCE_PX, `${what}: boxes differ from the clean run by up to ${maxBoxDiff} px`);
    const { rows: letters } = await pool.query('SELECT photo_id, reason FROM ingest_dead_letters WHERE photo_id = ANY($1::uuid[])', [ids]);
    assert.deepEqual(letters, [], `${what}: no dead letters`);
    const { rows: jobs } = await pool.query('SELECT photo_id FROM ingest_jobs WHERE photo_id = ANY($1::uuid[])', [ids]);
    assert.deepEqual(jobs, [], `${what}: no job left in the outbox`);
  };

  before(async () => {
    const files = await listJpegs(join(datasetsDir, 'dev'));
    photos = await Promise.all(
      files.map(async (file) => {
        const bytes = await readFile(file);
        return { name: relative(datasetsDir, file).replace(/[\\/]/g, '_'), bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
      }),
    );
    // The same bytes twice in the dataset would be one photo (dedupe): keep the first.
    photos = photos.filter((photo, index) => photos.findIndex((other) => other.sha256 === photo.sha256) === index);
    assert.ok(photos.length >= 200, `the dev dataset has ${photos.length} distinct photos; the fault runs need at least 200`);

    // A cluster of its own, as durable as a production server: this file crashes it.
    cluster = await startPostgresCluster({ durable: true });
    const admin = new Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE facecloud_faults');
    await admin.end();
    const url = new URL(cluster.url);
    url.pathname = '/facecloud_faults';
    databaseUrl = url.toString();
    pool = new Pool({ connectionString: databaseUrl, max: 2 });
    // The test's own pool sees the restart too; a dropped idle connection is not an error here.
    pool.on('error', () => undefined);

    broker = await startMockKafka({ topics: { [topic]: 4, [deadLetterTopic]: 1 } });
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-faults-'));
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      ...mockKafkaServiceEnv(broker),
      KAFKA_INGEST_TOPIC: topic,
      KAFKA_DEAD_LETTER_TOPIC: deadLetterTopic,
      WORKER_BATCH_SIZE: '8',
      WORKER_POLL_INTERVAL_MS: '200',
      CLUSTER_INTERVAL_SECONDS: '3600',
    };
    api = await startService('api', env);
    const runs = ['clean', 'killed', 'pgrestart', 'brokerdown'];
    await provisionUsers({ pool }, runs.flatMap((run) => Array.from({ length: OWNERS_PER_RUN }, (_, i) => `${run}-${i}`)));
    await startWorker();
  });

  after(async () => {
    await worker?.stop();
    await api?.stop();
    await pool?.end();
    await broker?.stop();
    await cluster?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('clean run: every photo processed once', async () => {
    const ids = await uploadAll('clean');
    await waitSettled(ids);
    clean = await storedFaces(ids);
    const rows = await photoStates(ids);
    assert.deepEqual(
      rows.filter((row) => row.status !== 'done' || row.process_count !== 1),
      [],
      'every photo done, once',
    );
    const faces = [...clean.values()].reduce((sum, list) => sum + list.length, 0);
    assert.ok(faces >= photos.length / 2, `the dataset's faces were found (${faces} on ${photos.length} photos)`);
    console.log(`clean run: ${photos.length} photos, ${faces} faces`);
  });

  test('worker SIGKILLed mid-batch 10 times: the final state equals the clean run', async () => {
    const ids = await uploadAll('killed');
    const kills = 10;
    // Spread the kills over the run, leaving a tail for the last worker to finish.
    const step = Math.max(2, Math.floor(photos.length / (kills + 4)));
    let processingAtKills = 0;
    for (let kill = 0; kill < kills; kill++) {
      const doneBefore = await countDone(ids);
      await waitDone(ids, doneBefore + step);
      // Kill right after a photo of a micro-batch was stored: the batch's offsets are not
      // committed yet, and the batch's later photos are still in flight.
      const seen = worker.logs.length;
      const deadline = Date.now() + 60_000;
      while (!worker.logs.slice(seen).some((line) => /photo [0-9a-f-]{36}: \d+ face/.test(line))) {
        assert.ok(Date.now() < deadline, `worker stores photos\n${logs()}`);
        await sleep(5);
      }
      await worker.kill();
      const states = await photoStates(ids);
      processingAtKills += states.filter((row) => row.status === 'processing').length;
      assert.ok(states.some((row) => row.status !== 'done'), `kill ${kill + 1} came before the end of the run`);
      await startWorker();
    }
    await waitSettled(ids);
    console.log(`${kills} kills; photos left in 'processing' by the kills: ${processingAtKills}`);
    assert.ok(processingAtKills > 0, 'at least one kill interrupted a photo between processing and done');
    await assertEqualsCleanRun(ids, 'after 10 SIGKILLs');
  });

  test('PostgreSQL restarted during ingest: the worker backs off and resumes; nothing lost', async () => {
    const ids = await uploadAll('pgrestart');
    await waitDone(ids, Math.floor(photos.length / 5));
    await cluster.stopServer();
    await sleep(5000); // down longer than the worker's retry back-off
    await cluster.startServer();
    await waitSettled(ids);
    await assertEqualsCleanRun(ids, 'after a PostgreSQL restart');
    const health = await fetch(`${api.baseUrl}/health`);
    assert.equal(health.status, 200, 'the api is healthy again');
  });

  test('broker down and up during uploads: uploads accepted, all processed after recovery', async () => {
    const third = Math.ceil(photos.length / 3);
    const ids = await uploadAll('brokerdown', photos.slice(0, third));
    await waitDone(ids, 1);
    await broker.brokerDown();
    try {
      // Accepted while the broker is down: the jobs wait in the outbox.
      ids.push(...(await uploadAll('brokerdown', photos.slice(third, 2 * third))));
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_jobs WHERE photo_id = ANY($1::uuid[])', [ids]);
      assert.ok(rows[0].n > 0, 'jobs wait in the outbox while the broker is down');
      await sleep(3000);
    } finally {
      await broker.brokerUp();
    }
    ids.push(...(await uploadAll('brokerdown', photos.slice(2 * third))));
    await waitSettled(ids);
    await assertEqualsCleanRun(ids, 'after the broker was down');
  });
});
