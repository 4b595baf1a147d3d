import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { metrics } from '@facecloud/metrics';
import { IngestJobQueue } from '@facecloud/storage';
import { encodeIngestMessage, ingestMessageKey } from './ingest-job';
import { Wakeup } from './wakeup';

export interface OutboxRelayOptions {
  topic: string;
  pollIntervalMs: number;
  batchSize?: number;
  onError?: (message: string, error: unknown) => void;
}

/**
 * Publishes `ingest_jobs` rows to Kafka and deletes them once the broker acknowledged.
 * Uploads only write rows, so they succeed while the broker is down; the jobs go out when
 * it is back. A crash between publish and delete re-publishes: consumers are idempotent.
 */
export class OutboxRelay {
  readonly wakeup = new Wakeup();
  private producer: Producer | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly jobs: IngestJobQueue;

  constructor(
    private readonly kafka: Kafka,
    pool: Pool,
    private readonly options: OutboxRelayOptions,
  ) {
    this.jobs = new IngestJobQueue(pool);
  }

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    await this.loop;
    await this.producer?.disconnect();
  }

  /** Publishes one batch; returns how many jobs went out. */
  async publishBatch(): Promise<number> {
    const batch = await this.jobs.listOldest(this.options.batchSize ?? 100);
    if (batch.length === 0) return 0;
    await this.producer!.send({
      topic: this.options.topic,
      acks: -1,
      messages: batch.map((job) => ({ key: ingestMessageKey(job), value: encodeIngestMessage(job) })),
    });
    await this.jobs.deleteMany(batch.map((job) => job.id));
    metrics.outboxPublished.inc(batch.length);
    return batch.length;
  }

  private async run(): Promise<void> {
    let connected = false;
    while (this.running) {
      try {
        if (!connected) {
          await this.producer!.connect();
          connected = true;
        }
        if ((await this.publishBatch()) > 0) continue;
      } catch (error) {
        this.options.onError?.('outbox relay could not publish; will retry', error);
      }
      await this.wakeup.sleep(this.options.pollIntervalMs);
    }
  }
}
