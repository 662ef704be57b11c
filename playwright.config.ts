// End-to-end tests: Chromium clicks through the real UI. Run with `pnpm test:e2e`.
// Two projects run the same specs against two shapes of the app:
// - local: the API serving the frontend from source, as `pnpm dev` runs it;
// - production: the built bundles with APP_ENV=production, two API replicas and a worker behind
//   Caddy with the repository's Caddyfile, over HTTPS. It needs a Postgres server and Redis
//   (DATABASE_URL and REDIS_URL), as a deployment does.
// e2e/server.ts starts each (`e2e/server.ts local`, `… production`) through @shipshape/stack.
import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import { local, production } from './e2e/topology';

const hasServices = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
if (!hasServices) {
  console.warn(
    'Skipping the production project: it needs DATABASE_URL and REDIS_URL (a Postgres server and Redis).',
  );
}

const shared = {
  // SIGTERM, not the default SIGKILL: both servers stop what they started, then remove their
  // databases, buckets and Redis keys.
  gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
  // Locally, a server you already started is reused; CI always starts a fresh one.
  reuseExistingServer: !process.env.CI,
} as const;

const webServers: NonNullable<PlaywrightTestConfig['webServer']> = [
  {
    ...shared,
    // `exec`: no shell waits in between, so Playwright waits for the server's own clean stop
    // (dash, Debian's sh, dies of SIGTERM at once and would leave it running unobserved).
    command: 'exec node --import tsx e2e/server.ts local',
    url: `${local.url}/healthz`,
    timeout: 120_000,
  },
];
if (hasServices) {
  webServers.push({
    ...shared,
    command: 'exec node --import tsx e2e/server.ts production',
    url: `${production.url}/readyz`,
    // Caddy's local CA signs the certificate; Chromium is told to accept it below.
    ignoreHTTPSErrors: true,
    // It builds the bundles first.
    timeout: 240_000,
  });
}

// Debian's Chromium, installed by apt: never `playwright install` here (it downloads browsers).
// Where Playwright's own Chromium is installed instead (GitHub's runners), set CHROMIUM_PATH=''.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results',
  // The tests of a project share one app and database; one worker keeps runs predictable.
  workers: 1,
  retries: 0,
  // A stray `test.only` must not quietly skip the rest of the suite in CI.
  forbidOnly: Boolean(process.env.CI),
  reporter: 'list',
  use: {
    browserName: 'chromium',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium || undefined,
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
  projects: [
    // One API process: nothing to compare between replicas.
    { name: 'local', use: { baseURL: local.url }, testIgnore: 'replicas.spec.ts' },
    ...(hasServices
      ? [{ name: 'production', use: { baseURL: production.url, ignoreHTTPSErrors: true } }]
      : []),
  ],
  webServer: webServers,
});
