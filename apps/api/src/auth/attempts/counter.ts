// Counts failed attempts per key in a fixed window that opens with the first failure. The
// sign-in throttle is built on it; Redis and Postgres implement it (see ADR 015).

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
  /** Put before every key, so several apps or test runs can share one store. */
  prefix?: string;
}

export const noAttempts: AttemptCount = { count: 0, resetsInMs: 0 };
