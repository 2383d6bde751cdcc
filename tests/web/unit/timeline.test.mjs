// Why this file exists: the virtual timeline's arithmetic — columnar bucket
// decoding, month estimates replaced by real layouts, finding what is in the
// viewport, the scroll correction when a month above it loads, year marks
// for the scrubber, which blocks a frame builds first, when the grid moves
// too fast to load thumbnails — tested without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TimelineModel, assetsFromColumns, assetFromResponse, groupByMonth, layoutMonth, estimateHeight,
  lastAtOrBefore, pickBuilds, movingFast, Motion, MONTH_HEADER, DAY_HEADER, LAYOUTS_KEPT,
} from '../../../web/app/timeline-model.js';

function columns(dates, ratio = 1.5) {
  return {
    id: dates.map((_, i) => 'id' + i),
    ratio: dates.map(() => ratio),
    isFavorite: dates.map((_, i) => i === 0),
    isImage: dates.map(() => true),
    isTrashed: dates.map(() => false),
    visibility: dates.map(() => 'timeline'),
    fileCreatedAt: dates.map(([utc]) => utc),
    localOffsetHours: dates.map(([, off]) => off),
    thumbhash: dates.map(() => null),
    duration: dates.map(() => null),
  };
}

test('bucket columns become assets on their local day', () => {
  // 23:30 UTC on 31 Dec at UTC+2 is 1 Jan locally.
  const a = assetsFromColumns(columns([['2023-12-31T23:30:00.000Z', 2], ['2024-01-01T10:00:00.000Z', 0]]));
  assert.equal(a.length, 2);
  assert.equal(a[0].day, '2024-01-01');
  assert.equal(a[0].isFavorite, true);
  assert.equal(new Date(a[0].localMs).toISOString(), '2024-01-01T01:30:00.000Z');
  assert.equal(a[1].day, '2024-01-01');
});

test('a search result (AssetResponseDto) becomes the same kind of asset', () => {
  const a = assetFromResponse({
    id: 'x', type: 'VIDEO', width: 1920, height: 1080, isFavorite: true, localDateTime: '2019-07-12T18:15:12.000Z',
    fileCreatedAt: '2019-07-12T16:15:12.000Z', originalFileName: 'clip.mp4', exifInfo: { city: 'Paris' }, duration: 5000,
  });
  assert.equal(a.isImage, false);
  assert.ok(Math.abs(a.ratio - 16 / 9) < 1e-9);
  assert.equal(a.offsetHours, 2);
  assert.equal(a.day, '2019-07-12');
  assert.equal(a.fileName, 'clip.mp4');
});

test('results are grouped into months in order', () => {
  const assets = assetsFromColumns(columns([['2024-03-05T10:00:00Z', 0], ['2024-03-01T10:00:00Z', 0], ['2024-01-15T10:00:00Z', 0]]));
  const months = groupByMonth(assets);
  assert.deepEqual(months.map((m) => [m.timeBucket, m.count]), [['2024-03-01', 2], ['2024-01-01', 1]]);
});

test('a month lays out as header, then per day a header and rows', () => {
  const assets = assetsFromColumns(columns([['2024-03-09T10:00:00Z', 0], ['2024-03-05T10:00:00Z', 0], ['2024-03-05T09:00:00Z', 0]]));
  const { blocks, height } = layoutMonth(assets, 1000, 200);
  assert.deepEqual(blocks.map((b) => b.kind), ['month', 'day', 'row', 'day', 'row']);
  assert.equal(blocks[1].day, '2024-03-09');
  assert.deepEqual([blocks[3].start, blocks[3].end], [1, 3]);
  assert.equal(blocks[1].y, MONTH_HEADER);
  assert.equal(blocks[2].y, MONTH_HEADER + DAY_HEADER);
  for (let i = 1; i < blocks.length; i++) assert.ok(blocks[i].y >= blocks[i - 1].y + blocks[i - 1].height);
  assert.ok(height > blocks[4].y + blocks[4].height);
  // Tiles refer to their assets by index, in order.
  assert.deepEqual(blocks[4].tiles.map((t) => t.index), [1, 2]);
});

test('sections are stacked; estimates grow with the count', () => {
  const m = new TimelineModel(1000);
  m.setBuckets([{ timeBucket: '2024-03-01', count: 10 }, { timeBucket: '2024-01-01', count: 500 }, { timeBucket: '2023-12-01', count: 1 }]);
  const [a, b, c] = m.sections;
  assert.equal(a.top, 0);
  assert.equal(b.top, a.height);
  assert.equal(c.top, a.height + b.height);
  assert.equal(m.height, a.height + b.height + c.height);
  assert.ok(b.height > a.height && a.height > c.height);
  assert.equal(estimateHeight(0, 1000, 200) < estimateHeight(100, 1000, 200), true);
});

