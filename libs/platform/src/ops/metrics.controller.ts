import { Controller, Get, Header } from '@nestjs/common';
import { metricsRegistry } from '@facecloud/metrics';
import { ReadinessReports } from './readiness';

/**
 * Prometheus metrics of this process. The backlog gauges are read from the database and the
 * broker at scrape time, so every process reports the same cluster-wide values: aggregate
 * them with max(), not sum().
 */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly reports: ReadinessReports) {}

  @Get()
  @Header('Content-Type', metricsRegistry.contentType)
  async scrape(): Promise<string> {
    await this.reports.refreshMetrics();
    return metricsRegistry.metrics();
  }
}
