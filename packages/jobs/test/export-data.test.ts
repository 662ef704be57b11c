// The export-data job called directly, as the queues call it.
import { randomUUID } from 'node:crypto';
import { dataExports, files, notes, singleRow, type ExportRow } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { createInProcessQueue } from '@shipshape/queue';
import { exportKey, userPrefix } from '@shipshape/storage';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { databaseNow } from '../src/clock';
import { createJobHandlers } from '../src/handlers';
import {
  CLOCK_DRIFT_MS,
  createUser,
  driftedClock,
  jobContext,
  listKeys,
  readObject,
  testDeps,
  uploadFile,
} from '../src/testing';

useTestDatabase();

const deps = testDeps();
const handlers = createJobHandlers(deps);
const exportData = handlers['export-data'];

async function requestExport(userId: string): Promise<string> {
  const rows = await deps.db
    .insert(dataExports)
    .values({ userId, expiresAt: new Date(Date.now() + 24 * 3_600_000) })
    .returning({ id: dataExports.id });
  return singleRow(rows).id;
}

async function exportRow(id: string): Promise<ExportRow | undefined> {
  const [row] = await deps.db.select().from(dataExports).where(eq(dataExports.id, id));
  return row;
}

/** Notes `minutesAgo` apart never tie on created_at, so the export's order is certain. */
async function addNote(userId: string, title: string, minutesAgo = 0) {
  const createdAt = new Date(Date.now() - minutesAgo * 60_000);
  const rows = await deps.db
    .insert(notes)
    .values({ userId, title, body: `${title} body`, createdAt, updatedAt: createdAt })
    .returning();
  return singleRow(rows);
}

describe('export-data', () => {
  it("writes the user's notes and files as JSON, and only that user's", async () => {
    const userId = await createUser(deps);
    const otherUserId = await createUser(deps);
    const first = await addNote(userId, 'First', 2);
    const second = await addNote(userId, 'Second', 1);
    await addNote(otherUserId, 'Not yours');
    const file = await uploadFile(deps, userId, {
      bytes: Buffer.from('hello'),
      contentType: 'text/plain',
      originalName: 'hello.txt',
    });
    await uploadFile(deps, otherUserId, { contentType: 'text/plain', originalName: 'secret.txt' });
    const exportId = await requestExport(userId);

    await exportData({ exportId }, jobContext());

    const row = await exportRow(exportId);
    expect(row).toMatchObject({
      status: 'ready',
      objectKey: exportKey(userId, exportId),
      failureReason: null,
    });
    expect(row?.completedAt).toBeInstanceOf(Date);
    const body = await readObject(deps.storage, exportKey(userId, exportId));
    expect(row?.size).toBe(body.length);
    const document = JSON.parse(body.toString());
    expect(Date.parse(document.exportedAt)).not.toBeNaN();
    expect(document.user).toEqual({ id: userId, email: expect.any(String) });
    expect(document.notes).toEqual(
      [first, second].map((note) => ({
        id: note.id,
        title: note.title,
        body: note.body,
        createdAt: note.createdAt.toISOString(),
        updatedAt: note.updatedAt.toISOString(),
      })),
    );
    expect(document.files).toEqual([
      {
        id: file.id,
        originalName: 'hello.txt',
        contentType: 'text/plain',
        size: null,
        sha256: null,
        width: null,
        height: null,
        status: 'uploaded',
        createdAt: file.createdAt.toISOString(),
      },
    ]);
    expect(body.toString()).not.toContain('not-a-real-hash');
  });

  it('leaves out an upload that has not finished', async () => {
    const userId = await createUser(deps);
    const file = await uploadFile(deps, userId, { contentType: 'text/plain' });
    await deps.db.update(files).set({ status: 'uploading' }).where(eq(files.id, file.id));
    const exportId = await requestExport(userId);

    await exportData({ exportId }, jobContext());

    const document = JSON.parse(
      (await readObject(deps.storage, exportKey(userId, exportId))).toString(),
    );
    expect(document.files).toEqual([]);
  });

  it("dates the export by the database's clock, not the worker's", async () => {
    const userId = await createUser(deps);
    const exportId = await requestExport(userId);
    driftedClock();

    await exportData({ exportId }, jobContext());

    const document = JSON.parse(
      (await readObject(deps.storage, exportKey(userId, exportId))).toString(),
    );
    const now = (await databaseNow(deps.db)).getTime();
    const completedAt = (await exportRow(exportId))?.completedAt?.getTime() ?? 0;
    expect(Math.abs(completedAt - now)).toBeLessThan(CLOCK_DRIFT_MS / 10);
    expect(Math.abs(Date.parse(document.exportedAt) - now)).toBeLessThan(CLOCK_DRIFT_MS / 10);
  });

  it('does nothing the second time: one row, one export object', async () => {
    const userId = await createUser(deps);
    const exportId = await requestExport(userId);

    await exportData({ exportId }, jobContext());
    const first = await exportRow(exportId);
    await exportData({ exportId }, jobContext());

    expect(await exportRow(exportId)).toEqual(first);
    expect(await listKeys(deps.storage, `${userPrefix(userId)}exports/`)).toEqual([
      exportKey(userId, exportId),
    ]);
  });

  it('makes one export object when the same job is enqueued twice', async () => {
    const userId = await createUser(deps);
    const exportId = await requestExport(userId);
    const queue = createInProcessQueue({ handlers, retry: { attempts: 2, backoffMs: 50 } });

    // No job id: nothing de-duplicates these but the job itself.
    await queue.enqueue('export-data', { exportId });
    await queue.enqueue('export-data', { exportId });
    await vi.waitFor(async () => expect((await exportRow(exportId))?.status).toBe('ready'));
    await queue.close();

    expect(await listKeys(deps.storage, `${userPrefix(userId)}exports/`)).toEqual([
      exportKey(userId, exportId),
    ]);
  });

  it('does nothing for an export that no longer exists', async () => {
    await expect(exportData({ exportId: randomUUID() }, jobContext())).resolves.toBeUndefined();
  });
});
