// End-to-end tests: Chromium clicks through the real UI, served with the real API by
// e2e/server.ts against a throwaway database. Run with `pnpm test:e2e`.
import { defineConfig } from '@playwright/test';

const port = 3100;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results',
  // The tests share one API process and database; one worker keeps runs predictable.
  workers: 1,
  retries: 0,
  // A stray `test.only` must not quietly skip the rest of the suite in CI.
  forbidOnly: Boolean(process.env.CI),
  reporter: 'list',
  use: {
    baseURL,
    browserName: 'chromium',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium, installed by apt: never `playwright install` (it downloads browsers).
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox', // tests run as root in containers, where the sandbox cannot start
        '--disable-gpu',
        '--disable-quic',
        // No first-run dialogs, updates or background traffic: tests stay offline and quiet.
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // `exec`: no shell waits in between, so Playwright waits for the server's own clean stop
    // (dash, Debian's sh, dies of SIGTERM at once and would leave it running unobserved).
    command: 'exec node --import tsx e2e/server.ts',
    url: `${baseURL}/healthz`,
    env: { PORT: String(port) },
    // Locally, a server you already started is reused; CI always starts a fresh one.
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    // SIGTERM, not the default SIGKILL: e2e/server.ts stops the API and worker, then drops its
    // database and Redis keys.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
  },
});
