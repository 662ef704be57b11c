// The job queue as Prometheus sees it (ADR 027): jobs in each state, read when Prometheus asks,
// and how long job attempts ran. @shipshape/queue reads both through BullMQ; this names them.
// Both describe the one queue every process shares, so each API replica reports the same numbers.
import { Gauge, Histogram, type Registry } from 'prom-client';
import { JOB_STATES, monitorQueue } from '@shipshape/queue';

export interface QueueMetricsOptions {
  url: string;
  /** REDIS_PREFIX: the queue's keys start with it. */
  prefix: string;
  registry: Registry;
}

export function watchQueue({ url, prefix, registry }: QueueMetricsOptions) {
  const duration = new Histogram({
    name: 'shipshape_job_duration_seconds',
    help: 'How long job attempts ran, by job name and outcome (completed, failed, retried).',
    labelNames: ['name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const queue = monitorQueue({
    connection: url,
    prefix,
    onAttempt: ({ name, outcome, seconds }) => duration.observe({ name, outcome }, seconds),
  });

  // Both gauges are collected in the same scrape; the monitor makes them share one reading.
  new Gauge({
    name: 'shipshape_queue_jobs',
    help: 'Jobs in the queue by state, read from Redis at each scrape.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await queue.counts();
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
      this.set((await queue.counts()) ? 1 : 0);
    },
  });

  return { close: () => queue.close() };
}
