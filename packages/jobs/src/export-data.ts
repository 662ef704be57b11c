// The 'export-data' job: everything a user stored, as one JSON document in the bucket.
// Safe to run twice: the object key is fixed and a ready export is left alone.
import { eq, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { dataExports, type Database } from '@shipshape/db';
import type { JobHandlers } from '@shipshape/queue';
import { exportKey } from '@shipshape/storage';
import { databaseNow } from './clock';
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
        const document = await buildExportDocument(db, row.userId, await databaseNow(db));
        const key = exportKey(row.userId, exportId);
        const body = Buffer.from(JSON.stringify(document, null, 2));
        await storage.putBuffer(key, body, 'application/json');
        await updateExport(db, exportId, {
          status: 'ready',
          objectKey: key,
          size: body.length,
          failureReason: null,
          completedAt: sql`now()`,
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
  values: PgUpdateSetSource<typeof dataExports>,
): Promise<void> {
  await db.update(dataExports).set(values).where(eq(dataExports.id, exportId));
}
