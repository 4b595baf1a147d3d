import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import sharp from 'sharp';
import { ingestMessageKey } from '@facecloud/queue';
import { FaceAnalyzer } from '@facecloud/vision';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { fixturesDir, modelsDir } from '../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { mockKafkaConsumerTuning, mockKafkaServiceEnv, startMockKafka, type MockKafka } from '../../tools/support/mock-kafka';
import { startService, waitForPartitionsHeld, type RunningService } from '../../tools/support/service-process';

/**
 * Delivery guarantees of the production shape (PostgreSQL, Kafka, separate processes):
 * nothing uploaded is lost, nothing processed twice is stored twice.
 */

interface TestPhoto {
  name: string;
  owner: string;
  bytes: Buffer;
  /** Faces a clean, single run of the pipeline finds on it. */
  expectedFaces: number;
}

interface PhotoEvidence {
  id: string;
  status: string;
  failure_reason: string | null;
  face_count: number | null;
  process_count: number;
  processed_by: string | null;
  stored_faces: number;
}

const topic = 'facecloud.photos.ingest';
const deadLetterTopic = `${topic}.dead-letters`;
const owners = ['ana', 'ben', 'chen', 'dana', 'eli', 'fay', 'gus', 'hana'];

/** Photos made so far: each (source, quality) pair is used once, so the bytes never repeat. */
let photosMade = 0;

/** Distinct photos (distinct bytes) made from the committed fixtures by re-encoding. */
async function makePhotos(count: number, seed: number, analyzer: FaceAnalyzer): Promise<TestPhoto[]> {
  const sources = (await readdir(join(fixturesDir, 'photos'))).filter((name) => name.endsWith('.jpg')).sort();
  const photos: TestPhoto[] = [];
  for (let i = 0; i < count; i++) {
    const serial = photosMade++;
    const source = sources[serial % sources.length];
    const quality = 50 + Math.floor(serial / sources.length);
    const bytes = await sharp(join(fixturesDir, 'photos', source)).jpeg({ quality }).withMetadata({ orientation: 1 }).toBuffer();
    const { faces } = await analyzer.analyze(bytes);
    photos.push({ name: `${seed}-${i}-${source}`, owner: owners[i % owners.length], bytes, expectedFaces: faces.length });
  }
  return photos;
}

