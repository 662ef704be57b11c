// The command line of `pnpm run doctor`. Flags only, no environment variables: a workflow step
// writes them out as readily, and the command in its log then shows everything it was asked.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const usage = `Usage: pnpm run doctor <https://host[:port]> [options]

Checks a deployed Shipshape from outside, as a browser would reach it.

Options:
  --expect-commit <sha>  fail unless /api/version serves this commit (a prefix of 7+ characters is enough)
  --ca <pem file>        also trust this root certificate, such as Caddy's local CA on a staging stack
  --http-port <n>        where plain HTTP must redirect to HTTPS (default 80)
  --timeout <s>          deadline for each request, in seconds (default 10)
  --help                 show this text`;

export interface DoctorOptions {
  url: URL;
  expectCommit?: string;
  /** The PEM text of the extra root certificate. */
  ca?: string;
  httpPort: number;
  timeoutMs: number;
}

/** A mistake on the command line: the entry prints it with the usage and exits 2. */
export class UsageError extends Error {}

export function parseOptions(argv: string[]): DoctorOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'expect-commit': { type: 'string' },
        ca: { type: 'string' },
        'http-port': { type: 'string', default: '80' },
        timeout: { type: 'string', default: '10' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError('give exactly one site address');

  const url = siteUrl(positionals[0] ?? '');
  const httpPort = whole(values['http-port'], '--http-port', 1, 65_535);
  const timeoutSeconds = Number(values.timeout);
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 300)) {
    throw new UsageError('--timeout takes seconds, more than 0 and at most 300');
  }
  const commit = values['expect-commit'];
  if (commit !== undefined && !/^[0-9a-f]{7,40}$/i.test(commit)) {
    throw new UsageError('--expect-commit takes a commit hash, 7 to 40 hex digits');
  }
  return {
    url,
    ...(commit !== undefined && { expectCommit: commit }),
    ...(values.ca !== undefined && { ca: readCa(values.ca) }),
    httpPort,
    timeoutMs: timeoutSeconds * 1000,
  };
}

function siteUrl(text: string): URL {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not an address: give https://your.domain`);
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(`give the https:// address: the doctor checks a deployed site's HTTPS`);
  }
  // Only the origin counts: every check asks for its own path.
  return new URL(url.origin);
}

function whole(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} takes a whole number from ${min} to ${max}`);
  }
  return value;
}

function readCa(path: string): string {
  let pem;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca: cannot read ${path} (${(error as Error).message})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`--ca: ${path} holds no PEM certificate`);
  }
  return pem;
}
