import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { answerWithin, metrics, ReportsReadiness, type ReadinessReport, type ReadinessReporter } from '@facecloud/metrics';
import { errorMessage, type IngestJobSource } from './ingest-job';
import type { QueueStatsReader } from './queue-stats';
import { CONSUMES_INGEST_JOBS, INGEST_JOB_SOURCE, KAFKA, QUEUE_STATS } from './tokens';

/** Bounds how long a health check or scrape waits for the broker or the database. */
const ANSWER_WITHIN_MS = 3000;

/**
 * The job queue's readiness and gauges: whether the broker answers (required only where
 * jobs are consumed; an API without models keeps accepting uploads into the outbox while
 * the broker is down, so there it is reported, not required), and the backlog, read from
 * the database and the broker at scrape time.
 */
@Injectable()
@ReportsReadiness('broker')
export class QueueReadiness implements ReadinessReporter, BeforeApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private admin: Admin | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) private readonly kafka: Kafka | null,
    @Inject(INGEST_JOB_SOURCE) private readonly jobSource: IngestJobSource,
    @Inject(QUEUE_STATS) private readonly stats: QueueStatsReader,
    @Optional() @Inject(CONSUMES_INGEST_JOBS) private readonly consumesJobs?: boolean,
  ) {}

  async readiness(): Promise<ReadinessReport> {
    if (!this.kafka) return { up: true, details: { kind: 'postgres', message: 'no broker: jobs are claimed from PostgreSQL' } };
    const problem = await this.probeBroker();
    if (problem === undefined) return { up: true, details: { kind: 'kafka' } };
    const details = { kind: 'kafka', message: `broker unreachable: ${problem}` };
    return this.consumesJobs ? { up: false, details } : { up: true, details: { ...details, required: false } };
  }

  summary(): Record<string, unknown> {
    return { queue: this.jobSource.name };
  }

  async refreshMetrics(): Promise<void> {
    await Promise.all([this.refreshBacklog(), this.refreshBroker()]);
  }

  private async refreshBroker(): Promise<void> {
    if (this.kafka) metrics.brokerUp.set({ topic: this.config.KAFKA_INGEST_TOPIC }, (await this.probeBroker()) === undefined ? 1 : 0);
  }

  /** Metrics still answer (with the last backlog values) while the database is away. */
  private async refreshBacklog(): Promise<void> {
    try {
      const stats = await answerWithin(ANSWER_WITHIN_MS, this.stats.read());
      metrics.pendingJobs.set(stats.pendingJobs);
      metrics.deadLetters.set(stats.deadLetters);
      const topic = stats.kafka?.topic;
      for (const { partition, lag } of stats.kafka?.partitions ?? []) metrics.queueLag.set({ topic, partition: String(partition) }, lag);
    } catch (error) {
      this.logger.warn(`could not read the queue backlog: ${errorMessage(error)}`);
    }
  }

  /** Asks the broker for its cluster metadata; returns why that failed, or undefined. */
  private async probeBroker(): Promise<string | undefined> {
    try {
      if (!this.admin) {
        // Few retries: a health check must answer quickly, also while the broker is down.
        this.admin = this.kafka!.admin({ retry: { retries: 1, initialRetryTime: 100 } });
        await answerWithin(ANSWER_WITHIN_MS, this.admin.connect());
      }
      await answerWithin(ANSWER_WITHIN_MS, this.admin.describeCluster());
      return undefined;
    } catch (error) {
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      return errorMessage(error);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
