// Shared by the queue tests: a real Redis when there is one, recording handlers and loggers.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { JobContext, JobHandlers, QueueLogger } from '@shipshape/queue';

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when Redis answers PING within a second. */
export async function isRedisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Each test gets its own key prefix on the shared Redis, removed by deleteKeys. */
export function uniquePrefix(): string {
  return `shipshape-test-${randomUUID().slice(0, 8)}`;
}

/** Removes this test's keys only: never FLUSHDB a Redis other things use. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  details: object;
  message: string;
}

export function recordingLogger(): { logger: QueueLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record = (level: LogEntry['level']) => (details: object, message: string) => {
    entries.push({ level, details, message });
  };
  return {
    logger: { info: record('info'), warn: record('warn'), error: record('error') },
    entries,
  };
}

/** Handlers that succeed and do nothing, except those given. */
export function handlers(overrides: Partial<JobHandlers> = {}): JobHandlers {
  const nothing = () => Promise.resolve();
  return { 'process-file': nothing, 'export-data': nothing, cleanup: nothing, ...overrides };
}

/** A handler with nothing to await. What `run` throws becomes a rejection, as in an async handler. */
export function sync<P>(run: (payload: P, context: JobContext) => void) {
  return (payload: P, context: JobContext) =>
    new Promise<void>((resolve) => {
      run(payload, context);
      resolve();
    });
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
