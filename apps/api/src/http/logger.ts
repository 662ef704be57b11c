// pino-http logs each request: every request's log lines carry its id,
// which is also sent back as X-Request-Id so a user's bug report can be matched to the logs.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { serializeError, type Logger } from '@shipshape/logger';
import { pinoHttp } from 'pino-http';

// Accept an id from the proxy in front (Caddy sets one) when it looks like an id.
const acceptableId = /^[\w-]{8,128}$/;

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    serializers: {
      // pino-http brings its own error serializer, which would log everything an error carries.
      err: serializeError,
      // The query string may carry cursors or tokens: the log keeps the path alone.
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: pathOf(req.url),
        remoteAddress: req.remoteAddress,
      }),
      // The status alone: a copy of every response header, on every line, was most of each
      // line's bytes and a measurable share of each request's CPU (ADR 026); the headers are the
      // same on every answer of a route, and Caddy's access log keeps them.
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    // The client as the app sees it: the connecting address, or what the trusted proxy says
    // (TRUST_PROXY). Comparing it with req.remoteAddress shows whether that setting is right.
    customProps: (req) => ({ clientIp: (req as Partial<Request>).ip }),
    genReqId(req, res) {
      const incoming = req.headers['x-request-id'];
      const id =
        typeof incoming === 'string' && acceptableId.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customSuccessMessage(req, res, responseTime) {
      return `${describe(req)} ${res.statusCode} ${Math.round(responseTime)} ms`;
    },
    customErrorMessage(req, res) {
      return `${describe(req)} ${res.statusCode}`;
    },
    customLogLevel(_req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      return 'info';
    },
  });
}

/**
 * "GET /api/files/3f0c…/content (/api/files/:id/content)": the full path, never relative to a
 * router, then the route pattern that matched, which groups the lines of one endpoint.
 */
function describe(raw: IncomingMessage): string {
  const req = raw as Partial<Request> & IncomingMessage;
  const path = pathOf(req.originalUrl ?? req.url);
  const route = routePattern(req, path);
  return `${req.method ?? ''} ${path}${route && route !== path ? ` (${route})` : ''}`;
}

// A route's pattern ("/:id/content") matches the last segments of the path; the segments before
// them are where its router is mounted. (req.baseUrl says that too, but only until an error
// leaves the router, and errors are answered after that.)
function routePattern(req: Partial<Request>, path: string): string | undefined {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string') return undefined;
  const routeSegments = pattern.split('/').filter(Boolean);
  const pathSegments = path.split('/').filter(Boolean);
  const mount = pathSegments.slice(0, pathSegments.length - routeSegments.length);
  return `/${[...mount, ...routeSegments].join('/')}`;
}

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}
