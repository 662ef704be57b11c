// What the fault tests do on the site as a person does it, through a Client: sign up, and
// upload a file as the page does (apps/web/public/upload-client.js).
import { randomBytes } from 'node:crypto';
import type { SignedPart, StartedUpload } from '../../apps/web/public/upload-client.js';
import { send, type Client, type Reply } from '@shipshape/stack/http';

export const password = 'correct horse battery staple';

export function uniqueEmail(label = 'faults'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}

/** Registers a new account on `client`, which then holds its session. */
export async function signUp(client: Client, email = uniqueEmail()) {
  const res = await client.post('/api/auth/register', { json: { email, password } });
  if (res.status !== 201) throw new Error(`sign-up answered ${res.status}: ${res.text}`);
  return res.json.user as { id: string; email: string };
}

/**
 * Starts an upload with the API, PUTs the parts to the bucket on the URLs the API signs (the
 * site's own origin in the stack, so with Caddy's CA), completes it. The first refusal, or
 * the completion with the file as its json.
 */
export async function upload(
  client: Client,
  name: string,
  bytes: Buffer,
  contentType: string,
): Promise<Reply> {
  const started = await client.post('/api/files/uploads', {
    json: { name, size: bytes.length, type: contentType },
  });
  if (started.status !== 201) return started;
  const { id, partSize, partCount } = started.json.upload as StartedUpload;
  const partNumbers = Array.from({ length: partCount }, (_, i) => i + 1);
  const signed = await client.post(`/api/files/uploads/${id}/parts`, { json: { partNumbers } });
  if (signed.status !== 200) return signed;
  const parts = await Promise.all(
    (signed.json.parts as SignedPart[]).map(async ({ partNumber, url, size }) => {
      const from = (partNumber - 1) * partSize;
      const put = await send(url, {
        method: 'PUT',
        body: bytes.subarray(from, from + size),
        ca: client.options.ca,
      });
      const etag = put.headers.etag;
      if (put.status !== 200 || !etag) throw new Error(`a part PUT answered ${put.status}`);
      return { partNumber, etag };
    }),
  );
  const completed = await client.post(`/api/files/uploads/${id}/complete`, { json: { parts } });
  return completed.status === 201 ? { ...completed, json: completed.json.file } : completed;
}
