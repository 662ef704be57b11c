import type { Request } from 'express';
import { z } from 'zod';
import { notFound } from './errors';

const uuid = z.uuid();

/** The `:id` route parameter. An id that is not even a UUID names nothing: 404, like any other. */
export function idParam(req: Request, what: string): string {
  const id = uuid.safeParse(req.params.id);
  if (!id.success) throw notFound(what);
  return id.data;
}
