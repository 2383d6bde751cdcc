// Why this file exists: the web app's end-to-end test, in real headless
// Chromium (Debian's, driven by playwright-core) against a real Keepsake
// server. The Rust integration test `web::the_web_app_end_to_end` starts the
// server, writes the photos and runs this; it can also be run by hand:
//
//   node tests/web/e2e.mjs http://127.0.0.1:2283 PHOTO_DIR OUT_DIR
//
// PHOTO_DIR holds JPEGs and manifest.json ({ photos: [{ file, taken:
// "2024-03-05T10:00:00", make, model }] }); the server must be fresh (no
// admin yet). Screenshots of the key pages go to OUT_DIR. Exit status 0
// means every step passed; a failure prints the step, saves failure.png and
// exits 1. Synchronisation is by Playwright's waitFor*, never by sleeping.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [url, photoDir, outDir] = process.argv.slice(2);
if (!url || !photoDir || !outDir) {
  console.error('usage: node e2e.mjs URL PHOTO_DIR OUT_DIR');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) {
  console.error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  process.exit(3);
}
fs.mkdirSync(outDir, { recursive: true });
fs.rmSync(path.join(outDir, 'failure.png'), { force: true });
const manifest = JSON.parse(fs.readFileSync(path.join(photoDir, 'manifest.json'), 'utf8'));
const files = manifest.photos.map((p) => path.join(photoDir, p.file));

// Expected months, newest first, with their counts.
const expectedMonths = new Map();
for (const p of [...manifest.photos].sort((a, b) => b.taken.localeCompare(a.taken))) {
  const k = p.taken.slice(0, 7) + '-01';
  expectedMonths.set(k, (expectedMonths.get(k) || 0) + 1);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
// Nothing leaves the machine: map tiles and anything else off-server fail fast.
await context.route((u) => !u.href.startsWith(url), (r) => r.abort());
const page = await context.newPage();
page.setDefaultTimeout(30000);
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(String(e)));
page.on('console', (m) => {
  if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(m.text());
});

let step = '';
const shot = (name) => page.screenshot({ path: path.join(outDir, name + '.png') });
function expect(cond, message) {
  if (!cond) throw new Error(message);
}
async function run(name, fn) {
  step = name;
  const t0 = Date.now();
  await fn();
  console.log(`ok  ${name} (${Date.now() - t0} ms)`);
}
/**
 * Polls the API from the page (the session cookie authenticates) until
 * `check(json)` holds. waitForFunction's predicate must be synchronous, so it
 * starts a fetch when none is running and reports the last answer.
 */
let pollSeq = 0;
async function waitForApi(apiPath, check, timeout = 60000) {
  const token = 'poll' + ++pollSeq;
  await page.waitForFunction(
    ([p, src, key]) => {
      const st = (window[key] ||= { busy: false, ok: false });
      if (!st.busy && !st.ok) {
        st.busy = true;
        const check = new Function('j', 'return (' + src + ')(j)');
        fetch('/api' + p)
          .then((r) => (r.ok ? r.json() : null))
          .then((j) => (st.ok = j !== null && !!check(j)))
          .catch(() => {})
          .finally(() => (st.busy = false));
      }
      return st.ok;
    },
    [apiPath, check.toString(), token],
    { timeout, polling: 200 },
  );
}
const tiles = () => page.locator('.grid-canvas .tile');
const assetIdFromUrl = () => new URL(page.url()).pathname.split('/').pop();

/** Scrolls the grid top to bottom; returns Map(month → Set(asset ids)) in display order. */
async function collectMonths() {
  return new Map(
    await page.evaluate(async () => {
      const scroller = document.querySelector('.grid-scroll');
      const seen = new Map();
      const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      scroller.scrollTop = 0;
      for (let guard = 0; guard < 500; guard++) {
        await frame();
        // Wait for months in view to load (placeholders become rows).
        for (let i = 0; i < 200 && document.querySelector('.grid-canvas .month-ph'); i++) await frame();
        for (const row of document.querySelectorAll('.grid-canvas .block[data-month]')) {
          const m = row.dataset.month;
          if (!seen.has(m)) seen.set(m, new Set());
          for (const t of row.querySelectorAll('.tile')) seen.get(m).add(t.dataset.id);
        }
        if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2) break;
        scroller.scrollTop += scroller.clientHeight * 0.8;
      }
      scroller.scrollTop = 0;
      return [...seen.entries()].map(([k, v]) => [k, [...v]]);
    }),
  );
}

