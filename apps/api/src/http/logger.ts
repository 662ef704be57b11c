// pino-http logs each request: every request's log lines carry its id,
// which is also sent back as X-Request-Id so a user's bug report can be matched to the logs.
import { randomUUID } from 'node:crypto';
import { serializeError, type Logger } from '@shipshape/logger';
import { pinoHttp } from 'pino-http';

// Accept an id from the proxy in front (Caddy sets one) when it looks like an id.
const acceptableId = /^[\w-]{8,128}$/;

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    // pino-http brings its own error serializer, which would log everything an error carries.
    serializers: { err: serializeError },
    genReqId(req, res) {
      const incoming = req.headers['x-request-id'];
      const id =
        typeof incoming === 'string' && acceptableId.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customSuccessMessage(req, res, responseTime) {
      return `${req.method ?? ''} ${req.url ?? ''} ${res.statusCode} ${Math.round(responseTime)} ms`;
    },
    customLogLevel(_req, res, error) {
      if (error || res.statusCode >= 500) return 'error';
      return 'info';
    },
  });
}
