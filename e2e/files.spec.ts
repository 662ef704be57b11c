// A person uploads files, watches them being processed, has some refused, deletes one and
// downloads an export of their data, all through the UI and without ever reloading the page.
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { expect, test, type FileChooser, type Page } from '@playwright/test';
import { noisyPng } from './png';

const password = 'correct horse battery staple';

// Type checking here runs without the DOM library; this is the one browser class the test needs.
declare const DataTransfer: new () => { items: { add(file: File): void } };

function uniqueEmail() {
  return `e2e-files-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
}

/** Picks files the way a person does: the button opens the file chooser. */
async function chooseFiles(page: Page, files: Parameters<FileChooser['setFiles']>[0]) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files' }).click();
  await (await chooser).setFiles(files);
}

const fileCard = (page: Page, name: string) =>
  page.getByRole('listitem').filter({ has: page.getByRole('heading', { name }) });

test('uploads, watches, refuses and deletes files, then exports the data', async ({
  page,
}, testInfo) => {
  const email = uniqueEmail();
  let uploadRequests = 0;
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/api/files/uploads')) {
      uploadRequests++;
    }
  });

  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account' }).click();
  const signUp = page.getByRole('form', { name: 'Create your account' });
  await signUp.getByLabel('Email').fill(email);
  await signUp.getByLabel('Password').fill(password);
  await signUp.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('No files yet')).toBeVisible();
  await expect(
    page.getByText(
      /^PNG, JPEG, WebP, GIF, PDF, or plain text, up to \d+ MB each\. \d+ (MB|GB) of \d+ (MB|GB) free\.$/,
    ),
  ).toBeVisible();

  // A reload or navigation would lose this; it is checked at the end.
  await page.evaluate(() => Object.assign(globalThis, { e2eMarker: 'never reloaded' }));

  await test.step('upload a PNG with the file picker and watch the progress bar', async () => {
    const png = noisyPng(1200, 800);
    expect(png.length).toBeGreaterThan(2_000_000);
    // Slow the upload to about 1 MB/s, so the bar is seen part of the way along.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 1_000_000,
    });

    await chooseFiles(page, { name: 'harbour.png', mimeType: 'image/png', buffer: png });
    await expect(
      page.getByRole('status').filter({ hasText: 'Uploading harbour.png…' }),
    ).toBeVisible();
    // Named by its text, e.g. "1.2 MB of 2.8 MB — 43%"; seen somewhere between 1 and 99%.
    const progressBar = page.getByRole('progressbar', { name: / of \d\.\d MB — \d+%$/ });
    await expect(progressBar).toBeVisible();
    await expect(progressBar).toHaveAccessibleName(/ — [1-9]\d?%$/);

    await expect(page.getByText('harbour.png is uploaded.')).toBeVisible({ timeout: 15_000 });
    await expect(progressBar).toBeHidden();
    // News for a moment, then out of the way.
    await expect(page.getByText('harbour.png is uploaded.')).toBeHidden({ timeout: 10_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
  });

  await test.step('the thumbnail and dimensions appear once the server has processed it', async () => {
    // The upload's answer always says 'uploaded': "Ready" can only come from polling.
    const card = fileCard(page, 'harbour.png');
    await expect(card.getByText('Ready', { exact: true })).toBeVisible({ timeout: 15_000 });
    await expect(card).toContainText('1200 × 800 px');
    await expect(card).toContainText(/\d\.\d MB/);
    // The thumbnail is decorative (alt=""), so it has no role to find it by.
    const thumbnail = card.locator('img');
    await expect(thumbnail).toBeVisible();
    // Loaded, not just present: a broken image has no natural width.
    await expect(thumbnail).toHaveJSProperty('naturalWidth', 256);
    await expect(card.getByRole('link', { name: 'Download harbour.png' })).toHaveAttribute(
      'href',
      /\/api\/files\/[\w-]+\/content$/,
    );
  });

  await test.step('drop a text file on the drop zone', async () => {
    const dataTransfer = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['Remember the milk.\n'], 'list.txt', { type: 'text/plain' }));
      return transfer;
    });
    const dropZone = page.getByText('Drag and drop files here, or');
    await dropZone.dispatchEvent('dragover', { dataTransfer });
    await dropZone.dispatchEvent('drop', { dataTransfer });

    const card = fileCard(page, 'list.txt');
    await expect(card.getByText('Ready', { exact: true })).toBeVisible({ timeout: 15_000 });
    await expect(card).toContainText('19 bytes');
    // No thumbnail for text: a type icon stands in for it.
    await expect(card.getByText('TXT', { exact: true })).toBeVisible();
    await expect(card.locator('img')).toBeHidden();
  });

  await test.step('a file over the size limit is refused before it is sent', async () => {
    const limits = await page.request.get('/api/files/limits');
    const { maxBytes } = (await limits.json()) as { maxBytes: number };
    // A sparse file: it takes no room on disk, and the browser never reads it anyway.
    const tooLarge = testInfo.outputPath('too-large.bin');
    await writeFile(tooLarge, '');
    await truncate(tooLarge, maxBytes + 1024 * 1024);
    const uploadRequestsBefore = uploadRequests;

    await chooseFiles(page, tooLarge);
    const error = page.getByRole('alert').filter({ hasText: 'too-large.bin' });
    await expect(error).toHaveText(/^too-large\.bin: Files can be at most \d+ MB, and this one is/);
    await expect(page.getByRole('button', { name: 'Choose files' })).toHaveAccessibleDescription(
      /^too-large\.bin: Files can be at most/,
    );
    expect(uploadRequests).toBe(uploadRequestsBefore);
  });

  await test.step('a file of a type not accepted is refused before it is sent', async () => {
    const uploadRequestsBefore = uploadRequests;
    await chooseFiles(page, {
      name: 'setup.exe',
      mimeType: 'application/x-msdownload',
      buffer: Buffer.from('MZ'),
    });
    await expect(page.getByRole('alert').filter({ hasText: 'setup.exe' })).toHaveText(
      /^setup\.exe: This type of file is not accepted\. Choose PNG, JPEG/,
    );
    expect(uploadRequests).toBe(uploadRequestsBefore);
    await expect(page.getByRole('alert').filter({ hasText: 'too-large.bin' })).toHaveCount(0);
  });

  await test.step('a file whose bytes are not an accepted type is refused once it arrives', async () => {
    // An executable's first bytes, named and labelled as a PNG: the browser sends it to the
    // bucket, and the worker, the first to see its bytes, refuses it and says why on its card.
    const elf = Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(5000, 1)]);
    await chooseFiles(page, { name: 'holiday.png', mimeType: 'image/png', buffer: elf });
    const card = fileCard(page, 'holiday.png');
    await expect(card.getByText('Refused', { exact: true })).toBeVisible({ timeout: 15_000 });
    await expect(card).toContainText(
      'holiday.png is not a PNG image, nor any type of file accepted here, so it was not kept.',
    );
    // Its bytes are gone from the bucket: nothing to download, only the card to delete.
    await expect(page.getByRole('link', { name: 'Download holiday.png' })).toHaveCount(0);
  });

  await test.step('a file whose name claims a type its bytes do not have is refused', async () => {
    const html = Buffer.from('<!doctype html><title>Not a picture</title><p>Hello</p>\n');
    await chooseFiles(page, { name: 'page.png', mimeType: 'image/png', buffer: html });
    const card = fileCard(page, 'page.png');
    await expect(card.getByText('Refused', { exact: true })).toBeVisible({ timeout: 15_000 });
    await expect(card).toContainText(
      'page.png is not a PNG image: it looks like text, so it was not kept.',
    );
  });

  await test.step('the refused files go when deleted, like any other', async () => {
    for (const name of ['holiday.png', 'page.png']) {
      await page.getByRole('button', { name: `Delete ${name}` }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      await expect(fileCard(page, name)).toHaveCount(0);
    }
  });

  await test.step('delete the text file after confirming', async () => {
    await page.getByRole('button', { name: 'Delete list.txt' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(fileCard(page, 'list.txt')).toHaveCount(0);
    await expect(fileCard(page, 'harbour.png')).toBeVisible();
  });

  await test.step('export my data and download it', async () => {
    await page.getByRole('button', { name: 'Export my data' }).click();
    const link = page.getByRole('link', { name: 'Download export' });
    await expect(link).toBeVisible({ timeout: 15_000 });
    await expect(page.getByText(/^Your export is ready \(\d.*\)\./)).toBeVisible();

    const download = page.waitForEvent('download');
    await link.click();
    const file = await (await download).path();
    const exported = JSON.parse(await readFile(file, 'utf8'));
    expect(exported.user.email).toBe(email);
    expect(exported.files.map((entry: { originalName: string }) => entry.originalName)).toEqual([
      'harbour.png',
    ]);
  });

  expect(await page.evaluate(() => (globalThis as { e2eMarker?: string }).e2eMarker)).toBe(
    'never reloaded',
  );

  await test.step('the export is still offered after a reload and after signing in again', async () => {
    await page.reload();
    await expect(page.getByRole('link', { name: 'Download export' })).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
    const signIn = page.getByRole('form', { name: 'Sign in' });
    await signIn.getByLabel('Email').fill(email);
    await signIn.getByLabel('Password').fill(password);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('link', { name: 'Download export' })).toBeVisible();
    await expect(page.getByText(/^Your export is ready \(\d.*\)\./)).toBeVisible();
  });
});

test('signing out stops watching files that are still being processed', async ({ page }) => {
  // The page's timers run on a fake clock, so the test decides when status checks fall due.
  await page.clock.install();
  await page.goto('/');
  const registered = await page.request.post('/api/auth/register', {
    data: { email: uniqueEmail(), password },
  });
  expect(registered.ok()).toBe(true);
  await page.reload();
  // From here on the page's time stands still until the test moves it on.
  await page.clock.pauseAt(Date.now() + 1000);

  let statusChecks = 0;
  page.on('request', (request) => {
    // GET /api/files/:id, the status check; not /api/files/limits.
    if (/^\/api\/files\/[\da-f-]{36}$/.test(new URL(request.url()).pathname)) statusChecks++;
  });

  await chooseFiles(page, { name: 'todo.txt', mimeType: 'text/plain', buffer: Buffer.from('x\n') });
  const card = fileCard(page, 'todo.txt');
  // Still 'Uploaded' and not yet checked on: the page is waiting to ask about it.
  await expect(card.getByText('Uploaded', { exact: true })).toBeVisible();
  expect(statusChecks).toBe(0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
  await page.clock.runFor(10_000);
  // Requests are reported in order: once this one is seen, any check fired above was too.
  const sentinel = page.waitForRequest('**/healthz');
  await page.evaluate(() => fetch('/healthz'));
  await sentinel;
  expect(statusChecks).toBe(0);
  await expect(page.getByText('Your session has ended')).toBeHidden();
});
