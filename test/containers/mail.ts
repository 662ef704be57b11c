// The accounts' mail, asked of a running stack as a person would use it: sign up, open the mail
// and follow its link, forget the password, follow the reset link, sign in with the new one.
// The inbox is the stack's Mailpit, read through its REST API (GET /api/v1/messages and
// /api/v1/message/{ID}); the token is taken from the link's fragment, as the page does.
import { linkIn, mailbox, type MailMessage } from '@shipshape/mail/testing';
import { visitor, type Stack } from './smoke';

export interface MailStack extends Stack {
  /** Mailpit's web address on this machine: its REST API is under /api/v1. */
  mail: string;
  /** The stack's PUBLIC_URL: every link in a mail must start with it. */
  publicUrl: string;
}

// The worker sends each mail from the outbox; on a busy machine that can take a while.
const MAIL_TIMEOUT_MS = 60_000;

export async function mailRoundTrip(stack: MailStack, step: (line: string) => void) {
  const inbox = mailbox(stack.mail);
  const client = visitor(stack);
  const email = `mail-${Date.now()}@example.test`;
  const password = 'correct horse battery staple';
  const newPassword = 'a different horse, stapled twice';

  step(`register ${email}, then follow the link in the verify mail`);
  await client.expect('POST', '/api/auth/register', 201, { email, password });
  const verifyMail = await inbox.waitFor({ to: email, subject: /confirm/i }, MAIL_TIMEOUT_MS);
  const verifyToken = tokenIn(verifyMail, `${stack.publicUrl}/#verify-email=`);
  const verified = client.json(
    await client.expect('POST', '/api/auth/verify-email', 200, { token: verifyToken }),
  );
  expectUser(verified, email, 'after verifying');

  step('forgot password: follow the link in the reset mail, choose a new password');
  await client.expect('POST', '/api/auth/forgot-password', 202, { email });
  const resetMail = await inbox.waitFor({ to: email, subject: /reset/i }, MAIL_TIMEOUT_MS);
  const resetToken = tokenIn(resetMail, `${stack.publicUrl}/#reset-password=`);
  const reset = { token: resetToken, password: newPassword };
  await client.expect('POST', '/api/auth/reset-password', 200, reset);
  // Single use, and every session of the account ended, this browser's too.
  const again = client.json(await client.expect('POST', '/api/auth/reset-password', 400, reset));
  if ((again.error as { code?: string } | undefined)?.code !== 'link_used') {
    throw new Error(`the reset link, used twice: ${JSON.stringify(again)}, expected link_used`);
  }
  const after = client.json(await client.expect('GET', '/api/auth/session', 200));
  if (after.user !== null)
    throw new Error(`still signed in after the reset: ${JSON.stringify(after)}`);

  step('sign in with the new password; the old one is refused');
  const fresh = visitor(stack);
  await fresh.expect('POST', '/api/auth/login', 401, { email, password });
  const signedIn = fresh.json(
    await fresh.expect('POST', '/api/auth/login', 200, { email, password: newPassword }),
  );
  expectUser(signedIn, email, 'signed in with the new password');
}

/** The token of the one link in the mail, which must start with the site's address and page. */
function tokenIn(message: MailMessage, prefix: string): string {
  const link = linkIn(message);
  if (!link.startsWith(prefix)) {
    throw new Error(`"${message.Subject}" links to ${link.split('#')[0]}, expected ${prefix}…`);
  }
  const token = link.slice(prefix.length);
  // 32 random bytes in base64url (ACCOUNTS.md).
  if (!/^[\w-]{43}$/.test(token)) throw new Error(`"${message.Subject}": a malformed token`);
  return token;
}

function expectUser(body: Record<string, unknown>, email: string, when: string) {
  const user = body.user as { email?: string; emailVerified?: boolean } | undefined;
  if (user?.email !== email || user.emailVerified !== true) {
    throw new Error(`${when}, expected ${email} verified: ${JSON.stringify(body)}`);
  }
}
