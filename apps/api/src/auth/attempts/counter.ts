// Counts failed attempts per key in a fixed window that opens with the first failure. The
// sign-in throttle is built on it; rate-limiter-flexible's Redis and Postgres stores keep the
// counts (see ADR 030).
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

export interface AttemptCount {
  /** Failures in the open window; 0 when no window is open. */
  count: number;
  /** Milliseconds until the open window closes and the count is forgotten; 0 when none is open. */
  resetsInMs: number;
}

export interface AttemptCounter {
  /** Records one failure and returns the count it makes, opening a window if none is open. */
  hit(key: string): Promise<AttemptCount>;
  count(key: string): Promise<AttemptCount>;
  /** Forgets the key's failures at once. */
  reset(key: string): Promise<void>;
  /** Releases the counter's own connections (not ones it was handed). */
  close(): Promise<void>;
}

export interface AttemptCounterOptions {
  windowMs: number;
  /** Put before every key with a colon, so several apps or test runs can share one store. */
  prefix?: string;
}

export const noAttempts: AttemptCount = { count: 0, resetsInMs: 0 };

/** The limiter's options every store shares: only the window, since the limits are the throttle's. */
export function limiterOptions({ windowMs, prefix = '' }: AttemptCounterOptions) {
  // The limiter refuses past `points` only in consume(), which the counter never calls: the
  // throttle compares each budget's own limit with the count.
  return { points: 1, duration: windowMs / 1000, keyPrefix: prefix };
}

/**
 * A limiter as an AttemptCounter: a failure is a penalty of one point, which opens the window
 * when none is open and never moves it; a read is get(), which sees no expired window.
 */
export function countWith(
  limiter: RateLimiterAbstract,
  close: () => Promise<void> = async () => {},
): AttemptCounter {
  const toCount = (res: RateLimiterRes | null): AttemptCount =>
    res && res.consumedPoints > 0
      ? { count: res.consumedPoints, resetsInMs: Math.max(res.msBeforeNext, 0) }
      : noAttempts;
  return {
    hit: async (key) => toCount(await limiter.penalty(key)),
    count: async (key) => toCount(await limiter.get(key)),
    reset: async (key) => {
      await limiter.delete(key);
    },
    close,
  };
}
