// The 'send-email' job: one row of the mail outbox (the `emails` table), rendered and handed to
// the SMTP server. A mail with a link gets its token here, at sending time: the token is never
// stored, only its hash, and its lifetime starts when the mail leaves, not when it was asked for.
// An SMTP server that is away (refused, timed out, 4xx) delays the mail: the job is retried for
// minutes and the row stays 'pending', which resume-work picks up again after that. A refusal
// for good (5xx: no such mailbox) is written down and logged with its reason.
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import {
  accountTokens,
  emails,
  singleRow,
  users,
  type Database,
  type EmailRow,
} from '@shipshape/db';
import { isPermanentMailError, renderEmail, type EmailContent } from '@shipshape/mail';
import {
  accountLink,
  hashToken,
  newToken,
  tokenLifetimeMinutes,
  type AccountTokenPurpose,
} from '@shipshape/mail/links';
import { OutageError, type JobHandlers } from '@shipshape/queue';
import type { JobDeps } from './deps';
import { permanentFailure, shortCause } from './failure';

const purposeOf: Partial<Record<EmailRow['template'], AccountTokenPurpose>> = {
  'verify-email': 'verify-email',
  'reset-password': 'reset-password',
  'confirm-email-change': 'change-email',
};

export function sendEmail({ db, mail }: JobDeps): JobHandlers['send-email'] {
  return async ({ emailId }, context) => {
    if (!mail) throw permanentFailure('This process was started without a mailer');
    const [row] = await db.select().from(emails).where(eq(emails.id, emailId));
    // Sent already (a retry after the row was marked), or removed: nothing to do.
    if (row?.status !== 'pending') return;
    const log = { emailId, template: row.template };

    const content = await prepareContent(db, row, mail.publicUrl);
    if (!content) {
      await updateEmail(db, emailId, { status: 'dropped' });
      context.log.info(log, 'Mail not sent: nothing to send it about any more');
      return;
    }
    const message = renderEmail(row.template, content);
    try {
      await mail.mailer.send({
        to: row.toAddress,
        ...message,
        // One id per row, however often it is tried: a mail client can tell a repeat.
        messageId: `<${row.id}@${new URL(mail.publicUrl).hostname}>`,
      });
    } catch (error) {
      const reason = shortCause(error);
      if (isPermanentMailError(error)) {
        await updateEmail(db, emailId, { status: 'failed', failureReason: reason });
        context.log.error({ ...log, reason }, 'Mail refused by the SMTP server; not retried');
        return;
      }
      await updateEmail(db, emailId, { failureReason: reason });
      // The message is the server's answer, never the mail: no link reaches the log.
      throw new OutageError(`SMTP server unavailable: ${reason}`);
    }
    await updateEmail(db, emailId, { status: 'sent', sentAt: sql`now()`, failureReason: null });
  };
}

async function updateEmail(db: Database, id: string, values: PgUpdateSetSource<typeof emails>) {
  await db
    .update(emails)
    .set({ ...values, attempts: sql`${emails.attempts} + 1` })
    .where(eq(emails.id, id));
}

/** What the template needs, or undefined when the mail has lost its reason to be sent. */
async function prepareContent(
  db: Database,
  row: EmailRow,
  siteUrl: string,
): Promise<EmailContent | undefined> {
  const purpose = purposeOf[row.template];
  if (!purpose) return { siteUrl, newEmail: row.newEmail ?? undefined };
  const userId = await accountFor(db, row, purpose);
  if (!userId) return undefined;
  const token = await issueToken(db, row, userId, purpose);
  return {
    siteUrl,
    link: accountLink(siteUrl, purpose, token),
    newEmail: row.newEmail ?? undefined,
    expiresInMinutes: tokenLifetimeMinutes[purpose],
  };
}

/**
 * The account a link is for, if it still wants one. A reset is asked for by address (the API
 * does the same work whether or not an account has it, see auth/account-mail.ts); the others
 * by a signed-in user.
 */
async function accountFor(db: Database, row: EmailRow, purpose: AccountTokenPurpose) {
  const live = isNull(users.deletedAt);
  const [user] =
    purpose === 'reset-password'
      ? await db
          .select({ id: users.id, verifiedAt: users.emailVerifiedAt })
          .from(users)
          .where(and(eq(sql`lower(${users.email})`, row.toAddress.toLowerCase()), live))
      : row.userId
        ? await db
            .select({ id: users.id, verifiedAt: users.emailVerifiedAt })
            .from(users)
            .where(and(eq(users.id, row.userId), live))
        : [];
  if (!user) return undefined;
  // Verified meanwhile (by a reset link, which proves the address as well).
  if (purpose === 'verify-email' && user.verifiedAt) return undefined;
  return user.id;
}

/**
 * A fresh token for this mail, replacing any earlier link of the same kind for this user: only
 * the newest link works. A retried send gets a new token too, since none is kept in plain text.
 */
async function issueToken(
  db: Database,
  row: EmailRow,
  userId: string,
  purpose: AccountTokenPurpose,
): Promise<string> {
  const token = newToken();
  await db.transaction(async (tx) => {
    await tx
      .delete(accountTokens)
      .where(
        and(
          eq(accountTokens.userId, userId),
          eq(accountTokens.purpose, purpose),
          isNull(accountTokens.usedAt),
          row.tokenId ? ne(accountTokens.id, row.tokenId) : undefined,
        ),
      );
    const values = {
      userId,
      purpose,
      tokenHash: hashToken(token),
      newEmail: row.newEmail,
      expiresAt: sql`now() + make_interval(mins => ${tokenLifetimeMinutes[purpose]})`,
    };
    const { id } = singleRow(
      await tx
        .insert(accountTokens)
        .values(row.tokenId ? { id: row.tokenId, ...values } : values)
        .onConflictDoUpdate({
          target: accountTokens.id,
          set: { tokenHash: values.tokenHash, expiresAt: values.expiresAt, usedAt: null },
        })
        .returning({ id: accountTokens.id }),
    );
    await tx.update(emails).set({ tokenId: id, userId }).where(eq(emails.id, row.id));
  });
  return token;
}