try {
  await run('first visit offers the admin sign-up', async () => {
    await page.goto(url);
    await page.waitForURL('**/auth/register');
    await page.getByRole('heading', { name: 'Set up Keepsake' }).waitFor();
    await shot('01-sign-up');
    await page.fill('input[name=name]', 'Ada Admin');
    await page.fill('input[name=email]', 'ada@example.com');
    await page.fill('input[name=password]', 'correct horse battery');
    await page.fill('input[name=confirm]', 'correct horse battery');
    await page.click('button[type=submit]');
    await page.waitForURL('**/photos');
    await page.getByText('No photos yet.').waitFor();
  });

  await run('logout and login again', async () => {
    await page.click('.logout-btn');
    await page.waitForURL('**/auth/login');
    await page.getByText('You have logged out.').waitFor();
    await page.fill('input[name=email]', 'ada@example.com');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    await page.getByText('Wrong email or password.').waitFor();
    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('button[type=submit]');
    await page.waitForURL('**/photos');
  });

  await run(`upload ${files.length} photos through the page (one connection drops and is resumed)`, async () => {
    let dropped = 0;
    await page.route('**/api/upload/*', (r) => {
      if (r.request().method() === 'PATCH' && dropped === 0) {
        dropped++;
        return r.abort('connectionreset');
      }
      return r.continue();
    });
    await page.setInputFiles('#upload-input', files);
    await page.locator('.upload-panel').waitFor();
    await shot('02-uploading');
    await page.waitForFunction((n) => document.querySelectorAll('.up-item[data-status=done]').length === n, files.length, { timeout: 120000 });
    expect((await page.locator('.up-item[data-status=error]').count()) === 0, 'some uploads failed');
    expect(dropped === 1, 'the dropped connection did not happen');
    await page.unroute('**/api/upload/*');
  });

  await run('the same files again are reported as duplicates', async () => {
    await page.setInputFiles('#upload-input', files.slice(0, 2));
    await page.waitForFunction(() => document.querySelectorAll('.up-item[data-status=duplicate]').length === 2);
    await page.getByText('2 duplicates').waitFor();
    await page.click('button[aria-label="Clear finished uploads"]');
  });

  await run('photos are grouped in the right months, newest first', async () => {
    // The dates come from EXIF, read by the metadata job after the upload.
    const want = JSON.stringify([...expectedMonths.entries()].map(([k, n]) => ({ timeBucket: k, count: n })));
    await waitForApi('/timeline/buckets', new Function('j', `return JSON.stringify(j.map(b => ({ timeBucket: b.timeBucket.slice(0, 10), count: b.count }))) === ${JSON.stringify(want)}`), 300000);
    await waitForApi('/queues', (j) => j.every((q) => q.statistics.active + q.statistics.waiting + q.statistics.delayed === 0), 300000);
    await page.reload();
    await tiles().first().waitFor();
    const seen = await collectMonths();
    const got = [...seen.entries()].map(([k, ids]) => `${k}:${ids.length}`);
    const exp = [...expectedMonths.entries()].map(([k, n]) => `${k}:${n}`);
    expect(JSON.stringify(got) === JSON.stringify(exp), `months on the page ${got} != expected ${exp}`);
    const firstMonth = [...expectedMonths.keys()][0];
    const label = new Date(firstMonth + 'T00:00:00Z').toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    await page.locator('.month-title').first().filter({ hasText: label }).waitFor();
    // Thumbnails are real images now, not placeholders.
    await page.waitForFunction(() => [...document.querySelectorAll('.grid-canvas .tile img')].slice(0, 5).every((i) => i.complete && i.naturalWidth > 0));
    await shot('03-timeline');
  });

  await run('the scrubber jumps to the oldest year', async () => {
    const oldest = [...expectedMonths.keys()].pop().slice(0, 4);
    const box = await page.locator('.scrubber').boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height - 2);
    await page.locator(`.block.month[data-month^="${oldest}"]`).waitFor();
    await page.locator('.scrubber').focus();
    await page.keyboard.press('Home');
    await page.locator(`.block.month[data-month="${[...expectedMonths.keys()][0]}"]`).waitFor();
  });

  let firstId;
  let secondId;
  await run('the viewer opens and navigates with the keyboard', async () => {
    await tiles().first().click();
    await page.waitForURL(/\/photos\/[0-9a-f-]{36}$/);
    firstId = assetIdFromUrl();
    await page.locator('.viewer img.viewer-img').waitFor();
    await page.waitForFunction(() => { const i = document.querySelector('.viewer img.viewer-img'); return i && i.complete && i.naturalWidth > 0; });
    await page.locator('.nav-next').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((u) => !u.pathname.endsWith(firstId));
    secondId = assetIdFromUrl();
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL((u) => u.pathname.endsWith(firstId));
    if (!(await page.locator('.viewer-info').isVisible())) await page.keyboard.press('i');
    const newest = [...manifest.photos].sort((a, b) => b.taken.localeCompare(a.taken))[0];
    await page.locator('.viewer-info').getByText(newest.make).first().waitFor();
    await page.locator('.viewer-info').getByText(newest.file).waitFor();
    await shot('04-viewer');
  });

  await run('favourite from the viewer (f), then Esc back to the grid', async () => {
    await page.keyboard.press('f');
    await page.locator('.viewer .fav-btn[aria-pressed=true]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.viewer').waitFor({ state: 'detached' });
    await page.waitForURL((u) => u.pathname === '/photos');
    await page.locator(`.tile[data-id="${firstId}"] .badge.fav`).waitFor();
    await page.click('a.nav-link[href="/favorites"]');
    await page.waitForURL('**/favorites');
    await page.locator(`.tile[data-id="${firstId}"]`).waitFor();
    expect((await tiles().count()) === 1, 'favourites should hold exactly one photo');
  });

  await run('deep links open the viewer directly', async () => {
    await page.goto(`${url}/photos/${secondId}`);
    await page.locator('.viewer img.viewer-img').waitFor();
    await page.locator('.nav-prev').waitFor();
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => u.pathname === '/photos');
  });

  let albumId;
  await run('select photos (click, shift-click) and add them to a new album', async () => {
    await tiles().first().waitFor();
    const ids = await tiles().evaluateAll((els) => els.slice(0, 3).map((e) => e.dataset.id));
    await page.locator(`.tile[data-id="${ids[0]}"]`).hover();
    await page.locator(`.tile[data-id="${ids[0]}"] .tile-check`).click();
    await page.locator(`.tile[data-id="${ids[2]}"]`).click({ modifiers: ['Shift'] });
    await page.getByText('3 selected').waitFor();
    await shot('05-selection');
    // Several photos download as one ZIP archive streamed by the server.
    const [zip] = await Promise.all([
      page.waitForEvent('download'),
      page.click('.selection-bar button[aria-label="Download"]'),
    ]);
    if (zip.suggestedFilename() !== 'keepsake.zip') throw new Error(`downloaded ${zip.suggestedFilename()}`);
    const zipBytes = fs.readFileSync(await zip.path());
    if (zipBytes.length < 1000 || zipBytes[0] !== 0x50 || zipBytes[1] !== 0x4b) throw new Error('the download is not a ZIP archive');
    await page.getByText('3 selected').waitFor();
    await page.click('.selection-bar button[aria-label="Add to album"]');
    await page.fill('dialog input[name=albumName]', 'Summer trip');
    await page.click('dialog button:has-text("Create album")');
    await page.getByText('Created “Summer trip” with 3 photos').waitFor();
    await page.click('a.nav-link[href="/albums"]');
    const card = page.locator('.album-card', { hasText: 'Summer trip' });
    await card.getByText('3 items').waitFor();
    await page.waitForFunction(() => { const i = document.querySelector('.album-card img'); return i && i.complete && i.naturalWidth > 0; });
    await shot('06-albums');
    await card.click();
    await page.waitForURL(/\/albums\/[0-9a-f-]{36}$/);
    albumId = assetIdFromUrl();
    await page.locator('h1.album-title', { hasText: 'Summer trip' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.grid-canvas .tile').length === 3);
    await shot('07-album');
  });

  await run('an album photo opens at /albums/<id>/photos/<id>', async () => {
    await tiles().first().click();
    await page.waitForURL(new RegExp(`/albums/${albumId}/photos/[0-9a-f-]{36}$`));
    await page.locator('.viewer img.viewer-img').waitFor();
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => u.pathname === `/albums/${albumId}`);
  });

  await run('search by camera make', async () => {
    const make = manifest.photos[manifest.photos.length - 1].make;
    const n = manifest.photos.filter((p) => p.make === make).length;
    await page.click('a.nav-link[href="/search"]');
    await page.fill('input[name=make]', make);
    await page.click('.search-form button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('make') === make);
    await page.getByText(`${n} found`).waitFor();
    await tiles().first().waitFor();
    await shot('08-search');
    const found = [...(await collectMonths()).values()].reduce((s, ids) => s + ids.length, 0);
    expect(found === n, `the result grid shows ${found} photos, not ${n}`);
  });

  await run('delete a photo to the trash and restore it', async () => {
    await page.click('a.nav-link[href="/photos"]');
    await tiles().first().waitFor();
    const id = await tiles().nth(1).getAttribute('data-id');
    await page.locator(`.tile[data-id="${id}"]`).hover();
    await page.locator(`.tile[data-id="${id}"] .tile-check`).click();
    await page.click('.selection-bar button[aria-label="Delete"]');
    await page.locator(`.tile[data-id="${id}"]`).waitFor({ state: 'detached' });
    await waitForApi('/timeline/buckets', new Function('j', `return j.reduce((s, b) => s + b.count, 0) === ${files.length - 1}`));
    await page.click('a.nav-link[href="/trash"]');
    await page.locator(`.tile[data-id="${id}"]`).waitFor();
    expect((await tiles().count()) === 1, 'the trash should hold one photo');
    await shot('09-trash');
    await page.locator(`.tile[data-id="${id}"]`).hover();
    await page.locator(`.tile[data-id="${id}"] .tile-check`).click();
    await page.click('.selection-bar button[aria-label="Restore"]');
    await page.locator(`.tile[data-id="${id}"]`).waitFor({ state: 'detached' });
    await page.click('a.nav-link[href="/photos"]');
    await page.locator(`.tile[data-id="${id}"]`).waitFor();
    await waitForApi('/timeline/buckets', new Function('j', `return j.reduce((s, b) => s + b.count, 0) === ${files.length}`));
  });

  await run('the map shows the places without tile access', async () => {
    await page.click('a.nav-link[href="/map"]');
    await page.locator('.map-marker, .map-cluster').first().waitFor();
    await shot('10-map');
  });

  await run('settings and administration pages load', async () => {
    await page.click('a.nav-link[href="/settings"]');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.locator('.rows li', { hasText: 'This browser' }).waitFor();
    await shot('11-settings');
    await page.click('a.nav-link[href="/admin"]');
    await page.locator('.queue').first().waitFor();
    await page.locator('td', { hasText: 'ada@example.com' }).waitFor();
    await shot('12-admin');
  });

  await run('a phone-sized window (375 px) shows the timeline and the menu', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.click('a.brand');
    await tiles().first().waitFor();
    await shot('13-phone-timeline');
    await page.click('.menu-btn');
    await page.locator('.sidebar a.nav-link[href="/albums"]').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelector('.sidebar').getBoundingClientRect().left >= 0);
    await shot('14-phone-menu');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await run('log out; the library is no longer reachable', async () => {
    await page.click('a.brand');
    await page.click('.logout-btn');
    await page.waitForURL('**/auth/login');
    await shot('15-logged-out');
    await page.goto(`${url}/albums/${albumId}`);
    await page.waitForURL('**/auth/login**');
    await page.locator('input[name=email]').waitFor();
  });

  expect(consoleErrors.length === 0, 'errors in the page console:\n' + consoleErrors.join('\n'));
  console.log('all steps passed; screenshots in ' + outDir);
  await browser.close();
} catch (e) {
  console.error(`FAILED at step "${step}": ${e.message}`);
  if (consoleErrors.length) console.error('page errors:\n' + consoleErrors.join('\n'));
  try {
    await shot('failure');
    console.error('screenshot: ' + path.join(outDir, 'failure.png'));
  } catch {}
  await browser.close();
  process.exit(1);
}
