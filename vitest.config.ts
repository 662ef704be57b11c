import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'apps/*/test/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/check-deploy/**/*.test.ts',
      'test/guide/**/*.test.ts',
      'test/scripts/**/*.test.ts',
    ],
    // A migrated template database per run, copied into one database per test file that calls
    // useTestDatabase(); one S3 bucket and Redis prefix per run (see test/global-setup.ts).
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
