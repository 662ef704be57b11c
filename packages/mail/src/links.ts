// The links mailed to prove an address or reset a password. The token rides in the URL's
// fragment (after #), which a browser never sends to any server, not even in a Referer: no
// access log, Caddy's included, ever holds one. The page reads it and POSTs it to the API.
import { createHash, randomBytes } from 'node:crypto';

export type AccountTokenPurpose = 'verify-email' | 'reset-password' | 'change-email';

/** 256 random bits: guessing one is hopeless, so no lockout is needed to protect them. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * What the database keeps. A fast hash is enough for a random 256-bit token (unlike a
 * password, nothing can be guessed), and it lets the API find the row by its hash.
 */
export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');

/** How long each link works. A reset link is short-lived: it is as good as the password. */
export const tokenLifetimeMinutes: Record<AccountTokenPurpose, number> = {
  'verify-email': 24 * 60,
  'reset-password': 30,
  'change-email': 24 * 60,
};

// The page each link opens (apps/web/public/route.js reads these names).
const pageOf: Record<AccountTokenPurpose, string> = {
  'verify-email': 'verify-email',
  'reset-password': 'reset-password',
  'change-email': 'confirm-email',
};

/** `publicUrl` is config.publicUrl, never a request's Host: a forged Host must not choose it. */
export function accountLink(publicUrl: string, purpose: AccountTokenPurpose, token: string) {
  return `${publicUrl}/#${pageOf[purpose]}=${token}`;
}
