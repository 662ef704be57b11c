// Types for upload-client.js, for the TypeScript that imports it (bench/upload.ts, the tests).
// The browser never asks for this file.

/** The file as the API presents it (apps/api/src/files/present.ts). */
export interface PublicFile {
  id: string;
  name: string;
  status: string;
  size: number | null;
  contentType: string;
  [field: string]: unknown;
}

/** The API's answer to POST /api/files/uploads (docs/decisions/031-uploads-straight-to-s3.md). */
export interface StartedUpload {
  id: string;
  partSize: number;
  partCount: number;
}

/** One part as POST /api/files/uploads/:id/parts signs it: PUT `size` bytes to `url`. */
export interface SignedPart {
  partNumber: number;
  url: string;
  size: number;
}

export declare class UploadError extends Error {
  constructor(
    status: number,
    error: { code: string; message: string; fields?: Record<string, string> },
  );
  status: number;
  code: string;
  fields: Record<string, string>;
}

/** What the client reads of a file: a Blob, or anything that slices like one. */
export interface UploadSource {
  size: number;
  name?: string;
  type?: string;
  slice(start: number, end: number): Blob;
}

export declare function uploadFile(options: {
  file: UploadSource;
  noteId?: string;
  apiBase?: string;
  fetch?: typeof globalThis.fetch;
  concurrency?: number;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  onWaitingForNetwork?: (waiting: boolean) => void;
  signal?: AbortSignal;
  /** The first pause before a part is tried again; later ones double. Default 1000. */
  retryDelayMs?: number;
}): Promise<PublicFile>;
