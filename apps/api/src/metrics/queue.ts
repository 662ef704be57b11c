// The job queue as Prometheus sees it: how many jobs wait in each state, read when Prometheus
// asks, and how long jobs run, followed from the queue's event stream. Both describe the one
// queue every process shares, so each API replica reports the same numbers (ADR 027).
//
// They read BullMQ's own Redis structures (the state lists and sets of its getJobCounts, the
// events stream its QueueEvents reads) with ioredis: bullmq itself is a dependency of
// @shipshape/queue, not of the API. test/metrics.test.ts checks them against the real BullMQ.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { isJobName, QUEUE_NAME } from '@shipshape/queue';

// A scrape must answer even when Redis does not: a stopped Redis fails at once (no offline
// queue), a frozen one after this long.
const SCRAPE_TIMEOUT_MS = 1_000;
// Jobs followed at once (started, or added with a name). Past this the oldest are forgotten:
// a job whose end was never seen must not keep memory for ever.
const MAX_TRACKED_JOBS = 10_000;
const RETRY_READ_MS = 1_000;

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
type Counts = Record<(typeof JOB_STATES)[number], number>;

export interface QueueMetricsOptions {
  url: string;
  /** REDIS_PREFIX: the queue's keys start with it. */
  prefix: string;
  registry: Registry;
}

export function watchQueue({ url, prefix, registry }: QueueMetricsOptions) {
  const key = (suffix: string) => `${prefix}:${QUEUE_NAME}:${suffix}`;
  const depth = watchDepth(url, key, registry);
  const durations = followDurations(url, key('events'), registry);
  return {
    async close() {
      depth.close();
      await durations.close();
    },
  };
}

function watchDepth(url: string, key: (suffix: string) => string, registry: Registry) {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: SCRAPE_TIMEOUT_MS,
    connectionName: 'shipshape-api-metrics',
  });
  // Errors show as shipshape_queue_metrics_up 0; without a listener ioredis would print each one.
  redis.on('error', () => undefined);

  // The same numbers as BullMQ's getJobCounts: waiting counts prioritized jobs too.
  async function readCounts(): Promise<Counts | undefined> {
    try {
      // A process just started may be scraped before its first connection is up: that one is
      // waited for. A connection lost since is not: the answer is "unknown" at once.
      if (redis.status === 'connecting' || redis.status === 'connect') {
        await readyWithin(redis, SCRAPE_TIMEOUT_MS);
      }
      if (redis.status !== 'ready') return undefined;
      const replies = await redis
        .pipeline()
        .llen(key('wait'))
        .zcard(key('prioritized'))
        .llen(key('active'))
        .zcard(key('delayed'))
        .zcard(key('failed'))
        .exec();
      const [wait = 0, prioritized = 0, active = 0, delayed = 0, failed = 0] = (replies ?? []).map(
        ([error, value]) => {
          if (error) throw error;
          return Number(value);
        },
      );
      return { waiting: wait + prioritized, active, delayed, failed };
    } catch {
      return undefined;
    }
  }

  // Both gauges below are collected in the same scrape: they share one reading.
  let reading: Promise<Counts | undefined> | undefined;
  const sample = () =>
    (reading ??= readCounts().finally(() => {
      reading = undefined;
    }));

  new Gauge({
    name: 'shipshape_queue_jobs',
    help: 'Jobs in the queue by state, read from Redis at each scrape.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await sample();
      // No reading, no samples: a made-up 0 would look like an empty queue.
      this.reset();
      if (counts) for (const state of JOB_STATES) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: 'shipshape_queue_metrics_up',
    help: '1 when the queue counts could be read from Redis at this scrape, 0 when not.',
    registers: [registry],
    async collect() {
      this.set((await sample()) ? 1 : 0);
    },
  });

  return { close: () => redis.disconnect() };
}

/**
 * Job durations from the queue's events stream: a job's 'active' event starts it, and its
 * 'completed' or 'failed' event ends it, or a 'delayed' or 'waiting' one when it will be
 * retried. The stream's entry ids are Redis's clock in milliseconds, so a duration never
 * mixes two machines' clocks. Names come from the 'added' events.
 */
function followDurations(url: string, streamKey: string, registry: Registry) {
  const duration = new Histogram({
    name: 'shipshape_job_duration_seconds',
    help: 'How long job attempts ran, by job name and outcome (completed, failed, retried).',
    labelNames: ['name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  // A blocking read waits as long as Redis needs; this connection serves nothing else.
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName: 'shipshape-api-job-events',
  });
  redis.on('error', () => undefined);
  const names = new Map<string, string>();
  const started = new Map<string, number>();
  const stopped = new AbortController();
  // A command still waiting when the reader closes may never settle: ioredis leaves the commands
  // of a connection caught reconnecting unanswered. The loop stops waiting for it instead.
  const closing = new Promise<never>((_, reject) => {
    stopped.signal.addEventListener('abort', () => reject(new Error('closed')), { once: true });
  });
  closing.catch(() => undefined);
  const untilClosed = <T>(command: Promise<T>) => Promise.race([command, closing]);

  function handle(id: string, fields: string[]) {
    const event: Record<string, string | undefined> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) event[String(fields[i])] = fields[i + 1];
    const { jobId } = event;
    if (!jobId) return;
    const at = Number(id.slice(0, id.indexOf('-')));
    switch (event.event) {
      case 'added':
        remember(names, jobId, event.name && isJobName(event.name) ? event.name : 'unknown');
        break;
      case 'active':
        remember(started, jobId, at);
        break;
      case 'completed':
      case 'failed':
        finish(jobId, event.event, at);
        names.delete(jobId);
        break;
      case 'delayed':
      case 'waiting':
        finish(jobId, 'retried', at);
        break;
    }
  }

  function finish(jobId: string, outcome: string, at: number) {
    const start = started.get(jobId);
    if (start === undefined) return; // started before this process was watching
    started.delete(jobId);
    duration.observe({ name: names.get(jobId) ?? 'unknown', outcome }, (at - start) / 1000);
  }

  async function follow() {
    // From the stream's newest entry: jobs finished before this process started are not counted
    // again, and nothing added between this read and the first blocking one is missed.
    let lastId: string | undefined;
    while (!stopped.signal.aborted) {
      try {
        if (lastId === undefined) {
          const [newest] = await untilClosed(redis.xrevrange(streamKey, '+', '-', 'COUNT', 1));
          lastId = newest?.[0] ?? '0-0';
        }
        const reply = await untilClosed(redis.xread('BLOCK', 10_000, 'STREAMS', streamKey, lastId));
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            handle(id, fields);
          }
        }
      } catch {
        // Redis down or restarting: ioredis reconnects; read again in a moment (or stop now).
        await sleep(RETRY_READ_MS, undefined, { signal: stopped.signal, ref: false }).catch(
          () => undefined,
        );
      }
    }
  }
  const following = follow();

  return {
    async close() {
      stopped.abort();
      // Ends the blocking read at once, whatever state the connection is in.
      redis.disconnect();
      await following;
    },
  };
}

function readyWithin(redis: Redis, ms: number): Promise<void> {
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

function remember<V>(map: Map<string, V>, key: string, value: V) {
  map.delete(key);
  const oldest = map.keys().next();
  if (map.size >= MAX_TRACKED_JOBS && !oldest.done) map.delete(oldest.value);
  map.set(key, value);
}
