import type { Consumer, ConsumerConfig, Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  decodeIngestMessage,
  errorMessage,
  runBatch,
  type DeadLetterMessage,
  type IngestBatchHandler,
  type IngestJob,
  type IngestJobGiveUp,
  type IngestJobSource,
  type RetryPolicy,
} from './ingest-job';

export interface KafkaJobSourceOptions {
  topic: string;
  groupId: string;
  /** Where jobs go once given up on; the partition keeps flowing. */
  deadLetterTopic: string;
  /** Most messages handed to the pipeline at once. */
  batchSize: number;
  retry: RetryPolicy;
  /** kafkajs consumer timings. */
  consumer?: Pick<ConsumerConfig, 'maxWaitTimeInMs' | 'sessionTimeout' | 'heartbeatInterval' | 'rebalanceTimeout'>;
  onError?: (message: string, error: unknown) => void;
  /** Told which partitions this worker holds after each rebalance. */
  onAssignment?: (partitions: number[]) => void;
}

/**
 * Workers form one Kafka consumer group on the ingest topic. Messages are handled in
 * micro-batches; an offset is resolved and committed only after its photo's result is
 * committed to the database, so a crash re-delivers the uncommitted tail: at-least-once,
 * made harmless by idempotent processing. Failing jobs are retried in place with back-off
 * (bounded), then dead-lettered, and the partition moves on.
 */
export class KafkaJobSource implements IngestJobSource {
  readonly name = 'kafka';
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaJobSourceOptions,
  ) {}

  async start(handler: IngestBatchHandler, giveUp: IngestJobGiveUp): Promise<void> {
    this.stopping = false;
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    await this.startConsumer(handler, giveUp);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    // kafkajs stops fetching, lets the batch in progress finish, commits, then leaves the group.
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  private async startConsumer(handler: IngestBatchHandler, giveUp: IngestJobGiveUp): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, ...this.options.consumer });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.options.onAssignment?.([...(payload.memberAssignment[this.options.topic] ?? [])].sort((a, b) => a - b));
    });
    // kafkajs restarts a crashed consumer only after retriable errors; after any other it
    // stays stopped and the worker would sit idle. Replace it with a fresh member instead.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping) return;
      this.options.onError?.('consumer stopped after a non-retriable error; starting a new one in 1 s', payload.error);
      this.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        this.startConsumer(handler, giveUp).catch((error: unknown) => this.options.onError?.('consumer restart failed', error));
      }, 1000);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        for (let start = 0; start < batch.messages.length; start += this.options.batchSize) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(start, start + this.options.batchSize);
          await this.handleChunk(chunk, handler, giveUp, heartbeat);
          for (const message of chunk) resolveOffset(message.offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      },
    });
  }

  private async handleChunk(
    messages: KafkaMessage[],
    handler: IngestBatchHandler,
    giveUp: IngestJobGiveUp,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    let pending: IngestJob[] = [];
    for (const message of messages) {
      try {
        pending.push({ ...decodeIngestMessage(message.value), attempt: 1 });
      } catch (error) {
        // A malformed message can never succeed: park it and keep the partition flowing.
        this.options.onError?.(`dead-lettering malformed message at offset ${message.offset}`, error);
        await this.publishDeadLetter(null, message.value, { attempts: 1, reason: errorMessage(error) });
      }
    }
    const { maxAttempts, backoffMs } = this.options.retry;
    let outageRounds = 0;
    while (pending.length > 0) {
      const results = await runBatch(handler, pending);
      const retry: IngestJob[] = [];
      let unavailable: unknown;
      for (const [index, job] of pending.entries()) {
        const result = results[index];
        if (result.status === 'done') continue;
        if (result.status === 'unavailable') {
          unavailable = result.error;
          retry.push(job);
        } else if (result.status === 'dead' || job.attempt >= maxAttempts) {
          await this.giveUp(job, result.error, giveUp);
        } else {
          retry.push({ ...job, attempt: job.attempt + 1 });
        }
      }
      if (retry.length > 0) {
        // While a dependency is down the chunk waits (longer each round, up to the policy's
        // cap) and stays in the group by heartbeating, then tries again.
        outageRounds = unavailable === undefined ? 0 : outageRounds + 1;
        if (outageRounds === 1) this.options.onError?.('a dependency is unavailable; waiting before trying the batch again', unavailable);
        await this.pause(backoffMs(unavailable === undefined ? retry[0].attempt - 1 : outageRounds), heartbeat);
      }
      pending = retry;
    }
  }

  /** Waits `ms`, heartbeating every second so the group keeps this member's partitions. */
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      await heartbeat();
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, left)));
    }
  }

  private async giveUp(job: IngestJob, error: unknown, giveUp: IngestJobGiveUp): Promise<void> {
    await giveUp(job, error);
    const letter: DeadLetterMessage = {
      photoId: job.photoId,
      ownerId: job.ownerId,
      attempts: job.attempt,
      reason: errorMessage(error),
    };
    await this.publishDeadLetter(job.ownerId, JSON.stringify(letter), letter);
  }

  /** The value is the structured letter, or the original bytes of a message that could not be read. */
  private async publishDeadLetter(
    key: string | null,
    value: string | Buffer | null,
    failure: { attempts: number; reason: string },
  ): Promise<void> {
    await this.producer!.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: [
        { key, value, headers: { 'x-failure-reason': failure.reason, 'x-attempts': String(failure.attempts) } },
      ],
    });
  }
}
