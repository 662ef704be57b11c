// Reads a multipart/form-data request with busboy, one part at a time as it arrives:
// the file part is handed over as a stream, so no upload is ever held whole in memory or on disk.
// A refusal settles at once, whatever is left of the body: reading stops here, and the answer
// then closes the connection (http/unread-body.ts) rather than reading the rest to throw it away.
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { HttpError } from '../http/errors';

export interface IncomingFile {
  stream: Readable;
  filename: string | undefined;
  /** Form fields sent before the file part (fields after it arrive too late to be seen). */
  fields: Record<string, string>;
  /**
   * Aborted when the file passes the size limit, the client goes away or the server stops for
   * good; `reason` is the HttpError that says which. The stream is destroyed with it.
   */
  signal: AbortSignal;
}

export interface ReceiveOptions {
  maxBytes: number;
  /** Aborted when the server's shutdown grace period runs out: uploads still running give up. */
  deadline?: AbortSignal | undefined;
}

// Room for the form fields and part headers that come before the file part (at most 10 fields
// of 1 KB). A body with no file part within this many bytes will never have a usable one.
const FIELDS_ALLOWANCE = 64 * 1024;

const tooLarge = (maxBytes: number) =>
  new HttpError(413, 'file_too_large', `Files can be at most ${formatBytes(maxBytes)}.`);
const fileMissing = () => new HttpError(400, 'file_missing', 'Attach a file in the "file" field.');
const interrupted = () => new HttpError(400, 'upload_interrupted', 'The upload was interrupted.');
const shuttingDown = () =>
  new HttpError(503, 'shutting_down', 'The server is restarting. Send the file again in a moment.');

export function receiveFile<T>(
  req: Request,
  { maxBytes, deadline }: ReceiveOptions,
  handle: (file: IncomingFile) => Promise<T>,
): Promise<T> {
  // Browsers send the length up front: a body that cannot fit is refused before it is read.
  if (Number(req.headers['content-length']) > maxBytes + FIELDS_ALLOWANCE) {
    return Promise.reject(tooLarge(maxBytes));
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Browsers send non-ASCII filenames as raw UTF-8; busboy would read them as latin1.
      defParamCharset: 'utf8',
      limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024 },
    });
  } catch {
    return Promise.reject(
      new HttpError(400, 'expected_multipart', 'Send the file as multipart/form-data.'),
    );
  }
  if (deadline?.aborted) return Promise.reject(shuttingDown());

  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {};
    const aborter = new AbortController();
    let file: Readable | undefined;
    let outcome: Promise<T> | undefined;
    let received = 0;
    let bodyRead = false;
    let settled = false;

    // Every refusal goes through the abort: with no handler running it settles at once; with
    // one, the file stream fails so the handler stops, removes what it stored and rejects.
    const refuse = (error: HttpError) => {
      aborter.abort(error);
    };
    const onRequestClose = () => {
      if (!req.complete) refuse(interrupted());
    };
    const onDeadline = () => {
      refuse(shuttingDown());
    };
    // Counted after busboy has parsed the same bytes (it was piped first), so a file part that
    // starts in this chunk has been seen by now.
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (!outcome && received > FIELDS_ALLOWANCE) refuse(fileMissing());
    };

    // Once refused, not one more byte is read here; the connection is closed after the answer.
    // The parser is destroyed on the next tick, not now: a refusal can be decided inside one of
    // busboy's own events ('limit' is emitted in the middle of its write), and busboy goes on
    // using the file stream a destroy has just taken away. It then throws from inside the
    // request's 'data' event, outside any handler: a crash on Node 20 and 22, a parser quietly
    // destroyed on 24, whose pipe() catches what write() throws (busboy 1.6,
    // lib/types/multipart.js: `emit('limit')`, then `this._fileStream.truncated = true`).
    function stopReading() {
      req.off('data', onData);
      req.unpipe(parser);
      process.nextTick(() => parser.destroy());
    }

    function stopListening() {
      settled = true;
      req.off('close', onRequestClose);
      req.off('data', onData);
      deadline?.removeEventListener('abort', onDeadline);
    }

    function fail(error: unknown) {
      if (settled) return;
      stopListening();
      stopReading();
      const reason: unknown = aborter.signal.aborted ? aborter.signal.reason : error;
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    }

    function succeed(value: T) {
      if (settled) return;
      stopListening();
      resolve(value);
    }

    aborter.signal.addEventListener(
      'abort',
      () => {
        stopReading();
        file?.destroy(aborter.signal.reason as Error);
        if (!outcome) fail(aborter.signal.reason);
      },
      { once: true },
    );
    req.once('close', onRequestClose);
    deadline?.addEventListener('abort', onDeadline, { once: true });

    parser.on('field', (name, value) => {
      fields[name] = value;
    });

    parser.on('file', (_field, stream, info) => {
      if (outcome) {
        stream.resume(); // one file per request; skip any other
        return;
      }
      file = stream;
      // The handler reads the stream and hears about its errors that way; this listener only
      // keeps an error raised after the handler has let go from crashing the process.
      stream.on('error', () => {});
      stream.once('limit', () => {
        refuse(tooLarge(maxBytes));
      });
      outcome = handle({
        stream,
        filename: info.filename,
        fields: { ...fields },
        signal: aborter.signal,
      });
      outcome.then((value) => {
        // Success is answered once the whole body is read, so nothing is left unread.
        if (bodyRead) succeed(value);
      }, fail);
    });

    parser.on('error', () => {
      refuse(new HttpError(400, 'malformed_multipart', 'The multipart body could not be read.'));
    });

    parser.once('close', () => {
      bodyRead = true;
      if (!outcome) {
        refuse(fileMissing());
        return;
      }
      outcome.then(succeed, fail);
    });

    req.pipe(parser);
    req.on('data', onData);
  });
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit] ?? ''}`;
}
