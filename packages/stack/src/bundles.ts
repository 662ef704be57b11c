// What `pnpm build` makes and a deployment runs, and the release step that runs before it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root: every entry file and bundle path here is relative to it. */
export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The files `pnpm build` makes and a deployment runs. */
export const bundles = {
  api: 'apps/api/dist/server.js',
  migrate: 'apps/api/dist/migrate.js',
  worker: 'apps/worker/dist/main.js',
  web: 'apps/web/dist/index.html',
};

/** `pnpm build`, its output shown: a stack of bundles runs what it makes. */
export function buildBundles(): void {
  const result = spawnSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('pnpm build failed');
}

/** Throws, naming them, when bundles are missing. */
export function checkBundlesBuilt(): void {
  const missing = Object.values(bundles).filter((file) => !existsSync(`${root}/${file}`));
  if (missing.length > 0) throw new Error(`not built (run pnpm build): ${missing.join(', ')}`);
}

/** The release step a deployment runs: the API bundle's migrate command, to its end. */
export async function migrateWithBundle(env: NodeJS.ProcessEnv): Promise<void> {
  await runToEnd(spawn(process.execPath, [bundles.migrate], { cwd: root, env }));
}

async function runToEnd(child: ChildProcess): Promise<void> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`exited with ${code}:\n${output}`);
}
