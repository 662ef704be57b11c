// Work whose job was lost: the API died between writing a row and enqueuing its job, or the
// in-process queue of local development restarted. Such a file would say "processing" forever,
// so once it has been idle for a whole cleanup period, cleanup runs its job again, here.
import { and, inArray, lt } from 'drizzle-orm';
import { dataExports, files } from '@shipshape/db';
import type { JobContext, QueueLogger } from '@shipshape/queue';
import type { JobDeps } from './deps';
import { exportData } from './export-data';
import { processFile } from './process-file';

// At most this many of each per run, so one run stays short; the next run takes the rest.
const LIMIT = 50;

export async function resumeAbandonedWork(deps: JobDeps, before: Date, log: QueueLogger) {
  const { db } = deps;
  // One attempt: this is already the second chance, so a failure is recorded on the row.
  const context: JobContext = { jobId: 'cleanup-resume', attempt: 1, attempts: 1, log };
  let resumed = 0;

  const stuckFiles = await db
    .select({ id: files.id })
    .from(files)
    .where(and(inArray(files.status, ['uploaded', 'processing']), lt(files.updatedAt, before)))
    .limit(LIMIT);
  for (const { id } of stuckFiles) {
    await processFile(deps)({ fileId: id }, context).catch(() => undefined);
    resumed++;
  }

  const stuckExports = await db
    .select({ id: dataExports.id })
    .from(dataExports)
    .where(
      and(inArray(dataExports.status, ['pending', 'running']), lt(dataExports.createdAt, before)),
    )
    .limit(LIMIT);
  for (const { id } of stuckExports) {
    await exportData(deps)({ exportId: id }, context).catch(() => undefined);
    resumed++;
  }
  return resumed;
}
