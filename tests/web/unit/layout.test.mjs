// Why this file exists: the justified-row layout decides where every tile
// goes; these tests pin its promises (rows fill the width exactly, order is
// kept, the last row is not stretched, extreme shapes are clamped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { justify, clampRatio, MAX_RATIO, MIN_RATIO } from '../../../web/app/layout.js';

const close = (a, b, eps = 1e-6) => Math.abs(a - b) < eps;

test('full rows are exactly as wide as the space', () => {
  const ratios = [1.5, 0.75, 1.33, 1, 1.78, 0.66, 1.5, 1.5, 1, 1, 1.33, 0.75];
  const { rows } = justify(ratios, 1000, 200, 4);
  assert.ok(rows.length > 1);
  for (const r of rows.slice(0, -1)) {
    const last = r.boxes[r.boxes.length - 1];
    assert.ok(close(last.x + last.width, 1000), `row ends at ${last.x + last.width}`);
  }
});

test('every item appears once, in order, with gaps between neighbours', () => {
  const ratios = Array.from({ length: 50 }, (_, i) => 0.5 + (i % 7) * 0.3);
  const { rows } = justify(ratios, 800, 150, 4);
  let next = 0;
  for (const r of rows) {
    assert.equal(r.start, next);
    assert.equal(r.boxes.length, r.end - r.start);
    for (let i = 1; i < r.boxes.length; i++) {
      const prev = r.boxes[i - 1];
      assert.ok(close(r.boxes[i].x, prev.x + prev.width + 4, 1e-3));
    }
    next = r.end;
  }
  assert.equal(next, ratios.length);
});

test('tiles keep their shape (width = ratio × row height) except the last of a full row', () => {
  const ratios = [1.5, 1, 0.75, 1.2, 1.4, 1];
  const { rows } = justify(ratios, 600, 180, 4);
  for (const r of rows) {
    r.boxes.slice(0, -1).forEach((b, k) => assert.ok(close(b.width, clampRatio(ratios[r.start + k]) * r.height, 1e-6)));
  }
});

test('the last, partial row keeps the target height', () => {
  const { rows, height } = justify([1, 1, 1, 1, 1], 1000, 200, 4);
  // 5 squares at 200 px = 1016 px > 1000: first row scales; here check a short set.
  const short = justify([1, 1], 1000, 200, 4);
  assert.equal(short.rows.length, 1);
  assert.equal(short.rows[0].height, 200);
  assert.equal(short.height, 200);
  assert.ok(rows.length >= 1 && height > 0);
});

test('rows never grow beyond 1.5× the target height', () => {
  // Very narrow images fill a row only when they are very tall.
  const { rows } = justify([0.4, 0.4], 1000, 200, 4);
  assert.ok(rows[0].height <= 300);
});

test('a panorama wider than the space is scaled down to fit', () => {
  const { rows } = justify([10], 300, 200, 4);
  assert.equal(rows.length, 1);
  assert.ok(rows[0].boxes[0].width <= 300 + 1e-9);
});

test('extreme and missing ratios are clamped', () => {
  assert.equal(clampRatio(100), MAX_RATIO);
  assert.equal(clampRatio(0.01), MIN_RATIO);
  assert.equal(clampRatio(NaN), 1);
  assert.equal(clampRatio(0), 1);
});

test('rows are stacked with the gap between them', () => {
  const { rows, height } = justify(Array(20).fill(1.5), 700, 150, 4);
  for (let i = 1; i < rows.length; i++) assert.ok(close(rows[i].y, rows[i - 1].y + rows[i - 1].height + 4));
  const last = rows[rows.length - 1];
  assert.ok(close(height, last.y + last.height));
});

test('no width, no items: nothing to lay out', () => {
  assert.deepEqual(justify([], 500, 200), { rows: [], height: 0 });
  assert.deepEqual(justify([1, 2], 0, 200), { rows: [], height: 0 });
});
