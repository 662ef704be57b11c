// The production build: the page names one script, and the upload client stays out of it, in a
// chunk of its own that the page fetches only when an upload starts.
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSETS, buildWeb } from '../build';

const outDir = join(tmpdir(), `shipshape-web-build-${process.pid}`);
let page: string;
let assets: string[];

beforeAll(async () => {
  await buildWeb(outDir);
  page = await readFile(join(outDir, 'index.html'), 'utf8');
  assets = await readdir(join(outDir, ASSETS));
});
afterAll(() => rm(outDir, { recursive: true, force: true }));

const read = (name: string) => readFile(join(outDir, ASSETS, name), 'utf8');

describe('the production build', () => {
  it('splits the upload client into a chunk the page script loads with import()', async () => {
    const scripts = [...page.matchAll(/src="\/assets\/([^"]+\.js)"/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(1);
    const chunk = assets.find((name) => /^upload-client\.\w{8}\.js$/.test(name));
    expect(chunk).toBeDefined();

    const script = await read(scripts[0] ?? '');
    expect(script).toContain(`import("./${chunk ?? ''}")`);
    // The client's own code (its part URLs call) is in the chunk alone.
    expect(script).not.toContain('/parts');
    expect(await read(chunk ?? '')).toContain('/parts');
  });

  it('keeps what the first page loads under 50 KB gzip', async () => {
    const named = [...page.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1] ?? '');
    const files = await Promise.all(named.map(read));
    const bytes = [page, ...files].reduce((sum, text) => sum + gzipSync(text).length, 0);
    expect(bytes).toBeLessThan(50_000);
  });
});
