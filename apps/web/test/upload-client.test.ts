// The upload client (public/upload-client.js) against a stand-in for the API and the bucket,
// reached through the fetch it is given: parts in parallel, one progress figure, a failed part
// sent again alone, a lost connection resumed at fresh URLs, and cancelling.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UploadError, uploadFile } from '../public/upload-client.js';

const PART = 1024;

interface Put {
  partNumber: number;
  url: string;
  bytes: number;
}

/**
 * The API of the upload contract and a bucket, in memory. `failPut(put)` may answer a part's PUT
 * with a status, or 'network' for no answer at all; it sees every PUT in order.
 */
function fakeService(
  options: { failPut?: (put: Put, index: number) => number | 'network' | undefined } = {},
) {
  const calls: string[] = [];
  const puts: Put[] = [];
  const stored = new Map<number, number>();
  const urlsAsked: number[][] = [];
  let completedWith: { partNumber: number; etag: string }[] | null = null;
  let deleted = false;
  let active = 0;
  let mostActive = 0;
  let urlVersion = 0;
  let loseCompleteAnswer = false;

  const json = (status: number, body: unknown) =>
    new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });

  // The client always passes a string URL, and JSON bodies as strings.
  const fetch = async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://site.test');
    const method = init.method ?? 'GET';
    if (url.host === 'bucket.test') {
      const partNumber = Number(url.searchParams.get('partNumber'));
      const body = init.body as Blob;
      const put = { partNumber, url: url.href, bytes: body.size };
      const failure = options.failPut?.(put, puts.length);
      puts.push(put);
      active++;
      mostActive = Math.max(mostActive, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      init.signal?.throwIfAborted();
      if (failure === 'network') throw new TypeError('fetch failed');
      if (failure)
        return new Response('<Error><Code>InternalError</Code></Error>', { status: failure });
      stored.set(partNumber, body.size);
      return new Response(null, { status: 200, headers: { ETag: `"etag-${partNumber}"` } });
    }

    calls.push(`${method} ${url.pathname}`);
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    if (method === 'POST' && url.pathname === '/api/files/uploads') {
      const partCount = Math.ceil(body.size / PART);
      return json(201, { upload: { id: 'u1', partSize: PART, partCount } });
    }
    if (method === 'POST' && url.pathname === '/api/files/uploads/u1/parts') {
      urlsAsked.push(body.partNumbers);
      urlVersion++;
      return json(200, {
        parts: body.partNumbers.map((partNumber: number) => ({
          partNumber,
          url: `http://bucket.test/key?partNumber=${partNumber}&v=${urlVersion}`,
        })),
      });
    }
    if (method === 'POST' && url.pathname === '/api/files/uploads/u1/complete') {
      if (completedWith) {
        return json(409, { error: { code: 'already_completed', message: 'Done already.' } });
      }
      completedWith = body.parts;
      if (loseCompleteAnswer) throw new TypeError('fetch failed');
      return json(201, { file: { id: 'u1', status: 'uploaded' } });
    }
    if (method === 'GET' && url.pathname === '/api/files/u1') {
      return json(200, { id: 'u1', status: 'uploaded' });
    }
    if (method === 'DELETE' && url.pathname === '/api/files/uploads/u1') {
      deleted = true;
      return json(204, null);
    }
    return json(404, { error: { code: 'not_found', message: 'No such thing.' } });
  };

  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    calls,
    puts,
    stored,
    urlsAsked,
    completed: () => completedWith,
    deleted: () => deleted,
    mostActive: () => mostActive,
    loseCompleteAnswer() {
      loseCompleteAnswer = true;
    },
  };
}

