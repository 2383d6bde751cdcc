// Why this file exists: the one place the app talks to the server. Every call
// goes through `api()`, which turns the two failures a person must understand
// into events the shell shows as whole pages: the session ended (401, back to
// the login page with a message) and the server could not be reached at all.
// Everything else is an ApiError carrying Immich's `{message}`.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Raised (and announced) when no HTTP answer came back at all. */
export class OfflineError extends Error {}

const listeners = { unauthorized: [], offline: [] };

/** Subscribes to `unauthorized` or `offline`. */
export function on(event, fn) {
  listeners[event].push(fn);
}

function emit(event, detail) {
  for (const fn of listeners[event]) fn(detail);
}

/**
 * Calls `/api{path}`. `body` is sent as JSON unless it is FormData.
 * Options: `quiet401` (the caller handles 401 itself, e.g. the login form).
 */
export async function api(method, path, body, opts = {}) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (opts.signal) init.signal = opts.signal;
  let res;
  try {
    res = await fetch('/api' + path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    emit('offline', e);
    throw new OfflineError('The server could not be reached');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const message = (data && data.message) || `${res.status} ${res.statusText}`;
    if (res.status === 401 && !opts.quiet401) emit('unauthorized', message);
    throw new ApiError(res.status, Array.isArray(message) ? message.join(', ') : message, data);
  }
  return data;
}

// GETs started before the page that needs them exists: path -> { data, at }.
const early = new Map();
const EARLY_FOR_MS = 10000;

/**
 * Starts a GET that the first screen is about to make, so that it runs
 * alongside the session check instead of after it. The next `get` of the same
 * path within 10 s takes its answer; a failure (signed out, say) is left for
 * that call to repeat and report, and an answer nobody took is dropped.
 */
export function prefetch(path) {
  const data = api('GET', path, undefined, { quiet401: true });
  data.catch(() => {});
  early.set(path, { data, at: Date.now() });
}

export const get = (path, opts) => {
  const got = early.get(path);
  if (got) {
    early.delete(path);
    if (Date.now() - got.at < EARLY_FOR_MS) return got.data.catch(() => api('GET', path, undefined, opts));
  }
  return api('GET', path, undefined, opts);
};
export const post = (path, body, opts) => api('POST', path, body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, body, opts) => api('DELETE', path, body, opts);

/** Builds a query string from an object, leaving out undefined/null values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

/** URLs of an asset's images and media (the session cookie authenticates them). */
export const media = {
  thumb: (id) => `/api/assets/${id}/thumbnail?size=thumbnail`,
  preview: (id) => `/api/assets/${id}/thumbnail?size=preview`,
  fullsize: (id) => `/api/assets/${id}/thumbnail?size=fullsize`,
  original: (id) => `/api/assets/${id}/original`,
  video: (id) => `/api/assets/${id}/video/playback`,
};
