// What the API's production bundle holds. The job handlers (and sharp, which decodes images)
// run in the API only in local development without Redis; a deployment, which always has
// REDIS_URL, must never load them, and the API must not lean on the worker app to get them.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { describe, expect, it, onTestFinished } from 'vitest';
import { productionBundle } from '../../../tsup.base';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function readPackage(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

// esbuild's metafile: for each output file, what it imports and how.
interface Metafile {
  outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

/** Builds the API as `pnpm build` does, into a folder of its own, and returns esbuild's metafile. */
async function buildApi(): Promise<{ metafile: Metafile; outDir: string }> {
  const outDir = await mkdtemp(join(tmpdir(), 'shipshape-api-bundle-'));
  onTestFinished(() => rm(outDir, { recursive: true, force: true }));
  await build({
    ...productionBundle(join(root, 'apps/api/src/server.ts')),
    outDir,
    sourcemap: false,
    metafile: true,
    silent: true,
  });
  const metafile = JSON.parse(await readFile(join(outDir, 'metafile-esm.json'), 'utf8'));
  return { metafile: metafile as Metafile, outDir };
}

describe('apps', () => {
  it('never depend on another app: what two processes share lives in packages/', async () => {
    const apps = await readdir(join(root, 'apps'));
    const packages = await Promise.all(apps.map((app) => readPackage(join(root, 'apps', app))));
    const appNames = new Set(packages.map((pkg) => pkg.name));
    for (const pkg of packages) {
      const dependencies = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
      expect({ app: pkg.name, apps: dependencies.filter((name) => appNames.has(name)) }).toEqual({
        app: pkg.name,
        apps: [],
      });
    }
  });
});

describe("the API's production bundle", () => {
  it('loads sharp only through the dynamic import that runs jobs in-process', async () => {
    const { metafile, outDir } = await buildApi();
    const outputs = metafile.outputs;
    const entry = Object.keys(outputs).find((file) => file.endsWith('/server.js'));
    if (!entry) throw new Error('The build has no server.js');

    // Every file that `node server.js` loads before any dynamic import runs.
    const loadedAtStart = new Set<string>();
    const visit = (file: string) => {
      if (loadedAtStart.has(file)) return;
      loadedAtStart.add(file);
      for (const { path, kind, external } of outputs[file]?.imports ?? []) {
        if (kind === 'import-statement' && !external) visit(path);
      }
    };
    visit(entry);

    const importsSharp = (file: string) =>
      outputs[file]?.imports.some((imported) => imported.path === 'sharp') ?? false;
    const withSharp = Object.keys(outputs).filter(importsSharp);
    // sharp stays external (a native addon cannot be bundled), in the handlers' own chunk...
    expect(withSharp).toHaveLength(1);
    const [jobsChunk = ''] = withSharp;
    expect(outputs[jobsChunk]?.imports).toContainEqual(
      expect.objectContaining({ path: 'sharp', external: true }),
    );
    // ...which nothing loads at start: only jobs.ts's import() for the in-process queue reaches it.
    expect([...loadedAtStart].filter(importsSharp)).toEqual([]);
    const dynamicImporters = Object.keys(outputs).filter((file) =>
      outputs[file]?.imports.some((i) => i.path === jobsChunk && i.kind === 'dynamic-import'),
    );
    expect(dynamicImporters.length).toBeGreaterThan(0);
    const staticImporters = Object.keys(outputs).filter((file) =>
      outputs[file]?.imports.some((i) => i.path === jobsChunk && i.kind === 'import-statement'),
    );
    expect(staticImporters).toEqual([]);

    // And sharp's own code is in no file: only the import statement names it.
    const files = await readdir(outDir);
    for (const file of files.filter((name) => name.endsWith('.js'))) {
      const code = await readFile(join(outDir, file), 'utf8');
      expect(code).not.toContain('sharp/lib');
    }
  }, 60_000);
});
