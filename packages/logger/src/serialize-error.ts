// How an error looks in a log line: its type, message, stack and the fields that say what
// failed, and nothing that may hold a user's data. Drizzle puts every query parameter in its
// message ("params: ada@example.com,$argon2id$..."), and Postgres puts offending values in
// `detail` ("Key (lower(email))=(ada@example.com) already exists."). Both are dropped here,
// once, for every process, rather than remembered at each place that logs an error.

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  [field: string]: unknown;
}

// Fields that name what failed without carrying the data involved. Anything else an error
// carries (params, detail, where, internalQuery, request bodies...) stays out of the logs.
const safeFields = [
  'code',
  'errno',
  'syscall',
  'address',
  'port',
  'severity',
  'table',
  'column',
  'constraint',
  'routine',
  'statusCode',
  'status',
  'type',
] as const;

const MAX_DEPTH = 5;
// A password hash must never reach a log, whatever message it hides in.
const passwordHash = /\$argon2(?:id|i|d)\$[^\s,'")]+/g;

/** An error (or pino's serialized form of one) as it may be logged. */
export function serializeError(value: unknown, depth = 0): unknown {
  const error = originalOf(value);
  if (!(error instanceof Error)) return value;

  const message = scrub(safeMessage(error));
  const type = error.constructor.name || error.name;
  const serialized: SerializedError = { type, message };
  if (error.stack) serialized.stack = scrub(restack(error, message));

  const fields = error as unknown as Record<string, unknown>;
  for (const field of safeFields) {
    const fieldValue = fields[field];
    if (field !== 'type' && isPrimitive(fieldValue)) serialized[field] = fieldValue;
  }
  // The AWS SDK keeps the HTTP status of a failed call here.
  const metadata = fields.$metadata as { httpStatusCode?: unknown } | undefined;
  if (typeof metadata?.httpStatusCode === 'number') {
    serialized.statusCode = metadata.httpStatusCode;
  }
  if (depth < MAX_DEPTH) {
    if (error.cause !== undefined) serialized.cause = serializeError(error.cause, depth + 1);
    if (error instanceof AggregateError) {
      serialized.errors = error.errors.map((inner) => serializeError(inner, depth + 1));
    }
  }
  return serialized;
}

// pino's own error serializer, when something runs it first, keeps the original error as `raw`.
function originalOf(value: unknown): unknown {
  if (value instanceof Error) return value;
  const raw = (value as { raw?: unknown } | null | undefined)?.raw;
  return raw instanceof Error ? raw : value;
}

function safeMessage(error: Error): string {
  const { query, params } = error as Error & { query?: unknown; params?: unknown };
  // Drizzle's DrizzleQueryError: the SQL text (placeholders only) is useful, its params are not.
  if (typeof query === 'string' && params !== undefined) return `Failed query: ${query}`;
  return error.message;
}

// The stack starts with "Type: message"; that message is replaced by the safe one.
function restack(error: Error, message: string): string {
  const stack = error.stack ?? '';
  const header = `${error.name}: ${error.message}`;
  if (stack.startsWith(header)) return `${error.name}: ${message}${stack.slice(header.length)}`;
  const frames = stack.indexOf('\n    at ');
  return `${error.name}: ${message}${frames === -1 ? '' : stack.slice(frames)}`;
}

function scrub(text: string): string {
  return text.replace(passwordHash, '[redacted]');
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
