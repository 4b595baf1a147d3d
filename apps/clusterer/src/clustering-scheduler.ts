import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { FaceClusteringService } from '@facecloud/clustering';
import { Wakeup } from '@facecloud/queue';

/** Every CLUSTER_INTERVAL_SECONDS, re-clusters the owners whose faces changed. */
@Injectable()
export class ClusteringScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ClusteringScheduler.name);
  private readonly wakeup = new Wakeup();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly clustering: FaceClusteringService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
    this.logger.log(`clustering changed libraries every ${this.config.CLUSTER_INTERVAL_SECONDS} s`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.wakeup.sleep(this.config.CLUSTER_INTERVAL_SECONDS * 1000);
      if (!this.running) break;
      try {
        await this.clustering.clusterChangedOwners();
      } catch (error) {
        this.logger.error(`clustering run failed: ${(error as Error).message}`);
      }
    }
  }
}
