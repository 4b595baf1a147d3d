import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { metrics } from '@facecloud/metrics';
import { IngestJobQueue, Repositories, openDatabase, runMigrations, type Database } from '@facecloud/storage';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres';
import { mockKafkaConsumerTuning, startMockKafka, type MockKafka } from '../../../tools/support/mock-kafka';
import { exponentialBackoff, type IngestBatchHandler, type IngestJob, type JobResult } from './ingest-job';
import { KafkaJobSource } from './kafka-job-source';
import { OutboxRelay } from './outbox-relay';
import { PostgresJobSource } from './postgres-job-source';

/** The job queue across owners, on this database. */
const queueOf = (database: Database) => new IngestJobQueue(database.pool);

async function enqueuePhotos(database: Database, ownerId: string, count: number): Promise<string[]> {
  const { photos, jobs } = new Repositories().forOwner(database.pool, ownerId);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { photo } = await photos.insertOrFind({
      sha256: randomUUID().replace(/-/g, '').padEnd(64, '0'),
      byteSize: 1,
      contentType: 'image/jpeg',
      originalName: null,
    });
    await jobs.enqueue(photo.id);
    ids.push(photo.id);
  }
  return ids;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fastRetry = (maxAttempts: number) => ({ maxAttempts, backoffMs: () => 10 });

/** A handler that records every job it sees and fails the ones `outcome` says. */
function recordingHandler(seen: IngestJob[], outcome: (job: IngestJob) => JobResult): IngestBatchHandler {
  return async (jobs) => {
    seen.push(...jobs);
    return jobs.map(outcome);
  };
}

