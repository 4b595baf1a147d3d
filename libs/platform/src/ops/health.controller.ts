import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { ReadinessReports } from './readiness';

/**
 * Liveness (the process answers) and readiness (it can do its work) for orchestrators, and
 * the summary at /health. Public: no authentication, no user data.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly reports: ReadinessReports,
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
    return this.health.check(this.reports.checks());
  }

  /** Which database and queue the process uses, and where it runs the models; 503 without a database. */
  @Get()
  async summary() {
    let facts: Record<string, unknown>;
    try {
      facts = await this.reports.summary();
    } catch (error) {
      throw new ServiceUnavailableException((error as Error).message);
    }
    return { status: 'ok', ...facts };
  }
}
