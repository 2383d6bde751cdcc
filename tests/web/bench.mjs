// Why this file exists: the web app's performance benchmark (not a test).
// Against a server holding a large library (see seed-bench.mjs) it measures,
// in real headless Chromium:
//   - time to first timeline paint, from navigation start: the first tiles
//     in the DOM and the frame that paints them (seen by the page itself),
//     the same as seen by Playwright (which adds its own polling and round
//     trips), and the first thumbnail decoded;
//   - the main-thread tasks over 50 ms while scrolling through every year
//     (PerformanceObserver 'longtask'): how many and the longest, for the
//     fling alone (also per tenth of it) and with the scrubber jumps after
//     it, plus the longest gap between animation frames as a second opinion;
//   - how many thumbnails the fling requested, and how long after it the
//     thumbnails on screen have all loaded;
//   - the same long tasks while scrolling at reading speed (thumbnails load
//     all along), and the share of the tiles on screen showing their photo;
//   - the page's JS heap (after a forced GC) and DOM size after scrolling;
//   - the size of the app's JavaScript, raw and gzipped.
//
//   node tests/web/bench.mjs http://127.0.0.1:2283 admin@example.com 'password' [OUT_DIR]
//
// The page is 1440x900 unless BENCH_VIEWPORT says otherwise (e.g. 375x812: a
// phone, with touch and a device scale of 2).
//
// With BENCH_TRACE=FILE it also records a Chromium trace of the jumps (open it
// in DevTools' Performance panel) and reports `jumpTrace`: the main thread's
// tasks by CPU time, which is what the app controls, whereas the long-task
// count also grows when other processes take the CPU. BENCH_TRACE_JS=1 adds
// V8's sampling profiler to the trace, and the JS functions that took the
// longest task's time to the report (the profiler slows the page down).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const [url, email, password, outDir] = process.argv.slice(2);
if (!url || !email || !password) {
  console.error('usage: node bench.mjs URL EMAIL PASSWORD [OUT_DIR]');
  process.exit(2);
}

