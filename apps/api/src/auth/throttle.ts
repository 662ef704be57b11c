// Password-guessing limits (OWASP ASVS V2.2.1). Failed attempts are counted per client IP and
// per account in a store every replica shares; once a budget is used up, attempts are refused
// with 429 before any password is checked. Successes cost nothing. The reasoning is in ADR 015.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from '@shipshape/config';
import { HttpError } from '../http/errors';
import { clientNetwork } from './attempts/client-network';
import { noAttempts, type AttemptCounter } from './attempts/counter';
import { deviceCookies } from './device-cookie';

/** How long failures are remembered: the window opens with the first failure of a key. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

/**
 * Mails one address may be sent by request (a new verification link, a reset link) per window,
 * from any number of clients: enough for someone who lost the first, too few to flood an inbox.
 */
export const MAILS_PER_ADDRESS = 3;

interface Budget {
  key: string;
  limit: number;
}

export interface Attempt {
  /** What the 429 says there were too many of. */
  what?: string;
  email: string;
  /** Set when the browser holds a valid device cookie for this email. */
  deviceId?: string | undefined;
  budgets: Budget[];
}

export function createSignInThrottle(deps: {
  config: Config;
  attempts: AttemptCounter;
  logger: Logger;
}) {
  const { config, logger } = deps;
  const attempts = failOpen(deps.attempts, logger);
  const devices = deviceCookies({ secret: config.sessionSecret, secure: !config.isLocal });
  const hashed = (email: string) => createHash('sha256').update(email).digest('hex').slice(0, 32);
  const perIp = (req: Request): Budget => ({
    key: `ip:${clientNetwork(req.ip ?? 'unknown')}`,
    limit: config.authRateLimit,
  });

  return {
    signInAttempt(req: Request, email: string): Attempt {
      const deviceId = devices.read(req, email);
      // A browser that signed in to this account before has a budget of its own, so neither an
      // attacker hammering the account nor a busy shared IP locks its owner out.
      if (deviceId) {
        return {
          email,
          deviceId,
          budgets: [{ key: `device:${deviceId}`, limit: config.authAccountRateLimit }],
        };
      }
      return {
        email,
        budgets: [
          perIp(req),
          { key: `account:${hashed(email)}`, limit: config.authAccountRateLimit },
        ],
      };
    },

    signUpAttempt(req: Request, email: string): Attempt {
      return { email, budgets: [perIp(req)] };
    },

    /**
     * Requests that send mail (sign-up, a new verification link, a reset link) or create
     * accounts. Unlike sign-in, every one counts, success included: otherwise one client could
     * open accounts, or mail an address, without end. Per client, and per address when one is
     * named, so a flood spread over many clients still reaches one inbox only a few times.
     */
    mailAttempt(req: Request, email?: string): Attempt {
      const budgets = [{ key: `mail:${perIp(req).key}`, limit: config.authRateLimit }];
      if (email) budgets.push({ key: `mail:to:${hashed(email)}`, limit: MAILS_PER_ADDRESS });
      return { email: email ?? '', what: 'requests', budgets };
    },

    /** Following a mailed link: a link we do not know counts against the client like a wrong password. */
    linkAttempt(req: Request): Attempt {
      return { email: '', budgets: [perIp(req)] };
    },

    /** Refuses with 429 when a budget is used up, else counts this attempt against each. */
    async spend(res: Response, attempt: Attempt): Promise<void> {
      await this.refuseIfExhausted(res, attempt);
      await Promise.all(attempt.budgets.map(({ key }) => attempts.hit(key)));
    },

    /** Answers 429 with Retry-After when a budget of this attempt is used up. */
    async refuseIfExhausted(res: Response, attempt: Attempt): Promise<void> {
      const counts = await Promise.all(attempt.budgets.map(({ key }) => attempts.count(key)));
      const waitMs = Math.max(
        0,
        ...attempt.budgets.map((budget, i) => {
          const { count, resetsInMs } = counts[i] ?? noAttempts;
          return count >= budget.limit ? resetsInMs : 0;
        }),
      );
      if (waitMs === 0) return;
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      res.setHeader('Retry-After', String(seconds));
      throw new HttpError(
        429,
        'rate_limited',
        `Too many ${attempt.what ?? 'failed attempts'}. Try again in ${describeWait(seconds)}.`,
      );
    },

    async failed(attempt: Attempt): Promise<void> {
      const counts = await Promise.all(attempt.budgets.map(({ key }) => attempts.hit(key)));
      attempt.budgets.forEach((budget, i) => {
        // Worth an operator's attention: someone is guessing (or an office keeps mistyping).
        if (counts[i]?.count === budget.limit) {
          logger.warn(
            { key: budget.key },
            'sign-in attempts used up; refusing until the window ends',
          );
        }
      });
    },

    /** Clears this browser's own failures and gives it (or renews) its device cookie. */
    async succeeded(res: Response, attempt: Attempt): Promise<void> {
      if (attempt.deviceId) await attempts.reset(`device:${attempt.deviceId}`);
      devices.issue(res, attempt.email, attempt.deviceId);
    },
  };
}

export type SignInThrottle = ReturnType<typeof createSignInThrottle>;

function describeWait(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  if (seconds < 60) return `${seconds} seconds`;
  return minutes === 1 ? 'a minute' : `${minutes} minutes`;
}

const WARN_EVERY_MS = 60_000;

// When the store is unreachable, sign-in goes on unthrottled rather than failing for everyone:
// an outage of Redis must not become an outage of sign-in. A warning says so once a minute.
function failOpen(counter: AttemptCounter, logger: Logger): AttemptCounter {
  let warnedAt = -Infinity;
  async function orElse<R>(operation: () => Promise<R>, fallback: R): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      if (performance.now() - warnedAt > WARN_EVERY_MS) {
        warnedAt = performance.now();
        logger.warn(
          { err: rootCause(error) },
          'sign-in attempt counter unavailable; sign-in is not throttled meanwhile',
        );
      }
      return fallback;
    }
  }
  return {
    hit: (key) => orElse(() => counter.hit(key), noAttempts),
    count: (key) => orElse(() => counter.count(key), noAttempts),
    reset: (key) => orElse(() => counter.reset(key), undefined),
    close: () => counter.close(),
  };
}

// A database driver's error can carry the failed query and its parameters; its cause is the
// connection problem, which is all the log needs.
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause) current = current.cause;
  return current;
}
