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
    // `err` is where every error is logged: see serialize-error.ts.
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
  if (destination) return pino(options, destination);
  if (options.transport) return pino(options);
  // Written synchronously: pino's default stdout stream writes in the background, and when the
  // pipe behind it is full (a busy log collector) a line can overtake the one before it, or be
  // lost when the process exits. One write per line costs microseconds; order and the last
  // lines before an exit are what a log is read for.
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
