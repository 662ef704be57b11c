// A tiny fetch wrapper for the Shipshape API. Every call resolves with the parsed JSON body
// (or null for 204) and rejects with an ApiError shaped like the API's error responses.
// Uploads go straight to the bucket through upload-client.js, loaded only when one starts.

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

const networkError = () =>
  new ApiError(0, {
    code: 'network_error',
    message: 'Could not reach the server. Check your connection and try again.',
  });

/** The ApiError for a failed response; `data` is its parsed body, or null if it had none. */
function errorFor(status, data) {
  // A proxy in front of the API may answer with HTML (e.g. a 502 page), hence the fallback.
  return new ApiError(
    status,
    data?.error ?? {
      code: 'http_error',
      message: `Something went wrong (HTTP ${status}). Please try again.`,
    },
  );
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
    throw networkError();
  }

  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  throw errorFor(response.status, data);
}

export const api = {
  /** `{ user }`, where user is null when nobody is signed in. */
  session: () => request('GET', '/api/auth/session'),
  register: (credentials) => request('POST', '/api/auth/register', credentials),
  login: (credentials) => request('POST', '/api/auth/login', credentials),
  logout: () => request('POST', '/api/auth/logout'),
  /** Sends the link to confirm the address again (signed in); 429 when asked too often. */
  resendVerification: () => request('POST', '/api/auth/verify-email/resend'),
  verifyEmail: (token) => request('POST', '/api/auth/verify-email', { token }),
  /** Answers the same whether or not an account uses `email`, so it reveals nobody's address. */
  forgotPassword: (email) => request('POST', '/api/auth/forgot-password', { email }),
  resetPassword: (token, password) =>
    request('POST', '/api/auth/reset-password', { token, password }),
  confirmEmail: (token) => request('POST', '/api/auth/confirm-email', { token }),

  /** `{ user }` with `createdAt` and `pendingEmail` (an address change waiting for its link). */
  account: () => request('GET', '/api/account'),
  changePassword: (passwords) => request('POST', '/api/account/password', passwords),
  changeEmail: (change) => request('POST', '/api/account/email', change),
  /** `{ sessions }`: the devices signed in to this account, most recently active first. */
  listSessions: () => request('GET', '/api/account/sessions'),
  revokeSession: (id) => request('DELETE', `/api/account/sessions/${encodeURIComponent(id)}`),
  revokeOtherSessions: () => request('POST', '/api/account/sessions/revoke-others'),
  deleteAccount: (password) => request('DELETE', '/api/account', { password }),

  listNotes: (cursor) => {
    const query = new URLSearchParams({ limit: '20' });
    if (cursor) query.set('cursor', cursor);
    return request('GET', `/api/notes?${query}`);
  },
  createNote: (note) => request('POST', '/api/notes', note),
  updateNote: (id, changes) => request('PATCH', `/api/notes/${encodeURIComponent(id)}`, changes),
  deleteNote: (id) => request('DELETE', `/api/notes/${encodeURIComponent(id)}`),

  /** `{ maxBytes, types, quotaBytes, usedBytes }`: what an upload may be, and the room left. */
  fileLimits: () => request('GET', '/api/files/limits'),
  listFiles: (cursor) => {
    const query = new URLSearchParams({ limit: '20' });
    if (cursor) query.set('cursor', cursor);
    return request('GET', `/api/files?${query}`);
  },
  getFile: (id) => request('GET', `/api/files/${encodeURIComponent(id)}`),
  deleteFile: (id) => request('DELETE', `/api/files/${encodeURIComponent(id)}`),

  createExport: () => request('POST', '/api/exports'),
  getExport: (id) => request('GET', `/api/exports/${encodeURIComponent(id)}`),
  /** `{ export }`: the newest export still downloadable or under way, or null. */
  latestExport: () => request('GET', '/api/exports/latest'),
};
