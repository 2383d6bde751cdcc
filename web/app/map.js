// Why this file exists: the map, without a map library. A small slippy map
// draws raster tiles from a configurable URL template (Web Mercator, 256 px
// tiles), pans and zooms by mouse, wheel, touch and keyboard, and shows the
// photos' places as markers clustered on a pixel grid per zoom level. With
// no tile server reachable (offline, or a blocked URL) the tiles are simply
// missing: markers and clusters are positioned by the same arithmetic and
// keep working on a plain background. Also the map page itself.

import { get } from './api.js';
import { h, iconButton, attempt, mount } from './dom.js';
import { media } from './api.js';
import { navigate } from './router.js';
import { plural } from './format.js';
import { TILE, MIN_ZOOM, MAX_ZOOM, project, unproject, cluster, fitBounds } from './map-math.js';

export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
export const DEFAULT_ATTRIBUTION = '© OpenStreetMap contributors';

export function tileSettings() {
  return {
    url: localStorage.getItem('keepsake.tileUrl') || DEFAULT_TILE_URL,
    attribution: localStorage.getItem('keepsake.tileAttribution') ?? DEFAULT_ATTRIBUTION,
  };
}

function tileUrl(template, z, x, y) {
  return template.replace('{z}', z).replace('{x}', x).replace('{y}', y).replace('{s}', 'abc'[(x + y) % 3]).replace('{r}', '');
}

/**
 * A map in `container`. opts: center [lat, lon], zoom, markers [{ id, lat,
 * lon }], compact (no attribution box, fewer controls), onMarker(point),
 * onCluster(cluster), onPick(lat, lon) (a click that was not a drag).
 */
