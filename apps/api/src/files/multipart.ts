// Reads a multipart/form-data request with busboy, one part at a time as it arrives:
// the file part is handed over as a stream, so no upload is ever held whole in memory or on disk.
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { HttpError } from '../http/errors';

export interface IncomingFile {
  stream: Readable;
  filename: string | undefined;
  /** Form fields sent before the file part (fields after it arrive too late to be seen). */
  fields: Record<string, string>;
  /** Aborted when the file passes the size limit or the client goes away; `reason` says which. */
  signal: AbortSignal;
}

export function receiveFile<T>(
  req: Request,
  { maxBytes }: { maxBytes: number },
  handle: (file: IncomingFile) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024 },
      });
    } catch {
      reject(new HttpError(400, 'expected_multipart', 'Send the file as multipart/form-data.'));
      return;
    }

    const fields: Record<string, string> = {};
    const aborter = new AbortController();
    let outcome: Promise<T> | undefined;

    req.once('close', () => {
      if (!req.complete) {
        aborter.abort(new HttpError(400, 'upload_interrupted', 'The upload was interrupted.'));
      }
    });

    parser.on('field', (name, value) => {
      fields[name] = value;
    });

    parser.on('file', (_field, stream, info) => {
      if (outcome) {
        stream.resume(); // one file per request; skip any other
        return;
      }
      stream.once('limit', () => {
        aborter.abort(
          new HttpError(413, 'file_too_large', `Files can be at most ${formatBytes(maxBytes)}.`),
        );
      });
      outcome = handle({
        stream,
        filename: info.filename,
        fields: { ...fields },
        signal: aborter.signal,
      });
      // Whatever happens to the file, read the request to its end so the answer reaches the client.
      outcome.catch(() => stream.resume());
    });

    parser.once('error', () => {
      reject(new HttpError(400, 'malformed_multipart', 'The multipart body could not be read.'));
    });

    parser.once('close', () => {
      if (!outcome) {
        reject(new HttpError(400, 'file_missing', 'Attach a file in the "file" field.'));
        return;
      }
      outcome.then(resolve, reject);
    });

    req.pipe(parser);
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
