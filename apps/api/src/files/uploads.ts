// The upload protocol: the browser sends a file's bytes straight to the bucket, on part URLs this
// signs, and the API only checks and records (docs/decisions/031-uploads-straight-to-s3.md).
// The row is written first ('uploading', which no user sees), then the multipart upload is
// started; a refusal of any kind leaves the database and the bucket as they were.
import { randomUUID } from 'node:crypto';
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { files, notes, type Database, type FileRow } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import { enqueueOrDefer, processFileJobId, type JobQueue } from '@shipshape/queue';
import { fileKey, InvalidPartsError, type Storage } from '@shipshape/storage';
import { HttpError } from '../http/errors';
import { cleanFilename } from './content-disposition';
import { declaredType } from './declared-type';
import type { CompletedPart, StartUpload } from './schema';
import {
  alreadyCompleted,
  invalidParts,
  quotaExceeded,
  sizeMismatch,
  tooLarge,
  uploadNotFound,
} from './upload-errors';
import { partLength, planUpload, type UploadPlan } from './upload-plan';

export interface UploadsDeps {
  db: Database;
  storage: Storage;
  queue: JobQueue;
  logger: Logger;
  /** UPLOAD_MAX_BYTES: the largest file. */
  maxBytes: number;
  /** FILES_QUOTA_BYTES: what one user's files may add up to, uploads under way included. */
  quotaBytes: number;
}

// Long enough for a part on a slow connection, short enough that a URL copied out of a page is
// soon worthless. A client that takes longer asks again: fresh URLs are how an upload resumes.
const PART_URL_SECONDS = 15 * 60;

