// What an admin can do to an account, each change and its audit row in one transaction.
// Two rules keep the site administrable: an admin cannot disable or demote themselves, and the
// last active admin is never removed. Both are checked with every active admin's row locked, so
// two admins demoting each other at the same moment cannot both succeed (ADR 035).
import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { users, type AdminAction, type Database, type Transaction } from '@shipshape/db';
import { endSessions } from '../account/sessions';
import { adminOnly } from '../auth/require-admin';
import { HttpError, notFound } from '../http/errors';
import { recordAction, type Actor } from './audit';
import { findAccount } from './directory';

const ownAccount = () =>
  new HttpError(409, 'own_account', 'You cannot disable or demote your own account.');
const lastAdmin = () =>
  new HttpError(
    409,
    'last_admin',
    'This is the last active administrator. Promote someone else first.',
  );

const live = isNull(users.deletedAt);
const activeAdmin = and(eq(users.role, 'admin'), isNull(users.disabledAt), live);

interface Target {
  id: string;
  email: string;
  role: string;
  disabledAt: Date | null;
}

/** What each action changes; answers the audit row's details. */
const changes: Record<AdminAction, (tx: Transaction, target: Target) => Promise<object>> = {
  async disable(tx, target) {
    await tx
      .update(users)
      .set({ disabledAt: sql`now()` })
      .where(eq(users.id, target.id));
    // The session query refuses a disabled user already; deleting the rows also empties the
    // devices list and tells every replica's cache (migration 0008's trigger).
    return { sessionsEnded: await endSessions(tx, target.id) };
  },
  async enable(tx, target) {
    await tx.update(users).set({ disabledAt: null }).where(eq(users.id, target.id));
    return {};
  },
  async 'sign-out'(tx, target) {
    return { sessionsEnded: await endSessions(tx, target.id) };
  },
  async promote(tx, target) {
    await tx.update(users).set({ role: 'admin' }).where(eq(users.id, target.id));
    return { from: target.role };
  },
  async demote(tx, target) {
    await tx.update(users).set({ role: 'user' }).where(eq(users.id, target.id));
    return { from: target.role };
  },
};

// Disabling or demoting an active admin leaves one fewer.
const removesAnAdmin = (action: AdminAction, target: Target) =>
  (action === 'disable' || action === 'demote') && target.role === 'admin' && !target.disabledAt;

export function createAdminService({ db }: { db: Database }) {
  async function lockTarget(tx: Transaction, where: SQL) {
    const [target] = await tx
      .select({ id: users.id, email: users.email, role: users.role, disabledAt: users.disabledAt })
      .from(users)
      .where(and(where, live))
      .for('update');
    return target;
  }

  return {
    /** Applies `action` to the user `targetId` on behalf of an admin; the account afterwards. */
    async act(actor: Actor & { id: string }, action: AdminAction, targetId: string) {
      await db.transaction(async (tx) => {
        // Locked in one order (by id), so two such transactions wait for each other, never deadlock.
        const admins = await tx
          .select({ id: users.id })
          .from(users)
          .where(activeAdmin)
          .orderBy(asc(users.id))
          .for('update');
        // requireAdmin let the request in; another admin may have removed this one since.
        if (!admins.some((admin) => admin.id === actor.id)) throw adminOnly();
        const target = await lockTarget(tx, eq(users.id, targetId));
        if (!target) throw notFound('User');
        if (removesAnAdmin(action, target)) {
          if (target.id === actor.id) throw ownAccount();
          if (admins.length <= 1) throw lastAdmin();
        }
        const details = await changes[action](tx, target);
        await recordAction(tx, actor, action, target, details);
      });
      const account = await findAccount(db, targetId);
      if (!account) throw notFound('User');
      return account;
    },

    /**
     * Makes the account with this email an admin, for `pnpm user:promote`: 'promoted', 'already'
     * when it was one, or undefined when no account has the address.
     */
    async promoteByEmail(email: string, actor: Actor) {
      return db.transaction(async (tx) => {
        const target = await lockTarget(tx, eq(sql`lower(${users.email})`, email.toLowerCase()));
        if (!target) return undefined;
        if (target.role === 'admin') return 'already' as const;
        await recordAction(tx, actor, 'promote', target, await changes.promote(tx, target));
        return 'promoted' as const;
      });
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
