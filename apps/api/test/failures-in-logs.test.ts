// When a dependency fails, the client gets a clear JSON error and the log gets the details,
// but neither ever holds a user's data: no email, password, hash, note text or query parameter.
import { once } from 'node:events';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { releaseWhenDone, testDatabaseUrl, useTestDatabase } from '@shipshape/db/testing';
import { createLogger } from '@shipshape/logger';
import { createInProcessQueue } from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import request from 'supertest';
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { createApp } from '../src/app';
import { createPostgresAttemptCounter } from '../src/auth/attempts/postgres';
import { SIGN_IN_WINDOW_MS } from '../src/auth/throttle';
import { createSessionStore } from '../src/session';
import { buildTestApp, password, sessionCookie, signedUpAgent, uniqueEmail } from './helpers';
import { upload } from './upload';

useTestDatabase();

/** A JSON logger whose lines the test can read, at the most talkative level. */
function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ isLocal: false, logLevel: 'trace' }, 'api', destination);
  return { logger, text: () => lines.join('') };
}

/** An app on `databaseUrl` that logs into `logger`, with a working S3 and in-process jobs. */
function appOn(databaseUrl: string, logger: ReturnType<typeof capturedLogger>['logger']) {
  const config = loadConfig({ AUTH_RATE_LIMIT: '1000' });
  const { pool, db } = connectDatabase(databaseUrl, { max: 2 });
  const storage = createStorage(inject('s3'));
  const queue = createInProcessQueue({ handlers: noJobs, retry: config.jobs });
  releaseWhenDone(async () => {
    await queue.close();
    await pool.end();
    storage.close();
  });
  return createApp({
    config,
    db,
    logger,
    storage,
    queue,
    sessionStore: createSessionStore(pool, { prune: false }),
    readinessChecks: {},
    attempts: createPostgresAttemptCounter(db, { windowMs: SIGN_IN_WINDOW_MS }),
  });
}

const noJobs = {
  'process-file': async () => {},
  'export-data': async () => {},
  cleanup: async () => {},
  'resume-work': async () => {},
  backup: async () => {},
  'send-email': async () => {},
  'delete-account': async () => {},
};

// What must never appear in a log line, whatever failed.
function expectNothingPersonal(log: string, secrets: string[]) {
  expect(log.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(log).not.toContain(secret);
  expect(log).not.toMatch(/\$argon2/);
  expect(log).not.toMatch(/params:/);
}

describe('a database that is unreachable', () => {
  it('answers sign-up and sign-in with 503 and logs no email, password or hash', async () => {
    const { logger, text } = capturedLogger();
    // Port 1 on loopback: nothing listens there, so every connection is refused.
    const app = appOn('postgres://postgres@127.0.0.1:1/none', logger);
    const email = uniqueEmail();

    for (const path of ['/api/auth/register', '/api/auth/login']) {
      const res = await request(app).post(path).send({ email, password }).expect(503);
      expect(res.body.error.code).toBe('service_unavailable');
      expect(res.headers['retry-after']).toBe('5');
      expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
    }
    expect(text()).toMatch(/ECONNREFUSED/); // the details are in the log...
    expectNothingPersonal(text(), [email, password]); // ...and nothing personal is
  });
});

describe('a database that refuses every write', () => {
  const { logger, text } = capturedLogger();
  const title = 'A private title 7f3a';
  const body = 'A private body 9c2e';
  const app = appOn(testDatabaseUrl(), logger);

  it('answers every write route without a 2xx, and logs nothing personal', async () => {
    const email = uniqueEmail();
    const agent = request.agent(app);
    await agent.post('/api/auth/register').send({ email, password }).expect(201);
    const note = await agent.post('/api/notes').send({ title, body }).expect(201);
    const file = await upload(agent, { name: 'private.txt', bytes: Buffer.from(`${body}\n`) });

    const { pool } = connectDatabase(testDatabaseUrl(), { max: 1 });
    onTestFinished(async () => {
      // The file's later tests write to this database again.
      await pool.query('drop function refuse_writes() cascade');
      await pool.end();
    });
    await pool.query(`
      create function refuse_writes() returns trigger language plpgsql as $$
        begin raise exception 'writes are refused'; end $$;
      create trigger refuse_writes before insert or update or delete on users
        for each row execute function refuse_writes();
      create trigger refuse_writes before insert or update or delete on notes
        for each row execute function refuse_writes();
      create trigger refuse_writes before insert or update or delete on files
        for each row execute function refuse_writes();
      create trigger refuse_writes before insert or update or delete on exports
        for each row execute function refuse_writes();
    `);

    const other = uniqueEmail();
    const attempts = [
      request(app).post('/api/auth/register').send({ email: other, password }),
      agent.post('/api/notes').send({ title, body }),
      agent.patch(`/api/notes/${note.body.id}`).send({ title: `${title}!`, body }),
      agent.delete(`/api/notes/${note.body.id}`),
      agent
        .post('/api/files/uploads')
        .send({ name: 'b.txt', size: body.length + 1, type: 'text/plain' }),
      agent.delete(`/api/files/${file.id}`),
      agent.post('/api/exports'),
    ];
    for (const attempt of attempts) {
      const res = await attempt;
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.body.error).toMatchObject({
        code: expect.any(String),
        message: expect.any(String),
      });
    }
    expectNothingPersonal(text(), [email, other, password, title, body]);
  });
});

