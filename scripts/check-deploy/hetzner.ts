// infra/hetzner, checked offline. Terraform cannot download the hcloud provider here, so the
// .tf files are read as text for the rules that matter to this setup (places by `location`, the
// four open ports, addresses that outlive the server, an SSH key that may already exist, no
// retired server type, no undeclared variable, a backend example Terraform accepts).
// cloud-init.yaml is rendered the way templatefile() renders it, parsed, checked for what the
// server needs, and validated by `cloud-init schema` when cloud-init is installed (Debian: apt
// install cloud-init). The VPS docs are checked against deploy/vps/lib.sh in ./vps-docs.
//
// HCL is read with regular expressions and a brace counter, not a parser: the one maintained-
// looking parser on npm, @cdktf/hcl2json, belongs to CDK for Terraform, which HashiCorp stopped
// maintaining on 2025-12-10, and ships 1.7 MB of WASM. These files are small and ours.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CheckResult } from './result';
import { checkVpsDocs } from './vps-docs';

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
      name: "infra/hetzner/backend.tf.example: settings of Terraform's s3 backend",
      problems: backendProblems(await read('backend.tf.example')),
    },
    {
      name: 'infra/hetzner/cloud-init.yaml: rendered, parsed, contents',
      problems: cloudInitProblems(template, rendered),
    },
    cloudInitSchema(rendered),
    ...(await checkVpsDocs(defaults(tf['variables.tf'] ?? ''))),
  ];
}

// Server types Hetzner has retired, so none may be a default, as hetznercloud/
// terraform-provider-hcloud replaced them in its docs: the CX Gen 1 types (commit f98c1fc7,
// "replace deprecated server type with cx22"), then the CX Gen 2 and CPX Gen 1 types, removed
// from the API at the end of 2025 (commit c9cdbb9c: cx22 became cx23 in every example).
const retiredServerTypes = new Set([
  ...['cx11', 'cx21', 'cx31', 'cx41', 'cx51'],
  ...['cx22', 'cx32', 'cx42', 'cx52'],
  ...['cpx11', 'cpx21', 'cpx31', 'cpx41', 'cpx51'],
]);

