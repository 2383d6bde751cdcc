// Why this file exists: uploading. One queue for the whole app (so uploads
// go on while the person browses), fed by the file picker and by dropping
// files or folders anywhere on the page; at most three files go at once.
// Each file is a resumable upload (/api/upload, see the server's
// routes/resumable.rs): created, then sent in pieces through XMLHttpRequest
// for progress. When the connection drops or stalls, the file waits a moment,
// asks the server how much arrived, and sends only the rest. The server
// answers 201 (new) or 200 with status "duplicate"; failed files can be
// retried by hand. Nothing heavy runs here: no hashing in the browser.

import { get } from './api.js';
import { h, icon, iconButton } from './dom.js';
import { bytes, plural } from './format.js';

const CONCURRENCY = 3;
const RETRY_DELAYS = [2000, 5000, 15000];
// Pieces of a file per request: small enough for proxies that cap request
// bodies, large enough that a photo goes in one.
const PIECE = 32 * 1024 * 1024;
const STALL_MS = 60000;
const RETRYABLE = new Set([0, 408, 409, 429, 502, 503, 504]);

const items = [];
let running = 0;
let onUploaded = () => {};
let panel;
let list;
let summary;
let input;
let extensions = null;
let notifyTimer = 0;
let seq = 0;

/** Sets up the hidden file input, the drop zone and the progress panel. */
export function initUploads(opts) {
  onUploaded = opts.onUploaded || onUploaded;
  if (panel) {
    document.body.append(panel, input);
    return;
  }
  input = h('input#upload-input', {
    type: 'file', multiple: true, hidden: true, accept: 'image/*,video/*,.dng,.cr2,.cr3,.nef,.arw,.raf,.orf,.rw2,.heic,.heif,.xmp',
    onchange: () => {
      add([...input.files]);
      input.value = '';
    },
  });
  summary = h('span.up-summary', { 'aria-live': 'polite' });
  list = h('ul.up-list');
  panel = h('section.upload-panel', { hidden: true, 'aria-label': 'Uploads' },
    h('div.up-head',
      h('button.up-toggle', { type: 'button', 'aria-expanded': 'true', onclick: (e) => {
        const open = panel.classList.toggle('collapsed');
        e.currentTarget.setAttribute('aria-expanded', String(!open));
      } }, icon('upload', 18), summary),
      h('button.link-btn.up-retry', { type: 'button', onclick: retryFailed, hidden: true }, 'Retry failed'),
      iconButton('close', 'Clear finished uploads', clearFinished)),
    list);
  document.body.append(panel, input);

  const overlay = h('div.drop-overlay', { hidden: true }, h('div', icon('upload', 48), h('p', 'Drop photos and videos to upload')));
  document.body.append(overlay);
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e) || document.body.classList.contains('logged-out')) return;
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  document.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener('drop', async (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    add(await droppedFiles(e.dataTransfer));
  });
}

/** Opens the file picker. */
export function pickFiles() {
  if (input) input.click();
}

