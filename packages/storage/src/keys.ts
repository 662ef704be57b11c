// Where each kind of object lives in the bucket. Everything a user owns sits under
// users/<userId>/, so deleting an account is one prefix listing.

// Ids come from the server (uuids), never from a request; this guard keeps it that way.
const safeId = /^[A-Za-z0-9_-]+$/;

function checkId(id: string): string {
  if (!safeId.test(id)) throw new Error(`Refusing to build a storage key from id "${id}"`);
  return id;
}

export function userPrefix(userId: string): string {
  return `users/${checkId(userId)}/`;
}

export function fileKey(userId: string, fileId: string): string {
  return `${userPrefix(userId)}files/${checkId(fileId)}`;
}

export function thumbnailKey(userId: string, fileId: string): string {
  return `${userPrefix(userId)}thumbnails/${checkId(fileId)}.webp`;
}

export function exportKey(userId: string, exportId: string): string {
  return `${userPrefix(userId)}exports/${checkId(exportId)}.json`;
}
