// One error type for every failure a client should hear about, and the one middleware
// that turns any thrown error into `{ error: { code, message } }`.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { serializeError } from '@shipshape/logger';
import { ZodError } from 'zod';
import { isDependencyOutage, postgresCode } from './outages';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'Resource') =>
  new HttpError(404, 'not_found', `${what} not found.`);

export const unknownRoute: RequestHandler = (req) => {
  throw new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}.`);
};

function fromZod(error: ZodError): HttpError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path.join('.') || 'body';
    fields[field] ??= issue.message;
  }
  const message = Object.entries(fields)
    .map(([field, problem]) => `${field}: ${problem}`)
    .join('; ');
  return new HttpError(400, 'validation_failed', message, fields);
}

// body-parser marks its errors with a `type`; these are the client's mistakes, not ours.
function fromBodyParser(error: { type?: unknown }): HttpError | undefined {
  if (error.type === 'entity.parse.failed') {
    return new HttpError(400, 'malformed_json', 'The request body is not valid JSON.');
  }
  if (error.type === 'entity.too.large') {
    return new HttpError(413, 'payload_too_large', 'The request body is too large.');
  }
  return undefined;
}

const unavailable = () =>
  new HttpError(
    503,
    'service_unavailable',
    'The service is briefly unavailable. Nothing was changed; try again in a moment.',
  );

// Postgres' data exceptions (SQLSTATE class 22: out-of-range dates, bad encodings) are caused
// by a value that passed validation but that Postgres cannot store or compare. Input checks at
// the edge should catch them first; this keeps one that slipped through a 400, not a 500.
const invalidValue = () =>
  new HttpError(400, 'invalid_value', 'A value in this request is out of range or malformed.');

// Express's own layers mark what the client got wrong with a 4xx `status`: body-parser (with
// http-errors' `expose: true`) for a charset or Content-Encoding it cannot decode and for a body
// that does not inflate; the router (on a URIError) for a path whose percent-encoding is broken,
// such as /api/notes/%E0%A4. Each is the client's mistake, not a 500.
function fromHttpErrors(error: object): HttpError | undefined {
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  const fromClient = expose === true || error instanceof URIError;
  if (!fromClient || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (status === 415) {
    return new HttpError(
      415,
      'unsupported_encoding',
      'The request body is in an encoding this API cannot read: send UTF-8 JSON, uncompressed or gzip.',
    );
  }
  return new HttpError(status, 'bad_request', 'The request could not be read.');
}

/** The client's own mistakes: ours to explain, with nothing worth logging beyond the code. */
function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof ZodError) return fromZod(error);
  if (error && typeof error === 'object') return fromBodyParser(error) ?? fromHttpErrors(error);
  return undefined;
}

/** Failures of a service we depend on: the log keeps the original error (see serialize-error.ts). */
function fromDependency(error: unknown): HttpError | undefined {
  if (isDependencyOutage(error)) return unavailable();
  if (postgresCode(error)?.startsWith('22')) return invalidValue();
  return undefined;
}

export function errorHandler({ exposeStack }: { exposeStack: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    // Once the headers are out (a download the client abandoned, or S3 failing mid-stream) no
    // JSON answer can follow: cut the connection, so the client sees a short body, not a whole one.
    if (res.headersSent) {
      // The client's socket closing destroys the response; the error is then only its echo.
      const clientLeft = res.destroyed;
      if (clientLeft) req.log.info('the client closed the connection before the response ended');
      else req.log.error({ err: error }, 'failed after the response started');
      res.destroy();
      return;
    }
    const send = ({ status, code, message, fields }: HttpError) => {
      if (status === 503) res.set('Retry-After', '5');
      res.status(status).json({ error: { code, message, ...(fields && { fields }) } });
    };

    const clientError = toHttpError(error);
    if (clientError) {
      req.log.info({ code: clientError.code }, clientError.message);
      send(clientError);
      return;
    }
    const dependencyError = fromDependency(error);
    if (dependencyError) {
      req.log.warn({ code: dependencyError.code, err: error }, dependencyError.message);
      send(dependencyError);
      return;
    }
    req.log.error({ err: error }, 'unhandled error');
    // Local development only, and without the query parameters an error may carry.
    const stack = exposeStack ? { stack: (serializeError(error) as { stack?: string }).stack } : {};
    res.status(500).json({
      error: { code: 'internal_error', message: 'Something went wrong on our side.', ...stack },
    });
  };
}
