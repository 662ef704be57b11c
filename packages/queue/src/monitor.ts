// The job queue as a monitor sees it, through BullMQ's own API: how many jobs are in each state
// (Queue#getJobCounts) and how long each attempt ran (QueueEvents). Both describe the one queue
// every process shares; the API turns them into Prometheus metrics (ADR 027).
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents } from 'bullmq';
import { QUEUE_NAME } from './bullmq-queue';
import { isJobName, type JobName } from './jobs';
import { createRedisClient, readyWithin, type RedisConnectionOptions } from './redis';

// A reading must come back even when Redis does not: a stopped Redis fails at once (no offline
// queue), a frozen one after this long.
const READ_TIMEOUT_MS = 1_000;
// Jobs followed at once (started, or added with a name). Past this the oldest are forgotten:
// a job whose end was never seen must not keep memory for ever.
const MAX_TRACKED_JOBS = 10_000;
const RETRY_START_MS = 1_000;

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type JobCounts = Record<(typeof JOB_STATES)[number], number>;

export interface JobAttempt {
  name: JobName | 'unknown';
  outcome: 'completed' | 'failed' | 'retried';
  seconds: number;
}

export interface QueueMonitorOptions {
  connection: RedisConnectionOptions;
  /** REDIS_PREFIX: the queue's keys start with it. */
  prefix: string;
  /** Called as each job attempt ends; attempts that started before the monitor are not. */
  onAttempt: (attempt: JobAttempt) => void;
}

export interface QueueMonitor {
  /**
   * The jobs in each state now, or undefined when Redis cannot say. Calls made while a reading
   * is under way share it.
   */
  counts(): Promise<JobCounts | undefined>;
  /** Resolves once following has a starting point: every job added from then on is reported. */
  following: Promise<void>;
  close(): Promise<void>;
}

export function monitorQueue({ connection, prefix, onAttempt }: QueueMonitorOptions): QueueMonitor {
  const redis = createRedisClient(connection, {
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: READ_TIMEOUT_MS,
  });
  // A failed reading is reported as none; without listeners each error would be printed.
  redis.on('error', () => undefined);
  const queue = new Queue(QUEUE_NAME, {
    connection: redis,
    prefix,
    // Readings fail at once while Redis is away instead of waiting for it. The producer checks
    // the Redis version (bullmq-queue.ts); a check that failed here would break every reading.
    skipWaitingForReady: true,
    skipVersionCheck: true,
  });
  queue.on('error', () => undefined);

  async function readCounts(): Promise<JobCounts | undefined> {
    try {
      // A process just started may be asked before its first connection is up: that one is
      // waited for. A connection lost since is not: the answer is "unknown" at once.
      if (redis.status === 'connecting' || redis.status === 'connect') {
        await readyWithin(redis, READ_TIMEOUT_MS);
      }
      if (redis.status !== 'ready') return undefined;
      const counts = await queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'delayed',
        'failed',
      );
      const count = (state: string) => counts[state] ?? 0;
      // BullMQ keeps jobs with a priority apart from the waiting list; both are waiting.
      return {
        waiting: count('waiting') + count('prioritized'),
        active: count('active'),
        delayed: count('delayed'),
        failed: count('failed'),
      };
    } catch {
      return undefined;
    }
  }

  let reading: Promise<JobCounts | undefined> | undefined;
  // The stream's newest entry: attempts that ended before the monitor are not reported again.
  const newestEventId = async () => {
    const [newest] = await redis.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '0-0';
  };
  const attempts = followAttempts({ connection, prefix, onAttempt }, newestEventId);
  return {
    counts: () =>
      (reading ??= readCounts().finally(() => {
        reading = undefined;
      })),
    following: attempts.following,
    async close() {
      await attempts.close();
      await queue.close();
      // BullMQ leaves a client it was handed open; it is ours to close.
      redis.disconnect();
    },
  };
}

/**
 * Each job attempt from the queue's event stream: an 'active' event starts it, and a 'completed'
 * or 'failed' one ends it, or a 'delayed' or 'waiting' one when it will be retried. Times are
 * the stream entries' ids, Redis's clock in milliseconds, so a duration never mixes two
 * machines' clocks. Names come from the 'added' events.
 */
function followAttempts(
  { connection: connectTo, prefix, onAttempt }: QueueMonitorOptions,
  newestEventId: () => Promise<string>,
) {
  const stopped = new AbortController();
  // QueueEvents blocks on a connection of its own made from this one, which never connects.
  // BullMQ requires that blocking commands never time out.
  const connection = createRedisClient(connectTo, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
  });
  let events: QueueEvents | undefined;

  const names = new Map<string, JobAttempt['name']>();
  const started = new Map<string, number>();
  const redisTime = (eventId: string) => Number(eventId.slice(0, eventId.indexOf('-')));

  function finish(jobId: string, outcome: JobAttempt['outcome'], eventId: string) {
    const name = names.get(jobId) ?? 'unknown';
    // A completed or failed attempt is the job's last.
    if (outcome !== 'retried') names.delete(jobId);
    const start = started.get(jobId);
    if (start === undefined) return; // started before the monitor
    started.delete(jobId);
    onAttempt({ name, outcome, seconds: (redisTime(eventId) - start) / 1000 });
  }

  // Left to itself QueueEvents reads from '$', "whatever comes after this read": it would lose
  // what is added before its first read, and between two reads that found nothing. Started
  // from an entry id, it reads every event after that one.
  function listen(lastEventId: string) {
    if (stopped.signal.aborted) return; // closed while the id was read
    events = new QueueEvents(QUEUE_NAME, {
      connection,
      prefix,
      lastEventId,
      // Reading starts without waiting for Redis, so that close() can end the connection even
      // when Redis stopped answering meanwhile. The version is the producer's to check.
      skipWaitingForReady: true,
      skipVersionCheck: true,
    });
    // Redis down or restarting: QueueEvents reconnects and reads on by itself.
    events.on('error', () => undefined);
    events.on('added', ({ jobId, name }) => {
      remember(names, jobId, isJobName(name) ? name : 'unknown');
    });
    events.on('active', ({ jobId }, eventId) => remember(started, jobId, redisTime(eventId)));
    events.on('completed', ({ jobId }, eventId) => finish(jobId, 'completed', eventId));
    events.on('failed', ({ jobId }, eventId) => finish(jobId, 'failed', eventId));
    events.on('delayed', ({ jobId }, eventId) => finish(jobId, 'retried', eventId));
    events.on('waiting', ({ jobId }, eventId) => finish(jobId, 'retried', eventId));
  }

  async function start() {
    while (!stopped.signal.aborted) {
      try {
        listen(await newestEventId());
        return;
      } catch {
        // Redis not there yet: try again in a moment (or stop now).
        await sleep(RETRY_START_MS, undefined, { signal: stopped.signal, ref: false }).catch(
          () => undefined,
        );
      }
    }
  }

  const following = start();
  return {
    following,
    async close() {
      stopped.abort();
      await following;
      // close() ends the connection at once, then waits to hear that it has ended, which a
      // connection caught reconnecting never reports (taskforcesh/bullmq#4656).
      await Promise.race([
        events?.close().catch(() => undefined),
        sleep(READ_TIMEOUT_MS, undefined, { ref: false }),
      ]);
      connection.disconnect();
    },
  };
}

function remember<V>(map: Map<string, V>, key: string, value: V) {
  map.delete(key);
  const oldest = map.keys().next();
  if (map.size >= MAX_TRACKED_JOBS && !oldest.done) map.delete(oldest.value);
  map.set(key, value);
}
