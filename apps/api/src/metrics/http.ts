// Request latency, one histogram observation per request, labelled by the route's pattern
// (/api/notes/:id), never the raw URL: every note id would be a new time series, and a client
// could make up paths until Prometheus runs out of memory.
import type { RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { routePatternOf } from '../http/route-pattern';

/** Requests that no route matched: unknown paths, and refusals before routing (a bad body, CSRF). */
export const UNMATCHED = 'unmatched';

export function observeRequests(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by route pattern and status class.',
    labelNames: ['method', 'route', 'status_class'] as const,
    registers: [registry],
  });
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      duration.observe(
        {
          method: req.method,
          route: routePatternOf(req) ?? UNMATCHED,
          status_class: `${Math.floor(res.statusCode / 100)}xx`,
        },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}
