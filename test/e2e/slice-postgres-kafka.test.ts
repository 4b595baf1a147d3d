import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../support/postgres';
import { mockKafkaServiceEnv, startMockKafka } from '../../tools/support/mock-kafka';
import { provisionUsers } from '../../tools/support/api-users';
import { describeSlice, sliceUploadLimitBytes, sliceUsers } from './slice';
import { startService } from '../../tools/support/service-process';

/**
 * Production shape: PostgreSQL with pgvector, a Kafka-protocol broker, and the API and the
 * worker as separate processes sharing only the database, the blob folder and the topic.
 */
describeSlice('slice, production (api + worker processes, PostgreSQL, Kafka)', async () => {
  const database = await createTestDatabase('slice');
  const topic = 'facecloud.photos.ingest';
  const kafka = await startMockKafka({ topics: { [topic]: 3 } });
  const dataDir = await mkdtemp(join(tmpdir(), 'facecloud-production-'));
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    ...mockKafkaServiceEnv(kafka),
    KAFKA_INGEST_TOPIC: topic,
    CLUSTER_INTERVAL_SECONDS: '3600',
    UPLOAD_MAX_FILE_BYTES: String(sliceUploadLimitBytes),
  };
  // The API migrates the database; the worker starts after it, on the migrated schema.
  const api = await startService('api', env);
  await provisionUsers(env, Object.values(sliceUsers));
  const worker = await startService('worker', { ...env, MIGRATE_ON_START: 'false' });
  if (!worker.logs.some((line) => line.includes('consuming ingest jobs from kafka'))) {
    throw new Error(`worker is not consuming from Kafka:\n${worker.logs.join('\n')}`);
  }
  return {
    baseUrl: api.baseUrl!,
    expected: { database: 'postgres', queue: 'kafka', runsModels: false },
    logs: () => [...api.logs.map((line) => `api: ${line}`), ...worker.logs.map((line) => `worker: ${line}`)],
    teardown: async () => {
      await Promise.all([api.stop(), worker.stop()]);
      await kafka.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
