// For tests that run jobs (these handlers' own and the worker's): the test file's own Postgres
// database (useTestDatabase) and the run's S3 bucket (see test/global-setup.ts), rows inserted directly, test images made with sharp, and
// handlers wrapped to count runs.
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@shipshape/config';
import { connectDatabase, files, singleRow, users, type FileRow } from '@shipshape/db';
import { releaseWhenDone, testDatabaseUrl } from '@shipshape/db/testing';
import { willRetry, type JobContext, type JobHandlers } from '@shipshape/queue';
import { createStorage, fileKey, type Storage } from '@shipshape/storage';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import sharp from 'sharp';
import { beforeAll, inject, onTestFinished, vi } from 'vitest';
import type { JobDeps } from './deps';

/** Environment for loadConfig: two attempts and a short backoff keep retry tests fast. */
export const testEnv = { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '50' };

/**
 * Job deps on the file's database and the run's bucket, closed after the tests that made them.
 * `ownBucket` gives them a bucket of their own, for a test that looks at every object in it.
 */
export function testDeps(
  env: Record<string, string> = {},
  { ownBucket = false }: { ownBucket?: boolean } = {},
): JobDeps {
  const config = loadConfig({ ...testEnv, ...env });
  const { pool, db } = connectDatabase(testDatabaseUrl(), { max: 4 });
  const s3 = inject('s3');
  const bucket = ownBucket ? `${s3.bucket}-${randomUUID().slice(0, 8)}` : s3.bucket;
  const storage = createStorage({ ...s3, bucket });
  if (ownBucket) beforeAll(() => storage.ensureBucket());
  releaseWhenDone(async () => {
    await pool.end();
    storage.close();
  });
  return { db, storage, logger: pino({ level: 'silent' }), jobs: config.jobs };
}

export const silentLog = { info() {}, warn() {}, error() {} };

/**
 * A context as a queue hands it to a job: `attempts` decides whether a retry would follow
 * (outages get OUTAGE_ATTEMPTS), and `enqueued` records what the job enqueues.
 */
export function jobContext(attempt = 1, attempts = 3) {
  const enqueued: { name: string; payload: unknown; jobId?: string }[] = [];
  const context: JobContext = {
    jobId: `test-${randomUUID()}`,
    attempt,
    willRetry: (error) => willRetry(error, attempt, { attempts, backoffMs: 0 }),
    enqueue: (name, payload, options) => {
      enqueued.push({ name, payload, jobId: options?.jobId });
      return Promise.resolve(true);
    },
    log: silentLog,
  };
  return Object.assign(context, { enqueued });
}

export async function createUser({ db }: JobDeps): Promise<string> {
  const rows = await db
    .insert(users)
    .values({ email: `worker-${randomUUID()}@example.com`, passwordHash: 'not-a-real-hash' })
    .returning({ id: users.id });
  return singleRow(rows).id;
}

/**
 * An uploaded file as the API leaves it: status 'uploaded', its object in the bucket.
 * The row goes first, as in the API, so the object is never an orphan, even for an instant.
 */
export async function uploadFile(
  deps: JobDeps,
  userId: string,
  file: { bytes?: Buffer; contentType: string; originalName?: string },
): Promise<FileRow> {
  const id = randomUUID();
  const row = singleRow(
    await deps.db
      .insert(files)
      .values({
        id,
        userId,
        objectKey: fileKey(userId, id),
        originalName: file.originalName ?? 'upload.bin',
        contentType: file.contentType,
        status: 'uploaded',
      })
      .returning(),
  );
  if (file.bytes) await deps.storage.putBuffer(row.objectKey, file.bytes, file.contentType);
  return row;
}

export async function fileRow({ db }: JobDeps, id: string): Promise<FileRow | undefined> {
  const [row] = await db.select().from(files).where(eq(files.id, id));
  return row;
}

export async function listKeys(storage: Storage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list(prefix)) keys.push(object.key);
  return keys;
}

export async function readObject(storage: Storage, key: string): Promise<Buffer> {
  const object = await storage.getStream(key);
  if (!object) throw new Error(`No object at ${key}`);
  return Buffer.concat(await object.body.toArray());
}

/** A 600×400 picture with some detail in it, so that it compresses like a photo would. */
export function testImage(format: 'png' | 'jpeg', width = 600, height = 400): Promise<Buffer> {
  const gradient = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#0af"/><stop offset="1" stop-color="#f50"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/><circle cx="50%" cy="50%" r="30%" fill="#fff"/></svg>`;
  return sharp(Buffer.from(gradient)).toFormat(format).toBuffer();
}

/** PNG's signature followed by garbage: looks like an image, never decodes. */
export const corruptPng = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('this is not image data '.repeat(20)),
]);

/**
 * The real handlers, except that process-file records each attempt's number, and the scheduled
 * jobs do nothing: a worker runs its first scheduled cleanup and resume-work at once, which
 * would take up the rows a test leaves 'uploaded' on purpose.
 */
export function countingHandlers(handlers: JobHandlers) {
  const attempts: number[] = [];
  const counted: JobHandlers = {
    ...handlers,
    'process-file': (payload, context) => {
      attempts.push(context.attempt);
      return handlers['process-file'](payload, context);
    },
    cleanup: () => Promise.resolve(),
    'resume-work': () => Promise.resolve(),
  };
  return { handlers: counted, attempts };
}

/** Waits for the file to reach `status` (time-boxed), and returns its row. */
export async function waitForStatus(
  deps: JobDeps,
  fileId: string,
  status: FileRow['status'],
  timeout = 10_000,
): Promise<FileRow> {
  return vi.waitFor(
    async () => {
      const row = await fileRow(deps, fileId);
      if (row?.status !== status)
        throw new Error(`file is ${row?.status ?? 'gone'}, not ${status}`);
      return row;
    },
    { timeout, interval: 50 },
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How far behind the database's clock `driftedClock` sets this process's. */
export const CLOCK_DRIFT_MS = 10 * 60_000;

/**
 * Until the test ends, this process's clock runs CLOCK_DRIFT_MS behind the database's, as on
 * a machine whose clock has drifted. Not more: S3 refuses requests signed 15 minutes off.
 */
export function driftedClock(): void {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  vi.setSystemTime(Date.now() - CLOCK_DRIFT_MS);
  onTestFinished(() => {
    vi.useRealTimers();
  });
}
