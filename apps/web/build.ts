// `pnpm --filter @shipshape/web build`: turns public/ into dist/, what Caddy serves in production.
// Development needs none of this: `pnpm dev` serves public/ as it is, one module per file.
// Usage: tsx build.ts [outDir] (default dist/; the Caddy test builds into a folder of its own).
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const publicDir = join(here, 'public');

/** Every fingerprinted file goes here, so Caddy can cache the whole folder for a year. */
export const ASSETS = 'assets';

export async function buildWeb(outDir = join(here, 'dist')) {
  // A clean folder: files of an older build would otherwise be served (and cached) forever.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, ASSETS), { recursive: true });

  // The page's modules import each other: as files that is one round trip per import level
  // (12 requests). One bundle is one request; minified it is also about half the bytes.
  // Splitting keeps what the page loads with import() (upload-client.js, when an upload starts)
  // in chunks of its own, out of the first page; it needs ESM output (esbuild.github.io/api/#splitting).
  // [hash] is of the content, so a new release gets a new URL and no browser keeps an old one.
  const scripts = await build({
    entryPoints: { app: join(publicDir, 'app.js') },
    bundle: true,
    splitting: true,
    format: 'esm',
    chunkNames: '[name].[hash]',
    minify: true,
    // A source map lets the browser's tools show the original files; it is fetched only then.
    sourcemap: 'linked',
    target: 'es2022',
    entryNames: '[name].[hash]',
    outdir: join(outDir, ASSETS),
    metafile: true,
    logLevel: 'warning',
  });
  // The stylesheet goes through esbuild too: minified, and named by its content the same way.
  const styles = await build({
    entryPoints: { styles: join(publicDir, 'styles.css') },
    bundle: true,
    minify: true,
    entryNames: '[name].[hash]',
    outdir: join(outDir, ASSETS),
    metafile: true,
    logLevel: 'warning',
  });
  // A chunk the entry imports statically would be a request the page makes that index.html does
  // not name (and the first-page weight would not count): the split must leave only lazy chunks.
  const script = entryOutput(scripts.metafile, outDir, join(publicDir, 'app.js'));
  const eager = Object.values(scripts.metafile.outputs)
    .filter((info) => info.entryPoint && resolve(info.entryPoint) === join(publicDir, 'app.js'))
    .flatMap((info) => info.imports.filter((imported) => imported.kind === 'import-statement'));
  if (eager.length > 0) {
    throw new Error(
      `the page's script imports chunks up front: ${eager.map((i) => i.path).join(', ')}`,
    );
  }
  const favicon = await copyFingerprinted(join(publicDir, 'favicon.svg'), join(outDir, ASSETS));

  // The page keeps its plain name (people and links ask for "/"), so it is what changes: it now
  // names the fingerprinted files. Caddy tells browsers to check it again on every visit.
  const page = await readFile(join(publicDir, 'index.html'), 'utf8');
  const rewritten = replaceOnce(
    replaceOnce(
      replaceOnce(page, 'src="/app.js"', `src="/${script}"`),
      'href="/styles.css"',
      `href="/${entryOutput(styles.metafile, outDir, join(publicDir, 'styles.css'))}"`,
    ),
    'href="/favicon.svg"',
    `href="/${ASSETS}/${favicon}"`,
  );
  await writeFile(join(outDir, 'index.html'), rewritten);

  // The page links to /README.md, which in public/ is a link to the repository's README;
  // readFile follows it, so dist/ holds the text itself (an image or a server may not follow links).
  await writeFile(join(outDir, 'README.md'), await readFile(join(publicDir, 'README.md')));
  return outDir;
}

/** favicon.svg → favicon.<hash>.svg, with a hash of the content like esbuild's. */
async function copyFingerprinted(file: string, toDir: string) {
  const hash = createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
    .slice(0, 8);
  const name = `${basename(file, extname(file))}.${hash}${extname(file)}`;
  await copyFile(file, join(toDir, name));
  return name;
}

/**
 * The path, relative to outDir, of what esbuild wrote for `entry`. (A module loaded with import()
 * counts as an entry point too, with a chunk of its own.) Metafile paths are relative to the
 * working directory, as resolve() reads them.
 */
function entryOutput(
  metafile: { outputs: Record<string, { entryPoint?: string }> },
  outDir: string,
  entry: string,
) {
  const [output] = Object.entries(metafile.outputs).filter(
    ([, info]) => info.entryPoint && resolve(info.entryPoint) === entry,
  );
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return resolve(output[0]).slice(resolve(outDir).length + 1);
}

// A reference that is not found would be left pointing at a file dist/ does not have:
// fail the build instead of shipping a page without its script or styles.
function replaceOnce(text: string, from: string, to: string) {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`index.html: expected ${from} once, found it ${count} times`);
  return text.replace(from, to);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`Built the frontend into ${outDir}`);
}
