// `res.json` as Express sends it, minus one copy. Express's `res.send` turns any answer of 1,000
// characters or more into a Buffer before sending it (express/lib/response.js), so Node writes
// the headers and the body as two chunks, through the slower path for several (writev). Sent as
// the string it already is, the body goes out in the same write as the headers, as a bare
// `node:http` server sends it: a page of notes cost some 20 µs less (ADR 026).
import type { Express, Response } from 'express';

const noBody = new Set([204, 205, 304]);

/** Makes `res.json` send its JSON as a string, for `app`'s responses. */
export function jsonAsText(app: Express): void {
  const expressJson = app.response.json;
  app.response.json = function json(this: Response, value: unknown) {
    const body = JSON.stringify(value) as string | undefined;
    // What has no body (204, 205, 304), or a header set by hand that changes how the body is
    // sent: rare answers, left to Express's own rules.
    const plain =
      body !== undefined &&
      this.statusCode >= 200 &&
      !noBody.has(this.statusCode) &&
      !this.hasHeader('ETag') &&
      !this.hasHeader('Transfer-Encoding');
    if (!plain) return expressJson.call(this, value);
    if (!this.hasHeader('Content-Type')) {
      this.setHeader('Content-Type', 'application/json; charset=utf-8');
    }
    this.setHeader('Content-Length', Buffer.byteLength(body));
    // Node sends no body for HEAD, whatever `end` is given.
    this.end(body);
    return this;
  };
}
