// The admin's view of the accounts: each with what it holds and how it was last used.
// Read only; the changes an admin makes are in service.ts.
import { and, eq, ilike, isNull, sql, type SQL } from 'drizzle-orm';
import { users, type Database, type Transaction } from '@shipshape/db';
import { newestFirst, toPage, type PageQuery } from '../http/pagination';

// A page is at most 100 users, so a count per user is 100 index lookups, not a scan. Written in
// plain SQL: in a query on one table drizzle leaves column names unqualified, and `user_id = id`
// inside the subquery would compare two columns of the subquery's own table.
const accountColumns = {
  id: users.id,
  email: users.email,
  role: users.role,
  emailVerified: sql<boolean>`${users.emailVerifiedAt} is not null`,
  disabledAt: users.disabledAt,
  lastSignInAt: users.lastSignInAt,
  createdAt: users.createdAt,
  notes: sql<number>`(select count(*) from notes n where n.user_id = users.id)`.mapWith(Number),
  // Files whose upload finished: an upload under way has no bytes to count yet.
  files: sql<number>`(select count(*) from files f
    where f.user_id = users.id and f.status <> 'uploading')`.mapWith(Number),
  bytes: sql<number>`(select coalesce(sum(f.size), 0) from files f
    where f.user_id = users.id and f.status <> 'uploading')`.mapWith(Number),
};

export type Account = Awaited<ReturnType<typeof findAccount>>;

// A user whose deletion is under way is gone already as far as anyone can act on it.
const live = isNull(users.deletedAt);

/** `%` and `_` in a search are the characters themselves, not LIKE's wildcards. */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listAccounts(db: Database, search: string | undefined, page: PageQuery) {
  const conditions: SQL[] = [live];
  if (search) conditions.push(ilike(users.email, contains(search)));
  if (page.cursor) {
    conditions.push(
      sql`(${users.createdAt}, ${users.id}) < (${page.cursor.createdAt}, ${page.cursor.id})`,
    );
  }
  const rows = await db
    .select(accountColumns)
    .from(users)
    .where(and(...conditions))
    .orderBy(...newestFirst(users))
    .limit(page.limit + 1);
  return toPage(rows, page.limit);
}

export async function findAccount(db: Database | Transaction, id: string) {
  const [account] = await db
    .select(accountColumns)
    .from(users)
    .where(and(eq(users.id, id), live));
  return account;
}
