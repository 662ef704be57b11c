// Telling "the storage server is away for now" apart from "this request is wrong". The first
// is worth retrying later (a job) or answering 503 (a request); the second is not.

// Socket-level failures on the way to the server: refused, reset, timed out, unreachable.
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// What S3 and S3-compatible servers answer when they are overloaded (with 503 or 429 mostly).
const throttlingNames = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
]);

interface SdkError {
  name?: unknown;
  code?: unknown;
  /** Set by the AWS SDK on every error a command rejects with, network errors included. */
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * True when `error`, or an error in its cause chain, says S3 could not be reached or could not
 * serve the request just now: a connection refused, reset or timed out, a 5xx, or throttling.
 * Network codes count only on errors that came through the S3 client, so that a database that
 * refuses connections is not taken for storage.
 */
export function isStorageUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; isObject(current) && depth < 8; depth++) {
    if (saysUnavailable(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function saysUnavailable(error: SdkError): boolean {
  // The S3 client's connection and socket idle timeouts (client.ts), also thrown mid-download.
  if (error.name === 'TimeoutError') return true;
  const metadata = error.$metadata;
  if (!metadata) return false;
  if (typeof error.code === 'string' && networkCodes.has(error.code)) return true;
  if (typeof error.name === 'string' && throttlingNames.has(error.name)) return true;
  const status = metadata.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
