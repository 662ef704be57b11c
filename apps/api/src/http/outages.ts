// Telling "a service we depend on is down" apart from "we have a bug". The first is answered
// with 503 and a message a person can act on (try again shortly); the second stays a 500.
// Errors are often wrapped (drizzle wraps pg's), so the whole cause chain is looked at. S3 has
// its own rules, shared with the jobs that retry it (packages/storage/src/errors.ts).
import { isStorageUnavailable } from '@shipshape/storage';

// Socket-level failures on the way to Postgres or Redis: refused, reset, timed out, unreachable.
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// Postgres SQLSTATEs: connection exceptions (class 08), the server shutting down or starting
// (57P01-57P03), and too many connections (53300).
const postgresOutage = /^(08\d{3}|57P0[1-3]|53300)$/;

// What pg, pg-pool and ioredis say when they have no connection to give.
const outageMessages = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Connection is closed\.?$/,
  /^Stream isn't writeable/,
  /^Command timed out/,
  /^Reached the max retries per request limit/,
];

/** True when `error`, or anything in its cause chain, says a dependency is unreachable. */
export function isDependencyOutage(error: unknown): boolean {
  return isStorageUnavailable(error) || causes(error).some(isOutage);
}

/** The Postgres SQLSTATE anywhere in the cause chain, if any. */
export function postgresCode(error: unknown): string | undefined {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

function isOutage(error: object): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (networkCodes.has(code) || postgresOutage.test(code))) {
    return true;
  }
  return typeof message === 'string' && outageMessages.some((pattern) => pattern.test(message));
}

function causes(error: unknown): object[] {
  const chain: object[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 8) {
    chain.push(current);
    if (current instanceof AggregateError) {
      chain.push(...(current.errors.filter((e) => e && typeof e === 'object') as object[]));
    }
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}
