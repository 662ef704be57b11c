// `pnpm bench`: how much memory the API needs to stream a large upload and download.
// Starts the real API process (with a throwaway database and S3), uploads a 50 MB file through
// it and downloads it again, and reads the process's peak resident memory (VmHWM) from /proc.
// The claim it checks: memory does not grow with file size, because nothing holds a whole file.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfigOrExit } from '@shipshape/config';
import { createTestDatabase } from '@shipshape/db/testing';
import { spawnTs, waitUntilReady } from '@shipshape/lifecycle';
import { embeddedS3Env, startEmbeddedS3 } from '@shipshape/storage/embedded';

const MB = 1024 * 1024;
const sizes = [5 * MB, 50 * MB];
const port = 3200 + Math.floor(Math.random() * 500);
const base = `http://127.0.0.1:${port}`;

const config = loadConfigOrExit();
const database = await createTestDatabase(config.databaseUrl);
const s3 = await startEmbeddedS3();
// spawnTs runs tsx as a loader inside the one process, so api.child.pid is the server itself.
const api = spawnTs('apps/api/src/server.ts', {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    APP_ENV: 'local',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    ...embeddedS3Env(s3),
    REDIS_URL: '', // jobs in-process: the bench measures the API alone, so no worker runs
  },
});

try {
  await waitUntilReady(`${base}/healthz`, 30_000);
  const cookie = await signUp();
  await upload(cookie, 1 * MB, () => {}); // warm up every code path once

  console.log(`\nPeak memory of the API process (VmHWM), file bytes never held whole:\n`);
  const growth: number[] = [];
  for (const size of sizes) {
    const before = memory();
    resetPeak();
    let shown = -1;
    const file = await upload(cookie, size, (sent) => {
      // Every percent on a terminal (rewriting one line); every 25% in a log.
      const step = process.stdout.isTTY ? 1 : 25;
      const percent = Math.floor(((sent / size) * 100) / step) * step;
      if (percent === shown) return;
      shown = percent;
      if (process.stdout.isTTY) process.stdout.write(`\r  uploading ${mb(size)}: ${percent}%   `);
      else console.log(`  uploading ${mb(size)}: ${percent}%`);
    });
    const uploadPeak = memory().peak;
    resetPeak();
    await download(cookie, file.contentUrl, size);
    const downloadPeak = memory().peak;
    if (process.stdout.isTTY) process.stdout.write('\r'.padEnd(40) + '\r');
    growth.push(Math.max(uploadPeak, downloadPeak) - before.rss);
    console.log(
      `  ${mb(size).padStart(6)} file | RSS before ${mb(before.rss)} | upload peak +${mb(uploadPeak - before.rss)}` +
        ` (${ratio(uploadPeak - before.rss, size)} of the file) | download peak +${mb(downloadPeak - before.rss)}` +
        ` (${ratio(downloadPeak - before.rss, size)})`,
    );
  }
  const [small = 0, large = 0] = growth;
  console.log(
    `\n  File size grew ${ratio(sizes[1] ?? 0, sizes[0] ?? 1)}; the API's extra memory grew ${ratio(large, small)}.\n` +
      `  A 10x larger file should not need 10x the memory: the extra memory is bounded by the\n` +
      `  multipart upload's part buffers (5 MB parts, a few in flight), not by the file size.\n`,
  );
} finally {
  await api.stop();
  await database.drop();
  await s3.stop();
}

function memory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${api.child.pid ?? 0}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux), so each phase has its own peak.
function resetPeak() {
  writeFileSync(`/proc/${api.child.pid ?? 0}/clear_refs`, '5');
}

async function signUp(): Promise<string> {
  const res = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-${Date.now()}@example.com`,
      password: 'benchmark password',
    }),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status}`);
  // The session cookie; a device cookie (sign-in throttling) comes with it.
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('shipshape.sid='));
  return (session ?? '').split(';')[0] ?? '';
}

// A multipart body generated as it is sent: the bench process does not hold the file either.
async function upload(cookie: string, size: number, onProgress: (sent: number) => void) {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\n` +
      `Content-Type: application/pdf\r\n\r\n%PDF-1.7\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  let sent = 9; // the %PDF header above counts as file bytes
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(head);
    },
    pull(controller) {
      if (sent >= size) {
        controller.enqueue(tail);
        controller.close();
        return;
      }
      const chunk = randomBytes(Math.min(256 * 1024, size - sent));
      sent += chunk.length;
      onProgress(sent);
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(`${base}/api/files`, {
    method: 'POST',
    headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: 'half',
  });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { contentUrl: string };
}

async function download(cookie: string, url: string, size: number) {
  const res = await fetch(`${base}${url}`, { headers: { cookie } });
  let received = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
    received += chunk.length;
  if (received !== size) throw new Error(`downloaded ${received} bytes, expected ${size}`);
}

function mb(bytes: number) {
  return `${(bytes / MB).toFixed(1)} MB`;
}

function ratio(part: number, whole: number) {
  return `${(part / whole).toFixed(2)}x`;
}
