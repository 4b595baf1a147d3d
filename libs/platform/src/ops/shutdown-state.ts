import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';

/**
 * Knows when the process is stopping. Nest runs every module's onModuleDestroy before any
 * shutdown work (workers finishing their batch, the HTTP server closing), so readiness turns
 * 503 first and, with SHUTDOWN_GRACE_MS, stays served that long for load balancers to notice.
 */
@Injectable()
export class ShutdownState implements OnModuleDestroy {
  private readonly logger = new Logger('Shutdown');
  private draining = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get isDraining(): boolean {
    return this.draining;
  }

  async onModuleDestroy(): Promise<void> {
    this.draining = true;
    if (this.config.SHUTDOWN_GRACE_MS > 0) {
      this.logger.log(`not ready any more; stopping in ${this.config.SHUTDOWN_GRACE_MS} ms`);
      await sleep(this.config.SHUTDOWN_GRACE_MS);
    }
  }
}
