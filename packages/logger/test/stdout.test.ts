// What reaches standard output, and when: lines are gathered and written in batches (see
// gatheredStdout), and none may be lost on a normal exit, held back behind a warning, or kept
// longer than the periodic flush while the process idles.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/log-then.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

/** Starts the fixture and collects the messages it writes, until `until` says enough. */
async function run(ending: string, lines: string[], until: (seen: string[]) => boolean) {
  const child = spawn(process.execPath, ['--import', tsxLoader, fixture, ending, ...lines], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A fixture that hangs is not left spinning when its test fails.
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const seen: string[] = [];
  const enough = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      seen.push((JSON.parse(line) as { msg: string }).msg);
      if (until(seen)) resolve();
    });
    child.on('close', () => resolve());
  });
  await enough;
  return seen;
}

describe('the logger on standard output', () => {
  it('writes every line gathered so far when the process exits', async () => {
    expect(await run('exit', ['one', 'two'], () => false)).toEqual(['one', 'two']);
  });

  it('writes a warning, and every line before it, at once', async () => {
    // The process never yields after logging, so only the warning itself can have written them.
    const seen = await run('hang', ['one', 'warn:two'], (lines) => lines.length === 2);
    expect(seen).toEqual(['one', 'two']);
  });

  it('writes gathered info lines on its own while the process idles', async () => {
    const seen = await run('wait', ['one'], (lines) => lines.length === 1);
    expect(seen).toEqual(['one']);
  });

  it('keeps the order of many lines written across several batches', async () => {
    const lines = Array.from({ length: 200 }, (_, index) => `line ${index}`);
    expect(await run('exit', lines, () => false)).toEqual(lines);
  });
});
