// Attempt counts in Redis, which every API replica shares. The client is this counter's own,
// with short timeouts and no offline queue: a Redis that is down or frozen makes a call fail
// within a few hundred milliseconds (and the throttle then lets sign-in through) instead of
// holding the request.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  noAttempts,
  type AttemptCount,
  type AttemptCounter,
  type AttemptCounterOptions,
} from './counter';

// INCR and the window's expiry in one step, so a crash between them cannot leave a count that
// never expires.
const hitScript = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }`;

const countScript = `
local count = redis.call('GET', KEYS[1])
if not count then return { 0, 0 } end
return { tonumber(count), redis.call('PTTL', KEYS[1]) }`;

const CONNECT_TIMEOUT_MS = 1_000;

/**
 * Resolves once connected, or after the connect timeout with the client still trying in the
 * background: a Redis that is down at start delays the API by a second, never stops it.
 */
export async function connectRedisAttemptCounter(
  url: string,
  { windowMs, prefix = '' }: AttemptCounterOptions,
): Promise<AttemptCounter> {
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

  const toCount = ([count, ttl]: [number, number]): AttemptCount =>
    count > 0 ? { count, resetsInMs: Math.max(ttl, 0) } : noAttempts;

  return {
    async hit(key) {
      return toCount((await redis.eval(hitScript, 1, prefix + key, windowMs)) as [number, number]);
    },
    async count(key) {
      return toCount((await redis.eval(countScript, 1, prefix + key)) as [number, number]);
    },
    async reset(key) {
      await redis.del(prefix + key);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
