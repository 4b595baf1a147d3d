import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';

const WINDOW_MS = 15 * 60_000;
/** Bound on remembered keys, so a flood of distinct names or addresses cannot grow memory without end. */
const MAX_KEYS = 10_000;

interface Window {
  count: number;
  windowStart: number;
}

/** One login attempt counted in advance as a failure; say how it ended once the password was checked. */
export interface LoginReservation {
  /** The password matched: the name's count starts again, and the address is not charged. */
  succeeded(): void;
  /** The password was never checked (the server was busy): the attempt is not charged at all. */
  cancelled(): void;
}

export type LoginAdmission =
  | { admitted: true; reservation: LoginReservation }
  | { admitted: false; limitedBy: 'user' | 'address'; retryAfterSeconds: number };

/**
 * Limits failed logins in a fixed 15-minute window, by two counts: per user name and client
 * address (AUTH_LOGIN_MAX_FAILURES) and per client address over all names
 * (AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS), which also covers guesses spread over unknown names.
 *
 * An attempt is counted before its password is checked (`admit`), and given back only when it
 * succeeds or is never checked: so parallel guesses cannot all pass the check while the
 * earlier ones are still hashing. `admit` runs without awaiting anything, so two requests
 * never both see the last free attempt.
 *
 * In-process on purpose: a small map covers the single API process of the embedded default;
 * several API processes each keep their own count, which still bounds guessing per process.
 */
@Injectable()
export class LoginThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Counts one attempt for this name from this address, or says which limit refuses it and for how long. */
  admit(userId: string, address: string, now = Date.now()): LoginAdmission {
    const userKey = `user\u0000${address}\u0000${userId.toLowerCase()}`;
    const addressKey = `address\u0000${address}`;
    const user = this.current(userKey, now);
    const fromAddress = this.current(addressKey, now);
    if (user && user.count >= this.config.AUTH_LOGIN_MAX_FAILURES) {
      return { admitted: false, limitedBy: 'user', retryAfterSeconds: secondsLeft(user, now) };
    }
    if (fromAddress && fromAddress.count >= this.config.AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS) {
      return { admitted: false, limitedBy: 'address', retryAfterSeconds: secondsLeft(fromAddress, now) };
    }
    const userWindow = this.charge(userKey, user, now);
    const addressWindow = this.charge(addressKey, fromAddress, now);
    let settled = false;
    const settle = (resetUser: boolean) => {
      if (settled) return;
      settled = true;
      addressWindow.count = Math.max(0, addressWindow.count - 1);
      // As before reservations: a correct password clears the name's failures from this address.
      if (resetUser && this.windows.get(userKey) === userWindow) this.windows.delete(userKey);
      else userWindow.count = Math.max(0, userWindow.count - 1);
    };
    return { admitted: true, reservation: { succeeded: () => settle(true), cancelled: () => settle(false) } };
  }

  /** The key's window if it is still open. */
  private current(key: string, now: number): Window | undefined {
    const window = this.windows.get(key);
    return window && now - window.windowStart < WINDOW_MS ? window : undefined;
  }

  private charge(key: string, open: Window | undefined, now: number): Window {
    if (open) {
      open.count++;
      return open;
    }
    if (this.windows.size >= MAX_KEYS) this.prune(now);
    const window = { count: 1, windowStart: now };
    this.windows.set(key, window);
    return window;
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (now - window.windowStart >= WINDOW_MS) this.windows.delete(key);
    // Still full: all recent. Drop the oldest half rather than refuse to count new names.
    if (this.windows.size >= MAX_KEYS) {
      const keys = [...this.windows.keys()].slice(0, MAX_KEYS / 2);
      for (const key of keys) this.windows.delete(key);
    }
  }
}

function secondsLeft(window: Window, now: number): number {
  return Math.max(1, Math.ceil((window.windowStart + WINDOW_MS - now) / 1000));
}