describe('Kafka: outbox relay → topic → consumer group (real Kafka-protocol broker)', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  let broker: MockKafka;
  let kafka: Kafka;
  const topic = 'ingest-test';
  const deadLetterTopic = 'ingest-test.dead-letters';

  before(async () => {
    testDatabase = await createTestDatabase('queue');
    database = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 4 });
    await runMigrations(database.pool);
    broker = await startMockKafka({ topics: { [topic]: 3, [deadLetterTopic]: 1 } });
    kafka = new Kafka({ clientId: 'queue-test', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  });
  after(async () => {
    await database?.close();
    await testDatabase?.drop();
    await broker?.stop();
  });

  /** An outbox relay to the test topic and a consumer of it in a group of its own (3 attempts). */
  const relayAndSource = () => ({
    relay: new OutboxRelay(kafka, database.pool, { topic, pollIntervalMs: 50 }),
    source: new KafkaJobSource(kafka, {
      topic,
      groupId: `group-${randomUUID()}`,
      deadLetterTopic,
      batchSize: 4,
      retry: fastRetry(3),
      consumer: mockKafkaConsumerTuning,
    }),
  });

  test('every job is delivered, the outbox is emptied, and a failing job is retried then given up', async () => {
    const { relay, source } = relayAndSource();
    const owners = ['alice', 'bob', 'carol'];
    const expected = (await Promise.all(owners.map((owner) => enqueuePhotos(database, owner, 4)))).flat();
    const poisoned = expected[5];
    const undecodable = expected[9];
    const seen: IngestJob[] = [];
    const givenUp: IngestJob[] = [];
    await source.start(
      recordingHandler(seen, (job) =>
        job.photoId === poisoned
          ? { status: 'retry', error: new Error('model exploded') }
          : job.photoId === undecodable
            ? { status: 'dead', error: new Error('not an image') }
            : { status: 'done' },
      ),
      async (job) => {
        givenUp.push(job);
      },
    );
    await relay.start();
    try {
      await waitUntil(() => new Set(seen.map((job) => job.photoId)).size === expected.length && givenUp.length === 2, 30_000, 'all jobs');
      assert.deepEqual(new Set(seen.map((job) => job.photoId)), new Set(expected));
      assert.equal(seen.filter((job) => job.photoId === poisoned).length, 3, 'failing job tried maxAttempts times');
      assert.equal(seen.filter((job) => job.photoId === undecodable).length, 1, 'a job that can never succeed is not retried');
      assert.deepEqual(
        givenUp.map((job) => [job.photoId, job.attempt]).sort(),
        [[poisoned, 3], [undecodable, 1]].sort(),
      );
      const letters = await readTopic(kafka, deadLetterTopic, 2);
      assert.deepEqual(letters.map((letter) => letter.photoId).sort(), [poisoned, undecodable].sort());
      assert.ok(letters.every((letter) => typeof letter.reason === 'string' && letter.reason.length > 0));
      assert.equal(await queueOf(database).count(), 0, 'outbox emptied');
    } finally {
      await relay.stop();
      await source.stop();
    }
  });

  test("one owner's jobs spread over the partitions; every message of one photo shares a partition", async () => {
    const relay = new OutboxRelay(kafka, database.pool, { topic, pollIntervalMs: 50 });
    const owner = `importer-${randomUUID()}`;
    const ids = await enqueuePhotos(database, owner, 12);
    // The same photos queued again, as `reprocess` does (or as the relay re-publishes a row
    // after a crash between publishing and deleting it).
    const again = ids.slice(0, 4);
    for (const id of again) await new Repositories().forOwner(database.pool, owner).jobs.enqueue(id);
    await relay.start();
    try {
      await waitUntil(async () => (await queueOf(database).count()) === 0, 30_000, 'outbox to drain');
    } finally {
      await relay.stop();
    }
    const isMine = (message: TopicMessage) => message.value.ownerId === owner;
    const mine = (await readTopicMessages(kafka, topic, isMine, ids.length + again.length)).filter(isMine);
    assert.equal(mine.length, ids.length + again.length);
    for (const message of mine) assert.equal(message.key, message.value.photoId, 'keyed by photo id');
    const partitionsOf = (id: string) => new Set(mine.filter((message) => message.value.photoId === id).map((message) => message.partition));
    for (const id of again) assert.equal(partitionsOf(id).size, 1, `both messages of photo ${id} on one partition`);
    // 12 photo ids hashed over 3 partitions: all on one partition has odds of 3 in 3^12.
    const used = new Set(mine.map((message) => message.partition));
    assert.ok(used.size >= 2, `one owner's photos on ${used.size} partition(s)`);
  });

  test('jobs that meet an outage wait for it to end: retried past maxAttempts, attempt not counted, never given up', async () => {
    const { relay, source } = relayAndSource();
    const expected = await enqueuePhotos(database, `outage-${randomUUID()}`, 2);
    const seen: IngestJob[] = [];
    const givenUp: IngestJob[] = [];
    // The database is down for each job's first 5 tries: more than maxAttempts. (Counted per
    // job: the two jobs may sit on different partitions, hence in different batches.)
    const outageTries = 5;
    const tries = (photoId: string) => seen.filter((job) => job.photoId === photoId).length;
    await source.start(
      async (batch) => {
        const mine = batch.filter((job) => expected.includes(job.photoId));
        seen.push(...mine);
        const down = mine.some((job) => tries(job.photoId) <= outageTries);
        return batch.map(() => (down ? { status: 'unavailable', error: new Error('connect ECONNREFUSED') } : { status: 'done' }));
      },
      async (job) => {
        givenUp.push(job);
      },
    );
    await relay.start();
    try {
      // Tried through the outage and once after.
      await waitUntil(() => expected.every((id) => tries(id) > outageTries), 30_000, 'the outage to end');
      assert.deepEqual(givenUp, [], 'nothing given up');
      assert.ok(seen.every((job) => job.attempt === 1), 'an outage counts no attempt');
    } finally {
      await relay.stop();
      await source.stop();
    }
  });

  test('uploads keep queueing while the broker is down; the jobs go out when it is back', async () => {
    const relay = new OutboxRelay(kafka, database.pool, { topic, pollIntervalMs: 100 });
    await relay.start();
    try {
      await broker.brokerDown();
      const waiting = await enqueuePhotos(database, 'dave', 3);
      relay.wakeup.notify();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(await queueOf(database).count(), 3, 'jobs stay in the outbox while the broker is down');
      await broker.brokerUp();
      await waitUntil(async () => (await queueOf(database).count()) === 0, 30_000, 'outbox to drain after recovery');
      assert.equal(waiting.length, 3);
    } finally {
      await relay.stop();
    }
  });
});

