import { Controller, Get, Inject } from '@nestjs/common';
import { QUEUE_STATS, type QueueStats, type QueueStatsReader } from '@facecloud/queue';

@Controller('queue')
export class QueueController {
  constructor(@Inject(QUEUE_STATS) private readonly stats: QueueStatsReader) {}

  /** Ingest backlog: pending jobs (or the Kafka outbox), dead letters and consumer lag. */
  @Get()
  read(): Promise<QueueStats> {
    return this.stats.read();
  }
}
