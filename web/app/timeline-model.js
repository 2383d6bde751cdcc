// Why this file exists: the arithmetic of the virtual timeline, kept free of
// the DOM so it can be unit-tested. The timeline is a column of month
// sections; a month's height is estimated from its asset count before its
// assets are loaded and replaced by the real layout after. From that column
// the view asks: which sections and which rows intersect the viewport, where
// does a year start (for the scrubber), and how far did the content below the
// viewport move when an estimate was corrected (to keep the scroll position).

import { justify, targetRowHeight } from './layout.js';

export const MONTH_HEADER = 56;
export const DAY_HEADER = 36;
export const DAY_GAP = 12;
export const SECTION_GAP = 16;
export const GAP = 4;
/**
 * Loaded months whose layout is kept; the others keep only their height and
 * are laid out again when they come back into view (well under a
 * millisecond). All of a 50,000-photo library's layouts are some 200,000
 * small objects, which made each full garbage collection, a pause of tens
 * of milliseconds that can land in any frame, about twice as long.
 */
export const LAYOUTS_KEPT = 24;
/** Average shape assumed before a month is loaded (a mix of 4:3 and 3:4). */
export const ASSUMED_RATIO = 1.25;

/**
 * Turns a bucket of Immich's columnar `/timeline/bucket` answer into asset
 * objects. `localMs` is the wall-clock time where the photo was taken,
 * expressed as UTC milliseconds (so it formats with timeZone UTC).
 */
export function assetsFromColumns(cols) {
  const out = [];
  const n = cols.id ? cols.id.length : 0;
  for (let i = 0; i < n; i++) {
    const utc = Date.parse(cols.fileCreatedAt[i]);
    const offset = cols.localOffsetHours ? cols.localOffsetHours[i] || 0 : 0;
    const localMs = utc + offset * 3600000;
    out.push({
      id: cols.id[i],
      ratio: cols.ratio[i] || 1,
      isFavorite: !!cols.isFavorite[i],
      isImage: cols.isImage ? !!cols.isImage[i] : true,
      isTrashed: cols.isTrashed ? !!cols.isTrashed[i] : false,
      visibility: cols.visibility ? cols.visibility[i] : 'timeline',
      duration: cols.duration ? cols.duration[i] : null,
      thumbhash: cols.thumbhash ? cols.thumbhash[i] : null,
      livePhotoVideoId: cols.livePhotoVideoId ? cols.livePhotoVideoId[i] : null,
      city: cols.city ? cols.city[i] : null,
      country: cols.country ? cols.country[i] : null,
      offsetHours: offset,
      localMs,
      day: dayKey(localMs),
      fileName: null,
    });
  }
  return out;
}

/** An Immich AssetResponseDto (search results, single asset) as a grid asset. */
export function assetFromResponse(a) {
  const localMs = Date.parse(a.localDateTime);
  const utc = Date.parse(a.fileCreatedAt);
  const w = a.width || (a.exifInfo && a.exifInfo.exifImageWidth);
  const hgt = a.height || (a.exifInfo && a.exifInfo.exifImageHeight);
  return {
    id: a.id,
    ratio: w && hgt ? w / hgt : 1,
    isFavorite: !!a.isFavorite,
    isImage: a.type !== 'VIDEO',
    isTrashed: !!a.isTrashed,
    visibility: a.visibility,
    duration: typeof a.duration === 'number' ? a.duration : null,
    thumbhash: a.thumbhash,
    livePhotoVideoId: a.livePhotoVideoId,
    city: a.exifInfo ? a.exifInfo.city : null,
    country: a.exifInfo ? a.exifInfo.country : null,
    offsetHours: (localMs - utc) / 3600000,
    localMs,
    day: dayKey(localMs),
    fileName: a.originalFileName,
  };
}

export function dayKey(localMs) {
  return new Date(localMs).toISOString().slice(0, 10);
}

/** The month bucket key ("2019-07-01") an asset falls in. */
export function monthKey(localMs) {
  return new Date(localMs).toISOString().slice(0, 7) + '-01';
}

/** Groups assets (already in display order) into month buckets with counts. */
export function groupByMonth(assets) {
  const out = [];
  let cur = null;
  for (const a of assets) {
    const k = monthKey(a.localMs);
    if (!cur || cur.timeBucket !== k) {
      cur = { timeBucket: k, count: 0, assets: [] };
      out.push(cur);
    }
    cur.count++;
    cur.assets.push(a);
  }
  return out;
}

/** Estimated height of a month of `count` assets laid out `width` wide. */
export function estimateHeight(count, width, rowHeight) {
  const perRow = Math.max(1, Math.floor((width + GAP) / (rowHeight * ASSUMED_RATIO + GAP)));
  const rows = Math.ceil(count / perRow);
  // A month usually spans a few days, each with a header and a ragged last row.
  const days = Math.min(count, 1 + Math.floor(count / 12));
  return MONTH_HEADER + rows * (rowHeight + GAP) + days * (DAY_HEADER + DAY_GAP) + SECTION_GAP;
}

