// Why this file exists: the photo grid shared by the timeline, albums,
// favourites, archive, trash and search results. It is a virtual scroller:
// the column of months comes from TimelineModel (estimated heights until a
// month is loaded), and only the headers and rows near the viewport are in
// the DOM. It also owns selection (click, shift-range, whole day, long press
// on touch), the selection action bar, the year scrubber, and the
// "navigator" the viewer uses to step to the previous/next photo.

import { h, icon, iconButton, toast, mount } from './dom.js';
import { media } from './api.js';
import { TimelineModel, monthKey, pickBuilds, Motion, MONTH_HEADER } from './timeline-model.js';
import { monthLabel, dayLabel, dateTime, duration } from './format.js';
import { thumbhashUrl } from './thumbhash.js';

const OVERSCAN = 1.0; // viewports rendered above and below
const MAX_LOADS = 3; // month requests in flight
// Tiles (a header counts as one) built per frame, what is on screen first
// and always, then the overscan: more than a fast fling brings into the
// overscan per frame (half a screen, about 10 tiles), few enough that each
// frame after a jump stays short.
const BUILD_BUDGET = 16;
// Thumbnails start only while the grid moves slower than this (viewports per
// second). A fling or a scrubber drag passes a screenful of photos every few
// frames: requesting them all would send the server hundreds of requests a
// second for photos already gone, and keep the browser's network and image
// decoders busy on the same cores as the page. Their thumbhash shows instead,
// and the photos load once the grid has moved slower for SETTLE_MS.
const FAST = 3;
// How long the grid must go without fast movement before loading starts.
const SETTLE_MS = 100;
// Thumbnails load this far (in viewports) above and below the screen.
const LOAD_MARGIN = 0.5;

// A tile's fixed part, built once and cloned for each photo: cloning copies
// the link, the image and the check button natively, far cheaper than
// creating them one by one. The check mark is drawn by CSS rather than an SVG
// icon: two elements fewer to style and lay out per tile.
let template = null;
function tileTemplate() {
  return (template ||= h('a.tile',
    h('img', { alt: '', decoding: 'async', draggable: 'false' }),
    h('button.tile-check', { type: 'button', tabindex: '-1', 'aria-label': 'Select', 'aria-pressed': 'false' })));
}

/** A short description of an asset for `alt` and labels. */
export function altText(a) {
  const what = a.fileName || (a.isImage ? 'Photo' : 'Video');
  const where = a.city ? ` in ${a.city}${a.country ? ', ' + a.country : ''}` : '';
  return `${what}, taken ${dateTime(a.localMs)}${where}`;
}

/**
 * Creates a grid. opts: source { buckets(), loadBucket(key), more?() },
 * basePath (viewer links are basePath + '/photos/' + id), actions
 * [{ icon, label, run(ids, grid), when?(ids) }], empty (node or text).
 */
