// A "device cookie" (OWASP): after a successful sign-in the browser keeps a signed token bound
// to that account. Its later attempts on that account are counted on their own, so an attacker
// who uses up the account's budget from elsewhere does not lock the owner out of a browser they
// have signed in from before (ADR 015).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

const COOKIE = 'shipshape.device';
const MAX_AGE_MS = 180 * 24 * 60 * 60 * 1000;

export function deviceCookies({ secret, secure }: { secret: string; secure: boolean }) {
  // Bound to the email, so the cookie of one account is worth nothing on another. The email
  // is not in the cookie itself, only in the signature.
  const sign = (email: string, deviceId: string) =>
    createHmac('sha256', secret).update(`device\n${email}\n${deviceId}`).digest('base64url');

  return {
    /** This browser's device id when it carries a valid cookie for `email`; otherwise undefined. */
    read(req: Request, email: string): string | undefined {
      const [deviceId, signature] = (cookieValue(req, COOKIE) ?? '').split('.');
      if (!deviceId || !signature) return undefined;
      const expected = Buffer.from(sign(email, deviceId));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected)
        ? deviceId
        : undefined;
    },

    /** Marks this browser as one that signed in to `email`, keeping its id when it had one. */
    issue(res: Response, email: string, deviceId = randomBytes(16).toString('base64url')) {
      res.cookie(COOKIE, `${deviceId}.${sign(email, deviceId)}`, {
        httpOnly: true,
        secure,
        sameSite: 'strict',
        // Sent only where it is read.
        path: '/api/auth',
        maxAge: MAX_AGE_MS,
      });
    },
  };
}

export type DeviceCookies = ReturnType<typeof deviceCookies>;

// Express has no cookie parser of its own, and one value is all this needs.
function cookieValue(req: Request, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}
