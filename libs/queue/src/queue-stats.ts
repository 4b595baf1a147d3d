import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { IngestJobQueue } from '@facecloud/storage';

export interface PartitionLag {
  partition: number;
  /** Next offset the group will read (0 when it has committed nothing yet). */
  committed: number;
  /** High watermark: offset of the next message to be written. */
  end: number;
  lag: number;
}

export interface QueueStats {
  queue: 'postgres' | 'kafka';
  /** Jobs written but not yet taken: waiting for a worker (postgres) or for the relay (kafka outbox). */
  pendingJobs: number;
  deadLetters: number;
  /** `lag` is null (with `error`) while the broker cannot be reached. */
  kafka?: { topic: string; group: string; lag: number | null; partitions: PartitionLag[]; error?: string };
}

/** Backlog and consumer lag, for operators and dashboards. */
export class QueueStatsReader {
  private admin: Admin | undefined;
  private readonly jobs: IngestJobQueue;

  constructor(
    pool: Pool,
    private readonly kafka: { client: Kafka; topic: string; group: string } | null,
  ) {
    this.jobs = new IngestJobQueue(pool);
  }

  async read(): Promise<QueueStats> {
    const [pendingJobs, deadLetters] = await Promise.all([this.jobs.count(), this.jobs.countDeadLetters()]);
    if (!this.kafka) return { queue: 'postgres', pendingJobs, deadLetters };
    try {
      return { queue: 'kafka', pendingJobs, deadLetters, kafka: await this.consumerLag() };
    } catch (error) {
      // The backlog is still worth reporting when the broker is down: that is when it grows.
      const { topic, group } = this.kafka;
      const reason = error instanceof Error ? error.message : String(error);
      return { queue: 'kafka', pendingJobs, deadLetters, kafka: { topic, group, lag: null, partitions: [], error: reason } };
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect();
  }

  private async consumerLag(): Promise<NonNullable<QueueStats['kafka']>> {
    const { client, topic, group } = this.kafka!;
    if (!this.admin) {
      // Few retries: a stats request should answer quickly, also while the broker is down.
      this.admin = client.admin({ retry: { retries: 1, initialRetryTime: 100 } });
      await this.admin.connect();
    }
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      this.admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const committedByPartition = new Map(
      (committed.find((entry) => entry.topic === topic)?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]),
    );
    const partitions = ends
      .map(({ partition, high }) => {
        const end = Number(high);
        const next = Math.max(0, committedByPartition.get(partition) ?? 0);
        return { partition, committed: next, end, lag: Math.max(0, end - next) };
      })
      .sort((a, b) => a.partition - b.partition);
    return { topic, group, lag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
  }
}
