/**
 * A resettable sleep: loops that poll the database sleep on it, and a producer in the same
 * process can wake them at once (so the embedded mode reacts to an upload without waiting
 * for the next poll). A notification with no loop asleep is kept for the next sleep, so
 * one that comes while a loop is busy is not lost; every loop asleep is woken.
 */
export class Wakeup {
  private readonly sleepers = new Set<() => void>();
  private pending = false;

  notify(): void {
    if (this.sleepers.size === 0) {
      this.pending = true;
      return;
    }
    for (const wake of [...this.sleepers]) wake();
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
