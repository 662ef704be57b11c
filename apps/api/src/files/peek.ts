import { Readable } from 'node:stream';

/**
 * Reads the first `size` bytes of a stream without losing them: returns those bytes and a
 * stream that replays them followed by the rest. Nothing beyond the first chunks is buffered.
 */
export async function peekStream(
  stream: Readable,
  size: number,
): Promise<{ head: Buffer; body: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }

  async function* replay() {
    yield* chunks;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield next.value;
    }
  }
  return { head: Buffer.concat(chunks).subarray(0, size), body: Readable.from(replay()) };
}
