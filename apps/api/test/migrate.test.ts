// The release step's migrations (`node dist/migrate.js`) wait out a Postgres that does not answer
// yet, as on a server just started or busy, and still refuse what is not an outage.
import { once } from 'node:events';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { useTestDatabase } from '@shipshape/db/testing';
import { freePort, spawnTs } from '@shipshape/lifecycle';
import { describe, expect, it, onTestFinished, vi } from 'vitest';

const { url } = useTestDatabase();
const entry = join(import.meta.dirname, '../src/migrate.ts');

/** Runs the migrations against `databaseUrl`, collecting what they print. */
function migrate(databaseUrl: string) {
  const run = spawnTs(entry, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  run.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  run.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  onTestFinished(async () => {
    await run.stop('SIGKILL');
  });
  return { exited: run.exited, output: () => output };
}

/** A TCP relay on `port` to the test database's server, opened only when asked. */
async function relayTo(target: URL, port: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => new Promise<void>((done) => server.close(() => done())));
  return server;
}

describe('migrate', () => {
  it('tries again while Postgres refuses connections, and migrates once it answers', async () => {
    const port = await freePort();
    const through = new URL(url);
    const target = new URL(url);
    through.host = `127.0.0.1:${port}`;

    const run = migrate(through.href);
    await vi.waitFor(() => expect(run.output()).toMatch(/trying again in 3 s \(attempt 2 of 5\)/), {
      timeout: 20_000,
    });
    await relayTo(target, port);

    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/Database is up to date/);
  }, 60_000);

  it('does not try again when the database answers with an error of its own', async () => {
    const wrong = new URL(url);
    wrong.pathname = '/no_such_database_here';

    const run = migrate(wrong.href);

    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/Migration failed/);
    expect(run.output()).not.toMatch(/trying again/);
  }, 60_000);
});
