import { Redis, type RedisOptions } from 'ioredis';

/** A redis:// URL, or ioredis options. */
export type RedisConnectionOptions = string | RedisOptions;

/**
 * BullMQ is always handed a client built here rather than connection options: its ESM build
 * (what bundlers pick) has no `require` to create an ioredis client with by itself.
 */
export function createRedisClient(
  connection: RedisConnectionOptions,
  overrides: RedisOptions = {},
): Redis {
  return typeof connection === 'string'
    ? new Redis(connection, overrides)
    : new Redis({ ...connection, ...overrides });
}

/** Waits until the client is ready, or `ms` has passed: the caller checks which. */
export function readyWithin(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}

/**
 * Deletes every key that starts with `prefix`, a page at a time (SCAN, never KEYS or FLUSHDB):
 * how tests and throwaway environments remove what they wrote to a Redis others share.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const redis = createRedisClient(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return deleted;
}
