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
import { retryDelay, retryOptions, willRetry } from './retry';
import { logFailure, runJob } from './run-job';

export interface InProcessQueueOptions extends RetryOptions {
  handlers: JobHandlers;
  logger?: QueueLogger;
}

export function createInProcessQueue(options: InProcessQueueOptions): JobQueue {
  const { handlers } = options;
  const retry = retryOptions(options);
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

  const queue: JobQueue = {
    enqueue(name, payload, { jobId } = {}) {
      return settled(() => {
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
      });
    },

    schedule(name, payload, { every }) {
      return settled(() => {
        const parsed = parsePayload(name, payload);
        clearInterval(schedules.get(name));
        // A fixed jobId: a run that is still going when the next is due is not doubled.
        const timer = setInterval(() => {
          void queue.enqueue(name, parsed, { jobId: `scheduled-${name}` });
        }, every);
        // A schedule alone must not keep the process alive.
        timer.unref();
        schedules.set(name, timer);
      });
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

/** Runs `action` now; the promise rejects if it throws, as BullMQ's would on a bad payload. */
function settled<T>(action: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(action());
  });
}
