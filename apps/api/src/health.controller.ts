import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { INGEST_JOB_SOURCE, type IngestJobSource } from '@facecloud/queue';
import { DATABASE, type Database } from '@facecloud/storage';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(INGEST_JOB_SOURCE) private readonly jobSource: IngestJobSource,
  ) {}

  @Get()
  async check() {
    try {
      await this.database.pool.query('SELECT 1');
    } catch (error) {
      throw new ServiceUnavailableException(`database unreachable: ${(error as Error).message}`);
    }
    return { status: 'ok', database: this.database.kind, queue: this.jobSource.name };
  }
}
