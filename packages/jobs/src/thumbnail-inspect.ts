// Reads an uploaded object once, as a stream: its size and SHA-256 always, and for
// images their dimensions and a thumbnail, decoded from that same stream.
import { createHash } from 'node:crypto';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp, { type Sharp } from 'sharp';
import { permanentFailure } from './failure';

const imageTypes = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

const THUMBNAIL_SIZE = 256;

export const IMAGE_UNREADABLE = 'This image could not be read: it may be damaged.';

export interface Inspection {
  sha256: string;
  size: number;
  /** Undefined for anything that is not an image. */
  image: { width: number; height: number; thumbnail: Buffer } | undefined;
}

export async function inspectUpload(body: Readable, contentType: string): Promise<Inspection> {
  const measure = measuring();
  if (!imageTypes.has(contentType)) {
    await pipeline(body, measure.stream, discard());
    return { ...measure.result(), image: undefined };
  }
  // sharp gathers a streamed input in memory before decoding (UPLOAD_MAX_BYTES bounds it);
  // other files only ever pass through in chunks.
  const input = sharp();
  // A failed download rejects the pipeline, and with it this Promise.all: the decoder never
  // starts, as its input never finished, so a broken connection is not blamed on the image.
  const [, image] = await Promise.all([pipeline(body, measure.stream, input), readImage(input)]);
  return { ...measure.result(), image };
}

async function readImage(input: Sharp): Promise<NonNullable<Inspection['image']>> {
  try {
    const [metadata, thumbnail] = await Promise.all([
      input.metadata(),
      input
        .clone()
        .autoOrient()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .webp()
        .toBuffer(),
    ]);
    // As displayed: a portrait photo stored sideways with an EXIF rotation counts as portrait.
    return { ...metadata.autoOrient, thumbnail };
  } catch (error) {
    // Bytes that do not decode will not decode next time either: no retry. The decoder's own
    // words ("VipsJpeg: premature end of input") help in the log, not the user.
    throw permanentFailure(IMAGE_UNREADABLE, error);
  }
}

/** Passes bytes through unchanged, counting and hashing them on the way. */
function measuring() {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), size }) };
}

/** A destination that drops what it receives: some files only need measuring. */
function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
}
