// Test bodies made on the fly, so a 50 MB upload never exists in memory at once.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** A stream of `totalBytes` random bytes, hashed as they are produced. */
export function randomStream(totalBytes: number) {
  const hash = createHash('sha256');
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(CHUNK, totalBytes - produced));
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, produced: () => produced, sha256: () => hash.digest('hex') };
}

/** A stream that sends `bytesBeforeFailure` bytes, then fails as a dropped client connection would. */
export function failingStream(bytesBeforeFailure: number): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= bytesBeforeFailure) {
        this.destroy(new Error('source failed'));
        return;
      }
      produced += CHUNK;
      this.push(randomBytes(CHUNK));
    },
  });
}

export async function sha256Of(body: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
