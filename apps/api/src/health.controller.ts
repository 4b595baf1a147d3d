import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { FACE_ANALYZER } from '@facecloud/ingest';
import { INGEST_JOB_SOURCE, type IngestJobSource } from '@facecloud/queue';
import { DATABASE, type Database } from '@facecloud/storage';
import type { FaceAnalyzer } from '@facecloud/vision';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(INGEST_JOB_SOURCE) private readonly jobSource: IngestJobSource,
    /** Present when this process also runs the models (all-in-one); API-only processes have none. */
    @Optional() @Inject(FACE_ANALYZER) private readonly analyzer?: FaceAnalyzer,
  ) {}

  @Get()
  async check() {
    try {
      await this.database.pool.query('SELECT 1');
    } catch (error) {
      throw new ServiceUnavailableException(`database unreachable: ${(error as Error).message}`);
    }
    const vision = this.analyzer && {
      executionProvider: this.analyzer.executionProvider,
      embedder: this.analyzer.embedderName,
    };
    return { status: 'ok', database: this.database.kind, queue: this.jobSource.name, ...(vision && { vision }) };
  }
}