test('finding the sections in a viewport', () => {
  const m = new TimelineModel(1000);
  m.setBuckets(Array.from({ length: 100 }, (_, i) => ({ timeBucket: `${2000 + Math.floor(i / 12)}-${String(12 - (i % 12)).padStart(2, '0')}-01`, count: 30 })));
  const s40 = m.sections[40];
  const [first, last] = m.sectionsIn(s40.top + 1, s40.top + s40.height + 10);
  assert.equal(first, 40);
  assert.equal(last, 41);
  assert.equal(m.sectionAt(0), 0);
  assert.equal(m.sectionAt(m.height + 1000), 99);
  assert.deepEqual(m.sectionsIn(-50, 1), [0, 0]);
});

test('loading a month replaces its estimate and reports how far later months moved', () => {
  const m = new TimelineModel(1000);
  m.setBuckets([{ timeBucket: '2024-03-01', count: 3 }, { timeBucket: '2024-02-01', count: 3 }]);
  const before = m.sections[1].top;
  const assets = assetsFromColumns(columns([['2024-03-09T10:00:00Z', 0], ['2024-03-05T10:00:00Z', 0], ['2024-03-04T10:00:00Z', 0]]));
  const delta = m.setAssets(0, assets);
  assert.equal(m.sections[1].top, before + delta);
  assert.equal(m.sections[0].height, layoutMonth(assets, 1000, m.rowHeight).height);
});

test('only the blocks intersecting a range are returned', () => {
  const m = new TimelineModel(400);
  const dates = Array.from({ length: 60 }, (_, i) => [`2024-03-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`, 0]);
  dates.sort((x, y) => y[0].localeCompare(x[0]));
  m.setBuckets([{ timeBucket: '2024-03-01', count: 60 }]);
  m.setAssets(0, assetsFromColumns(columns(dates)));
  const all = m.sections[0].layout.blocks;
  const some = m.blocksIn(0, 500, 900);
  assert.ok(some.length > 0 && some.length < all.length);
  for (const b of some) assert.ok(b.y < 900 && b.y + b.height > 500);
  // Nothing that intersects is left out.
  const expected = all.filter((b) => b.y < 900 && b.y + b.height > 500);
  assert.equal(some.length, expected.length);
});

test('a width change relayouts loaded months and re-estimates the others', () => {
  const m = new TimelineModel(1200);
  m.setBuckets([{ timeBucket: '2024-03-01', count: 40 }, { timeBucket: '2024-02-01', count: 40 }]);
  m.setAssets(0, assetsFromColumns(columns(Array.from({ length: 40 }, () => ['2024-03-05T10:00:00Z', 0]))));
  m.setWidth(375);
  assert.equal(m.rowHeight, 110);
  assert.equal(m.sections[0].height, layoutMonth(m.sections[0].assets, 375, 110).height);
  assert.equal(m.sections[1].height, estimateHeight(40, 375, 110));
  assert.equal(m.sections[1].top, m.sections[0].height);
});

test('year marks for the scrubber, newest first', () => {
  const m = new TimelineModel(1000);
  m.setBuckets([{ timeBucket: '2024-03-01', count: 5 }, { timeBucket: '2024-01-01', count: 5 }, { timeBucket: '2022-07-01', count: 5 }]);
  const marks = m.yearMarks();
  assert.deepEqual(marks.map((x) => x.year), ['2024', '2022']);
  assert.equal(marks[0].fraction, 0);
  assert.ok(Math.abs(marks[1].fraction - m.sections[2].top / m.height) < 1e-12);
});

test('removing assets updates counts and drops empty months', () => {
  const m = new TimelineModel(1000);
  m.setBuckets([{ timeBucket: '2024-03-01', count: 2 }, { timeBucket: '2024-02-01', count: 1 }]);
  m.setAssets(0, assetsFromColumns(columns([['2024-03-05T10:00:00Z', 0], ['2024-03-04T10:00:00Z', 0]])));
  m.setAssets(1, [{ ...assetsFromColumns(columns([['2024-02-05T10:00:00Z', 0]]))[0], id: 'feb' }]);
  m.removeAssets(['id1', 'feb']);
  assert.equal(m.sections.length, 1);
  assert.equal(m.sections[0].count, 1);
  assert.deepEqual(m.locate('id0'), { section: 0, index: 0 });
  assert.equal(m.locate('feb'), null);
});

test('binary search finds the last item at or before y', () => {
  const items = [0, 10, 20, 30].map((y) => ({ y }));
  assert.equal(lastAtOrBefore(items, 25, (i) => i.y), 2);
  assert.equal(lastAtOrBefore(items, 30, (i) => i.y), 3);
  assert.equal(lastAtOrBefore(items, -5, (i) => i.y), 0);
});

