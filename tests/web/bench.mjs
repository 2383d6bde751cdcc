// Why this file exists: the web app's performance benchmark (not a test).
// Against a server holding a large library (see seed-bench.mjs) it measures,
// in real headless Chromium:
//   - time to first timeline paint: navigation start → first tiles in the
//     DOM, and → first thumbnail decoded;
//   - the main-thread tasks over 50 ms while scrolling through every year
//     (PerformanceObserver 'longtask'): how many and the longest, for the
//     fling alone (also per tenth of it) and with the scrubber jumps after
//     it, plus the longest gap between animation frames as a second opinion;
//   - how long after the fling the thumbnails on screen have all loaded;
//   - the page's JS heap (after a forced GC) and DOM size after scrolling;
//   - the size of the app's JavaScript, raw and gzipped.
//
//   node tests/web/bench.mjs http://127.0.0.1:2283 admin@example.com 'password' [OUT_DIR]

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
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-precise-memory-info',
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${new URL(url).hostname}`],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const login = await context.request.post(url + '/api/auth/login', { data: { email, password } });
if (!login.ok()) throw new Error('login failed: ' + (await login.text()));
const page = await context.newPage();
await page.addInitScript(() => {
  window.__long = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
});

const results = {};
await page.goto(url + '/photos');
await page.waitForSelector('.grid-canvas .tile', { timeout: 60000 });
results.firstTilesMs = Math.round(await page.evaluate(() => performance.now()));
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
const scroll = await page.evaluate(async () => {
  const s = document.querySelector('.grid-scroll');
  const frame = () => new Promise((r) => requestAnimationFrame(r));
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
  // (downloads queued for photos scrolled past delay them).
  const onScreen = () => [...document.querySelectorAll('.grid-canvas .tile img')].filter((i) => {
    const r = i.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight;
  });
  while (performance.now() - flingEnd < 60000 && !onScreen().every((i) => i.complete)) await frame();
  scrolled.thumbnailsShownMs = Math.round(performance.now() - flingEnd);
  // Scrubber-style jumps: 50 random positions.
  const beforeJumps = window.__long.length;
  let jumpGap = 0;
  for (let i = 0; i < 50; i++) {
    s.scrollTop = Math.random() * s.scrollHeight;
    const a = performance.now();
    await frame();
    await frame();
    jumpGap = Math.max(jumpGap, (performance.now() - a) / 2);
  }
  scrolled.maxJumpFrameMs = Math.round(jumpGap);
  scrolled.jumpLongTasks = window.__long.length - beforeJumps;
  // From the fling's start to the last jump.
  scrolled.longTasks = window.__long.length;
  scrolled.longestTaskMs = Math.round(Math.max(0, ...window.__long.map((t) => t.duration)));
  scrolled.domNodes = document.getElementsByTagName('*').length;
  scrolled.tilesInDom = document.querySelectorAll('.tile').length;
  return scrolled;
});
Object.assign(results, scroll);

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