/**
 * Lays out one loaded month: a header, then per day a header and justified
 * rows. Returns { height, blocks } with blocks sorted by y:
 * { kind:'month', y, height } | { kind:'day', y, height, day, start, end }
 * | { kind:'row', y, height, tiles:[{ index, x, width }] } (indices into assets).
 */
export function layoutMonth(assets, width, rowHeight) {
  const blocks = [{ kind: 'month', y: 0, height: MONTH_HEADER }];
  let y = MONTH_HEADER;
  let i = 0;
  while (i < assets.length) {
    const day = assets[i].day;
    let j = i;
    while (j < assets.length && assets[j].day === day) j++;
    blocks.push({ kind: 'day', y, height: DAY_HEADER, day, start: i, end: j });
    y += DAY_HEADER;
    const ratios = [];
    for (let k = i; k < j; k++) ratios.push(assets[k].ratio);
    const laid = justify(ratios, width, rowHeight, GAP);
    for (const r of laid.rows) {
      blocks.push({
        kind: 'row',
        y: y + r.y,
        height: r.height,
        tiles: r.boxes.map((b, k) => ({ index: i + r.start + k, x: b.x, width: b.width })),
      });
    }
    y += laid.height + DAY_GAP;
    i = j;
  }
  return { height: y + SECTION_GAP, blocks };
}

/** The index of the last item whose `key(item)` is <= y (0 if none). */
export function lastAtOrBefore(items, y, key) {
  let lo = 0;
  let hi = items.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(items[mid]) <= y) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

/**
 * Which of the blocks missing from the DOM to build in this frame. Those
 * intersecting the viewport [viewTop, viewBottom) are always built; the
 * others (the overscan, there to be ready before they scroll into view) are
 * built nearest first while `budget` lasts, the rest in later frames. A jump
 * needs about three screens of new rows at once, which in one frame (the
 * script, then style, layout and paint of hundreds of elements) is a long
 * task; built this way no frame does much more than a screen's worth.
 * items: [{ y, height, cost }] (cost: a row's tiles, 1 for a header).
 * Returns the indices of the items to build now, nearest first.
 */