/** Files of a drop, walking into dropped folders. */
async function droppedFiles(dt) {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length) return [...dt.files];
  const out = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      out.push(await new Promise((res, rej) => entry.file(res, rej)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}

async function supported(name) {
  if (!extensions) {
    try {
      const t = await get('/server/media-types');
      extensions = new Set([...t.image, ...t.video].map((x) => x.toLowerCase()));
    } catch {
      extensions = new Set();
    }
  }
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.')).toLowerCase() : '';
  return extensions.size === 0 || extensions.has(ext);
}

/** Queues files for upload. */
export async function add(files) {
  if (!files.length) return;
  panel.hidden = false;
  panel.classList.remove('collapsed');
  for (const file of files) {
    const item = { key: ++seq, file, status: 'queued', loaded: 0, attempts: 0, error: '', row: null, location: null };
    if (!(await supported(file.name))) {
      item.status = 'unsupported';
      item.error = 'Not a photo or video this server accepts';
    }
    items.push(item);
    drawItem(item);
  }
  drawSummary();
  pump();
}

function pump() {
  while (running < CONCURRENCY) {
    const next = items.find((i) => i.status === 'queued');
    if (!next) break;
    send(next);
  }
  drawSummary();
}

/** The asset's fields, as the X-Keepsake-Asset-Data header wants them. */
function assetData(f) {
  const modified = new Date(f.lastModified || Date.now()).toISOString();
  const json = JSON.stringify({
    filename: f.name,
    fileCreatedAt: modified,
    fileModifiedAt: modified,
    deviceAssetId: `web-${f.name}-${f.size}-${f.lastModified}`,
    deviceId: 'keepsake-web',
  });
  let bin = '';
  for (const b of new TextEncoder().encode(json)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** An HTTP failure that carries its status (0: the connection failed). */
function failure(status, body) {
  return Object.assign(new Error((body && body.message) || (status === 0 ? 'Connection lost' : `Failed (${status})`)), { status, body });
}

/** Sends one piece with XMLHttpRequest, for its upload progress. Gives up on
 * a connection that shows no progress for STALL_MS, so a hung network is
 * retried instead of waited on forever. */
function patchPiece(item, start, blob, last) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PATCH', item.location);
    xhr.responseType = 'json';
    xhr.setRequestHeader('Upload-Offset', String(start));
    xhr.setRequestHeader('Upload-Complete', last ? '?1' : '?0');
    xhr.setRequestHeader('Content-Type', 'application/partial-upload');
    let stall = 0;
    const watch = () => {
      clearTimeout(stall);
      stall = setTimeout(() => xhr.abort(), STALL_MS);
    };
    xhr.upload.onprogress = (e) => {
      item.loaded = start + e.loaded;
      watch();
      drawItem(item);
    };
    xhr.onload = () => {
      clearTimeout(stall);
      resolve({ status: xhr.status, body: xhr.response, offset: xhr.getResponseHeader('Upload-Offset') });
    };
    xhr.onerror = xhr.onabort = xhr.ontimeout = () => {
      clearTimeout(stall);
      reject(failure(0));
    };
    watch();
    xhr.send(blob);
  });
}

/** Where the upload stands on the server: creates it the first time, asks
 * its offset after an interruption (so only the missing bytes are sent). */
async function resumePoint(item) {
  const f = item.file;
  if (item.location) {
    const r = await fetch(item.location, { method: 'HEAD', cache: 'no-store' }).catch(() => { throw failure(0); });
    if (r.status === 204) return Number(r.headers.get('Upload-Offset'));
    if (r.status !== 404) throw failure(r.status);
    item.location = null; // expired or ended: start again
  }
  const r = await fetch('/api/upload', {
    method: 'POST',
    headers: { 'Upload-Complete': '?0', 'Upload-Length': String(f.size), 'X-Keepsake-Asset-Data': assetData(f) },
  }).catch(() => { throw failure(0); });
  if (r.status !== 201) throw failure(r.status, await r.json().catch(() => null));
  item.location = r.headers.get('Location');
  return 0;
}

async function send(item) {
  running++;
  item.status = 'uploading';
  item.attempts++;
  drawItem(item);
  const f = item.file;
  const before = item.loaded;
  try {
    let offset = await resumePoint(item);
    item.loaded = offset;
    for (;;) {
      const end = Math.min(f.size, offset + PIECE);
      const last = end === f.size;
      const r = await patchPiece(item, offset, f.slice(offset, end), last);
      if (r.status === 409 && r.offset !== null) {
        offset = Number(r.offset); // the server has a different count: go from its
      } else if (!last && r.status === 204) {
        offset = Number(r.offset);
      } else if (last && (r.status === 200 || r.status === 201)) {
        item.status = r.body && r.body.status === 'duplicate' ? 'duplicate' : 'done';
        item.assetId = r.body && r.body.id;
        item.loaded = f.size;
        item.location = null;
        item.error = '';
        scheduleNotify();
        break;
      } else {
        throw failure(r.status, r.body);
      }
      item.loaded = offset;
    }
  } catch (e) {
    const status = e.status || 0;
    // Progress since the last try means the connection works at times:
    // keep resuming rather than give up after a few drops.
    if (item.loaded > before) item.attempts = 1;
    if (RETRYABLE.has(status) && item.attempts <= RETRY_DELAYS.length) {
      item.status = 'waiting';
      item.error = status === 0 ? 'Connection lost; resuming…' : `Server busy (${status}); resuming…`;
      setTimeout(() => {
        if (item.status === 'waiting') {
          item.status = 'queued';
          pump();
        }
      }, RETRY_DELAYS[item.attempts - 1]);
    } else {
      item.status = 'error';
      item.error = e.message;
      if (item.location) {
        fetch(item.location, { method: 'DELETE' }).catch(() => {});
        item.location = null;
        item.loaded = 0;
      }
      if (status === 401) get('/users/me').catch(() => {});
    }
  }
  running--;
  drawItem(item);
  pump();
}

