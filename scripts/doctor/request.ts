// One GET with a deadline, as a browser's first visit would make it: a fresh connection, no
// redirect followed, nothing cached. Also turns a failed connection into words and a fix.
import { send, type Reply } from '@shipshape/stack/http';
import { fail, type CheckResult } from '../check-result';

/** The deployment under examination, and how to reach it. */
export interface Target {
  /** The site's origin, https://host[:port]. */
  url: URL;
  /** Root certificates to trust: Node's own list plus any given with --ca. */
  ca: string[];
  /** Where plain HTTP is expected to answer with the redirect. */
  httpPort: number;
  /** The deadline for each request, connection included. */
  timeoutMs: number;
  /**
   * Whether HTTPS requests insist on a valid certificate. Turned off once the TLS check has
   * failed, so the checks after it still say whether everything behind the certificate works.
   */
  verifyTls: boolean;
}

export function fetchAnswer(target: Target, url: URL): Promise<Reply> {
  return send(url.href, {
    headers: { 'user-agent': 'shipshape-doctor', accept: '*/*' },
    timeoutMs: target.timeoutMs,
    ca: target.ca,
    verifyTls: target.verifyTls,
    // Bodies worth reading here are small JSON answers and a page; the rest is not kept.
    maxBodyBytes: 1_000_000,
  });
}

/** Errors from OpenSSL's certificate checks, which the TLS check explains in full. */
const certificateCodes = /^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_CERT_)/;

/** The ✗ line for a check whose request never got an answer. */
export function unreachable(name: string, url: URL, error: unknown): CheckResult {
  const code = (error as { code?: unknown }).code;
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return fail(name, `${url.hostname} does not resolve`, 'fix the DNS check first');
  }
  if (code === 'ECONNREFUSED') {
    return fail(
      name,
      `connection to ${where} refused`,
      'start the web container, which runs Caddy (docker compose ps web), and check that it publishes that port',
    );
  }
  if (code === 'TIMEOUT' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return fail(
      name,
      `no answer from ${where} (${error instanceof Error ? error.message : code})`,
      "open the port in the server's firewall and the hosting provider's, and check the server is up",
    );
  }
  if (typeof code === 'string' && certificateCodes.test(code)) {
    return fail(name, `the certificate was refused (${code})`, 'fix the TLS check first');
  }
  const message = error instanceof Error ? error.message : String(error);
  return fail(
    name,
    `the request to ${where} failed: ${message}`,
    "read Caddy's log (docker compose logs web)",
  );
}
