// helmet's defaults plus a Content-Security-Policy with no 'unsafe-inline' anywhere:
// the frontend keeps every script and style in files, so injected markup cannot run.
import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

export function securityHeaders({
  https,
  connectSrc = [],
}: {
  https: boolean;
  /**
   * Origins the page may send requests to besides its own: the bucket's, where the browser
   * uploads straight to S3 on another origin (`pnpm dev`'s embedded S3 server). Where Caddy
   * serves the page, its own CSP_CONNECT_SRC says the same (docs/deploy/storage.md).
   */
  connectSrc?: string[];
}): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", ...connectSrc],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        // On plain-http local development, upgrading would break every request.
        upgradeInsecureRequests: https ? [] : null,
      },
    },
    // Set below, from the request: a deployment may be reached over plain http (behind Caddy at
    // http://localhost), where HSTS has no business; see ADR 021.
    strictTransportSecurity: false,
  });
  // Nothing above depends on the request (no nonce, no function for a directive), so helmet's
  // answer is the same every time: it is asked once, here, instead of running its dozen
  // middlewares for each request (ADR 026).
  const fixed = headersSetBy(headers);
  return (req, res, next) => {
    for (const [name, value] of fixed) res.setHeader(name, value);
    // req.secure follows X-Forwarded-Proto from a trusted proxy (TRUST_PROXY).
    if (https && req.secure) {
      res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    }
    next();
  };
}

/** The headers a middleware sets on an answer, asked with a stand-in request and answer. */
function headersSetBy(middleware: RequestHandler): [string, string | string[]][] {
  const set = new Map<string, string | string[]>();
  const answer = {
    setHeader: (name: string, value: string | string[]) => set.set(name, value),
    removeHeader: (name: string) => set.delete(name),
  };
  let done = false as boolean;
  const request = Object.create(null) as Request;
  middleware(request, answer as unknown as Response, () => (done = true));
  if (!done) throw new Error('the security headers middleware did not finish at once');
  return [...set];
}
