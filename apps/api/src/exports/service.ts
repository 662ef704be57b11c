// "Export my data": a row records the request, the worker writes the JSON document, and only its
// owner can fetch it until it expires (the cleanup job removes it after EXPORT_TTL_HOURS).
import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import {
  dataExports,
  isUniqueViolation,
  singleRow,
  type Database,
  type ExportRow,
} from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import { enqueueOrDefer, exportDataJobId, type JobQueue } from '@shipshape/queue';
import { notFound } from '../http/errors';

const underWayFor = (userId: string) =>
  and(eq(dataExports.userId, userId), inArray(dataExports.status, ['pending', 'running']));

export function createExportsService({
  db,
  queue,
  logger,
  ttlMs,
}: {
  db: Database;
  queue: JobQueue;
  logger: Logger;
  /** How long a finished export stays downloadable (EXPORT_TTL_HOURS). */
  ttlMs: number;
}) {
  return {
    /** Starts an export, or hands back the one already under way: one export at a time. */
    async request(userId: string): Promise<ExportRow> {
      let row: ExportRow | undefined;
      // The export in the way may finish between the refused insert and the look-up that
      // would return it; then nothing is in the way any more, and inserting again succeeds.
      for (let attempt = 1; !row; attempt++) {
        try {
          row = singleRow(
            await db
              .insert(dataExports)
              // By the database's clock, like every time stored (see the schema).
              .values({ userId, expiresAt: sql`now() + make_interval(secs => ${ttlMs / 1000})` })
              .returning(),
          );
        } catch (error) {
          // A unique index allows one pending or running export per user, even under races.
          if (!isUniqueViolation(error)) throw error;
          const [underWay] = await db.select().from(dataExports).where(underWayFor(userId));
          if (underWay) return underWay;
          if (attempt === 3) throw error;
        }
      }
      // Recorded: the export is under way, whatever happens next. 'pending' is the outbox.
      await enqueueOrDefer(queue, logger, {
        name: 'export-data',
        payload: { exportId: row.id },
        jobId: exportDataJobId(row.id),
      });
      return row;
    },

    /** The user's newest export that has not expired, finished or not; null when there is none. */
    async latest(userId: string): Promise<ExportRow | null> {
      const [row] = await db
        .select()
        .from(dataExports)
        .where(and(eq(dataExports.userId, userId), gt(dataExports.expiresAt, sql`now()`)))
        .orderBy(desc(dataExports.createdAt))
        .limit(1);
      return row ?? null;
    },

    /** An expired export is gone, even before the cleanup job removes it. */
    async get(userId: string, id: string): Promise<ExportRow> {
      const [row] = await db
        .select()
        .from(dataExports)
        .where(
          and(
            eq(dataExports.userId, userId),
            eq(dataExports.id, id),
            gt(dataExports.expiresAt, sql`now()`),
          ),
        );
      if (!row) throw notFound('Export');
      return row;
    },
  };
}

export type ExportsService = ReturnType<typeof createExportsService>;
