/** What a worker needs to process one uploaded photo. */
export interface IngestJob {
  photoId: string;
  ownerId: string;
  /** 1 on the first delivery, counted by the queue. */
  attempt: number;
}

/** Processes one job; throwing means "try again later" (until the attempts run out). */
export type IngestJobHandler = (job: IngestJob) => Promise<void>;

/** Called once a job has failed on every attempt, to record the failure for the user. */
export type IngestJobGiveUp = (job: IngestJob, error: unknown) => Promise<void>;

/** A stream of ingest jobs that a worker consumes; each adapter decides how delivery works. */
export interface IngestJobSource {
  readonly name: string;
  start(handler: IngestJobHandler, giveUp: IngestJobGiveUp): Promise<void>;
  /** Stops taking new jobs and waits for the one in progress. */
  stop(): Promise<void>;
}

export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before attempt n+1, in milliseconds. */
  backoffMs(attempt: number): number;
}

export function exponentialBackoff(maxAttempts: number, baseMs = 500, capMs = 30_000): RetryPolicy {
  return { maxAttempts, backoffMs: (attempt) => Math.min(capMs, baseMs * 2 ** (attempt - 1)) };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wire format of a job on the Kafka topic (keyed by owner id). */
export interface IngestMessage {
  photoId: string;
  ownerId: string;
}

export function encodeIngestMessage(message: IngestMessage): Buffer {
  return Buffer.from(JSON.stringify({ photoId: message.photoId, ownerId: message.ownerId }));
}

export function decodeIngestMessage(value: Buffer | null): IngestMessage {
  const parsed: unknown = JSON.parse(value?.toString('utf8') ?? 'null');
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as IngestMessage).photoId !== 'string' ||
    typeof (parsed as IngestMessage).ownerId !== 'string'
  ) {
    throw new Error('ingest message must be {"photoId": string, "ownerId": string}');
  }
  return { photoId: (parsed as IngestMessage).photoId, ownerId: (parsed as IngestMessage).ownerId };
}
