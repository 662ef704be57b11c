import { and, eq, isNull, sql } from 'drizzle-orm';
import {
  emails,
  isUniqueViolation,
  singleRow,
  users,
  type Database,
  type UserRole,
} from '@shipshape/db';
import { HttpError } from '../http/errors';
import { burnVerifyTime, hashPassword, verifyPassword } from './passwords';
import type { Credentials } from './schema';

/** What the rest of the app knows about a signed-in person. */
export interface SessionUser {
  id: string;
  email: string;
}

/** What the API tells the page about its user. */
export interface PublicUser extends SessionUser {
  emailVerified: boolean;
  /** Read fresh on every request that needs it; the session keeps no role (see require-admin.ts). */
  role: UserRole;
}

// A user whose deletion is under way is nobody: no sign-in, no session (see session.ts).
const live = isNull(users.deletedAt);
/** The columns a PublicUser is read from, for select() and returning(). */
export const publicUserColumns = {
  id: users.id,
  email: users.email,
  emailVerified: sql<boolean>`${users.emailVerifiedAt} is not null`,
  role: users.role,
};

// Said only to someone who gave the right password: it reveals nothing to a guesser.
const accountDisabled = () =>
  new HttpError(
    403,
    'account_disabled',
    'This account has been disabled by an administrator. Contact them to have it enabled again.',
  );

// register and authenticate answer `undefined` rather than throwing: a taken email or a wrong
// password is an outcome their callers act on (the sign-up counts as a failed attempt; passport
// answers "no user"), not an error for the error middleware to render.
export function createUsersService({ db }: { db: Database }) {
  return {
    /**
     * The new user and the id of the mail that asks them to verify their address (written in
     * the same transaction: the outbox), or undefined when the email already has an account.
     */
    async register({
      email,
      password,
    }: Credentials): Promise<{ user: PublicUser; emailId: string } | undefined> {
      const passwordHash = await hashPassword(password);
      try {
        return await db.transaction(async (tx) => {
          const user = singleRow(
            await tx
              .insert(users)
              .values({ email, passwordHash, lastSignInAt: sql`now()` })
              .returning(publicUserColumns),
          );
          const mail = singleRow(
            await tx
              .insert(emails)
              .values({ userId: user.id, toAddress: email, template: 'verify-email' })
              .returning({ id: emails.id }),
          );
          return { user, emailId: mail.id };
        });
      } catch (error) {
        if (isUniqueViolation(error)) return undefined;
        throw error;
      }
    },

    /**
     * The user when the password matches; undefined for a wrong password or an unknown email
     * alike. Throws `account_disabled` for the right password of a disabled account.
     */
    async authenticate({ email, password }: Credentials): Promise<PublicUser | undefined> {
      const [user] = await db
        .select({
          ...publicUserColumns,
          passwordHash: users.passwordHash,
          disabledAt: users.disabledAt,
        })
        .from(users)
        .where(and(eq(sql`lower(${users.email})`, email.toLowerCase()), live));
      if (!user) {
        await burnVerifyTime(password);
        return undefined;
      }
      if (!(await verifyPassword(user.passwordHash, password))) return undefined;
      if (user.disabledAt) throw accountDisabled();
      await db
        .update(users)
        .set({ lastSignInAt: sql`now()` })
        .where(eq(users.id, user.id));
      return { id: user.id, email: user.email, emailVerified: user.emailVerified, role: user.role };
    },

    /** Whether `password` is this user's: for changes that ask for it again. */
    async checkPassword(id: string, password: string): Promise<boolean> {
      const [user] = await db
        .select({ passwordHash: users.passwordHash })
        .from(users)
        .where(and(eq(users.id, id), live));
      if (!user) {
        await burnVerifyTime(password);
        return false;
      }
      return verifyPassword(user.passwordHash, password);
    },

    async findById(id: string): Promise<PublicUser | undefined> {
      const [user] = await db
        .select(publicUserColumns)
        .from(users)
        .where(and(eq(users.id, id), live));
      return user;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
