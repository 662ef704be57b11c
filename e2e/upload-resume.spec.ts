// A large upload, straight from the browser to the bucket, with the connection dropping halfway:
// the progress bar moves, the page says it is waiting, and once the browser is back online the
// upload carries on from where it was, without sending again a part the bucket already has.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';

const MiB = 1024 * 1024;

test('a 50 MB upload shows its progress and survives the connection dropping', async ({
  page,
  context,
}, testInfo) => {
  test.setTimeout(120_000);
  const registered = await page.request.post('/api/auth/register', {
    data: {
      email: `e2e-resume-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
    },
  });
  expect(registered.ok()).toBe(true);
  await page.goto('/');
  await expect(page.getByText('No files yet')).toBeVisible();

  // Playwright hands files over 50 MB to the browser by path only.
  const path = testInfo.outputPath('survey.pdf');
  await writeFile(path, Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50 * MiB - 9)]));

  // Every PUT the bucket accepted, by part number: none may be accepted twice.
  const accepted = new Map<string, number>();
  page.on('requestfinished', (request) => {
    if (request.method() !== 'PUT') return;
    void request.response().then((response) => {
      if (!response?.ok()) return;
      const part = new URL(request.url()).searchParams.get('partNumber') ?? '?';
      accepted.set(part, (accepted.get(part) ?? 0) + 1);
    });
  });

  // About 5 MB/s up, so the upload takes long enough to watch and to interrupt. Going offline
  // is done twice: context.setOffline() is what the page notices (navigator.onLine, the online
  // event), and the same DevTools session as the throttling cuts that throttled connection,
  // which conditions set by Playwright's own session leave running.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const network = (offline: boolean) =>
    cdp.send('Network.emulateNetworkConditions', {
      offline,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 5_000_000,
    });
  await network(false);

  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files' }).click();
  await (await chooser).setFiles(path);

  // One bar for the whole file, named by its figures: "12 MB of 50 MB — 24%".
  const progressBar = page.getByRole('progressbar', { name: / of 50 MB — \d+%$/ });
  await expect(progressBar).toBeVisible();
  const fraction = () =>
    progressBar.evaluate((bar: { value: number; max: number }) => bar.value / bar.max);
  await expect.poll(fraction, { timeout: 30_000 }).toBeGreaterThan(0.2);
  await expect(page.getByRole('button', { name: 'Cancel upload' })).toBeVisible();

  await test.step('the connection drops for a moment', async () => {
    await context.setOffline(true);
    await network(true);
    const onLine = () => (navigator as unknown as { onLine: boolean }).onLine;
    expect(await page.evaluate(onLine)).toBe(false);
    await expect(
      page.getByRole('status').filter({ hasText: 'Connection lost. survey.pdf goes on uploading' }),
    ).toBeVisible({ timeout: 20_000 });
    await page.waitForTimeout(1000);
    await context.setOffline(false);
    await network(false);
  });

  await expect(page.getByText('survey.pdf is uploaded.')).toBeVisible({ timeout: 60_000 });
  await expect(progressBar).toBeHidden();
  const card = page
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: 'survey.pdf' }) });
  await expect(card.getByText('Ready', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(card).toContainText('50 MB');

  // Seven parts of 8 MiB hold 50 MiB; each reached the bucket once.
  expect([...accepted.keys()].sort()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  expect([...accepted.values()].every((times) => times === 1)).toBe(true);
});
