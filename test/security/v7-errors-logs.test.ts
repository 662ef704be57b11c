// ASVS 4.0.3 V7 (errors and logging) and V14.3.2 (no debug output deployed), level 1: a whole
// session of use, successes and failures alike, on a production app logging at trace level; then
// every log line is scanned for what must never be logged (passwords, hashes, session and device
// cookies, the session secret, note and file contents, query strings), and every error answer
// for stack traces and source paths. apps/api/test/failures-in-logs.test.ts does the same for
// dependency outages; this covers ordinary traffic, attacks included.
import { useTestDatabase } from '@shipshape/db/testing';
import { describe, expect, it } from 'vitest';
import {
  behindCaddy,
  deployed,
  deployedEnv,
  eventually,
  expectNoLeak,
  password,
  png,
  sessionCookieName,
  startApp,
  uniqueEmail,
  upload,
} from './support/app';
import type { Reply } from '@shipshape/stack/http';

useTestDatabase();

const target = await startApp({ ...deployed('production'), LOG_LEVEL: 'trace' });

describe('a session of use, attacks included, on a production app', () => {
  const email = uniqueEmail();
  const secrets = {
    title: 'Title only its owner may read 5d1c',
    body: 'Body only its owner may read 0a7e',
    fileText: 'File text only its owner may read 9b2f',
    fileName: 'medical-record-3c8a.txt',
    wrongPassword: 'an attempted password 61f0',
    cursor: Buffer.from(
      JSON.stringify({ t: '2020-01-01T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' }),
    ).toString('base64url'),
  };
  const answers: Reply[] = [];
  let cookies: string[] = [];

  it('runs: sign-up, failed and good sign-ins, notes, files, exports, refusals and sign-out', async () => {
    const browser = target.client(behindCaddy);
    const keep = async (reply: Promise<Reply>) => {
      const res = await reply;
      answers.push(res);
      cookies.push(...[...browser.cookies.values()]);
      return res;
    };
    await keep(browser.post('/api/auth/register', { json: { email, password } }));
    await keep(browser.post('/api/auth/logout'));
    await keep(
      browser.post('/api/auth/login', { json: { email, password: secrets.wrongPassword } }),
    );
    await keep(
      browser.post('/api/auth/login', {
        json: { email: uniqueEmail(), password: secrets.wrongPassword },
      }),
    );
    await keep(browser.post('/api/auth/login', { json: { email, password } }));
    const note = await keep(
      browser.post('/api/notes', { json: { title: secrets.title, body: secrets.body } }),
    );
    await keep(browser.patch(`/api/notes/${note.json.id}`, { json: { body: `${secrets.body}!` } }));
    await keep(browser.get(`/api/notes?limit=1&cursor=${secrets.cursor}`));
    await keep(
      browser.post('/api/notes', { json: { title: secrets.title, body: 'x'.repeat(30_000) } }),
    );
    await keep(
      browser.post('/api/notes', {
        body: `{"title": "${secrets.title}"`,
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    await keep(
      browser.post('/api/notes', {
        json: { title: secrets.title },
        headers: { Origin: 'https://evil.example' },
      }),
    );
    const file = await keep(
      upload(browser, { filename: secrets.fileName, bytes: Buffer.from(`${secrets.fileText}\n`) }),
    );
    await keep(browser.get(file.json.contentUrl));
    await keep(upload(browser, { filename: 'photo.png', bytes: png() }));
    await keep(
      upload(browser, {
        filename: 'setup.exe',
        bytes: Buffer.from('MZ'),
        contentType: 'application/x-msdownload',
      }),
    );
    await keep(
      upload(browser, {
        filename: secrets.fileName.replace('.txt', '.png'),
        bytes: Buffer.from(secrets.fileText),
      }),
    );
    const exported = await keep(browser.post('/api/exports'));
    await eventually(async () => {
      expect((await browser.get(`/api/exports/${exported.json.id}`)).json.status).toBe('ready');
    });
    await keep(browser.get(`/api/exports/${exported.json.id}/download`));
    await keep(browser.get('/api/notes/%E0%A4%A'));
    await keep(browser.get('/api/notes/00000000-0000-4000-8000-000000000000'));
    await keep(browser.get(`/api/notes/${note.json.id}?token=${secrets.cursor}`));
    await keep(browser.post('/api/auth/logout'));
    // A replayed cookie, forged ones, a stranger.
    const stranger = target.client({
      ...behindCaddy,
      Cookie: `${sessionCookieName}=${cookies[0] ?? ''}`,
    });
    await keep(stranger.get('/api/notes'));
    await keep(
      target
        .client({ ...behindCaddy, Cookie: `${sessionCookieName}=s%3Aforged.sig` })
        .get('/api/auth/me'),
    );
    cookies = [...new Set(cookies)].filter((value) => value.length > 8);
    expect(cookies.length).toBeGreaterThanOrEqual(2); // the session and the device cookie, at least
    expect(target.log.lines.length).toBeGreaterThan(20);
  });

  it('V7.1.1/V7.1.2: logged no password, hash, cookie, secret, email, content or query string', () => {
    const log = target.log.text();
    const never = [
      password,
      secrets.wrongPassword,
      deployedEnv.SESSION_SECRET,
      email,
      secrets.title,
      secrets.body,
      secrets.fileText,
      secrets.cursor,
      ...cookies,
      // The ids inside the signed cookies, decoded.
      ...cookies.map((value) => /^s:([^.]+)\./.exec(decodeURIComponent(value))?.[1] ?? value),
    ];
    expectNoLeak(log.replace(/"stack":"[^"]*"/g, '"stack":""'), never);
    expect(log).not.toMatch(/"cookie"|set-cookie|authorization/i);
  });

  it('V7.1.3/V7.1.4: logged each request once, with its id, outcome and client address', () => {
    const requests = target.log.lines
      .map(
        (line) =>
          JSON.parse(line) as {
            req?: { id?: string };
            res?: { statusCode?: number };
            clientIp?: string;
          },
      )
      .filter((line) => line.res?.statusCode !== undefined);
    expect(requests.length).toBeGreaterThanOrEqual(answers.length);
    for (const line of requests) {
      expect(line.req?.id).toMatch(/^[\w-]{8,}$/);
      expect(line.clientIp).toBe('198.51.100.20'); // the client Caddy saw, not Caddy
    }
  });

  it('V7.4.1/V14.3.2: answered every failure with a code and a message: no stack, path or detail', () => {
    const failures = answers.filter((res) => res.status >= 400);
    expect(failures.map((res) => res.status).sort()).toEqual(
      expect.arrayContaining([400, 401, 403, 404, 415]),
    );
    for (const res of failures) {
      expect(Object.keys(res.json.error).sort()).toEqual(
        res.json.error.fields ? ['code', 'fields', 'message'] : ['code', 'message'],
      );
      expectNoLeak(res.text, [secrets.wrongPassword, deployedEnv.SESSION_SECRET]);
    }
  });

  it('V7.4.1: an unexpected failure is a plain 500 with no stack in production, while the log keeps it', async () => {
    const broken = await startApp(deployed('production'));
    broken.app.deps.sessionStore.set = (_sid, _session, callback) =>
      callback?.(new Error('the store is broken at /srv/app/secret-path.ts'));
    const res = await broken
      .client(behindCaddy)
      .post('/api/auth/register', { json: { email: uniqueEmail(), password } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      error: { code: 'internal_error', message: 'Something went wrong on our side.' },
    });
    expect(res.text).not.toContain('secret-path');
    // The operator gets the details, and still no password.
    expect(broken.log.text()).toContain('the store is broken');
    expect(broken.log.text()).not.toContain(password);
  });
});
