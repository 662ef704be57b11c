// Sends a file straight to S3 in parts, with the API only signing and recording: the protocol is
// ADR 031's, this client ADR 032's. It touches no DOM and imports nothing, so the page loads it
// with import() when an upload starts, and the benchmark runs this very file in Node. That is
// why it reads the API's errors as api.js does rather than import them: a module shared with the
// page would become a chunk the page loads up front, which build.ts refuses.
//
// The API answers POST /api/files/uploads with a part size and count; parts are sent in parallel
// to presigned URLs the API hands out a batch at a time; a failed part is sent again alone; a lost
// connection is waited out and the parts not yet done are sent to fresh URLs; the API completes
// the upload from the parts' ETags.

export class UploadError extends Error {
  /**
   * @param {number} status HTTP status, or 0 when no answer came (network error, cancelled).
   * @param {{ code: string, message: string, fields?: Record<string, string> }} error
   */
  constructor(status, { code, message, fields }) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
    this.code = code;
    this.fields = fields ?? {};
  }
}

// The API signs at most 100 part URLs per call; each stays valid for 15 minutes, so a batch is
// asked for as the parts are reached, not all at the start.
const URLS_PER_CALL = 100;
// A part the bucket refuses (5xx, throttling, an expired URL) is tried this many times in all.
const ATTEMPTS_PER_PART = 5;
// A connection that stays down this many backoffs in a row (about four minutes) ends the upload.
const NETWORK_ATTEMPTS = 12;
const MAX_DELAY_MS = 30_000;
// A connection that dies quietly (the Wi-Fi gone, a laptop closed) leaves a request waiting for
// minutes. A part whose bytes stop leaving for this long is given up and sent again.
const STALLED_AFTER_MS = 30_000;

const cancelled = () =>
  new UploadError(0, { code: 'aborted', message: 'The upload was cancelled.' });
const connectionLost = () =>
  new UploadError(0, {
    code: 'network_error',
    message: 'The connection was lost and did not come back. Please try again.',
  });

/**
 * Uploads `file` (a Blob or File; `name` and `type` are read when present) and resolves with the
 * file as the API presents it (status 'uploaded'). `onProgress(sentBytes, totalBytes)` follows
 * all parts together; `onWaitingForNetwork(true | false)` says when a lost connection pauses
 * it. Aborting `signal` stops every part, abandons the upload on the API and rejects with code
 * 'aborted'. Other failures reject with an UploadError carrying the API's error code.
 */
export async function uploadFile({
  file,
  noteId,
  apiBase = '',
  fetch: givenFetch,
  concurrency = 4,
  onProgress,
  onWaitingForNetwork,
  signal,
  retryDelayMs = 1000,
}) {
  const fetchFn = givenFetch ?? globalThis.fetch.bind(globalThis);
  const api = apiClient({ apiBase, fetchFn });
  throwIfAborted(signal);

  const { upload } = await api.call('POST', '/api/files/uploads', {
    name: file.name ?? 'upload',
    size: file.size,
    type: file.type || 'application/octet-stream',
    ...(noteId && { noteId }),
  });

  // Stops every part as soon as one fails for good, or the caller cancels.
  const stop = new AbortController();
  const stopAll = () => stop.abort();
  signal?.addEventListener('abort', stopAll, { once: true });
  const parts = partsOf(file.size, upload.partSize, upload.partCount);
  const waiter = networkWaiter({ retryDelayMs, signal: stop.signal, onWaitingForNetwork });
  const sendPart = partSender({
    file,
    parts,
    urls: partUrls(api, upload.id),
    // In a browser with no fetch given, parts go by XMLHttpRequest, which reports bytes as they
    // leave; fetch cannot (its upload streams need HTTP/2 and do not say how far they got).
    putPart:
      !givenFetch && typeof XMLHttpRequest === 'function' ? putWithXhr : putWithFetch(fetchFn),
    progress: progressOf(file.size, onProgress),
    waiter,
    stop: stop.signal,
    retryDelayMs,
  });

  try {
    await inParallel(parts, concurrency, sendPart, stop);
    throwIfAborted(signal);
    return await complete(api, upload.id, parts, waiter);
  } catch (error) {
    // Whatever failed, the parts already sent are of no use now: the API aborts them.
    stopAll();
    await api.call('DELETE', `/api/files/uploads/${upload.id}`).catch(() => {});
    throw signal?.aborted ? cancelled() : error;
  } finally {
    signal?.removeEventListener('abort', stopAll);
  }
}

/** Runs `send(item)` for every item, `concurrency` at a time; the first failure stops the rest. */
async function inParallel(items, concurrency, send, stop) {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    try {
      let item;
      while (!stop.signal.aborted && (item = queue.shift())) await send(item);
    } catch (error) {
      stop.abort();
      throw error;
    }
  });
  await Promise.all(workers);
}

