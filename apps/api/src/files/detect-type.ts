// The type of an upload is decided from its first bytes, never from what the client claims:
// a renamed executable is not a PNG because its name ends in .png. The name still counts
// against a file: one that claims an accepted type its bytes do not have is refused, so that
// "page.png" is never stored and listed as text.
import { extname } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { HttpError } from '../http/errors';

// The accepted types, with the extensions their files usually carry and how a sentence names them.
const accepted = {
  'image/png': { extensions: ['.png'], noun: 'a PNG image' },
  'image/jpeg': { extensions: ['.jpg', '.jpeg'], noun: 'a JPEG image' },
  'image/webp': { extensions: ['.webp'], noun: 'a WebP image' },
  'image/gif': { extensions: ['.gif'], noun: 'a GIF image' },
  'application/pdf': { extensions: ['.pdf'], noun: 'a PDF document' },
  'text/plain': { extensions: ['.txt'], noun: 'text' },
} as const;

export type AllowedType = keyof typeof accepted;

export const allowedTypes = Object.keys(accepted) as AllowedType[];

/** How many leading bytes detection looks at (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

const notAccepted = () =>
  new HttpError(
    415,
    'unsupported_type',
    'This type of file is not accepted. Upload a PNG, JPEG, WebP or GIF image, a PDF or plain text.',
  );

const notWhatItsNameSays = (filename: string, claimed: AllowedType, detected: AllowedType) =>
  new HttpError(
    415,
    'type_mismatch',
    `${filename} is not ${accepted[claimed].noun}: it looks like ${accepted[detected].noun}.`,
  );

/**
 * The type of an upload from its first bytes (`head`), checked against its cleaned `filename`.
 * Throws a 415 when the bytes are of no accepted type, or when the name's extension is one of
 * an accepted type that the bytes are not. Other extensions, or none, leave it to the bytes.
 */
export async function decideType(head: Buffer, filename: string): Promise<AllowedType> {
  const detected = await detectType(head);
  if (!isAllowedType(detected)) throw notAccepted();
  const claimed = typeNamedBy(filename);
  if (claimed !== undefined && claimed !== detected) {
    throw notWhatItsNameSays(filename, claimed, detected);
  }
  return detected;
}

async function detectType(head: Buffer): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeText(head) ? 'text/plain' : undefined;
}

const isAllowedType = (type: string | undefined): type is AllowedType =>
  type !== undefined && Object.hasOwn(accepted, type);

/** The accepted type whose usual extension `filename` ends with, if any. */
function typeNamedBy(filename: string): AllowedType | undefined {
  const extension = extname(filename).toLowerCase();
  return allowedTypes.find((type) =>
    (accepted[type].extensions as readonly string[]).includes(extension),
  );
}

// UTF-8 without control characters other than tab, newline and carriage return.
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
