// The thumbnail job, queued as 'process-file': refuse an upload that is not what it declared,
// checksum every other, and give images their dimensions and a thumbnail. Safe to run twice:
// the thumbnail key is fixed and a ready or refused file is left alone.
import { eq } from 'drizzle-orm';
import { files, type Database } from '@shipshape/db';
import type { JobHandlers } from '@shipshape/queue';
import { thumbnailKey } from '@shipshape/storage';
import type { JobDeps } from './deps';
import { recordingFailure } from './failure';
import { refusalOf } from './thumbnail-check';
import { inspectUpload } from './thumbnail-inspect';

// What the user reads when the file could not be processed for a reason of ours (the log has it).
export const FILE_FAILED = 'We could not process this file. Try uploading it again.';

export function processFile({ db, storage }: JobDeps): JobHandlers['process-file'] {
  return async ({ fileId }, context) => {
    const [file] = await db.select().from(files).where(eq(files.id, fileId));
    if (!file) {
      context.log.info({ fileId }, 'The file no longer exists; nothing to do');
      return;
    }
    // A duplicate job, or a retry of one that finished just before its worker died.
    if (file.status === 'ready' || file.status === 'refused') return;

    await updateFile(db, fileId, { status: 'processing' });
    await recordingFailure(
      async () => {
        const refusal = await refusalOf(storage, file);
        if (refusal) {
          // Object first: should this fail, the row is still here for the retry to find.
          await storage.deleteMany([file.objectKey, thumbnailKey(file.userId, file.id)]);
          await updateFile(db, fileId, { status: 'refused', failureReason: refusal });
          context.log.info({ fileId }, 'Upload refused: not what it declared');
          return;
        }
        const object = await storage.getStream(file.objectKey);
        // Transient, not permanent: the row is written before its object, and a
        // replicated store may not show a new object everywhere at once.
        if (!object) throw new Error('The uploaded file is missing from storage');

        const { sha256, size, image } = await inspectUpload(object.body, file.contentType);
        let thumbnail: string | null = null;
        if (image) {
          thumbnail = thumbnailKey(file.userId, file.id);
          await storage.putBuffer(thumbnail, image.thumbnail, 'image/webp');
        }
        await updateFile(db, fileId, {
          status: 'ready',
          sha256,
          size,
          width: image?.width ?? null,
          height: image?.height ?? null,
          thumbnailKey: thumbnail,
          failureReason: null,
        });
      },
      {
        context,
        userMessage: FILE_FAILED,
        markFailed: (reason) => updateFile(db, fileId, { status: 'failed', failureReason: reason }),
      },
    );
  };
}

async function updateFile(
  db: Database,
  fileId: string,
  values: Partial<typeof files.$inferInsert>,
): Promise<void> {
  // updated_at is stamped by the database (see the schema).
  await db.update(files).set(values).where(eq(files.id, fileId));
}
