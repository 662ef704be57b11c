// Keyset pagination, newest first. The cursor carries the (created_at, id) of the last item
// seen, so the next page starts right after it even if that item was deleted meanwhile, and
// rows added since never shift a page. created_at is stored to the millisecond (what a
// JavaScript Date holds), so the cursor compares exactly.
import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';

// A cursor is made from a row's created_at, so a real one lies between 1970 and 9999. Any other
// date (year 0000, say) was written by hand, and Postgres would refuse to compare with it.
const earliest = Date.UTC(1970, 0, 1);
const latest = Date.UTC(10_000, 0, 1);
const cursorTime = z.iso.datetime().refine((value) => {
  const time = Date.parse(value);
  return time >= earliest && time < latest;
});
const cursorFields = z.object({ t: cursorTime, id: z.uuid() });

const cursor = z.string().transform((value, ctx) => {
  try {
    const fields = cursorFields.parse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return { createdAt: new Date(fields.t), id: fields.id };
  } catch {
    ctx.addIssue({ code: 'custom', message: 'Not a valid cursor.' });
    return z.NEVER;
  }
});

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: cursor.optional(),
});

export type PageQuery = z.infer<typeof pageQuery>;

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ t: row.createdAt.toISOString(), id: row.id })).toString(
    'base64url',
  );
}

/**
 * Newest first, in the order the (user_id, created_at DESC, id DESC) indexes keep, so that
 * Postgres walks the index and stops after one page. The indexes were created `DESC NULLS LAST`
 * (drizzle's `.desc()`), and a plain `DESC` means NULLS FIRST: Postgres uses an index for an
 * ORDER BY only when the null placement matches too, even on NOT NULL columns, and otherwise
 * reads every row of the user and sorts them. `EXPLAIN` on a user with 10,000 notes: an index
 * scan reading 21 rows, where a plain `DESC` sorted all 10,000.
 */
export function newestFirst(columns: PageColumns): SQL[] {
  return [sql`${columns.createdAt} desc nulls last`, sql`${columns.id} desc nulls last`];
}

/**
 * "After the cursor", as one row comparison: that is one index condition, where the same test
 * spelt with OR and AND is a filter applied to each row the scan passes, page after page.
 * Written with placeholders, bound by `pagedQuery`.
 */
export function afterCursor(columns: PageColumns): SQL {
  return sql`(${columns.createdAt}, ${columns.id}) < (${sql.placeholder('afterTime')}, ${sql.placeholder('afterId')})`;
}

interface PreparedPage<Row> {
  execute(values: Record<string, unknown>): Promise<Row[]>;
}

/**
 * A list's two queries, built once: the first page, and the pages after a cursor. `build` makes
 * the query from the "after" condition (none for the first page), with `sql.placeholder('userId')`
 * and `sql.placeholder('limit')`. Building drizzle's SQL on every call was a fifth of a list
 * request's CPU (ADR 026).
 *
 * Prepared without a name (''): Postgres parses them each time, as any query with values. A
 * named statement would be parsed once per connection, but on the embedded database (one PGlite
 * backend for every connection) its name would already be taken by another connection.
 */
export function pagedQuery<Row extends { createdAt: Date; id: string }>(
  columns: PageColumns,
  build: (after?: SQL) => { prepare(name: string): PreparedPage<Row> },
) {
  const firstPage = build().prepare('');
  const laterPage = build(afterCursor(columns)).prepare('');
  return async (userId: string, page: PageQuery) => {
    const limit = page.limit + 1;
    const rows = page.cursor
      ? await laterPage.execute({
          userId,
          limit,
          afterTime: page.cursor.createdAt,
          afterId: page.cursor.id,
        })
      : await firstPage.execute({ userId, limit });
    return toPage(rows, page.limit);
  };
}

interface PageColumns {
  createdAt: PgColumn;
  id: PgColumn;
}

/** Fetch limit + 1 rows, then call this: the extra row only says whether a next page exists. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
