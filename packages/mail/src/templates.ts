// Every mail Shipshape sends, in plain text and HTML. Each says what happened, gives its link as a
// button and as the full address (to copy when a client hides links), and ends with why the
// reader got it and what to do if it was not them. The HTML is one column, inline styles only:
// mail clients drop <style> and external sheets, and many are read on a phone.

export type EmailTemplate =
  | 'verify-email'
  | 'reset-password'
  | 'password-changed'
  | 'confirm-email-change'
  | 'email-change-requested'
  | 'email-changed'
  | 'account-deleted';

export interface EmailContent {
  /** config.publicUrl: where the site is, without a trailing slash. */
  siteUrl: string;
  /** The page that finishes the step, with its token (verify, reset, confirm-email-change). */
  link?: string;
  /** The address being moved to (the three email-change templates). */
  newEmail?: string;
  /** How long a reset link works (reset-password). */
  expiresInMinutes?: number;
}

/** Plain text, or a web address shown as itself (linked in HTML). */
type Inline = string | { url: string };

interface Mail {
  subject: string;
  paragraphs: Inline[][];
  action?: { label: string; url: string };
  /** Why the reader got it, and what to do if it was not them. */
  footer: Inline[];
}

const product = 'Shipshape';

/**
 * The footer of a notice, a mail that reports a change to an account: it goes to the account's
 * address (`is`), or to the address it had (`was`). `more` follows the reason.
 */
const noticeFooter = (address: 'is' | 'was', ...more: Inline[]): Inline[] => [
  `You got this mail because this ${address} the address of a ${product} account.`,
  ...more,
];

const mails: Record<EmailTemplate, (content: EmailContent) => Mail> = {
  'verify-email': (c) => ({
    subject: `Confirm your email address for ${product}`,
    paragraphs: [
      [`Welcome to ${product}. Please confirm that this address is yours.`],
      ['The link works for 24 hours.'],
    ],
    action: { label: 'Confirm my address', url: required(c, 'link') },
    footer: [
      `You got this mail because someone signed up for ${product} at `,
      { url: c.siteUrl },
      ' with this address. If it was not you, ignore it: the address stays unconfirmed.',
    ],
  }),
  'reset-password': (c) => ({
    subject: `Reset your ${product} password`,
    paragraphs: [
      [`Someone asked to choose a new password for the ${product} account that uses this address.`],
      [`The link works once, for ${duration(c.expiresInMinutes ?? 30)}.`],
    ],
    action: { label: 'Choose a new password', url: required(c, 'link') },
    footer: [
      'You got this mail because a password reset was asked for at ',
      { url: c.siteUrl },
      '. If it was not you, ignore it: your password stays as it is.',
    ],
  }),
  'password-changed': (c) => ({
    subject: `Your ${product} password was changed`,
    paragraphs: [
      [`The password of your ${product} account was just changed.`],
      [
        'If this was not you, reset your password at ',
        { url: c.siteUrl },
        ' ("Forgot your password?" on the sign-in page) right away.',
      ],
    ],
    footer: noticeFooter('is'),
  }),
  'confirm-email-change': (c) => ({
    subject: `Confirm your new email address for ${product}`,
    paragraphs: [
      [`Someone asked to use ${required(c, 'newEmail')} for their ${product} account.`],
      [
        'Confirm it with the link below. It works for 24 hours; until then the account keeps its old address.',
      ],
    ],
    action: { label: 'Confirm my new address', url: required(c, 'link') },
    footer: [
      'You got this mail because this address was entered in an account at ',
      { url: c.siteUrl },
      '. If it was not you, ignore it: the address is not used unless the link is opened.',
    ],
  }),
  'email-change-requested': (c) => ({
    subject: `Your ${product} email address is about to change`,
    paragraphs: [
      [
        `Someone asked to change the email address of your ${product} account to ${required(c, 'newEmail')}.`,
      ],
      ['Nothing changes until that address is confirmed with the link we sent to it.'],
      [
        'If this was not you, someone knows your password: sign in at ',
        { url: c.siteUrl },
        ' and change it now.',
      ],
    ],
    footer: noticeFooter('is'),
  }),
  'email-changed': (c) => ({
    subject: `Your ${product} email address was changed`,
    paragraphs: [
      [`The email address of your ${product} account is now ${required(c, 'newEmail')}.`],
      ['Mail about the account goes there from now on, and you sign in with it.'],
      [
        'If this was not you, contact the people who run ',
        { url: c.siteUrl },
        ' right away: this address no longer controls the account.',
      ],
    ],
    footer: noticeFooter('was'),
  }),
  'account-deleted': (c) => ({
    subject: `Your ${product} account was deleted`,
    paragraphs: [
      [`Your ${product} account and everything in it have been deleted, as you asked.`],
      ['You can sign up again at any time at ', { url: c.siteUrl }, '.'],
    ],
    footer: noticeFooter(
      'was',
      ' If you did not ask for this, contact the people who run ',
      { url: c.siteUrl },
      '.',
    ),
  }),
};