export function createGrid(opts) {
  const model = new TimelineModel(1000);
  const selection = new Set();
  let anchor = null; // last clicked { id }
  const loading = new Map(); // section key -> promise
  let inFlight = 0;
  let destroyed = false;
  let exhausted = !opts.source.more;
  let fetchingMore = false;
  let layoutGen = 0;
  const rendered = new Map(); // key -> element
  let frame = 0;
  let ready = false;
  let viewHeight = 0; // the scroller's height, kept by the ResizeObserver
  const unloaded = new Set(); // rows in the DOM whose thumbnails have not been requested
  const motion = new Motion(FAST, SETTLE_MS);
  let settle = 0;

  const canvas = h('div.grid-canvas', { role: 'list', 'aria-label': opts.label || 'Photos' });
  const scroller = h('div.grid-scroll', { tabindex: '-1' }, canvas);
  const scrubber = h('div.scrubber', { role: 'slider', tabindex: '0', 'aria-label': 'Jump to a date', 'aria-orientation': 'vertical', 'aria-valuemin': '0', 'aria-valuemax': '100' });
  const scrubLabel = h('div.scrub-label', { hidden: true });
  const emptyEl = h('div.empty', { hidden: true }, opts.empty || 'No photos here yet.');
  const selBar = h('div.selection-bar', { hidden: true, role: 'toolbar', 'aria-label': 'Selected photos' });
  const el = h('div.grid-page', scroller, scrubber, scrubLabel, emptyEl);
  // The bar covers the top bar while photos are selected, so it lives on <body>.
  if (opts.actions && opts.actions.length) document.body.append(selBar);

  // ---- data ----

  async function loadBuckets() {
    const buckets = await opts.source.buckets();
    if (destroyed) return;
    const old = new Map(model.sections.map((s) => [s.key, s]));
    for (const b of buckets) {
      const o = old.get(b.timeBucket);
      if (!b.assets && o && o.assets && o.count === b.count) b.assets = o.assets;
    }
    model.setBuckets(buckets);
    layoutGen++;
    ready = true;
    emptyEl.hidden = buckets.length > 0;
    canvas.style.height = model.height + 'px';
    drawScrubber();
    schedule();
  }

  /** Starts loading month i (unless loaded, loading, or too many are; `force` skips the limit). */
  function loadSection(i, force = false) {
    const s = model.sections[i];
    if (s.assets || loading.has(s.key) || (inFlight >= MAX_LOADS && !force)) return;
    inFlight++;
    const key = s.key;
    const p = opts.source
      .loadBucket(key)
      .then((assets) => {
        if (destroyed) return;
        const idx = model.sections.findIndex((x) => x.key === key);
        if (idx < 0) return;
        const sec = model.sections[idx];
        const oldBottom = sec.top + sec.height;
        const delta = model.setAssets(idx, assets);
        // Keep what is on screen still: a month above the viewport that grew
        // or shrank moves everything below it.
        if (delta && oldBottom <= scroller.scrollTop + 1) scroller.scrollTop += delta;
        canvas.style.height = model.height + 'px';
        drawScrubber();
      })
      .catch((e) => {
        if (!destroyed) toast(`Could not load ${monthLabel(key)}: ${e.message}`, 'error');
      })
      .finally(() => {
        inFlight--;
        loading.delete(key);
        schedule();
      });
    loading.set(key, p);
  }

  async function ensureLoaded(i) {
    const s = model.sections[i];
    if (!s || s.assets) return;
    if (!loading.has(s.key)) loadSection(i, true);
    await loading.get(s.key);
  }

  async function fetchMore() {
    if (exhausted || fetchingMore) return;
    fetchingMore = true;
    try {
      const more = await opts.source.more();
      if (more === null) exhausted = true;
      else await loadBuckets();
    } finally {
      fetchingMore = false;
    }
  }

  // ---- rendering ----

  function schedule() {
    if (!frame && !destroyed) frame = requestAnimationFrame(render);
  }

  function contentWidth() {
    const style = getComputedStyle(canvas);
    return canvas.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  }

  function render() {
    frame = 0;
    if (destroyed || !ready) return;
    // Layout is read once, before any change to the DOM (no forced reflows).
    const scrollTop = scroller.scrollTop;
    const view = viewHeight || (viewHeight = scroller.clientHeight || window.innerHeight);
    const now = performance.now();
    const hold = motion.frame(scrollTop, view, now);
    const moved = motion.moved;
    const top = scrollTop - view * OVERSCAN;
    const bottom = scrollTop + view * (1 + OVERSCAN);
    const [first, last] = model.sectionsIn(top, bottom);
    const wanted = [];
    for (let i = first; i <= last; i++) {
      const s = model.sections[i];
      if (!s.assets) {
        // Load what is on screen first, then what is near.
        loadSection(i);
        wanted.push({ key: 'ph|' + s.key + '|' + s.height, make: () => placeholder(s), y: s.top, height: s.height, cost: 1 });
        continue;
      }
      const { blocks } = model.layoutOf(s);
      for (const b of model.blocksIn(i, top, bottom)) {
        const key = `${layoutGen}|${s.key}|${blocks.indexOf(b)}|${s.count}`;
        wanted.push({ key, make: () => block(s, b), y: s.top + b.y, height: b.height, cost: b.tiles ? b.tiles.length : 1 });
      }
    }
    // Drop what left the range first, so the rest need no reordering.
    const keep = new Set(wanted.map((w) => w.key));
    for (const [key, node] of rendered) {
      if (!keep.has(key) && !node.contains(document.activeElement)) {
        release(node);
        node.remove();
        rendered.delete(key);
      }
    }
    // What is on screen now, and as much of the overscan as fits this frame.
    const missing = wanted.filter((w) => !rendered.has(w.key));
    // A frame that jumps (the scrubber) already builds a whole new screen:
    // the overscan around it waits for the next frame.
    const budget = Math.abs(moved) > view ? 0 : BUILD_BUDGET;
    const builds = pickBuilds(missing, scrollTop, scrollTop + view, budget);
    for (const i of builds) rendered.set(missing[i].key, missing[i].make());
    if (builds.length < missing.length) schedule();
    let prev = null;
    for (const { key, y } of wanted) {
      const node = rendered.get(key);
      if (!node) continue;
      node.style.transform = `translateY(${y}px)`;
      // DOM order = visual order, so Tab walks the grid top to bottom.
      const want = prev ? prev.nextSibling : canvas.firstChild;
      if (node !== want) canvas.insertBefore(node, want);
      prev = node;
    }
    updateScrubberThumb(scrollTop);
    loadThumbnails(wanted, scrollTop, view, hold, now);
    if (!exhausted && scrollTop + view * 2 > model.height) fetchMore();
  }

  /**
   * Requests the thumbnails of rows near the screen, unless the grid is
   * moving fast or SETTLE_MS have not yet passed since it did (see Motion);
   * then a render comes when that wait ends.
   */
  function loadThumbnails(wanted, scrollTop, view, hold, now) {
    if (unloaded.size === 0) return;
    if (hold) {
      clearTimeout(settle);
      settle = setTimeout(() => {
        settle = 0;
        schedule();
      }, motion.waitLeft(now) + 1);
      return;
    }
    const from = scrollTop - view * LOAD_MARGIN;
    const to = scrollTop + view * (1 + LOAD_MARGIN);
    for (const { key, y, height } of wanted) {
      if (y + height < from || y > to) continue;
      const node = rendered.get(key);
      if (!node || !unloaded.has(node)) continue;
      unloaded.delete(node);
      for (const t of node.children) if (t.firstChild && t.firstChild.localName === 'img') t.firstChild.src = media.thumb(t.dataset.id);
    }
  }

  /**
   * Cancels the thumbnail downloads of a block leaving the DOM (an <img>
   * without a source drops its request). A removed <img> would otherwise
   * keep loading: a fast fling queues thousands of requests for photos long
   * gone, the photos on screen wait behind them, and the browser revisits
   * every pending image on every frame (so frames slow down as the queue grows).
   */
  function release(node) {
    unloaded.delete(node);
    for (const img of node.getElementsByTagName('img')) if (!img.complete) img.removeAttribute('src');
  }

  // Thumbnails report here rather than to listeners of their own (two fewer
  // closures per tile to make and collect): load and error do not bubble,
  // but they pass through the canvas while capturing.
  canvas.addEventListener('load', (e) => e.target.localName === 'img' && e.target.classList.remove('failed'), true);
  canvas.addEventListener('error', (e) => {
    const img = e.target;
    const t = img.localName === 'img' && img.closest('.tile');
    if (!t) return;
    // Thumbnails are made after the upload; until then (or for good when a
    // file cannot be decoded) the placeholder stays.
    img.classList.add('failed');
    const tries = Number(img.dataset.tries || 0) + 1;
    if (tries > 3 || destroyed) return;
    img.dataset.tries = tries;
    setTimeout(() => img.isConnected && (img.src = media.thumb(t.dataset.id) + '&retry=' + tries), 2000 * tries * tries);
  }, true);

  function placeholder(s) {
    return h('div.block.month-ph', { style: { height: s.height + 'px' } },
      h('h2.month-title', monthLabel(s.key)),
      h('div.skeleton', { style: { height: Math.max(0, s.height - MONTH_HEADER - 16) + 'px' } }));
  }

  function block(s, b) {
    if (b.kind === 'month') {
      return h('div.block.month', { style: { height: b.height + 'px' }, role: 'listitem', 'data-month': s.key }, h('h2.month-title', monthLabel(s.key)));
    }
    if (b.kind === 'day') {
      const ids = s.assets.slice(b.start, b.end).map((a) => a.id);
      const all = ids.every((id) => selection.has(id));
      return h('div.block.day', { style: { height: b.height + 'px' }, role: 'listitem', 'data-day': b.day },
        h('button.day-select', {
          type: 'button',
          'aria-pressed': String(all && ids.length > 0),
          title: 'Select this day',
          'aria-label': `Select all photos of ${dayLabel(b.day)}`,
          onclick: () => toggleMany(ids),
        }, icon('check', 16)),
        h('h3.day-title', dayLabel(b.day)));
    }
    const row = h('div.block.row', { style: { height: b.height + 'px' }, role: 'listitem', 'data-month': s.key });
    for (const t of b.tiles) row.append(tile(s.assets[t.index], t.x, t.width, b.height));
    unloaded.add(row);
    return row;
  }

  function tile(a, x, w, hgt) {
    const t = tileTemplate().cloneNode(true);
    const img = t.firstChild;
    const check = img.nextSibling;
    const ph = thumbhashUrl(a.thumbhash);
    t.href = `${opts.basePath}/photos/${a.id}${opts.query ? opts.query() : ''}`;
    t.dataset.id = a.id;
    // One description, made once: the link's name (its content would read
    // "Select" too) and the image's text alternative.
    const label = altText(a);
    t.setAttribute('aria-label', label);
    img.alt = label;
    t.style.cssText = `left:${x}px;width:${w}px;height:${hgt}px${ph ? `;background-image:url(${ph})` : ''}`;
    if (selection.has(a.id)) {
      t.classList.add('selected');
      check.setAttribute('aria-pressed', 'true');
    }
    if (a.isFavorite) t.append(h('span.badge.fav', { title: 'Favourite' }, icon('heart', 16)));
    if (!a.isImage) t.append(h('span.badge.video', icon('play', 14), duration(a.duration)));
    return t;
  }

  // ---- selection ----

  function orderedLoaded() {
    const out = [];
    for (const s of model.sections) if (s.assets) for (const a of s.assets) out.push(a);
    return out;
  }

  function findAsset(id) {
    const at = model.locate(id);
    return at ? model.sections[at.section].assets[at.index] : null;
  }

  function refreshSelectionMarks() {
    for (const node of canvas.querySelectorAll('.tile')) {
      const on = selection.has(node.dataset.id);
      node.classList.toggle('selected', on);
      node.querySelector('.tile-check').setAttribute('aria-pressed', String(on));
    }
    for (const node of canvas.querySelectorAll('.block.day')) {
      // Day buttons are rebuilt on the next layout; update their pressed state here.
      const day = node.dataset.day;
      const ids = orderedLoaded().filter((a) => a.day === day).map((a) => a.id);
      node.querySelector('.day-select').setAttribute('aria-pressed', String(ids.length > 0 && ids.every((id) => selection.has(id))));
    }
    el.classList.toggle('selecting', selection.size > 0);
    drawSelectionBar();
  }

  function toggle(id, range) {
    if (range && anchor) {
      const list = orderedLoaded();
      const i = list.findIndex((a) => a.id === anchor);
      const j = list.findIndex((a) => a.id === id);
      if (i >= 0 && j >= 0) {
        for (let k = Math.min(i, j); k <= Math.max(i, j); k++) selection.add(list[k].id);
        anchor = id;
        refreshSelectionMarks();
        return;
      }
    }
    if (selection.has(id)) selection.delete(id);
    else selection.add(id);
    anchor = id;
    refreshSelectionMarks();
  }

  function toggleMany(ids) {
    const all = ids.every((id) => selection.has(id));
    for (const id of ids) all ? selection.delete(id) : selection.add(id);
    refreshSelectionMarks();
  }

  function clearSelection() {
    selection.clear();
    anchor = null;
    refreshSelectionMarks();
  }

  function drawSelectionBar() {
    selBar.hidden = selection.size === 0;
    if (selBar.hidden) return;
    const ids = [...selection];
    mount(selBar, 
      iconButton('close', 'Clear selection', clearSelection),
      h('span.sel-count', { 'aria-live': 'polite' }, `${ids.length} selected`),
      h('span.spacer'),
      ...(opts.actions || []).filter((a) => !a.when || a.when(ids, api)).map((a) =>
        iconButton(a.icon, a.label, async () => {
          await a.run(ids, api);
        }, { cls: 'sel-action', showLabel: a.showLabel })),
    );
  }

  canvas.addEventListener('click', (e) => {
    const dayBtn = e.target.closest('.day-select');
    if (dayBtn) return;
    const t = e.target.closest('.tile');
    if (!t) return;
    const check = e.target.closest('.tile-check');
    if (check || selection.size > 0 || e.shiftKey || opts.selectOnClick) {
      e.preventDefault();
      toggle(t.dataset.id, e.shiftKey);
    }
  });

  // Long press selects on touch screens.
  let pressTimer = 0;
  let pressed = false;
  canvas.addEventListener('touchstart', (e) => {
    const t = e.target.closest('.tile');
    if (!t) return;
    pressed = false;
    pressTimer = setTimeout(() => {
      pressed = true;
      toggle(t.dataset.id, false);
    }, 500);
  }, { passive: true });
  const cancelPress = () => clearTimeout(pressTimer);
  canvas.addEventListener('touchmove', cancelPress, { passive: true });
  canvas.addEventListener('touchend', (e) => {
    cancelPress();
    if (pressed) e.preventDefault();
  });
  canvas.addEventListener('contextmenu', (e) => {
    if (pressed) e.preventDefault();
  });

  // Arrow keys move between tiles; x or space selects the focused one.
  canvas.addEventListener('keydown', (e) => {
    const t = e.target.closest && e.target.closest('.tile');
    if (!t) return;
    if (e.key === ' ' || e.key === 'x') {
      e.preventDefault();
      toggle(t.dataset.id, e.shiftKey);
      return;
    }
    const dir = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 'down', ArrowUp: 'up' }[e.key];
    if (!dir) return;
    e.preventDefault();
    const tiles = [...canvas.querySelectorAll('.tile')];
    const i = tiles.indexOf(t);
    let next;
    if (typeof dir === 'number') next = tiles[i + dir];
    else {
      const r = t.getBoundingClientRect();
      const cx = r.left + r.width / 2;
      const candidates = tiles.filter((o) => {
        const q = o.getBoundingClientRect();
        return dir === 'down' ? q.top > r.bottom - 2 : q.bottom < r.top + 2;
      });
      const rowY = dir === 'down' ? Math.min(...candidates.map((o) => o.getBoundingClientRect().top)) : Math.max(...candidates.map((o) => o.getBoundingClientRect().top));
      next = candidates
        .filter((o) => Math.abs(o.getBoundingClientRect().top - rowY) < 2)
        .sort((p, q) => Math.abs(p.getBoundingClientRect().left - cx) - Math.abs(q.getBoundingClientRect().left - cx))[0];
    }
    if (next) {
      next.focus();
      next.scrollIntoView({ block: 'nearest' });
    }
  });

  document.addEventListener('keydown', onDocKey);
  function onDocKey(e) {
    if (e.key === 'Escape' && selection.size && !document.querySelector('dialog[open], .viewer')) clearSelection();
  }

  // ---- scrubber ----

  // Runs whenever a month loads, so it reads no layout (the track height is
  // kept by the ResizeObserver) and touches the DOM only when a year label
  // moved by a pixel or more. The thumb follows on the next render().
  let trackHeight = 0;
  let drawnMarks = '';
  function drawScrubber() {
    scrubber.hidden = model.sections.length < 2;
    const marks = [];
    let lastY = -100;
    for (const m of model.yearMarks()) {
      const y = Math.round(m.fraction * trackHeight);
      if (y - lastY < 18) continue;
      lastY = y;
      marks.push([m.year, y]);
    }
    const key = marks.join(';');
    if (key === drawnMarks && scrubber.firstChild) return;
    drawnMarks = key;
    mount(scrubber, h('div.scrub-thumb'), marks.map(([year, y]) => h('span.scrub-year', { style: { top: y + 'px' } }, year)));
  }

  // Called on every scroll frame: no layout reads here, and the accessible
  // value changes only with the month.
  let shownKey = '';
  function updateScrubberThumb(scrollTop) {
    const thumb = scrubber.firstChild;
    if (!thumb || !model.height) return;
    const f = scrollTop / Math.max(1, model.height);
    thumb.style.transform = `translateY(${f * trackHeight}px)`;
    const s = model.sections[model.sectionAt(scrollTop + 1)];
    if (s && s.key !== shownKey) {
      shownKey = s.key;
      scrubber.setAttribute('aria-valuenow', String(Math.round(f * 100)));
      scrubber.setAttribute('aria-valuetext', monthLabel(s.key));
    }
  }

  function scrubTo(clientY) {
    const r = scrubber.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientY - r.top) / r.height));
    const y = f * model.height;
    scroller.scrollTop = y;
    const s = model.sections[model.sectionAt(y)];
    if (s) {
      scrubLabel.hidden = false;
      scrubLabel.textContent = monthLabel(s.key);
      scrubLabel.style.top = clientY - el.getBoundingClientRect().top + 'px';
    }
  }

  scrubber.addEventListener('pointerdown', (e) => {
    scrubber.setPointerCapture(e.pointerId);
    scrubTo(e.clientY);
    const move = (ev) => scrubTo(ev.clientY);
    const up = () => {
      scrubber.removeEventListener('pointermove', move);
      scrubLabel.hidden = true;
    };
    scrubber.addEventListener('pointermove', move);
    scrubber.addEventListener('pointerup', up, { once: true });
    scrubber.addEventListener('pointercancel', up, { once: true });
  });
  scrubber.addEventListener('keydown', (e) => {
    const marks = model.yearMarks();
    const cur = scroller.scrollTop;
    let target = null;
    if (e.key === 'ArrowDown' || e.key === 'PageDown') target = marks.find((m) => m.top > cur + 1);
    if (e.key === 'ArrowUp' || e.key === 'PageUp') target = [...marks].reverse().find((m) => m.top < cur - 1);
    if (e.key === 'Home') target = marks[0];
    if (e.key === 'End') target = marks[marks.length - 1];
    if (target) {
      e.preventDefault();
      scroller.scrollTop = target.top;
    }
  });

  // ---- sizing and scrolling ----

  scroller.addEventListener('scroll', schedule, { passive: true });
  const ro = new ResizeObserver(() => {
    viewHeight = scroller.clientHeight;
    trackHeight = scrubber.clientHeight;
    const w = contentWidth();
    if (Math.abs(w - model.width) < 1 && ready) {
      drawScrubber();
      schedule();
      return;
    }
    // Keep the month at the top of the viewport in place across a reflow.
    const i = model.sectionAt(scroller.scrollTop);
    const s = model.sections[i];
    const within = s ? (scroller.scrollTop - s.top) / Math.max(1, s.height) : 0;
    model.setWidth(w);
    layoutGen++;
    canvas.style.height = model.height + 'px';
    if (s) scroller.scrollTop = s.top + within * s.height;
    drawScrubber();
    schedule();
  });
  ro.observe(scroller);
  ro.observe(scrubber);

  // ---- the interface pages and the viewer use ----

  const api = {
    el,
    model,
    selection,
    clearSelection,
    async refresh() {
      await loadBuckets();
    },
    /** Drops assets (moved to trash, archived, removed from the album). */
    removeAssets(ids) {
      model.removeAssets(ids);
      for (const id of ids) selection.delete(id);
      layoutGen++;
      canvas.style.height = model.height + 'px';
      emptyEl.hidden = model.sections.length > 0;
      refreshSelectionMarks();
      drawScrubber();
      schedule();
    },
    /** Changes fields of loaded assets (favourite) and redraws. */
    patchAssets(ids, patch) {
      for (const id of ids) {
        const a = findAsset(id);
        if (a) Object.assign(a, patch);
      }
      layoutGen++;
      schedule();
    },
    asset: findAsset,
    /** The neighbour of `id` in display order (dir ±1), loading months as needed. */
    async neighbour(id, dir) {
      let at = model.locate(id);
      if (!at) return null;
      let { section, index } = at;
      index += dir;
      for (;;) {
        const s = model.sections[section];
        if (s && s.assets && index >= 0 && index < s.assets.length) return s.assets[index];
        section += dir;
        if (section < 0) return null;
        if (section >= model.sections.length) {
          if (exhausted) return null;
          await fetchMore();
          if (section >= model.sections.length) return null;
        }
        await ensureLoaded(section);
        const n = model.sections[section];
        if (!n || !n.assets) return null;
        index = dir > 0 ? 0 : n.assets.length - 1;
      }
    },
    /** Loads the month of an asset the viewer opened directly (deep link). */
    async ensureAsset(id, localMs) {
      if (model.locate(id)) return true;
      if (!ready) await loaded;
      const key = monthKey(localMs);
      const i = model.sections.findIndex((s) => s.key.slice(0, 7) === key.slice(0, 7));
      if (i < 0) return false;
      await ensureLoaded(i);
      return !!model.locate(id);
    },
    /** Scrolls so the asset's row is visible and focuses its tile. */
    reveal(id) {
      const at = model.locate(id);
      if (!at) return;
      const y = model.assetTop(at.section, at.index);
      const view = scroller.clientHeight;
      if (y < scroller.scrollTop || y > scroller.scrollTop + view - 100) scroller.scrollTop = Math.max(0, y - view / 3);
      render();
      const t = canvas.querySelector(`.tile[data-id="${id}"]`);
      if (t) t.focus({ preventScroll: true });
    },
    destroy() {
      destroyed = true;
      ro.disconnect();
      selBar.remove();
      document.removeEventListener('keydown', onDocKey);
      cancelAnimationFrame(frame);
      clearTimeout(settle);
      for (const node of rendered.values()) release(node);
    },
  };
  const loaded = loadBuckets().catch((e) => {
    emptyEl.hidden = false;
    emptyEl.textContent = `Could not load the photos: ${e.message}`;
  });
  api.loaded = loaded;
  return api;
}
