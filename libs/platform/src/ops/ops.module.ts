import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ReadinessReports } from './readiness';
import { ShutdownState } from './shutdown-state';

/**
 * Health (/health, /health/live, /health/ready) and Prometheus metrics (/metrics) for every
 * process: served on PORT by the api and all-in-one, on METRICS_PORT by worker and clusterer.
 * Needs the global config module; reports what the process's libraries report (ReadinessReports).
 */
@Module({
  imports: [TerminusModule.forRoot(), DiscoveryModule],
  controllers: [HealthController, MetricsController],
  providers: [ReadinessReports, ShutdownState],
})
export class OpsModule {}
