// One large file sent through Caddy and the API into S3, against the same bytes sent straight to
// S3 as a multipart Upload (lib-storage, with the part size and queue the API uses) from this
// process. The bytes are made as they are sent: neither side ever holds the file, nor does disk.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Storage } from '@shipshape/storage';

export interface UploadResult {
  bytes: number;
  /** Bytes per second, through Caddy and the API. */
  viaApi: number;
  /** Bytes per second, straight to S3. */
  direct: number;
  /** The API process's resident memory before the upload, and its peak growth during it. */
  rssBefore: number;
  rssGrowth: number;
}

const BLOCK = 1024 * 1024;
const PDF_HEAD = Buffer.from('%PDF-1.7\n'); // the API keeps only the file types it knows

/** `size` bytes of a PDF-looking file: one random block sent again and again. */
function fileBytes(size: number): Readable {
  const block = randomBytes(BLOCK);
  PDF_HEAD.copy(block);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += BLOCK)
        yield block.subarray(0, Math.min(BLOCK, size - sent));
    })(),
    { objectMode: false },
  );
}

export async function measureUpload(options: {
  siteUrl: string;
  cookie: string;
  apiPid: number;
  storage: Storage;
  bytes: number;
  progress: (line: string) => void;
}): Promise<UploadResult> {
  const { siteUrl, cookie, apiPid, storage, bytes, progress } = options;
  await sendThroughApi(siteUrl, cookie, BLOCK); // every code path runs once before the clock starts

  progress(`upload: ${mib(bytes)} straight to S3 (lib-storage Upload)`);
  let started = performance.now();
  await storage.putStream('bench/direct', fileBytes(bytes), { contentType: 'application/pdf' });
  const direct = bytes / ((performance.now() - started) / 1000);
  await storage.delete('bench/direct');

  progress(`upload: ${mib(bytes)} through Caddy and the API`);
  const memory = watchMemory(apiPid);
  started = performance.now();
  await sendThroughApi(siteUrl, cookie, bytes);
  const viaApi = bytes / ((performance.now() - started) / 1000);
  const { before, growth } = memory.stop();

  return { bytes, viaApi, direct, rssBefore: before, rssGrowth: growth };
}

/** POST /api/files as a browser sends it: multipart/form-data with its length up front. */
async function sendThroughApi(siteUrl: string, cookie: string, size: number): Promise<void> {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\n` +
      `Content-Type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Readable.from(
    (async function* () {
      yield head;
      yield* fileBytes(size);
      yield tail;
    })(),
  );
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${siteUrl}/api/files`, {
      method: 'POST',
      headers: {
        cookie,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + size + tail.length,
      },
      timeout: 60_000,
    });
    req.on('timeout', () => req.destroy(new Error('no progress on the upload for 60 s')));
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    pipeline(body, req).catch(reject);
  });
  const { status, body: text } = await answer;
  if (status !== 201) throw new Error(`upload answered ${status}: ${text.slice(0, 300)}`);
  const { id } = JSON.parse(text) as { id: string };
  await fetch(`${siteUrl}/api/files/${id}`, { method: 'DELETE', headers: { cookie } });
}

/**
 * The process's resident memory, sampled every 50 ms, and its high-water mark (VmHWM, reset
 * at the start by writing 5 to clear_refs) so a peak between two samples is not missed.
 */
function watchMemory(pid: number) {
  const read = () => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  };
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = read().rss;
  let sampled = before;
  const timer = setInterval(() => (sampled = Math.max(sampled, read().rss)), 50);
  return {
    stop() {
      clearInterval(timer);
      const peak = Math.max(sampled, read().peak);
      return { before, growth: peak - before };
    },
  };
}

export const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
