import { metrics } from '@facecloud/metrics';
import { IngestJobQueue, type ClaimedJob, type Database } from '@facecloud/storage';
import {
  errorMessage,
  runBatch,
  type IngestBatchHandler,
  type IngestJobGiveUp,
  type IngestJobSource,
  type JobResult,
  type RetryPolicy,
} from './ingest-job';
import { Wakeup } from './wakeup';

export interface PostgresJobSourceOptions {
  pollIntervalMs: number;
  /** Jobs claimed and processed together. */
  batchSize: number;
  /**
   * Micro-batches a worker has in flight at once, each claimed, checked, analysed and written
   * by its own loop: while one batch waits on the database, the other keeps the analyzers busy.
   */
  batchesInFlight: number;
  /**
   * A claimed job not finished within this time is handed to another worker even though its
   * holder is alive (stuck). A holder that died loses its jobs at once (see ClaimHolder).
   */
  leaseSeconds: number;
  retry: RetryPolicy;
  onError?: (message: string, error: unknown) => void;
}

/**
 * Workers claim jobs straight from the `ingest_jobs` table. Used by the embedded mode and
 * by deployments without Kafka; several worker processes can share one table. A job row is
 * deleted only after its photo's result is committed, so a crash loses nothing: the dead
 * worker's claims are free as soon as its liveness lock is gone, and the next claim (another
 * worker's, or the restarted process's first) takes them; a live worker's are never taken
 * before their lease runs out.
 */
export class PostgresJobSource implements IngestJobSource {
  readonly name = 'postgres';
  readonly wakeup = new Wakeup();
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly jobs: IngestJobQueue;

  constructor(
    private readonly database: Database,
    private readonly options: PostgresJobSourceOptions,
  ) {
    this.jobs = new IngestJobQueue(database.pool);
  }

  async start(handler: IngestBatchHandler, giveUp: IngestJobGiveUp): Promise<void> {
    this.running = true;
    this.loops = Array.from({ length: Math.max(1, this.options.batchesInFlight) }, () => this.run(handler, giveUp));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    await Promise.all(this.loops);
  }

  private async run(handler: IngestBatchHandler, giveUp: IngestJobGiveUp): Promise<void> {
    while (this.running) {
      let claimed: ClaimedJob[] = [];
      const claiming = metrics.stageSeconds.startTimer({ stage: 'claim' });
      try {
        const holder = await this.database.claims.holderKey();
        claimed = await this.jobs.claim(this.options.batchSize, this.options.leaseSeconds, holder);
      } catch (error) {
        this.options.onError?.('could not claim ingest jobs', error);
      }
      claiming();
      if (claimed.length === 0) {
        const idle = metrics.stageSeconds.startTimer({ stage: 'idle' });
        await this.wakeup.sleep(this.options.pollIntervalMs);
        idle();
        continue;
      }
      const results = await runBatch(handler, claimed);
      for (const [index, job] of claimed.entries()) {
        const completing = metrics.stageSeconds.startTimer({ stage: 'complete' });
        await this.settle(job, results[index], giveUp);
        completing();
      }
    }
  }

  private async settle(job: ClaimedJob, result: JobResult, giveUp: IngestJobGiveUp) {
    try {
      if (result.status === 'done') {
        await this.jobs.complete(job.id);
      } else if (result.status === 'dead' || (result.status === 'retry' && job.attempt >= this.options.retry.maxAttempts)) {
        await giveUp(job, result.error);
        await this.jobs.complete(job.id);
      } else {
        const delay = this.options.retry.backoffMs(job.attempt);
        await this.jobs.retryLater(job.id, delay, errorMessage(result.error));
      }
    } catch (error) {
      // The lease expires and the job comes back: nothing is lost, it is only late.
      this.options.onError?.(`could not record the outcome of job ${job.id}`, error);
    }
  }
}