// What else the machine was doing: long tasks stretch when other processes
// take the CPU, so the 1-minute load average is reported at start and end.
const loadAtStart = +os.loadavg()[0].toFixed(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // Outside hosts (map tiles) are unreachable, as on an offline machine. This is
  // done by Chromium's resolver rather than by Playwright request interception,
  // which would send every request (thousands of thumbnails) through this
  // process and add its own delay to what is measured.
  // Chromium 156 also starts two renderers of its own for each new window
  // (the omnibox popup's web UI, which headless never shows); on 2 cores they
  // compete with the page while it loads, so they are turned off.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-precise-memory-info',
    '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup',
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${new URL(url).hostname}`],
});
// BENCH_VIEWPORT=375x812 measures a phone-sized page (touch, device scale 2).
const [vw, vh] = (process.env.BENCH_VIEWPORT || '1440x900').split('x').map(Number);
const phone = vw < 600;
const context = await browser.newContext({ viewport: { width: vw, height: vh }, ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
const login = await context.request.post(url + '/api/auth/login', { data: { email, password } });
if (!login.ok()) throw new Error('login failed: ' + (await login.text()));
const page = await context.newPage();
await page.addInitScript(() => {
  window.__long = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  // Shared by the phases below (each runs in the page on its own).
  window.__frame = () => new Promise((r) => requestAnimationFrame(r));
  window.__imagesOnScreen = () => [...document.querySelectorAll('.grid-canvas .tile img')].filter((i) => {
    const r = i.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight;
  });
  // The first tiles, when they enter the DOM and when the frame that shows
  // them is painted (a task posted from requestAnimationFrame runs after it).
  new MutationObserver((_, observer) => {
    if (!document.querySelector('.grid-canvas .tile')) return;
    observer.disconnect();
    window.__firstTiles = performance.now();
    requestAnimationFrame(() => setTimeout(() => { window.__firstTilesPainted = performance.now(); }));
  }).observe(document, { childList: true, subtree: true });
});
let thumbnailRequests = 0;
page.on('request', (r) => { if (r.url().includes('/thumbnail')) thumbnailRequests++; });

const results = {};
await page.goto(url + '/photos');
await page.waitForSelector('.grid-canvas .tile', { timeout: 60000 });
results.firstTilesSeenByPlaywrightMs = Math.round(await page.evaluate(() => performance.now()));
await page.waitForFunction(() => window.__firstTilesPainted);
Object.assign(results, await page.evaluate(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const before = performance.getEntriesByType('resource').filter((e) => e.startTime < window.__firstTiles);
  const isApi = (e) => new URL(e.name).pathname.startsWith('/api/');
  return {
    firstTilesMs: Math.round(window.__firstTiles),
    firstTilesPaintedMs: Math.round(window.__firstTilesPainted),
    // Where the time went, as [what, start, end] in ms from navigation start:
    // the document, the app's files (all of them), the scripts run, then
    // each API request before the first tiles.
    firstTilesWaterfall: [
      ['document', 0, Math.round(nav.responseEnd)],
      ['app files', 0, Math.round(Math.max(0, ...before.filter((e) => !isApi(e)).map((e) => e.responseEnd)))],
      ['DOMContentLoaded', 0, Math.round(nav.domContentLoadedEventEnd)],
      ...before.filter(isApi).map((e) => [new URL(e.name).pathname + new URL(e.name).search, Math.round(e.startTime), Math.round(e.responseEnd)]),
    ],
  };
}));
await page.waitForFunction(() => [...document.querySelectorAll('.grid-canvas .tile img')].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 60000 }).catch(() => {});
results.firstThumbnailMs = Math.round(await page.evaluate(() => performance.now()));
results.buckets = await page.evaluate(async () => (await (await fetch('/api/timeline/buckets')).json()).length);
results.assets = await page.evaluate(async () => (await (await fetch('/api/timeline/buckets')).json()).reduce((s, b) => s + b.count, 0));
if (outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: path.join(outDir, 'bench-first-paint.png') });
}

// Scroll through every year, half a screen per frame (a fast fling), then
// jump around with the scrubber.
const requestsBeforeFling = thumbnailRequests;
const scroll = await page.evaluate(async () => {
  const s = document.querySelector('.grid-scroll');
  const frame = window.__frame;
  window.__long = [];
  let maxGap = 0;
  let last = performance.now();
  let frames = 0;
  const t0 = performance.now();
  for (let guard = 0; guard < 200000; guard++) {
    s.scrollTop += s.clientHeight * 0.5;
    await frame();
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    frames++;
    if (s.scrollTop + s.clientHeight >= s.scrollHeight - 2) break;
  }
  const flingEnd = performance.now();
  // Let the last months load.
  for (let i = 0; i < 60; i++) await frame();
  const scrolled = { frames, seconds: (performance.now() - t0) / 1000, maxFrameGapMs: Math.round(maxGap), height: s.scrollHeight };
  // Long tasks of the fling alone, and per tenth of it: a count that grows
  // from one tenth to the next means work that grows with what was scrolled.
  const fling = window.__long.slice();
  const t1 = performance.now();
  scrolled.scrollLongTasks = fling.length;
  scrolled.scrollLongestTaskMs = Math.round(Math.max(0, ...fling.map((t) => t.duration)));
  scrolled.scrollLongTasksPerTenth = Array.from({ length: 10 }, (_, k) =>
    fling.filter((t) => t.start >= t0 + ((t1 - t0) * k) / 10 && t.start < t0 + ((t1 - t0) * (k + 1)) / 10).length);
  // How long after the fling stopped the photos on screen had all loaded
  // (downloads queued for photos scrolled past delay them). An image not yet
  // requested has no src (and counts as complete), so both are checked.
  while (performance.now() - flingEnd < 60000 && !window.__imagesOnScreen().every((i) => i.getAttribute('src') && i.complete)) await frame();
  scrolled.thumbnailsShownMs = Math.round(performance.now() - flingEnd);
  return scrolled;
});
Object.assign(results, scroll);
// Requests counted here, not in the page, so that none is missed; those of
// the 60 frames after the fling and of the wait for the screen are included.
results.flingThumbnailRequests = thumbnailRequests - requestsBeforeFling;

const tracePath = process.env.BENCH_TRACE;
if (tracePath) {
  await browser.startTracing(page, {
    path: tracePath,
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'v8', 'blink.user_timing', 'toplevel',
      ...(process.env.BENCH_TRACE_JS === '1' ? ['disabled-by-default-v8.cpu_profiler'] : [])],
  });
}
const requestsBeforeJumps = thumbnailRequests;
const jumps = await page.evaluate(async () => {
  const s = document.querySelector('.grid-scroll');
  const frame = window.__frame;
  const scrolled = {};
  // Scrubber-style jumps: 50 random positions.
  const beforeJumps = window.__long.length;
  performance.mark('jumps-start');
  let jumpGap = 0;
  for (let i = 0; i < 50; i++) {
    s.scrollTop = Math.random() * s.scrollHeight;
    const a = performance.now();
    await frame();
    await frame();
    jumpGap = Math.max(jumpGap, (performance.now() - a) / 2);
  }
  performance.mark('jumps-end');
  scrolled.maxJumpFrameMs = Math.round(jumpGap);
  scrolled.jumpLongTasks = window.__long.length - beforeJumps;
  // From the fling's start to the last jump.
  scrolled.longTasks = window.__long.length;
  scrolled.longestTaskMs = Math.round(Math.max(0, ...window.__long.map((t) => t.duration)));
  scrolled.domNodes = document.getElementsByTagName('*').length;
  scrolled.tilesInDom = document.querySelectorAll('.tile').length;
  return scrolled;
});
Object.assign(results, jumps);
// The jumps move too fast to be worth any thumbnail (each would be gone two
// frames later).
results.jumpThumbnailRequests = thumbnailRequests - requestsBeforeJumps;
if (tracePath) {
  await browser.stopTracing();
  results.jumpTrace = mainThreadTasks(JSON.parse(fs.readFileSync(tracePath, 'utf8')).traceEvents, 'jumps');
}

// Reading speed: 22 px a frame (about 1.5 screens a second at 60 frames a
// second, under the grid's limit of 3) for 20 s, from a third of the way down:
// someone scrolling through their photos with a wheel or a finger. Unlike the
// fling, thumbnails load all along, so their requests, decoding and painting
// happen while the page scrolls. Every 30th frame samples how many of the
// tiles on screen show their thumbnail (the rest show the thumbhash).
const requestsBeforeBrowse = thumbnailRequests;
const browse = await page.evaluate(async () => {
  const s = document.querySelector('.grid-scroll');
  const frame = window.__frame;
  s.scrollTop = s.scrollHeight * 0.3;
  for (let i = 0; i < 120; i++) await frame();
  const before = window.__long.length;
  const t0 = performance.now();
  let last = t0;
  let maxGap = 0;
  let frames = 0;
  let shown = 0;
  let seen = 0;
  while (performance.now() - t0 < 20000) {
    s.scrollTop += 22;
    await frame();
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    if (++frames % 30 === 0) {
      for (const img of window.__imagesOnScreen()) {
        seen++;
        if (img.getAttribute('src') && img.complete && img.naturalWidth > 0) shown++;
      }
    }
  }
  const long = window.__long.slice(before);
  return {
    browseFrames: frames,
    browseScreens: +((frames * 22) / s.clientHeight).toFixed(1),
    browseLongTasks: long.length,
    browseLongestTaskMs: Math.round(Math.max(0, ...long.map((t) => t.duration))),
    browseMaxFrameGapMs: Math.round(maxGap),
    browseThumbnailsShownPct: seen ? Math.round((shown / seen) * 100) : null,
  };
});
Object.assign(results, browse);
results.browseThumbnailRequests = thumbnailRequests - requestsBeforeBrowse;

const cdp = await context.newCDPSession(page);
await cdp.send('HeapProfiler.collectGarbage');
const heap = await cdp.send('Runtime.getHeapUsage');
results.jsHeapUsedMB = +(heap.usedSize / 1048576).toFixed(1);
results.jsHeapTotalMB = +(heap.totalSize / 1048576).toFixed(1);

// The app's JavaScript as the server sends it.
const here = path.dirname(fileURLToPath(import.meta.url));
const appDir = path.join(here, '../../web/app');
let raw = 0;
let gz = 0;
for (const f of fs.readdirSync(appDir).filter((f) => f.endsWith('.js'))) {
  const b = fs.readFileSync(path.join(appDir, f));
  raw += b.length;
  gz += zlib.gzipSync(b, { level: 9 }).length;
}
results.jsBytes = raw;
results.jsGzipBytes = gz;
results.loadAverage = [loadAtStart, +os.loadavg()[0].toFixed(2)];
results.cpus = os.cpus().length;

console.log(JSON.stringify(results, null, 2));
await browser.close();

/**
 * The renderer main thread's tasks in a trace, by CPU time: how many took
 * over 25 and 50 ms, and what the longest consisted of (CPU ms per kind of
 * work, and with the sampling profiler, the JS functions it ran).
 */
function mainThreadTasks(events, phase = 'jumps') {
  const threads = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args.name === 'CrRendererMain') threads.set(e.pid + ':' + e.tid, 0);
  for (const e of events) if (threads.has(e.pid + ':' + e.tid)) threads.set(e.pid + ':' + e.tid, threads.get(e.pid + ':' + e.tid) + 1);
  const [pid, tid] = [...threads].sort((a, b) => b[1] - a[1])[0][0].split(':').map(Number);
  // The jumps only (the marks the page set), not starting and stopping the trace.
  const mark = (name) => (events.find((e) => e.name === name && e.pid === pid) || {}).ts;
  const from = mark(`${phase}-start`) ?? -Infinity;
  const to = mark(`${phase}-end`) ?? Infinity;
  const mine = events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.ts >= from && e.ts <= to).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  // Outermost tasks only: a RunTask can hold nested ones. The one in which
  // the sampling profiler starts (tens of ms) is the trace's, not the app's.
  let tasks = [];
  for (const e of mine) {
    const last = tasks[tasks.length - 1];
    if (/RunTask$/.test(e.name) && !(last && e.ts < last.ts + last.dur)) tasks.push(e);
  }
  const profilerStarts = mine.filter((e) => e.name === 'CpuProfiler::StartProfiling');
  tasks = tasks.filter((t) => !profilerStarts.some((p) => p.ts >= t.ts && p.ts < t.ts + t.dur));
  tasks.sort((a, b) => cpu(b) - cpu(a));
  const longest = tasks[0];
  // Kinds of work, outermost event of each kind (GC is counted inside the
  // phase it interrupted as well as on its own).
  const kinds = { FunctionCall: 'js', UpdateLayoutTree: 'style', Layout: 'layout', PrePaint: 'prePaint', Paint: 'paint', Layerize: 'layerize', Commit: 'commit',
    RunMicrotasks: 'microtasks', MajorGC: 'gc', MinorGC: 'gc', 'V8.GCIncrementalMarking': 'gc', 'Decode Image': 'imageDecode', ParseHTML: 'parseHtml' };
  const parts = {};
  const open = [];
  for (const e of mine) {
    if (!longest || e.ts < longest.ts || e.ts + e.dur > longest.ts + longest.dur || !kinds[e.name]) continue;
    while (open.length && e.ts >= open[open.length - 1].ts + open[open.length - 1].dur) open.pop();
    const kind = kinds[e.name];
    if (!open.some((o) => kinds[o.name] === kind)) parts[kind] = +((parts[kind] || 0) + cpu(e)).toFixed(1);
    open.push(e);
  }
  const out = {
    tasks: tasks.length,
    over25CpuMs: tasks.filter((t) => cpu(t) > 25).length,
    over50CpuMs: tasks.filter((t) => cpu(t) > 50).length,
    longestCpuMs: longest ? +cpu(longest).toFixed(1) : 0,
    longestWallMs: longest ? +(longest.dur / 1000).toFixed(1) : 0,
    longestParts: parts,
    topCpuMs: tasks.slice(0, 10).map((t) => +cpu(t).toFixed(1)),
  };
  // JS functions by self time within the longest task, from the profiler's samples.
  // The main thread's profile starts on it; its chunks come from the
  // profiler's own thread under the same id.
  const nodes = new Map();
  const samples = [];
  const profile = events.find((e) => e.name === 'Profile' && e.pid === pid && e.tid === tid);
  let t = profile ? profile.args.data.startTime : 0;
  for (const e of events) {
    if (!profile || e.name !== 'ProfileChunk' || e.pid !== pid || e.id !== profile.id) continue;
    const cp = e.args.data.cpuProfile || {};
    for (const n of cp.nodes || []) nodes.set(n.id, n);
    (cp.samples || []).forEach((id, i) => samples.push({ ts: (t += e.args.data.timeDeltas[i] || 0), id }));
  }
  if (samples.length && longest) {
    const self = {};
    for (const s of samples) {
      if (s.ts < longest.ts || s.ts > longest.ts + longest.dur) continue;
      const f = nodes.get(s.id).callFrame;
      const name = `${f.functionName || '(anonymous)'} ${f.url ? f.url.split('/').pop() + ':' + (f.lineNumber + 1) : ''}`.trim();
      self[name] = (self[name] || 0) + 1;
    }
    out.longestSelfSamples = Object.fromEntries(Object.entries(self).sort((a, b) => b[1] - a[1]).slice(0, 10));
  }
  return out;
}
