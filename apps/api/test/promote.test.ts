// `pnpm user:promote <email>` (and `node dist/promote.js` in the api image), run as the process
// an operator starts: it makes the first admin and leaves an audit row that says so.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { adminAudit, users } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { buildTestApp, signedUpAgent, uniqueEmail } from './helpers';

const { url } = useTestDatabase();
const app = buildTestApp();
const { db } = app.deps;
const entry = join(import.meta.dirname, '../src/promote.ts');

/** Runs the command with `args`; its exit code and everything it printed. */
async function promote(...args: string[]) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url };
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), entry, ...args],
      { env },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('user:promote', () => {
  it('makes an account an admin, whatever the case of the address, and audits it', async () => {
    const { agent, email, userId } = await signedUpAgent(app);
    await agent.get('/api/admin/users').expect(403);

    const run = await promote(email.toUpperCase());
    expect(run).toEqual({ code: 0, output: `${email.toUpperCase()} is now an administrator.\n` });
    await agent.get('/api/admin/users').expect(200);
    expect(await db.select().from(adminAudit).where(eq(adminAudit.targetId, userId))).toEqual([
      expect.objectContaining({
        actorId: null,
        actor: 'command',
        action: 'promote',
        targetEmail: email,
        details: { from: 'user' },
        userAgent: expect.stringMatching(/^user:promote on /),
      }),
    ]);

    const again = await promote(email);
    expect(again).toEqual({ code: 0, output: `${email} is an administrator already.\n` });
  }, 30_000);

  it('fails without changing anything for an address no account uses, or no address', async () => {
    const nobody = uniqueEmail();
    const missing = await promote(nobody);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/No account uses/);
    const usage = await promote();
    expect(usage.code).toBe(2);
    expect(usage.output).toMatch(/Usage: pnpm user:promote <email>/);
    const admins = await db.select().from(users).where(eq(users.email, nobody));
    expect(admins).toEqual([]);
  }, 30_000);
});
