// Why this file exists: the map's arithmetic, apart from the DOM so it can
// be unit-tested: Web Mercator projection (256-pixel tiles, as OpenStreetMap
// and every raster tile server use), grid clustering per zoom level, and the
// zoom that fits a set of points.

export const TILE = 256;
export const MIN_ZOOM = 1;
export const MAX_ZOOM = 18;
const MAX_LAT = 85.05112878;

/** Latitude/longitude → world pixels at zoom z (Web Mercator). */
export function project(lat, lon, z) {
  const size = TILE * 2 ** z;
  const la = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
  const s = Math.sin((la * Math.PI) / 180);
  return {
    x: ((lon + 180) / 360) * size,
    y: (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * size,
  };
}

/** World pixels at zoom z → { lat, lon }. */
export function unproject(x, y, z) {
  const size = TILE * 2 ** z;
  const lon = (x / size) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * y) / size;
  const lat = (180 / Math.PI) * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n)));
  return { lat, lon };
}

/**
 * Grid clustering: points ({ lat, lon, … }) falling in the same `cell`-pixel
 * square at zoom z form one cluster, placed at their mean position.
 * Returns [{ x, y, count, points }] in world pixels.
 */
export function cluster(points, z, cell = 64) {
  const cells = new Map();
  for (const p of points) {
    const { x, y } = project(p.lat, p.lon, z);
    const key = Math.floor(x / cell) + ':' + Math.floor(y / cell);
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { x: 0, y: 0, count: 0, points: [] }));
    c.x += x;
    c.y += y;
    c.count++;
    c.points.push(p);
  }
  const out = [];
  for (const c of cells.values()) out.push({ x: c.x / c.count, y: c.y / c.count, count: c.count, points: c.points });
  return out;
}

/** The zoom and centre that show all points in a w×h box. */
export function fitBounds(points, w, hgt) {
  if (!points.length) return { center: [30, 0], zoom: 2 };
  let minLat = 90, maxLat = -90, minLon = 180, maxLon = -180;
  for (const p of points) {
    minLat = Math.min(minLat, p.lat);
    maxLat = Math.max(maxLat, p.lat);
    minLon = Math.min(minLon, p.lon);
    maxLon = Math.max(maxLon, p.lon);
  }
  let zoom = MAX_ZOOM - 4;
  for (; zoom > MIN_ZOOM; zoom--) {
    const a = project(maxLat, minLon, zoom);
    const b = project(minLat, maxLon, zoom);
    if (b.x - a.x < w * 0.8 && b.y - a.y < hgt * 0.8) break;
  }
  return { center: [(minLat + maxLat) / 2, (minLon + maxLon) / 2], zoom };
}