export function createUploadsService({
  db,
  storage,
  queue,
  logger,
  maxBytes,
  quotaBytes,
}: UploadsDeps) {
  const owned = (userId: string, id: string) => and(eq(files.userId, userId), eq(files.id, id));

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

  /** Bytes the user's files hold or will hold: refused files hold none. */
  async function usedBytes(userId: string): Promise<number> {
    const [row] = await db
      .select({ used: sql<string>`coalesce(sum(${files.size}), 0)` })
      .from(files)
      .where(and(eq(files.userId, userId), ne(files.status, 'refused')));
    return Number(row?.used ?? 0);
  }

  async function ownRow(userId: string, id: string): Promise<FileRow> {
    const [row] = await db.select().from(files).where(owned(userId, id));
    if (!row) throw uploadNotFound();
    return row;
  }

  /** The row as an upload still waiting for its parts; 404 for anything else. */
  function waitingForParts(row: FileRow) {
    if (row.status !== 'uploading' || !row.uploadId || row.size === null) throw uploadNotFound();
    return { ...row, uploadId: row.uploadId, size: row.size, plan: planUpload(row.size) };
  }

  const pending = async (userId: string, id: string) => waitingForParts(await ownRow(userId, id));

  /** Every part from 1 to partCount, once each: anything else cannot be this upload's file. */
  function checkPartList(plan: UploadPlan, parts: readonly CompletedPart[]): CompletedPart[] {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const complete =
      sorted.length === plan.partCount && sorted.every((part, i) => part.partNumber === i + 1);
    if (!complete) {
      throw invalidParts(`This upload has ${plan.partCount} part(s): send each of them once.`);
    }
    return sorted;
  }

  // The object first, then the row; if the object cannot be removed the cleanup job finds it
  // without a row and removes it later.
  async function discard(id: string, key: string) {
    await storage.delete(key);
    await db.delete(files).where(eq(files.id, id));
  }

  return {
    /** What the upload form shows before a file is chosen. */
    async usage(userId: string) {
      return { quotaBytes, usedBytes: await usedBytes(userId) };
    },

    async start(userId: string, input: StartUpload): Promise<{ row: FileRow; plan: UploadPlan }> {
      if (input.size > maxBytes) throw tooLarge(maxBytes);
      const originalName = cleanFilename(input.name);
      const contentType = declaredType(originalName, input.type);
      const noteId = await ownedNoteId(userId, input.noteId);

      const id = randomUUID();
      const key = fileKey(userId, id);
      const before = await usedBytes(userId);
      if (before + input.size > quotaBytes) throw quotaExceeded(quotaBytes - before);
      // The declared size counts against the quota from now on, and is what completion checks.
      await db.insert(files).values({
        id,
        userId,
        noteId,
        objectKey: key,
        originalName,
        contentType,
        size: input.size,
      });
      // Counted again with this row in: of uploads started at the same moment, none passes the
      // quota together. Two may both step back (each sees the other), never both stay.
      const after = await usedBytes(userId);
      if (after > quotaBytes) {
        await db.delete(files).where(eq(files.id, id));
        throw quotaExceeded(quotaBytes - before);
      }
      try {
        const uploadId = await storage.startMultipartUpload(key, contentType);
        const [row] = await db.update(files).set({ uploadId }).where(eq(files.id, id)).returning();
        if (!row) throw new Error(`The upload row ${id} disappeared while it was starting`);
        return { row, plan: planUpload(input.size) };
      } catch (error) {
        await db.delete(files).where(eq(files.id, id));
        throw error;
      }
    },

    /** Fresh URLs for the parts asked for; asking also tells the cleanup job the upload is alive. */
    async signParts(userId: string, id: string, partNumbers: readonly number[]) {
      const upload = await pending(userId, id);
      const { partCount } = upload.plan;
      if (partNumbers.some((n) => n > partCount)) {
        throw invalidParts(
          `This upload has ${partCount} part(s): ask for parts 1 to ${partCount}.`,
        );
      }
      await db
        .update(files)
        .set({ updatedAt: sql`now()` })
        .where(eq(files.id, id));
      const target = { key: upload.objectKey, uploadId: upload.uploadId };
      return Promise.all(
        [...new Set(partNumbers)].map(async (partNumber) => {
          const size = partLength(upload.size, upload.plan, partNumber);
          const url = await storage.signUploadPart(target, { partNumber, size }, PART_URL_SECONDS);
          return { partNumber, url, size };
        }),
      );
    },

    async complete(userId: string, id: string, parts: readonly CompletedPart[]): Promise<FileRow> {
      const row = await ownRow(userId, id);
      if (row.status !== 'uploading') throw alreadyCompleted();
      const upload = waitingForParts(row);
      const target = { key: upload.objectKey, uploadId: upload.uploadId };

      try {
        await storage.completeMultipartUpload(target, checkPartList(upload.plan, parts));
      } catch (error) {
        if (!(error instanceof InvalidPartsError)) throw error;
        // A completion that raced this one has used the upload up.
        if ((await ownRow(userId, id)).status !== 'uploading') throw alreadyCompleted();
        throw invalidParts('These parts are not the ones sent for this upload.');
      }

      // Real S3 refuses a part of another length than its URL signed; a server that does not
      // must not let a file past the size that was checked against the limit and the quota.
      const stored = await storage.head(upload.objectKey);
      if (stored?.size !== upload.size) {
        await discard(id, upload.objectKey);
        throw sizeMismatch(upload.size);
      }

      const [done] = await db
        .update(files)
        .set({ status: 'uploaded', uploadId: null })
        .where(and(eq(files.id, id), eq(files.status, 'uploading')))
        .returning();
      if (!done) throw alreadyCompleted();
      // Stored: the upload has succeeded, whatever happens next. 'uploaded' is the outbox.
      await enqueueOrDefer(queue, logger, {
        name: 'process-file',
        payload: { fileId: id },
        jobId: processFileJobId(id),
      });
      return done;
    },

    /** Gives an upload up: its parts are discarded and its row removed. */
    async cancel(userId: string, id: string): Promise<void> {
      const upload = await pending(userId, id);
      await storage.abortMultipartUpload({ key: upload.objectKey, uploadId: upload.uploadId });
      await db.delete(files).where(and(eq(files.id, id), eq(files.status, 'uploading')));
    },
  };
}

export type UploadsService = ReturnType<typeof createUploadsService>;
