// A page that works logs nothing in the console: no errors, no failed requests. Browsers log
// every 4xx answer as an error, so a signed-out visit must not depend on one.
import { expect, test, type Page } from '@playwright/test';

/** Collects what the browser would show in red in its console. */
function consoleProblems(page: Page) {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}

test('a signed-out visit logs no error and fails no request', async ({ page }) => {
  const problems = consoleProblems(page);
  await page.goto('/');
  await expect(page.getByRole('form', { name: 'Sign in' })).toBeVisible();
  // Give late requests (there should be none) a moment to fail.
  await page.waitForLoadState('networkidle');
  expect(problems).toEqual([]);
});

test('a signed-in visit logs no error and fails no request', async ({ page }) => {
  const email = `e2e-console-${Date.now()}@example.test`;
  const registered = await page.request.post('/api/auth/register', {
    data: { email, password: 'correct horse battery staple' },
  });
  expect(registered.ok()).toBe(true);

  const problems = consoleProblems(page);
  await page.goto('/');
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(problems).toEqual([]);
});

test('the first page says what Shipshape is and links to how it is built', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('.intro')).toContainText('Shipshape keeps your notes and files');
  await page.getByRole('link', { name: 'Read how it is built' }).click();
  await expect(page.locator('body')).toContainText('# Shipshape');
});
