// The README's first command on a Node older than 24 stops at `pnpm install`, naming the version
// it needs, and so does every `pnpm` script after it: `engine-strict` in .npmrc makes pnpm refuse
// what `engines` in package.json does not allow, where by default it only warns. pnpm's
// `node-version` setting stands in for the older Node: it is the version pnpm checks `engines`
// against (pnpm.io/settings, nodeVersion), so this runs on the Node that CI has.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${repoRoot}/${path}`, 'utf8');

/** pnpm in the repository, as if it ran on `nodeVersion`: exit code and everything it printed. */
function pnpmOn(nodeVersion: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'pnpm',
      [`--config.node-version=${nodeVersion}`, ...args],
      { cwd: repoRoot },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

const refusal = (nodeVersion: string) => [
  'ERR_PNPM_UNSUPPORTED_ENGINE',
  'Expected version: >=24',
  `Got: ${nodeVersion}`,
];

describe('a Node older than 24', () => {
  // --lockfile-only with --frozen-lockfile writes nothing, should the refusal ever go missing.
  it.each(['20.19.0', '22.22.0'])('is refused by pnpm install: Node %s', async (version) => {
    const { code, output } = await pnpmOn(version, [
      'install',
      '--frozen-lockfile',
      '--lockfile-only',
    ]);
    expect(code, output).not.toBe(0);
    for (const line of refusal(version)) expect(output).toContain(line);
  });

  // `tsc --version` is what would run, at once and harmlessly, if pnpm did not refuse.
  it('is refused by every script, not only by install', async () => {
    const { code, output } = await pnpmOn('20.19.0', ['run', 'typecheck', '--version']);
    expect(code, output).not.toBe(0);
    for (const line of refusal('20.19.0')) expect(output).toContain(line);
  });
});

describe('Node 24', () => {
  it('is the version .node-version, engines, the images and the README name', () => {
    const major = read('.node-version').trim();
    expect(major).toBe('24');
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(read('Dockerfile')).toContain(`ARG NODE_IMAGE=node:${major}-`);
    expect(read('README.md')).toContain(`You need Node ${major}, the version CI`);
  });
});
