// The types an upload may have, and the type of one decided from its first bytes. The API checks
// the declared type against this list when an upload starts; the thumbnail job then checks the
// bytes, which are the only thing that cannot lie: a renamed executable is not a PNG because its
// name ends in .png.
import { extname } from 'node:path';

// The accepted types, with the extensions their files usually carry and how a sentence names them.
const accepted = {
  'image/png': { extensions: ['.png'], noun: 'a PNG image' },
  'image/jpeg': { extensions: ['.jpg', '.jpeg'], noun: 'a JPEG image' },
  'image/webp': { extensions: ['.webp'], noun: 'a WebP image' },
  'image/gif': { extensions: ['.gif'], noun: 'a GIF image' },
  'application/pdf': { extensions: ['.pdf'], noun: 'a PDF document' },
  'text/plain': { extensions: ['.txt'], noun: 'text' },
} as const;

export type AcceptedType = keyof typeof accepted;

export const acceptedTypes = Object.keys(accepted) as AcceptedType[];

/** How many leading bytes decide the type (file-type's sample size, which this follows). */
export const SNIFF_BYTES = 4100;

export const isAcceptedType = (type: string | undefined): type is AcceptedType =>
  type !== undefined && Object.hasOwn(accepted, type);

/** How a sentence names a type: "a PNG image". */
export const typeNoun = (type: AcceptedType): string => accepted[type].noun;

/** The accepted type whose usual extension `filename` ends with, if any. */
export function typeNamedBy(filename: string): AcceptedType | undefined {
  const extension = extname(filename).toLowerCase();
  return acceptedTypes.find((type) =>
    (accepted[type].extensions as readonly string[]).includes(extension),
  );
}

// Each format's signature at the start of the file, as its specification writes it: PNG (RFC 2083,
// 3.1), JPEG's SOI marker and the next marker's first byte, GIF87a/89a, WebP's RIFF container
// (RIFF, a length, WEBP), and PDF's header (ISO 32000-1, 7.5.2).
const signatures: { type: AcceptedType; test: (head: Buffer) => boolean }[] = [
  { type: 'image/png', test: startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/jpeg', test: startsWith([0xff, 0xd8, 0xff]) },
  { type: 'image/gif', test: (head) => /^GIF8[79]a/.test(head.toString('latin1', 0, 6)) },
  {
    type: 'image/webp',
    test: (head) =>
      head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP',
  },
  { type: 'application/pdf', test: (head) => head.toString('latin1', 0, 5) === '%PDF-' },
];

/** The accepted type `head` (the first SNIFF_BYTES bytes or fewer) has, or undefined for none. */
export function sniffType(head: Buffer): AcceptedType | undefined {
  const match = signatures.find(({ test }) => test(head));
  if (match) return match.type;
  return looksLikeText(head) ? 'text/plain' : undefined;
}

function startsWith(bytes: number[]) {
  return (head: Buffer) => head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

// UTF-8 without control characters other than tab, newline and carriage return: this is what
// rules out executables, archives and every binary format not listed above.
// The sample may end in the middle of a multi-byte character, so up to 3 bytes are forgiven.
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  for (let cut = 0; cut <= Math.min(3, head.length - 1); cut++) {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(
        head.subarray(0, head.length - cut),
      );
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text);
    } catch {
      // invalid UTF-8 at this cut: try a shorter one
    }
  }
  return false;
}