const fileOf = (bytes: number) =>
  new File([new Uint8Array(bytes).fill(7)], 'report.pdf', { type: 'application/pdf' });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('uploadFile', () => {
  it('sends every part, four at a time, and completes with their ETags in order', async () => {
    const service = fakeService();
    const progress: number[] = [];
    const file = await uploadFile({
      file: fileOf(10 * PART + 10),
      fetch: service.fetch,
      onProgress: (sent, total) => {
        expect(total).toBe(10 * PART + 10);
        progress.push(sent);
      },
    });

    expect(file).toEqual({ id: 'u1', status: 'uploaded' });
    expect(service.mostActive()).toBe(4);
    expect([...service.stored.values()].reduce((a, b) => a + b)).toBe(10 * PART + 10);
    expect(service.completed()).toEqual(
      Array.from({ length: 11 }, (_, i) => ({ partNumber: i + 1, etag: `"etag-${i + 1}"` })),
    );
    // One figure for all parts, which only grows and ends at the whole file.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(10 * PART + 10);
    // One batch of URLs covers all eleven parts.
    expect(service.urlsAsked).toHaveLength(1);
  });

  it('sends a part the bucket failed again, and only that part', async () => {
    const service = fakeService({
      failPut: (put, index) => (put.partNumber === 3 && index < 4 ? 503 : undefined),
    });
    await uploadFile({ file: fileOf(6 * PART), fetch: service.fetch, retryDelayMs: 1 });

    const sent = service.puts.map((put) => put.partNumber).sort((a, b) => a - b);
    expect(sent).toEqual([1, 2, 3, 3, 4, 5, 6]);
    expect(service.completed()).toHaveLength(6);
  });

  it('waits out a lost connection and sends only the parts not done, to fresh URLs', async () => {
    // The connection drops while parts 5 to 8 are on their way: the first four are stored.
    const service = fakeService({
      failPut: (put, index) => (index >= 4 && index < 8 ? 'network' : undefined),
    });
    const waiting: boolean[] = [];
    await uploadFile({
      file: fileOf(12 * PART),
      fetch: service.fetch,
      retryDelayMs: 1,
      onWaitingForNetwork: (value) => waiting.push(value),
    });

    const partsSent = service.puts.map((put) => put.partNumber);
    for (const done of [1, 2, 3, 4]) expect(partsSent.filter((n) => n === done)).toHaveLength(1);
    expect(service.stored.size).toBe(12);
    // Fresh URLs were asked for, never again for a part already stored.
    expect(service.urlsAsked.length).toBeGreaterThan(1);
    for (const asked of service.urlsAsked.slice(1)) {
      expect(asked.filter((n) => n <= 4)).toEqual([]);
    }
    const retried = service.puts.slice(8);
    expect(retried.every((put) => put.url.endsWith('&v=1'))).toBe(false);
    expect(waiting).toEqual([true, false]);
  });

  it('in a browser gone offline, waits for the online event before sending again', async () => {
    // A window's view of the network: offline until the test says otherwise.
    const window = new EventTarget();
    let onLine = true;
    vi.stubGlobal('navigator', {
      get onLine() {
        return onLine;
      },
    });
    vi.stubGlobal('addEventListener', window.addEventListener.bind(window));
    vi.stubGlobal('removeEventListener', window.removeEventListener.bind(window));
    const service = fakeService({
      failPut: (_put, index) => {
        if (index !== 2) return undefined;
        onLine = false;
        return 'network';
      },
    });

    const upload = uploadFile({ file: fileOf(4 * PART), fetch: service.fetch, retryDelayMs: 1 });
    await vi.waitFor(() => {
      expect(service.puts.length).toBe(4);
    });
    // However long it stays offline, nothing is sent and nothing gives up.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(service.puts.length).toBe(4);

    onLine = true;
    window.dispatchEvent(new Event('online'));
    await upload;
    expect(service.stored.size).toBe(4);
    expect(service.puts.map((put) => put.partNumber).filter((n) => n === 3)).toHaveLength(2);
  });

  it('asks for a fresh URL when the bucket refuses one as expired (403)', async () => {
    const service = fakeService({ failPut: (put, index) => (index === 0 ? 403 : undefined) });
    await uploadFile({ file: fileOf(2 * PART), fetch: service.fetch });
    expect(service.urlsAsked.length).toBe(2);
    expect(service.stored.size).toBe(2);
  });

  it('fetches the file when the answer to complete was lost but the upload completed', async () => {
    const service = fakeService();
    service.loseCompleteAnswer();
    const file = await uploadFile({ file: fileOf(PART), fetch: service.fetch, retryDelayMs: 1 });
    expect(file).toEqual({ id: 'u1', status: 'uploaded' });
    expect(service.calls.at(-1)).toBe('GET /api/files/u1');
  });

  it('cancels: stops the parts, deletes the upload and rejects with code aborted', async () => {
    const service = fakeService();
    const aborter = new AbortController();
    const upload = uploadFile({
      file: fileOf(40 * PART),
      fetch: service.fetch,
      signal: aborter.signal,
      onProgress: (sent) => {
        if (sent >= 4 * PART) aborter.abort();
      },
    });

    await expect(upload).rejects.toMatchObject({ code: 'aborted' });
    expect(service.deleted()).toBe(true);
    expect(service.puts.length).toBeLessThan(12);
    expect(service.completed()).toBeNull();
  });

  it('gives up after the bucket keeps failing a part, and abandons the upload', async () => {
    const service = fakeService({ failPut: (put) => (put.partNumber === 2 ? 500 : undefined) });
    const upload = uploadFile({ file: fileOf(3 * PART), fetch: service.fetch, retryDelayMs: 1 });

    await expect(upload).rejects.toMatchObject({ status: 500, code: 'storage_InternalError' });
    expect(service.puts.filter((put) => put.partNumber === 2)).toHaveLength(5);
    expect(service.deleted()).toBe(true);
  });

  it("rejects with the API's own error when it refuses to start, sending nothing", async () => {
    const service = fakeService();
    const refusing = ((input: string, init?: RequestInit) =>
      input.endsWith('/api/files/uploads')
        ? Promise.resolve(
            Response.json(
              { error: { code: 'quota_exceeded', message: 'You have 2 MB left.' } },
              { status: 413 },
            ),
          )
        : service.fetch(input, init)) as typeof globalThis.fetch;
    const upload = uploadFile({ file: fileOf(PART), fetch: refusing });
    await expect(upload).rejects.toBeInstanceOf(UploadError);
    await expect(upload).rejects.toMatchObject({
      status: 413,
      code: 'quota_exceeded',
      message: 'You have 2 MB left.',
    });
    expect(service.puts).toEqual([]);
  });
});
