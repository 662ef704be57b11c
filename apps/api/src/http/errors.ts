// One error type for every failure a client should hear about, and the one middleware
// that turns any thrown error into `{ error: { code, message } }`.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';

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

function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof ZodError) return fromZod(error);
  if (error && typeof error === 'object') return fromBodyParser(error);
  return undefined;
}

export function errorHandler({ exposeStack }: { exposeStack: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = toHttpError(error);
    if (known) {
      req.log.info({ code: known.code }, known.message);
      const { status, code, message, fields } = known;
      res.status(status).json({ error: { code, message, ...(fields && { fields }) } });
      return;
    }
    req.log.error({ err: error }, 'unhandled error');
    const stack = exposeStack && error instanceof Error ? { stack: error.stack } : {};
    res.status(500).json({
      error: { code: 'internal_error', message: 'Something went wrong on our side.', ...stack },
    });
  };
}
