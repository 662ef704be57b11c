// The producer side on Redis: the API enqueues here, a worker process runs the jobs.
import { Queue } from 'bullmq';
import { checkJobId, parsePayload, type JobName } from './jobs';
import { silentLogger, type JobQueue, type QueueLogger, type RetryOptions } from './queue';
import { createRedisClient, readyWithin, type RedisConnectionOptions } from './redis';
import { maxAttempts } from './retry';

// One BullMQ queue carries every job; the job name picks the handler.
export const QUEUE_NAME = 'jobs';

// A request that enqueues must not wait on a Redis that has stopped answering (frozen, or a
// network that drops packets): past these, the call fails and the caller goes on without it.
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;

// States in which a job still has work ahead of it: enqueuing its id again must add nothing.
const unfinished = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export interface BullmqQueueOptions {
  connection: RedisConnectionOptions;
  /** Starts every Redis key, so several apps (or test runs) can share one Redis. */
  prefix: string;
  retry: RetryOptions;
  logger?: QueueLogger;
}

export function createBullmqQueue(options: BullmqQueueOptions): JobQueue {
  const { retry } = options;
  const log = options.logger ?? silentLogger;
  // No offline queue: while Redis is down, enqueue fails at once instead of hanging a request.
  const redis = createRedisClient(options.connection, {
    enableOfflineQueue: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  const queue = new Queue(QUEUE_NAME, {
    connection: redis,
    prefix: options.prefix,
    defaultJobOptions: {
      // BullMQ counts attempts itself, so it is told the most any error gets; the worker gives
      // up sooner on errors that are not outages (see retry.ts).
      attempts: maxAttempts(retry),
      backoff: { type: 'exponential', delay: retry.backoffMs },
      // Finished jobs stay a while for inspection, then go.
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  });
  queue.on('error', (error) => {
    log.error({ err: error }, 'Job queue connection error');
  });

  function assertConnected() {
    if (redis.status !== 'ready') throw new Error(`Redis is not connected (${redis.status})`);
  }

  /**
   * BullMQ would wait as long as it takes for a connection, which may never come. This waits
   * no longer than a command may take: enough for a queue just created to connect.
   */
  async function connected(): Promise<void> {
    if (redis.status === 'ready') return;
    await readyWithin(redis, COMMAND_TIMEOUT_MS);
    assertConnected();
  }

  /** False when a job with this id still has work ahead of it; a finished one is removed. */
  async function makeRoomFor(jobId: string): Promise<boolean> {
    const existing = await queue.getJob(jobId);
    if (!existing) return true;
    const state = await existing.getState();
    if (unfinished.has(state)) return false;
    // Kept for inspection only: the caller saw from the row that the work is not done.
    await existing.remove();
    return true;
  }

  const schedules = new Map<JobName, () => Promise<void>>();
  // A Redis restarted without persistence has forgotten every schedule: register them again
  // whenever the connection comes back. Upserting an unchanged schedule changes nothing.
  redis.on('ready', () => {
    for (const [name, register] of schedules) {
      register().catch((error: unknown) => {
        log.error({ err: error, job: name }, 'Could not register the schedule again');
      });
    }
  });

  return {
    async enqueue(name, payload, { jobId } = {}) {
      if (jobId !== undefined) checkJobId(jobId);
      const data = parsePayload(name, payload);
      await connected();
      if (jobId !== undefined && !(await makeRoomFor(jobId))) return false;
      await queue.add(name, data, { jobId });
      return true;
    },

    async schedule(name, payload, schedule) {
      const data = parsePayload(name, payload);
      // The scheduler id is the job name: however many processes call this, one schedule exists,
      // and each of its times becomes one job (BullMQ derives the job's id from the time).
      // A scheduled run that succeeds leaves no record: one runs every few seconds, and would
      // push every other finished job out of those kept for inspection.
      const register = async () => {
        await queue.upsertJobScheduler(name, schedule, {
          name,
          data,
          opts: { removeOnComplete: true },
        });
      };
      schedules.set(name, register);
      await register();
    },

    async unschedule(name) {
      schedules.delete(name);
      await queue.removeJobScheduler(name);
    },

    async check() {
      // Answers at once while (re)connecting rather than waiting for Redis: a probe wants an answer now.
      assertConnected();
      await redis.ping();
    },

    async close() {
      schedules.clear();
      await queue.close();
      // BullMQ leaves a client it was handed open; it is ours to close.
      redis.disconnect();
    },
  };
}
