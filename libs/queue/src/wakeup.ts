/**
 * A resettable sleep: loops that poll the database sleep on it, and a producer in the same
 * process can wake them at once (so the embedded mode reacts to an upload without waiting
 * for the next poll).
 */
export class Wakeup {
  private wake: (() => void) | undefined;
  private pending = false;

  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
