// The admin audit: one row per change an admin makes to an account, written in the change's own
// transaction, and listed newest first on its own page.
import { and, sql } from 'drizzle-orm';
import { adminAudit, type AdminAction, type Database, type Transaction } from '@shipshape/db';
import { newestFirst, toPage, type PageQuery } from '../http/pagination';

/** Who acted, and from where. */
export interface Actor {
  /** The admin's user id; null for the `user:promote` command. */
  id: string | null;
  /** The admin's email, or 'command'. */
  name: string;
  clientIp: string | null;
  userAgent: string | null;
}

export async function recordAction(
  tx: Transaction,
  actor: Actor,
  action: AdminAction,
  target: { id: string; email: string },
  details: object = {},
) {
  await tx.insert(adminAudit).values({
    actorId: actor.id,
    actor: actor.name,
    action,
    targetId: target.id,
    targetEmail: target.email,
    details,
    clientIp: actor.clientIp,
    userAgent: actor.userAgent,
  });
}

export async function listAudit(db: Database, page: PageQuery) {
  const after =
    page.cursor &&
    sql`(${adminAudit.createdAt}, ${adminAudit.id}) < (${page.cursor.createdAt}, ${page.cursor.id})`;
  const rows = await db
    .select()
    .from(adminAudit)
    .where(and(after))
    .orderBy(...newestFirst(adminAudit))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}
