// infra/hetzner, checked offline. Terraform cannot download the hcloud provider here, so the
// .tf files are read as text for the rules that matter to this setup (places by `location`, the
// four open ports, addresses that outlive the server, no undeclared variable). cloud-init.yaml
// is rendered the way templatefile() renders it, parsed, checked for what the server needs, and
// validated by `cloud-init schema` when cloud-init is installed (Debian: apt install cloud-init).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CheckResult } from './result';

const dir = join(import.meta.dirname, '..', '..', 'infra', 'hetzner');
const sampleKey =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNoZWNrLWRlcGxveS1zYW1wbGUta2V5 check@deploy';

export async function checkHetzner(): Promise<CheckResult[]> {
  const read = (file: string) => readFile(join(dir, file), 'utf8');
  const tf = Object.fromEntries(
    await Promise.all(
      ['versions.tf', 'variables.tf', 'main.tf', 'outputs.tf'].map(
        async (file) => [file, stripComments(await read(file))] as const,
      ),
    ),
  );
  const template = await read('cloud-init.yaml');
  const rendered = render(template, templateVariables(tf['main.tf'] ?? ''));
  return [
    { name: 'infra/hetzner/*.tf: structure and rules', problems: terraformProblems(tf) },
    {
      name: 'infra/hetzner/cloud-init.yaml: rendered, parsed, contents',
      problems: cloudInitProblems(template, rendered),
    },
    cloudInitSchema(rendered),
  ];
}

function terraformProblems(files: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (!balanced(text)) problems.push(`${file}: unbalanced braces, brackets or parentheses`);
    // Hetzner removed datacenters from servers and primary IPs (provider 1.67).
    if (/^\s*datacenter\s*=/m.test(text)) problems.push(`${file}: uses datacenter; use location`);
  }
  const main = files['main.tf'] ?? '';
  const versions = files['versions.tf'] ?? '';
  const constraint =
    /source\s*=\s*"hetznercloud\/hcloud"[\s\S]*?version\s*=\s*"~>\s*1\.(\d+)"/.exec(versions);
  if (!constraint || Number(constraint[1]) < 67) {
    problems.push('versions.tf: hcloud must be pinned to "~> 1.67" or a later 1.x');
  }
  for (const type of ['hcloud_server', 'hcloud_primary_ip', 'hcloud_firewall', 'hcloud_ssh_key']) {
    if (!main.includes(`resource "${type}"`)) problems.push(`main.tf: no ${type}`);
  }
  for (const [type, body] of resources(main)) {
    if (['hcloud_server', 'hcloud_primary_ip'].includes(type) && !/\blocation\s*=/.test(body)) {
      problems.push(`main.tf: ${type} without location`);
    }
    if (type === 'hcloud_primary_ip') {
      if (!/auto_delete\s*=\s*false/.test(body))
        problems.push('main.tf: a primary IP with auto_delete other than false');
      if (!/prevent_destroy\s*=\s*true/.test(body))
        problems.push('main.tf: a primary IP without prevent_destroy');
    }
    if (type === 'hcloud_server' && !/ipv4\s*=\s*hcloud_primary_ip\./.test(body)) {
      problems.push('main.tf: the server does not use the managed primary IPv4');
    }
  }
  const rules = [...main.matchAll(/rule\s*{([^}]*)}/g)].map(([, rule]) => {
    const field = (name: string) => new RegExp(`${name}\\s*=\\s*"([^"]*)"`).exec(rule ?? '')?.[1];
    return `${field('direction')} ${field('protocol')} ${field('port')}`;
  });
  const expected = ['in tcp 22', 'in tcp 443', 'in tcp 80', 'in udp 443'];
  if ([...rules].sort().join(', ') !== expected.join(', ')) {
    problems.push(
      `main.tf: firewall rules are ${rules.join(', ') || 'none'}; expected ${expected.join(', ')}`,
    );
  }
  const declared = new Set(
    [...(files['variables.tf'] ?? '').matchAll(/variable\s+"(\w+)"/g)].map((m) => m[1]),
  );
  for (const [file, text] of Object.entries(files)) {
    for (const [, name] of text.matchAll(/\bvar\.(\w+)/g)) {
      if (!declared.has(name))
        problems.push(`${file}: var.${name} is not declared in variables.tf`);
    }
  }
  return problems;
}

