// The access log: each request is logged once, when its answer is sent (or its client leaves),
// as one line with its id, method, path, status, time and the client's address. The id is also
// sent back as X-Request-Id, so a user's bug report can be matched to the logs, and every line a
// handler logs through `req.log` carries it.
//
// Written here rather than with pino-http, which makes two child loggers for every request, each
// one serialising the request's bindings, whether anything else is logged or not: that was a
// tenth of a request's CPU (ADR 026). Here the line is written by the logger itself, and a child
// logger is made only when a handler asks for `req.log`. The lines keep pino-http's shape.
import { randomUUID } from 'node:crypto';
import type { Express, Request, RequestHandler } from 'express';
import type { Logger } from '@shipshape/logger';
import { routePatternOf } from './route-pattern';

declare module 'http' {
  interface IncomingMessage {
    /** The request's id: Caddy's X-Request-Id when it looks like one, or a new UUID. */
    id: string;
    /** A logger whose every line carries this request. */
    log: Logger;
  }
}

// Accept an id from the proxy in front (Caddy sets one) when it looks like an id.
const acceptableId = /^[\w-]{8,128}$/;

const lazyLog = Symbol('makes req.log');
const madeLog = Symbol('req.log');
type LoggedRequest = Request & { [lazyLog]?: () => Logger; [madeLog]?: Logger };

/**
 * The access log for `app`'s requests, and `req.log`, made the first time a handler asks for it
 * (before this middleware has run: `logger` itself). The accessor lives on the app's request
 * prototype: defining it on each request instead made V8 give every request object a slower
 * shape of its own, which cost more than the access line itself (ADR 026).
 */
export function requestLogger(app: Express, logger: Logger): RequestHandler {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: LoggedRequest) {
      return (this[madeLog] ??= this[lazyLog]?.() ?? logger);
    },
  });

  // Its lines hold only the fields below, none of them secret, so the redaction every other
  // line goes through (packages/logger) is skipped: it was a quarter of the line's cost.
  const access = logger.child({}, { redact: [] });
  return (req: LoggedRequest, res, next) => {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    const id =
      typeof incoming === 'string' && acceptableId.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);

    // The query string may carry cursors or tokens: the log keeps the path alone.
    const about = {
      req: {
        id,
        method: req.method,
        url: pathOf(req.originalUrl),
        remoteAddress: req.socket.remoteAddress,
      },
      // The client as the app sees it: the connecting address, or what the trusted proxy says
      // (TRUST_PROXY). Comparing it with remoteAddress shows whether that setting is right.
      clientIp: req.ip,
    };
    req[lazyLog] = () => logger.child(about);

    // 'close' follows 'finish' on every answer, and comes alone when the client left first.
    res.once('close', () => {
      const line = {
        ...about,
        res: { statusCode: res.statusCode },
        responseTime: elapsed(started),
      };
      const message = `${describe(req, about.req.url)} ${res.statusCode}`;
      if (res.statusCode >= 500) access.error(line, message);
      else access.info(line, `${message} ${line.responseTime} ms`);
    });
    next();
  };
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

/**
 * "GET /api/files/3f0c…/content (/api/files/:id/content)": the full path, never relative to a
 * router, then the pattern of the route that matched, which groups the lines of one endpoint.
 */
function describe(req: Request, path: string): string {
  const route = routePatternOf(req);
  return `${req.method} ${path}${route && route !== path ? ` (${route})` : ''}`;
}

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}
