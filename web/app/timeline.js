// Why this file exists: the pages that are "a grid of photos with a title":
// the main timeline, favourites, archive and trash. Each is the shared grid
// over a different filter of /api/timeline/buckets + /bucket, with the
// selection actions that make sense there. Also the two grid data sources:
// month buckets from the server, and paged search results grouped by month.

import { get, post, qs, prefetch } from './api.js';
import { h, attempt, confirmDialog, toast } from './dom.js';
import { createGrid } from './grid.js';
import { assetsFromColumns, assetFromResponse, groupByMonth } from './timeline-model.js';
import { standardActions, restore, deleteForever, download } from './actions.js';
import { plural } from './format.js';

/** Month buckets of the timeline, filtered by `params` (albumId, isFavorite, visibility, isTrashed). */
export function bucketSource(params) {
  return {
    buckets: () => get('/timeline/buckets' + qs(params)),
    loadBucket: async (key) => assetsFromColumns(await get('/timeline/bucket' + qs({ ...params, timeBucket: key }))),
  };
}

/**
 * Search results: `fetchPage(n)` returns Immich's `{ items, nextPage }`.
 * Pages load as the grid nears the end (`more()`); months are built here.
 */
export function pagedSource(fetchPage) {
  const assets = [];
  let next = 1;
  let total = 0;
  const source = {
    get total() {
      return total;
    },
    async buckets() {
      if (next === 1) await source.more();
      return groupByMonth(assets);
    },
    loadBucket: async () => [],
    async more() {
      if (next === null) return null;
      const page = await fetchPage(next);
      for (const a of page.items) assets.push(assetFromResponse(a));
      total = assets.length;
      next = page.nextPage ? Number(page.nextPage) : null;
      return page.items.length;
    },
  };
  return source;
}

/** A page with a title bar and a grid. */
export function gridPage({ title, subtitle, source, basePath, actions, empty, tools, label }) {
  const grid = createGrid({ source, basePath, actions, empty, label: label || title });
  const head = h('header.page-head', h('div.titles', h('h1', title), subtitle ? h('p.muted', subtitle) : null), h('div.tools', tools || []));
  const el = h('section.page.grid-host', head, grid.el);
  return { el, grid, basePath, destroy: () => grid.destroy() };
}

const TIMELINE = { visibility: 'timeline' };

/** Starts loading the timeline's months before the timeline page is made (see `prefetch`). */
export function prefetchTimeline() {
  prefetch('/timeline/buckets' + qs(TIMELINE));
}

export function timelinePage() {
  return gridPage({
    title: 'Photos',
    label: 'Timeline',
    source: bucketSource(TIMELINE),
    basePath: '',
    actions: standardActions(),
    empty: h('div', h('p', 'No photos yet.'), h('p.muted', 'Drop photos and videos anywhere on this page, or use Upload.')),
  });
}

export function favoritesPage() {
  return gridPage({
    title: 'Favourites',
    source: bucketSource({ isFavorite: true }),
    basePath: '/favorites',
    actions: standardActions().map((a) =>
      a.label === 'Favourite'
        ? { ...a, label: 'Unfavourite', run: async (ids, grid) => { await a.run(ids, grid); grid.removeAssets(ids); } }
        : a),
    empty: 'Photos you mark with the heart show up here.',
  });
}

export function archivePage() {
  return gridPage({
    title: 'Archive',
    subtitle: 'Archived photos stay in albums and search but not in the timeline.',
    source: bucketSource({ visibility: 'archive' }),
    basePath: '/archive',
    actions: standardActions({ archived: true }),
    empty: 'Nothing archived.',
  });
}

export function trashPage() {
  let page;
  const restoreAll = h('button', {
    type: 'button',
    onclick: () => attempt(async () => {
      const r = await post('/trash/restore');
      toast(`Restored ${plural(r.count, 'photo')}`);
      await page.grid.refresh();
    }),
  }, 'Restore all');
  const empty = h('button.danger', {
    type: 'button',
    onclick: async () => {
      if (!(await confirmDialog('Empty the trash?', 'Everything in the trash will be deleted permanently.', 'Empty trash', true))) return;
      await attempt(async () => {
        const r = await post('/trash/empty');
        toast(`Deleted ${plural(r.count, 'photo')} for good`);
        await page.grid.refresh();
      });
    },
  }, 'Empty trash');
  page = gridPage({
    title: 'Trash',
    subtitle: 'Photos in the trash are deleted for good after the number of days the server keeps them.',
    source: bucketSource({ isTrashed: true }),
    basePath: '/trash',
    tools: [restoreAll, empty],
    actions: [
      { icon: 'restore', label: 'Restore', showLabel: true, run: async (ids, grid) => { if (await restore(ids)) grid.removeAssets(ids); } },
      { icon: 'download', label: 'Download', run: (ids) => download(ids) },
      { icon: 'trash', label: 'Delete for good', run: async (ids, grid) => { if (await deleteForever(ids)) grid.removeAssets(ids); } },
    ],
    empty: 'The trash is empty.',
  });
  return page;
}
