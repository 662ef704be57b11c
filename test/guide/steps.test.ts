// The guide's conventions as `pnpm test:guide` reads them, and the cheap checks that need no
// engine: every pnpm script and every relative link that phases 0 to 2 name exists.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blockSteps, missingLines, shellBlocks } from './steps';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = ['README.md', '0-laptop.md', '1-containers.md', '2-compose.md'];
const read = (page: string) => readFileSync(join(root, 'docs/guide', page), 'utf8');

describe('reading a page', () => {
  it('runs sh blocks only, never the captured console and text blocks', () => {
    const page = '```sh\nnode --version\n```\n\n```console\n$ rm -rf /\n```\n\n```text\nok\n```\n';
    expect(shellBlocks(page)).toEqual(['node --version\n']);
  });

  it('gives each command the # → lines under it', () => {
    expect(blockSteps('cd app\ncurl -s localhost/healthz\n# → {"status":"ok"}\nls dist')).toEqual([
      { kind: 'run', script: 'cd app\ncurl -s localhost/healthz', expect: ['{"status":"ok"}'] },
      { kind: 'run', script: 'ls dist', expect: [] },
    ]);
  });

  it('starts a command that keeps running on its own, and stops it at # Ctrl-C', () => {
    const steps = blockSteps(
      'pnpm install\npnpm dev   # keeps running: Ctrl-C stops it\n# Ctrl-C in that terminal\n# → stopped',
    );
    expect(steps).toEqual([
      { kind: 'run', script: 'pnpm install', expect: [] },
      { kind: 'keeps-running', script: 'pnpm dev   # keeps running: Ctrl-C stops it' },
      { kind: 'ctrl-c', expect: ['stopped'] },
    ]);
  });

  it('refuses a # → line that follows no command', () => {
    expect(() => blockSteps('# → ok')).toThrow(/follows no command/);
  });
});

describe('matching what a command printed', () => {
  it('finds each expected line anywhere in the output, … matching anything', () => {
    const output = 'Server: Podman\n[12:30:18] INFO (api): API stopped\nv24.11.0\n';
    expect(missingLines(output, ['INFO (api): API stopped', 'v24.…', 'Server: …'])).toEqual([]);
  });

  it('names the lines that are missing', () => {
    expect(missingLines('v22.1.0\n', ['v24.…', 'v22.…'])).toEqual(['v24.…']);
  });

  it('treats the rest of the pattern literally', () => {
    expect(missingLines('a+b (c)', ['a+b (c)'])).toEqual([]);
    expect(missingLines('aab', ['a+b'])).toEqual(['a+b']);
  });
});

describe('phases 0 to 2', () => {
  const scripts = Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: object }).scripts,
  );
  // pnpm's own commands; everything else after `pnpm` or `pnpm run` must be a script of ours.
  const builtIn = new Set(['install', 'exec', 'add', 'dlx', 'fetch']);

  it.each(pages)('%s names only pnpm scripts that package.json has', (page) => {
    // Commands and prose; captured output (console and text blocks) is what tools printed.
    const typed = read(page).replace(/^```(?!sh\n)[\s\S]*?^```$/gm, '');
    const named = [...typed.matchAll(/\bpnpm (?:run )?([a-z][\w:-]*)/g)].map((m) => m[1]);
    const unknown = named.filter((name) => name && !builtIn.has(name) && !scripts.includes(name));
    expect(unknown).toEqual([]);
  });

  it.each(pages)('%s links only to files that exist', (page) => {
    const links = [...read(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1] ?? '')
      .filter((target) => !/^[a-z]+:/.test(target));
    const missing = links.filter((target) => !existsSync(join(root, 'docs/guide', target)));
    expect(missing).toEqual([]);
  });

  it.each(pages.slice(1))('%s reads as steps, with at least one checked answer', (page) => {
    const steps = shellBlocks(read(page)).flatMap(blockSteps);
    const checks = steps.filter((step) => step.kind === 'run' && step.expect.length > 0);
    expect(checks.length).toBeGreaterThan(0);
  });

  it.each(pages.slice(1))('%s stops every command that keeps running', (page) => {
    const steps = shellBlocks(read(page)).flatMap(blockSteps);
    const started = steps.filter((step) => step.kind === 'keeps-running').length;
    const stopped = steps.filter((step) => step.kind === 'ctrl-c').length;
    expect(stopped).toBe(started);
  });
});
