import { eq, sql } from 'drizzle-orm';
import { isUniqueViolation, singleRow, users, type Database } from '@shipshape/db';
import { burnVerifyTime, hashPassword, verifyPassword } from './passwords';
import type { Credentials } from './schema';

/** What the rest of the app knows about a signed-in person. */
export interface SessionUser {
  id: string;
  email: string;
}

// register and authenticate answer `undefined` rather than throwing: a taken email or a wrong
// password is an outcome their callers act on (the sign-up counts as a failed attempt; passport
// answers "no user"), not an error for the error middleware to render.
export function createUsersService({ db }: { db: Database }) {
  return {
    /** The new user, or undefined when the email already has an account. */
    async register({ email, password }: Credentials): Promise<SessionUser | undefined> {
      const passwordHash = await hashPassword(password);
      try {
        const rows = await db
          .insert(users)
          .values({ email, passwordHash })
          .returning({ id: users.id, email: users.email });
        return singleRow(rows);
      } catch (error) {
        if (isUniqueViolation(error)) return undefined;
        throw error;
      }
    },

    /** The user when the password matches; undefined for a wrong password or an unknown email alike. */
    async authenticate({ email, password }: Credentials): Promise<SessionUser | undefined> {
      const [user] = await db
        .select()
        .from(users)
        .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
      if (!user) {
        await burnVerifyTime(password);
        return undefined;
      }
      if (!(await verifyPassword(user.passwordHash, password))) return undefined;
      return { id: user.id, email: user.email };
    },

    async findById(id: string): Promise<SessionUser | undefined> {
      const [user] = await db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(eq(users.id, id));
      return user;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