/** Reads `count` JSON messages from the start of a topic. */
async function readTopic(kafka: Kafka, topic: string, count: number): Promise<Array<Record<string, unknown>>> {
  return (await readTopicMessages(kafka, topic, () => true, count)).map((message) => message.value);
}

interface TopicMessage {
  partition: number;
  key: string | null;
  value: Record<string, unknown>;
}

/** Reads a topic from the start until `count` of its JSON messages matched `wanted`; returns all read. */
async function readTopicMessages(
  kafka: Kafka,
  topic: string,
  wanted: (message: TopicMessage) => boolean,
  count: number,
): Promise<TopicMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, ...mockKafkaConsumerTuning });
  const messages: TopicMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) =>
      void messages.push({ partition, key: message.key?.toString() ?? null, value: JSON.parse(message.value!.toString()) }),
  });
  try {
    await waitUntil(() => messages.filter(wanted).length >= count, 20_000, `${count} messages on ${topic}`);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

describe('PostgreSQL-table job source: claims of a dead worker are taken over at once (PostgreSQL)', () => {
  let testDatabase: TestDatabase;

  before(async () => {
    testDatabase = await createTestDatabase('queue_claims');
  });
  after(() => testDatabase?.drop());

  /** One worker process's view of the database: a pool and its claim holder. */
  const openWorker = () => openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 2 });

  test("a live worker's claims are never taken; a dead one's are, on the next claim, long before the lease", async () => {
    const first = await openWorker();
    const second = await openWorker();
    try {
      await runMigrations(first.pool);
      const ids = await enqueuePhotos(first, 'frank', 4);
      const lease = 300;
      const ofFirst = await queueOf(first).claim(2, lease, await first.claims.holderKey());
      const ofSecond = await queueOf(second).claim(4, lease, await second.claims.holderKey());
      assert.equal(ofFirst.length, 2);
      assert.deepEqual(ofSecond.map((job) => job.photoId).sort(), ids.filter((id) => !ofFirst.some((job) => job.photoId === id)).sort());
      assert.deepEqual(await queueOf(second).claim(4, lease, await second.claims.holderKey()), [], 'the first worker is alive: its jobs stay');
      assert.equal(await queueOf(second).countHeldByDeadHolders(), 0);

      // The first worker's process ends without settling its jobs: its session, and with it the liveness lock, goes.
      await first.close();
      await waitUntil(async () => (await queueOf(second).countHeldByDeadHolders()) === 2, 5000, 'the server to end the session');
      const takenOver = await queueOf(second).claim(4, lease, await second.claims.holderKey());
      assert.deepEqual(takenOver.map((job) => job.photoId).sort(), ofFirst.map((job) => job.photoId).sort());
      assert.ok(takenOver.every((job) => job.attempt === 2), 'the interrupted delivery counts as an attempt');
    } finally {
      await first.close().catch(() => undefined);
      await second.close();
    }
  });
});

