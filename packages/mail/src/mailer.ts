// Sending over SMTP with nodemailer. The send-email job calls `send` once per attempt and asks
// isPermanentMailError whether another attempt could ever succeed.
import type { Config } from '@shipshape/config';
import { createTransport } from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';

export interface Mailer {
  /**
   * Sends one message. `messageId` (the outbox row's id) becomes its Message-ID header, so a
   * message sent again after a lost answer is recognisably the same one.
   */
  send(message: {
    to: string;
    subject: string;
    text: string;
    html: string;
    messageId: string;
  }): Promise<void>;
  close(): void;
}

// A frozen SMTP server must fail the attempt (to be retried later), not hold a worker forever.
const timeouts = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 10_000,
  dnsTimeout: 10_000,
};

export function createMailer(mail: Config['mail']): Mailer {
  const transport = createTransport(new SMTPTransport({ ...connection(mail.smtp), ...timeouts }));
  const domain = mail.from.match(/@([^>\s]+)>?\s*$/)?.[1] ?? 'localhost';
  return {
    async send({ to, subject, text, html, messageId }) {
      await transport.sendMail({
        from: mail.from,
        to,
        subject,
        text,
        html,
        // A Message-ID is <unique@domain>; nodemailer adds the angle brackets.
        messageId: messageId.includes('@') ? messageId : `${messageId}@${domain}`,
      });
    },
    close() {
      transport.close();
    },
  };
}

function connection(smtp: Config['mail']['smtp']): SMTPTransport.Options {
  const { host, port, secure, user, password } = 'url' in smtp ? fromUrl(smtp.url) : smtp;
  return {
    host,
    port,
    secure,
    auth: user ? { user, pass: password ?? '' } : undefined,
    // Credentials never cross the network in the clear: without TLS from the start, STARTTLS is a must.
    requireTLS: !secure && Boolean(user),
  };
}

// Read here with the WHATWG URL parser: nodemailer's own uses url.parse(), which Node deprecates
// with a warning in every process's log.
function fromUrl(smtpUrl: string) {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    // smtps:// speaks TLS from the first byte on 465; smtp:// upgrades with STARTTLS on 587.
    port: Number(url.port) || (secure ? 465 : 587),
    secure,
    user: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password),
  };
}

/**
 * True when the server refused the message itself with a 5xx answer (an unknown recipient, a
 * refused sender or content): sending it again would get the same answer. Connection errors,
 * timeouts, 4xx answers (try later) and refused credentials (a setting to fix, after which the
 * message can still go) are false.
 */
export function isPermanentMailError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  // nodemailer's codes for an answer to MAIL FROM / RCPT TO (EENVELOPE) and to DATA (EMESSAGE).
  const aboutTheMessage = code === 'EENVELOPE' || code === 'EMESSAGE';
  return (
    aboutTheMessage && typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600
  );
}
