/** The gate's queue is full: the task was not run. */
export class GateFullError extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} tasks already waiting`);
    this.name = 'GateFullError';
  }
}

/**
 * Runs at most `concurrency` tasks at once, queues up to `maxWaiting` more in arrival order,
 * and refuses the rest at once (GateFullError) instead of letting the queue grow.
 *
 * Hand-written rather than a dependency: it is a counter and a queue. The usual packages
 * queue without bound (p-limit, async-sema) or are ESM-only (p-queue), and the bound on the
 * queue, the point here, would still be ours to write.
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be ≥ 1, got ${concurrency}`);
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError(`maxWaiting must be ≥ 0, got ${maxWaiting}`);
  }

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a turn is free; rejects with GateFullError, without running it, when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new GateFullError(this.waiting.length);
      // The turn is handed over by the finishing task (running stays counted), so no newcomer can jump the queue.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
