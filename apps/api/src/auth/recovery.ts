// The flows that start from a mailed link: verifying an address, resetting a forgotten password,
// confirming a new address. Each uses its token up in the same transaction as the change it
// makes, and writes the mail that reports the change to the outbox there too.
import { eq, sql } from 'drizzle-orm';
import { isUniqueViolation, singleRow, users, type Database } from '@shipshape/db';
import { endSessions, renameInSessions } from '../account/sessions';
import { HttpError } from '../http/errors';
import { writeMail } from '../mail/outbox';
import { hashPassword } from './passwords';
import { revokeLinks, useToken } from './tokens';
import { publicUserColumns, type PublicUser } from './users';

export const emailTaken = () =>
  new HttpError(409, 'email_taken', 'An account with this email already exists.', {
    email: 'An account with this email already exists.',
  });

export function createRecoveryService({ db }: { db: Database }) {
  return {
    async verifyEmail(token: string): Promise<PublicUser> {
      return db.transaction(async (tx) => {
        const { userId } = await useToken(tx, 'verify-email', token);
        return singleRow(
          await tx
            .update(users)
            .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
            .where(eq(users.id, userId))
            .returning(publicUserColumns),
        );
      });
    },

    /** Another verification mail; undefined when there is nothing to verify any more. */
    async resendVerification(userId: string): Promise<string | undefined> {
      const [user] = await db
        .select({ email: users.email, verifiedAt: users.emailVerifiedAt })
        .from(users)
        .where(eq(users.id, userId));
      if (!user || user.verifiedAt) return undefined;
      const [id] = await writeMail(db, [
        { userId, toAddress: user.email, template: 'verify-email' },
      ]);
      return id;
    },

    /**
     * The same work whether or not an account uses `email`: one mail row, which the job sends
     * only if there is an account then. So the answer and its timing reveal nothing.
     */
    async requestReset(email: string): Promise<string[]> {
      return writeMail(db, [{ toAddress: email, template: 'reset-password' }]);
    },

    /**
     * A new password from a reset link. Every session of the account ends (whoever held one is
     * signed out on their next request), and the owner is told by mail. Following the link also
     * proves the address, so an unverified one becomes verified.
     */
    async resetPassword(token: string, password: string): Promise<string[]> {
      const passwordHash = await hashPassword(password);
      return db.transaction(async (tx) => {
        const { userId } = await useToken(tx, 'reset-password', token);
        const user = singleRow(
          await tx
            .update(users)
            .set({ passwordHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
            .where(eq(users.id, userId))
            .returning({ email: users.email }),
        );
        // Any other link still in an inbox dies with this one, a pending change of address too.
        await revokeLinks(tx, userId);
        await endSessions(tx, userId);
        return writeMail(tx, [{ userId, toAddress: user.email, template: 'password-changed' }]);
      });
    },

    /** The new address becomes the account's, verified; the old one is told. */
    async confirmEmailChange(token: string): Promise<{ user: PublicUser; emailIds: string[] }> {
      try {
        return await db.transaction(async (tx) => {
          const { userId, newEmail } = await useToken(tx, 'change-email', token);
          if (!newEmail) throw new Error('A change-email token without its new address');
          const [before] = await tx
            .select({ email: users.email })
            .from(users)
            .where(eq(users.id, userId));
          const user = singleRow(
            await tx
              .update(users)
              .set({ email: newEmail, emailVerifiedAt: sql`now()` })
              .where(eq(users.id, userId))
              .returning(publicUserColumns),
          );
          await renameInSessions(tx, userId, newEmail);
          await revokeLinks(tx, userId);
          const emailIds = await writeMail(tx, [
            { userId, toAddress: before?.email ?? newEmail, template: 'email-changed', newEmail },
          ]);
          return { user, emailIds };
        });
      } catch (error) {
        // Someone signed up with that address between the request and this confirmation.
        if (isUniqueViolation(error)) throw emailTaken();
        throw error;
      }
    },
  };
}

export type RecoveryService = ReturnType<typeof createRecoveryService>;
