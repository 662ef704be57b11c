// Every mail, rendered: it names the product, carries its link in both parts, explains itself,
// and no value put into it can become markup in the HTML part.
import { describe, expect, it } from 'vitest';
import { renderEmail, type EmailContent, type EmailTemplate } from '@shipshape/mail';
import { linkIn } from '@shipshape/mail/testing';

const siteUrl = 'https://shipshape.example.com';
const hostile = '"><img src=x onerror=alert(1)>@evil.example';

const cases: [EmailTemplate, EmailContent][] = [
  ['verify-email', { siteUrl, link: `${siteUrl}/#verify-email=abc_DEF-123` }],
  [
    'reset-password',
    { siteUrl, link: `${siteUrl}/#reset-password=abc_DEF-123`, expiresInMinutes: 30 },
  ],
  ['password-changed', { siteUrl }],
  [
    'confirm-email-change',
    { siteUrl, link: `${siteUrl}/#confirm-email=abc_DEF-123`, newEmail: hostile },
  ],
  ['email-change-requested', { siteUrl, newEmail: hostile }],
  ['email-changed', { siteUrl, newEmail: hostile }],
  ['account-deleted', { siteUrl }],
];

describe.each(cases)('the %s mail', (template, content) => {
  const mail = renderEmail(template, content);

  it('has a short subject and names Shipshape in both parts', () => {
    expect(mail.subject.length).toBeLessThanOrEqual(60);
    expect(mail.subject).toContain('Shipshape');
    expect(mail.text).toContain('Shipshape');
    expect(mail.html).toContain('Shipshape');
  });

  it('says why it was sent and shows the site address', () => {
    expect(mail.text).toMatch(/You got this mail because/);
    expect(mail.text).toContain(siteUrl);
    expect(mail.html).toContain(`>${siteUrl}</a>`);
  });

  it('lays out in one column no wider than 560 px, with inline styles only', () => {
    expect(mail.html).toContain('max-width:560px');
    expect(mail.html).not.toMatch(/<style|<link|<script|<table/);
  });

  it('escapes every value it is given', () => {
    expect(mail.html).not.toContain('<img');
    if (content.newEmail) {
      expect(mail.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@evil.example');
      expect(mail.text).toContain(hostile);
    }
  });
});

const withLink = cases.filter(([, content]) => content.link);
describe.each(withLink)('the %s mail', (template, content) => {
  it('carries its link as a button and as text to copy, in both parts', () => {
    const mail = renderEmail(template, content);
    const link = content.link ?? '';
    expect(linkIn({ Subject: mail.subject, Text: mail.text })).toBe(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toContain(`>${link}</a>`);
  });
});

describe('renderEmail', () => {
  it('states how long a reset link works', () => {
    const mail = renderEmail('reset-password', {
      siteUrl,
      link: `${siteUrl}/#reset-password=x`,
      expiresInMinutes: 30,
    });
    expect(mail.text).toContain('30 minutes');
    expect(
      renderEmail('verify-email', { siteUrl, link: `${siteUrl}/#verify-email=x` }).text,
    ).toContain('24 hours');
  });

  it('tells the old address that nothing changes until the new one confirms', () => {
    const mail = renderEmail('email-change-requested', { siteUrl, newEmail: 'new@example.com' });
    expect(mail.text).toContain('new@example.com');
    expect(mail.text).toContain('Nothing changes until');
  });

  it('escapes the site address too', () => {
    const mail = renderEmail('password-changed', { siteUrl: 'https://x.example/"><b>bold' });
    expect(mail.html).not.toContain('<b>');
    expect(mail.html).toContain('href="https://x.example/&quot;&gt;&lt;b&gt;bold"');
  });

  it('refuses a link that is not a web address, and a missing link', () => {
    expect(() => renderEmail('verify-email', { siteUrl, link: 'javascript:alert(1)' })).toThrow(
      /http/,
    );
    expect(() => renderEmail('verify-email', { siteUrl })).toThrow(/link/);
    expect(() => renderEmail('email-changed', { siteUrl })).toThrow(/newEmail/);
  });
});
