// Mail while what carries it is away. A request never sends mail itself: it writes the mail to
// the outbox (the `emails` table, in Postgres) and hands its id to the queue. So with the SMTP
// server stopped or frozen, or Redis away, or both, sign-up and "forgot password" still answer
// at once; the worker's failed attempts are logged with the server's reason and never the link;
// and once everything is back each mail arrives exactly once, with a link that works.
import { freePort } from '@shipshape/lifecycle';
import { linkIn, type MailMessage } from '@shipshape/mail/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { sleep, startRig, type LogEntry, type Rig } from './harness';
import type { Client } from '@shipshape/stack/http';
import { password, signUp, uniqueEmail } from './site';
import { startRestartableMailServer, type RestartableMailServer } from './mail-server';

const verifySubject = /^Confirm your email address/;
const resetSubject = /^Reset your .* password$/;
const changedSubject = /^Your .* password was changed$/;
// The API does no SMTP, and gives up on each Redis call within a second: a sign-up with Redis
// frozen took 2.5 s here (the throttle's three calls and the enqueue), with argon2.
const AT_ONCE_MS = 5_000;
// Longer than resume-work's period (5 s) plus the age a pending row must reach (5 s): a row
// wrongly left pending would be sent again within it.
const QUIET_MS = 11_000;

let mail: RestartableMailServer;
let rig: Rig;
beforeAll(async () => {
  mail = await startRestartableMailServer();
  const port = await freePort();
  rig = await startRig({
    port,
    replicas: 1,
    // Two workers: a mail retried, and enqueued again by resume-work, must still go once.
    workers: 2,
    env: {
      SMTP_URL: mail.smtpUrl,
      PUBLIC_URL: `https://localhost:${port}`,
      MAIL_FROM: 'Shipshape <no-reply@shipshape.test>',
      // A short backoff: an outage's nine attempts take 51 s instead of 8.5 minutes.
      JOB_BACKOFF_MS: '200',
      // Every sign-up and reset request here comes from one address.
      AUTH_RATE_LIMIT: '100',
    },
  });
});
afterAll(async () => {
  await rig.stop();
  await mail.stop();
});

interface OutboxRow {
  id: string;
  template: string;
  status: string;
  attempts: number;
  failure_reason: string | null;
}

function outbox(to: string): Promise<OutboxRow[]> {
  return rig.query<OutboxRow>(
    `SELECT id, template, status, attempts, failure_reason FROM emails
      WHERE to_address = $1 ORDER BY created_at`,
    [to],
  );
}

async function onlyMail(to: string, template: string): Promise<OutboxRow> {
  const rows = (await outbox(to)).filter((row) => row.template === template);
  expect(rows).toHaveLength(1);
  return rows[0] as OutboxRow;
}

/** A request timed: the answer and how long it took to come. */
async function timed(client: Client, path: string, json: unknown) {
  const started = performance.now();
  const answer = await client.post(path, { json });
  return { answer, ms: Math.round(performance.now() - started) };
}

/** The worker's failed attempts at one mail's job, with the error each one logged. */
function failedAttempts(emailId: string): { entry: LogEntry; message: string }[] {
  const jobId = `send-email-${emailId}`;
  return [
    ...rig.logs.find('Job failed; it will be retried', { jobId }),
    ...rig.logs.find('Job failed for good', { jobId }),
  ].map((entry) => ({
    entry,
    message: (JSON.parse(entry.line) as { err?: { message?: string } }).err?.message ?? '',
  }));
}

async function waitForFailedAttempts(emailId: string, reason: RegExp, count = 1) {
  await vi.waitFor(
    () => {
      expect(failedAttempts(emailId).length).toBeGreaterThanOrEqual(count);
    },
    { timeout: 40_000, interval: 100 },
  );
  for (const { entry, message } of failedAttempts(emailId)) {
    expect(entry.process).toMatch(/^worker-/);
    expect(message).toMatch(reason);
  }
}

/** The one mail of its kind to `to`, once it has come: a second copy fails the test later. */
async function arrived(to: string, subject: RegExp): Promise<MailMessage> {
  return mail.inbox.waitFor({ to, subject }, 90_000);
}

async function expectEachOnce(mails: { to: string; subject: RegExp }[]) {
  await sleep(QUIET_MS);
  const counts = await Promise.all(mails.map((match) => mail.inbox.count(match)));
  expect(counts).toEqual(mails.map(() => 1));
}

/** The token a person's browser would read from the link's fragment, and POST. */
function tokenIn(message: MailMessage, purpose: 'verify-email' | 'reset-password'): string {
  const link = linkIn(message);
  expect(link.startsWith(`${rig.stack.url}/#${purpose}=`), link).toBe(true);
  return new URL(link).hash.slice(`#${purpose}=`.length);
}

const linkInLine = /#(verify-email|reset-password|confirm-email)=/;
// A token as links carry it: 32 random bytes in base64url, 43 characters.
const tokenLike = /(?<![\w-])[\w-]{43}(?![\w-])/;

/**
 * No line the API or a worker wrote holds a link or anything shaped like a token, and no line
 * of Caddy's (whose access log keeps headers, where a cookie's signature can look like one)
 * holds a link or one of the tokens that were mailed.
 */
