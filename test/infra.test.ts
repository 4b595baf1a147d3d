/**
 * Smoke test of the test infrastructure itself: the PostgreSQL started by
 * `npm test` has pgvector, and the mock Kafka broker works with kafkajs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { toSql } from 'pgvector';
import { mockKafkaConsumerTuning, startMockKafka, type MockKafka } from '../tools/support/mock-kafka';
import { createTestDatabase, testServerUrl, type TestDatabase } from './support/postgres';

/** Polls `condition` every 50 ms until it holds; fails after `timeoutMs`. */
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('PostgreSQL with pgvector', () => {
  let db: TestDatabase;
  let client: Client;

  before(async () => {
    db = await createTestDatabase('infra');
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await db?.drop();
  });

  test('HNSW cosine index answers a kNN query in distance order', async () => {
    await client.query('CREATE TABLE items (id int PRIMARY KEY, embedding vector(3) NOT NULL)');
    const rows: Array<[number, number[]]> = [
      [1, [1, 0, 0]],
      [2, [0.9, 0.1, 0]],
      [3, [0, 1, 0]],
      [4, [0, 0, 1]],
      [5, [-1, 0, 0]],
    ];
    for (const [id, v] of rows) {
      await client.query('INSERT INTO items VALUES ($1, $2)', [id, toSql(v)]);
    }
    await client.query('CREATE INDEX items_embedding_hnsw ON items USING hnsw (embedding vector_cosine_ops)');
    await client.query('SET enable_seqscan = off'); // a 5-row table would not use the index otherwise

    const knn = 'SELECT id FROM items ORDER BY embedding <=> $1 LIMIT 3';
    const query = [toSql([1, 0.05, 0])];
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${knn}`, query);
    assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /items_embedding_hnsw/);

    const result = await client.query<{ id: number }>(knn, query);
    assert.deepEqual(
      result.rows.map((r) => r.id),
      [1, 2, 3],
    );
  });

  test('test databases are separate and drop() removes them', async () => {
    const other = await createTestDatabase('infra');
    assert.notEqual(other.name, db.name);
    await other.drop();
    const admin = new Client({ connectionString: testServerUrl() });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [other.name]);
      assert.equal(rows.length, 0);
    } finally {
      await admin.end();
    }
  });
});

describe('mock Kafka broker with kafkajs', () => {
  const topic = 'infra.events';
  let mock: MockKafka;
  let kafka: Kafka;
  let producer: Producer;

  before(async () => {
    mock = await startMockKafka({ topics: { [topic]: 3 } });
    kafka = new Kafka({ clientId: 'infra-test', brokers: mock.brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await producer?.disconnect();
    await mock?.stop();
  });

  const produce = (values: string[]) =>
    producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: `key-${value}`, value })) });

  /** Starts a group consumer that records messages and commits each one after handling it. */
  async function startConsumer(received: KafkaMessage[]): Promise<Consumer> {
    // A shorter session than the shared tuning: the mock completes the restarted
    // member's rebalance after sessionTimeout - 1 s, and these handlers are instant.
    const consumer = kafka.consumer({ groupId: 'infra-group', ...mockKafkaConsumerTuning, sessionTimeout: 3000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push(message);
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    return consumer;
  }

  test('topic created by the harness has the requested partitions', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(metadata.topics[0].partitions.length, 3);
    } finally {
      await admin.disconnect();
    }
  });

  test('an unknown topic is auto-created with 4 partitions, even without allowAutoTopicCreation', async () => {
    // Documents a trap: the mock speaks Metadata v2, which has no allowAutoTopicCreation flag.
    const strictProducer = kafka.producer({ allowAutoTopicCreation: false });
    const admin = kafka.admin();
    await Promise.all([strictProducer.connect(), admin.connect()]);
    try {
      await strictProducer.send({ topic: 'infra.unplanned', messages: [{ value: 'x' }] });
      const metadata = await admin.fetchTopicMetadata({ topics: ['infra.unplanned'] });
      assert.equal(metadata.topics[0].partitions.length, 4);
    } finally {
      await Promise.all([strictProducer.disconnect(), admin.disconnect()]);
    }
  });

  test('consumer group consumes keyed messages and resumes after the last commit', async () => {
    const first = ['a', 'b', 'c', 'd', 'e', 'f'];
    const sent = await produce(first);
    assert.ok(new Set(sent.map((r) => r.partition)).size > 1, 'keys spread over several partitions');

    const received: KafkaMessage[] = [];
    let consumer = await startConsumer(received);
    await waitFor(() => received.length >= first.length, 15_000, 'the first batch');
    await consumer.disconnect();
    assert.deepEqual(received.map((m) => m.value?.toString()).sort(), first);
    assert.ok(received.every((m) => m.key?.toString() === `key-${m.value?.toString()}`));

    // Produced while no consumer runs: a restarted member must get exactly these.
    const second = ['g', 'h', 'i'];
    await produce(second);
    received.length = 0;
    consumer = await startConsumer(received);
    try {
      await waitFor(() => received.length >= second.length, 15_000, 'the second batch');
      await sleep(300); // anything re-delivered before the commit would show up by now
      assert.deepEqual(received.map((m) => m.value?.toString()).sort(), second);
    } finally {
      await consumer.disconnect();
    }
  });

  test('brokerDown makes sends fail, brokerUp lets retried sends through', async () => {
    // Without retries (kafkajs also retries reconnects at the client level) a send fails at once.
    const strict = new Kafka({ clientId: 'infra-strict', brokers: mock.brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
    await strict.connect();
    try {
      await mock.brokerDown();
      await assert.rejects(strict.send({ topic, messages: [{ value: 'lost' }] }));

      // The default producer retries with backoff: this send completes once the broker is back.
      const pending = producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'after-outage' }] });
      await sleep(500);
      await mock.brokerUp();
      const [result] = await pending;
      assert.equal(result.errorCode, 0);
    } finally {
      await mock.brokerUp();
      await strict.disconnect();
    }
  });
});
