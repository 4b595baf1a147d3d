import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { DATABASE, type Database } from '@facecloud/storage';
import { exponentialBackoff, type IngestJobSource } from './ingest-job';
import { KafkaJobSource } from './kafka-job-source';
import { OutboxRelay } from './outbox-relay';
import { PostgresJobSource } from './postgres-job-source';
import { QueueStatsReader } from './queue-stats';

export const KAFKA = Symbol('KAFKA');
export const INGEST_JOB_SOURCE = Symbol('INGEST_JOB_SOURCE');
export const OUTBOX_RELAY = Symbol('OUTBOX_RELAY');
export const QUEUE_STATS = Symbol('QUEUE_STATS');

const logger = new Logger('Queue');
const logError = (message: string, error: unknown) =>
  logger.warn(`${message}: ${error instanceof Error ? error.message : String(error)}`);

function createKafka(config: AppConfig): Kafka | null {
  if (!config.KAFKA_BROKERS) return null;
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS.split(',').map((broker) => broker.trim()),
    logLevel: logLevel.WARN,
  });
}

function createJobSource(config: AppConfig, kafka: Kafka | null, database: Database): IngestJobSource {
  const retry = exponentialBackoff(config.INGEST_MAX_ATTEMPTS);
  if (kafka) {
    return new KafkaJobSource(kafka, {
      topic: config.KAFKA_INGEST_TOPIC,
      groupId: config.KAFKA_CONSUMER_GROUP,
      deadLetterTopic: config.KAFKA_DEAD_LETTER_TOPIC,
      batchSize: config.WORKER_BATCH_SIZE,
      retry,
      onAssignment: (partitions) =>
        logger.log(`holding partitions [${partitions.join(', ')}] of ${config.KAFKA_INGEST_TOPIC}`),
      consumer: {
        maxWaitTimeInMs: config.KAFKA_FETCH_MAX_WAIT_MS,
        sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
        heartbeatInterval: config.KAFKA_HEARTBEAT_INTERVAL_MS,
        rebalanceTimeout: config.KAFKA_REBALANCE_TIMEOUT_MS,
      },
      onError: logError,
    });
  }
  return new PostgresJobSource(database, {
    pollIntervalMs: config.WORKER_POLL_INTERVAL_MS,
    batchSize: config.WORKER_BATCH_SIZE,
    batchesInFlight: config.WORKER_BATCHES_IN_FLIGHT,
    leaseSeconds: 300,
    retry,
    onError: logError,
  });
}

/** Tells the local relay or job source that new jobs were written, so they act without polling. */
@Injectable()
export class IngestJobNotifier {
  constructor(
    @Inject(INGEST_JOB_SOURCE) private readonly source: IngestJobSource,
    @Optional() @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay | null,
  ) {}

  jobsEnqueued(): void {
    if (this.relay) this.relay.wakeup.notify();
    else if (this.source instanceof PostgresJobSource) this.source.wakeup.notify();
  }
}

/** Runs the outbox relay in processes that accept uploads (only when Kafka is configured). */
@Injectable()
export class OutboxRelayRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Optional() @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay | null) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.relay) return;
    await this.relay.start();
    logger.log('outbox relay publishing ingest jobs to Kafka');
  }

  /** Before the database closes (that happens in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }
}

@Injectable()
class QueueStatsLifecycle implements BeforeApplicationShutdown {
  constructor(@Inject(QUEUE_STATS) private readonly stats: QueueStatsReader) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.stats.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: KAFKA, inject: [APP_CONFIG], useFactory: createKafka },
    {
      provide: INGEST_JOB_SOURCE,
      inject: [APP_CONFIG, KAFKA, DATABASE],
      useFactory: createJobSource,
    },
    {
      provide: OUTBOX_RELAY,
      inject: [APP_CONFIG, KAFKA, DATABASE],
      useFactory: (config: AppConfig, kafka: Kafka | null, database: Database) =>
        kafka &&
        new OutboxRelay(kafka, database.pool, {
          topic: config.KAFKA_INGEST_TOPIC,
          pollIntervalMs: config.WORKER_POLL_INTERVAL_MS,
          onError: logError,
        }),
    },
    {
      provide: QUEUE_STATS,
      inject: [APP_CONFIG, KAFKA, DATABASE],
      useFactory: (config: AppConfig, kafka: Kafka | null, database: Database) =>
        new QueueStatsReader(
          database.pool,
          kafka && { client: kafka, topic: config.KAFKA_INGEST_TOPIC, group: config.KAFKA_CONSUMER_GROUP },
        ),
    },
    QueueStatsLifecycle,
    IngestJobNotifier,
  ],
  exports: [KAFKA, INGEST_JOB_SOURCE, OUTBOX_RELAY, QUEUE_STATS, IngestJobNotifier],
})
export class QueueModule {}