let followUps = [];

function scheduleNotify() {
  clearTimeout(notifyTimer);
  for (const t of followUps) clearTimeout(t);
  // Refresh the grid when a batch settles (or every few seconds of a long
  // one), and again a little later: the dates come from the metadata job,
  // which runs after the upload.
  const busy = items.some((i) => i.status === 'uploading' || i.status === 'queued');
  notifyTimer = setTimeout(() => onUploaded(), busy ? 3000 : 200);
  followUps = busy ? [] : [setTimeout(() => onUploaded(), 4000), setTimeout(() => onUploaded(), 15000)];
}

function retryFailed() {
  for (const i of items) {
    if (i.status === 'error') {
      i.status = 'queued';
      i.attempts = 0;
      i.error = '';
      drawItem(i);
    }
  }
  pump();
}

function clearFinished() {
  for (let k = items.length - 1; k >= 0; k--) {
    const i = items[k];
    if (['done', 'duplicate', 'unsupported'].includes(i.status)) {
      i.row && i.row.remove();
      items.splice(k, 1);
    }
  }
  if (!items.length) panel.hidden = true;
  drawSummary();
}

const LABELS = { queued: 'Waiting', uploading: 'Uploading', waiting: 'Retrying', done: 'Uploaded', duplicate: 'Already in your library', error: 'Failed', unsupported: 'Skipped' };

function drawItem(item) {
  const pct = item.file.size ? Math.round((item.loaded / item.file.size) * 100) : 100;
  const row = h('li.up-item.' + item.status, { 'data-name': item.file.name, 'data-status': item.status },
    h('div.up-line', h('span.up-name', item.file.name), h('span.up-size', bytes(item.file.size))),
    h('progress', { max: '100', value: String(item.status === 'done' || item.status === 'duplicate' ? 100 : pct), 'aria-label': `${item.file.name} upload progress` }),
    h('div.up-status', LABELS[item.status], item.error && item.status !== 'done' ? ` – ${item.error}` : '',
      item.status === 'error' ? h('button.link-btn', { type: 'button', onclick: () => { item.status = 'queued'; item.attempts = 0; pump(); } }, 'Retry') : null));
  if (item.row) item.row.replaceWith(row);
  else list.append(row);
  item.row = row;
  drawSummary();
}

function drawSummary() {
  if (!summary) return;
  const n = (s) => items.filter((i) => i.status === s).length;
  const active = n('uploading') + n('queued') + n('waiting');
  const parts = [];
  if (active) parts.push(`Uploading ${plural(active, 'file')}`);
  if (n('done')) parts.push(`${n('done')} uploaded`);
  if (n('duplicate')) parts.push(`${n('duplicate')} duplicate${n('duplicate') === 1 ? '' : 's'}`);
  if (n('error')) parts.push(`${n('error')} failed`);
  if (n('unsupported')) parts.push(`${n('unsupported')} skipped`);
  summary.textContent = parts.join(' · ') || 'Uploads';
  panel.dataset.active = String(active);
  panel.querySelector('.up-retry').hidden = n('error') === 0;
}

/** For tests and the shell: the state of every queued file. */
export function uploadState() {
  return items.map((i) => ({ name: i.file.name, status: i.status }));
}