function expectNoSecretsInLogs(tokens: string[]) {
  const mailed = (line: string) => tokens.some((token) => line.includes(token));
  const leaks = [
    ...rig.logs.entries
      .map((entry) => entry.line)
      .filter((line) => linkInLine.test(line) || tokenLike.test(line) || mailed(line)),
    ...rig.stack
      .caddyLog()
      .split('\n')
      .filter((line) => linkInLine.test(line) || mailed(line)),
  ];
  expect(leaks).toEqual([]);
}

async function verify(client: Client, token: string) {
  const answer = await client.post('/api/auth/verify-email', { json: { token } });
  expect(answer.status).toBe(200);
  expect(answer.json).toMatchObject({ user: { emailVerified: true } });
}

/** On a failure, the last lines the processes wrote. */
function showLogsOnFailure() {
  onTestFailed(() => {
    console.log(rig.logs.tail(60));
  });
}

describe('the SMTP server away', () => {
  it('stopped: sign-up answers at once, attempts are logged without the link, and the mail comes once it is back', async () => {
    showLogsOnFailure();
    const client = rig.client();
    const email = uniqueEmail('smtp-stopped');
    await mail.stop();
    let registered: Awaited<ReturnType<typeof timed>>;
    let row: OutboxRow;
    const stoppedAt = performance.now();
    try {
      registered = await timed(client, '/api/auth/register', { email, password });
      expect(registered.answer.status).toBe(201);
      expect(registered.ms).toBeLessThan(AT_ONCE_MS);
      row = await onlyMail(email, 'verify-email');
      await waitForFailedAttempts(row.id, /^SMTP server unavailable: .*ECONNREFUSED/, 3);
      expect(await onlyMail(email, 'verify-email')).toMatchObject({
        status: 'pending',
        failure_reason: expect.stringMatching(/ECONNREFUSED/) as string,
      });
    } finally {
      await mail.start();
    }
    const downForMs = Math.round(performance.now() - stoppedAt);

    const message = await arrived(email, verifySubject);
    const arrivedAfterMs = Math.round(performance.now() - stoppedAt - downForMs);
    await expectEachOnce([{ to: email, subject: verifySubject }]);
    // The outbox row's id is the Message-ID, whichever attempt got through.
    expect(message.MessageID).toBe(`${row.id}@localhost`);
    const token = tokenIn(message, 'verify-email');
    await verify(client, token);
    const sent = await onlyMail(email, 'verify-email');
    expect(sent.status).toBe('sent');
    expectNoSecretsInLogs([token]);
    console.log(
      `SMTP stopped ${downForMs} ms: sign-up answered ${registered.answer.status} in ${registered.ms} ms; ` +
        `${failedAttempts(row.id).length} failed attempt(s) logged ("${failedAttempts(row.id)[0]?.message}"); ` +
        `mail arrived ${arrivedAfterMs} ms after the restart, once; ${sent.attempts} attempt(s) in all`,
    );
  });

  it('frozen: an attempt fails on the mailer timeout rather than hanging, and the mail comes once it answers', async () => {
    showLogsOnFailure();
    const client = rig.client();
    const email = uniqueEmail('smtp-frozen');
    await mail.freeze();
    let registered: Awaited<ReturnType<typeof timed>>;
    let row: OutboxRow;
    let failedAfterMs: number;
    try {
      registered = await timed(client, '/api/auth/register', { email, password });
      expect(registered.answer.status).toBe(201);
      expect(registered.ms).toBeLessThan(AT_ONCE_MS);
      row = await onlyMail(email, 'verify-email');
      const jobId = `send-email-${row.id}`;
      await vi.waitFor(
        () => {
          expect(rig.logs.find('Job started', { jobId }).length).toBeGreaterThan(0);
        },
        { timeout: 10_000, interval: 50 },
      );
      const startedAt = performance.now();
      // The mailer's greeting timeout is 10 s: the attempt ends then, with the reason.
      await waitForFailedAttempts(row.id, /^SMTP server unavailable: .*(greeting|timeout)/i);
      failedAfterMs = Math.round(performance.now() - startedAt);
      expect(failedAfterMs).toBeLessThan(20_000);
      expect((await onlyMail(email, 'verify-email')).status).toBe('pending');
    } finally {
      await mail.start();
    }

    const message = await arrived(email, verifySubject);
    await expectEachOnce([{ to: email, subject: verifySubject }]);
    const token = tokenIn(message, 'verify-email');
    await verify(client, token);
    expectNoSecretsInLogs([token]);
    console.log(
      `SMTP frozen: sign-up answered ${registered.answer.status} in ${registered.ms} ms; the first ` +
        `attempt failed ${failedAfterMs} ms after it started ("${failedAttempts(row.id)[0]?.message}"); ` +
        `mail arrived once after ${(await onlyMail(email, 'verify-email')).attempts} attempt(s)`,
    );
  });
});

