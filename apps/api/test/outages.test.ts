// The API when a service it depends on goes away, with servers of the test's own (the shared
// ones are never stopped): Redis down, then back; Redis frozen; S3 down during a delete.
// Requests go over real sockets with client-side timeouts, so an answer that never comes fails.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@shipshape/config';
import { connectDatabase, dataExports, files } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { createJobHandlers, ORPHAN_SAFETY_MARGIN_MS, runCleanup } from '@shipshape/jobs';
import {
  createBullmqQueue,
  createInProcessQueue,
  scheduleRecurringJobs,
  startBullmqWorker,
  type JobHandlers,
  type JobQueue,
} from '@shipshape/queue';
import { startOwnRedis } from '@shipshape/queue/testing';
import { createStorage, type Storage } from '@shipshape/storage';
import { startRestartableS3 } from '@shipshape/storage/embedded';
import { eq, inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { createPostgresAttemptCounter } from '../src/auth/attempts/postgres';
import { SIGN_IN_WINDOW_MS } from '../src/auth/throttle';
import { createSessionStore } from '../src/session';
import { buildTestApp, password, uniqueEmail } from './helpers';

const TIMEOUT = { signal: () => AbortSignal.timeout(5_000) };
const logger = pino({ level: 'silent' });
const jobs = { ...loadConfig().jobs, attempts: 2, backoffMs: 50 };

// resume-work, which the worker started here runs, takes up whatever rows this file leaves
// 'uploaded': the file's own database holds only its own.
const { url: databaseUrl } = useTestDatabase();
const { pool: filePool, db } = connectDatabase(databaseUrl, { max: 4 });
afterAll(() => filePool.end());

/** The app on this file's database and a real port, with the queue and storage given. */
async function serve({ queue, storage }: { queue: JobQueue; storage: Storage }) {
  const { pool } = connectDatabase(databaseUrl, { max: 2 });
  const app = buildTestApp(
    {},
    {
      db,
      queue,
      storage,
      sessionStore: createSessionStore(pool, { prune: false }),
      attempts: createPostgresAttemptCounter(db, { windowMs: SIGN_IN_WINDOW_MS }),
      readinessChecks: { queue: () => queue.check() },
    },
  );
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    await new Promise((resolve) => server.close(resolve));
    await pool.end();
  });
  const base = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let cookie = '';
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${base()}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), cookie },
      signal: TIMEOUT.signal(),
    });
  return {
    call,
    async signUp() {
      const res = await call('/api/auth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail(), password }),
      });
      expect(res.status).toBe(201);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('shipshape.sid='));
      cookie = session?.split(';')[0] ?? '';
    },
    /** The page's upload protocol; the completion's answer, whose body is `{ file }`. */
    async upload(name: string, text: string) {
      const post = (path: string, body: unknown) =>
        call(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const size = Buffer.byteLength(text);
      const started = await post('/api/files/uploads', { name, size, type: 'text/plain' });
      expect(started.status).toBe(201);
      const { upload } = (await started.json()) as { upload: { id: string } };
      const signed = await post(`/api/files/uploads/${upload.id}/parts`, { partNumbers: [1] });
      const { parts } = (await signed.json()) as { parts: { url: string }[] };
      const put = await fetch(parts[0]?.url ?? '', { method: 'PUT', body: text });
      const etag = put.headers.get('etag') ?? '';
      return post(`/api/files/uploads/${upload.id}/complete`, { parts: [{ partNumber: 1, etag }] });
    },
  };
}

/** The real handlers on this file's database, counting process-file and export-data runs. */
function countingHandlers(storage: Storage) {
  const real = createJobHandlers({ db, storage, logger, jobs });
  const runs = new Map<string, number>();
  const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);
  const handlers: JobHandlers = {
    ...real,
    'process-file': (payload, context) => {
      count(payload.fileId);
      return real['process-file'](payload, context);
    },
    'export-data': (payload, context) => {
      count(payload.exportId);
      return real['export-data'](payload, context);
    },
    cleanup: () => Promise.resolve(),
  };
  return { handlers, runs };
}

async function ownRedisQueue() {
  const redis = await startOwnRedis();
  onTestFinished(() => redis.remove());
  const prefix = `${inject('redisPrefix')}-outages-${randomUUID()}`;
  const queue = createBullmqQueue({ connection: redis.url, prefix, retry: jobs });
  onTestFinished(() => queue.close());
  return { redis, prefix, queue };
}

