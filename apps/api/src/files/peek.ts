import { Readable } from 'node:stream';

/**
 * Reads the first `size` bytes of a stream without losing them: returns those bytes and the
 * stream with them put back in front (`unshift`), so what the caller holds afterwards is the
 * original stream itself. Destroying or draining it therefore reaches the source at once:
 * nothing sits in between that could keep it paused or wait for data that never comes.
 */
export async function peekStream(
  stream: Readable,
  size: number,
): Promise<{ head: Buffer; body: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < size && !ended) {
    const chunk = stream.read() as Buffer | null;
    if (chunk === null) {
      ended = !(await moreToRead(stream));
      continue;
    }
    chunks.push(chunk);
    length += chunk.length;
  }

  const head = Buffer.concat(chunks);
  // Once 'end' has been emitted nothing can be put back: the whole file is in `head`.
  if (ended) return { head: head.subarray(0, size), body: Readable.from([head]) };
  stream.unshift(head);
  return { head: head.subarray(0, size), body: stream };
}

/** Resolves true when more can be read, false at the end; rejects if the stream is destroyed. */
function moreToRead(stream: Readable): Promise<boolean> {
  return new Promise((resolve, reject) => {
    if (stream.readableEnded) {
      resolve(false);
      return;
    }
    if (stream.destroyed) {
      reject(stream.errored ?? new Error('The stream was closed before its end.'));
      return;
    }
    const settle = (outcome: boolean | Error) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', settle);
      stream.off('close', onClose);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onReadable = () => {
      settle(true);
    };
    const onEnd = () => {
      settle(false);
    };
    const onClose = () => {
      settle(new Error('The stream was closed before its end.'));
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', settle);
    stream.once('close', onClose);
  });
}
