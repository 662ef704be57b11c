// Broken deployments for the doctor's tests, each a real server on a loopback port: certificates
// made with the openssl command line (expired, about to expire, self-signed, for another name),
// a plain HTTP port that answers instead of redirecting, and a DNS server that knows one name.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const DAY_MS = 86_400_000;

export interface Certificate {
  cert: string;
  key: string;
}

/** A root CA in `dir` that signs leaf certificates with chosen dates and names. */
export function createTestCa(dir: string) {
  // The fixed words of a command as one string, then the arguments that may hold spaces.
  const openssl = (words: string, ...args: string[]) =>
    execFileSync('openssl', [...words.split(' '), ...args], { cwd: dir, stdio: 'pipe' });
  const ecKey = '-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes';
  openssl(
    `req -x509 ${ecKey} -keyout ca.key -out ca.crt -days 3650`,
    '-subj',
    '/CN=Doctor Test CA',
  );
  // `openssl ca` is the one command of OpenSSL 3.0 that takes a start date in the past.
  mkdirSync(join(dir, 'issued'));
  writeFileSync(join(dir, 'index.txt'), '');
  let serial = 0;

  return {
    root: readFileSync(join(dir, 'ca.crt'), 'utf8'),

    /** A certificate for `name`, valid from `fromDays` to `toDays` away from now (negative: past). */
    issue(name: string, fromDays: number, toDays: number): Certificate {
      const base = `leaf-${(serial += 1)}`;
      openssl(`req ${ecKey} -keyout ${base}.key -out ${base}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(
        join(dir, `${base}.cnf`),
        [
          '[ca]',
          'default_ca = test',
          '[test]',
          'database = index.txt',
          'new_certs_dir = issued',
          // Never read: -rand_serial picks each serial, but the setting must exist.
          'serial = serial',
          'default_md = sha256',
          'policy = any',
          'unique_subject = no',
          'x509_extensions = leaf',
          '[any]',
          'commonName = supplied',
          '[leaf]',
          'basicConstraints = CA:FALSE',
          `subjectAltName = DNS:${name}`,
          '',
        ].join('\n'),
      );
      openssl(
        `ca -batch -config ${base}.cnf -cert ca.crt -keyfile ca.key -in ${base}.csr -out ${base}.crt -notext -rand_serial`,
        ...['-startdate', asn1Time(Date.now() + fromDays * DAY_MS)],
        ...['-enddate', asn1Time(Date.now() + toDays * DAY_MS)],
      );
      return readPair(dir, base);
    },

    /** A certificate for `name` that signs itself, as `openssl req -x509` makes one. */
    selfSigned(name: string): Certificate {
      const base = `self-${(serial += 1)}`;
      openssl(
        `req -x509 ${ecKey} -keyout ${base}.key -out ${base}.crt -days 90`,
        ...['-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`],
      );
      return readPair(dir, base);
    },
  };
}

function readPair(dir: string, base: string): Certificate {
  return {
    cert: readFileSync(join(dir, `${base}.crt`), 'utf8'),
    key: readFileSync(join(dir, `${base}.key`), 'utf8'),
  };
}

/** YYYYMMDDHHMMSSZ, the form `openssl ca -startdate` takes. */
const asn1Time = (ms: number) =>
  `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

/** A server on a free loopback port; closed with `close()`. */
async function listen(server: Server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Answers every request with 200 and a short JSON body, like a site with nothing in front. */
const answerOk: RequestListener = (_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"status":"ok"}');
};

export const serveHttps = (certificate: Certificate, handler: RequestListener = answerOk) =>
  listen(createHttpsServer(certificate, handler));

export const serveHttp = (handler: RequestListener = answerOk) => listen(createHttpServer(handler));

/**
 * A DNS server that answers A queries for the names it is given and NXDOMAIN for all others:
 * enough of RFC 1035 for the doctor's resolver to be asked something real.
 */
export async function serveDns(records: Record<string, string>) {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    const { name, end } = readQuestion(query);
    const type = query.readUInt16BE(end);
    const address = records[name.toLowerCase()];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the query's id
    const answers = address && type === 1 ? 1 : 0;
    // QR, RD and RA set; RCODE 3 (NXDOMAIN) for an unknown name, 0 otherwise.
    header.writeUInt16BE(address ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers, 6);
    const question = query.subarray(12, end + 4);
    const answer = answers
      ? Buffer.concat([
          Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]),
          Buffer.from(address?.split('.').map(Number) ?? []),
        ])
      : Buffer.alloc(0);
    socket.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    server: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The queried name, and the offset just after it (where its type starts). */
function readQuestion(query: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let offset = 12;
  for (let length = query.readUInt8(offset); length > 0; length = query.readUInt8(offset)) {
    labels.push(query.toString('ascii', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  return { name: labels.join('.'), end: offset + 1 };
}
