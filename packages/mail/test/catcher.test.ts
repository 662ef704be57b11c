// The catcher answers the way Mailpit does where the tests read mail, and its pages show a
// message to a developer without letting anything in the mail run; linkIn finds the link a
// person would follow.
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type MailCatcher } from '@shipshape/mail/catcher';
import { linkIn, mailbox } from '@shipshape/mail/testing';

let catcher: MailCatcher;

beforeAll(async () => {
  catcher = await startMailCatcher();
});
afterAll(async () => {
  await catcher.stop();
});

async function sendRaw(
  to: string,
  subject: string,
  html = '<p>Hello <b>there</b></p>',
  text = 'Hello there',
) {
  const transport = createTransport(catcher.smtpUrl);
  await transport.sendMail({
    from: 'App <app@example.com>',
    to,
    subject,
    text,
    html,
  });
  transport.close();
}

describe('startMailCatcher', () => {
  it('lists messages newest first with Mailpit field names', async () => {
    await sendRaw('first@example.com', 'First');
    await sendRaw('second@example.com', 'Second');
    const res = await fetch(`${catcher.webUrl}/api/v1/messages`);
    const body = (await res.json()) as Record<string, unknown> & {
      messages: Record<string, unknown>[];
    };
    expect(body).toMatchObject({ total: 2, unread: 2, count: 2, messages_count: 2, start: 0 });
    expect(body.messages.map((m) => m.Subject)).toEqual(['Second', 'First']);
    expect(body.messages[0]).toMatchObject({
      From: { Name: 'App', Address: 'app@example.com' },
      To: [{ Name: '', Address: 'second@example.com' }],
      Snippet: 'Hello there',
    });
    expect(body.messages[0]).toHaveProperty('ID');
    expect(body.messages[0]).toHaveProperty('MessageID');
    expect(body.messages[0]).toHaveProperty('Created');
    expect(body.messages[0]).not.toHaveProperty('Text');
  });

  it('gives one message with its bodies, and "latest"', async () => {
    const [latest] = await mailbox(catcher.webUrl).messages();
    const one = await mailbox(catcher.webUrl).message('latest');
    expect(one).toMatchObject({ ID: latest?.ID, Subject: 'Second', Text: 'Hello there' });
    expect(one.HTML).toContain('<b>there</b>');
    expect((await fetch(`${catcher.webUrl}/api/v1/message/nope`)).status).toBe(404);
  });

  it('shows the inbox and a message, its HTML in a sandboxed frame and its text escaped', async () => {
    await sendRaw(
      'page@example.com',
      'A <script> subject',
      '<script>alert(1)</script><p>Body</p>',
      'Go to https://example.com/a. <script>',
    );
    const inbox = await (await fetch(`${catcher.webUrl}/`)).text();
    expect(inbox).toContain('A &lt;script&gt; subject');
    const [latest] = await mailbox(catcher.webUrl).messages();
    const res = await fetch(`${catcher.webUrl}/view/${latest?.ID}`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).not.toContain('<script>');
    // The text part's address is a link, without the full stop that ends its sentence.
    expect(page).toContain('<a href="https://example.com/a" target="_blank" rel="noopener">');
    expect(page).toMatch(
      /<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"[^>]* srcdoc="[^"]*&lt;script&gt;alert\(1\)/,
    );
  });

  it('answers livez and readyz, and deletes everything', async () => {
    expect((await fetch(`${catcher.webUrl}/livez`)).status).toBe(200);
    expect((await fetch(`${catcher.webUrl}/readyz`)).status).toBe(200);
    await mailbox(catcher.webUrl).clear();
    expect(await mailbox(catcher.webUrl).messages()).toEqual([]);
  });

  it('refuses to start on a web port in use, leaving nothing half-started', async () => {
    const port = Number(new URL(catcher.webUrl).port);
    await expect(startMailCatcher({ webPort: port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });

  it('says what it waited for when no mail comes', async () => {
    await expect(
      mailbox(catcher.webUrl).waitFor({ to: 'nobody@example.com', subject: /Reset/ }, 300),
    ).rejects.toThrow(/No mail to nobody@example.com with a subject matching \/Reset\/ arrived/);
  });
});

describe('linkIn', () => {
  it('finds the one link with a fragment, and refuses none or two', () => {
    const Subject = 'A subject';
    expect(linkIn({ Subject, Text: 'Open\nhttps://site.example/#verify-email=abc.\n' })).toBe(
      'https://site.example/#verify-email=abc',
    );
    expect(() => linkIn({ Subject, Text: 'See https://site.example/ only' })).toThrow(/found 0/);
    expect(() =>
      linkIn({ Subject, Text: 'https://a.example/#x=1 and https://a.example/#x=2' }),
    ).toThrow(/found 2/);
  });
});
