// Uploads for specs that need files in place but do not test the upload form: the page's own
// client (apps/web/public/upload-client.js) run in the test process, its requests sent by
// Playwright's request context, so they carry the page's session cookie and reach the bucket
// wherever the project's API signs part URLs for.
import type { APIRequestContext } from '@playwright/test';
import { uploadFile, type PublicFile } from '../apps/web/public/upload-client.js';

/** fetch, as the client calls it, made by `request` (relative URLs go to the project's site). */
function fetchThrough(request: APIRequestContext): typeof fetch {
  return (async (url: string, init: RequestInit = {}) => {
    const body = init.body instanceof Blob ? Buffer.from(await init.body.arrayBuffer()) : init.body;
    const answer = await request.fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      ...(body !== undefined && body !== null && { data: body as string | Buffer }),
    });
    const status = answer.status();
    return new Response(status === 204 ? null : await answer.body(), {
      status,
      headers: answer.headers(),
    });
  }) as typeof fetch;
}

/** Uploads `file` as the page does and resolves with it as the API presents it. */
export function uploadThroughApi(
  request: APIRequestContext,
  file: { name: string; mimeType: string; buffer: Buffer },
): Promise<PublicFile> {
  return uploadFile({
    file: new File([file.buffer], file.name, { type: file.mimeType }),
    fetch: fetchThrough(request),
  });
}