describe('PostgreSQL-table job source (embedded PGlite)', () => {
  let database: Database;

  before(async () => {
    database = await openDatabase({ embeddedDir: 'memory://', poolMax: 1 });
    await runMigrations(database.pool);
  });
  after(() => database.close());

  test('jobs are delivered once; a failing job is retried with back-off and then given up', async () => {
    const [good, bad] = await enqueuePhotos(database, 'erin', 2);
    const source = new PostgresJobSource(database, { pollIntervalMs: 20, batchSize: 8, batchesInFlight: 1, leaseSeconds: 60, retry: fastRetry(3) });
    const attempts = new Map<string, number[]>();
    const givenUp: IngestJob[] = [];
    await source.start(
      async (batch) => {
        for (const job of batch) attempts.set(job.photoId, [...(attempts.get(job.photoId) ?? []), job.attempt]);
        return batch.map((job) => (job.photoId === bad ? { status: 'retry', error: new Error('model exploded') } : { status: 'done' }));
      },
      async (job) => {
        givenUp.push(job);
      },
    );
    try {
      await waitUntil(() => givenUp.length === 1, 10_000, 'the failing job to be given up');
      assert.deepEqual(attempts.get(good), [1]);
      assert.deepEqual(attempts.get(bad), [1, 2, 3]);
      assert.equal(givenUp[0].photoId, bad);
      assert.equal(await queueOf(database).count(), 0);
    } finally {
      await source.stop();
    }
  });

  test('claiming, completing each job and waiting for jobs are timed (facecloud_stage_duration_seconds)', async () => {
    const stage = async (name: string) => {
      const values = (await metrics.stageSeconds.get()).values.filter((value) => value.labels.stage === name);
      const of = (suffix: string) => values.find((value) => value.metricName === `facecloud_stage_duration_seconds_${suffix}`)?.value ?? 0;
      return { count: of('count'), sum: of('sum') };
    };
    const before = { claim: await stage('claim'), complete: await stage('complete'), idle: await stage('idle') };
    await enqueuePhotos(database, 'fern', 3);
    const source = new PostgresJobSource(database, { pollIntervalMs: 20, batchSize: 8, batchesInFlight: 1, leaseSeconds: 60, retry: fastRetry(3) });
    let handled = 0;
    await source.start(
      async (batch) => {
        handled += batch.length;
        return batch.map(() => ({ status: 'done' }) as JobResult);
      },
      async () => undefined,
    );
    try {
      await waitUntil(async () => handled === 3 && (await stage('idle')).count > before.idle.count, 10_000, 'the jobs and an idle wait after them');
    } finally {
      await source.stop();
    }
    assert.equal((await stage('complete')).count - before.complete.count, 3, 'one completion per job');
    const claim = await stage('claim');
    assert.ok(claim.count - before.claim.count >= 2, 'the claim that took the jobs and at least one that found none');
    assert.ok(claim.sum > before.claim.sum);
    assert.ok((await stage('idle')).sum - before.idle.sum >= 0.015, 'an idle wait lasts about the poll interval');
  });

  test('two micro-batches in flight: a second batch is claimed and handled while the first is still being handled', async () => {
    const photoIds = await enqueuePhotos(database, 'gwen', 4);
    const source = new PostgresJobSource(database, { pollIntervalMs: 20, batchSize: 2, batchesInFlight: 2, leaseSeconds: 60, retry: fastRetry(3) });
    let inFlight = 0;
    let mostInFlight = 0;
    const handled: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    await source.start(
      async (batch) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        // The first batch waits until another one has started: with one loop this never happens.
        if (handled.length === 0 && mostInFlight === 1) await Promise.race([firstHeld, delay(5_000)]);
        else releaseFirst();
        handled.push(...batch.map((job) => job.photoId));
        inFlight--;
        return batch.map(() => ({ status: 'done' }) as JobResult);
      },
      async () => undefined,
    );
    try {
      await waitUntil(() => handled.length === 4, 10_000, 'all four jobs');
    } finally {
      await source.stop();
    }
    assert.equal(mostInFlight, 2, 'two batches were handled at once');
    assert.deepEqual([...handled].sort(), [...photoIds].sort(), 'every job once');
    assert.equal(await queueOf(database).count(), 0);
  });

  test('a restart on the same data folder takes over the jobs the previous process held, at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'facecloud-queue-'));
    try {
      let embedded = await openDatabase({ embeddedDir: join(dir, 'pglite'), poolMax: 1 });
      await runMigrations(embedded.pool);
      await enqueuePhotos(embedded, 'gina', 3);
      const held = await queueOf(embedded).claim(3, 300, await embedded.claims.holderKey());
      assert.equal(held.length, 3);
      await embedded.close(); // as a crash would: the jobs are still claimed, with 300 s left on the lease
      embedded = await openDatabase({ embeddedDir: join(dir, 'pglite'), poolMax: 1 });
      try {
        assert.equal(await queueOf(embedded).countHeldByDeadHolders(), 3);
        const again = await queueOf(embedded).claim(3, 300, await embedded.claims.holderKey());
        assert.deepEqual(again.map((job) => job.id), held.map((job) => job.id));
        assert.deepEqual(await queueOf(embedded).claim(3, 300, await embedded.claims.holderKey()), [], 'now held by a live holder');
      } finally {
        await embedded.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('back-off grows exponentially and is capped', () => {
    const policy = exponentialBackoff(5, 100, 1000);
    assert.deepEqual([1, 2, 3, 4, 5].map(policy.backoffMs), [100, 200, 400, 800, 1000]);
  });
});
