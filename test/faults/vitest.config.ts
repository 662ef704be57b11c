// `pnpm test:faults`: the app's built bundles as a deployment runs them (@shipshape/stack), on
// Postgres, Redis and S3 servers of the suite's own, while the tests stop, freeze, kill and
// restart them. Never the machine's shared Postgres (5432) or Redis (6379).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The repository root, so that paths here and in test names read as in the main suite.
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/faults/**/*.test.ts'],
    // Builds the bundles once and starts the suite's own Postgres server.
    globalSetup: ['./test/faults/global-setup.ts'],
    // Two files at a time: each runs a whole stack, and most of a fault test is waiting
    // (a lock to expire, a server to come back), which another file's work can fill.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
