// pino for the process, pino-http for requests: every request's log lines carry its id,
// which is also sent back as X-Request-Id so a user's bug report can be matched to the logs.
import { randomUUID } from 'node:crypto';
import type { Config } from '@shipshape/config';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export function createLogger(config: Pick<Config, 'isLocal' | 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    // Secrets never reach the logs, whatever else gets logged.
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'res.headers["set-cookie"]',
        '*.password',
        '*.passwordHash',
      ],
      censor: '[redacted]',
    },
    // Humans read local logs, one line a request; machines read the rest as JSON.
    ...(config.isLocal && {
      transport: {
        target: 'pino-pretty',
        options: { ignore: 'pid,hostname,req,res,responseTime', translateTime: 'HH:MM:ss' },
      },
    }),
  });
}

// Accept an id from the proxy in front (Caddy sets one) when it looks like an id.
const acceptableId = /^[\w-]{8,128}$/;

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
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
