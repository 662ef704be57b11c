// A person's account from sign-up to deletion, clicked through as they would, with every mail
// read from the app's mail catcher and every link in it opened in the browser: the address
// confirmed, the password reset, the address changed, a device signed out, the account deleted.
// Afterwards the bucket holds nothing of theirs, and (production project) no log holds a token.
import { readFile } from 'node:fs/promises';
import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import { linkIn, mailbox, type MailMatch } from '@shipshape/mail/testing';
import { createStorage, userPrefix } from '@shipshape/storage';
import { local, production } from './topology';

const firstPassword = 'correct horse battery staple';
const newPassword = 'a new horse on a new staple';

const topologyOf = (testInfo: TestInfo) =>
  testInfo.project.name === 'production' ? production : local;

function uniqueEmail(name: string) {
  return `e2e-${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
}

async function signUp(page: Page, email: string, password: string) {
  await page.getByRole('button', { name: 'Create an account' }).click();
  const form = page.getByRole('form', { name: 'Create your account' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
}

async function signIn(page: Page, email: string, password: string) {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/** Picks a file the way a person does: the button opens the file chooser. */
async function chooseFile(page: Page, file: { name: string; mimeType: string; buffer: Buffer }) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files' }).click();
  await (await chooser).setFiles(file);
}

/** A second browser, with cookies of its own, signed in to the account. */
async function anotherDevice(
  browser: Browser,
  testInfo: TestInfo,
  email: string,
  password: string,
) {
  const { baseURL, ignoreHTTPSErrors } = testInfo.project.use;
  const page = await (await browser.newContext({ baseURL, ignoreHTTPSErrors })).newPage();
  await page.goto('/');
  await signIn(page, email, password);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  return page;
}

/** Its next action finds the session over: the sign-in card, and why. */
async function expectSignedOutOnNextAction(page: Page) {
  const form = page.getByRole('form', { name: 'New note' });
  await form.getByLabel('Title').fill('Written after the session ended');
  await form.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByText('Your session has ended. Please sign in again.')).toBeVisible();
  await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
}

/** Opens the link of a mail as a person clicks it; the page takes the token out of the address. */
async function openLink(page: Page, link: string) {
  await page.goto(link);
  await expect(page).toHaveURL(link.slice(0, link.indexOf('#')));
}

/** The keys the bucket holds under the user's prefix. */
async function objectsOf(testInfo: TestInfo, userId: string) {
  const { s3 } = topologyOf(testInfo);
  const storage = createStorage({
    ...s3,
    region: 'us-east-1',
    forcePathStyle: true,
    checksumMode: 'when_required',
  });
  const keys: string[] = [];
  try {
    for await (const object of storage.list(userPrefix(userId))) keys.push(object.key);
  } finally {
    storage.close();
  }
  return keys;
}

test('an account from sign-up to deletion, every link opened from its mail', async ({
  page,
  browser,
}, testInfo) => {
  test.setTimeout(120_000);
  const mail = mailbox(topologyOf(testInfo).mailUrl);
  const links: string[] = [];
  /** The link in the newest mail that matches, once it has arrived. */
  const linkMailed = async (match: MailMatch) => {
    const link = linkIn(await mail.waitFor(match));
    links.push(link);
    return link;
  };
  const email = uniqueEmail('accounts');
  const newEmail = uniqueEmail('accounts-moved');

  const verifyLink = await test.step('sign up and confirm the address', async () => {
    await page.goto('/');
    await signUp(page, email, firstPassword);
    await expect(page.getByText(`Confirm your address: we sent a link to ${email}.`)).toBeVisible();

    const link = await linkMailed({ to: email, subject: /^Confirm your email address/ });
    await openLink(page, link);
    await expect(page.getByRole('heading', { name: 'Your address is verified' })).toBeVisible();
    await expect(page.getByText(`Thank you: ${email} is confirmed.`)).toBeVisible();
    await page.getByRole('link', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Your notes' })).toBeVisible();
    await expect(page.getByText('Confirm your address')).toBeHidden();
    return link;
  });

  await test.step('a used link and a link nobody sent each have their page', async () => {
    await openLink(page, verifyLink);
    await expect(page.getByRole('heading', { name: 'This link was already used' })).toBeVisible();
    await expect(
      page.getByText('If you opened it before, your address is confirmed already.'),
    ).toBeVisible();

    await openLink(page, `${new URL(verifyLink).origin}/#confirm-email=not-a-link-we-sent`);
    await expect(page.getByRole('heading', { name: 'This link does not work' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Change your address again' })).toBeVisible();
  });

  await test.step('upload a file, so the bucket holds something of this user', async () => {
    await page.goto('/');
    await chooseFile(page, {
      name: 'packing-list.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Tent\nStove\n'),
    });
    await expect(page.getByText('packing-list.txt is uploaded.')).toBeVisible();
  });

  const phone = await test.step('sign in on a second device', () =>
    anotherDevice(browser, testInfo, email, firstPassword));

  await test.step('sign out, then choose a new password with the link in the mail', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    const forgot = page.getByRole('form', { name: 'Forgot your password?' });
    await forgot.getByLabel('Email').fill(email);
    await forgot.getByRole('button', { name: 'Send me a link' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The link works' })).toContainText(
      'If an account uses that address, we have sent it a link to choose a new password.',
    );

    const resetLink = await linkMailed({ to: email, subject: /^Reset your Shipshape password/ });
    await openLink(page, resetLink);
    const reset = page.getByRole('form', { name: 'Choose a new password' });
    await reset.getByLabel('New password').fill(newPassword);
    await reset.getByRole('button', { name: 'Save new password' }).click();
    await expect(page.getByRole('heading', { name: 'Your password is changed' })).toBeVisible();
    await mail.waitFor({ to: email, subject: /password was changed/ });

    // The same link a second time: used, and said so, not an error.
    await openLink(page, resetLink);
    await reset.getByLabel('New password').fill('yet another password');
    await reset.getByRole('button', { name: 'Save new password' }).click();
    await expect(page.getByRole('heading', { name: 'This link was already used' })).toBeVisible();
  });

  await test.step('the device signed in before the reset is signed out', async () => {
    await expectSignedOutOnNextAction(phone);
    await phone.context().close();
  });

  await test.step('sign in with the new password, not the old one', async () => {
    await page.goto('/');
    await signIn(page, email, firstPassword);
    const password = page.getByRole('form', { name: 'Sign in' }).getByLabel('Password');
    await expect(password).toHaveAccessibleDescription('Email or password is incorrect.');
    await signIn(page, email, newPassword);
    await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  });

  await test.step('change the address from the account page, confirmed from the new one', async () => {
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Your account', level: 1 })).toBeVisible();
    const change = page.getByRole('form', { name: 'Change your address' });
    await change.getByLabel('New email').fill(newEmail);
    await change.getByLabel('Current password').fill(newPassword);
    await change.getByRole('button', { name: 'Send a link to the new address' }).click();
    await expect(
      page.getByText(`Waiting for you to open the link we sent to ${newEmail}.`),
    ).toBeVisible();

    const confirmLink = await linkMailed({ to: newEmail, subject: /^Confirm your new email/ });
    await mail.waitFor({ to: email, subject: /email address is about to change/ });
    await openLink(page, confirmLink);
    await expect(page.getByRole('heading', { name: 'Your address is changed' })).toBeVisible();
    await expect(page.getByText(`Signed in as ${newEmail}`)).toBeVisible();
    await mail.waitFor({ to: email, subject: /email address was changed/ });
  });

  await test.step('sign out another device from the list of devices', async () => {
    const laptop = await anotherDevice(browser, testInfo, newEmail, newPassword);

    await page.getByRole('link', { name: 'Account', exact: true }).click();
    const devices = page.getByRole('list', { name: 'Signed-in devices' });
    await expect(devices.getByRole('listitem')).toHaveCount(2);
    await expect(devices.getByText('This device').filter({ visible: true })).toHaveCount(1);
    // This device's own row offers no button: the header's "Sign out" is for it.
    await devices.getByRole('button', { name: /^Sign out / }).click();
    await expect(page.getByRole('status').filter({ hasText: /^Signed out / })).toBeVisible();
    await expect(devices.getByRole('listitem')).toHaveCount(1);

    await expectSignedOutOnNextAction(laptop);
    await laptop.context().close();
  });

  await test.step('delete the account, after keeping a copy of its data', async () => {
    const { user } = await (await page.request.get('/api/auth/session')).json();
    expect(user.email).toBe(newEmail);

    const deletion = page.getByRole('region', { name: 'Delete account' });
    await deletion.getByRole('button', { name: 'Export my data' }).click();
    await expect(deletion.getByRole('link', { name: 'Download export' })).toBeVisible({
      timeout: 15_000,
    });
    // The upload and the export: deletion has something to remove.
    expect(await objectsOf(testInfo, user.id)).toHaveLength(2);

    const form = page.getByRole('form', { name: 'Delete my account' });
    await form.getByLabel('Password').fill(newPassword);
    await form.getByLabel('I understand that my notes and files will be deleted for good.').check();
    await form.getByRole('button', { name: 'Delete my account' }).click();
    await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
    await expect(
      page.getByRole('status').filter({ hasText: 'Your account is being deleted' }),
    ).toBeVisible();

    // The job sends this mail once the objects and the rows are gone.
    await mail.waitFor({ to: newEmail, subject: /account was deleted/ }, 30_000);
    expect(await objectsOf(testInfo, user.id)).toEqual([]);
  });

  if (testInfo.project.name === 'production') {
    await test.step('no token from a mailed link is in the logs of Caddy or the API', async () => {
      const tokens = links.map((link) => link.slice(link.indexOf('=') + 1));
      expect(tokens).toHaveLength(3);
      for (const token of tokens) expect(token).toMatch(/^[\w-]{43}$/);
      // The logs do hold the requests that carried them (written as they happen, hence poll).
      const log = () => readFile(production.logFile, 'utf8');
      await expect.poll(log).toMatch(/^caddy \| .*"uri":"\/api\/auth\/confirm-email"/m);
      await expect.poll(log).toMatch(/^api-\d \| .*POST \/api\/auth\/confirm-email/m);
      const written = await log();
      for (const token of tokens) expect(written).not.toContain(token);
    });
  }
});
