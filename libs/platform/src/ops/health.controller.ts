import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { INGEST_JOB_SOURCE, type IngestJobSource } from '@facecloud/queue';
import { ReadinessIndicators } from './readiness';

/**
 * Liveness (the process answers) and readiness (it can do its work) for orchestrators, and
 * the summary at /health. Public: no authentication, no user data.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: ReadinessIndicators,
    /** Absent in the clusterer, which uses no job queue. */
    @Optional() @Inject(INGEST_JOB_SOURCE) private readonly jobSource?: IngestJobSource,
  ) {}

  /** 200 while the process runs; a restart is the only cure when this fails. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** 200 when the database (and, where needed, the broker) answer and the models are loaded; else 503. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.indicators.checkAccepting(),
      () => this.indicators.checkDatabase(),
      () => this.indicators.checkBroker(),
      () => this.indicators.checkModels(),
    ]);
  }

  /** Which database and queue the process uses, and where it runs the models; 503 without a database. */
  @Get()
  async summary() {
    const { database } = (await this.indicators.checkDatabase()) as Record<'database', { status: string; kind: string; message?: string }>;
    if (database.status !== 'up') throw new ServiceUnavailableException(database.message);
    const vision = this.indicators.modelsInfo;
    return { status: 'ok', database: database.kind, ...(this.jobSource && { queue: this.jobSource.name }), ...(vision && { vision }) };
  }
}