/** The subject and both bodies of one mail. Throws when the template's content is missing. */
export function renderEmail(
  template: EmailTemplate,
  content: EmailContent,
): { subject: string; text: string; html: string } {
  webAddress(content.siteUrl, 'siteUrl');
  if (content.link !== undefined) webAddress(content.link, 'link');
  const mail = mails[template](content);
  return { subject: mail.subject, text: toText(mail), html: toHtml(mail) };
}

function required(content: EmailContent, field: 'link' | 'newEmail'): string {
  const value = content[field];
  if (!value) throw new Error(`this mail needs a ${field}`);
  return value;
}

// A javascript: or data: address would survive escaping; only web addresses go in a mail.
function webAddress(value: string, field: string): void {
  if (!/^https?:\/\//.test(value)) throw new Error(`${field} must be an http(s) address: ${value}`);
}

function duration(minutes: number): string {
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

function toText(mail: Mail): string {
  const plain = (parts: Inline[]) =>
    parts.map((part) => (typeof part === 'string' ? part : part.url)).join('');
  const blocks = [product, ...mail.paragraphs.map(plain)];
  if (mail.action) blocks.push(`${mail.action.label}:\n${mail.action.url}`);
  blocks.push(`--\n${plain(mail.footer)}`);
  return `${blocks.join('\n\n')}\n`;
}

const font = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const linkStyle = 'color:#1d4ed8;word-break:break-all;';

function toHtml(mail: Mail): string {
  const inline = (parts: Inline[]) =>
    parts
      .map((part) =>
        typeof part === 'string'
          ? escapeHtml(part)
          : `<a href="${escapeHtml(part.url)}" style="${linkStyle}">${escapeHtml(part.url)}</a>`,
      )
      .join('');
  const paragraph = (parts: Inline[]) => `<p style="margin:0 0 16px;">${inline(parts)}</p>`;
  const action = mail.action
    ? `<p style="margin:24px 0;"><a href="${escapeHtml(mail.action.url)}" style="display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;font-weight:600;padding:12px 20px;border-radius:6px;">${escapeHtml(mail.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:14px;color:#57606a;">If the button does not work, copy this address into your browser:<br>${inline([{ url: mail.action.url }])}</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(mail.subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<div style="max-width:560px;margin:0 auto;padding:24px 16px;font-family:${font};font-size:16px;line-height:1.5;color:#1f2328;">
<p style="margin:0 0 16px;font-size:18px;font-weight:700;">${product}</p>
<div style="background:#ffffff;border-radius:8px;padding:24px;">
${mail.paragraphs.map(paragraph).join('\n')}
${action}
</div>
<p style="margin:16px 0 0;font-size:13px;color:#57606a;">${inline(mail.footer)}</p>
</div>
</body>
</html>
`;
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
