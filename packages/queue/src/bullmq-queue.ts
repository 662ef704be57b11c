// The producer side on Redis: the API enqueues here, a worker process runs the jobs.
import { Queue } from 'bullmq';
import { checkJobId, parsePayload } from './jobs';
import {
  defaultRetry,
  silentLogger,
  type JobQueue,
  type QueueLogger,
  type RetryOptions,
} from './queue';
import { createRedisClient, type RedisConnectionOptions } from './redis';

// One BullMQ queue carries every job; the job name picks the handler.
export const QUEUE_NAME = 'jobs';

export interface BullmqQueueOptions extends RetryOptions {
  connection: RedisConnectionOptions;
  /** Starts every Redis key, so several apps (or test runs) can share one Redis. */
  prefix: string;
  logger?: QueueLogger;
}

export function createBullmqQueue(options: BullmqQueueOptions): JobQueue {
  const { attempts, backoffMs } = { ...defaultRetry, ...options };
  const log = options.logger ?? silentLogger;
  // No offline queue: while Redis is down, enqueue fails at once instead of hanging a request.
  const redis = createRedisClient(options.connection, { enableOfflineQueue: false });
  const queue = new Queue(QUEUE_NAME, {
    connection: redis,
    prefix: options.prefix,
    defaultJobOptions: {
      attempts,
      backoff: { type: 'exponential', delay: backoffMs },
      // Finished jobs stay a while for inspection (and jobId de-duplication), then go.
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  });
  queue.on('error', (error) => {
    log.error({ err: error }, 'Job queue connection error');
  });

  return {
    async enqueue(name, payload, { jobId } = {}) {
      if (jobId !== undefined) checkJobId(jobId);
      await queue.add(name, parsePayload(name, payload), { jobId });
    },

    async schedule(name, payload, { every }) {
      // The scheduler id is the job name: however many processes call this, one schedule exists.
      await queue.upsertJobScheduler(name, { every }, { name, data: parsePayload(name, payload) });
    },

    async check() {
      // Answers at once while (re)connecting rather than waiting for Redis: a probe wants an answer now.
      if (redis.status !== 'ready') throw new Error(`Redis is not connected (${redis.status})`);
      await redis.ping();
    },

    async close() {
      await queue.close();
      // BullMQ leaves a client it was handed open; it is ours to close.
      redis.disconnect();
    },
  };
}
