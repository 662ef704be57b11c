import type { Request, RequestHandler } from 'express';
import { HttpError } from '../http/errors';

export const requireUser: RequestHandler = (req, _res, next) => {
  if (!req.user) throw new HttpError(401, 'unauthenticated', 'Sign in to continue.');
  next();
};

/** The signed-in user of a request that passed requireUser. */
export function currentUser(req: Request): Express.User {
  if (!req.user) throw new HttpError(401, 'unauthenticated', 'Sign in to continue.');
  return req.user;
}
