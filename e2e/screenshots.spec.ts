// Full-page screenshots of the main views at desktop and phone widths, for a person to look at
// (test-results/screenshots/<project>/). Nothing is compared: layout review stays a human job here.
// What a machine can judge, it does: axe checks each view against WCAG 2.1 A and AA as it is
// photographed, and any violation fails the test with axe's own description.
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { linkIn, mailbox } from '@shipshape/mail/testing';
import { local, production } from './topology';
import { uploadThroughApi } from './uploads';

const widths = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 360, height: 740 },
];

for (const { name, width, height } of widths) {
  test.describe(`at ${width} px (${name})`, () => {
    test.use({ viewport: { width, height } });

    test('screenshots the signed-out and signed-in views', async ({ page }) => {
      await page.goto('/');
      await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
      await review(page, 'signed-out');

      // Setting up through the API is quicker; notes.spec.ts covers doing it by hand.
      // page.request shares the page's cookies, so the browser is signed in afterwards.
      const email = `screenshots-${Date.now()}-${width}@example.test`;
      const registered = await page.request.post('/api/auth/register', {
        data: { email, password: 'correct horse battery staple' },
      });
      expect(registered.ok()).toBe(true);
      for (const note of [
        { title: 'Packing list', body: 'Passport\nCharger\nRain jacket' },
        { title: 'Ideas for the weekend', body: 'Walk along the river, then try the new bakery.' },
      ]) {
        expect((await page.request.post('/api/notes', { data: note })).ok()).toBe(true);
      }

      await page.reload();
      await expect(page.getByRole('heading', { name: 'Packing list' })).toBeVisible();
      await review(page, 'signed-in');
    });

    test('screenshots the files section and a finished export', async ({ page }) => {
      await page.goto('/');
      await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
      // A real PNG to upload, with something to see in its thumbnail: the sign-in page itself.
      const picture = await page.screenshot();

      const email = `screenshots-files-${Date.now()}-${width}@example.test`;
      const registered = await page.request.post('/api/auth/register', {
        data: { email, password: 'correct horse battery staple' },
      });
      expect(registered.ok()).toBe(true);
      const note = { title: 'Trip photos', body: 'Sort them before Friday.' };
      expect((await page.request.post('/api/notes', { data: note })).ok()).toBe(true);
      for (const file of [
        { name: 'packing-list.txt', mimeType: 'text/plain', buffer: Buffer.from('Passport\n') },
        { name: 'sign-in-page.png', mimeType: 'image/png', buffer: picture },
      ]) {
        await uploadThroughApi(page.request, file);
      }

      await page.reload();
      const files = page.getByRole('list', { name: 'Files' });
      await expect(files.getByText('Ready', { exact: true })).toHaveCount(2, { timeout: 15_000 });
      await page.getByRole('button', { name: 'Export my data' }).click();
      await expect(page.getByRole('link', { name: 'Download export' })).toBeVisible({
        timeout: 15_000,
      });
      await review(page, 'files');
    });

    test('screenshots an upload under way and a refused file', async ({ page }) => {
      const registered = await page.request.post('/api/auth/register', {
        data: {
          email: `screenshots-upload-${Date.now()}-${width}@example.test`,
          password: 'correct horse battery staple',
        },
      });
      expect(registered.ok()).toBe(true);
      // Bytes of no accepted type under a PNG's name: sent, then refused by the worker.
      await uploadThroughApi(page.request, {
        name: 'holiday-photo.png',
        mimeType: 'image/png',
        buffer: Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(5000, 1)]),
      });
      await page.goto('/');
      await expect(page.getByText('Refused', { exact: true })).toBeVisible({ timeout: 15_000 });
      await review(page, 'file-refused');

      // Slowed to 200 KB/s, the upload stays under way while it is photographed.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 200_000,
      });
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Choose files' }).click();
      await (
        await chooser
      ).setFiles({
        name: 'a-rather-long-name-for-the-minutes-of-the-annual-meeting.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3 * 1024 * 1024, 7)]),
      });
      await expect(page.getByRole('progressbar')).toHaveAccessibleName(/ — [1-9]\d?%$/, {
        timeout: 15_000,
      });
      await review(page, 'upload-under-way');
      await page.getByRole('button', { name: 'Cancel upload' }).click();
      await expect(page.getByText(/^The upload of .* was cancelled\.$/)).toBeVisible();
    });

    test('screenshots the account pages and where the links in mails lead', async ({
      page,
    }, testInfo) => {
      const mail = mailbox(
        testInfo.project.name === 'production' ? production.mailUrl : local.mailUrl,
      );

      await page.goto('/#forgot-password');
      await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
      await review(page, 'forgot-password');

      // A token nobody was sent: the page for a link that does not work.
      await page.goto('/#reset-password=not-a-token-we-sent');
      await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
      await review(page, 'reset-password');
      const reset = page.getByRole('form', { name: 'Choose a new password' });
      await reset.getByLabel('New password').fill('correct horse battery staple');
      await reset.getByRole('button', { name: 'Save new password' }).click();
      await expect(page.getByRole('heading', { name: 'This link does not work' })).toBeVisible();
      await review(page, 'link-invalid');

      const email = `screenshots-account-${Date.now()}-${width}@example.test`;
      const registered = await page.request.post('/api/auth/register', {
        data: { email, password: 'correct horse battery staple' },
      });
      expect(registered.ok()).toBe(true);
      // Only the address's fragment changes, which loads nothing: reload, so the page asks the API
      // who is signed in now.
      await page.goto('/#account');
      await page.reload();
      await expect(page.getByText('This device')).toBeVisible();
      await review(page, 'account');

      const verify = await mail.waitFor({ to: email, subject: /^Confirm your email address/ });
      await page.goto(linkIn(verify));
      await expect(page.getByRole('heading', { name: 'Your address is verified' })).toBeVisible();
      await review(page, 'verify-email');
    });
  });
}

/**
 * Photographs the view (test-results/screenshots/<project>/<view>-<width>.png), then has axe
 * check it: no WCAG 2.1 A or AA violation.
 */
async function review(page: Page, view: string) {
  const { project } = test.info();
  // project.outputDir is the config's outputDir (test-results/), resolved to a full path.
  const width = page.viewportSize()?.width;
  const path = join(project.outputDir, 'screenshots', project.name, `${view}-${width}.png`);
  await page.screenshot({ path, fullPage: true });
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
  );
  expect(found, `axe on ${path}`).toEqual([]);
}
