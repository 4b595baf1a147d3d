/**
 * Health, metrics and logs of the production shape: API, worker and clusterer as separate
 * processes on PostgreSQL and the Kafka-protocol broker, real models on the fixture photos.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { mockKafkaServiceEnv, startMockKafka, type MockKafka } from '../../tools/support/mock-kafka';
import { fixturesDir, repoRoot } from '../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startService, type RunningService } from '../../tools/support/service-process';
import { metricValue, parsePrometheus } from '../../tools/support/prometheus';

const photos = ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg', 'person-b-2.jpg', 'group-5.jpg', 'no-face.jpg'];
const user = 'ops-user';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The health-and-metrics address a background process logs once it listens on METRICS_PORT. */
function opsUrlOf(service: RunningService): Promise<string> {
  return waitFor('the metrics listener', async () => {
    for (const line of service.logs) {
      const match = /health and metrics on (http:\/\/[\d.]+:\d+)/.exec(line);
      if (match) return match[1];
    }
    return undefined;
  });
}

const scrape = async (baseUrl: string) => {
  const response = await fetch(`${baseUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  return parsePrometheus(await response.text());
};

const jsonLines = (logs: string[]) =>
  logs.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe('operations: health, metrics and logs (api, worker, clusterer processes)', () => {
  let database: TestDatabase;
  let kafka: MockKafka;
  let dataDir: string;
  let api: RunningService;
  let worker: RunningService;
  let clusterer: RunningService;
  let workerUrl: string;
  let clustererUrl: string;
  let env: Record<string, string>;
  const photoIds: string[] = [];

  before(async () => {
    database = await createTestDatabase('ops');
    const topic = 'facecloud.photos.ingest';
    kafka = await startMockKafka({ topics: { [topic]: 2 } });
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-ops-'));
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      ...mockKafkaServiceEnv(kafka),
      KAFKA_INGEST_TOPIC: topic,
      CLUSTER_INTERVAL_SECONDS: '1',
    };
    api = await startService('api', env);
    await provisionUsers({ DATABASE_URL: database.url }, [user]);
    [worker, clusterer] = await Promise.all([
      startService('worker', { ...env, MIGRATE_ON_START: 'false', METRICS_PORT: '0' }),
      startService('clusterer', { ...env, MIGRATE_ON_START: 'false', METRICS_PORT: '0' }),
    ]);
    [workerUrl, clustererUrl] = await Promise.all([opsUrlOf(worker), opsUrlOf(clusterer)]);
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop(), clusterer?.stop()]);
    await kafka?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('liveness and readiness: each process reports the database, the broker and the models it needs', async () => {
    for (const url of [api.baseUrl!, workerUrl, clustererUrl]) {
      const live = await fetch(`${url}/health/live`);
      assert.equal(live.status, 200, url);
      assert.equal(((await live.json()) as { status: string }).status, 'ok');
    }
    type Ready = { status: string; details: Record<string, Record<string, unknown>> };
    const ready = async (url: string) => {
      const response = await fetch(`${url}/health/ready`);
      return { status: response.status, body: (await response.json()) as Ready };
    };
    const apiReady = await ready(api.baseUrl!);
    assert.equal(apiReady.status, 200, JSON.stringify(apiReady.body));
    assert.deepEqual(apiReady.body.details.database, { status: 'up', kind: 'postgres' });
    assert.equal(apiReady.body.details.broker.kind, 'kafka');
    assert.equal(apiReady.body.details.broker.status, 'up');
    assert.equal(apiReady.body.details.models.message, 'this process runs no models');

    const workerReady = await ready(workerUrl);
    assert.equal(workerReady.status, 200, JSON.stringify(workerReady.body));
    assert.deepEqual(workerReady.body.details.models, { status: 'up', executionProvider: 'cpu', embedder: 'mobilefacenet-192-int8' });

    const clustererReady = await ready(clustererUrl);
    assert.equal(clustererReady.status, 200);
    assert.equal(clustererReady.body.details.broker.kind, 'none');

    // The summary at /health keeps its shape.
    const summary = (await (await fetch(`${api.baseUrl}/health`)).json()) as Record<string, unknown>;
    assert.deepEqual(summary, { status: 'ok', database: 'postgres', queue: 'kafka' });
  });

  test('request ids: a given X-Request-Id is echoed and logged; otherwise one is made', async () => {
    const given = await fetch(`${api.baseUrl}/photos`, { headers: { ...asUser(user), 'X-Request-Id': 'ops-test-42' } });
    assert.equal(given.status, 200);
    assert.equal(given.headers.get('x-request-id'), 'ops-test-42');
    const made = await fetch(`${api.baseUrl}/photos`, { headers: asUser(user) });
    const madeId = made.headers.get('x-request-id');
    assert.match(madeId ?? '', /^[0-9a-f-]{36}$/);
    const requestLines = () => jsonLines(api.logs).filter((line) => line.req);
    const idsLogged = await waitFor('request log lines', async () => {
      const ids = requestLines().map((line) => (line.req as { id: string }).id);
      return ids.includes('ops-test-42') && ids.includes(madeId!) ? ids : undefined;
    });
    assert.ok(idsLogged.length >= 2);
    const line = requestLines().find((entry) => (entry.req as { id: string }).id === 'ops-test-42')!;
    assert.equal(line.level, 30);
    assert.deepEqual(line.res, { statusCode: 200 });
  });

  test('photos flow through: upload, processing and clustering metrics count them; worker logs carry photo ids', async () => {
    const form = new FormData();
    for (const name of photos) form.append('file', new Blob([await readFile(join(fixturesDir, 'photos', name))]), name);
    const upload = await fetch(`${api.baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(user) });
    assert.equal(upload.status, 202);
    const uploaded = (await upload.json()) as { photos: Array<{ outcome: string; photoId: string }> };
    photoIds.push(...uploaded.photos.map((photo) => photo.photoId));
    assert.equal(photoIds.length, photos.length);

    let totalFaces = 0;
    for (const id of photoIds) {
      const photo = await waitFor(`photo ${id}`, async () => {
        const body = (await (await fetch(`${api.baseUrl}/photos/${id}`, { headers: asUser(user) })).json()) as {
          status: string;
          faceCount: number;
        };
        return body.status === 'done' || body.status === 'failed' ? body : undefined;
      }, 120_000);
      assert.equal(photo.status, 'done');
      totalFaces += photo.faceCount;
    }
    assert.ok(totalFaces >= 5, `faces found: ${totalFaces}`);

    const apiMetrics = await scrape(api.baseUrl!);
    assert.equal(metricValue(apiMetrics, 'facecloud_uploads_total', { outcome: 'accepted' }), photos.length);
    assert.equal(metricValue(apiMetrics, 'facecloud_http_request_duration_seconds_count', { method: 'POST', route: '/photos', status: '202' }), 1);
    assert.ok((metricValue(apiMetrics, 'facecloud_outbox_published_total') ?? 0) >= photos.length);
    assert.equal(metricValue(apiMetrics, 'facecloud_ingest_pending_jobs'), 0, 'outbox drained');
    assert.equal(metricValue(apiMetrics, 'facecloud_kafka_up', { topic: env.KAFKA_INGEST_TOPIC }), 1);
    assert.equal(metricValue(apiMetrics, 'facecloud_photos_processed_total'), 0, 'the API processes nothing');
    assert.equal(metricValue(apiMetrics, 'facecloud_stage_duration_seconds_count', { stage: 'upload_check' }), photos.length);
    assert.equal(metricValue(apiMetrics, 'facecloud_stage_duration_seconds_count', { stage: 'upload_store' }), photos.length);

    const workerMetrics = await scrape(workerUrl);
    assert.equal(metricValue(workerMetrics, 'facecloud_photos_processed_total'), photos.length);
    assert.equal(metricValue(workerMetrics, 'facecloud_faces_found_total'), totalFaces);
    assert.equal(metricValue(workerMetrics, 'facecloud_stage_duration_seconds_count', { stage: 'store' }), photos.length);
    assert.equal(metricValue(workerMetrics, 'facecloud_stage_duration_seconds_count', { stage: 'load' }), photos.length);
    assert.equal(metricValue(workerMetrics, 'facecloud_stage_duration_seconds_count', { stage: 'check' }), photos.length);
    const batches = metricValue(workerMetrics, 'facecloud_stage_duration_seconds_count', { stage: 'analyze' }) ?? 0;
    assert.ok(batches >= 1 && batches <= photos.length, `analyze batches: ${batches}`);
    assert.equal(metricValue(workerMetrics, 'facecloud_ingest_batch_photos_sum'), photos.length);
    for (const stage of ['decode', 'pnet', 'rnet', 'onet', 'embed']) {
      assert.ok((metricValue(workerMetrics, 'facecloud_vision_stage_duration_seconds_count', { stage }) ?? 0) >= 1, `vision stage ${stage} timed`);
    }
    assert.ok((metricValue(workerMetrics, 'facecloud_stage_duration_seconds_sum', { stage: 'analyze' }) ?? 0) > 0);
    assert.equal(metricValue(workerMetrics, 'facecloud_models_info', { provider: 'cpu', embedder: 'mobilefacenet-192-int8' }), 1);
    const lag = await waitFor('the consumer lag to reach 0', async () => {
      const value = metricValue(await scrape(workerUrl), 'facecloud_kafka_consumer_lag', { topic: env.KAFKA_INGEST_TOPIC });
      return value === 0 ? value : undefined;
    }, 30_000);
    assert.equal(lag, 0);

    const processedLines = jsonLines(worker.logs).filter((line) => typeof line.photoId === 'string' && typeof line.faces === 'number');
    assert.deepEqual(new Set(processedLines.map((line) => line.photoId)), new Set(photoIds));

    const runs = await waitFor('a clustering run', async () => {
      const value = metricValue(await scrape(clustererUrl), 'facecloud_clustering_run_duration_seconds_count', { outcome: 'ok' });
      return value && value >= 1 ? value : undefined;
    }, 30_000);
    assert.ok(runs >= 1);
    assert.ok((metricValue(await scrape(clustererUrl), 'facecloud_clustering_assign_duration_seconds_count') ?? 0) >= 1, 'assignment passes timed');
  });

  test('broker down: the worker is not ready, the API stays ready (uploads go to the outbox)', async () => {
    await kafka.brokerDown();
    try {
      const workerReady = await waitFor('worker readiness to fail', async () => {
        const response = await fetch(`${workerUrl}/health/ready`);
        return response.status === 503 ? ((await response.json()) as { error: Record<string, { message: string }> }) : undefined;
      }, 30_000);
      assert.match(workerReady.error.broker.message, /broker unreachable/);
      const apiReady = await fetch(`${api.baseUrl}/health/ready`);
      assert.equal(apiReady.status, 200);
      const broker = ((await apiReady.json()) as { details: { broker: { message: string; required: boolean } } }).details.broker;
      assert.equal(broker.required, false);
      assert.match(broker.message, /broker unreachable/);
      assert.equal(metricValue(await scrape(api.baseUrl!), 'facecloud_kafka_up', { topic: env.KAFKA_INGEST_TOPIC }), 0);
    } finally {
      await kafka.brokerUp();
    }
    await waitFor('worker readiness to recover', async () => ((await fetch(`${workerUrl}/health/ready`)).status === 200 ? true : undefined), 30_000);
  });

  test('graceful shutdown: on SIGTERM readiness turns 503 for SHUTDOWN_GRACE_MS while requests are still served', async () => {
    const draining = await startService('api', { ...env, MIGRATE_ON_START: 'false', SHUTDOWN_GRACE_MS: '3000' });
    const stopped = draining.stop();
    const body = await waitFor('readiness to turn 503', async () => {
      const response = await fetch(`${draining.baseUrl}/health/ready`).catch(() => undefined);
      return response?.status === 503 ? ((await response.json()) as { error: Record<string, { message: string }> }) : undefined;
    }, 5000);
    assert.equal(body.error.process.message, 'shutting down');
    assert.equal((await fetch(`${draining.baseUrl}/health/live`)).status, 200, 'still serving during the grace period');
    await stopped;
    await assert.rejects(fetch(`${draining.baseUrl}/health/live`), 'the server is closed after the grace period');
    assert.ok(draining.logs.some((line) => line.includes('not ready any more; stopping in 3000 ms')));
  });

  test('a bad setting stops start-up with a message naming each bad value', async () => {
    const run = promisify(execFile);
    await assert.rejects(
      run(process.execPath, [resolve(repoRoot, 'dist/apps/worker/src/main.js')], {
        env: { ...process.env, DATABASE_URL: database.url, METRICS_PORT: '70000', WORKER_BATCH_SIZE: 'lots' },
      }),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, /Invalid configuration/);
        assert.match(error.stderr, /METRICS_PORT \(given "70000"\)/);
        assert.match(error.stderr, /WORKER_BATCH_SIZE \(given "lots"\)/);
        return true;
      },
    );
  });
});
