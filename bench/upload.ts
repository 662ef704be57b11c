// One large file uploaded as the browser uploads it, against the same bytes sent straight to the
// same S3 server as a multipart Upload (lib-storage) from this process, with the same part size
// and the same number of parts in flight. The browser protocol is run by the page's own client,
// apps/web/public/upload-client.js: the API (through Caddy) starts, signs and completes, and the
// parts go to the bucket. Each side runs twice, in alternating order. The bytes are made as they
// are sent: nobody holds the file, nor does disk.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '@shipshape/config';
import { uploadFile, type UploadSource } from '../apps/web/public/upload-client.js';
import type * as ClientS3 from '../packages/storage/node_modules/@aws-sdk/client-s3';
import type * as LibStorage from '../packages/storage/node_modules/@aws-sdk/lib-storage';

export interface UploadResult {
  bytes: number;
  /** The part size the API chose, and how many parts were in flight, on both sides. */
  partSize: number;
  concurrency: number;
  /** Bytes per second (over both rounds) through the browser protocol: API via Caddy, parts to S3. */
  viaProtocol: number;
  /** Bytes per second of a direct multipart upload with the SDK. */
  direct: number;
  /**
   * The API process's resident memory before an upload by the protocol, and its peak growth during
   * it: the larger of the two rounds.
   */
  rssBefore: number;
  rssGrowth: number;
  /** CPU time (user + system) the API process spent on the upload, per GiB uploaded. */
  apiCpuSecondsPerGiB: number;
}

const BLOCK = 1024 * 1024;
const GiB = 1024 ** 3;
// As the page sends them (upload-client.js's default).
const CONCURRENCY = 4;

/** `size` bytes of a PDF-looking file (the API takes only types it knows): one block, repeated. */
function fileBytes(size: number) {
  const block = randomBytes(BLOCK);
  Buffer.from('%PDF-1.7\n').copy(block);
  const byteAt = (offset: number, end: number) =>
    block.subarray(offset % BLOCK, Math.min(BLOCK, (offset % BLOCK) + end - offset));
  /** The bytes from `start` to `end`, one block's worth of views at a time. */
  function* range(start: number, end: number) {
    for (let offset = start; offset < end;) {
      const chunk = byteAt(offset, end);
      yield chunk;
      offset += chunk.length;
    }
  }
  // What the client reads of a File: its size, name, type and slices. A slice is made when its
  // part is sent, as a browser reads a part of a file from disk.
  const source: UploadSource = {
    size,
    name: 'bench.pdf',
    type: 'application/pdf',
    slice: (start, end) => new Blob([...range(start, end)]),
  };
  return { source, stream: () => Readable.from(range(0, size)) };
}

export async function measureUpload(options: {
  siteUrl: string;
  cookie: string;
  apiPid: number;
  /** The environment the API runs with: the bench's direct upload uses the same S3. */
  env: Record<string, string>;
  bytes: number;
  progress: (line: string) => void;
}): Promise<UploadResult> {
  const { siteUrl, cookie, apiPid, bytes, progress } = options;
  const send = browserProtocol(siteUrl, cookie);
  // Every code path runs once before the clock starts.
  await send.remove((await send(fileBytes(BLOCK).source)).id);
  const partSize = partSizeFor(bytes);

  // Two rounds in opposite orders: the second upload of a round writes behind the first, which
  // the S3 server may still be flushing to disk, and neither side should always be second.
  const times = { direct: 0, protocol: 0 };
  let cpu = 0;
  let memory = { before: 0, growth: 0 };
  const runDirect = async () => {
    progress(`upload: ${mib(bytes)} straight to S3 (lib-storage Upload, ${mib(partSize)} parts)`);
    times.direct += await directUpload(options.env, fileBytes(bytes).stream(), partSize);
  };
  const runProtocol = async () => {
    progress(`upload: ${mib(bytes)} by the browser protocol (upload-client.js, API via Caddy)`);
    const watch = watchMemory(apiPid);
    const cpuBefore = cpuSeconds(apiPid);
    const started = performance.now();
    const file = await send(fileBytes(bytes).source);
    times.protocol += (performance.now() - started) / 1000;
    cpu += cpuSeconds(apiPid) - cpuBefore;
    const seen = watch.stop();
    if (seen.growth >= memory.growth) memory = seen;
    if (file.size !== bytes) throw new Error(`the API recorded ${file.size} bytes, not ${bytes}`);
    await send.remove(file.id);
  };
  for (const round of [
    [runDirect, runProtocol],
    [runProtocol, runDirect],
  ]) {
    for (const run of round) await run();
  }

  return {
    bytes,
    partSize,
    concurrency: CONCURRENCY,
    viaProtocol: (2 * bytes) / times.protocol,
    direct: (2 * bytes) / times.direct,
    rssBefore: memory.before,
    rssGrowth: memory.growth,
    apiCpuSecondsPerGiB: cpu / ((2 * bytes) / GiB),
  };
}

/**
 * The page's client with a fetch that carries the session cookie to the site; the part URLs
 * (on the S3 server) get no cookie, as a browser sends none to another origin.
 */
function browserProtocol(siteUrl: string, cookie: string) {
  const withSession: typeof fetch = (input, init = {}) => {
    // The client passes strings; the type is fetch's own.
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(siteUrl)) return fetch(url, init);
    return fetch(url, { ...init, headers: { ...(init.headers as object), cookie } });
  };
  const send = (source: UploadSource) =>
    uploadFile({ file: source, apiBase: siteUrl, fetch: withSession, concurrency: CONCURRENCY });
  send.remove = async (id: string) => {
    await withSession(`${siteUrl}/api/files/${id}`, { method: 'DELETE' });
  };
  return send;
}

/** As the API plans it (the upload contract): 8 MiB, or more so that there are ≤ 10,000 parts. */
function partSizeFor(bytes: number): number {
  const MiB = 1024 ** 2;
  return Math.max(8 * MiB, Math.ceil(bytes / 10_000 / MiB) * MiB);
}

// lib-storage and the S3 client are dependencies of @shipshape/storage, which keeps its client to
// itself (packages/storage/src/index.ts): the bench loads them from where pnpm put them for it.
const storageRequire = createRequire(new URL('../packages/storage/package.json', import.meta.url));
const fromStorage = async <T>(name: string) =>
  (await import(pathToFileURL(storageRequire.resolve(name)).href)) as T;

/**
 * lib-storage's Upload, to the bucket the API uses, with the client's part size and queue.
 * Resolves with the seconds it took.
 */
async function directUpload(env: Record<string, string>, body: Readable, partSize: number) {
  const { S3Client, DeleteObjectCommand } =
    await fromStorage<typeof ClientS3>('@aws-sdk/client-s3');
  const { Upload } = await fromStorage<typeof LibStorage>('@aws-sdk/lib-storage');
  const { s3 } = loadConfig(env);
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    ...(s3.accessKeyId &&
      s3.secretAccessKey && {
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      }),
    // s3rver stores aws-chunked framing as bytes (packages/storage/src/client.ts).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const upload = new Upload({
      client,
      params: {
        Bucket: s3.bucket,
        Key: 'bench/direct',
        Body: body,
        ContentType: 'application/pdf',
      },
      partSize,
      queueSize: CONCURRENCY,
    });
    const started = performance.now();
    await upload.done();
    const seconds = (performance.now() - started) / 1000;
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: 'bench/direct' }));
    return seconds;
  } finally {
    client.destroy();
  }
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

// utime and stime, the 14th and 15th fields of /proc/PID/stat (after the name in parentheses),
// in clock ticks of 1/100 s on Linux, as bench/http.ts reads them.
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
