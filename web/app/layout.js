// Why this file exists: the justified-row layout of the photo grid, kept pure
// (numbers in, rectangles out, no DOM) so it can be unit-tested with
// `node --test` and reused by every grid (timeline, albums, search, trash).
//
// Greedy rows: take photos in order at the target height until the row is as
// wide as the space, then scale the row so it fills the width exactly. The
// last row of a group keeps the target height (it is not stretched).

/** Widest and narrowest shapes laid out as they are; beyond, a tile is cropped. */
export const MIN_RATIO = 0.4;
export const MAX_RATIO = 3;

export function clampRatio(r) {
  if (!Number.isFinite(r) || r <= 0) return 1;
  return Math.min(MAX_RATIO, Math.max(MIN_RATIO, r));
}

/**
 * Lays out `ratios` (width/height) in rows `width` pixels wide.
 * Returns { rows: [{ y, height, start, end, boxes: [{ x, width }] }], height },
 * where row i holds items start..end-1 and boxes[j] is item start+j.
 * A row is never taller than `targetHeight * maxGrow`.
 */
export function justify(ratios, width, targetHeight, gap = 4, maxGrow = 1.5) {
  const rows = [];
  let y = 0;
  let start = 0;
  const n = ratios.length;
  if (width <= 0 || n === 0) return { rows, height: 0 };
  while (start < n) {
    let sum = 0;
    let end = start;
    let full = false;
    while (end < n) {
      sum += clampRatio(ratios[end]);
      end++;
      const rowWidth = sum * targetHeight + gap * (end - start - 1);
      if (rowWidth >= width) {
        full = true;
        break;
      }
    }
    const gaps = gap * (end - start - 1);
    let height = full ? (width - gaps) / sum : targetHeight;
    // A single very wide item can make the row shorter than anything else; a
    // row that would have to grow too much (few narrow items) is capped.
    height = Math.min(height, targetHeight * maxGrow);
    if (!full && sum * height + gaps > width) height = (width - gaps) / sum;
    const boxes = [];
    let x = 0;
    for (let i = start; i < end; i++) {
      const w = clampRatio(ratios[i]) * height;
      boxes.push({ x, width: w });
      x += w + gap;
    }
    if (full && boxes.length) {
      // Absorb rounding so the row ends exactly at the right edge.
      const last = boxes[boxes.length - 1];
      last.width = width - last.x;
    }
    rows.push({ y, height, start, end, boxes });
    y += height + gap;
    start = end;
  }
  return { rows, height: y - gap };
}

/** The target row height for a viewport width: smaller tiles on phones. */
export function targetRowHeight(width) {
  if (width < 500) return 110;
  if (width < 900) return 160;
  return 220;
}
