import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';

const WINDOW_MS = 15 * 60_000;
/** Bound on remembered keys, so a flood of distinct names cannot grow memory without end. */
const MAX_KEYS = 10_000;

/**
 * Counts failed logins per user name and client address in a fixed 15-minute window and
 * refuses further attempts once AUTH_LOGIN_MAX_FAILURES is reached. In-process on purpose:
 * a small map covers the single API process of the embedded default; several API processes
 * each keep their own count, which still bounds guessing per process.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; windowStart: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Seconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfterSeconds(userId: string, address: string, now = Date.now()): number {
    const entry = this.failures.get(this.key(userId, address));
    if (!entry || now - entry.windowStart >= WINDOW_MS) return 0;
    return entry.count >= this.config.AUTH_LOGIN_MAX_FAILURES ? Math.ceil((entry.windowStart + WINDOW_MS - now) / 1000) : 0;
  }

  recordFailure(userId: string, address: string, now = Date.now()): void {
    const key = this.key(userId, address);
    const entry = this.failures.get(key);
    if (entry && now - entry.windowStart < WINDOW_MS) {
      entry.count++;
      return;
    }
    if (this.failures.size >= MAX_KEYS) this.prune(now);
    this.failures.set(key, { count: 1, windowStart: now });
  }

  recordSuccess(userId: string, address: string): void {
    this.failures.delete(this.key(userId, address));
  }

  private key(userId: string, address: string): string {
    return `${address}\u0000${userId.toLowerCase()}`;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.failures) if (now - entry.windowStart >= WINDOW_MS) this.failures.delete(key);
    // Still full: all recent. Drop the oldest half rather than refuse to count new names.
    if (this.failures.size >= MAX_KEYS) {
      const keys = [...this.failures.keys()].slice(0, MAX_KEYS / 2);
      for (const key of keys) this.failures.delete(key);
    }
  }
}