/**
 * Sends one part until the bucket has it: a refused part is sent again alone, a lost connection
 * is waited out, an expired URL replaced. Sets `part.etag`.
 */
function partSender({ file, parts, urls, putPart, progress, waiter, stop, retryDelayMs }) {
  return async (part) => {
    let failures = 0;
    for (;;) {
      try {
        const url = await urls.get(part.number, () => parts.filter((p) => !p.etag));
        part.etag = await putPart(url, file.slice(part.start, part.end), {
          signal: stop,
          onSent: (bytes) => progress.inFlight(part.number, bytes),
        });
        waiter.succeeded();
        progress.done(part);
        return;
      } catch (error) {
        progress.inFlight(part.number, 0);
        if (stop.aborted) throw error;
        if (error.status === 0) {
          // No answer: the connection is gone, or going. Wait for it, then send this part again
          // to a fresh URL, since the old ones may have expired in the meantime.
          await waiter.wait();
          urls.forget();
        } else if (error.status === 403 && failures === 0) {
          // S3 answers an expired presigned URL with 403: a fresh one, at once.
          failures++;
          urls.forget();
        } else if (isTransient(error) && ++failures < ATTEMPTS_PER_PART) {
          await waiter.sleep(backoff(retryDelayMs, failures));
        } else {
          throw error;
        }
      }
    }
  };
}

/** Complete, asked again while the connection is down; a lost answer to a replay is fine. */
async function complete(api, id, parts, waiter) {
  const body = { parts: parts.map(({ number, etag }) => ({ partNumber: number, etag })) };
  let tried = false;
  for (;;) {
    try {
      const { file } = await api.call('POST', `/api/files/uploads/${id}/complete`, body);
      return file;
    } catch (error) {
      // The first answer was lost on the way, but the upload did complete.
      if (tried && error.code === 'already_completed') return api.call('GET', `/api/files/${id}`);
      if (error.status !== 0 && !isTransient(error)) throw error;
      tried = true;
      await waiter.wait();
    }
  }
}

