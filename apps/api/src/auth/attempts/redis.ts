// Attempt counts in Redis, which every API replica shares, kept by rate-limiter-flexible's Redis
// store on a client of our own: short timeouts and no offline queue, so a Redis that is down or
// frozen makes a call fail within a few hundred milliseconds (and the throttle then lets sign-in
// through) instead of holding the request.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import {
  countWith,
  limiterOptions,
  type AttemptCounter,
  type AttemptCounterOptions,
} from './counter';

const CONNECT_TIMEOUT_MS = 1_000;

/**
 * Resolves once connected, or after the connect timeout with the client still trying in the
 * background: a Redis that is down at start delays the API by a second, never stops it.
 */
export async function connectRedisAttemptCounter(
  url: string,
  options: AttemptCounterOptions,
): Promise<AttemptCounter> {
  // The store sets a window's expiry in whole seconds (EX), so a shorter window would never end.
  if (options.windowMs % 1000 !== 0) {
    throw new Error(
      `The Redis attempt counter needs a window of whole seconds, not ${options.windowMs} ms.`,
    );
  }
  const redis = new Redis(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: 500,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Keep reconnecting in the background, at most every 2 s, for as long as the process lives.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  // Failures reach the caller as rejected commands, which the throttle logs; the client's own
  // error events would otherwise print a line per reconnection attempt.
  redis.on('error', () => {});
  const waiting = new AbortController();
  await Promise.race([
    once(redis, 'ready', { signal: waiting.signal }),
    sleep(CONNECT_TIMEOUT_MS, undefined, { signal: waiting.signal }),
  ]).catch(() => {});
  waiting.abort();

  const limiter = new RateLimiterRedis({
    ...limiterOptions(options),
    storeClient: redis,
    // While the client is reconnecting, fail at once rather than send a command.
    rejectIfRedisNotReady: true,
  });
  return countWith(limiter, async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
}