export function createMap(container, opts) {
  const settings = tileSettings();
  let z = Math.round(opts.zoom || 2);
  let c = project(opts.center[0], opts.center[1], z); // centre in world px
  let markers = opts.markers || [];
  const tiles = new Map();
  let frame = 0;

  const tileLayer = h('div.map-tiles');
  const markerLayer = h('div.map-markers');
  const root = h('div.map-root', { tabindex: '0', role: 'application', 'aria-label': 'Map. Arrow keys pan, plus and minus zoom.' },
    tileLayer, markerLayer,
    h('div.map-zoom', iconButton('plus', 'Zoom in', () => zoomBy(1)), h('button.icon-btn', { type: 'button', 'aria-label': 'Zoom out', title: 'Zoom out', onclick: () => zoomBy(-1) }, '−')),
    settings.attribution ? h('div.map-attribution', settings.attribution) : null);
  mount(container, root);

  function size() {
    return { w: root.clientWidth || 300, hgt: root.clientHeight || 200 };
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function draw() {
    frame = 0;
    const { w, hgt } = size();
    const left = c.x - w / 2;
    const top = c.y - hgt / 2;
    const n = 2 ** z;
    const want = new Set();
    for (let ty = Math.max(0, Math.floor(top / TILE)); ty <= Math.min(n - 1, Math.floor((top + hgt) / TILE)); ty++) {
      for (let tx = Math.floor(left / TILE); tx <= Math.floor((left + w) / TILE); tx++) {
        const key = `${z}/${tx}/${ty}`;
        want.add(key);
        let img = tiles.get(key);
        if (!img) {
          const wx = ((tx % n) + n) % n;
          img = h('img.map-tile', { alt: '', draggable: 'false' });
          img.onerror = () => img.classList.add('missing');
          img.src = tileUrl(settings.url, z, wx, ty);
          tiles.set(key, img);
          tileLayer.append(img);
        }
        img.style.transform = `translate(${tx * TILE - left}px, ${ty * TILE - top}px)`;
      }
    }
    for (const [key, img] of tiles) {
      if (!want.has(key)) {
        img.remove();
        tiles.delete(key);
      }
    }
    drawMarkers(left, top, w, hgt);
  }

  function drawMarkers(left, top, w, hgt) {
    const world = TILE * 2 ** z;
    const nodes = [];
    for (const cl of cluster(markers, z, opts.compact ? 40 : 64)) {
      // The copy of the world nearest the view (for maps wider than 360°).
      let x = cl.x - left;
      x -= Math.round((x - w / 2) / world) * world;
      const y = cl.y - top;
      if (x < -40 || y < -40 || x > w + 40 || y > hgt + 40) continue;
      if (cl.count === 1) {
        const p = cl.points[0];
        const label = [p.city, p.country].filter(Boolean).join(', ') || 'Photo';
        nodes.push(h('button.map-marker', {
          type: 'button',
          'aria-label': `Photo in ${label}`,
          title: label,
          style: { transform: `translate(${x}px, ${y}px)` },
          onclick: (e) => { e.stopPropagation(); opts.onMarker && opts.onMarker(p); },
        }, opts.compact ? null : h('img', { src: media.thumb(p.id), alt: '', loading: 'lazy', onerror: (e) => e.target.remove() })));
      } else {
        nodes.push(h('button.map-cluster', {
          type: 'button',
          'aria-label': `${cl.count} photos here; zoom in`,
          style: { transform: `translate(${x}px, ${y}px)` },
          onclick: (e) => {
            e.stopPropagation();
            if (opts.onCluster && opts.onCluster(cl, z) === false) return;
            const ll = unproject(cl.x, cl.y, z);
            setView([ll.lat, ll.lon], Math.min(MAX_ZOOM, z + 2));
          },
        }, String(cl.count)));
      }
    }
    mount(markerLayer, ...nodes);
  }

  function setView(center, zoom) {
    z = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, Math.round(zoom)));
    c = project(center[0], center[1], z);
    schedule();
  }

  /** Zooms by `dz` levels keeping the point at (px, py) (view coords) still. */
  function zoomBy(dz, px, py) {
    const nz = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, z + dz));
    if (nz === z) return;
    const { w, hgt } = size();
    const ax = px === undefined ? w / 2 : px;
    const ay = py === undefined ? hgt / 2 : py;
    const wx = c.x - w / 2 + ax;
    const wy = c.y - hgt / 2 + ay;
    const f = 2 ** (nz - z);
    c = { x: wx * f - ax + w / 2, y: wy * f - ay + hgt / 2 };
    z = nz;
    clampCenter();
    schedule();
  }

  function clampCenter() {
    const world = TILE * 2 ** z;
    c.y = Math.max(0, Math.min(world, c.y));
  }

  // Pointer panning, pinch zoom with two fingers, click to pick.
  const pointers = new Map();
  let moved = 0;
  let pinch = null;
  root.addEventListener('pointerdown', (e) => {
    if (e.target.closest('button')) return;
    root.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    moved = 0;
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y) };
    }
  });
  root.addEventListener('pointermove', (e) => {
    const p = pointers.get(e.pointerId);
    if (!p) return;
    const dx = e.clientX - p.x;
    const dy = e.clientY - p.y;
    p.x = e.clientX;
    p.y = e.clientY;
    if (pointers.size === 2 && pinch) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      const r = root.getBoundingClientRect();
      if (d / pinch.d > 1.6) {
        zoomBy(1, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
        pinch.d = d;
      } else if (d / pinch.d < 0.6) {
        zoomBy(-1, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
        pinch.d = d;
      }
      moved += 10;
      return;
    }
    moved += Math.abs(dx) + Math.abs(dy);
    c.x -= dx;
    c.y -= dy;
    clampCenter();
    schedule();
  });
  const up = (e) => {
    const was = pointers.get(e.pointerId);
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (was && moved < 5 && opts.onPick && e.type === 'pointerup') {
      const r = root.getBoundingClientRect();
      const { w, hgt } = size();
      const ll = unproject(c.x - w / 2 + (e.clientX - r.left), c.y - hgt / 2 + (e.clientY - r.top), z);
      opts.onPick(ll.lat, ((ll.lon + 540) % 360) - 180);
    }
  };
  root.addEventListener('pointerup', up);
  root.addEventListener('pointercancel', up);
  let wheelAcc = 0;
  root.addEventListener('wheel', (e) => {
    e.preventDefault();
    wheelAcc += e.deltaY;
    if (Math.abs(wheelAcc) < 60) return;
    const r = root.getBoundingClientRect();
    zoomBy(wheelAcc < 0 ? 1 : -1, e.clientX - r.left, e.clientY - r.top);
    wheelAcc = 0;
  }, { passive: false });
  root.addEventListener('dblclick', (e) => {
    if (e.target.closest('button')) return;
    const r = root.getBoundingClientRect();
    zoomBy(1, e.clientX - r.left, e.clientY - r.top);
  });
  root.addEventListener('keydown', (e) => {
    if (e.target !== root) return;
    const step = 80;
    const k = e.key;
    if (k === 'ArrowLeft') c.x -= step;
    else if (k === 'ArrowRight') c.x += step;
    else if (k === 'ArrowUp') c.y -= step;
    else if (k === 'ArrowDown') c.y += step;
    else if (k === '+' || k === '=') return zoomBy(1), e.preventDefault();
    else if (k === '-') return zoomBy(-1), e.preventDefault();
    else return;
    e.preventDefault();
    clampCenter();
    schedule();
  });
  const ro = new ResizeObserver(schedule);
  ro.observe(root);
  schedule();

  return {
    setMarkers(m) {
      markers = m;
      schedule();
    },
    setView,
    get zoom() {
      return z;
    },
    destroy() {
      ro.disconnect();
      cancelAnimationFrame(frame);
      root.remove();
    },
  };
}

