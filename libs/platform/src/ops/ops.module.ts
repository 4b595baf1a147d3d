import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ReadinessIndicators } from './readiness';
import { ShutdownState } from './shutdown-state';

/**
 * Health (/health, /health/live, /health/ready) and Prometheus metrics (/metrics) for every
 * process: served on PORT by the api and all-in-one, on METRICS_PORT by worker and clusterer.
 * Needs the global config and storage modules; uses the queue and models where present.
 */
@Module({
  imports: [TerminusModule.forRoot()],
  controllers: [HealthController, MetricsController],
  providers: [ReadinessIndicators, ShutdownState],
})
export class OpsModule {}
