import { Controller, Get, Header, Inject, Logger, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics, metricsRegistry } from '@facecloud/metrics';
import { QUEUE_STATS, type QueueStatsReader } from '@facecloud/queue';
import { ReadinessIndicators } from './readiness';

/** Bounds how long a scrape waits for the database and broker before answering with the last values. */
const SCRAPE_QUERY_TIMEOUT_MS = 3000;

/**
 * Prometheus metrics of this process. The backlog gauges are read from the database and the
 * broker at scrape time, so every process reports the same cluster-wide values: aggregate
 * them with max(), not sum().
 */
@Controller('metrics')
export class MetricsController {
  private readonly logger = new Logger('Metrics');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly indicators: ReadinessIndicators,
    /** Absent in the clusterer, which uses no job queue. */
    @Optional() @Inject(QUEUE_STATS) private readonly queueStats?: QueueStatsReader,
  ) {}

  @Get()
  @Header('Content-Type', metricsRegistry.contentType)
  async scrape(): Promise<string> {
    await Promise.all([this.refreshBacklog(), this.refreshBroker()]);
    const models = this.indicators.modelsInfo;
    if (models) metrics.modelsInfo.set({ provider: models.executionProvider, embedder: models.embedder }, 1);
    return metricsRegistry.metrics();
  }

  private async refreshBroker(): Promise<void> {
    const reachable = await this.indicators.brokerReachable();
    if (reachable !== undefined) metrics.brokerUp.set({ topic: this.config.KAFKA_INGEST_TOPIC }, reachable ? 1 : 0);
  }

  private async refreshBacklog(): Promise<void> {
    if (!this.queueStats) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const stats = await Promise.race([
        this.queueStats.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${SCRAPE_QUERY_TIMEOUT_MS} ms`)), SCRAPE_QUERY_TIMEOUT_MS);
        }),
      ]);
      metrics.pendingJobs.set(stats.pendingJobs);
      metrics.deadLetters.set(stats.deadLetters);
      const topic = stats.kafka?.topic;
      for (const { partition, lag } of stats.kafka?.partitions ?? []) metrics.queueLag.set({ topic, partition: String(partition) }, lag);
    } catch (error) {
      // Metrics still answer (with the last backlog values) while the database is away.
      this.logger.warn(`could not read the queue backlog: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
