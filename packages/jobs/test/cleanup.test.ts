// The cleanup job against a database and a bucket of this file's own: cleanup judges every
// object in the bucket, and other files' objects have no row here. So each count is exact.
import { randomUUID } from 'node:crypto';
import { dataExports, files, singleRow } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { exportKey, fileKey, thumbnailKey } from '@shipshape/storage';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ORPHAN_SAFETY_MARGIN_MS, runCleanup } from '../src/cleanup';
import { createUser, fileRow, testDeps, uploadFile } from '../src/testing';

useTestDatabase();

const deps = testDeps({}, { ownBucket: true });
const { db, storage } = deps;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
const exists = async (key: string) => (await storage.head(key)) !== undefined;

async function addExport(userId: string, expiresAt: Date): Promise<string> {
  const rows = await db.insert(dataExports).values({ userId, expiresAt }).returning();
  const { id } = singleRow(rows);
  await db
    .update(dataExports)
    .set({ status: 'ready', objectKey: exportKey(userId, id) })
    .where(eq(dataExports.id, id));
  await storage.putBuffer(exportKey(userId, id), Buffer.from('{}'), 'application/json');
  return id;
}

async function exportExists(id: string) {
  const rows = await db.select().from(dataExports).where(eq(dataExports.id, id));
  return rows.length === 1;
}

describe('cleanup', () => {
  let userId: string;
  beforeAll(async () => {
    userId = await createUser(deps);
  });

  it('removes an upload stuck in "uploading" with its object, and keeps a recent one', async () => {
    const stale = await uploadFile(deps, userId, {
      bytes: Buffer.from('half'),
      contentType: 'text/plain',
    });
    const recent = await uploadFile(deps, userId, {
      bytes: Buffer.from('going'),
      contentType: 'text/plain',
    });
    await db
      .update(files)
      .set({ status: 'uploading', updatedAt: hoursAgo(2) })
      .where(eq(files.id, stale.id));
    await db.update(files).set({ status: 'uploading' }).where(eq(files.id, recent.id));

    expect(await runCleanup(deps)).toEqual({
      staleUploads: 1,
      orphans: 0,
      expiredExports: 0,
      oldMail: 0,
    });
    expect(await fileRow(deps, stale.id)).toBeUndefined();
    expect(await exists(stale.objectKey)).toBe(false);
    expect(await fileRow(deps, recent.id)).toBeDefined();
    expect(await exists(recent.objectKey)).toBe(true);
  });

  it('aborts the multipart upload of an abandoned upload before removing its row', async () => {
    const abandoned = await uploadFile(deps, userId, { contentType: 'application/pdf' });
    const uploadId = await storage.startMultipartUpload(abandoned.objectKey, 'application/pdf');
    await db
      .update(files)
      .set({ status: 'uploading', uploadId, updatedAt: hoursAgo(2) })
      .where(eq(files.id, abandoned.id));
    // s3rver has no AbortMultipartUpload, which cleanup takes in its stride: the call is what
    // counts here, S3 itself discards the parts.
    const abort = vi.spyOn(storage, 'abortMultipartUpload');

    expect((await runCleanup(deps)).staleUploads).toBe(1);

    expect(abort).toHaveBeenCalledWith({ key: abandoned.objectKey, uploadId });
    abort.mockRestore();
    expect(await fileRow(deps, abandoned.id)).toBeUndefined();
  });

  it('removes expired exports with their objects, and keeps valid ones', async () => {
    const expired = await addExport(userId, hoursAgo(1));
    const valid = await addExport(userId, hoursAgo(-24));

    expect(await runCleanup(deps)).toEqual({
      staleUploads: 0,
      orphans: 0,
      expiredExports: 1,
      oldMail: 0,
    });
    expect(await exportExists(expired)).toBe(false);
    expect(await exists(exportKey(userId, expired))).toBe(false);
    expect(await exportExists(valid)).toBe(true);
    expect(await exists(exportKey(userId, valid))).toBe(true);
  });

  it('removes objects without a row once they are older than the safety margin', async () => {
    const orphanFile = fileKey(userId, randomUUID());
    const orphanThumbnail = thumbnailKey(userId, randomUUID());
    const orphanExport = exportKey(userId, randomUUID());
    const orphans = [orphanFile, orphanThumbnail, orphanExport];
    for (const key of orphans) await storage.putBuffer(key, Buffer.from('x'), 'text/plain');
    const kept = await uploadFile(deps, userId, {
      bytes: Buffer.from('mine'),
      contentType: 'text/plain',
    });
    // Not ours to judge: a key in no layout the app writes.
    const unknown = `users/${userId}/notes-attachment-${randomUUID()}`;
    await storage.putBuffer(unknown, Buffer.from('?'), 'text/plain');

    // Just written: the row might still be on its way, so nothing goes yet.
    expect(await runCleanup(deps)).toEqual({
      staleUploads: 0,
      orphans: 0,
      expiredExports: 0,
      oldMail: 0,
    });
    for (const key of orphans) expect(await exists(key)).toBe(true);

    // S3 will not backdate an object, so the cleanup looks from a little in the future.
    const later = new Date(Date.now() + ORPHAN_SAFETY_MARGIN_MS + 60_000);
    expect(await runCleanup(deps, later)).toEqual({
      staleUploads: 0,
      orphans: orphans.length,
      expiredExports: 0,
      oldMail: 0,
    });
    for (const key of orphans) expect(await exists(key)).toBe(false);
    expect(await exists(kept.objectKey)).toBe(true);
    expect(await exists(unknown)).toBe(true);
  });
});
