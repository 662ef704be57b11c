// The certificate a browser would get: does its chain lead to a trusted root, is it for this
// name, and how long until it expires. The connection accepts any certificate so that a bad one
// can be described (expired when, issued by whom) instead of only refused.
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { fail, pass, type CheckResult } from '../check-result';
import { unreachable, type Target } from './request';

const NAME = 'TLS certificate';
const DAY_MS = 86_400_000;

interface Handshake {
  authorizationError?: string;
  cert: DetailedPeerCertificate;
  protocol: string | null;
}

export async function checkTls(target: Target): Promise<CheckResult> {
  let handshake: Handshake;
  try {
    handshake = await handshakeWith(target);
  } catch (error) {
    return unreachable(NAME, target.url, error);
  }
  const { cert, authorizationError, protocol } = handshake;
  const host = target.url.hostname;
  const validFrom = new Date(cert.valid_from);
  const validTo = new Date(cert.valid_to);
  const issuer = issuerName(cert);
  const now = Date.now();

  switch (authorizationError) {
    case undefined:
      break;
    case 'CERT_HAS_EXPIRED':
      return fail(
        NAME,
        `expired ${describeSpan(now - validTo.getTime())} ago, on ${day(validTo)} (issued by ${issuer})`,
        'Caddy renews certificates by itself, so renewal is failing: read its log (docker compose logs web) for the ACME error; ports 80 and 443 must reach Caddy from the internet and DNS must point at this server; then restart it (docker compose restart web)',
      );
    case 'CERT_NOT_YET_VALID':
      return fail(
        NAME,
        `not valid until ${validFrom.toISOString()}`,
        "the server's clock or this machine's is wrong: set both to synchronise (timedatectl set-ntp true)",
      );
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return fail(
        NAME,
        `self-signed (${subjectName(cert)} signed it itself): browsers refuse it`,
        "serve a certificate from a public CA: set DOMAIN to the real domain name and Caddy gets one from Let's Encrypt; for an internal CA, pass its root certificate with --ca",
      );
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return fail(
        NAME,
        `issued for ${cert.subjectaltname || subjectName(cert)}, not for ${host}`,
        `set DOMAIN to ${host} in the deployment's env file so Caddy asks for a certificate with that name, and make sure this name's DNS points at that server`,
      );
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return fail(
        NAME,
        `the chain from ${issuer} does not lead to a trusted root (${authorizationError})`,
        "serve the full chain (the certificate and its intermediates, as Caddy does); if the CA is an internal one, such as Caddy's local CA on a staging stack, pass its root certificate with --ca",
      );
    default:
      return fail(
        NAME,
        `refused: ${authorizationError}`,
        'look the code up in the OpenSSL documentation (openssl verify) and replace the certificate',
      );
  }

  const lifetime = validTo.getTime() - validFrom.getTime();
  const left = validTo.getTime() - now;
  const facts = `issued by ${issuer}, ${protocol ?? 'TLS'}, expires in ${describeSpan(left)} (${day(validTo)})`;
  // ACME clients, Caddy included, renew once a third of the lifetime is left. Half of that gone
  // too means renewal has been failing for a while: 15 days for a 90-day certificate.
  if (left < lifetime / 6) {
    return fail(
      NAME,
      `renewal is overdue: ${facts}`,
      'Caddy should have renewed it by now: read its log (docker compose logs web) for the ACME error; ports 80 and 443 must reach Caddy from the internet',
    );
  }
  return pass(NAME, `chain verifies, valid for ${host}, ${facts}`);
}

function handshakeWith(target: Target): Promise<Handshake> {
  const { hostname } = target.url;
  const host = hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({
      host,
      port: Number(target.url.port || 443),
      ca: target.ca,
      // An IP address is not a name: SNI must not carry one.
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no answer within ${target.timeoutMs / 1000} s`), {
        code: 'TIMEOUT',
      });
      socket.destroy(error);
    }, target.timeoutMs);
    socket.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      // With rejectUnauthorized off, Node still checks the chain and the name and says how it fared.
      const error = socket.authorizationError as Error | string | null;
      resolve({
        ...(error && { authorizationError: typeof error === 'string' ? error : codeOf(error) }),
        cert: socket.getPeerCertificate(true),
        protocol: socket.getProtocol(),
      });
      socket.destroy();
    });
  });
}

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.message;
}

/** A field of a certificate's name: absent, once, or repeated. */
const field = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join(', ') : (value ?? '');

const subjectName = (cert: DetailedPeerCertificate) => field(cert.subject.CN) || 'the server';

const issuerName = (cert: DetailedPeerCertificate) =>
  [field(cert.issuer.O), field(cert.issuer.CN)].filter(Boolean).join(' ') || 'an unnamed issuer';

const day = (date: Date) => date.toISOString().slice(0, 10);

/** "41 days", or hours when under two days (a local CA's certificates live 12 hours). */
function describeSpan(ms: number): string {
  return ms >= 2 * DAY_MS ? `${Math.floor(ms / DAY_MS)} days` : `${Math.floor(ms / 3_600_000)} h`;
}
