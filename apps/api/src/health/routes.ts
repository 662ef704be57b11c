// /healthz answers "is the process alive?" and touches nothing else, so a slow database
// never gets a healthy process restarted. /readyz answers "can it serve traffic?".
// Both are public: they name a dependency and its state, never an address or an error text
// (those go to the log, where the operator looks).
import { Router } from 'express';

/** A named check of one dependency; it rejects when the dependency is unusable. */
export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: ReadinessCheck): Promise<unknown> {
  return Promise.race([
    check(),
    new Promise((_, reject) =>
      setTimeout(
        () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      ).unref(),
    ),
  ]);
}

export function healthRouter({
  checks,
  shutdown,
}: {
  checks: Record<string, ReadinessCheck>;
  /** While the process drains before it stops, it is not ready, whatever its dependencies say. */
  shutdown?: { readonly draining: boolean } | undefined;
}) {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    if (shutdown?.draining) {
      res.status(503).json({
        error: { code: 'shutting_down', message: 'Shutting down: send traffic elsewhere.' },
      });
      return;
    }
    const outcomes = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check);
          return [name, 'ok'] as const;
        } catch (error) {
          req.log.warn({ err: error, dependency: name }, `readiness check failed: ${name}`);
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const report = Object.fromEntries(outcomes);
    const failed = outcomes.filter(([, outcome]) => outcome !== 'ok').map(([name]) => name);
    if (failed.length === 0) {
      res.json({ status: 'ready', checks: report });
      return;
    }
    res.status(503).json({
      error: { code: 'not_ready', message: `Not ready: ${failed.join(', ')} unavailable.` },
      checks: report,
    });
  });

  return router;
}
