import { connectDatabase } from '@shipshape/db';
import { createBullmqQueue } from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import request from 'supertest';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildTestApp } from './helpers';

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
    afterAll(() => pool.end());
    const app = buildTestApp({}, { readinessChecks: { database: () => pool.query('select 1') } });

    await request(app).get('/healthz').expect(200);
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.error).toEqual({
      code: 'not_ready',
      message: expect.stringContaining('database'),
    });
    expect(res.body.checks.database).toMatch(/ECONNREFUSED/);
  });

  it('names S3 and the job queue when they are unreachable', async () => {
    const storage = createStorage({ ...inject('s3'), endpoint: 'http://127.0.0.1:1' });
    const queue = createBullmqQueue({ connection: 'redis://127.0.0.1:1', prefix: 'unreachable' });
    afterAll(async () => {
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
    expect(res.body.error.message).toBe('Not ready: storage, queue unavailable.');
    expect(res.body.checks.database).toBe('ok');
  });
});
