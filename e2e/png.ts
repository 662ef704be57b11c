// PNG files made in a few lines, for tests that need real images of a given size.
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/** A PNG chunk: its length, type and data, then a checksum of type and data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, checksum]);
}

/**
 * A real PNG of random pixels. Noise does not compress, so 1200 × 800 makes about 3 MB:
 * enough for the progress bar to have something to show.
 */
export function noisyPng(width: number, height: number): Buffer {
  return png(width, height, (rows) => randomBytes(rows));
}

/** A PNG of one flat colour: it compresses to almost nothing, whatever its size. */
export function flatPng(width: number, height: number): Buffer {
  return png(width, height, (rows) => Buffer.alloc(rows, 0x60));
}

function png(width: number, height: number, pixels: (length: number) => Buffer): Buffer {
  const header = Buffer.alloc(13); // compression, filter and interlace methods stay 0
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // colour type: RGB
  // Each row starts with its filter type, 0 (none), then three bytes a pixel.
  const rowLength = 1 + width * 3;
  const rows = pixels(rowLength * height);
  for (let row = 0; row < height; row++) rows[row * rowLength] = 0;
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