test('a frame builds everything on screen, then the nearest overscan within its budget', () => {
  // Rows 100 px tall from y=0 to 1000, 5 tiles each; the viewport is 400..600.
  const rows = Array.from({ length: 10 }, (_, i) => ({ y: i * 100, height: 100, cost: 5 }));
  // Rows 4 and 5 are on screen and come first; 3 and 6 are next (100 px
  // away, ties in column order) and take the rest of the budget.
  assert.deepEqual(pickBuilds(rows, 400, 600, 20), [4, 5, 3, 6]);
  // No budget: still all that is on screen; a row touching the viewport's edge is not on it.
  assert.deepEqual(pickBuilds(rows, 400, 600, 0), [4, 5]);
  // What is on screen uses up the budget; what is left of it, even less than
  // a row, still builds one more row (the budget is a target, not a cap).
  assert.deepEqual(pickBuilds(rows, 400, 600, 10), [4, 5]);
  assert.deepEqual(pickBuilds(rows, 400, 600, 11), [4, 5, 3]);
  // A large budget builds everything, nearest first.
  assert.deepEqual(pickBuilds(rows, 400, 600, 1000), [4, 5, 3, 6, 2, 7, 1, 8, 0, 9]);
  // A block taller than the viewport that covers it is on screen.
  assert.deepEqual(pickBuilds([{ y: 0, height: 5000, cost: 1 }], 400, 600, 0), [0]);
  assert.deepEqual(pickBuilds([], 0, 100, 10), []);
});

test('only the most recently used layouts are kept; a dropped one is made again the same', () => {
  const m = new TimelineModel(1000);
  const n = LAYOUTS_KEPT + 5;
  m.setBuckets(Array.from({ length: n }, (_, i) => ({ timeBucket: `2000-${String((i % 12) + 1).padStart(2, '0')}-01`, count: 3 })));
  const month = (i) => assetsFromColumns(columns([['2000-01-05T10:00:00Z', 0], ['2000-01-05T11:00:00Z', 0], ['2000-01-04T10:00:00Z', 0]], 0.5 + i / 10));
  for (let i = 0; i < n; i++) m.setAssets(i, month(i));
  const laidOut = m.sections.filter((s) => s.layout).length;
  assert.equal(laidOut, LAYOUTS_KEPT);
  assert.equal(m.sections[0].layout, null);
  const height = m.sections[0].height;
  const again = m.blocksIn(0, m.sections[0].top, m.sections[0].top + height);
  assert.deepEqual(again, layoutMonth(m.sections[0].assets, m.width, m.rowHeight).blocks);
  assert.equal(m.sections[0].height, height);
  // Using it made it the most recent: the least recently used one went instead.
  assert.ok(m.sections[0].layout);
  assert.equal(m.sections.filter((s) => s.layout).length, LAYOUTS_KEPT);
  assert.equal(m.assetTop(1, 0) > m.sections[1].top, true);
  assert.equal(m.layoutOf({ assets: null }), null);
});

test('thumbnails wait while the grid moves faster than the limit, not after a single jump', () => {
  // A fling: half of a 900 px viewport per 16 ms frame is about 31 viewports a second.
  assert.equal(movingFast(450, 900, 16, 3, 100), true);
  assert.equal(movingFast(-450, 900, 16, 3, 100), true, 'upwards too');
  // Wheel scrolling: 100 px in a 16 ms frame is about 7 viewports a second; 40 px about 2.8.
  assert.equal(movingFast(100, 900, 16, 3, 100), true);
  assert.equal(movingFast(40, 900, 16, 3, 100), false);
  assert.equal(movingFast(0, 900, 16, 3, 100), false, 'still');
  // A scrubber click after stillness jumps far in one frame: not movement.
  assert.equal(movingFast(500000, 900, 2000, 3, 100), false);
  assert.equal(movingFast(500000, 900, 100, 3, 100), false, 'the settle time has passed');
  // The first frame ever (no previous one) and an unmeasured viewport are not movement.
  assert.equal(movingFast(1000, 900, Infinity, 3, 100), false);
  assert.equal(movingFast(1000, 0, 16, 3, 100), false);
});

test('thumbnails keep waiting through the still frames of a scrubber drag and load once it has been still', () => {
  const m = new Motion(3, 100);
  const view = 900;
  // A click on the scrubber after stillness: its photos load at once.
  assert.equal(m.frame(40000, view, 5000), false);
  assert.equal(m.moved, 40000);
  // A drag: a jump every other frame. The frames between (moved 0) still wait.
  assert.equal(m.frame(80000, view, 5016), true);
  assert.equal(m.frame(80000, view, 5032), true, 'a still frame right after a jump');
  assert.equal(m.frame(120000, view, 5048), true);
  assert.equal(m.waitLeft(5048), 100);
  assert.equal(m.frame(120000, view, 5120), true, 'still, but only for 72 ms');
  assert.equal(m.waitLeft(5120), 28);
  // Still for the settle time: load.
  assert.equal(m.frame(120000, view, 5148), false);
  assert.equal(m.waitLeft(5148), 0);
  // Slow wheel scrolling never waits.
  assert.equal(m.frame(120030, view, 5300), false);
  assert.equal(m.frame(120060, view, 5316), false);
});
