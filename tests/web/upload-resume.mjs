// Why this file exists: proves that an upload from the web app whose
// connection is cut midway resumes from where the server's bytes end,
// instead of sending the file again. Playwright's request interception cannot
// cut a request body halfway, so the page talks to the server through a small
// TCP relay here, which passes everything through except the first upload
// piece (PATCH /api/upload/…): that one it cuts after 40% of its body, the way
// a phone leaving Wi-Fi does. The Rust test `web::the_web_app_resumes_an_upload_cut_off_midway`
// starts the server and the admin and runs this; by hand:
//
//   node tests/web/upload-resume.mjs http://127.0.0.1:2283 EMAIL PASSWORD FILE OUT_DIR
//
// Exit status 0 means it passed; the last line of output is a JSON summary.

import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const [url, email, password, file, outDir] = process.argv.slice(2);
if (!url || !email || !password || !file || !outDir) {
  console.error('usage: node upload-resume.mjs URL EMAIL PASSWORD FILE OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const upstream = new URL(url);
const size = fs.statSync(file).size;

// What the relay saw of each upload piece, and where it cut.
const pieces = [];
let cut = null;
// The offset the server last announced (`Upload-Offset` in any of its
// answers, the creation's included), whether or not the browser got it.
let serverOffset = null;

/** Watches one direction of a connection for request heads and bodies. */
function relayRequests(client, server) {
  let head = Buffer.alloc(0);
  let bodyLeft = 0;
  let cutAt = -1; // body bytes to let through before cutting, this request
  let sent = 0;
  client.on('data', (chunk) => {
    while (chunk.length) {
      if (bodyLeft > 0) {
        let take = Math.min(bodyLeft, chunk.length);
        if (cutAt >= 0) take = Math.min(take, cutAt - sent);
        server.write(chunk.subarray(0, take));
        bodyLeft -= take;
        sent += take;
        chunk = chunk.subarray(take);
        if (cutAt >= 0 && sent >= cutAt) {
          cut = { afterBytes: sent };
          // A clean end towards the server, which keeps what arrived and
          // answers; that answer is not passed on. Only once the server has
          // closed does the browser see its connection reset, so the bytes
          // are settled before the browser (or Chromium itself, which resends
          // a request that failed on a reused connection) asks again.
          client.cutting = true;
          server.end();
          const reset = () => client.destroy();
          server.once('close', reset);
          setTimeout(reset, 10000);
          return;
        }
        continue;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = head.subarray(0, end).toString('latin1');
      const rest = head.subarray(end + 4);
      server.write(head.subarray(0, end + 4));
      head = Buffer.alloc(0);
      const [method, target] = text.split(' ');
      const length = Number((/\r\ncontent-length:\s*(\d+)/i.exec(text) || [])[1] || 0);
      bodyLeft = length;
      sent = 0;
      cutAt = -1;
      if (method === 'PATCH' && target.startsWith('/api/upload/')) {
        const offset = Number((/\r\nupload-offset:\s*(\d+)/i.exec(text) || [])[1]);
        pieces.push({ offset, length, serverSaid: serverOffset });
        if (!cut && pieces.length === 1) cutAt = Math.floor(length * 0.4);
      }
      chunk = rest;
    }
  });
}

const relay = net.createServer((client) => {
  const server = net.connect(Number(upstream.port), upstream.hostname);
  relayRequests(client, server);
  // The last bytes of the previous chunk are searched again, for a header
  // split between two chunks.
  let tail = '';
  server.on('data', (d) => {
    const text = tail + d.toString('latin1');
    for (const m of text.matchAll(/\r\nupload-offset:\s*(\d+)\r\n/gi)) serverOffset = Number(m[1]);
    tail = text.slice(-64);
    if (!client.cutting) client.write(d);
  });
  server.on('end', () => client.cutting || client.end());
  server.on('error', () => client.destroy());
  client.on('error', () => server.destroy());
  client.on('close', () => server.end());
});
await new Promise((r) => relay.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${relay.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.goto(base + '/auth/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL('**/photos');
  await page.setInputFiles('#upload-input', [file]);
  await page.locator('.upload-panel').waitFor();
  await page.waitForFunction(() => document.querySelector('.up-item[data-status=done], .up-item[data-status=error]'), null, { timeout: 120000 });
  await page.screenshot({ path: path.join(outDir, 'upload-resumed.png') });
  const status = await page.locator('.up-item').getAttribute('data-status');
  const id = await page.evaluate(async () => (await (await fetch('/api/search/metadata', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()).assets.items[0].id);
  const asset = await page.evaluate(async (id) => (await fetch('/api/assets/' + id)).json(), id);
  const want = crypto.createHash('sha1').update(fs.readFileSync(file)).digest('base64');
  const summary = { size, cut, pieces, status, checksumMatches: asset.checksum === want };
  const problems = [];
  if (status !== 'done') problems.push(`the upload ended as ${status}`);
  if (!cut) problems.push('the relay never cut a request');
  if (pieces.length < 2) problems.push('no piece was sent after the cut');
  if (pieces.length && pieces[0].length !== size) problems.push('the first piece was not the whole file');
  // The piece that completed the file must start where the server last said
  // its bytes end, at or before where the relay cut: only what the server
  // lacked was sent again. (It is exactly the cut when the server had taken
  // every byte before the browser came back; on a loaded machine a newer
  // request can take over before the old one has read them all, or the server
  // can answer the cut request before reading any of it, and it then says it
  // has fewer, down to none.) Chromium may also resend the cut request by
  // itself, from offset 0, on a fresh connection; the server answers that
  // with 409 and its offset.
  const lastPiece = pieces[pieces.length - 1];
  if (cut && lastPiece && !(lastPiece.offset === lastPiece.serverSaid && lastPiece.offset <= cut.afterBytes && lastPiece.length === size - lastPiece.offset)) {
    problems.push(`the completing piece was sent from ${lastPiece.offset} (${lastPiece.length} bytes), where the server had last said ${lastPiece.serverSaid}; the relay cut after ${cut.afterBytes}`);
  }
  if (!summary.checksumMatches) problems.push(`the stored file's checksum ${asset.checksum} is not the file's ${want}`);
  if (problems.length) {
    failed = true;
    console.error(problems.join('\n'));
  }
  console.log(JSON.stringify(summary));
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  relay.close();
}
process.exit(failed ? 1 : 0);
