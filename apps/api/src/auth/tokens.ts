// Following a mailed link: the token is found by its hash and used up in the same statement, so
// two requests racing with one link cannot both succeed. When it does not work, the page is told
// why in words a person can act on: used already, too old, or not a link we know (mistyped,
// replaced by a newer one, or its account deleted: those look alike on purpose).
import { and, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  accountTokens,
  emails,
  users,
  type AccountTokenPurpose,
  type Database,
  type Transaction,
} from '@shipshape/db';
import { hashToken } from '@shipshape/mail/links';
import { HttpError } from '../http/errors';

/** A token as links carry it: 43 base64url characters. Anything else is refused unread. */
export const tokenInput = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a link we sent.');

export const linkInvalid = () =>
  new HttpError(
    400,
    'link_invalid',
    'This link does not work. It may be incomplete, replaced by a newer one, or for an account that no longer exists.',
  );

const linkUsed = () =>
  new HttpError(400, 'link_used', 'This link has been used already. Each link works once.');

const linkExpired = () =>
  new HttpError(400, 'link_expired', 'This link has expired. Ask for a new one.');

/** Uses up the token, inside the caller's transaction, or throws the reason it cannot be used. */
export async function useToken(
  tx: Transaction | Database,
  purpose: AccountTokenPurpose,
  token: string,
): Promise<{ userId: string; newEmail: string | null }> {
  const tokenHash = hashToken(token);
  const [used] = await tx
    .update(accountTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(accountTokens.tokenHash, tokenHash),
        eq(accountTokens.purpose, purpose),
        isNull(accountTokens.usedAt),
        gt(accountTokens.expiresAt, sql`now()`),
        sql`exists (select 1 from ${users} where ${users.id} = ${accountTokens.userId} and ${users.deletedAt} is null)`,
      ),
    )
    .returning({ userId: accountTokens.userId, newEmail: accountTokens.newEmail });
  if (used) return used;

  const [known] = await tx
    .select({
      usedAt: accountTokens.usedAt,
      expired: sql<boolean>`${accountTokens.expiresAt} <= now()`,
      deleted: sql<boolean>`${users.deletedAt} is not null`,
    })
    .from(accountTokens)
    .innerJoin(users, eq(users.id, accountTokens.userId))
    .where(and(eq(accountTokens.tokenHash, tokenHash), eq(accountTokens.purpose, purpose)));
  if (!known || known.deleted) throw linkInvalid();
  if (known.usedAt) throw linkUsed();
  if (known.expired) throw linkExpired();
  throw linkInvalid();
}

/**
 * Every link of the user not used yet stops working, and mails that would carry one are not sent.
 * Called whenever the password or the address changes: a link made before the change must not
 * undo it (a pending change of address would otherwise survive the owner's password reset, and
 * a reset link mailed to the old address would outlive the move to the new one).
 */
export async function revokeLinks(tx: Transaction | Database, userId: string): Promise<void> {
  await tx
    .delete(accountTokens)
    .where(and(eq(accountTokens.userId, userId), isNull(accountTokens.usedAt)));
  await tx
    .update(emails)
    .set({ status: 'dropped' })
    .where(
      and(
        eq(emails.userId, userId),
        eq(emails.status, 'pending'),
        inArray(emails.template, ['verify-email', 'reset-password', 'confirm-email-change']),
      ),
    );
}
