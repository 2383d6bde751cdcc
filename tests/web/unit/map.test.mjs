// Why this file exists: the map has no library, so its projection and
// clustering are ours; these tests pin them (Web Mercator round trip, tile
// arithmetic, clusters that merge when zoomed out and split when zoomed in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { project, unproject, cluster, fitBounds } from '../../../web/app/map-math.js';

test('Web Mercator: the origin is the middle of the world', () => {
  const p = project(0, 0, 0);
  assert.ok(Math.abs(p.x - 128) < 1e-9 && Math.abs(p.y - 128) < 1e-9);
  // Paris at zoom 10 is tile (518, 352), as in OpenStreetMap.
  const paris = project(48.8566, 2.3522, 10);
  assert.equal(Math.floor(paris.x / 256), 518);
  assert.equal(Math.floor(paris.y / 256), 352);
});

test('project and unproject round-trip', () => {
  for (const [lat, lon] of [[48.8566, 2.3522], [-33.8688, 151.2093], [70, -150]]) {
    const p = project(lat, lon, 7);
    const back = unproject(p.x, p.y, 7);
    assert.ok(Math.abs(back.lat - lat) < 1e-9 && Math.abs(back.lon - lon) < 1e-9);
  }
});

test('nearby points cluster when zoomed out and split when zoomed in', () => {
  const pts = [
    { id: 'a', lat: 48.8566, lon: 2.3522 },
    { id: 'b', lat: 48.8606, lon: 2.3376 },
    { id: 'c', lat: -33.8688, lon: 151.2093 },
  ];
  const far = cluster(pts, 3);
  assert.equal(far.length, 2);
  assert.deepEqual(far.map((c) => c.count).sort(), [1, 2]);
  const near = cluster(pts, 16);
  assert.equal(near.length, 3);
  const total = far.reduce((s, c) => s + c.count, 0);
  assert.equal(total, 3);
});

test('fitting bounds shows every point', () => {
  const pts = [{ lat: 48.85, lon: 2.35 }, { lat: 51.5, lon: -0.12 }];
  const { center, zoom } = fitBounds(pts, 800, 600);
  const a = project(51.5, -0.12, zoom);
  const b = project(48.85, 2.35, zoom);
  const c = project(center[0], center[1], zoom);
  for (const p of [a, b]) {
    assert.ok(Math.abs(p.x - c.x) < 400 && Math.abs(p.y - c.y) < 300);
  }
  assert.ok(zoom >= 5);
  assert.deepEqual(fitBounds([], 800, 600), { center: [30, 0], zoom: 2 });
});
