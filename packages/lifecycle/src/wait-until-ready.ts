// Waiting for a process that was just started: poll its health URL until it answers 200.
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_EVERY_MS = 100;
// A server that accepts a connection but never answers must not stall the wait.
const ANSWER_WITHIN_MS = 2_000;

/** Resolves once `url` answers with a 2xx status; rejects after `timeoutMs` without one. */
export async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (performance.now() >= deadline) {
      throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    }
    await sleep(POLL_EVERY_MS);
  }
}
