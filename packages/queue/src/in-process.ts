// The queue for local development without Redis: jobs run in this process, soon after
// they are enqueued, with the same validation, retries and de-duplication as BullMQ.
// Nothing survives a restart: 'resume-work' enqueues again what a restart dropped.
import { checkJobId, parsePayload, type JobName, type JobPayload } from './jobs';
import {
  silentLogger,
  type JobHandlers,
  type JobQueue,
  type QueueLogger,
  type RetryOptions,
} from './queue';
import { retryDelay, willRetry } from './retry';
import { logFailure, runJob } from './run-job';

export interface InProcessQueueOptions {
  handlers: JobHandlers;
  retry: RetryOptions;
  logger?: QueueLogger;
}

export function createInProcessQueue(options: InProcessQueueOptions): JobQueue {
  const { handlers, retry } = options;
  const log = options.logger ?? silentLogger;
  const unfinishedJobIds = new Set<string>();
  const running = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const schedules = new Map<JobName, NodeJS.Timeout>();
  let lastJobNumber = 0;
  let closed = false;

  function later(delayMs: number, action: () => void): void {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  }

  function run<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string, attempt: number) {
    const job = (async () => {
      try {
        await runJob(handlers, name, payload, {
          jobId,
          attempt,
          willRetry: (error) => willRetry(error, attempt, retry),
          enqueue: (name, payload, options) => queue.enqueue(name, payload, options),
          log,
        });
        unfinishedJobIds.delete(jobId);
      } catch (error) {
        const retrying = willRetry(error, attempt, retry);
        logFailure(log, { name, jobId, attempt }, error, retrying);
        if (retrying) {
          later(retryDelay(attempt, retry), () => {
            run(name, payload, jobId, attempt + 1);
          });
        } else {
          unfinishedJobIds.delete(jobId);
        }
      }
    })();
    running.add(job);
    void job.finally(() => running.delete(job));
  }

  // Async although nothing here waits: a bad payload rejects the promise, as BullMQ's would.
  const queue: JobQueue = {
    // eslint-disable-next-line @typescript-eslint/require-await
    async enqueue(name, payload, { jobId } = {}) {
      if (closed) throw new Error('The job queue is closed');
      if (jobId !== undefined) checkJobId(jobId);
      const parsed = parsePayload(name, payload);
      const id = jobId ?? `job-${++lastJobNumber}`;
      if (unfinishedJobIds.has(id)) return false;
      unfinishedJobIds.add(id);
      later(0, () => {
        run(name, parsed, id, 1);
      });
      return true;
    },

    // eslint-disable-next-line @typescript-eslint/require-await
    async schedule(name, payload, schedule) {
      const parsed = parsePayload(name, payload);
      // Only the worker schedules by the clock (backups), and a worker always has Redis.
      if (!('every' in schedule)) throw new Error('Cron schedules need Redis (BullMQ)');
      const { every } = schedule;
      clearInterval(schedules.get(name));
      // A fixed jobId: a run that is still going when the next is due is not doubled.
      const timer = setInterval(() => {
        void queue.enqueue(name, parsed, { jobId: `scheduled-${name}` });
      }, every);
      // A schedule alone must not keep the process alive.
      timer.unref();
      schedules.set(name, timer);
    },

    // eslint-disable-next-line @typescript-eslint/require-await
    async unschedule(name) {
      clearInterval(schedules.get(name));
      schedules.delete(name);
    },

    async check() {
      // Nothing to reach: the queue is this process.
    },

    /** Drops jobs that have not started yet and waits for those running. */
    async close() {
      closed = true;
      for (const timer of schedules.values()) clearInterval(timer);
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(running);
    },
  };
  return queue;
}