describe('delivery guarantees (api + workers, PostgreSQL, Kafka)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let broker: MockKafka;
  let dataDir: string;
  let api: RunningService;
  const workers = new Map<string, RunningService>();
  let analyzer: FaceAnalyzer;
  let env: Record<string, string>;
  const uploaded = new Map<string, TestPhoto>();

  const startWorker = async (id: string) => {
    const worker = await startService('worker', { ...env, WORKER_ID: id, MIGRATE_ON_START: 'false' });
    workers.set(id, worker);
    return worker;
  };

  const uploadAll = async (photos: TestPhoto[]): Promise<string[]> => {
    const ids: string[] = [];
    for (const photo of photos) {
      const form = new FormData();
      form.append('file', new Blob([photo.bytes], { type: 'image/jpeg' }), photo.name);
      const response = await fetch(`${api.baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(photo.owner) });
      const body = (await response.json()) as { photos: Array<{ photoId: string; outcome: string }> };
      assert.equal(response.status, 202, JSON.stringify(body));
      ids.push(body.photos[0].photoId);
      uploaded.set(body.photos[0].photoId, photo);
    }
    return ids;
  };

  const evidence = async (ids: string[]): Promise<PhotoEvidence[]> => {
    const { rows } = await pool.query<PhotoEvidence>(
      `SELECT p.id, p.status, p.failure_reason, p.face_count, p.process_count, p.processed_by,
              (SELECT count(*)::int FROM faces f WHERE f.photo_id = p.id) AS stored_faces
       FROM photos p WHERE p.id = ANY($1::uuid[])`,
      [ids],
    );
    return rows;
  };

  const waitSettled = async (ids: string[], timeoutMs = 120_000): Promise<PhotoEvidence[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await evidence(ids);
      if (rows.length === ids.length && rows.every((row) => row.status === 'done' || row.status === 'failed')) return rows;
      if (Date.now() > deadline) {
        const open = rows.filter((row) => row.status !== 'done' && row.status !== 'failed');
        throw new Error(`${open.length} photo(s) not settled: ${JSON.stringify(open.slice(0, 3))}\n${logs()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  /** Every photo done once, with exactly the faces of a clean run, none stored twice. */
  const assertProcessedOnce = (rows: PhotoEvidence[]) => {
    for (const row of rows) {
      const photo = uploaded.get(row.id)!;
      assert.equal(row.status, 'done', `${photo.name}: ${row.failure_reason}`);
      assert.equal(row.process_count, 1, `${photo.name} processed ${row.process_count} times`);
      assert.equal(row.face_count, photo.expectedFaces, `${photo.name} faces`);
      assert.equal(row.stored_faces, photo.expectedFaces, `${photo.name} stored faces`);
    }
  };

  const logs = () =>
    [api, ...workers.values()]
      .flatMap((service, index) => service.logs.slice(-15).map((line) => `${index === 0 ? 'api' : 'worker'}: ${line}`))
      .join('\n');

  before(async () => {
    database = await createTestDatabase('delivery');
    pool = new Pool({ connectionString: database.url, max: 2 });
    broker = await startMockKafka({ topics: { [topic]: 4, [deadLetterTopic]: 1 } });
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-delivery-'));
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      ...mockKafkaServiceEnv(broker),
      KAFKA_INGEST_TOPIC: topic,
      KAFKA_DEAD_LETTER_TOPIC: deadLetterTopic,
      WORKER_BATCH_SIZE: '4',
      WORKER_POLL_INTERVAL_MS: '200',
      CLUSTER_INTERVAL_SECONDS: '3600',
    };
    api = await startService('api', env);
    await provisionUsers(env, owners);
    analyzer = await FaceAnalyzer.create({
      modelsDir,
      runtime: { provider: 'cpu' },
      decode: { maxSide: 1024, maxInputPixels: 100_000_000 },
    });
  });

  after(async () => {
    await Promise.all([...workers.values()].map((worker) => worker.stop()));
    await api?.stop();
    await analyzer?.close();
    await pool?.end();
    await broker?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Waits until the group has settled with every partition held by one of the workers. */
  const waitForAssignment = (partitions: number) => waitForPartitionsHeld([...workers.values()], partitions, 60_000, logs);

  test('two workers in one consumer group share the partitions; each photo is processed once', async () => {
    // One after the other, as when scaling out: the second join makes the group rebalance.
    // (Two members joining the mock broker's group at the same instant can leave one
    // without partitions until the next rebalance.)
    await startWorker('worker-1');
    await waitForAssignment(4);
    await startWorker('worker-2');
    await waitForAssignment(4);
    const ids = await uploadAll(await makePhotos(24, 1, analyzer));
    const rows = await waitSettled(ids);
    assertProcessedOnce(rows);
    const byWorker = new Set(rows.map((row) => row.processed_by));
    assert.deepEqual([...byWorker].sort(), ['worker-1', 'worker-2'], 'both workers took part');
  });

  test("one user's import is shared by both workers: each processes a fair part, each photo once", async () => {
    // Jobs are keyed by photo, so one user's photos hash over the 4 partitions, 2 per worker.
    // Each worker's share is binomial(40, 1/2): under 1/5 (8) has odds of 4 in 100,000.
    const importer = 'ana';
    const photos = (await makePhotos(40, 6, analyzer)).map((photo) => ({ ...photo, owner: importer }));
    const rows = await waitSettled(await uploadAll(photos));
    assertProcessedOnce(rows);
    const share = (worker: string) => rows.filter((row) => row.processed_by === worker).length;
    const shares = { 'worker-1': share('worker-1'), 'worker-2': share('worker-2') };
    assert.equal(shares['worker-1'] + shares['worker-2'], photos.length, `every photo by one of the two: ${JSON.stringify(shares)}`);
    for (const [worker, count] of Object.entries(shares)) {
      assert.ok(count >= photos.length / 5, `${worker} processed ${count} of ${photos.length} (${JSON.stringify(shares)})`);
    }
  });

  test('a redelivered message stores nothing twice', async () => {
    const ids = [...uploaded.keys()].slice(0, 3);
    const { rows: facesBefore } = await pool.query('SELECT id FROM faces WHERE photo_id = ANY($1::uuid[]) ORDER BY id', [ids]);
    const kafka = new Kafka({ clientId: 'redeliver', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: ids.map((id) => ({ key: ingestMessageKey({ photoId: id }), value: JSON.stringify({ photoId: id, ownerId: uploaded.get(id)!.owner }) })),
    });
    await producer.disconnect();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const stats = (await (await fetch(`${api.baseUrl}/queue`, { headers: asUser(owners[0]) })).json()) as { kafka: { lag: number } };
      if (stats.kafka.lag === 0) break;
      assert.ok(Date.now() < deadline, 'redelivered messages were consumed');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assertProcessedOnce(await evidence(ids));
    const { rows: facesAfter } = await pool.query('SELECT id FROM faces WHERE photo_id = ANY($1::uuid[]) ORDER BY id', [ids]);
    assert.deepEqual(facesAfter, facesBefore, 'the same face rows, untouched');
  });

  test('a worker killed (SIGKILL) mid-batch, twice, loses nothing and duplicates nothing', async () => {
    await workers.get('worker-2')!.stop();
    workers.delete('worker-2');
    const ids = await uploadAll(await makePhotos(24, 2, analyzer));
    for (let kill = 0; kill < 2; kill++) {
      const before = (await evidence(ids)).filter((row) => row.status === 'done').length;
      const deadline = Date.now() + 60_000;
      while ((await evidence(ids)).filter((row) => row.status === 'done').length < before + 2) {
        assert.ok(Date.now() < deadline, 'worker makes progress');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await workers.get('worker-1')!.kill();
      const unfinished = (await evidence(ids)).filter((row) => row.status !== 'done').length;
      assert.ok(unfinished > 0, 'killed in the middle of the run');
      await startWorker('worker-1');
    }
    assertProcessedOnce(await waitSettled(ids));
  });

  test('SIGTERM mid-run: the worker finishes its batch, commits and leaves nothing half-done', async () => {
    const ids = await uploadAll(await makePhotos(12, 5, analyzer));
    const deadline = Date.now() + 60_000;
    while ((await evidence(ids)).filter((row) => row.status === 'done').length < 2) {
      assert.ok(Date.now() < deadline, 'worker makes progress');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await workers.get('worker-1')!.stop();
    const afterStop = await evidence(ids);
    assert.deepEqual(afterStop.filter((row) => row.status === 'processing'), [], 'no photo left half-processed');
    assert.ok(afterStop.some((row) => row.status === 'queued'), 'stopped in the middle of the run');
    assert.ok(
      workers.get('worker-1')!.logs.every((line) => !/"level":(50|60)/.test(line)),
      'no error logged while shutting down',
    );
    await startWorker('worker-1');
    assertProcessedOnce(await waitSettled(ids));
  });

  test('uploads succeed while the broker is down; the photos are processed once it is back', async () => {
    const photos = await makePhotos(4, 3, analyzer);
    await broker.brokerDown();
    let ids: string[];
    try {
      ids = await uploadAll(photos);
      const stats = (await (await fetch(`${api.baseUrl}/queue`, { headers: asUser(owners[0]) })).json()) as { pendingJobs: number; kafka: { lag: number | null } };
      assert.equal(stats.pendingJobs, 4, 'jobs wait in the outbox');
      assert.equal(stats.kafka.lag, null, 'lag is unknown while the broker is down');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      await broker.brokerUp();
    }
    assertProcessedOnce(await waitSettled(ids));
  });

  test('a poison photo is failed with its reason and dead-lettered; later photos still flow', async () => {
    // Uploads are decoded before they are accepted, so a corrupt file never reaches a worker
    // that way. What does is an original damaged in the blob store (disk or copy fault): plant
    // half of the photo's bytes at its content address, then upload the intact photo, which
    // passes the checks and finds its blob already there.
    const [photo] = await makePhotos(1, 9, analyzer);
    const sha256 = createHash('sha256').update(photo.bytes).digest('hex');
    const blobPath = join(dataDir, 'blobs', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    await mkdir(dirname(blobPath), { recursive: true });
    await writeFile(blobPath, photo.bytes.subarray(0, Math.floor(photo.bytes.length / 2)));
    const [poisonId] = await uploadAll([{ ...photo, name: 'damaged-original.jpg', expectedFaces: 0 }]);
    const followers = await uploadAll(await makePhotos(3, 4, analyzer));
    const [poison] = await waitSettled([poisonId]);
    assert.equal(poison.status, 'failed');
    assert.ok(poison.failure_reason && poison.failure_reason.length > 0, 'failure reason recorded');
    const { rows: letters } = await pool.query('SELECT attempts, reason FROM ingest_dead_letters WHERE photo_id = $1', [poisonId]);
    assert.equal(letters.length, 1);
    assertProcessedOnce(await waitSettled(followers));

    const kafka = new Kafka({ clientId: 'dead-letter-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'dead-letter-reader', ...mockKafkaConsumerTuning });
    const deadLetters: Array<{ photoId: string; reason: string }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void deadLetters.push(JSON.parse(message.value!.toString())) });
    const deadline = Date.now() + 20_000;
    while (!deadLetters.some((letter) => letter.photoId === poisonId) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await consumer.disconnect();
    assert.ok(deadLetters.some((letter) => letter.photoId === poisonId && letter.reason.length > 0), 'on the dead-letter topic');
  });
});
