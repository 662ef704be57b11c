import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { productionBundle } from '../../tsup.base';

export default defineConfig({
  ...productionBundle('src/server.ts', 'src/migrate.ts', 'src/promote.ts'),
  // dist/migrate.js applies these SQL files: they travel with the bundle, not in the code.
  async onSuccess() {
    await cp('../../packages/db/migrations', 'dist/migrations', { recursive: true });
  },
});
