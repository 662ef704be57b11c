// Uploads a file the way the browser does (apps/web/public/upload-client.js): start it with the
// API, PUT each part straight to the bucket on the URL the API signed, then complete it.
import { extname } from 'node:path';
import type request from 'supertest';
import { expect } from 'vitest';
import type { StartedUpload } from '../../web/public/upload-client.js';

type Agent = ReturnType<typeof request.agent>;

// What a browser's File.type says for these extensions; '' for any other, as browsers do.
const browserTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
};

export interface FileToUpload {
  name: string;
  bytes: Buffer;
  /** The declared type; by default what a browser would say for the name. */
  type?: string;
  noteId?: string;
}

export function startBody({ name, bytes, type, noteId }: FileToUpload) {
  return {
    name,
    size: bytes.length,
    type: type ?? browserTypes[extname(name).toLowerCase()] ?? '',
    ...(noteId && { noteId }),
  };
}

export async function startUpload(agent: Agent, file: FileToUpload): Promise<StartedUpload> {
  const res = await agent.post('/api/files/uploads').send(startBody(file));
  expect(res.status, res.text).toBe(201);
  return res.body.upload as StartedUpload;
}

/** PUTs the parts asked for, several at once, and returns each part's number and ETag. */
export async function sendParts(
  agent: Agent,
  upload: StartedUpload,
  bytes: Buffer,
  partNumbers = Array.from({ length: upload.partCount }, (_, i) => i + 1),
) {
  const res = await agent.post(`/api/files/uploads/${upload.id}/parts`).send({ partNumbers });
  expect(res.status, res.text).toBe(200);
  const parts = res.body.parts as { partNumber: number; url: string; size: number }[];
  return Promise.all(
    parts.map(async ({ partNumber, url, size }) => {
      const start = (partNumber - 1) * upload.partSize;
      const put = await fetch(url, { method: 'PUT', body: bytes.subarray(start, start + size) });
      expect(put.status, await put.clone().text()).toBe(200);
      return { partNumber, etag: put.headers.get('etag') ?? '' };
    }),
  );
}

/** The whole protocol; resolves with the completion's response (201 and `{ file }` when it worked). */
export async function uploadThrough(agent: Agent, file: FileToUpload) {
  const upload = await startUpload(agent, file);
  const parts = await sendParts(agent, upload, file.bytes);
  return agent.post(`/api/files/uploads/${upload.id}/complete`).send({ parts });
}

/** The whole protocol, expecting success; resolves with the file as the API shows it. */
export async function upload(agent: Agent, file: FileToUpload) {
  const res = await uploadThrough(agent, file);
  expect(res.status, res.text).toBe(201);
  return res.body.file as { id: string; contentUrl: string; thumbnailUrl: string | null } & Record<
    string,
    unknown
  >;
}
