// The type of an upload is decided from its first bytes, never from what the client claims:
// a renamed executable is not a PNG because its name ends in .png.
import { fileTypeFromBuffer } from 'file-type';

export const allowedTypes = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'application/pdf',
  'text/plain',
] as const;

/** How many leading bytes detection looks at (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

export async function detectType(head: Buffer): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeText(head) ? 'text/plain' : undefined;
}

export const isAllowedType = (type: string | undefined): type is (typeof allowedTypes)[number] =>
  allowedTypes.includes(type as (typeof allowedTypes)[number]);

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
