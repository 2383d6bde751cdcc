// Why this file exists: the app's entry point and shell. It decides what the
// first screen is (admin sign-up on a new server, login, or the library),
// draws the frame around every page (top bar, navigation, upload panel),
// maps routes to pages, opens the viewer over a page for `…/photos/<id>`,
// and turns "session expired" and "server unreachable" into clear screens.

import { get, post, on, ApiError } from './api.js';
import { h, icon, iconButton, mount, attempt } from './dom.js';
import { route, match, navigate, onNavigate, start, canGoBack } from './router.js';
import { loginPage, signUpPage, offlinePage } from './auth.js';
import { timelinePage, favoritesPage, archivePage, trashPage, prefetchTimeline } from './timeline.js';
import { albumsPage, albumPage } from './albums.js';
import { searchPage } from './search.js';
import { mapPage } from './map.js';
import { settingsPage } from './settings.js';
import { adminPage } from './admin.js';
import { openViewer } from './viewer.js';
import { initUploads, pickFiles } from './upload.js';

const app = document.getElementById('app');
const session = { user: null, initialized: true };
let current = null; // { key, page }
let viewer = null;
let notice = null;
let offline = false;

// ---- routes: key identifies the page, so /photos and /photos/<id> share one ----

const grid = (key, make) => (params) => ({ key, make, assetId: params.assetId });
route('/', grid('timeline', timelinePage));
route('/photos', grid('timeline', timelinePage));
route('/photos/:assetId', grid('timeline', timelinePage));
route('/favorites', grid('favorites', favoritesPage));
route('/favorites/photos/:assetId', grid('favorites', favoritesPage));
route('/archive', grid('archive', archivePage));
route('/archive/photos/:assetId', grid('archive', archivePage));
route('/trash', grid('trash', trashPage));
route('/trash/photos/:assetId', grid('trash', trashPage));
route('/albums', () => ({ key: 'albums', make: albumsPage }));
route('/albums/:id', (p) => ({ key: 'album:' + p.id, make: () => albumPage(p.id, session) }));
route('/albums/:id/photos/:assetId', (p) => ({ key: 'album:' + p.id, make: () => albumPage(p.id, session), assetId: p.assetId }));
route('/search', (p, q) => ({ key: 'search?' + q, make: () => searchPage(q) }));
route('/search/photos/:assetId', (p, q) => ({ key: 'search?' + q, make: () => searchPage(q), assetId: p.assetId }));
route('/map', () => ({ key: 'map', make: mapPage }));
route('/map/photos/:assetId', (p) => ({ key: 'map', make: mapPage, assetId: p.assetId }));
route('/settings', () => ({ key: 'settings', make: () => settingsPage(session) }));
route('/admin', () => ({ key: 'admin', make: () => adminPage(session) }));

// ---- the frame ----

const NAV = [
  ['/photos', 'photos', 'Photos'],
  ['/search', 'search', 'Search'],
  ['/map', 'map', 'Map'],
  ['/albums', 'album', 'Albums'],
  ['/favorites', 'heart', 'Favourites'],
  ['/archive', 'archive', 'Archive'],
  ['/trash', 'trash', 'Trash'],
  ['/settings', 'settings', 'Settings'],
];

let frame = null;

// Esc closes the navigation drawer on narrow screens.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('nav-open')) document.body.classList.remove('nav-open');
});

function buildFrame() {
  const main = h('main#content', { tabindex: '-1' });
  const nav = h('nav.sidebar', { 'aria-label': 'Main' },
    h('ul', [...NAV, ...(session.user.isAdmin ? [['/admin', 'admin', 'Administration']] : [])].map(([href, ic, label]) =>
      h('li', h('a.nav-link', { href, 'data-nav': href }, icon(ic), h('span', label))))));
  const quick = h('input', { type: 'search', name: 'q', placeholder: 'Search file names, cameras, places…', 'aria-label': 'Search' });
  const menuBtn = iconButton('menu', 'Menu', () => document.body.classList.toggle('nav-open'), { cls: 'menu-btn' });
  const top = h('header.topbar',
    menuBtn,
    h('a.brand', { href: '/photos' }, h('span.logo', 'K'), h('span.brand-name', 'Keepsake')),
    h('form.quick-search', { role: 'search', onsubmit: (e) => { e.preventDefault(); if (quick.value.trim()) navigate('/search?q=' + encodeURIComponent(quick.value.trim()), { state: { inApp: true } }); } }, icon('search', 18), quick),
    h('button.upload-btn', { type: 'button', onclick: pickFiles }, icon('upload', 20), h('span', 'Upload')),
    h('div.user-menu',
      h('span.avatar', { title: session.user.email, 'aria-hidden': 'true' }, (session.user.name || session.user.email || '?').slice(0, 1).toUpperCase()),
      iconButton('logout', 'Log out', logout, { cls: 'logout-btn' })));
  const skip = h('a.skip-link', { href: '#content', onclick: (e) => { e.preventDefault(); main.focus(); } }, 'Skip to content');
  const scrim = h('div.scrim', { onclick: () => document.body.classList.remove('nav-open') });

  frame = { main, nav, el: h('div.shell', skip, top, nav, scrim, main) };
  mount(app, frame.el);
  initUploads({
    onUploaded: () => {
      if (current && current.page && current.page.grid && /^(timeline|album:)/.test(current.key)) current.page.grid.refresh();
    },
  });
}

