// Uploads, listing, download and deletion of a user's files. The order of writes keeps the
// database and the bucket in agreement: the row is written first (as 'uploading', which no user
// ever sees), then the object; on any failure the object and then the row are removed.
import { randomUUID } from 'node:crypto';
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { files, notes, singleRow, type Database, type FileRow } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import { enqueueOrDefer, processFileJobId, type JobQueue } from '@shipshape/queue';
import { fileKey, type Storage } from '@shipshape/storage';
import { HttpError, notFound } from '../http/errors';
import { keyset, toPage, type PageQuery } from '../http/pagination';
import { cleanFilename } from './content-disposition';
import { decideType, SNIFF_BYTES } from './detect-type';
import type { IncomingFile } from './multipart';
import { peekStream } from './peek';

export interface FilesDeps {
  db: Database;
  storage: Storage;
  queue: JobQueue;
  logger: Logger;
}

const HEARTBEAT_MS = 30_000;

export function createFilesService({ db, storage, queue, logger }: FilesDeps) {
  // Rows still being uploaded are invisible: a user never sees a row without its object.
  const visible = (userId: string, id: string) =>
    and(eq(files.userId, userId), eq(files.id, id), ne(files.status, 'uploading'));

  async function ownedNoteId(userId: string, noteId: string | undefined): Promise<string | null> {
    if (noteId === undefined || noteId === '') return null;
    const [note] = z.uuid().safeParse(noteId).success
      ? await db
          .select({ id: notes.id })
          .from(notes)
          .where(and(eq(notes.id, noteId), eq(notes.userId, userId)))
      : [];
    if (!note)
      throw new HttpError(404, 'not_found', 'Note not found.', { noteId: 'No such note.' });
    return note.id;
  }

  // A long upload keeps its row's updated_at fresh, so the cleanup job, which removes uploads
  // idle for a whole cleanup period, never mistakes a slow upload for one whose API died.
  function heartbeat(id: string) {
    let last = Date.now();
    return () => {
      if (Date.now() - last < HEARTBEAT_MS) return;
      last = Date.now();
      db.update(files)
        .set({ updatedAt: sql`now()` })
        .where(eq(files.id, id))
        .catch((error: unknown) => {
          logger.warn({ err: error, fileId: id }, 'could not refresh the upload heartbeat');
        });
    };
  }

  // Object first, then row: if the object cannot be removed the row stays 'uploading',
  // invisible, and the cleanup job finishes the work.
  async function discard(id: string, key: string) {
    await storage.delete(key);
    await db.delete(files).where(eq(files.id, id));
  }

  return {
    async upload(userId: string, incoming: IncomingFile): Promise<FileRow> {
      const noteId = await ownedNoteId(userId, incoming.fields.noteId);
      const originalName = cleanFilename(incoming.filename);
      const { head, body } = await peekStream(incoming.stream, SNIFF_BYTES);
      const contentType = await decideType(head, originalName);

      const id = randomUUID();
      const key = fileKey(userId, id);
      await db
        .insert(files)
        .values({ id, userId, noteId, objectKey: key, originalName, contentType });
      let row: FileRow;
      try {
        const { size } = await storage.putStream(key, body, {
          contentType,
          abortSignal: incoming.signal,
          onProgress: heartbeat(id),
        });
        // A body cut at the size limit may still have been stored whole up to the cut.
        incoming.signal.throwIfAborted();
        row = singleRow(
          await db
            .update(files)
            .set({ status: 'uploaded', size })
            .where(eq(files.id, id))
            .returning(),
        );
      } catch (error) {
        await discard(id, key).catch((cleanupError: unknown) => {
          logger.warn(
            { err: cleanupError, fileId: id },
            'upload cleanup deferred to the cleanup job',
          );
        });
        throw incoming.signal.aborted ? incoming.signal.reason : error;
      }
      // Stored: the upload has succeeded, whatever happens next. 'uploaded' is the outbox.
      await enqueueOrDefer(queue, logger, {
        name: 'process-file',
        payload: { fileId: id },
        jobId: processFileJobId(id),
      });
      return row;
    },

    /** Newest first, a page at a time (see http/pagination.ts). */
    async list(userId: string, page: PageQuery) {
      const { after, orderBy } = keyset(files, page);
      const rows = await db
        .select()
        .from(files)
        .where(and(eq(files.userId, userId), ne(files.status, 'uploading'), after))
        .orderBy(...orderBy)
        .limit(page.limit + 1);
      return toPage(rows, page.limit);
    },

    async get(userId: string, id: string): Promise<FileRow> {
      const [row] = await db.select().from(files).where(visible(userId, id));
      if (!row) throw notFound('File');
      return row;
    },

    /** The row goes first: from then on no user can reach the objects, which are removed next. */
    async remove(userId: string, id: string): Promise<void> {
      const [row] = await db.delete(files).where(visible(userId, id)).returning();
      if (!row) throw notFound('File');
      const keys = [row.objectKey, ...(row.thumbnailKey ? [row.thumbnailKey] : [])];
      await storage.deleteMany(keys).catch((error: unknown) => {
        logger.warn({ err: error, fileId: id }, 'object removal deferred to the cleanup job');
      });
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