export function pickBuilds(items, viewTop, viewBottom, budget) {
  // 0 on screen; otherwise pixels to the viewport, plus one so that a block
  // just touching its edge is not taken for one on screen.
  const distance = (it) => {
    if (it.y >= viewBottom) return it.y - viewBottom + 1;
    if (it.y + it.height <= viewTop) return viewTop - (it.y + it.height) + 1;
    return 0;
  };
  const order = items.map((it, i) => [distance(it), i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = [];
  for (const [d, i] of order) {
    if (d > 0 && budget <= 0) break;
    out.push(i);
    budget -= items[i].cost;
  }
  return out;
}

/**
 * Whether the grid is moving too fast for its thumbnails to be worth
 * requesting: it moved `moved` pixels (of a `view`-pixel viewport) since the
 * frame `elapsed` ms before, faster than `limit` viewports per second. Only
 * consecutive frames count (`elapsed` under `settleMs`): a single jump after
 * stillness (a click on the scrubber) is not movement, so its photos load at once.
 */
export function movingFast(moved, view, elapsed, limit, settleMs) {
  if (!(elapsed < settleMs) || view <= 0) return false;
  return Math.abs(moved) / view > (limit * elapsed) / 1000;
}

/**
 * The grid's movement from frame to frame, and whether its thumbnails should
 * wait: while it moves fast (movingFast) and until `settleMs` have passed
 * without fast movement. The still frames of a scrubber drag (between its steps)
 * and a render asked for by a month that arrived mid-fling are not a stop:
 * loading on them would request a screenful of thumbnails at every step.
 */
export class Motion {
  constructor(limit, settleMs) {
    this.limit = limit;
    this.settleMs = settleMs;
    this.top = 0;
    this.at = -Infinity; // the last frame's time
    this.fastAt = -Infinity; // the last fast frame's time
    this.moved = 0; // pixels since the last frame
  }

  /** Notes a frame at `now` (ms) with the grid scrolled to `top`; returns whether thumbnails wait. */
  frame(top, view, now) {
    this.moved = top - this.top;
    if (movingFast(this.moved, view, now - this.at, this.limit, this.settleMs)) this.fastAt = now;
    this.top = top;
    this.at = now;
    return this.holding(now);
  }

  holding(now) {
    return now - this.fastAt < this.settleMs;
  }

  /** How long after `now` the wait ends (0 when not waiting). */
  waitLeft(now) {
    return Math.max(0, this.fastAt + this.settleMs - now);
  }
}

/**
 * The column of month sections. Sections: { key, count, assets|null, top,
 * height, layout|null } (layout: see layoutOf). All positions are in pixels
 * from the column's top.
 */
export class TimelineModel {
  constructor(width = 1000) {
    this.sections = [];
    this.kept = new Map(); // sections holding a layout, least recently used first
    this.setWidth(width);
  }

  setWidth(width, rowHeight) {
    this.width = Math.max(100, width);
    this.rowHeight = rowHeight || targetRowHeight(this.width);
    for (const s of this.sections) this.measure(s);
    this.reflow();
  }

  /** Replaces the sections from `[{ timeBucket, count, assets? }]`. */
  setBuckets(buckets) {
    this.kept.clear();
    this.sections = buckets.map((b) => ({
      key: b.timeBucket,
      count: b.count,
      assets: b.assets || null,
      top: 0,
      height: 0,
      layout: null,
    }));
    for (const s of this.sections) this.measure(s);
    this.reflow();
  }

  measure(s) {
    s.layout = null;
    if (s.assets) s.height = this.layoutOf(s).height;
    else s.height = estimateHeight(s.count, this.width, this.rowHeight);
  }

  /**
   * A loaded section's layout (null before it is loaded), laid out again if
   * it was dropped: only the LAYOUTS_KEPT most recently used are kept.
   */
  layoutOf(s) {
    if (!s.assets) return null;
    if (!s.layout) s.layout = layoutMonth(s.assets, this.width, this.rowHeight);
    this.kept.delete(s);
    this.kept.set(s, true);
    if (this.kept.size > LAYOUTS_KEPT) {
      const oldest = this.kept.keys().next().value;
      this.kept.delete(oldest);
      oldest.layout = null;
    }
    return s.layout;
  }

  reflow() {
    let y = 0;
    for (const s of this.sections) {
      s.top = y;
      y += s.height;
    }
    this.height = y;
  }

  /**
   * Gives section `index` its assets. Returns how many pixels the content
   * below the old bottom of the section moved (positive: grew).
   */
  setAssets(index, assets) {
    const s = this.sections[index];
    const before = s.height;
    s.assets = assets;
    s.count = assets.length;
    this.measure(s);
    this.reflow();
    return s.height - before;
  }

  /** Index of the section containing y. */
  sectionAt(y) {
    return lastAtOrBefore(this.sections, y, (s) => s.top);
  }

  /** Indices [first, last] of sections intersecting [top, bottom). */
  sectionsIn(top, bottom) {
    if (!this.sections.length) return [0, -1];
    const first = this.sectionAt(Math.max(0, top));
    let last = first;
    while (last + 1 < this.sections.length && this.sections[last + 1].top < bottom) last++;
    return [first, last];
  }

  /** The blocks of a loaded section intersecting [top, bottom) in column coordinates. */
  blocksIn(index, top, bottom) {
    const s = this.sections[index];
    const layout = this.layoutOf(s);
    if (!layout) return [];
    const blocks = layout.blocks;
    const from = lastAtOrBefore(blocks, top - s.top, (b) => b.y);
    const out = [];
    for (let i = from; i < blocks.length; i++) {
      const b = blocks[i];
      if (s.top + b.y >= bottom) break;
      if (s.top + b.y + b.height > top) out.push(b);
    }
    return out;
  }

  /** Where each year starts: [{ year, top, fraction }], newest first as the sections are. */
  yearMarks() {
    const marks = [];
    for (const s of this.sections) {
      const year = s.key.slice(0, 4);
      if (!marks.length || marks[marks.length - 1].year !== year) {
        marks.push({ year, top: s.top, fraction: this.height ? s.top / this.height : 0 });
      }
    }
    return marks;
  }

  /** Section index and position of an asset, if its section is loaded. */
  locate(id) {
    for (let i = 0; i < this.sections.length; i++) {
      const s = this.sections[i];
      if (!s.assets) continue;
      const k = s.assets.findIndex((a) => a.id === id);
      if (k >= 0) return { section: i, index: k };
    }
    return null;
  }

  /** The y (column coordinates) of an asset's row, if its section is laid out. */
  assetTop(section, index) {
    const s = this.sections[section];
    const layout = this.layoutOf(s);
    if (!layout) return s.top;
    for (const b of layout.blocks) {
      if (b.kind === 'row' && b.tiles[0].index <= index && b.tiles[b.tiles.length - 1].index >= index) return s.top + b.y;
    }
    return s.top;
  }

  /** Removes assets by id from loaded sections (after delete/archive); empty sections go. */
  removeAssets(ids) {
    const gone = new Set(ids);
    for (const s of this.sections) {
      if (!s.assets) continue;
      const kept = s.assets.filter((a) => !gone.has(a.id));
      if (kept.length !== s.assets.length) {
        s.assets = kept;
        s.count = kept.length;
        this.measure(s);
      }
    }
    this.sections = this.sections.filter((s) => s.count > 0);
    this.reflow();
  }
}
