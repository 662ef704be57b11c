import { Writable } from 'node:stream';
import { connectDatabase } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { createLogger } from '@shipshape/logger';
import { createBullmqQueue } from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import request from 'supertest';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { buildTestApp } from './helpers';

useTestDatabase();

describe('health and readiness', () => {
  it('is alive and ready when the database answers', async () => {
    const app = buildTestApp();
    await request(app).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(app).get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('is alive but not ready (503 naming the database) when the database is unreachable', async () => {
    // Port 1 on loopback: nothing listens there, so every connection is refused.
    const { pool } = connectDatabase('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    onTestFinished(() => pool.end());
    const log = capturedLog();
    const app = buildTestApp(
      {},
      { logger: log.logger, readinessChecks: { database: () => pool.query('select 1') } },
    );

    await request(app).get('/healthz').expect(200);
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body).toEqual({
      error: { code: 'not_ready', message: 'Not ready: database unavailable.' },
      checks: { database: 'unavailable' },
    });
    // The public answer names no address and no error; the operator finds them in the log.
    expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    const logged = log.lines().find((line) => line.msg === 'readiness check failed: database');
    expect(logged?.err?.message).toMatch(/ECONNREFUSED/);
  });

  it('is alive but not ready (503) while it drains before stopping', async () => {
    const shutdown = { draining: true, deadline: new AbortController().signal };
    const app = buildTestApp({}, { shutdown });

    await request(app).get('/healthz').expect(200, { status: 'ok' });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.error.code).toBe('shutting_down');
  });

  it('names S3 and the job queue when they are unreachable', async () => {
    const storage = createStorage({ ...inject('s3'), endpoint: 'http://127.0.0.1:1' });
    const queue = createBullmqQueue({
      connection: 'redis://127.0.0.1:1',
      prefix: 'unreachable',
      retry: { attempts: 1, backoffMs: 0 },
    });
    onTestFinished(async () => {
      await queue.close();
      storage.close();
    });
    const app = buildTestApp(
      {},
      {
        readinessChecks: {
          database: () => Promise.resolve(),
          storage: () => storage.check(),
          queue: () => queue.check(),
        },
      },
    );
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body).toEqual({
      error: { code: 'not_ready', message: 'Not ready: storage, queue unavailable.' },
      checks: { database: 'ok', storage: 'unavailable', queue: 'unavailable' },
    });
  });
});

/** A JSON logger whose lines the test reads. */
function capturedLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ isLocal: false, logLevel: 'info' }, 'api', destination);
  return {
    logger,
    lines: () =>
      lines.map((line) => JSON.parse(line) as { msg?: string; err?: { message?: string } }),
  };
}
