// Attempt counts in the auth_attempts table, for deployments without Redis (local development).
// The database's clock decides when a window closes, as it stamps every other time.
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { authAttempts, type Database } from '@shipshape/db';
import { noAttempts, type AttemptCounter, type AttemptCounterOptions } from './counter';

const resetsInMs = sql<number>`ceil(extract(epoch from ${authAttempts.windowEndsAt} - now()) * 1000)::int`;
const windowOpen = gt(authAttempts.windowEndsAt, sql`now()`);

export function createPostgresAttemptCounter(
  db: Database,
  { windowMs, prefix = '' }: AttemptCounterOptions,
): AttemptCounter {
  const windowEnd = sql`now() + ${windowMs} * interval '1 millisecond'`;
  let lastSweep = 0;

  // Rows of closed windows are dead weight; removing them once per window per process is plenty.
  async function sweep() {
    if (Date.now() - lastSweep < windowMs) return;
    lastSweep = Date.now();
    await db.delete(authAttempts).where(lt(authAttempts.windowEndsAt, sql`now()`));
  }

  return {
    async hit(key) {
      await sweep();
      // A closed window's row starts over at 1 with a new window, in the same statement.
      const [row] = await db
        .insert(authAttempts)
        .values({ key: prefix + key, count: 1, windowEndsAt: windowEnd })
        .onConflictDoUpdate({
          target: authAttempts.key,
          set: {
            count: sql`case when ${windowOpen} then ${authAttempts.count} + 1 else 1 end`,
            windowEndsAt: sql`case when ${windowOpen} then ${authAttempts.windowEndsAt} else ${windowEnd} end`,
          },
        })
        .returning({ count: authAttempts.count, resetsInMs });
      return row ?? noAttempts;
    },

    async count(key) {
      const [row] = await db
        .select({ count: authAttempts.count, resetsInMs })
        .from(authAttempts)
        .where(and(eq(authAttempts.key, prefix + key), windowOpen));
      return row ?? noAttempts;
    },

    async reset(key) {
      await db.delete(authAttempts).where(eq(authAttempts.key, prefix + key));
    },

    // The pool belongs to the caller.
    async close() {},
  };
}
