import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry. One per process (module singleton), so every Nest
 * application in the process (all-in-one, tests) counts into the same metrics and none is
 * registered twice.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'facecloud_' });

/** Seconds buckets from 5 ms to 2 min: one photo's stage up to a large library's clustering run. */
const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Named metric objects: instrumenting a code path is one line, e.g.
 * `metrics.photosProcessed.inc()` or `const done = metrics.stageSeconds.startTimer({ stage: 'store' })`.
 */
export const metrics = {
  uploads: new Counter({
    name: 'facecloud_uploads_total',
    help: 'Files received for upload, by outcome (accepted, duplicate, rejected)',
    labelNames: ['outcome'] as const,
    registers: [metricsRegistry],
  }),
  photosProcessed: new Counter({
    name: 'facecloud_photos_processed_total',
    help: 'Photos whose faces were committed by this worker',
    registers: [metricsRegistry],
  }),
  photosFailed: new Counter({
    name: 'facecloud_photos_failed_total',
    help: 'Photos given up on (marked failed and dead-lettered)',
    registers: [metricsRegistry],
  }),
  facesFound: new Counter({
    name: 'facecloud_faces_found_total',
    help: 'Faces stored, by kind (face, blurry, trash)',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  stageSeconds: new Histogram({
    name: 'facecloud_stage_duration_seconds',
    help:
      'Duration of ingest stages. Uploads, per file: upload_check (name, format and size from the header), upload_store (original to the blob store, photo row and job). ' +
      'Workers: claim (taking a micro-batch of jobs), check (photo row read, original present, marked processing; per photo), load (original from the blob store, per photo), ' +
      'analyze (vision pipeline, per micro-batch), store (faces transaction, per photo), complete (recording a job\'s outcome, per job), idle (waiting for jobs: none to claim); ' +
      'claim, complete and idle with the PostgreSQL job table only',
    labelNames: ['stage'] as const,
    buckets: secondsBuckets,
    registers: [metricsRegistry],
  }),
  visionStageSeconds: new Histogram({
    name: 'facecloud_vision_stage_duration_seconds',
    help: 'Vision pipeline stages (decode, pyramid, pnet, rnet, onet, align, embed, thumbnail, quality), per call: a micro-batch where the stage runs batched',
    labelNames: ['stage'] as const,
    buckets: secondsBuckets,
    registers: [metricsRegistry],
  }),
  batchPhotos: new Histogram({
    name: 'facecloud_ingest_batch_photos',
    help: 'Photos analysed together in one micro-batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [metricsRegistry],
  }),
  outboxPublished: new Counter({
    name: 'facecloud_outbox_published_total',
    help: 'Ingest jobs the outbox relay published to Kafka',
    registers: [metricsRegistry],
  }),
  clusteringRunSeconds: new Histogram({
    name: 'facecloud_clustering_run_duration_seconds',
    help: 'Duration of one library clustering run, by outcome (ok, failed)',
    labelNames: ['outcome'] as const,
    buckets: secondsBuckets,
    registers: [metricsRegistry],
  }),
  clusteringAssignSeconds: new Histogram({
    name: 'facecloud_clustering_assign_duration_seconds',
    help: 'Duration of one pass of incremental assignment (new faces joining existing persons) over the libraries with new faces',
    buckets: secondsBuckets,
    registers: [metricsRegistry],
  }),
  // Gauges below are set at scrape time from the database and the broker (see libs/platform).
  pendingJobs: new Gauge({
    name: 'facecloud_ingest_pending_jobs',
    help: 'Ingest jobs not yet taken: waiting for a worker (PostgreSQL queue) or in the Kafka outbox (backlog)',
    registers: [metricsRegistry],
  }),
  deadLetters: new Gauge({
    name: 'facecloud_ingest_dead_letters',
    help: 'Jobs given up on, recorded in ingest_dead_letters',
    registers: [metricsRegistry],
  }),
  queueLag: new Gauge({
    name: 'facecloud_kafka_consumer_lag',
    help: 'Messages of the ingest topic not yet committed by the worker group, per partition (Kafka only)',
    labelNames: ['topic', 'partition'] as const,
    registers: [metricsRegistry],
  }),
  brokerUp: new Gauge({
    name: 'facecloud_kafka_up',
    help: '1 when the broker answered at the last scrape, 0 when not (Kafka only)',
    labelNames: ['topic'] as const,
    registers: [metricsRegistry],
  }),
  httpRequestSeconds: new Histogram({
    name: 'facecloud_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: secondsBuckets,
    registers: [metricsRegistry],
  }),
  modelsInfo: new Gauge({
    name: 'facecloud_models_info',
    help: '1 for the execution provider and embedder this process runs the models with',
    labelNames: ['provider', 'embedder'] as const,
    registers: [metricsRegistry],
  }),
};