function markNav(path) {
  for (const a of frame.nav.querySelectorAll('a.nav-link')) {
    const on = path === a.dataset.nav || path.startsWith(a.dataset.nav + '/') || (path === '/' && a.dataset.nav === '/photos');
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.body.classList.remove('nav-open');
}

async function logout() {
  await attempt(() => post('/auth/logout'));
  session.user = null;
  teardown();
  notice = 'You have logged out.';
  navigate('/auth/login', { replace: true });
}

function teardown() {
  if (viewer) viewer.close(true);
  viewer = null;
  if (current && current.page && current.page.destroy) current.page.destroy();
  current = null;
  frame = null;
}

// ---- navigation ----

async function onRoute(path, query) {
  if (offline) return;
  if (path === '/auth/register') {
    teardown();
    if (session.initialized) return navigate('/auth/login', { replace: true });
    return mount(app, signUpPage({ onSignedUp: afterLogin }).el);
  }
  if (path === '/auth/login') {
    teardown();
    if (!session.initialized) return navigate('/auth/register', { replace: true });
    const n = notice || (query.get('expired') ? 'Your session has expired. Please log in again.' : null);
    notice = null;
    mount(app, loginPage({ notice: n, onLoggedIn: afterLogin }).el);
    document.title = 'Log in – Keepsake';
    return;
  }
  if (!session.user) {
    return navigate('/auth/login?continue=' + encodeURIComponent(path + location.search), { replace: true });
  }
  const m = match(path);
  if (!m) return navigate('/photos', { replace: true });
  const r = m.handler(m.params, query);
  if (!frame) buildFrame();
  markNav(path);
  if (!current || current.key !== r.key) {
    if (viewer) viewer.close(true);
    viewer = null;
    if (current && current.page && current.page.destroy) current.page.destroy();
    const page = r.make(m.params, query);
    current = { key: r.key, page };
    mount(frame.main, page.el);
    document.title = (page.title || titleOf(path)) + ' – Keepsake';
  }
  const page = current.page;
  if (r.assetId) {
    const base = path.slice(0, path.lastIndexOf('/photos/'));
    if (!viewer) {
      viewer = openViewer({
        nav: page.grid || page.navigator || null,
        album: page.album ? page.album() : null,
        session,
        go: (id) => navigate(`${base}/photos/${id}${location.search}`, { replace: true, state: history.state }),
        onClose: (lastId) => {
          viewer = null;
          if (canGoBack()) history.back();
          else navigate((base || '/photos') + location.search, { replace: true });
          if (page.grid) requestAnimationFrame(() => page.grid.reveal(lastId));
        },
        onChanged: () => page.onAssetChanged && page.onAssetChanged(),
      });
    }
    viewer.show(r.assetId);
  } else if (viewer) {
    viewer.close(true);
    viewer = null;
  }
}

function titleOf(path) {
  const seg = path.split('/')[1] || 'photos';
  return seg[0].toUpperCase() + seg.slice(1);
}

async function afterLogin() {
  session.initialized = true;
  session.user = await get('/users/me');
  const cont = new URLSearchParams(location.search).get('continue');
  navigate(cont && cont.startsWith('/') && !cont.startsWith('/auth') ? cont : '/photos', { replace: true });
}

onNavigate(onRoute);

// ---- session and connectivity ----

on('unauthorized', () => {
  if (!session.user) return;
  session.user = null;
  teardown();
  notice = 'Your session has expired or was ended. Please log in again.';
  navigate('/auth/login', { replace: true });
});

on('offline', () => {
  if (offline) return;
  offline = true;
  teardown();
  mount(app, offlinePage({ onRetry: () => { offline = false; boot(); } }).el);
});

async function boot() {
  mount(app, h('div.booting', { role: 'status' }, 'Loading…'));
  // Most visits open the timeline: its months load while the session is checked.
  if (/^\/(photos(\/[^/]+)?)?$/.test(location.pathname)) prefetchTimeline();
  try {
    // Both at once: the first screen waits for the slower of the two only.
    const [config, me] = await Promise.all([
      get('/server/config'),
      get('/users/me', { quiet401: true }).catch((e) => {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }),
    ]);
    session.initialized = !!config.isInitialized;
    session.user = session.initialized ? me : null;
  } catch (e) {
    if (offline) return;
    if (!(e instanceof ApiError)) return;
    mount(app, h('div.booting', { role: 'alert' }, `The server answered with an error: ${e.message}`));
    return;
  }
  if (!session.initialized && location.pathname !== '/auth/register') {
    history.replaceState(null, '', '/auth/register');
  }
  start();
}

boot();