function cloudInitProblems(template: string, rendered: string): string[] {
  const problems: string[] = [];
  if (!template.startsWith('#cloud-config\n'))
    problems.push('the first line must be #cloud-config');
  const left = /\$\{(\w+)\}/.exec(rendered);
  if (left) problems.push(`\${${left[1]}} is not passed by templatefile() in main.tf`);
  let config: CloudConfig;
  try {
    config = parse(rendered) as CloudConfig;
  } catch (error) {
    return [...problems, `not YAML: ${(error as Error).message}`];
  }
  const user = config.users?.find((entry) => typeof entry === 'object');
  if (!user || user.name === 'root' || !user.ssh_authorized_keys?.includes(sampleKey)) {
    problems.push('users: a non-root user with the SSH key is missing');
  }
  if (!config.packages?.includes('unattended-upgrades'))
    problems.push('packages: unattended-upgrades missing');
  const sshd = config.write_files?.find((file) => file.path.startsWith('/etc/ssh/sshd_config.d/'));
  for (const line of ['PermitRootLogin no', 'PasswordAuthentication no']) {
    if (!sshd?.content.includes(line)) problems.push(`sshd_config.d: "${line}" missing`);
  }
  const commands = (config.runcmd ?? []).map((command) => [command].flat().join(' ')).join('\n');
  for (const needed of [
    'https://download.docker.com/linux/',
    'docker-ce',
    'docker-compose-plugin',
  ]) {
    if (!commands.includes(needed))
      problems.push(`runcmd: ${needed} missing (Docker from Docker's apt repository)`);
  }
  return problems;
}

function cloudInitSchema(rendered: string): CheckResult {
  const name = 'cloud-init schema: infra/hetzner/cloud-init.yaml';
  if (spawnSync('cloud-init', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return { name: `${name} (skipped: cloud-init is not installed)`, problems: [] };
  }
  const scratch = mkdtempSync(join(tmpdir(), 'check-hetzner-'));
  try {
    const file = join(scratch, 'cloud-init.yaml');
    writeFileSync(file, rendered);
    const result = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`.trim();
    return { name, problems: result.status === 0 ? [] : output.split('\n') };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface CloudConfig {
  users?: (string | { name?: string; ssh_authorized_keys?: string[] })[];
  packages?: string[];
  write_files?: { path: string; content: string }[];
  runcmd?: (string | string[])[];
}

/** The names main.tf hands to templatefile(), each given a sample value. */
function templateVariables(main: string): Record<string, string> {
  const call = /templatefile\([^,]+,\s*{([^}]*)}/.exec(main)?.[1] ?? '';
  const names = [...call.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1] ?? '');
  return Object.fromEntries(names.map((n) => [n, n === 'ssh_public_key' ? sampleKey : 'deploy']));
}

/** templatefile()'s substitution for plain ${name}; $${ is its escape for a literal ${. */
function render(template: string, variables: Record<string, string>): string {
  return template.replace(/(\$?)\$\{(\w+)\}/g, (whole, escape: string, name: string) =>
    escape ? whole.slice(1) : (variables[name] ?? whole),
  );
}

function stripComments(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|#.*$|\/\/.*$/gm, (m) => (m.startsWith('"') ? m : ''));
}

function balanced(text: string): boolean {
  const pairs: Record<string, string> = { '}': '{', ']': '[', ')': '(' };
  const stack: string[] = [];
  for (const char of text.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if ('{[('.includes(char)) stack.push(char);
    else if (char in pairs && stack.pop() !== pairs[char]) return false;
  }
  return stack.length === 0;
}

/** Each top-level `resource "type" "name" { ... }` with its body. */
function resources(text: string): [string, string][] {
  const found: [string, string][] = [];
  for (const match of text.matchAll(/resource\s+"(\w+)"\s+"\w+"\s*{/g)) {
    let depth = 1;
    let end = match.index + match[0].length;
    while (depth > 0 && end < text.length) {
      if (text[end] === '{') depth += 1;
      else if (text[end] === '}') depth -= 1;
      end += 1;
    }
    found.push([match[1] ?? '', text.slice(match.index, end)]);
  }
  return found;
}
