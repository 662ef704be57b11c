// The 'cleanup' job, run on a schedule: removes what crashes and expiry leave behind.
// Each step works in batches, so memory and request sizes stay small whatever the backlog.
import { and, eq, inArray, lt, ne } from 'drizzle-orm';
import { accountTokens, dataExports, emails, files } from '@shipshape/db';
import type { JobHandlers } from '@shipshape/queue';
import { exportKey, thumbnailKey } from '@shipshape/storage';
import { removeOrphanObjects } from './cleanup-orphans';
import { databaseNow } from './clock';
import type { JobDeps } from './deps';

export interface CleanupCounts {
  staleUploads: number;
  orphans: number;
  expiredExports: number;
  /** Mail rows done with (sent, failed, dropped) for a week, and links used or expired. */
  oldMail: number;
}

// How long a finished mail's row is kept: long enough to answer "did it go out?".
const KEEP_MAIL_MS = 7 * 24 * 60 * 60_000;

// Rows per query. A run handles at most MAX_BATCHES of them per step; the next run goes on.
const BATCH = 500;
const MAX_BATCHES = 20;

// Objects younger than this are left alone: a margin against clocks that disagree and writes
// still under way, which costs nothing but a few minutes' delay.
export const ORPHAN_SAFETY_MARGIN_MS = 10 * 60_000;

export function cleanup(deps: JobDeps): JobHandlers['cleanup'] {
  return async (_payload, context) => {
    const counts = await runCleanup(deps);
    context.log.info(counts, 'Cleanup finished');
  };
}

/**
 * One cleanup pass, judged by the database's clock, which stamped the rows. Tests pass `at`
 * to look into the future.
 */
export async function runCleanup(deps: JobDeps, at?: Date): Promise<CleanupCounts> {
  const now = at ?? (await databaseNow(deps.db));
  const ago = (ms: number) => new Date(now.getTime() - ms);
  return {
    // An upload whose browser has not asked for part URLs in a whole cleanup period was
    // abandoned (a part URL lasts 15 minutes; a live upload asks for fresh ones).
    staleUploads: await removeStaleUploads(deps, ago(deps.jobs.cleanupEveryMs)),
    orphans: await removeOrphanObjects(deps, ago(ORPHAN_SAFETY_MARGIN_MS)),
    expiredExports: await removeExpiredExports(deps, now),
    oldMail: await removeOldMail(deps, now, ago(KEEP_MAIL_MS)),
  };
}

async function removeStaleUploads({ db, storage }: JobDeps, before: Date): Promise<number> {
  const stale = and(eq(files.status, 'uploading'), lt(files.updatedAt, before));
  let removed = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await db
      .select({
        id: files.id,
        userId: files.userId,
        objectKey: files.objectKey,
        uploadId: files.uploadId,
      })
      .from(files)
      .where(stale)
      .limit(BATCH);
    if (rows.length === 0) break;
    // Parts and objects first: should this run die in between, the rows are still there to find
    // next time. A server that cannot abort (s3rver) leaves the parts to the bucket's lifecycle
    // rule (deploy/storage/lifecycle.json).
    for (const { objectKey, uploadId } of rows) {
      if (uploadId) await storage.abortMultipartUpload({ key: objectKey, uploadId });
    }
    await storage.deleteMany(
      rows.flatMap((row) => [row.objectKey, thumbnailKey(row.userId, row.id)]),
    );
    const ids = rows.map((row) => row.id);
    const deleted = await db
      .delete(files)
      .where(and(inArray(files.id, ids), stale))
      .returning({ id: files.id });
    removed += deleted.length;
  }
  return removed;
}

async function removeExpiredExports({ db, storage }: JobDeps, now: Date): Promise<number> {
  let removed = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await db
      .select({ id: dataExports.id, userId: dataExports.userId })
      .from(dataExports)
      .where(lt(dataExports.expiresAt, now))
      .limit(BATCH);
    if (rows.length === 0) break;
    // The key is fixed, so this also removes an object whose run died before recording it.
    await storage.deleteMany(rows.map((row) => exportKey(row.userId, row.id)));
    const ids = rows.map((row) => row.id);
    const deleted = await db
      .delete(dataExports)
      .where(inArray(dataExports.id, ids))
      .returning({ id: dataExports.id });
    removed += deleted.length;
  }
  return removed;
}

async function removeOldMail({ db }: JobDeps, now: Date, before: Date): Promise<number> {
  const mail = await db
    .delete(emails)
    .where(and(ne(emails.status, 'pending'), lt(emails.updatedAt, before)))
    .returning({ id: emails.id });
  // A used link is kept until it would have expired, so using it again says "used", not "invalid".
  await db.delete(accountTokens).where(lt(accountTokens.expiresAt, now));
  return mail.length;
}
