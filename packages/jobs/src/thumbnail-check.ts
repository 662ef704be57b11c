// Whether an uploaded object is what its upload declared. The browser sent it straight to the
// bucket, so this is the first time anything of ours sees its bytes: a file of another type, or
// another size, is refused here, and the sentence returned is what the user reads.
import type { FileRow } from '@shipshape/db';
import type { Storage } from '@shipshape/storage';
import { isAcceptedType, SNIFF_BYTES, sniffType, typeNoun } from './thumbnail-type';

/** Why `file`'s object must not be kept, or undefined when it is what was declared. */
export async function refusalOf(storage: Storage, file: FileRow): Promise<string | undefined> {
  const info = await storage.head(file.objectKey);
  // Transient, not a refusal: a replicated store may not show a new object everywhere at once.
  if (!info) throw new Error('The uploaded file is missing from storage');
  // The declared size is the one checked against the size limit and the quota.
  if (file.size !== null && info.size !== file.size) {
    return `${file.originalName} is not the size it was announced with when its upload began, so it was not kept. Upload it again.`;
  }
  const detected = sniffType(await readHead(storage, file.objectKey));
  if (detected === file.contentType) return undefined;
  const declared = isAcceptedType(file.contentType) ? typeNoun(file.contentType) : 'accepted';
  return detected
    ? `${file.originalName} is not ${declared}: it looks like ${typeNoun(detected)}, so it was not kept.`
    : `${file.originalName} is not ${declared}, nor any type of file accepted here, so it was not kept.`;
}

/** The object's first SNIFF_BYTES bytes (fewer for a smaller file); the rest is never fetched. */
async function readHead(storage: Storage, key: string): Promise<Buffer> {
  const object = await storage.getStream(key);
  if (!object) throw new Error('The uploaded file is missing from storage');
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of object.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= SNIFF_BYTES) break;
    }
  } finally {
    object.body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, SNIFF_BYTES);
}
