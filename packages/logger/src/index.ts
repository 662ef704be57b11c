// One logger setup for every process: pretty lines for humans in local, JSON elsewhere,
// and secrets redacted whatever gets logged.
import type { Config } from '@shipshape/config';
import { pino, type Logger } from 'pino';
import { serializeError } from './serialize-error';

export type { Logger };
export { serializeError };

/** `destination` is for tests that read what was logged; processes log to stdout. */
export function createLogger(
  config: Pick<Config, 'isLocal' | 'logLevel'>,
  name?: string,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    ...(name && { name }),
    // `err` is where every error is logged (pino-http too): see serialize-error.ts.
    serializers: { err: serializeError },
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
    ...(config.isLocal &&
      !destination && {
        transport: {
          target: 'pino-pretty',
          options: {
            ignore: 'pid,hostname,req,res,responseTime,clientIp',
            translateTime: 'HH:MM:ss',
          },
        },
      }),
  };
  return destination ? pino(options, destination) : pino(options);
}