describe('Redis away', () => {
  it('stopped and restarted empty: reset and sign-up answer at once, each mail comes once, and the reset link works', async () => {
    showLogsOnFailure();
    const owner = rig.client();
    const resetEmail = uniqueEmail('reset');
    await signUp(owner, resetEmail);
    // Its verification mail, sent while everything was up, is not what is counted below.
    await arrived(resetEmail, verifySubject);
    const newcomer = rig.client();
    const newEmail = uniqueEmail('redis-stopped');

    await rig.redis.stop();
    const stoppedAt = performance.now();
    let forgot: Awaited<ReturnType<typeof timed>>;
    let registered: Awaited<ReturnType<typeof timed>>;
    try {
      forgot = await timed(rig.client(), '/api/auth/forgot-password', { email: resetEmail });
      expect(forgot.answer.status).toBe(202);
      expect(forgot.ms).toBeLessThan(AT_ONCE_MS);
      registered = await timed(newcomer, '/api/auth/register', { email: newEmail, password });
      expect(registered.answer.status).toBe(201);
      expect(registered.ms).toBeLessThan(AT_ONCE_MS);

      // Both are in the outbox, and the API said why their jobs wait.
      const rows = [
        await onlyMail(resetEmail, 'reset-password'),
        await onlyMail(newEmail, 'verify-email'),
      ];
      expect(rows.map((row) => row.status)).toEqual(['pending', 'pending']);
      const warnings = (id: string) =>
        rig.logs.find('Job not enqueued now; resume-work will enqueue it', {
          jobId: `send-email-${id}`,
          process: 'api',
        });
      await vi.waitFor(() => {
        expect(rows.map((row) => warnings(row.id).length)).toEqual([1, 1]);
      });
      await sleep(3_000);
      expect(await mail.inbox.count({ to: resetEmail, subject: resetSubject })).toBe(0);
      expect(await mail.inbox.count({ to: newEmail })).toBe(0);
    } finally {
      await rig.redis.start();
    }
    const downForMs = Math.round(performance.now() - stoppedAt);

    const reset = await arrived(resetEmail, resetSubject);
    const welcome = await arrived(newEmail, verifySubject);
    const arrivedAfterMs = Math.round(performance.now() - stoppedAt - downForMs);
    await expectEachOnce([
      { to: resetEmail, subject: resetSubject },
      { to: newEmail, subject: verifySubject },
    ]);

    // The reset link works: a new password, and only the new one signs in.
    const newPassword = 'a brand new passphrase for the fault suite';
    const resetToken = tokenIn(reset, 'reset-password');
    const answered = await rig
      .client()
      .post('/api/auth/reset-password', { json: { token: resetToken, password: newPassword } });
    expect(answered.status).toBe(200);
    const signIn = (pass: string) =>
      rig.client().post('/api/auth/login', { json: { email: resetEmail, password: pass } });
    expect((await signIn(newPassword)).status).toBe(200);
    expect((await signIn(password)).status).toBe(401);
    await arrived(resetEmail, changedSubject);
    const welcomeToken = tokenIn(welcome, 'verify-email');
    await verify(newcomer, welcomeToken);
    expectNoSecretsInLogs([resetToken, welcomeToken]);
    console.log(
      `Redis stopped ${downForMs} ms: forgot-password answered ${forgot.answer.status} in ` +
        `${forgot.ms} ms, sign-up ${registered.answer.status} in ${registered.ms} ms; both mails arrived ` +
        `${arrivedAfterMs} ms after the restart, once each; the reset link set a new password`,
    );
  });
});

describe('Redis and the SMTP server away at once', () => {
  for (const first of ['Redis', 'SMTP'] as const) {
    it(`the mail comes once after both are back, ${first} first`, async () => {
      showLogsOnFailure();
      const client = rig.client();
      const email = uniqueEmail(`both-${first.toLowerCase()}-first`);
      rig.redis.freeze();
      await mail.stop();
      let row: OutboxRow;
      let registered: Awaited<ReturnType<typeof timed>>;
      try {
        registered = await timed(client, '/api/auth/register', { email, password });
        expect(registered.answer.status).toBe(201);
        expect(registered.ms).toBeLessThan(AT_ONCE_MS);
        row = await onlyMail(email, 'verify-email');
        if (first === 'Redis') {
          rig.redis.thaw();
          // resume-work finds the row, and the worker meets the SMTP server's absence.
          await waitForFailedAttempts(row.id, /^SMTP server unavailable: .*ECONNREFUSED/);
        } else {
          await mail.start();
          await sleep(3_000);
          expect(await mail.inbox.count({ to: email })).toBe(0);
          expect(failedAttempts(row.id)).toEqual([]);
        }
      } finally {
        rig.redis.thaw();
        await mail.start();
      }
      const message = await arrived(email, verifySubject);
      await expectEachOnce([{ to: email, subject: verifySubject }]);
      const token = tokenIn(message, 'verify-email');
      await verify(client, token);
      expectNoSecretsInLogs([token]);
      console.log(
        `Redis frozen and SMTP stopped, ${first} back first: sign-up answered ` +
          `${registered.answer.status} in ${registered.ms} ms; mail arrived once after ` +
          `${failedAttempts(row.id).length} failed attempt(s)`,
      );
    });
  }
});
