// The VPS checks of `pnpm check:deploy` (scripts/check-deploy/hetzner.ts and vps-docs.ts) catch
// the mistakes they exist for: each test breaks one thing in a copy of the real file and expects
// that problem. Terraform itself cannot run here, so these rules are what stands in for it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  backendProblems,
  checkHetzner,
  terraformProblems,
} from '../../scripts/check-deploy/hetzner';
import { vpsFacts } from '../../scripts/check-deploy/docs';
import { checklistProblems, nameProblems } from '../../scripts/check-deploy/vps-docs';

const read = (path: string) =>
  readFile(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const tfFiles = ['versions.tf', 'variables.tf', 'main.tf', 'outputs.tf'];
const terraform = Object.fromEntries(
  await Promise.all(
    tfFiles.map(async (file) => [file, await read(`infra/hetzner/${file}`)] as const),
  ),
);
const backend = await read('infra/hetzner/backend.tf.example');
const names = vpsFacts(fileURLToPath(new URL('../..', import.meta.url)));
if ('problem' in names) throw new Error(names.problem);
const hetznerDoc = await read('docs/deploy/hetzner.md');

/** The .tf problems after `change` edits one file. */
function terraformAfter(file: string, change: (text: string) => string): Promise<string[]> {
  return terraformProblems({ ...terraform, [file]: change(terraform[file] ?? '') });
}

describe('the infra/hetzner check', () => {
  it('passes the committed files and docs', async () => {
    const failed = (await checkHetzner()).filter((result) => !result.ok);
    expect(failed).toEqual([]);
  });

  it('refuses an SSH key that is always created (Hetzner rejects a key it already has)', async () => {
    const problems = await terraformAfter('main.tf', (text) =>
      text
        .replace(/^\s*count\s*=\s*var\.existing_ssh_key == null \? 1 : 0\n/m, '')
        .replace('[local.ssh_key_id]', '[hcloud_ssh_key.deploy.id]'),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/hcloud_ssh_key resource must be counted/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/hcloud_ssh_key\.deploy\.id names the key/),
    );
  });

  it('refuses a retired server type as the default', async () => {
    const problems = await terraformAfter('variables.tf', (text) =>
      text.replace('"cx23"', '"cx22"'),
    );
    expect(problems).toContainEqual(
      'variables.tf: server_type defaults to cx22, which Hetzner retired',
    );
  });

  it('refuses backend settings the s3 backend deprecated or never had, and credentials', async () => {
    const problems = await backendProblems(
      backend
        .replace('use_path_style = true', 'force_path_style = true\n    use_path_styl = true')
        .replace('use_lockfile = true', 'access_key = "AKIA..."'),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'force_path_style is deprecated in the s3 backend',
        'use_path_styl is not a setting of the s3 backend',
        'access_key in the file: credentials belong in AWS_* variables',
        'use_lockfile = true missing',
      ]),
    );
  });
});

describe('the VPS docs check', () => {
  const problemsOf = (line: string) => nameProblems({ path: 'page.md', text: line }, names);

  it('reads the names from deploy/vps/lib.sh', () => {
    expect(names).toMatchObject({
      environments: ['staging', 'production'],
      projectPrefix: 'shipshape-',
      stateDir: '/var/lib/shipshape/',
    });
  });

  it('refuses a project name the scripts do not use', () => {
    expect(problemsOf('docker compose -p shipshape-prod logs -f api')).toEqual([
      'page.md:1: shipshape-prod; the scripts name it shipshape-production',
    ]);
  });

  it('refuses a state folder and a script argument that are not an environment', () => {
    expect(problemsOf('cat /var/lib/shipshape/prod/current')).toHaveLength(1);
    expect(problemsOf('deploy/vps/compose.sh prod ps')).toHaveLength(1);
  });

  it('accepts the scripts’ names, placeholders, and other projects', () => {
    for (const line of [
      'deploy/vps/compose.sh production logs -f api',
      '`deploy/vps/deploy.sh <env> <api-image> <worker-image> <web-image>`',
      'cat /var/lib/shipshape/staging/deploys.log',
      'docker compose -p shipshape-rehearsal ps; volume shipshape-production_postgres-data',
      '# deploy/vps/compose.sh adds the project name',
    ]) {
      expect(problemsOf(line)).toEqual([]);
    }
  });

  it('wants the checklist to name the current defaults', () => {
    const defaults = { server_type: 'cx33', location: 'nbg1', image: 'debian-13' };
    expect(checklistProblems(hetznerDoc, defaults)).toEqual([
      'infra/hetzner/variables.tf\'s server_type default "cx33" is not in the section',
    ]);
  });
});
