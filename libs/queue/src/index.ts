export {
  exponentialBackoff,
  errorMessage,
  encodeIngestMessage,
  ingestMessageKey,
  decodeIngestMessage,
  runBatch,
  type IngestJob,
  type IngestBatchHandler,
  type JobResult,
  type DeadLetterMessage,
  type IngestJobGiveUp,
  type IngestJobSource,
  type IngestMessage,
  type RetryPolicy,
} from './ingest-job';
export { PostgresJobSource, type PostgresJobSourceOptions } from './postgres-job-source';
export { KafkaJobSource, type KafkaJobSourceOptions } from './kafka-job-source';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { Wakeup } from './wakeup';
export { QueueStatsReader, type QueueStats, type PartitionLag } from './queue-stats';
export {
  QueueModule,
  IngestJobNotifier,
  OutboxRelayRunner,
  KAFKA,
  INGEST_JOB_SOURCE,
  OUTBOX_RELAY,
  QUEUE_STATS,
  CONSUMES_INGEST_JOBS,
} from './queue.module';
