// Keyset pagination, newest first. The cursor carries the (created_at, id) of the last item
// seen, so the next page starts right after it even if that item was deleted meanwhile, and
// rows added since never shift a page. created_at is stored to the millisecond (what a
// JavaScript Date holds), so the cursor compares exactly.
import { and, desc, lt, or, eq, type SQL } from 'drizzle-orm';
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

/** The WHERE condition "after the cursor" and the ORDER BY that goes with it. */
export function keyset(columns: { createdAt: PgColumn; id: PgColumn }, page: PageQuery) {
  const after: SQL | undefined = page.cursor
    ? or(
        lt(columns.createdAt, page.cursor.createdAt),
        and(eq(columns.createdAt, page.cursor.createdAt), lt(columns.id, page.cursor.id)),
      )
    : undefined;
  return { after, orderBy: [desc(columns.createdAt), desc(columns.id)] };
}

/** Fetch limit + 1 rows, then call this: the extra row only says whether a next page exists. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
