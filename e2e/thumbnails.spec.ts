// A thumbnail fills its square frame exactly, whatever the shape or size of the image: wide,
// tall or tiny, at desktop and phone widths.
import { expect, test, type Page } from '@playwright/test';
import { flatPng } from './png';
import { uploadThroughApi } from './uploads';

const password = 'correct horse battery staple';

const shapes = [
  { name: 'landscape.png', width: 300, height: 200 },
  { name: 'portrait.png', width: 200, height: 300 },
  { name: 'tiny.png', width: 8, height: 8 },
];

async function signUp(page: Page, width: number) {
  const email = `e2e-thumbnails-${Date.now()}-${width}@example.test`;
  // page.request shares the page's cookies, so the browser is signed in afterwards.
  const registered = await page.request.post('/api/auth/register', { data: { email, password } });
  expect(registered.ok()).toBe(true);
}

for (const width of [1280, 360]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 800 } });

    test('shows each thumbnail filling its frame, never spilling out of it', async ({ page }) => {
      await signUp(page, width);
      for (const shape of shapes) {
        await uploadThroughApi(page.request, {
          name: shape.name,
          mimeType: 'image/png',
          buffer: flatPng(shape.width, shape.height),
        });
      }
      await page.goto('/');

      for (const shape of shapes) {
        const card = page
          .getByRole('listitem')
          .filter({ has: page.getByRole('heading', { name: shape.name }) });
        const thumbnail = card.locator('.file-thumbnail');
        await expect(thumbnail).toBeVisible({ timeout: 15_000 });
        await expect(thumbnail).not.toHaveJSProperty('naturalWidth', 0);
        const frame = await card.locator('.file-preview').boundingBox();
        const box = await thumbnail.boundingBox();
        expect(frame).not.toBeNull();
        expect(box, shape.name).toEqual(frame);
      }
    });
  });
}