describe('input that would reach Postgres malformed', () => {
  const app = buildTestApp();

  it('refuses a well-formed cursor dated year 0000 with 400', async () => {
    const { agent } = await signedUpAgent(app);
    const cursor = Buffer.from(
      JSON.stringify({ t: '0000-01-01T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' }),
    ).toString('base64url');
    for (const path of ['/api/notes', '/api/files']) {
      const res = await agent.get(path).query({ cursor }).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('refuses a note holding a NUL character with 400, and stores nothing', async () => {
    const { agent } = await signedUpAgent(app);
    const res = await agent.post('/api/notes').send({ title: 'a\u0000b' }).expect(400);
    expect(res.body.error.fields).toHaveProperty('title');
    expect((await agent.get('/api/notes').expect(200)).body.notes).toEqual([]);
  });
});

describe('caching', () => {
  const app = buildTestApp();

  it('marks every /api answer no-store: none may be kept by a browser or a proxy', async () => {
    const { agent } = await signedUpAgent(app);
    const note = await agent.post('/api/notes').send({ title: 'mine' }).expect(201);
    const file = await upload(agent, { name: 'a.txt', bytes: Buffer.from('hello\n') });
    const answers = await Promise.all([
      agent.get('/api/auth/me'),
      agent.get('/api/notes'),
      agent.get(`/api/notes/${note.body.id}`),
      agent.get('/api/files'),
      agent.get(file.contentUrl),
      agent.get('/api/notes/00000000-0000-4000-8000-000000000000'),
      request(app).get('/api/notes'),
    ]);
    for (const res of answers) expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('an object store that is unreachable', () => {
  it('answers a download with 503 and a message, not 500', async () => {
    const app = buildTestApp();
    const { agent, email } = await signedUpAgent(app);
    const file = await upload(agent, { name: 'a.txt', bytes: Buffer.from('hello\n') });

    // The same database, but S3 on a port where nothing listens.
    const s3 = { ...inject('s3'), endpoint: 'http://127.0.0.1:1' };
    const broken = request.agent(buildTestApp({}, { storage: createStorage(s3) }));
    await broken.post('/api/auth/login').send({ email, password }).expect(200);
    const res = await broken.get(file.contentUrl).expect(503);
    expect(res.body.error.code).toBe('service_unavailable');
  });
});

describe('a download the client abandons', () => {
  it('logs that the client left, not an error, and keeps answering', async () => {
    const { logger, text } = capturedLogger();
    const app = appOn(testDatabaseUrl(), logger);
    const agent = request.agent(app);
    const registered = await agent
      .post('/api/auth/register')
      .send({ email: uniqueEmail(), password })
      .expect(201);
    const cookie = sessionCookie(registered)?.split(';')[0] ?? '';
    // Large enough that the response is still streaming when the client goes.
    const bytes = Buffer.alloc(8 * 1024 * 1024, 'a');
    const file = await upload(agent, { name: 'big.txt', bytes });

    const server = app.listen(0, '127.0.0.1');
    onTestFinished(() => new Promise<void>((done) => server.close(() => done())));
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((done, fail) => {
      const req = get(
        {
          host: '127.0.0.1',
          port,
          path: `/api/files/${file.id}/content`,
          headers: { cookie },
        },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.once('data', () => {
            req.destroy();
            done();
          });
        },
      );
      req.on('error', () => {});
      req.setTimeout(10_000, () => fail(new Error('no answer within 10 s')));
    });

    await vi.waitFor(() => expect(text()).toMatch(/the client closed the connection/));
    expect(text()).not.toMatch(/unhandled error|ERR_HTTP_HEADERS_SENT/);
    await agent.get('/api/auth/me').expect(200);
  });
});
