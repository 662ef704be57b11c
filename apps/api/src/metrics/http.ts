// Request latency, one histogram observation per request, labelled by the route's pattern
// (/api/notes/:id), never the raw URL: every note id would be a new time series, and a client
// could make up paths until Prometheus runs out of memory.
import type { Express, Request, RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

const routeSlot = Symbol('route');
const patternSlot = Symbol('route pattern');
type TrackedRequest = Request & { [routeSlot]?: unknown; [patternSlot]?: string };

/** Requests that no route matched: unknown paths, and refusals before routing (a bad body, CSRF). */
export const UNMATCHED = 'unmatched';

export function observeRequests(app: Express, registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by route pattern and status class.',
    labelNames: ['method', 'route', 'status_class'] as const,
    registers: [registry],
  });
  rememberRoutePatterns(app.request);

  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      duration.observe(
        {
          method: req.method,
          route: (req as TrackedRequest)[patternSlot] ?? UNMATCHED,
          status_class: `${Math.floor(res.statusCode / 100)}xx`,
        },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` still holds its router's
 * mount path (/api/notes). By the time the answer is sent that path may be gone: an error
 * thrown in a route leaves its router, which puts baseUrl back to "" before the error handler
 * answers. So the full pattern is written down at the moment the route matches, by an accessor
 * on this app's request prototype: no work per request beyond one string per matched route.
 */
function rememberRoutePatterns(requestPrototype: Request): void {
  Object.defineProperty(requestPrototype, 'route', {
    configurable: true,
    get(this: TrackedRequest) {
      return this[routeSlot];
    },
    set(this: TrackedRequest, route: { path: unknown }) {
      this[routeSlot] = route;
      const path = String(route.path);
      // router.get('/') under /api/notes reads as /api/notes, the URL people type.
      this[patternSlot] = path === '/' && this.baseUrl ? this.baseUrl : `${this.baseUrl}${path}`;
    },
  });
}
