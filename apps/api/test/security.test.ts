import { connectDatabase } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp, deployedEnv, signedUpAgent } from './helpers';

useTestDatabase();

const app = buildTestApp();

describe('cross-site request forgery', () => {
  it('refuses a cross-site POST with 403 and changes nothing', async () => {
    const { agent } = await signedUpAgent(app);
    const res = await agent
      .post('/api/notes')
      .set('Origin', 'https://evil.example')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ title: 'planted' })
      .expect(403);
    expect(res.body.error.code).toBe('cross_site_request');
    const list = await agent.get('/api/notes').expect(200);
    expect(list.body.notes).toEqual([]);
  });

  it('refuses a foreign Origin even without Sec-Fetch-Site (older browsers)', async () => {
    const { agent } = await signedUpAgent(app);
    await agent
      .delete('/api/notes/00000000-0000-0000-0000-000000000000')
      .set('Origin', 'https://evil.example')
      .expect(403);
  });

  it('accepts a same-origin POST from our own page', async () => {
    const { agent } = await signedUpAgent(app);
    await agent
      .post('/api/notes')
      .set('Host', 'notes.example')
      .set('Origin', 'http://notes.example')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ title: 'fine' })
      .expect(201);
  });
});

describe('response headers', () => {
  it('sends a CSP without unsafe-inline and a request id', async () => {
    const res = await request(app).get('/healthz').expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{8,}$/);
  });

  it('lets the page send requests to the bucket, and to no other origin', async () => {
    const withBucket = buildTestApp({ S3_PUBLIC_ENDPOINT: 'http://127.0.0.1:9555' });
    const res = await request(withBucket).get('/healthz').expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp.split(';')).toContain("connect-src 'self' http://127.0.0.1:9555");
  });

  it('keeps a request id given by the proxy in front', async () => {
    const res = await request(app)
      .get('/healthz')
      .set('X-Request-Id', 'caddy-1234abcd')
      .expect(200);
    expect(res.headers['x-request-id']).toBe('caddy-1234abcd');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(app).get('/api/nope').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('errors', () => {
  const staging = { APP_ENV: 'staging', ...deployedEnv };
  const credentials = { email: 'someone@example.com', password: 'long enough password' };

  it('answers a database outage with 503 and Retry-After, no stack, outside local', async () => {
    // A database that refuses every connection.
    const { pool, db } = connectDatabase('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    onTestFinished(() => pool.end());
    const res = await request(buildTestApp(staging, { db }))
      .post('/api/auth/register')
      .send(credentials)
      .expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      error: {
        code: 'service_unavailable',
        message: 'The service is briefly unavailable. Nothing was changed; try again in a moment.',
      },
    });
  });

  it('answers an unexpected failure with a plain 500, no stack, outside local', async () => {
    // A session store that fails in a way no outage explains: a bug, as far as the app can tell.
    const app = buildTestApp(staging);
    const store = app.deps.sessionStore;
    store.set = (_sid, _session, callback) => callback?.(new Error('the store is broken'));
    const res = await request(app)
      .post('/api/auth/register')
      .send({ ...credentials, email: `broken-${Date.now()}@example.com` })
      .expect(500);
    expect(res.body).toEqual({
      error: { code: 'internal_error', message: 'Something went wrong on our side.' },
    });
  });
});
