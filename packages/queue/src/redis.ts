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
