// Which route answered a request, as a pattern (/api/files/:id/content) rather than the path
// (/api/files/3f0c…/content): the access log groups an endpoint's lines by it, and the latency
// histogram labels by it, since every note id in a label would be a new time series.
import type { Express, Request } from 'express';

const routeSlot = Symbol('req.route');
const patternSlot = Symbol('route pattern');
type TrackedRequest = Request & { [routeSlot]?: unknown; [patternSlot]?: string };

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` still holds its router's
 * mount path (/api/notes). By the time the answer is sent that path may be gone: an error
 * thrown in a route leaves its router, which puts baseUrl back to "" before the error handler
 * answers. So the full pattern is written down at the moment the route matches, by an accessor
 * on this app's request prototype: one string per matched route, and nothing to work out from
 * the path afterwards.
 */
export function rememberRoutePatterns(app: Express): void {
  Object.defineProperty(app.request, 'route', {
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

/** The pattern of the route that matched `req`, if one did (see rememberRoutePatterns). */
export function routePatternOf(req: Request): string | undefined {
  return (req as TrackedRequest)[patternSlot];
}
