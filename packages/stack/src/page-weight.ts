// What a first visit costs on the wire: the page, its assets and its first API call, gzip
// accepted as a browser accepts it. The container smoke test and the bench report it.
import { gunzipSync } from 'node:zlib';
import { send, type Reply } from './http';

export interface PageWeight {
  firstPageBytes: number;
  firstPageRequests: number;
}

/** Every byte of the first page's answers, headers included, still compressed. */
export async function firstPageWeight(site: { url: string; ca?: string }): Promise<PageWeight> {
  const headers = { 'accept-encoding': 'gzip' };
  const page = await send(`${site.url}/`, { headers, ca: site.ca });
  const html = (
    page.headers['content-encoding'] === 'gzip' ? gunzipSync(page.body) : page.body
  ).toString();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
  const answers: Reply[] = [page];
  for (const path of [...assets, '/api/auth/session']) {
    answers.push(await send(`${site.url}${path}`, { headers, ca: site.ca }));
  }
  return {
    firstPageRequests: answers.length,
    firstPageBytes: answers.reduce((sum, res) => sum + res.headerBytes + res.body.length, 0),
  };
}
