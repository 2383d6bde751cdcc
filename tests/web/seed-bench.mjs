// Why this file exists: the timeline benchmark needs a large library. This
// seeds one through the ordinary upload API (as any client would): COUNT
// small JPEGs (default 50,000), each made unique by bytes after the image's
// end marker, in four shapes, dated over twenty years by `fileCreatedAt`.
//
//   node tests/web/seed-bench.mjs http://127.0.0.1:2283 admin@example.com 'password' [COUNT]
//
// A fresh server gets its admin signed up with these credentials. Needs
// ffmpeg (for the four base images). Uploads run 16 at a time; the server's
// media jobs (metadata, thumbnails) follow in the background.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [url, email, password, countArg] = process.argv.slice(2);
if (!url || !email || !password) {
  console.error('usage: node seed-bench.mjs URL EMAIL PASSWORD [COUNT]');
  process.exit(2);
}
const COUNT = Number(countArg || 50000);
const PARALLEL = 16;
const YEARS = 20;

async function call(method, p, body, token) {
  const r = await fetch(url + '/api' + p, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const config = await call('GET', '/server/config');
if (!config.isInitialized) await call('POST', '/auth/admin-sign-up', { email, password, name: 'Bench' });
const { accessToken } = await call('POST', '/auth/login', { email, password });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keepsake-seed-'));
const shapes = ['96x72', '72x96', '128x72', '80x80'].map((size, i) => {
  const out = path.join(dir, `base${i}.jpg`);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=1`, '-frames:v', '1', '-q:v', '8', out]);
  return fs.readFileSync(out);
});

const now = Date.now();
const span = YEARS * 365.25 * 24 * 3600 * 1000;
let next = 0;
let done = 0;
let dup = 0;
const t0 = Date.now();

async function worker() {
  for (;;) {
    const i = next++;
    if (i >= COUNT) return;
    const base = shapes[i % shapes.length];
    const tail = Buffer.from(`keepsake-bench-${i}-${now}`);
    const bytes = Buffer.concat([base, tail]);
    // Spread over the years, denser in recent ones (as real libraries are).
    const f = (i / COUNT) ** 1.5;
    const taken = new Date(now - f * span - (i % 97) * 3600 * 1000).toISOString();
    const form = new FormData();
    form.append('deviceAssetId', `bench-${i}`);
    form.append('deviceId', 'keepsake-bench');
    form.append('fileCreatedAt', taken);
    form.append('fileModifiedAt', taken);
    form.append('filename', `BENCH_${String(i).padStart(6, '0')}.jpg`);
    form.append('assetData', new Blob([bytes], { type: 'image/jpeg' }), `BENCH_${i}.jpg`);
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fetch(url + '/api/assets', { method: 'POST', headers: { authorization: 'Bearer ' + accessToken }, body: form });
        if (r.status === 200) dup++;
        else if (r.status !== 201) throw new Error(`${r.status} ${await r.text()}`);
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
    if (++done % 1000 === 0) {
      const s = (Date.now() - t0) / 1000;
      console.log(`${done}/${COUNT} uploaded (${(done / s).toFixed(0)}/s)`);
    }
  }
}

await Promise.all(Array.from({ length: PARALLEL }, worker));
console.log(`seeded ${done} assets (${dup} were already there) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
fs.rmSync(dir, { recursive: true, force: true });