/** The rules for the .tf files, given each file's text by name (main.tf, variables.tf, …). */
export function terraformProblems(texts: Record<string, string>): string[] {
  const files = Object.fromEntries(
    Object.entries(texts).map(([file, text]) => [file, stripComments(text)]),
  );
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
  problems.push(...sshKeyProblems(main, files['variables.tf'] ?? ''));
  const serverType = defaults(files['variables.tf'] ?? '').server_type ?? '';
  if (retiredServerTypes.has(serverType)) {
    problems.push(`variables.tf: server_type defaults to ${serverType}, which Hetzner retired`);
  }
  for (const [type, body] of blocks(main, 'resource')) {
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
  // A check block (warnings), not a precondition, which would fail every plan of a running
  // server once Hetzner stops selling its type.
  const serverTypeCheck = blocks(main, 'check').find(([name]) => name === 'server_type')?.[1];
  if (!serverTypeCheck?.includes('data "hcloud_server_type"')) {
    problems.push('main.tf: no check "server_type" reading the type\'s locations and architecture');
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

/**
 * Hetzner refuses a key the project already has (terraform-provider-hcloud#12), so the key is
 * either created (count 1) or read by the data source (count 1), never both.
 */
function sshKeyProblems(main: string, variables: string): string[] {
  const problems: string[] = [];
  const created = blocks(main, 'resource').find(([type]) => type === 'hcloud_ssh_key')?.[1];
  const read = blocks(main, 'data').find(([type]) => type === 'hcloud_ssh_key')?.[1];
  if (!read) problems.push('main.tf: no data "hcloud_ssh_key" for a key already in the project');
  for (const [what, body] of [
    ['resource', created],
    ['data source', read],
  ] as const) {
    if (body && !/\bcount\s*=\s*var\.existing_ssh_key\s*==\s*null\b/.test(body)) {
      problems.push(`main.tf: the hcloud_ssh_key ${what} must be counted on var.existing_ssh_key`);
    }
  }
  if (/hcloud_ssh_key\.deploy\.id/.test(main)) {
    problems.push('main.tf: hcloud_ssh_key.deploy.id names the key as if it always existed');
  }
  if (
    defaults(variables).existing_ssh_key !== 'null' ||
    defaults(variables).ssh_public_key !== 'null'
  ) {
    problems.push('variables.tf: ssh_public_key and existing_ssh_key must both default to null');
  }
  return problems;
}

// Every setting the s3 backend declares in hashicorp/terraform's
// internal/backend/remote-state/s3/backend.go (ConfigSchema, its main branch of August 2026,
// after 1.16), and those of them it marks Deprecated. A misspelt or invented one fails `terraform init`, which cannot run here.
const s3BackendSettings = new Set([
  ...['bucket', 'key', 'region', 'allowed_account_ids', 'forbidden_account_ids', 'endpoints'],
  ...['ec2_metadata_service_endpoint', 'ec2_metadata_service_endpoint_mode', 'sts_region'],
  ...['encrypt', 'acl', 'access_key', 'secret_key', 'kms_key_id', 'use_lockfile', 'profile'],
  ...['retry_mode', 'shared_config_files', 'shared_credentials_files', 'token'],
  ...['skip_credentials_validation', 'skip_requesting_account_id', 'skip_metadata_api_check'],
  ...['skip_region_validation', 'skip_s3_checksum', 'sse_customer_key', 'workspace_key_prefix'],
  ...['use_path_style', 'max_retries', 'assume_role', 'assume_role_with_web_identity'],
  ...['custom_ca_bundle', 'http_proxy', 'https_proxy', 'no_proxy', 'insecure'],
  ...['use_fips_endpoint', 'use_dualstack_endpoint'],
]);
const s3BackendDeprecated = new Set([
  ...['dynamodb_endpoint', 'endpoint', 'iam_endpoint', 'sts_endpoint', 'dynamodb_table'],
  ...['shared_credentials_file', 'force_path_style'],
]);

export function backendProblems(text: string): string[] {
  const backend = blocks(stripComments(text), 'backend').find(([type]) => type === 's3')?.[1];
  if (!backend) return ['no backend "s3" block'];
  const problems: string[] = [];
  // Top-level settings only: the endpoints = { s3 = ... } object's keys are its own.
  const top = backend.slice(backend.indexOf('{') + 1).replace(/{[^{}]*}/g, '{}');
  const settings = [...top.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1] ?? '');
  for (const name of settings) {
    if (s3BackendDeprecated.has(name)) problems.push(`${name} is deprecated in the s3 backend`);
    else if (!s3BackendSettings.has(name))
      problems.push(`${name} is not a setting of the s3 backend`);
  }
  for (const name of ['access_key', 'secret_key', 'token']) {
    if (settings.includes(name))
      problems.push(`${name} in the file: credentials belong in AWS_* variables`);
  }
  if (!/\buse_lockfile\s*=\s*true\b/.test(backend)) problems.push('use_lockfile = true missing');
  if (!/\bs3\s*=\s*"https:\/\//.test(backend))
    problems.push('endpoints = { s3 = "https://..." } missing');
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

/** The `default` of each variable in variables.tf, as written (a string without its quotes). */
function defaults(variables: string): Record<string, string> {
  return Object.fromEntries(
    blocks(variables, 'variable').map(([name, body]) => [
      name,
      /^\s*default\s*=\s*"?([^"\n]*)"?\s*$/m.exec(body)?.[1] ?? '',
    ]),
  );
}

/** Each `keyword "label" ["name"] { ... }` with its body: resources, data sources, backends. */
function blocks(text: string, keyword: string): [string, string][] {
  const found: [string, string][] = [];
  for (const match of text.matchAll(
    new RegExp(`\\b${keyword}\\s+"(\\w+)"(?:\\s+"\\w+")?\\s*{`, 'g'),
  )) {
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