describe('with Redis down for a while', () => {
  it('accepts uploads and exports, then runs each job exactly once when Redis is back', async () => {
    const storage = createStorage(inject('s3'));
    onTestFinished(() => storage.close());
    const { redis, prefix, queue } = await ownRedisQueue();
    const { handlers, runs } = countingHandlers(storage);
    // What the worker process runs, on this Redis: resume-work on a schedule (a short one
    // here), and a BullMQ worker with the real handlers.
    await scheduleRecurringJobs(queue, {
      cleanupEveryMs: jobs.cleanupEveryMs,
      resumeWorkEveryMs: 500,
    });
    const worker = startBullmqWorker({
      connection: redis.url,
      prefix,
      handlers,
      logger,
      retry: jobs,
    });
    onTestFinished(() => worker.close());
    const api = await serve({ queue, storage });
    await api.signUp();

    await redis.stop({ keepData: true });
    // Should an expectation fail while it is down: the worker closes only with a Redis to talk to.
    onTestFinished(() => redis.start());
    const uploaded: string[] = [];
    for (const name of ['one.txt', 'two.txt', 'three.txt']) {
      const res = await api.upload(name, `${name} was sent while Redis was down\n`);
      expect(res.status).toBe(201);
      const { file: body } = (await res.json()) as { file: { id: string; status: string } };
      expect(body.status).toBe('uploaded');
      uploaded.push(body.id);
    }
    const exported = await api.call('/api/exports', { method: 'POST' });
    expect(exported.status).toBe(202);
    const exportId = ((await exported.json()) as { id: string }).id;
    await redis.start();

    await vi.waitFor(
      async () => {
        const rows = await db.select().from(files).where(inArray(files.id, uploaded));
        expect(rows.map((row) => row.status)).toEqual(['ready', 'ready', 'ready']);
        const [row] = await db.select().from(dataExports).where(eq(dataExports.id, exportId));
        expect(row?.status).toBe('ready');
      },
      { timeout: 30_000, interval: 200 },
    );
    // A few more resume-work runs: finished rows are not taken up again.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const id of [...uploaded, exportId]) expect(runs.get(id)).toBe(1);
  });
});

describe('with Redis frozen (SIGSTOP)', () => {
  it('answers an upload at once, and readiness says the queue is unavailable', async () => {
    const storage = createStorage(inject('s3'));
    onTestFinished(() => storage.close());
    const { redis, queue } = await ownRedisQueue();
    const api = await serve({ queue, storage });
    await api.signUp();
    await vi.waitFor(() => queue.check());

    redis.freeze();
    onTestFinished(() => redis.thaw());

    const res = await api.upload('frozen.txt', 'sent while Redis answered nothing\n');
    expect(res.status).toBe(201);
    const ready = await api.call('/readyz');
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { queue: string } }).checks.queue).not.toBe('ok');
  });
});

describe('with S3 down', () => {
  /** An S3 of this test's own, stopped and started again on the same port, objects kept. */
  async function ownS3() {
    const server = await startRestartableS3();
    const storage = createStorage({ ...inject('s3'), ...server.options });
    await storage.ensureBucket();
    onTestFinished(async () => {
      storage.close();
      await server.remove();
    });
    return { storage, stop: () => server.stop(), start: () => server.start() };
  }

  it('deletes a file with 204, and a later cleanup removes the object left behind', async () => {
    const s3 = await ownS3();
    const queue = createInProcessQueue({
      handlers: createJobHandlers({ db, storage: s3.storage, logger, jobs }),
      retry: jobs,
    });
    onTestFinished(() => queue.close());
    const api = await serve({ queue, storage: s3.storage });
    await api.signUp();
    const res = await api.upload('doomed.txt', 'deleted while S3 was down\n');
    expect(res.status).toBe(201);
    const { id } = ((await res.json()) as { file: { id: string } }).file;
    const [row] = await db.select().from(files).where(eq(files.id, id));
    const objectKey = row?.objectKey ?? '';
    await vi.waitFor(async () => {
      const [current] = await db.select().from(files).where(eq(files.id, id));
      expect(current?.status).toBe('ready');
    });

    await s3.stop();
    const deleted = await api.call(`/api/files/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    await s3.start();
    expect(await s3.storage.head(objectKey)).toBeDefined();

    // The hourly cleanup, seen from after the safety margin for objects just written.
    const later = new Date(Date.now() + ORPHAN_SAFETY_MARGIN_MS + 60_000);
    await runCleanup({ db, storage: s3.storage, logger, jobs }, later);
    expect(await s3.storage.head(objectKey)).toBeUndefined();
  });
});
