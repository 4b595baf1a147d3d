import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import {
  decodeIngestMessage,
  type IngestJobGiveUp,
  type IngestJobHandler,
  type IngestJobSource,
  type RetryPolicy,
} from './ingest-job';

export interface KafkaJobSourceOptions {
  topic: string;
  groupId: string;
  retry: RetryPolicy;
  /** kafkajs consumer timings (maxWaitTimeInMs, sessionTimeout, heartbeatInterval). */
  consumer?: Pick<ConsumerConfig, 'maxWaitTimeInMs' | 'sessionTimeout' | 'heartbeatInterval'>;
  onError?: (message: string, error: unknown) => void;
}

/**
 * Workers form one Kafka consumer group on the ingest topic. A message's offset is only
 * committed after its handler has returned (its database transaction committed), so a
 * crash re-delivers it: at-least-once, made harmless by idempotent processing.
 */
export class KafkaJobSource implements IngestJobSource {
  readonly name = 'kafka';
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaJobSourceOptions,
  ) {}

  async start(handler: IngestJobHandler, giveUp: IngestJobGiveUp): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, ...this.options.consumer });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        let job;
        try {
          job = decodeIngestMessage(message.value);
        } catch (error) {
          // A malformed message can never succeed: skip it rather than block the partition.
          this.options.onError?.(`skipping malformed message at partition ${partition} offset ${message.offset}`, error);
          return;
        }
        const { maxAttempts, backoffMs } = this.options.retry;
        for (let attempt = 1; ; attempt++) {
          try {
            await handler({ ...job, attempt });
            return;
          } catch (error) {
            if (attempt >= maxAttempts) {
              await giveUp({ ...job, attempt }, error);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
          }
        }
      },
    });
  }

  async stop(): Promise<void> {
    // kafkajs finishes the message in progress, commits resolved offsets, then leaves the group.
    await this.consumer?.disconnect();
  }
}
