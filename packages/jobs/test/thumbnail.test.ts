// The thumbnail job ('process-file' in the queue) called directly, as the queues call it.
import { createHash } from 'node:crypto';
import { useTestDatabase } from '@shipshape/db/testing';
import { UnrecoverableError } from '@shipshape/queue';
import { thumbnailKey, userPrefix } from '@shipshape/storage';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { databaseNow } from '../src/clock';
import { files } from '@shipshape/db';
import { eq } from 'drizzle-orm';
import { createJobHandlers } from '../src/handlers';
import {
  CLOCK_DRIFT_MS,
  corruptPng,
  createUser,
  driftedClock,
  fileRow,
  jobContext,
  listKeys,
  readObject,
  testDeps,
  testImage,
  uploadFile,
} from '../src/testing';

useTestDatabase();

const deps = testDeps();
const processFile = createJobHandlers(deps)['process-file'];
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('process-file', () => {
  let userId: string;
  beforeAll(async () => {
    userId = await createUser(deps);
  });

  it.each(['png', 'jpeg'] as const)(
    'makes a 256-px WebP thumbnail of a %s and records its checksum, size and dimensions',
    async (format) => {
      const bytes = await testImage(format, 600, 400);
      const file = await uploadFile(deps, userId, { bytes, contentType: `image/${format}` });

      await processFile({ fileId: file.id }, jobContext());

      const row = await fileRow(deps, file.id);
      expect(row).toMatchObject({
        status: 'ready',
        sha256: sha256(bytes),
        size: bytes.length,
        width: 600,
        height: 400,
        thumbnailKey: thumbnailKey(userId, file.id),
        failureReason: null,
      });
      const thumbnail = await sharp(
        await readObject(deps.storage, thumbnailKey(userId, file.id)),
      ).metadata();
      expect(thumbnail).toMatchObject({ format: 'webp', width: 256, height: 171 });
    },
  );

  it('keeps a small image its own size in the thumbnail', async () => {
    const bytes = await testImage('png', 120, 80);
    const file = await uploadFile(deps, userId, { bytes, contentType: 'image/png' });

    await processFile({ fileId: file.id }, jobContext());

    const thumbnail = await sharp(
      await readObject(deps.storage, thumbnailKey(userId, file.id)),
    ).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp', width: 120, height: 80 });
  });

  it('makes a text file ready with its checksum and size, and no thumbnail', async () => {
    const bytes = Buffer.from('Plain words, no pixels.\n'.repeat(1000));
    const file = await uploadFile(deps, userId, { bytes, contentType: 'text/plain' });

    await processFile({ fileId: file.id }, jobContext());

    expect(await fileRow(deps, file.id)).toMatchObject({
      status: 'ready',
      sha256: sha256(bytes),
      size: bytes.length,
      width: null,
      height: null,
      thumbnailKey: null,
    });
    expect(await deps.storage.head(thumbnailKey(userId, file.id))).toBeUndefined();
  });

  it("stamps updated_at with the database's clock, not the worker's", async () => {
    const file = await uploadFile(deps, userId, {
      bytes: Buffer.from('hi\n'),
      contentType: 'text/plain',
    });
    driftedClock();

    await processFile({ fileId: file.id }, jobContext());

    const row = await fileRow(deps, file.id);
    const drift = (row?.updatedAt.getTime() ?? 0) - (await databaseNow(deps.db)).getTime();
    expect(Math.abs(drift)).toBeLessThan(CLOCK_DRIFT_MS / 10);
  });

  it('fails a corrupt image for good, with a readable reason', async () => {
    const file = await uploadFile(deps, userId, { bytes: corruptPng, contentType: 'image/png' });

    const run = processFile({ fileId: file.id }, jobContext(1));

    await expect(run).rejects.toBeInstanceOf(UnrecoverableError);
    const row = await fileRow(deps, file.id);
    expect(row?.status).toBe('failed');
    expect(row?.failureReason).toBe('This image could not be read: it may be damaged.');
  });

  it('leaves a missing object to be retried, and fails the file on the last attempt', async () => {
    const file = await uploadFile(deps, userId, { contentType: 'text/plain' });

    const first = processFile({ fileId: file.id }, jobContext(1));
    await expect(first).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(await fileRow(deps, file.id)).toMatchObject({
      status: 'processing',
      failureReason: null,
    });

    const last = processFile(
      { fileId: file.id },
      jobContext(deps.jobs.attempts, deps.jobs.attempts),
    );
    await expect(last).rejects.toThrow('missing from storage');
    expect(await fileRow(deps, file.id)).toMatchObject({
      status: 'failed',
      failureReason: 'We could not process this file. Try uploading it again.',
    });
  });

  it('does nothing the second time: one row, one thumbnail', async () => {
    // A user of its own, so that this user's thumbnails are this file's only.
    const owner = await createUser(deps);
    const file = await uploadFile(deps, owner, {
      bytes: await testImage('png'),
      contentType: 'image/png',
    });

    await processFile({ fileId: file.id }, jobContext());
    const first = await fileRow(deps, file.id);
    await processFile({ fileId: file.id }, jobContext());

    expect(await fileRow(deps, file.id)).toEqual(first);
    expect(await listKeys(deps.storage, `${userPrefix(owner)}thumbnails/`)).toEqual([
      thumbnailKey(owner, file.id),
    ]);
  });

  it('does nothing for a file that no longer exists', async () => {
    await expect(
      processFile({ fileId: '00000000-0000-4000-8000-000000000000' }, jobContext()),
    ).resolves.toBeUndefined();
  });

  describe('refuses an upload that is not what it declared', () => {
    it('deletes a "PNG" that is text, and tells the user what it looked like', async () => {
      const bytes = Buffer.from('not a picture at all\n');
      const file = await uploadFile(deps, userId, {
        bytes,
        contentType: 'image/png',
        originalName: 'holiday.png',
      });

      await processFile({ fileId: file.id }, jobContext());

      expect(await fileRow(deps, file.id)).toMatchObject({
        status: 'refused',
        failureReason: 'holiday.png is not a PNG image: it looks like text, so it was not kept.',
        thumbnailKey: null,
      });
      expect(await deps.storage.head(file.objectKey)).toBeUndefined();
    });

    it('deletes a file of no accepted type', async () => {
      const bytes = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]);
      const file = await uploadFile(deps, userId, {
        bytes,
        contentType: 'text/plain',
        originalName: 'run.txt',
      });

      await processFile({ fileId: file.id }, jobContext());

      expect(await fileRow(deps, file.id)).toMatchObject({
        status: 'refused',
        failureReason:
          'run.txt is not text, nor any type of file accepted here, so it was not kept.',
      });
      expect(await deps.storage.head(file.objectKey)).toBeUndefined();
    });

    it('deletes a file larger than the size its upload announced', async () => {
      const bytes = Buffer.from('twelve bytes');
      const file = await uploadFile(deps, userId, {
        bytes,
        contentType: 'text/plain',
        originalName: 'notes.txt',
      });
      await deps.db.update(files).set({ size: 5 }).where(eq(files.id, file.id));

      await processFile({ fileId: file.id }, jobContext());

      const row = await fileRow(deps, file.id);
      expect(row?.status).toBe('refused');
      expect(row?.failureReason).toMatch(/^notes\.txt is not the size it was announced with/);
      expect(await deps.storage.head(file.objectKey)).toBeUndefined();
    });

    it('leaves a refused file refused when the job runs again', async () => {
      const file = await uploadFile(deps, userId, {
        bytes: Buffer.from('words'),
        contentType: 'application/pdf',
        originalName: 'a.pdf',
      });
      await processFile({ fileId: file.id }, jobContext());
      const refused = await fileRow(deps, file.id);

      await processFile({ fileId: file.id }, jobContext());

      expect(await fileRow(deps, file.id)).toEqual(refused);
    });
  });
});