/** The map page: every photo with a place, clustered. */
export function mapPage() {
  const box = h('div.map-page-map');
  const panel = h('aside.map-panel', { hidden: true, 'aria-label': 'Photos here' });
  const countEl = h('p.muted', 'Loading places…');
  const el = h('section.page.map-page', h('header.page-head', h('div.titles', h('h1', 'Map'), countEl)), h('div.map-wrap', box, panel));
  let map = null;
  let markers = [];
  let order = [];

  function showPanel(points) {
    panel.hidden = false;
    order = points;
    mount(panel, 
      h('div.panel-head', h('h2', plural(points.length, 'photo')), iconButton('close', 'Close the list', () => (panel.hidden = true))),
      h('ul.panel-grid', points.slice(0, 500).map((p) =>
        h('li', h('a', { href: '/map/photos/' + p.id, 'aria-label': [p.city, p.country].filter(Boolean).join(', ') || 'Photo' },
          h('img', { src: media.thumb(p.id), alt: [p.city, p.country].filter(Boolean).join(', ') || 'Photo', loading: 'lazy' }))))));
  }

  attempt(async () => {
    markers = await get('/map/markers');
    order = markers;
    countEl.textContent = markers.length ? `${plural(markers.length, 'photo')} with a place` : 'No photos with a place yet.';
    const { w, hgt } = { w: box.clientWidth || 800, hgt: box.clientHeight || 600 };
    const fit = fitBounds(markers, w, hgt);
    map = createMap(box, {
      center: fit.center,
      zoom: fit.zoom,
      markers,
      onMarker: (p) => navigate('/map/photos/' + p.id, { state: { inApp: true } }),
      onCluster: (cl, zoom) => {
        // Zoom in while that splits the cluster; at the end, list it.
        const same = cl.points.every((p) => Math.abs(p.lat - cl.points[0].lat) < 1e-5 && Math.abs(p.lon - cl.points[0].lon) < 1e-5);
        if (same || zoom >= MAX_ZOOM - 1) {
          showPanel(cl.points);
          return false;
        }
        showPanel(cl.points);
        return true;
      },
    });
  });

  // The viewer steps through the listed photos (a cluster, or all of them).
  const navigator = {
    async neighbour(id, dir) {
      const i = order.findIndex((p) => p.id === id);
      const n = i < 0 ? null : order[i + dir];
      return n ? { id: n.id, isImage: true } : null;
    },
    ensureAsset: async () => true,
    patchAssets() {},
    removeAssets(ids) {
      order = order.filter((p) => !ids.includes(p.id));
      markers = markers.filter((p) => !ids.includes(p.id));
      if (map) map.setMarkers(markers);
    },
    asset: () => null,
  };
  return { el, navigator, title: 'Map', destroy: () => map && map.destroy() };
}
