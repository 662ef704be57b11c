// `pnpm test:security`: the OWASP ASVS level 1 checks of test/security, apart from `pnpm test`.
// The same services as the default suite (./test/global-setup.ts gives each file its own
// database, the run's bucket and Redis prefix); keep the timeouts in step with ../../vitest.config.ts.
// The root is the repository's, so paths resolve as they do for the default suite.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/security/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // The fuzz file sends over a thousand requests in one test; the other tests take seconds.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
