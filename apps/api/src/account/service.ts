// What a signed-in user changes about their own account: the password, the address, which
// sessions stay signed in, and whether the account exists at all. Each change that matters
// asks for the current password again (ASVS 2.2.x/3.x re-authentication) and is told by mail.
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { accountTokens, emails, singleRow, users, type Database } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import { deleteAccountJobId, enqueueOrDefer, type JobQueue } from '@shipshape/queue';
import { hashPassword } from '../auth/passwords';
import { emailTaken } from '../auth/recovery';
import { revokeLinks } from '../auth/tokens';
import { publicUserColumns, type UsersService } from '../auth/users';
import { HttpError, notFound } from '../http/errors';
import { writeMail } from '../mail/outbox';
import { endSessions } from './sessions';

// Named after the field that asked for it, so the page shows it there.
const wrongPassword = (field: string) =>
  new HttpError(401, 'invalid_credentials', 'That is not your current password.', {
    [field]: 'That is not your current password.',
  });

export function createAccountService({
  db,
  queue,
  logger,
  checkPassword,
}: {
  db: Database;
  queue: JobQueue;
  logger: Logger;
  checkPassword: UsersService['checkPassword'];
}) {
  async function requirePassword(userId: string, password: string, field = 'currentPassword') {
    if (!(await checkPassword(userId, password))) throw wrongPassword(field);
  }

  return {
    async profile(userId: string) {
      const [user] = await db
        .select({ ...publicUserColumns, createdAt: users.createdAt })
        .from(users)
        .where(and(eq(users.id, userId), isNull(users.deletedAt)));
      if (!user) throw notFound('Account');
      return { ...user, pendingEmail: await pendingEmail(db, userId) };
    },

    /** Other sessions end; the one making the change stays. Returns the notice's mail. */
    async changePassword(
      userId: string,
      sessionId: string,
      { currentPassword, newPassword }: { currentPassword: string; newPassword: string },
    ): Promise<string[]> {
      await requirePassword(userId, currentPassword);
      const passwordHash = await hashPassword(newPassword);
      return db.transaction(async (tx) => {
        const user = singleRow(
          await tx
            .update(users)
            .set({ passwordHash })
            .where(eq(users.id, userId))
            .returning({ email: users.email }),
        );
        await endSessions(tx, userId, { except: sessionId });
        await revokeLinks(tx, userId);
        return writeMail(tx, [{ userId, toAddress: user.email, template: 'password-changed' }]);
      });
    },

    /**
     * Nothing changes until the new address confirms: it gets a link, the current one a notice
     * (so a thief who knows the password cannot move the account away unseen).
     */
    async requestEmailChange(
      userId: string,
      { currentPassword, newEmail }: { currentPassword: string; newEmail: string },
    ): Promise<string[]> {
      await requirePassword(userId, currentPassword);
      const [taken] = await db
        .select({ id: users.id })
        .from(users)
        .where(eq(sql`lower(${users.email})`, newEmail));
      if (taken) {
        if (taken.id === userId) {
          throw new HttpError(400, 'validation_failed', 'That is your address already.', {
            newEmail: 'That is your address already.',
          });
        }
        throw emailTaken();
      }
      const { email } = singleRow(
        await db.select({ email: users.email }).from(users).where(eq(users.id, userId)),
      );
      return writeMail(db, [
        { userId, toAddress: newEmail, template: 'confirm-email-change', newEmail },
        { userId, toAddress: email, template: 'email-change-requested', newEmail },
      ]);
    },

    /**
     * Marks the account as leaving and ends its sessions at once; the 'delete-account' job then
     * removes its objects and rows and says goodbye by mail.
     */
    async deleteAccount(userId: string, password: string): Promise<void> {
      await requirePassword(userId, password, 'password');
      await db.transaction(async (tx) => {
        await tx
          .update(users)
          .set({ deletedAt: sql`now()` })
          .where(eq(users.id, userId));
        await endSessions(tx, userId);
      });
      // deleted_at is the outbox: should this enqueue fail, resume-work enqueues it again.
      await enqueueOrDefer(queue, logger, {
        name: 'delete-account',
        payload: { userId },
        jobId: deleteAccountJobId(userId),
      });
    },
  };
}

/** The address waiting to be confirmed, if any: a link out or a mail about to carry one. */
async function pendingEmail(db: Database, userId: string): Promise<string | null> {
  const [token] = await db
    .select({ newEmail: accountTokens.newEmail })
    .from(accountTokens)
    .where(
      and(
        eq(accountTokens.userId, userId),
        eq(accountTokens.purpose, 'change-email'),
        isNull(accountTokens.usedAt),
        gt(accountTokens.expiresAt, sql`now()`),
      ),
    )
    .orderBy(desc(accountTokens.createdAt))
    .limit(1);
  if (token?.newEmail) return token.newEmail;
  const [mail] = await db
    .select({ newEmail: emails.newEmail })
    .from(emails)
    .where(
      and(
        eq(emails.userId, userId),
        eq(emails.template, 'confirm-email-change'),
        eq(emails.status, 'pending'),
      ),
    )
    .orderBy(desc(emails.createdAt))
    .limit(1);
  return mail?.newEmail ?? null;
}

export type AccountService = ReturnType<typeof createAccountService>;
