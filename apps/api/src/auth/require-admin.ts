// The one guard of the admin area (ADR 035). The role is read from the database on every request,
// not kept in the session: an admin who is demoted or disabled loses access at their next request.
import type { RequestHandler } from 'express';
import { and, eq, isNull } from 'drizzle-orm';
import { users, type Database } from '@shipshape/db';
import { HttpError } from '../http/errors';
import { currentUser } from './require-user';

export const adminOnly = () =>
  new HttpError(403, 'admin_only', 'Only an administrator can do this.');

export function requireAdmin(db: Database): RequestHandler {
  return async (req, _res, next) => {
    const { id } = currentUser(req);
    const [user] = await db
      .select({ role: users.role })
      .from(users)
      .where(and(eq(users.id, id), isNull(users.deletedAt), isNull(users.disabledAt)));
    if (user?.role !== 'admin') throw adminOnly();
    next();
  };
}
