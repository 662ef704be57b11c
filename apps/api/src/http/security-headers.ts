// helmet's defaults plus a Content-Security-Policy with no 'unsafe-inline' anywhere:
// the frontend keeps every script and style in files, so injected markup cannot run.
import type { RequestHandler } from 'express';
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
}): RequestHandler[] {
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
  const hsts: RequestHandler = (req, res, next) => {
    // req.secure follows X-Forwarded-Proto from a trusted proxy (TRUST_PROXY).
    if (https && req.secure) {
      res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    }
    next();
  };
  return [headers, hsts];
}
