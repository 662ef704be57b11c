// Sending for real over SMTP: to the catcher, read back through the Mailpit-shaped API the
// tests use; to a server that refuses the recipient (permanent); to a port where nothing
// listens (worth another try).
import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@shipshape/lifecycle';
import { createMailer, isPermanentMailError, renderEmail } from '@shipshape/mail';
import { startMailCatcher, type MailCatcher } from '@shipshape/mail/catcher';
import { linkIn, mailbox } from '@shipshape/mail/testing';

const from = 'Shipshape <no-reply@shipshape.test>';
const siteUrl = 'http://localhost:3000';
let catcher: MailCatcher;

beforeAll(async () => {
  catcher = await startMailCatcher();
});
afterAll(async () => {
  await catcher.stop();
});

const message = (to: string, messageId = crypto.randomUUID()) => ({
  to,
  messageId,
  ...renderEmail('verify-email', { siteUrl, link: `${siteUrl}/#verify-email=token-${messageId}` }),
});

describe('createMailer', () => {
  it('sends both parts from MAIL_FROM, with the Message-ID it is given', async () => {
    const mailer = createMailer({ smtp: { url: catcher.smtpUrl }, from });
    const to = `someone-${Date.now()}@example.com`;
    const id = crypto.randomUUID();
    await mailer.send(message(to, id));
    mailer.close();

    const inbox = mailbox(catcher.webUrl);
    const got = await inbox.waitFor({ to, subject: /Confirm your email address/ });
    expect(got.From).toEqual({ Name: 'Shipshape', Address: 'no-reply@shipshape.test' });
    expect(got.To).toEqual([{ Name: '', Address: to }]);
    expect(got.MessageID).toBe(`${id}@shipshape.test`);
    expect(linkIn(got)).toBe(`${siteUrl}/#verify-email=token-${id}`);
    expect(got.HTML).toContain(`href="${siteUrl}/#verify-email=token-${id}"`);
    expect(await inbox.count({ to })).toBe(1);
  });

  it('fails for good when the server refuses the recipient with 550', async () => {
    const refusing = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        callback(
          Object.assign(new Error(`No such user: ${address.address}`), { responseCode: 550 }),
        );
      },
    });
    refusing.listen(0, '127.0.0.1');
    await once(refusing.server, 'listening');
    const { port } = refusing.server.address() as { port: number };
    const mailer = createMailer({ smtp: { host: '127.0.0.1', port, secure: false }, from });
    try {
      const error: unknown = await mailer
        .send(message('nobody@example.com'))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ responseCode: 550 });
      expect(isPermanentMailError(error)).toBe(true);
    } finally {
      mailer.close();
      await new Promise<void>((resolve) => refusing.close(resolve));
    }
  });

  it('never sends credentials over a connection without TLS', async () => {
    // The catcher offers no STARTTLS, as a misconfigured relay might not.
    const url = catcher.smtpUrl.replace('smtp://', 'smtp://user:p%40ss@');
    const mailer = createMailer({ smtp: { url }, from });
    const error: unknown = await mailer
      .send(message('someone@example.com'))
      .catch((e: unknown) => e);
    mailer.close();
    expect(error).toMatchObject({ code: 'ETLS' });
    expect(isPermanentMailError(error)).toBe(false);
  });

  it('fails for now when nothing listens', async () => {
    const mailer = createMailer({ smtp: { url: `smtp://127.0.0.1:${await freePort()}` }, from });
    const error: unknown = await mailer
      .send(message('someone@example.com'))
      .catch((e: unknown) => e);
    mailer.close();
    expect(error).toBeInstanceOf(Error);
    expect(isPermanentMailError(error)).toBe(false);
  });
});

describe('isPermanentMailError', () => {
  it('is false for a 4xx answer, a refused login and anything not from SMTP', () => {
    expect(isPermanentMailError({ code: 'EENVELOPE', responseCode: 450 })).toBe(false);
    expect(isPermanentMailError({ code: 'EAUTH', responseCode: 535 })).toBe(false);
    expect(isPermanentMailError(new Error('boom'))).toBe(false);
    expect(isPermanentMailError(undefined)).toBe(false);
    expect(isPermanentMailError({ code: 'EMESSAGE', responseCode: 554 })).toBe(true);
  });
});
