// Why this file exists: the iCloud code entry in the web app, in real
// headless Chromium against a real Keepsake server whose scheduled iCloud
// sync waits at Apple's sign-in (the Rust test `icloud::the_web_app_hands_
// the_code_to_a_waiting_sync` sets that up against the fake iCloud). It logs
// in, opens Settings, sees the sync waiting, types the code, and waits until
// the card says the sync finished. Run by hand:
//
//   node tests/web/icloud.mjs URL EMAIL PASSWORD CODE OUT_DIR
//
// Exit 0 when every step passed; on failure the step is printed and
// failure.png saved. Synchronisation is by Playwright's waitFor*, never sleeps.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [url, email, password, code, outDir] = process.argv.slice(2);
if (!url || !email || !password || !code || !outDir) {
  console.error('usage: node icloud.mjs URL EMAIL PASSWORD CODE OUT_DIR');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
await context.route((u) => !u.href.startsWith(url), (r) => r.abort());
const page = await context.newPage();
page.setDefaultTimeout(60000);
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));

let step = '';
async function run(name, fn) {
  step = name;
  await fn();
  console.log(`ok  ${name}`);
}

try {
  await run('log in', async () => {
    await page.goto(url + '/auth/login');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForURL('**/photos');
  });
  await run('settings show the sync waiting for a code', async () => {
    await page.goto(url + '/settings');
    await page.getByText('waiting for the code Apple sent').waitFor();
    await page.locator('input[name=icloudCode]').waitFor();
    await page.screenshot({ path: path.join(outDir, 'icloud-waiting.png') });
  });
  await run('a wrong code is refused and the form stays', async () => {
    await page.fill('input[name=icloudCode]', code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByText('that code was not accepted').waitFor();
  });
  await run('the right code lets the sync finish', async () => {
    await page.fill('input[name=icloudCode]', code);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.locator('.icloud dd', { hasText: /^ready$/ }).waitFor();
    await page.getByText('Last sync').waitFor();
    await page.screenshot({ path: path.join(outDir, 'icloud-done.png') });
  });
  if (errors.length) throw new Error('page errors: ' + errors.join('; '));
  console.log('all steps passed');
  await browser.close();
} catch (e) {
  console.error(`FAILED at "${step}": ${e.message}`);
  await page.screenshot({ path: path.join(outDir, 'failure.png') }).catch(() => {});
  await browser.close();
  process.exit(1);
}
