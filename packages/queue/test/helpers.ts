// Shared by the queue tests: the run's Redis when there is one, recording handlers and loggers.
import { inject } from 'vitest';
import type { JobContext, JobHandlers, QueueLogger } from '@shipshape/queue';

// The run's Redis from test/global-setup.ts: undefined when none answered (BullMQ tests skip).
export const redisUrl = inject('redisUrl') ?? '';

/** Retry options for queues under test: a short backoff keeps retries quick. */
export const retry = { attempts: 3, backoffMs: 100 };

let suffix = 0;
/** A key prefix of its own for each test, inside the run's prefix that global teardown removes. */
export function uniquePrefix(): string {
  return `${inject('redisPrefix')}-queue-${process.pid}-${suffix++}`;
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
  return {
    'process-file': nothing,
    'export-data': nothing,
    cleanup: nothing,
    'resume-work': nothing,
    backup: nothing,
    'send-email': nothing,
    'delete-account': nothing,
    ...overrides,
  };
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
