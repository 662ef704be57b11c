// A person signs up, keeps notes, signs out and back in, all through the UI.
// Locators use roles and labels, the way people (and screen readers) find things.
import { expect, test, type Page } from '@playwright/test';

const password = 'correct horse battery staple';

function uniqueEmail() {
  return `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
}

async function addNote(page: Page, title: string, body: string) {
  const form = page.getByRole('form', { name: 'New note' });
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Body').fill(body);
  await form.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByRole('heading', { name: title })).toBeVisible();
}

test('signs up, writes, edits and deletes notes, then signs out and back in', async ({ page }) => {
  const email = uniqueEmail();
  await page.goto('/');

  await test.step('sign up, after a password that is too short', async () => {
    await page.getByRole('button', { name: 'Create an account' }).click();
    const signUp = page.getByRole('form', { name: 'Create your account' });
    await signUp.getByLabel('Email').fill(email);
    await signUp.getByLabel('Password').fill('short');
    await signUp.getByRole('button', { name: 'Create account' }).click();

    const passwordField = signUp.getByLabel('Password');
    await expect(passwordField).toHaveAttribute('aria-invalid', 'true');
    // The error is read out with the field, before the hint that was there all along.
    await expect(passwordField).toHaveAccessibleDescription(/\S.* Use 8 or more characters\.$/);
    await expect(signUp.getByLabel('Email')).not.toHaveAttribute('aria-invalid');

    await passwordField.fill(password);
    await signUp.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
    await expect(page.getByText('No notes yet')).toBeVisible();
  });

  await test.step('create a note', async () => {
    await addNote(page, 'Groceries', 'Milk\nBread');
    await expect(page.getByText('No notes yet')).toBeHidden();
    await expect(page.getByRole('listitem').filter({ hasText: 'Groceries' })).toContainText(
      'Milk\nBread',
    );
  });

  await test.step('edit it inline', async () => {
    await page.getByRole('button', { name: 'Edit Groceries' }).click();
    const edit = page.getByRole('form', { name: 'Edit note' });
    await expect(edit.getByLabel('Title')).toHaveValue('Groceries');
    await edit.getByLabel('Title').fill('Groceries for Sunday');
    await edit.getByRole('button', { name: 'Save' }).click();

    await expect(page.getByRole('heading', { name: 'Groceries for Sunday' })).toBeVisible();
    await expect(edit).toBeHidden();
  });

  await test.step('delete it after confirming', async () => {
    await page.getByRole('button', { name: 'Delete Groceries for Sunday' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();

    await expect(page.getByRole('heading', { name: 'Groceries for Sunday' })).toBeHidden();
    await expect(page.getByText('No notes yet')).toBeVisible();
  });

  await test.step('create another note and sign out', async () => {
    await addNote(page, 'Keep me', 'This one survives signing out.');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
    await expect(page.getByText(email)).toBeHidden();
  });

  await test.step('sign in, after a wrong password', async () => {
    const signIn = page.getByRole('form', { name: 'Sign in' });
    await signIn.getByLabel('Email').fill(email);
    await signIn.getByLabel('Password').fill('not my password');
    await signIn.getByRole('button', { name: 'Sign in' }).click();

    const passwordField = signIn.getByLabel('Password');
    await expect(passwordField).toHaveAttribute('aria-invalid', 'true');
    await expect(passwordField).toHaveAccessibleDescription('Email or password is incorrect.');

    await passwordField.fill(password);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  });

  await test.step('only the note that was not deleted is there', async () => {
    await expect(page.getByRole('heading', { name: 'Keep me' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Groceries for Sunday' })).toBeHidden();
    await expect(page.getByRole('listitem')).toHaveCount(1);
  });
});
