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
  const stdout = gatheredStdout();
  return pino({ ...options, hooks: { logMethod: flushingFrom(WARN, stdout) } }, stdout);
}

const WARN = 40;
type Destination = ReturnType<typeof pino.destination>;

/**
 * Standard output, written synchronously but not line by line. pino's default stream writes in
 * the background, and when the pipe behind it is full (a busy log collector) a line can overtake
 * the one before it, or be lost when the process exits: here every write happens in order, in
 * the call that logs. One write per line, though, was a system call per request, and in
 * production each one also wakes the process reading the pipe (Docker's log driver). So lines
 * gather up to 4 KiB and go out when that fills, every 100 ms, at once for a warning or worse
 * (with every line before it), and when the process exits. A hard kill (SIGKILL, the OOM killer)
 * can cost the last 100 ms of info lines (ADR 026). Each process makes one logger, whose children
 * share this stream.
 */
function gatheredStdout(): Destination {
  const stream = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 100 });
  process.on('exit', () => stream.flushSync());
  return stream;
}

/** A pino hook that writes out what `stream` gathered once a line at `level` or above is logged. */
function flushingFrom(
  level: number,
  stream: Destination,
): NonNullable<pino.LoggerOptions['hooks']>['logMethod'] {
  return function logMethod(args, method, lineLevel) {
    method.apply(this, args);
    if (lineLevel >= level) stream.flushSync();
  };
}
