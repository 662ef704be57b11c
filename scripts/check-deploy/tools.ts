// The files whose own tools run here: Caddy validates the Caddyfiles, dockerfile-utils lints the
// Dockerfile, shellcheck reads every shell script. A tool's output is the problem list.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judge, type CheckResult } from '../check-result';
import { root } from './variables';

/**
 * Runs a command in the repository with only PATH and HOME besides `env`: a DOMAIN or IMAGE_TAG
 * exported in the caller's shell would otherwise fill in for one missing from the files under
 * test (compose and Caddy both prefer it). It fails on a non-zero exit, or with `quiet`, on any
 * output (dockerfile-utils exits 0 when it finds only warnings).
 */
export function runTool(
  name: string,
  [command = '', ...args]: string[],
  { env = {}, quiet = false }: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
): { result: CheckResult; stdout: string } {
  const run = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  if (run.error) return { result: judge(name, [`${command}: ${run.error.message}`]), stdout: '' };
  const output = `${run.stdout}${run.stderr}`.trim();
  const ok = run.status === 0 && !(quiet && output !== '');
  return { result: judge(name, ok ? [] : output.split('\n')), stdout: ok ? run.stdout : '' };
}

export function checkTools(): CheckResult[] {
  // Caddy keeps its storage in a scratch folder instead of the home directory.
  const scratch = mkdtempSync(join(tmpdir(), 'check-deploy-'));
  const storage = {
    XDG_DATA_HOME: join(scratch, 'data'),
    XDG_CONFIG_HOME: join(scratch, 'config'),
  };
  const caddy = (file: string) => ['caddy', 'validate', '--config', file, '--adapter', 'caddyfile'];
  const shellScripts = [
    '.ci/run',
    ...readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (path) => path.endsWith('.sh') && !/(^|\/)(node_modules|\.git)\//.test(path),
    ),
  ];
  const results = [
    // With the environment the web image gives it (the defaults in the file).
    runTool('caddy validate: Caddyfile', caddy('Caddyfile'), { env: storage }),
    // With the bucket route on (compose's S3_UPSTREAM) and a provider's origin in the page's
    // connect-src, as Render and Railway set it: the defaults leave both out.
    runTool('caddy validate: Caddyfile with S3_UPSTREAM and CSP_CONNECT_SRC', caddy('Caddyfile'), {
      env: {
        ...storage,
        S3_UPSTREAM: 'rustfs:9000',
        S3_BUCKET: 'shipshape',
        CSP_CONNECT_SRC: "'self' https://example.r2.cloudflarestorage.com",
      },
    }),
    // The front Caddy a VPS runs before its environments (deploy/vps/edge/, ADR 024).
    runTool('caddy validate: deploy/vps/edge/Caddyfile', caddy('deploy/vps/edge/Caddyfile'), {
      env: storage,
    }),
    runTool(
      'dockerfile-utils lint: Dockerfile',
      ['pnpm', 'exec', 'dockerfile-utils', 'lint', 'Dockerfile'],
      { env: process.env, quiet: true },
    ),
    // CI's entry point and every *.sh outside dependencies.
    runTool(`shellcheck: ${shellScripts.join(' ')}`, ['shellcheck', ...shellScripts]),
  ].map(({ result }) => result);
  rmSync(scratch, { recursive: true, force: true });
  return results;
}
