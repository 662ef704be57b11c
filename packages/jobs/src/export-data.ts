// The 'export-data' job: everything a user stored, as one JSON document in the bucket.
// Safe to run twice: the object key is fixed and a ready export is left alone.
import { eq } from 'drizzle-orm';
import { dataExports, type Database } from '@shipshape/db';
import type { JobHandlers } from '@shipshape/queue';
import { exportKey } from '@shipshape/storage';
import type { JobDeps } from './deps';
import { buildExportDocument } from './export-document';
import { recordingFailure } from './failure';

// What the user reads when the export could not be written (the log has why).
export const EXPORT_FAILED = 'Something went wrong on our side. Please request a new export.';

export function exportData({ db, storage }: JobDeps): JobHandlers['export-data'] {
  return async ({ exportId }, context) => {
    const [row] = await db.select().from(dataExports).where(eq(dataExports.id, exportId));
    if (!row) {
      context.log.info({ exportId }, 'The export no longer exists; nothing to do');
      return;
    }
    if (row.status === 'ready') return;

    await updateExport(db, exportId, { status: 'running' });
    await recordingFailure(
      async () => {
        const document = await buildExportDocument(db, row.userId, new Date());
        const key = exportKey(row.userId, exportId);
        const body = Buffer.from(JSON.stringify(document, null, 2));
        await storage.putBuffer(key, body, 'application/json');
        await updateExport(db, exportId, {
          status: 'ready',
          objectKey: key,
          size: body.length,
          failureReason: null,
          completedAt: new Date(),
        });
      },
      {
        context,
        userMessage: EXPORT_FAILED,
        markFailed: (reason) =>
          updateExport(db, exportId, { status: 'failed', failureReason: reason }),
      },
    );
  };
}

async function updateExport(
  db: Database,
  exportId: string,
  values: Partial<typeof dataExports.$inferInsert>,
): Promise<void> {
  await db.update(dataExports).set(values).where(eq(dataExports.id, exportId));
}
