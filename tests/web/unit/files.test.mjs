// Why this file exists: the app is plain files with no build step, so two
// conventions are checked here instead of by a bundler: index.html preloads
// every module (one parallel fetch instead of a waterfall), and every module
// starts by saying why it exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../web');
const modules = fs.readdirSync(path.join(web, 'app')).filter((f) => f.endsWith('.js'));

test('index.html preloads every module of web/app', () => {
  const html = fs.readFileSync(path.join(web, 'index.html'), 'utf8');
  for (const m of modules) assert.ok(html.includes(`<link rel="modulepreload" href="/app/${m}">`), `${m} is not preloaded`);
});

test('every module starts with a comment saying why it exists', () => {
  for (const m of modules) {
    const text = fs.readFileSync(path.join(web, 'app', m), 'utf8');
    assert.match(text, /^\/\/ Why this file exists: /, m);
  }
});

test('the app stays small: under 300 KB of JavaScript before compression', () => {
  const total = modules.reduce((s, m) => s + fs.statSync(path.join(web, 'app', m)).size, 0);
  assert.ok(total < 300 * 1024, `${total} bytes`);
});
