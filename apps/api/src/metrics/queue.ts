// The job queue as Prometheus sees it (ADR 027): jobs in each state, read when Prometheus asks,
// and how long job attempts ran. @shipshape/queue reads both through BullMQ; this names them.
import { Gauge, Histogram, type Registry } from 'prom-client';
import { followJobAttempts, JOB_STATES, watchJobCounts } from '@shipshape/queue';

export interface QueueMetricsOptions {
  url: string;
  /** REDIS_PREFIX: the queue's keys start with it. */
  prefix: string;
  registry: Registry;
}

export function watchQueue({ url, prefix, registry }: QueueMetricsOptions) {
  const counts = watchJobCounts({ connection: url, prefix });
  new Gauge({
    name: 'shipshape_queue_jobs',
    help: 'Jobs in the queue by state, read from Redis at each scrape.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const reading = await counts.read();
      // No reading, no samples: a made-up 0 would look like an empty queue.
      this.reset();
      if (reading) for (const state of JOB_STATES) this.set({ state }, reading[state]);
    },
  });
  new Gauge({
    name: 'shipshape_queue_metrics_up',
    help: '1 when the queue counts could be read from Redis at this scrape, 0 when not.',
    registers: [registry],
    async collect() {
      this.set((await counts.read()) ? 1 : 0);
    },
  });

  const duration = new Histogram({
    name: 'shipshape_job_duration_seconds',
    help: 'How long job attempts ran, by job name and outcome (completed, failed, retried).',
    labelNames: ['name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const attempts = followJobAttempts({ connection: url, prefix }, ({ name, outcome, seconds }) =>
    duration.observe({ name, outcome }, seconds),
  );

  return {
    async close() {
      await Promise.all([counts.close(), attempts.close()]);
    },
  };
}
