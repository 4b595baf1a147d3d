/** What a worker needs to process one uploaded photo. */
export interface IngestJob {
  photoId: string;
  ownerId: string;
  /** 1 on the first delivery, counted by the queue. */
  attempt: number;
}

/**
 * Outcome of one job: `retry` = may succeed later (retried with back-off until the attempts
 * run out); `dead` = can never succeed (e.g. an undecodable photo), given up at once;
 * `unavailable` = something every job needs is down (the database): retried with back-off
 * for as long as it takes, without counting an attempt, so an outage fails no photo.
 */
export type JobResult = { status: 'done' } | { status: 'retry' | 'dead' | 'unavailable'; error: unknown };

/**
 * Processes a micro-batch (so the vision pipeline can batch across photos) and returns one
 * result per job, in order. Throwing counts as `retry` for every job of the batch.
 */
export type IngestBatchHandler = (jobs: IngestJob[]) => Promise<JobResult[]>;

/** Called once per job given up on, to record the failure (photo failed, dead letter). */
export type IngestJobGiveUp = (job: IngestJob, error: unknown) => Promise<void>;

/** A stream of ingest jobs that a worker consumes; each adapter decides how delivery works. */
export interface IngestJobSource {
  readonly name: string;
  start(handler: IngestBatchHandler, giveUp: IngestJobGiveUp): Promise<void>;
  /** Stops taking new jobs, waits for the batch in progress and commits it. */
  stop(): Promise<void>;
}

/** Runs the handler, turning a thrown error into `retry` for every job. */
export async function runBatch(handler: IngestBatchHandler, jobs: IngestJob[]): Promise<JobResult[]> {
  try {
    const results = await handler(jobs);
    if (results.length !== jobs.length) throw new Error(`handler returned ${results.length} results for ${jobs.length} jobs`);
    return results;
  } catch (error) {
    return jobs.map(() => ({ status: 'retry', error }));
  }
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

/** Wire format of a job on the Kafka topic (keyed by photo id, see ingestMessageKey). */
export interface IngestMessage {
  photoId: string;
  ownerId: string;
}

/** Payload of the dead-letter topic: the job, how often it was tried, and why it failed. */
export interface DeadLetterMessage extends IngestMessage {
  attempts: number;
  reason: string;
}

/**
 * The Kafka key of a job, which picks its partition: the photo id. One user's photos spread
 * over every partition, so an archive import uses every worker of the group (keyed by owner,
 * it went to one). Their order does not matter: each photo is processed on its own, and
 * clustering is triggered per owner by the stored faces, not by the messages. Every message
 * of one photo (an outbox row published again after a crash, a reprocess) shares the key,
 * hence a partition and a worker, so no two workers process the same photo at once.
 */
export function ingestMessageKey(message: Pick<IngestMessage, 'photoId'>): string {
  return message.photoId;
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
