// Why this file exists: deep links (`/photos/<id>`, `/albums/<id>`) must open
// the same screen a click does. The server answers index.html for any path
// outside /api, and this router maps the path to a page with history
// pushState; clicks on same-origin <a href> links are routed here instead of
// reloading the app.

const routes = [];
const subscribers = [];

/** Registers `pattern` ('/albums/:id/photos/:assetId') → handler(params, query). */
export function route(pattern, handler) {
  const names = [];
  const re = new RegExp(
    '^' +
      pattern.replace(/\/:([a-zA-Z]+)/g, (_, n) => {
        names.push(n);
        return '/([^/]+)';
      }) +
      '/?$',
  );
  routes.push({ re, names, handler });
}

/** Finds the handler and params for a path (pure; exported for tests). */
export function match(path) {
  for (const r of routes) {
    const m = path.match(r.re);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { handler: r.handler, params };
    }
  }
  return null;
}

/** Called with (path, query) after every navigation. */
export function onNavigate(fn) {
  subscribers.push(fn);
}

function dispatch() {
  const query = new URLSearchParams(location.search);
  for (const fn of subscribers) fn(location.pathname, query);
}

/** Goes to `url` (path + optional query); `replace` keeps history length. */
export function navigate(url, { replace = false, state = null } = {}) {
  const here = location.pathname + location.search;
  if (url === here && !replace) return dispatch();
  if (replace) history.replaceState(state, '', url);
  else history.pushState(state, '', url);
  dispatch();
}

/** True when the current history entry was pushed by the app (so Back stays in it). */
export function canGoBack() {
  return history.state && history.state.inApp;
}

let started = false;

export function start() {
  if (started) return dispatch();
  started = true;
  window.addEventListener('popstate', dispatch);
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest && e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search, { state: { inApp: true } });
  });
  dispatch();
}
