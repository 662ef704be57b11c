// The run's mail catcher (test/global-setup.ts provides it to this suite as to `pnpm test`), read
// as the person would read their inbox: the link in a mail, and the token in its fragment.
// The mailbox is shared by every file of the run, so each test mails addresses of its own.
import { randomBytes } from 'node:crypto';
import { linkIn, mailbox, type MailMatch } from '@shipshape/mail/testing';
import { expect, inject, vi } from 'vitest';

export const inbox = () => mailbox(inject('mail').webUrl);

/** Where an app sends mail so that inbox() reads it; deployed environments must be told. */
export const smtpUrl = () => inject('mail').smtpUrl;

export const subjects = {
  verify: /Confirm your email address/,
  reset: /Reset your Shipshape password/,
  confirmEmail: /Confirm your new email address/,
  passwordChanged: /password was changed/,
};

/** A token as links carry it (32 random bytes, base64url), but one the app never sent. */
export const randomToken = () => randomBytes(32).toString('base64url');

/** The token in a link's fragment (`…/#reset-password=<token>`). */
export const tokenOf = (link: string) => new URL(link).hash.replace(/^#[a-z-]+=/, '');

/**
 * Waits until `count` mails matching `match` have arrived; their links, newest first. Waiting for
 * the count, not for any mail, is what tells the second reset link from the first.
 */
export async function mailedLinks(match: MailMatch, count = 1): Promise<string[]> {
  const box = inbox();
  const wanted = (summary: Awaited<ReturnType<typeof box.messages>>[number]) =>
    [...(summary.To ?? [])].some((to) => to.Address.toLowerCase() === match.to.toLowerCase()) &&
    (!match.subject || match.subject.test(summary.Subject));
  const found = await vi.waitFor(
    async () => {
      const mails = (await box.messages()).filter(wanted);
      expect(mails.length).toBeGreaterThanOrEqual(count);
      return mails;
    },
    { timeout: 10_000, interval: 100 },
  );
  return Promise.all(found.map(async (summary) => linkIn(await box.message(summary.ID))));
}

/** The token of the newest mail to `to` whose subject matches, once `count` of them arrived. */
export async function mailedToken(to: string, subject: RegExp, count = 1): Promise<string> {
  const [newest = ''] = await mailedLinks({ to, subject }, count);
  return tokenOf(newest);
}
