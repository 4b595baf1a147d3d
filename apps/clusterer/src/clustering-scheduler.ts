import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { ClusteringQueueService, IncrementalAssignmentService } from '@facecloud/clustering';
import { Wakeup } from '@facecloud/queue';

/**
 * The clusterer's loop. Every CLUSTER_POLL_INTERVAL_MS: new faces join existing persons
 * (incremental assignment) and queued runs are claimed and run; every
 * CLUSTER_INTERVAL_SECONDS the schedule queues runs for libraries that changed enough. Any
 * number of clusterer processes can run this loop side by side.
 */
@Injectable()
export class ClusteringScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ClusteringScheduler.name);
  private readonly wakeup = new Wakeup();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly runs: ClusteringQueueService,
    private readonly assignment: IncrementalAssignmentService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
    this.logger.log(
      `clustering changed libraries every ${this.config.CLUSTER_INTERVAL_SECONDS} s; ` +
        `assigning new faces and taking queued runs every ${this.config.CLUSTER_POLL_INTERVAL_MS} ms`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    let nextSchedule = Date.now() + this.config.CLUSTER_INTERVAL_SECONDS * 1000;
    // The first pass right away: runs a dead clusterer (this process before a crash, say) left
    // behind are queued again and taken now, not after a poll interval.
    for (let first = true; this.running; first = false) {
      if (!first) await this.wakeup.sleep(this.config.CLUSTER_POLL_INTERVAL_MS);
      if (!this.running) break;
      if (Date.now() >= nextSchedule) {
        nextSchedule = Date.now() + this.config.CLUSTER_INTERVAL_SECONDS * 1000;
        await this.step('scheduling runs', () => this.runs.scheduleDueRuns());
      }
      await this.step('assigning new faces', () => this.assignment.assignPendingFaces());
      await this.step('running queued runs', () => this.runs.runQueued(() => !this.running));
    }
  }

  private async step(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.error(`${what} failed: ${(error as Error).message}`);
    }
  }
}
