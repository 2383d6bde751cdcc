// Why this file exists: the thumbhash decoder is written from the format's
// description; these tests decode hashes the server produced for known
// images and check the picture's shape and colours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeThumbhash, thumbhashRatio, base64ToBytes } from '../../../web/app/thumbhash.js';

function average(rgba) {
  const s = [0, 0, 0, 0];
  for (let i = 0; i < rgba.length; i += 4) for (let k = 0; k < 4; k++) s[k] += rgba[i + k];
  const n = rgba.length / 4;
  return s.map((v) => v / n);
}

test('a landscape hash decodes to a landscape picture', () => {
  // The server's thumbhash of ffmpeg's testsrc2 pattern at 1600×900.
  const bytes = base64ToBytes('H/gJtIxwhH14iHd4eIePh/eIdg==');
  const { w, h, rgba } = decodeThumbhash(bytes);
  assert.equal(w, 32);
  assert.ok(h < w && h >= 16, `h=${h}`);
  assert.equal(rgba.length, w * h * 4);
  assert.ok(thumbhashRatio(bytes) > 1);
  const [r, g, b, a] = average(rgba);
  assert.equal(a, 255);
  // The pattern is colour bars: bright on average, no channel missing.
  assert.ok(r > 60 && g > 60 && b > 60, `average ${r} ${g} ${b}`);
});

test('a portrait hash decodes to a portrait picture', () => {
  const bytes = base64ToBytes('H/gJtQxwhHiIh4d3eHh3eH+H+Ih2');
  const { w, h } = decodeThumbhash(bytes);
  assert.equal(h, 32);
  assert.ok(w < h);
});
