// Used by the Dockerfile: copies, out of a `pnpm deploy --prod` folder (hoisted node_modules),
// only the packages the app's production bundle loads at run time, with their dependencies.
// The bundle (tsup.base.ts) already holds every other package, so copying all of node_modules
// would ship a second copy of the app, and sharp in the api image through @shipshape/jobs.
//
//   node deploy/runtime-modules.mjs <deployed app folder> <output folder>
//
// Which packages: the app's own production dependencies that tsup.base.ts leaves unbundled.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error('usage: runtime-modules.mjs <deployed app> <output>');

const tsupBase = readFileSync(new URL('../tsup.base.ts', import.meta.url), 'utf8');
const unbundled = JSON.parse(
  /const unbundled = (\[[^\]]*\])/.exec(tsupBase)[1].replaceAll("'", '"'),
);
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const app = readJson(join(from, 'package.json'));
const wanted = Object.keys(app.dependencies ?? {}).filter((name) => unbundled.includes(name));

// Walk dependencies from the hoisted top level. A package whose folder carries its own nested
// node_modules is copied with it, so version conflicts resolve as they did in the build.
const copied = new Set();
function copy(name) {
  if (copied.has(name)) return;
  const dir = join(from, 'node_modules', name);
  if (!existsSync(dir)) return; // an optional dependency for another platform
  copied.add(name);
  cpSync(dir, join(to, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
  const pkg = readJson(join(dir, 'package.json'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) copy(dep);
}
wanted.forEach(copy);
process.stdout.write(`runtime modules for ${app.name}: ${[...copied].sort().join(', ')}\n`);