/** JSON calls to the API, rejecting with UploadError as the API shapes its errors. */
function apiClient({ apiBase, fetchFn }) {
  return {
    async call(method, path, body) {
      let response;
      try {
        response = await fetchFn(`${apiBase}${path}`, {
          method,
          // The session lives in a cookie; the page and the API share an origin.
          credentials: 'same-origin',
          headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch {
        throw connectionLost();
      }
      if (response.status === 204) return null;
      const data = await response.json().catch(() => null);
      if (response.ok) return data;
      // A proxy in front of the API may answer with HTML (a 502 page), hence the fallback.
      throw new UploadError(
        response.status,
        data?.error ?? {
          code: 'http_error',
          message: `Something went wrong (HTTP ${response.status}). Please try again.`,
        },
      );
    },
  };
}

/** Each part's number and byte range; its `etag` is set once the bucket has it. */
function partsOf(size, partSize, partCount) {
  return Array.from({ length: partCount }, (_, index) => ({
    number: index + 1,
    start: index * partSize,
    end: Math.min(size, (index + 1) * partSize),
    etag: null,
  }));
}

/**
 * Presigned part URLs, asked for a batch at a time: `get(number, undone)` asks for `number` and
 * the next parts not yet done, one call at a time however many parts wait for one.
 */
function partUrls(api, id) {
  let urls = new Map();
  let asking = null;
  const ask = async (number, undone) => {
    const others = undone()
      .map((part) => part.number)
      .filter((other) => other !== number && !urls.has(other));
    const { parts } = await api.call('POST', `/api/files/uploads/${id}/parts`, {
      partNumbers: [number, ...others].slice(0, URLS_PER_CALL),
    });
    for (const { partNumber, url } of parts) urls.set(partNumber, url);
  };
  return {
    async get(number, undone) {
      while (!urls.has(number)) {
        asking ??= ask(number, undone).finally(() => (asking = null));
        await asking;
      }
      return urls.get(number);
    },
    /** Drops every URL held: the next parts are sent to fresh ones. */
    forget() {
      urls = new Map();
    },
  };
}

/** One figure for all parts: bytes of finished parts plus what the parts in flight have sent. */
function progressOf(total, onProgress) {
  let confirmed = 0;
  const sending = new Map();
  const report = () => {
    let inFlight = 0;
    for (const bytes of sending.values()) inFlight += bytes;
    onProgress?.(Math.min(total, confirmed + inFlight), total);
  };
  return {
    inFlight(number, bytes) {
      sending.set(number, bytes);
      report();
    },
    done(part) {
      sending.delete(part.number);
      confirmed += part.end - part.start;
      report();
    },
  };
}

/**
 * Waits out a lost connection: for the `online` event where the runtime says it is offline
 * (a browser), else a growing pause. Gives up after NETWORK_ATTEMPTS waits without a success.
 */
function networkWaiter({ retryDelayMs, signal, onWaitingForNetwork }) {
  let waits = 0;
  let waiting = false;
  const sleep = (ms) =>
    new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        clearTimeout(timer);
        reject(cancelled());
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  const online = () =>
    new Promise((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        globalThis.removeEventListener('online', done);
        reject(cancelled());
      };
      globalThis.addEventListener('online', done, { once: true });
      signal?.addEventListener('abort', aborted, { once: true });
    });
  const offline = () =>
    globalThis.navigator?.onLine === false && typeof globalThis.addEventListener === 'function';

  return {
    sleep,
    async wait() {
      if (++waits > NETWORK_ATTEMPTS) throw connectionLost();
      if (!waiting) onWaitingForNetwork?.(true);
      waiting = true;
      // Waiting offline costs no attempt: the browser says when to try again.
      if (offline()) {
        waits--;
        await online();
      } else await sleep(backoff(retryDelayMs, waits));
    },
    succeeded() {
      if (waiting) onWaitingForNetwork?.(false);
      waiting = false;
      waits = 0;
    },
  };
}

/** Doubling pauses with jitter, so parts that failed together do not retry together. */
function backoff(firstMs, attempt) {
  const ms = Math.min(MAX_DELAY_MS, firstMs * 2 ** (attempt - 1));
  return ms / 2 + Math.random() * (ms / 2);
}

// S3 asks to be retried on 5xx (503 SlowDown included); 408 and 429 are passing too.
const isTransient = (error) => error.status >= 500 || error.status === 408 || error.status === 429;

function throwIfAborted(signal) {
  if (signal?.aborted) throw cancelled();
}

/** The bucket's refusal, as S3 words it in its XML body (<Code>, <Message>). */
function bucketError(status, text) {
  const code = /<Code>([^<]*)<\/Code>/.exec(text ?? '')?.[1] ?? 'http_error';
  const message = /<Message>([^<]*)<\/Message>/.exec(text ?? '')?.[1];
  return new UploadError(status, {
    code: code === 'NoSuchUpload' ? 'not_found' : `storage_${code}`,
    message:
      code === 'NoSuchUpload'
        ? 'This upload was cancelled or has expired. Please try again.'
        : `The storage refused a part (${status}${message ? `: ${message}` : ''}). Please try again.`,
  });
}

// The ETag names the part in the completing call; the bucket must let the page read it (CORS
// ExposeHeaders ETag where the bucket is on another origin).
function etagOf(etag) {
  if (etag) return etag;
  throw new UploadError(0, {
    code: 'no_etag',
    message: 'The storage did not show the part ETag: its CORS rule must expose the ETag header.',
  });
}

/** PUT with fetch: progress moves when a part finishes. */
const putWithFetch = (fetchFn) =>
  async function (url, body, { signal, onSent }) {
    let response;
    try {
      response = await fetchFn(url, { method: 'PUT', body, signal });
    } catch {
      throw connectionLost();
    }
    if (!response.ok) throw bucketError(response.status, await response.text().catch(() => ''));
    // The body is drained so the connection can be used again.
    await response.arrayBuffer().catch(() => {});
    onSent(body.size);
    return etagOf(response.headers.get('ETag'));
  };

/**
 * PUT with XMLHttpRequest: progress moves as the part's bytes leave. The part is given up, to be
 * sent again, when the browser says it went offline or its bytes stop leaving: either way the
 * request may otherwise hang until the operating system gives up on the connection.
 */
function putWithXhr(url, body, { signal, onSent }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // Settled first, so the abort that follows does not read as the user's cancel.
    const giveUp = () => {
      reject(connectionLost());
      xhr.abort();
    };
    let stalled = setTimeout(giveUp, STALLED_AFTER_MS);
    xhr.open('PUT', url);
    xhr.upload.addEventListener('progress', (event) => {
      clearTimeout(stalled);
      stalled = setTimeout(giveUp, STALLED_AFTER_MS);
      onSent(event.loaded);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status < 200 || xhr.status >= 300) reject(bucketError(xhr.status, xhr.responseText));
      else {
        try {
          resolve(etagOf(xhr.getResponseHeader('ETag')));
        } catch (error) {
          reject(error);
        }
      }
    });
    xhr.addEventListener('error', () => reject(connectionLost()));
    xhr.addEventListener('abort', () => reject(cancelled()));
    const abort = () => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    globalThis.addEventListener('offline', giveUp);
    xhr.addEventListener('loadend', () => {
      clearTimeout(stalled);
      signal.removeEventListener('abort', abort);
      globalThis.removeEventListener('offline', giveUp);
    });
    xhr.send(body);
  });
}
