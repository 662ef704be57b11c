// stopOnSignals in real processes, signalled the way a platform or a terminal does it.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawnTs, type TsProcess } from '../src/spawn-ts';

const entry = fileURLToPath(new URL('fixtures/stopping-process.ts', import.meta.url));
const started: TsProcess[] = [];
afterAll(() => {
  for (const child of started) void child.stop('SIGKILL');
});

/** Starts the fixture and waits until its signal handlers are in place. */
async function startFixture(closeMs: number | 'fail', timeoutMs = 5_000) {
  const fixtureProcess = spawnTs(entry, {
    env: { ...process.env, CLOSE_MS: String(closeMs), TIMEOUT_MS: String(timeoutMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(fixtureProcess);
  const messages: string[] = [];
  const stdout = fixtureProcess.child.stdout;
  if (!stdout) throw new Error('no stdout');
  const lines = createInterface({ input: stdout });
  lines.on('line', (line) => {
    messages.push((JSON.parse(line) as { msg: string }).msg);
  });
  // A process can be reported exited before its last lines have been read: wait for both.
  const allRead = new Promise<void>((resolve) => lines.once('close', resolve));
  await vi.waitFor(() => expect(messages).toContain('Running'), { timeout: 15_000 });
  return {
    messages,
    signal: (signal: NodeJS.Signals) => fixtureProcess.child.kill(signal),
    async exited() {
      const code = await fixtureProcess.exited;
      await allRead;
      return code;
    },
  };
}

describe('stopOnSignals', () => {
  it('runs close on the first signal, then exits 0', async () => {
    const fixture = await startFixture(300);
    fixture.signal('SIGTERM');
    expect(await fixture.exited()).toBe(0);
    expect(fixture.messages).toEqual([
      'Running',
      'SIGTERM received: stopping (within 5 s)',
      'Closed',
      'Fixture stopped',
    ]);
  });

  it('takes a repeat within a second for the same request (a terminal and pnpm both send it)', async () => {
    const fixture = await startFixture(1_500);
    fixture.signal('SIGINT');
    await vi.waitFor(() => {
      expect(fixture.messages).toContain('SIGINT received: stopping (within 5 s)');
    });
    fixture.signal('SIGINT');
    expect(await fixture.exited()).toBe(0);
    expect(fixture.messages.slice(1)).toEqual([
      'SIGINT received: stopping (within 5 s)',
      'Closed',
      'Fixture stopped',
    ]);
  });

  it('exits 1 without waiting when a second signal comes later', async () => {
    const fixture = await startFixture(30_000);
    fixture.signal('SIGINT');
    await vi.waitFor(() =>
      expect(fixture.messages).toContain('SIGINT received: stopping (within 5 s)'),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    fixture.signal('SIGINT');
    expect(await fixture.exited()).toBe(1);
    expect(fixture.messages.at(-1)).toBe('SIGINT received again: exiting without waiting');
  });

  it('exits 1 when close takes longer than its time limit', async () => {
    const fixture = await startFixture(30_000, 500);
    fixture.signal('SIGTERM');
    expect(await fixture.exited()).toBe(1);
    expect(fixture.messages.at(-1)).toBe('Fixture did not stop within 0.5 s: exiting');
  });

  it('exits 1 when close fails', async () => {
    const fixture = await startFixture('fail');
    fixture.signal('SIGHUP');
    expect(await fixture.exited()).toBe(1);
    expect(fixture.messages.at(-1)).toBe('Fixture could not stop cleanly');
  });
});
