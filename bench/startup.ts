// From `node apps/api/dist/server.js` to the first 200 from /readyz (Postgres, Redis and S3
// answered), polled every 5 ms. The median of a few starts: the first may find files uncached.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@shipshape/lifecycle';
import { bundles } from '@shipshape/stack';
import { send } from '@shipshape/stack/http';
import { root, stopChild, type Stack } from './stack';

export async function measureStartup(
  stack: Stack,
  runs: number,
  extraEnv: Record<string, string> = {},
): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const port = await freePort();
    const started = performance.now();
    const child = spawn(process.execPath, [bundles.api], {
      cwd: root,
      env: { ...stack.env, ...extraEnv, PORT: String(port) },
      stdio: 'ignore',
    });
    try {
      while ((await status(`http://127.0.0.1:${port}/readyz`)) !== 200) {
        if (performance.now() - started > 30_000) throw new Error('/readyz: no 200 within 30 s');
        if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
        await sleep(5);
      }
      times.push((performance.now() - started) / 1000);
    } finally {
      await stopChild(child);
    }
  }
  return times;
}

/** The status of one GET, or 0 while nothing answers. */
function status(url: string): Promise<number> {
  return send(url, { timeoutMs: 2_000 }).then(
    (reply) => reply.status,
    () => 0,
  );
}
