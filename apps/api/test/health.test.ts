import { connectDatabase } from '@shipshape/db';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
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
});
