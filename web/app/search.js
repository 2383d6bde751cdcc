// Why this file exists: metadata search (POST /api/search/metadata): file
// name and description (contains), camera make and model, lens, city and
// country (exact, as the server matches them), a date range and the type.
// The criteria live in the URL (/search?make=Canon…) so a search can be
// bookmarked and Back returns to it; results show in the shared grid, paged
// as the person scrolls.

import { get, post } from './api.js';
import { h, icon, mount } from './dom.js';
import { createGrid } from './grid.js';
import { pagedSource } from './timeline.js';
import { standardActions } from './actions.js';
import { navigate } from './router.js';

const FIELDS = [
  ['q', 'File name contains', 'text', 'originalFileName'],
  ['description', 'Description contains', 'text', 'description'],
  ['make', 'Camera make', 'text', 'make'],
  ['model', 'Camera model', 'text', 'model'],
  ['lens', 'Lens', 'text', 'lensModel'],
  ['city', 'City', 'text', 'city'],
  ['country', 'Country', 'text', 'country'],
  ['from', 'Taken from', 'date', 'takenAfter'],
  ['to', 'Taken until', 'date', 'takenBefore'],
];

/** The search body for the API from the URL's query (pure). */
export function searchBody(query) {
  const body = {};
  for (const [key, , type, apiName] of FIELDS) {
    const v = (query.get(key) || '').trim();
    if (!v) continue;
    if (type === 'date') body[apiName] = key === 'to' ? `${v}T23:59:59.999Z` : `${v}T00:00:00.000Z`;
    else body[apiName] = v;
  }
  const t = query.get('type');
  if (t === 'IMAGE' || t === 'VIDEO') body.type = t;
  if (query.get('favorite') === '1') body.isFavorite = true;
  return body;
}

export function searchPage(query) {
  const inputs = {};
  // Exact-match fields offer the values the library actually has (GET /search/suggestions).
  const SUGGESTED = { make: 'camera-make', model: 'camera-model', lens: 'camera-lens-model', city: 'city', country: 'country' };
  const lists = Object.keys(SUGGESTED).map((key) => h(`datalist#search-${key}-values`));
  const fields = FIELDS.map(([key, label, type]) => {
    const input = h('input', { type, name: key, value: query.get(key) || '', list: SUGGESTED[key] ? `search-${key}-values` : undefined });
    inputs[key] = input;
    return h('label.field', h('span', label), input);
  });
  const type = h('select', { name: 'type' }, h('option', { value: '' }, 'Photos and videos'), h('option', { value: 'IMAGE', selected: query.get('type') === 'IMAGE' }, 'Photos'), h('option', { value: 'VIDEO', selected: query.get('type') === 'VIDEO' }, 'Videos'));
  const fav = h('input', { type: 'checkbox', name: 'favorite', checked: query.get('favorite') === '1' });
  const form = h('form.search-form', {
    role: 'search',
    onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const [key, input] of Object.entries(inputs)) if (input.value.trim()) q.set(key, input.value.trim());
      if (type.value) q.set('type', type.value);
      if (fav.checked) q.set('favorite', '1');
      navigate('/search?' + q.toString(), { state: { inApp: true } });
    },
  }, fields, h('label.field', h('span', 'Type'), type), h('label.check', fav, ' Favourites only'),
  h('div.actions', h('button', { type: 'button', onclick: () => navigate('/search', { state: { inApp: true } }) }, 'Clear'), h('button.primary', { type: 'submit' }, icon('search', 18), 'Search')), ...lists);

  const body = searchBody(query);
  const hasCriteria = Object.keys(body).length > 0;
  const status = h('p.muted', { 'aria-live': 'polite' }, hasCriteria ? 'Searching…' : 'Fill in any of the fields; all given ones must match.');
  let grid = null;
  let source = null;
  if (hasCriteria) {
    source = pagedSource(async (page) => {
      const r = await post('/search/metadata', { ...body, page, size: 250 });
      return r.assets;
    });
    grid = createGrid({
      source,
      basePath: '/search',
      query: () => location.search,
      label: 'Search results',
      actions: standardActions(),
      empty: 'Nothing matches. Camera and place must match exactly: pick them from the suggestions.',
    });
    grid.loaded.then(() => {
      status.textContent = source.total ? `${source.total}${source.total % 250 === 0 ? '+' : ''} found` : 'Nothing found';
    });
  }
  Object.entries(SUGGESTED).forEach(([key, type], i) => {
    get(`/search/suggestions?type=${type}`).then((values) => {
      mount(lists[i], ...values.map((v) => h('option', { value: v })));
    }).catch(() => {});
  });

  const el = h('section.page.grid-host.search-page',
    h('header.page-head', h('div.titles', h('h1', 'Search'), status)),
    h('details.search-box', { open: !hasCriteria }, h('summary', hasCriteria ? 'Change the search' : 'Search criteria'), form),
    grid ? grid.el : null);
  return { el, grid, title: 'Search', destroy: () => grid && grid.destroy() };
}
