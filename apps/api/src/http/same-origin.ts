// CSRF defence: a state-changing request must come from our own pages.
// Browsers say where a request comes from in Sec-Fetch-Site and Origin, and a page on
// another site cannot forge them. Clients that send neither (curl, server-to-server)
// are not browsers, so they carry no victim's cookies by accident.
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export const requireSameOrigin: RequestHandler = (req, _res, next) => {
  if (safeMethods.has(req.method)) {
    next();
    return;
  }

  // Sec-Fetch-Site is the browser's own verdict, so it wins when present. Origin is the
  // fallback for older browsers; it may be "null" on same-origin form posts, hence second.
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const ownOrigin = `${req.protocol}://${req.get('host') ?? ''}`;
  const crossSite = site
    ? site !== 'same-origin' && site !== 'none'
    : origin !== undefined && origin !== ownOrigin;
  if (crossSite) {
    throw new HttpError(403, 'cross_site_request', 'Cross-site requests are not allowed.');
  }
  next();
};
