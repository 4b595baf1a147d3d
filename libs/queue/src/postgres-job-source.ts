import type { Pool } from 'pg';
import { IngestJobRepository, type ClaimedJob } from '@facecloud/storage';
import {
  errorMessage,
  type IngestJobGiveUp,
  type IngestJobHandler,
  type IngestJobSource,
  type RetryPolicy,
} from './ingest-job';
import { Wakeup } from './wakeup';

export interface PostgresJobSourceOptions {
  pollIntervalMs: number;
  /** A claimed job not finished within this time is handed to another worker. */
  leaseSeconds: number;
  retry: RetryPolicy;
  onError?: (message: string, error: unknown) => void;
}

/**
 * Workers claim jobs straight from the `ingest_jobs` table. Used by the embedded mode and
 * by deployments without Kafka; several worker processes can share one table.
 */
export class PostgresJobSource implements IngestJobSource {
  readonly name = 'postgres';
  readonly wakeup = new Wakeup();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly jobs: IngestJobRepository,
    private readonly options: PostgresJobSourceOptions,
  ) {}

  async start(handler: IngestJobHandler, giveUp: IngestJobGiveUp): Promise<void> {
    this.running = true;
    this.loop = this.run(handler, giveUp);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    await this.loop;
  }

  private async run(handler: IngestJobHandler, giveUp: IngestJobGiveUp): Promise<void> {
    while (this.running) {
      let claimed: ClaimedJob[] = [];
      try {
        claimed = await this.jobs.claim(this.pool, 1, this.options.leaseSeconds);
      } catch (error) {
        this.options.onError?.('could not claim ingest jobs', error);
      }
      if (claimed.length === 0) {
        await this.wakeup.sleep(this.options.pollIntervalMs);
        continue;
      }
      for (const job of claimed) await this.deliver(job, handler, giveUp);
    }
  }

  private async deliver(job: ClaimedJob, handler: IngestJobHandler, giveUp: IngestJobGiveUp) {
    try {
      await handler(job);
      await this.jobs.complete(this.pool, job.id);
    } catch (error) {
      try {
        if (job.attempt >= this.options.retry.maxAttempts) {
          await giveUp(job, error);
          await this.jobs.complete(this.pool, job.id);
        } else {
          await this.jobs.retryLater(this.pool, job.id, this.options.retry.backoffMs(job.attempt), errorMessage(error));
        }
      } catch (bookkeepingError) {
        // The lease expires and the job comes back: nothing is lost, it is only late.
        this.options.onError?.(`could not record the outcome of job ${job.id}`, bookkeepingError);
      }
    }
  }
}
