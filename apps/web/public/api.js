// A tiny fetch wrapper for the Shipshape API. Every call resolves with the parsed JSON body
// (or null for 204) and rejects with an ApiError shaped like the API's error responses.

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, or 0 when the server could not be reached.
   * @param {{ code: string, message: string, fields?: Record<string, string> }} error
   */
  constructor(status, { code, message, fields }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields ?? {};
  }
}

async function request(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      // The session lives in a cookie; the API is served from the same origin as this page.
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, {
      code: 'network_error',
      message: 'Could not reach the server. Check your connection and try again.',
    });
  }

  if (response.status === 204) return null;
  // A proxy in front of the API may answer with HTML (e.g. a 502 page), so parse defensively.
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  throw new ApiError(
    response.status,
    data?.error ?? {
      code: 'http_error',
      message: `Something went wrong (HTTP ${response.status}). Please try again.`,
    },
  );
}

export const api = {
  me: () => request('GET', '/api/auth/me'),
  register: (credentials) => request('POST', '/api/auth/register', credentials),
  login: (credentials) => request('POST', '/api/auth/login', credentials),
  logout: () => request('POST', '/api/auth/logout'),

  listNotes: (cursor) => {
    const query = new URLSearchParams({ limit: '20' });
    if (cursor) query.set('cursor', cursor);
    return request('GET', `/api/notes?${query}`);
  },
  createNote: (note) => request('POST', '/api/notes', note),
  updateNote: (id, changes) => request('PATCH', `/api/notes/${encodeURIComponent(id)}`, changes),
  deleteNote: (id) => request('DELETE', `/api/notes/${encodeURIComponent(id)}`),
};
