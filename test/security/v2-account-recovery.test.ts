// ASVS 4.0.3 V2.5 (credential recovery) and V2.2.1 (anti-automation), level 1: asking for a reset
// link or a new verification link tells nobody whether an address has an account, and the
// requests that send mail or open accounts are limited per client and per address, with
// nothing written for a refused one. The throttle's mechanics are apps/api/test's business.
import { loadConfig } from '@shipshape/config';
import { useTestDatabase } from '@shipshape/db/testing';
import { describe, expect, it } from 'vitest';
import { databasePool, password, signUp, signedIn, startApp, uniqueEmail } from './support/app';
import { Client, type Reply } from '@shipshape/stack/http';
import { inbox, mailedToken, subjects } from './support/mail';

useTestDatabase();

const pool = databasePool();
const target = await startApp(); // AUTH_RATE_LIMIT 1000: these tests do not count requests
const limit = loadConfig({}).authRateLimit; // the shipped AUTH_RATE_LIMIT
const forgot = (client: Client, email: string) =>
  client.post('/api/auth/forgot-password', { json: { email } });

/** Rows of the mail outbox written to `address`: a refused request must write none. */
async function mailRows(address: string, template?: string) {
  const { rows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from emails where to_address = $1 and ($2::text is null or template = $2)',
    [address, template ?? null],
  );
  return rows[0]?.n ?? 0;
}

/** An app with the shipped limits, behind a proxy so each test client can be its own IP. */
async function throttledApp() {
  const app = await startApp({ AUTH_RATE_LIMIT: String(limit), TRUST_PROXY: 'loopback' });
  return (ip: string) => new Client(app.base, { headers: { 'X-Forwarded-For': ip } });
}

function expectRefused(res: Reply) {
  expect(res.status).toBe(429);
  expect(res.json.error.code).toBe('rate_limited');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

describe('V2.5 no account enumeration when asking for a link (as at sign-in)', () => {
  // What may differ between two answers of the same kind: when they were sent, and the id each
  // request is logged under.
  const varying = new Set(['date', 'x-request-id']);
  const sameParts = (res: Reply) => ({
    status: res.status,
    body: res.text,
    headers: Object.entries(res.headers).filter(([name]) => !varying.has(name)),
  });

  it('answers forgot-password the same for an address with an account and one without', async () => {
    const { email } = await signUp(target.client());
    const known = await forgot(target.client(), email);
    const unknown = await forgot(target.client(), uniqueEmail());
    expect(known.status).toBe(202);
    expect(sameParts(unknown)).toEqual(sameParts(known));
    await mailedToken(email, subjects.reset); // and the account's owner did get the link
  });

  it('takes about as long for both: the unknown address does not answer markedly faster', async () => {
    // STYLE says tests never assert timings; this one is a security property, not a speed: an
    // answer that skipped work for unknown addresses would tell them apart by its time. Both
    // write one outbox row and the job decides later, so the medians match; a factor of 2
    // either way leaves room for a shared machine. Each address is asked once (3 per address).
    const known: string[] = [];
    for (let i = 0; i < 11; i++) known.push((await signUp(target.client())).email);
    const time = async (email: string) => {
      const started = performance.now();
      expect((await forgot(target.client(), email)).status).toBe(202);
      return performance.now() - started;
    };
    await time(known.pop() ?? ''); // warms both paths up
    await time(uniqueEmail());
    const forKnown: number[] = [];
    const forUnknown: number[] = [];
    // Interleaved, so a busy moment of the machine falls on both kinds alike.
    for (const email of known) {
      forKnown.push(await time(email));
      forUnknown.push(await time(uniqueEmail()));
    }
    const ratio = median(forUnknown) / median(forKnown);
    const medians = `medians: known ${median(forKnown)} ms, unknown ${median(forUnknown)} ms`;
    expect(ratio, medians).toBeGreaterThan(0.5);
    expect(ratio, medians).toBeLessThan(2);
  });

  it('resends a verification link only to the signed-in user, whatever address the body names', async () => {
    const other = await signUp(target.client());
    const { client, email } = await signedIn(target);
    await mailedToken(other.email, subjects.verify);
    await mailedToken(email, subjects.verify);

    const res = await client.post('/api/auth/verify-email/resend', {
      json: { email: other.email },
    });
    expect(res.status).toBe(202);
    expect(res.text).not.toContain(other.email);
    await mailedToken(email, subjects.verify, 2);
    expect(await mailRows(other.email, 'verify-email')).toBe(1);
    expect(await inbox().count({ to: other.email, subject: subjects.verify })).toBe(1);

    // Signed out, it says nothing about anyone: the same 401 for an account and for nobody.
    const answers = await Promise.all(
      [other.email, uniqueEmail()].map((address) =>
        target.client().post('/api/auth/verify-email/resend', { json: { email: address } }),
      ),
    );
    for (const answer of answers) {
      expect([answer.status, answer.json.error.code]).toEqual([401, 'unauthenticated']);
    }
    expect(answers[0]?.text).toBe(answers[1]?.text);
    expect(await mailRows(other.email, 'verify-email')).toBe(1);
  });
});

describe('V2.2.1 anti-automation of sign-up and mailed links, with the shipped limits', () => {
  it(`refuses the ${limit + 1}th sign-up from one IP with 429, and opens no account for it`, async () => {
    const from = await throttledApp();
    for (let i = 0; i < limit; i++) {
      const res = await from('203.0.113.70').post('/api/auth/register', {
        json: { email: uniqueEmail(), password },
      });
      expect(res.status).toBe(201);
    }
    const email = uniqueEmail();
    expectRefused(
      await from('203.0.113.70').post('/api/auth/register', { json: { email, password } }),
    );
    const { rows } = await pool.query('select 1 from users where email = $1', [email]);
    expect(rows).toEqual([]);
    expect(await mailRows(email)).toBe(0);
    // Another IP is not held back by it.
    const elsewhere = await from('203.0.113.71').post('/api/auth/register', {
      json: { email, password },
    });
    expect(elsewhere.status).toBe(201);
  });

  it('mails one address at most 3 times from any number of IPs, and writes nothing when refusing', async () => {
    const from = await throttledApp();
    const { email } = await signUp(from('192.0.2.20'));
    for (const ip of ['203.0.113.81', '203.0.113.82', '203.0.113.83']) {
      expect((await forgot(from(ip), email)).status).toBe(202);
    }
    for (const ip of ['203.0.113.84', '203.0.113.85', '198.51.100.86']) {
      expectRefused(await forgot(from(ip), email));
    }
    expect(await mailRows(email, 'reset-password')).toBe(3);
    await mailedToken(email, subjects.reset, 3);
  });

  it(`refuses a client its ${limit + 1}th link request across as many addresses, and writes nothing for it`, async () => {
    const from = await throttledApp();
    for (let i = 0; i < limit; i++) {
      expect((await forgot(from('203.0.113.90'), uniqueEmail())).status).toBe(202);
    }
    const email = uniqueEmail();
    expectRefused(await forgot(from('203.0.113.90'), email));
    expect(await mailRows(email)).toBe(0);
    // Counted right: the same request from another IP is answered, and writes its row.
    expect((await forgot(from('203.0.113.91'), email)).status).toBe(202);
    expect(await mailRows(email)).toBe(1);
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
