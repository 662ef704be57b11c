// One logger setup for every process: pretty lines for humans in local, JSON elsewhere,
// and secrets redacted whatever gets logged.
import type { Config } from '@shipshape/config';
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(config: Pick<Config, 'isLocal' | 'logLevel'>, name?: string): Logger {
  return pino({
    level: config.logLevel,
    ...(name && { name }),
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
    ...(config.isLocal && {
      transport: {
        target: 'pino-pretty',
        options: { ignore: 'pid,hostname,req,res,responseTime', translateTime: 'HH:MM:ss' },
      },
    }),
  });
}
