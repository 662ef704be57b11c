// /api/admin: the accounts, what an admin can do to them, and the audit of what admins did.
// Every route is behind requireAdmin; every change answers the account as it now is.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AdminAction, AdminAuditRow, Database } from '@shipshape/db';
import { requireAdmin } from '../auth/require-admin';
import { currentUser } from '../auth/require-user';
import { notFound } from '../http/errors';
import { pageQuery } from '../http/pagination';
import { idParam } from '../http/params';
import { listAudit, type Actor } from './audit';
import { findAccount, listAccounts } from './directory';
import type { AdminService } from './service';

const userSearch = pageQuery.extend({ q: z.string().trim().max(200).optional() });

/** The signed-in admin, and where the request came from, for the audit. */
function actorOf(req: Request): Actor & { id: string } {
  const { id, email } = currentUser(req);
  return {
    id,
    name: email,
    clientIp: req.ip ?? null,
    userAgent: req.get('user-agent')?.slice(0, 300) ?? null,
  };
}

const publicEntry = (row: AdminAuditRow) => ({
  id: row.id,
  action: row.action,
  actorId: row.actorId,
  actor: row.actor,
  targetId: row.targetId,
  targetEmail: row.targetEmail,
  details: row.details,
  clientIp: row.clientIp,
  userAgent: row.userAgent,
  createdAt: row.createdAt,
});

export function adminRouter({ admin, db }: { admin: AdminService; db: Database }) {
  const router = Router();
  router.use(requireAdmin(db));

  router.get('/users', async (req, res) => {
    const { q, ...page } = userSearch.parse(req.query);
    const found = await listAccounts(db, q || undefined, page);
    res.json({ users: found.items, nextCursor: found.nextCursor });
  });

  router.get('/users/:id', async (req, res) => {
    const user = await findAccount(db, idParam(req, 'User'));
    if (!user) throw notFound('User');
    res.json({ user });
  });

  // One route per action, spelt out, so each is found by a reader and by the security suite's
  // route list (test/security/support/routes.ts).
  const act = async (req: Request, action: AdminAction) => ({
    user: await admin.act(actorOf(req), action, idParam(req, 'User')),
  });
  router.post('/users/:id/disable', async (req, res) => {
    res.json(await act(req, 'disable'));
  });
  router.post('/users/:id/enable', async (req, res) => {
    res.json(await act(req, 'enable'));
  });
  router.post('/users/:id/sign-out', async (req, res) => {
    res.json(await act(req, 'sign-out'));
  });
  router.post('/users/:id/promote', async (req, res) => {
    res.json(await act(req, 'promote'));
  });
  router.post('/users/:id/demote', async (req, res) => {
    res.json(await act(req, 'demote'));
  });

  router.get('/audit', async (req, res) => {
    const page = await listAudit(db, pageQuery.parse(req.query));
    res.json({ entries: page.items.map(publicEntry), nextCursor: page.nextCursor });
  });

  return router;
}
