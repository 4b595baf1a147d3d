import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import {
  DATABASE,
  Repositories,
  type ClusteringRun,
  type ClusteringRunRequester,
  type ClusteringRunResult,
  type Database,
} from '@facecloud/storage';
import { ClusteringRunService } from './clustering-run.service';

/**
 * Clustering runs as jobs (table `clustering_runs`): queued by the schedule, the API or an
 * operator, claimed by any clusterer process, one at a time per owner; runs of different
 * owners never wait for each other. Claims work as those of ingest jobs: a lease for this
 * process's claim holder (see ClaimHolder), free at once when the process dies and after
 * CLUSTER_RUN_LEASE_SECONDS when it is stuck.
 */
@Injectable()
export class ClusteringQueueService {
  private readonly logger = new Logger(ClusteringQueueService.name);
  private readonly claimer = `${hostname()}:${process.pid}`;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repositories: Repositories,
    private readonly runner: ClusteringRunService,
  ) {}

  /** The owner's runs, on the pool. */
  private runsOf(ownerId: string) {
    return this.repositories.forOwner(this.database.pool, ownerId).runs;
  }

  /** Runs across owners (claims, the schedule), on the pool. */
  private get queue() {
    return this.repositories.acrossOwners(this.database.pool).runs;
  }

  /** Re-clusters one owner now (queued as a job and run by this process) and returns the result. */
  async clusterOwner(ownerId: string, requestedBy: ClusteringRunRequester = 'admin'): Promise<ClusteringRunResult> {
    const run = await this.runNow(ownerId, requestedBy, this.config.CLUSTER_RUN_WAIT_SECONDS * 1000);
    if (run.status === 'failed') throw new Error(`clustering run ${run.id} failed: ${run.error}`);
    if (run.status !== 'done') throw new Error(`clustering run ${run.id} still ${run.status} after the wait`);
    return { faceCount: run.faceCount ?? 0, personCount: run.personCount ?? 0, noiseCount: run.noiseCount ?? 0 };
  }

  /** Queues a run for the owner (or joins the one already queued); a clusterer takes it. */
  requestRun(ownerId: string, requestedBy: ClusteringRunRequester): Promise<ClusteringRun> {
    return this.runsOf(ownerId).enqueue(requestedBy);
  }

  getRun(ownerId: string, runId: string): Promise<ClusteringRun | undefined> {
    return this.runsOf(ownerId).get(runId);
  }

  /**
   * Queues a run and sees it finished: this process runs it unless a clusterer already took
   * it, or waits while the owner's previous run finishes. Returns the run as it is when it
   * finished or when `timeoutMs` ran out (then still queued or running).
   */
  async runNow(ownerId: string, requestedBy: ClusteringRunRequester, timeoutMs: number): Promise<ClusteringRun> {
    const runs = this.runsOf(ownerId);
    const queued = await runs.enqueue(requestedBy);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const claimed = await this.claim(queued.id);
      if (claimed) return this.runner.execute(claimed);
      const current = await runs.get(queued.id);
      if (!current || current.status === 'done' || current.status === 'failed' || Date.now() >= deadline) {
        return current ?? queued;
      }
      await sleep(Math.min(200, this.config.CLUSTER_POLL_INTERVAL_MS));
    }
  }

  /** Claims and runs queued runs until none is left (or `shouldStop`); returns how many ran. */
  async runQueued(shouldStop: () => boolean = () => false): Promise<number> {
    let count = 0;
    while (!shouldStop()) {
      const run = await this.claim();
      if (!run) break;
      await this.runner.execute(run);
      count++;
    }
    return count;
  }

  /**
   * The schedule: queues a run for every owner whose library changed enough since their last
   * run (or long enough ago). Returns how many were queued.
   */
  async scheduleDueRuns(): Promise<number> {
    await this.requeueLostRuns();
    const owners = await this.queue.ownersDueForRun({
      minNewFaces: this.config.CLUSTER_RUN_MIN_NEW_FACES,
      minNewFraction: this.config.CLUSTER_RUN_MIN_NEW_FRACTION,
      maxDelaySeconds: this.config.CLUSTER_RUN_MAX_DELAY_SECONDS,
    });
    for (const ownerId of owners) await this.runsOf(ownerId).enqueue('schedule');
    return owners.length;
  }

  /** Re-clusters every owner whose faces changed since their last run, now (operators). */
  async clusterChangedOwners(): Promise<number> {
    const owners = await this.queue.ownersNeedingRun();
    for (const ownerId of owners) await this.clusterOwner(ownerId, 'admin');
    return owners.length;
  }

  /**
   * Runs left `running` by a clusterer that died (process gone: at once; stuck: after
   * CLUSTER_RUN_LEASE_SECONDS) are given up and queued again, so their owners' work restarts
   * instead of waiting out the lease. Called before every claim, so a restarted process takes
   * them over on its first pass. Returns how many.
   */
  async requeueLostRuns(): Promise<number> {
    const lost = await this.queue.requeueLost();
    if (lost > 0) this.logger.warn(`${lost} clustering run(s) lost their clusterer; queued again`);
    return lost;
  }

  /** The oldest claimable run (or the given one), leased to this process's claim holder. */
  private async claim(runId?: string): Promise<ClusteringRun | undefined> {
    await this.requeueLostRuns();
    const holder = await this.database.claims.holderKey();
    return this.queue.claim(this.claimer, holder, this.config.CLUSTER_RUN_LEASE_SECONDS, runId);
  }
}
