// Prometheus metrics for one API process, served at GET /metrics: request latency by route,
// and, with Redis, the job queue's depth and job durations (ADR 027). Caddy answers /metrics
// with 404 from outside; Prometheus scrapes each API process directly on the private network.
import type { Express } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { observeRequests } from './http';
import { watchQueue } from './queue';

export interface MetricsOptions {
  /** The queue to report on; without it (local development) there are no queue metrics. */
  redis?: { url: string; prefix: string } | undefined;
  /** Node's own: memory, event loop delay, garbage collection. Off in tests, which build many apps. */
  processMetrics?: boolean;
}

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics({ redis, processMetrics = false }: MetricsOptions = {}) {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const queue = redis && watchQueue({ ...redis, registry });

  return {
    registry,

    /** Times every request that follows, and serves GET /metrics. Call it before any route. */
    instrument(app: Express): void {
      app.use(observeRequests(registry));
      app.get('/metrics', async (_req, res) => {
        const body = await registry.metrics();
        res.set('Cache-Control', 'no-store').type(registry.contentType).send(body);
      });
    },

    async close(): Promise<void> {
      await queue?.close();
    },
  };
}
