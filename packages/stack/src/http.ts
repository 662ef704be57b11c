// One request over a real socket, nothing decoded: what Caddy and the API put on the wire, for
// the tests that read headers and compressed bytes, and for a site served with Caddy's own CA.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they crossed the wire, still compressed. */
  body: Buffer;
  /** Status line and headers as sent, for the page-weight sum. */
  headerBytes: number;
}

export interface GetOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** For https: the CA certificate (PEM) to trust, such as Caddy's local one. */
  ca?: string;
}

/** One request on a fresh connection, nothing decoded, with a client-side timeout. */
export function get(url: string, init: GetOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, {
      method: init.method ?? 'GET',
      headers: init.headers,
      agent: false,
      timeout: 10_000,
      ca: init.ca,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          headerBytes: Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`),
        });
      });
    });
    req.end(init.body);
  });
}
