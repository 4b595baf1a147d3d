export const KAFKA = Symbol('KAFKA');
export const INGEST_JOB_SOURCE = Symbol('INGEST_JOB_SOURCE');
export const OUTBOX_RELAY = Symbol('OUTBOX_RELAY');
export const QUEUE_STATS = Symbol('QUEUE_STATS');
/**
 * Provided (true) by the module that consumes ingest jobs (the worker's): such a process
 * cannot work while the broker is away, one that only enqueues keeps filling the outbox.
 */
export const CONSUMES_INGEST_JOBS = Symbol('CONSUMES_INGEST_JOBS');
