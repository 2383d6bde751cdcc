// Why this file exists: the full-screen viewer opened over any grid for
// `…/photos/<id>`: the preview image (or the video, streamed with Range),
// zoom into the original, previous/next by keyboard, buttons and swipes, the
// info panel (date with zone, camera, lens, exposure, place on a small map,
// file, albums) with editing of description, date and place, and the
// favourite/archive/download/delete actions.

import { get, put, media, ApiError } from './api.js';
import { h, icon, iconButton, attempt, toast, mount } from './dom.js';
import { dateTime, zoneLabel, bytes, duration } from './format.js';
import { assetFromResponse } from './timeline-model.js';
import { setFavorite, setArchived, moveToTrash, restore, deleteForever, download } from './actions.js';
import { altText } from './grid.js';
import { createMap } from './map.js';

/** Image types every browser shows, so zoom can use the original itself. */
const DISPLAYABLE = /^image\/(jpeg|png|webp|gif|avif|bmp|svg\+xml)$/;

/**
 * Opens the viewer. opts: nav (a grid: neighbour/asset/patchAssets/
 * removeAssets/ensureAsset) or null, album (the album shown, for "set as
 * cover"), go(id) to change the URL, onClose(lastId).
 */
export function openViewer(opts) {
  let asset = null; // AssetResponseDto
  let id = null;
  let showInfo = window.innerWidth >= 1100 && localStorage.getItem('keepsake.viewer.info') !== '0';
  let zoom = { on: false, scale: 1, x: 0, y: 0 };
  let seq = 0;
  let miniMap = null;

  const stage = h('div.viewer-stage');
  const prevBtn = iconButton('left', 'Previous photo', () => step(-1), { cls: 'nav-prev' });
  const nextBtn = iconButton('right', 'Next photo', () => step(1), { cls: 'nav-next' });
  const tools = h('div.viewer-tools');
  const info = h('aside.viewer-info', { 'aria-label': 'Photo details' });
  const status = h('div.sr-only', { 'aria-live': 'polite' });
  const el = h('div.viewer', { role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Photo viewer', tabindex: '-1' },
    h('div.viewer-bar', iconButton('close', 'Close viewer (Esc)', close), h('span.viewer-title'), tools),
    h('div.viewer-body', h('div.viewer-main', stage, prevBtn, nextBtn), info),
    status);
  document.body.append(el);
  document.body.classList.add('viewer-open');
  const before = document.activeElement;
  el.focus();

  // ---- showing an asset ----

  async function show(newId) {
    if (newId === id && asset) return;
    id = newId;
    const my = ++seq;
    resetZoom();
    let a;
    try {
      a = await get('/assets/' + newId);
    } catch (e) {
      if (my !== seq) return;
      mount(stage, h('p.viewer-error', e instanceof ApiError && e.status === 404 ? 'This photo does not exist or you cannot see it.' : e.message));
      return;
    }
    if (my !== seq) return;
    asset = a;
    const ga = assetFromResponse(a);
    el.querySelector('.viewer-title').textContent = a.originalFileName;
    status.textContent = altText(ga);
    drawStage(a, ga);
    drawTools();
    if (showInfo) drawInfo();
    else info.hidden = true;
    el.classList.toggle('with-info', showInfo);
    if (opts.nav && opts.nav.ensureAsset) await opts.nav.ensureAsset(a.id, ga.localMs);
    if (my !== seq) return;
    updateNavButtons();
    preloadNeighbours();
  }

  function drawStage(a, ga) {
    if (a.type === 'VIDEO') {
      const v = h('video', { controls: true, autoplay: true, playsinline: true, preload: 'metadata', poster: media.preview(a.id), src: media.video(a.id), 'aria-label': altText(ga) });
      v.onerror = () => toast('This video cannot be played in the browser yet (it may still be converting).', 'error');
      mount(stage, v);
      return;
    }
    const img = h('img.viewer-img', { alt: altText(ga), src: media.preview(a.id), draggable: 'false' });
    img.onerror = () => {
      // No preview yet (or ever): the original, when the browser can show it.
      if (!img.dataset.fallback && DISPLAYABLE.test(a.originalMimeType)) {
        img.dataset.fallback = '1';
        img.src = media.original(a.id);
      } else {
        img.replaceWith(h('p.viewer-error', 'No preview of this file yet.'));
      }
    };
    mount(stage, img);
  }

  async function updateNavButtons() {
    if (!opts.nav) {
      prevBtn.hidden = nextBtn.hidden = true;
      return;
    }
    const here = id;
    const [p, n] = await Promise.all([opts.nav.neighbour(here, -1), opts.nav.neighbour(here, 1)]);
    if (here !== id) return;
    prevBtn.hidden = !p;
    nextBtn.hidden = !n;
  }

  async function preloadNeighbours() {
    if (!opts.nav) return;
    for (const dir of [1, -1]) {
      const n = await opts.nav.neighbour(id, dir);
      if (n && n.isImage) new Image().src = media.preview(n.id);
    }
  }

  async function step(dir) {
    if (!opts.nav || !id) return;
    const n = await opts.nav.neighbour(id, dir);
    if (n) opts.go(n.id);
  }

  // ---- actions ----

  function drawTools() {
    const a = asset;
    const own = opts.session && a.ownerId === opts.session.user.id;
    const items = [
      iconButton('zoom', 'Zoom (z)', toggleZoom, { pressed: zoom.on }),
      iconButton('info', 'Info (i)', toggleInfo, { pressed: showInfo }),
    ];
    if (own && !a.isTrashed) {
      items.push(
        iconButton(a.isFavorite ? 'heart' : 'heartOutline', a.isFavorite ? 'Unfavourite (f)' : 'Favourite (f)', toggleFavorite, { pressed: a.isFavorite, cls: 'fav-btn' }),
        iconButton('archive', a.visibility === 'archive' ? 'Unarchive' : 'Archive', toggleArchive, { pressed: a.visibility === 'archive' }));
    }
    items.push(iconButton('download', 'Download', () => download([a.id])));
    if (opts.album && opts.album.canEdit) {
      items.push(iconButton('album', 'Use as album cover', () => opts.album.setCover(a.id)));
    }
    if (own && a.isTrashed) {
      items.push(iconButton('restore', 'Restore', async () => { if (await restore([a.id])) removedHere(); }),
        iconButton('trash', 'Delete for good', async () => { if (await deleteForever([a.id])) removedHere(); }));
    } else if (own) {
      items.push(iconButton('trash', 'Delete (Del)', trash));
    }
    mount(tools, ...items);
  }

  async function toggleFavorite() {
    const to = !asset.isFavorite;
    if (await setFavorite([asset.id], to)) {
      asset.isFavorite = to;
      if (opts.nav) opts.nav.patchAssets([asset.id], { isFavorite: to });
      drawTools();
      el.querySelector('.fav-btn') && el.querySelector('.fav-btn').focus();
    }
  }

  async function toggleArchive() {
    const to = asset.visibility !== 'archive';
    if (await setArchived([asset.id], to)) {
      asset.visibility = to ? 'archive' : 'timeline';
      drawTools();
    }
  }

  async function trash() {
    if (await moveToTrash([asset.id])) removedHere();
  }

  /** The photo left this view (trash, restore): go on to a neighbour or close. */
  async function removedHere() {
    const gone = asset.id;
    let n = null;
    if (opts.nav) n = (await opts.nav.neighbour(gone, 1)) || (await opts.nav.neighbour(gone, -1));
    if (opts.nav) opts.nav.removeAssets([gone]);
    if (n) opts.go(n.id);
    else close();
  }

  // ---- info panel ----

  function toggleInfo() {
    showInfo = !showInfo;
    localStorage.setItem('keepsake.viewer.info', showInfo ? '1' : '0');
    el.classList.toggle('with-info', showInfo);
    info.hidden = !showInfo;
    if (showInfo) drawInfo();
    drawTools();
  }

  function drawInfo() {
    info.hidden = false;
    const a = asset;
    const e = a.exifInfo || {};
    const ga = assetFromResponse(a);
    const own = opts.session && a.ownerId === opts.session.user.id;
    if (miniMap) miniMap.destroy();
    miniMap = null;

    const desc = h('textarea.desc', { rows: '2', placeholder: own ? 'Add a description' : '', readOnly: !own, 'aria-label': 'Description', value: e.description || '' });
    desc.addEventListener('change', () => attempt(async () => {
      asset = await put('/assets/' + a.id, { description: desc.value });
      toast('Description saved');
    }));
    desc.addEventListener('keydown', (ev) => ev.stopPropagation());

    const exposure = [
      e.fNumber ? `ƒ/${e.fNumber}` : null,
      e.exposureTime ? `${e.exposureTime} s` : null,
      e.focalLength ? `${e.focalLength} mm` : null,
      e.iso ? `ISO ${e.iso}` : null,
    ].filter(Boolean).join(' · ');
    const camera = e.model && e.make && e.model.toLowerCase().startsWith(e.make.toLowerCase()) ? e.model : [e.make, e.model].filter(Boolean).join(' ');
    const place = [e.city, e.state, e.country].filter(Boolean).join(', ');
    const dims = a.width && a.height ? `${a.width} × ${a.height}` : '';
    const albums = h('ul.info-albums');
    const mapBox = h('div.mini-map');
    mount(info, 
      desc,
      row('Date', h('span.info-date', dateTime(ga.localMs)), h('small', zoneLabel(e.timeZone, ga.offsetHours)), own ? editButton('Edit date', editDate) : null),
      camera || e.lensModel || exposure ? row('Camera', camera, e.lensModel ? h('small', e.lensModel) : null, exposure ? h('small', exposure) : null) : null,
      row('Place', place || (e.latitude != null ? `${e.latitude.toFixed(4)}, ${e.longitude.toFixed(4)}` : 'No location'), own ? editButton('Edit location', editLocation) : null),
      e.latitude != null ? mapBox : null,
      row('File', h('span.break', a.originalFileName), h('small', [bytes(e.fileSizeInByte), dims, a.type === 'VIDEO' && a.duration ? duration(a.duration) : ''].filter(Boolean).join(' · '))),
      h('div.info-row', h('h3', 'Albums'), albums),
    );
    if (e.latitude != null) {
      requestAnimationFrame(() => {
        if (!mapBox.isConnected) return;
        miniMap = createMap(mapBox, { center: [e.latitude, e.longitude], zoom: 12, markers: [{ id: a.id, lat: e.latitude, lon: e.longitude }], compact: true });
      });
    }
    get('/albums?assetId=' + a.id).then((list) => {
      if (asset !== a) return;
      mount(albums, ...(list.length ? list.map((al) => h('li', h('a', { href: '/albums/' + al.id }, al.albumName))) : [h('li.muted', 'In no album')]));
    }).catch(() => {});
  }

  function row(title, ...content) {
    return h('div.info-row', h('h3', title), h('div.info-val', content));
  }

  function editButton(label, fn) {
    return h('button.link-btn', { type: 'button', onclick: fn }, icon('edit', 16), label);
  }

  function editDate() {
    const ga = assetFromResponse(asset);
    const local = new Date(ga.localMs).toISOString().slice(0, 19);
    const off = Math.round(ga.offsetHours * 60);
    const input = h('input', { type: 'datetime-local', step: '1', value: local, 'aria-label': 'Date and time' });
    const zone = h('input', { type: 'text', value: offsetText(off), pattern: '[+\\-][0-9]{2}:[0-9]{2}', size: '6', 'aria-label': 'UTC offset, like +02:00' });
    const form = h('form.inline-edit', {
      onsubmit: (ev) => {
        ev.preventDefault();
        attempt(async () => {
          const v = input.value.length === 16 ? input.value + ':00' : input.value;
          asset = await put('/assets/' + asset.id, { dateTimeOriginal: v + zone.value });
          toast('Date saved');
          drawInfo();
          opts.onChanged && opts.onChanged();
        });
      },
    }, input, zone, h('button.primary', { type: 'submit' }, 'Save'), h('button', { type: 'button', onclick: drawInfo }, 'Cancel'));
    form.addEventListener('keydown', (ev) => ev.stopPropagation());
    mount(info.querySelector('.info-date').parentElement, form);
    input.focus();
  }

  function editLocation() {
    const e = asset.exifInfo || {};
    const lat = h('input', { type: 'number', step: 'any', min: '-90', max: '90', value: e.latitude ?? '', 'aria-label': 'Latitude', required: true });
    const lon = h('input', { type: 'number', step: 'any', min: '-180', max: '180', value: e.longitude ?? '', 'aria-label': 'Longitude', required: true });
    const pickBox = h('div.mini-map.pick');
    const form = h('form.inline-edit.location', {
      onsubmit: (ev) => {
        ev.preventDefault();
        attempt(async () => {
          asset = await put('/assets/' + asset.id, { latitude: Number(lat.value), longitude: Number(lon.value) });
          toast('Location saved');
          drawInfo();
        });
      },
    }, h('p.muted', 'Type coordinates or click the map.'), lat, lon, pickBox, h('button.primary', { type: 'submit' }, 'Save'), h('button', { type: 'button', onclick: drawInfo }, 'Cancel'));
    form.addEventListener('keydown', (ev) => ev.stopPropagation());
    const placeRow = [...info.querySelectorAll('.info-row')].find((r) => r.firstChild.textContent === 'Place');
    mount(placeRow.querySelector('.info-val'), form);
    if (miniMap) miniMap.destroy();
    const m = createMap(pickBox, {
      center: e.latitude != null ? [e.latitude, e.longitude] : [30, 0],
      zoom: e.latitude != null ? 10 : 1,
      markers: e.latitude != null ? [{ id: 'here', lat: e.latitude, lon: e.longitude }] : [],
      compact: true,
      onPick: (la, lo) => {
        lat.value = la.toFixed(6);
        lon.value = lo.toFixed(6);
        m.setMarkers([{ id: 'here', lat: la, lon: lo }]);
      },
    });
    miniMap = m;
    lat.focus();
  }

  // ---- zoom ----

  function resetZoom() {
    zoom = { on: false, scale: 1, x: 0, y: 0 };
    stage.classList.remove('zoomed');
  }

  function applyZoom() {
    const img = stage.querySelector('img');
    if (img) img.style.transform = zoom.on ? `translate(${zoom.x}px, ${zoom.y}px) scale(${zoom.scale})` : '';
  }

  function toggleZoom() {
    const img = stage.querySelector('img');
    if (!img) return;
    if (zoom.on) {
      resetZoom();
      applyZoom();
    } else {
      zoom = { on: true, scale: 2.5, x: 0, y: 0 };
      stage.classList.add('zoomed');
      // The original (or the full-size rendering of a RAW/HEIC) for detail.
      const full = DISPLAYABLE.test(asset.originalMimeType) ? media.original(asset.id) : media.fullsize(asset.id);
      if (!img.dataset.full) {
        const hi = new Image();
        hi.onload = () => {
          if (img.isConnected) {
            img.src = full;
            img.dataset.full = '1';
          }
        };
        hi.src = full;
      }
      applyZoom();
    }
    drawTools();
  }

  stage.addEventListener('dblclick', toggleZoom);
  stage.addEventListener('wheel', (e) => {
    if (!stage.querySelector('img')) return;
    e.preventDefault();
    if (!zoom.on && e.deltaY < 0) toggleZoom();
    else if (zoom.on) {
      zoom.scale = Math.min(8, Math.max(1, zoom.scale * (e.deltaY < 0 ? 1.2 : 1 / 1.2)));
      if (zoom.scale <= 1.01) toggleZoom();
      else applyZoom();
    }
  }, { passive: false });
  let drag = null;
  stage.addEventListener('pointerdown', (e) => {
    if (!zoom.on) return;
    drag = { x: e.clientX - zoom.x, y: e.clientY - zoom.y };
    stage.setPointerCapture(e.pointerId);
  });
  stage.addEventListener('pointermove', (e) => {
    if (!drag) return;
    zoom.x = e.clientX - drag.x;
    zoom.y = e.clientY - drag.y;
    applyZoom();
  });
  stage.addEventListener('pointerup', () => (drag = null));

  // ---- keyboard and swipes ----

  function onKey(e) {
    if (e.target.closest && e.target.closest('input, textarea, select')) return;
    if (document.querySelector('dialog[open]')) return;
    const k = e.key;
    if (k === 'ArrowLeft') step(-1);
    else if (k === 'ArrowRight') step(1);
    else if (k === 'Escape') zoom.on ? toggleZoom() : close();
    else if (k === 'f' && asset && !asset.isTrashed) toggleFavorite();
    else if ((k === 'Delete' || k === 'Backspace') && asset && !asset.isTrashed) trash();
    else if (k === 'i') toggleInfo();
    else if (k === 'z') toggleZoom();
    else return;
    e.preventDefault();
  }
  document.addEventListener('keydown', onKey);

  let touch = null;
  stage.addEventListener('touchstart', (e) => {
    if (e.touches.length === 1 && !zoom.on) touch = { x: e.touches[0].clientX, y: e.touches[0].clientY, t: Date.now() };
  }, { passive: true });
  stage.addEventListener('touchend', (e) => {
    if (!touch) return;
    const t = e.changedTouches[0];
    const dx = t.clientX - touch.x;
    const dy = t.clientY - touch.y;
    if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(dy) * 1.5 && Date.now() - touch.t < 800) step(dx < 0 ? 1 : -1);
    else if (dy > 100 && Math.abs(dy) > Math.abs(dx) * 2) close();
    touch = null;
  });

  // ---- closing ----

  let closed = false;
  function close(silent) {
    if (closed) return;
    closed = true;
    document.removeEventListener('keydown', onKey);
    if (miniMap) miniMap.destroy();
    const v = stage.querySelector('video');
    if (v) v.pause();
    el.remove();
    document.body.classList.remove('viewer-open');
    if (silent !== true) opts.onClose(id);
    else if (before && before.isConnected) before.focus();
  }

  return { show, close };
}

function offsetText(min) {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
