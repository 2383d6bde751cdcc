// Why this file exists: a photo's thumbhash (about 25 bytes, sent with the
// timeline) decodes to a blurry 32-pixel preview shown while the real
// thumbnail loads, or for good when it cannot be made. Written here from the
// published ThumbHash format (Evan Wallace, 2023): a header with the DC terms
// and scales of an L/P/Q (+A) colour space, then 4-bit AC coefficients of a
// DCT, row by row, keeping the triangle cx*ny < nx*(ny-cy).

/** Base64 (standard, with or without padding) → bytes. */
export function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Reads the header fields of a thumbhash. */
function header(hash) {
  const h24 = hash[0] | (hash[1] << 8) | (hash[2] << 16);
  const h16 = hash[3] | (hash[4] << 8);
  const hasAlpha = (h24 >> 23) & 1;
  const landscape = (h16 >> 15) & 1;
  return {
    lDc: (h24 & 63) / 63,
    pDc: ((h24 >> 6) & 63) / 31.5 - 1,
    qDc: ((h24 >> 12) & 63) / 31.5 - 1,
    lScale: ((h24 >> 18) & 31) / 31,
    hasAlpha,
    pScale: ((h16 >> 3) & 63) / 63,
    qScale: ((h16 >> 9) & 63) / 63,
    landscape,
    // The number of L coefficients along each axis: 7 (5 with alpha) on the
    // long side, the stored 3 bits on the short side.
    lx: Math.max(3, landscape ? (hasAlpha ? 5 : 7) : h16 & 7),
    ly: Math.max(3, landscape ? h16 & 7 : hasAlpha ? 5 : 7),
  };
}

/** The aspect ratio (width/height) the hash was made from, roughly. */
export function thumbhashRatio(hash) {
  const hd = header(hash);
  return hd.lx / hd.ly;
}

/** Decodes a thumbhash to { w, h, rgba } (at most 32×32). */
export function decodeThumbhash(hash) {
  const hd = header(hash);
  const aDc = hd.hasAlpha ? (hash[5] & 15) / 15 : 1;
  const aScale = (hash[5] >> 4) / 15;
  let nibble = 0;
  const acStart = hd.hasAlpha ? 6 : 5;
  const readChannel = (nx, ny, scale) => {
    const ac = [];
    for (let cy = 0; cy < ny; cy++) {
      for (let cx = cy ? 0 : 1; cx * ny < nx * (ny - cy); cx++) {
        const byte = hash[acStart + (nibble >> 1)];
        const q = (byte >> ((nibble & 1) * 4)) & 15;
        nibble++;
        ac.push((q / 7.5 - 1) * scale);
      }
    }
    return ac;
  };
  const lAc = readChannel(hd.lx, hd.ly, hd.lScale);
  // P and Q were quantised with their saturation reduced; give it back.
  const pAc = readChannel(3, 3, hd.pScale * 1.25);
  const qAc = readChannel(3, 3, hd.qScale * 1.25);
  const aAc = hd.hasAlpha ? readChannel(5, 5, aScale) : null;

  const ratio = hd.lx / hd.ly;
  const w = Math.round(ratio > 1 ? 32 : 32 * ratio);
  const h = Math.round(ratio > 1 ? 32 / ratio : 32);
  const nx = Math.max(hd.lx, hd.hasAlpha ? 5 : 3);
  const ny = Math.max(hd.ly, hd.hasAlpha ? 5 : 3);
  // Cosine tables per axis: cosX[x*nx+cx] = cos(pi/w*(x+0.5)*cx).
  const cosX = new Float64Array(w * nx);
  for (let x = 0; x < w; x++) for (let c = 0; c < nx; c++) cosX[x * nx + c] = Math.cos((Math.PI / w) * (x + 0.5) * c);
  const cosY = new Float64Array(h * ny);
  for (let y = 0; y < h; y++) for (let c = 0; c < ny; c++) cosY[y * ny + c] = Math.cos((Math.PI / h) * (y + 0.5) * c);

  // Each channel's sum is separable: per row, fold the rows' cosines into one
  // coefficient per column (rowL[cx] = Σcy ac·2cos), so each pixel needs only
  // nx products per channel instead of one per coefficient.
  const plan = (ac, limit, rows) => {
    const cxs = [];
    const cys = [];
    for (let cy = 0; cy < rows; cy++) for (let cx = cy ? 0 : 1; limit(cx, cy); cx++) cxs.push(cx), cys.push(cy);
    return { ac, cxs, cys, row: new Float64Array(nx) };
  };
  const fold = (c, fy) => {
    c.row.fill(0);
    for (let j = 0; j < c.ac.length; j++) c.row[c.cxs[j]] += c.ac[j] * fy[c.cys[j]] * 2;
  };
  const at = (c, fx, base) => {
    let v = base;
    for (let cx = 0; cx < nx; cx++) v += c.row[cx] * fx[cx];
    return v;
  };
  const L = plan(lAc, (cx, cy) => cx * hd.ly < hd.lx * (hd.ly - cy), hd.ly);
  const P = plan(pAc, (cx, cy) => cx < 3 - cy, 3);
  const Q = plan(qAc, (cx, cy) => cx < 3 - cy, 3);
  const A = aAc ? plan(aAc, (cx, cy) => cx < 5 - cy, 5) : null;
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0, i = 0; y < h; y++) {
    const fy = cosY.subarray(y * ny, y * ny + ny);
    fold(L, fy);
    fold(P, fy);
    fold(Q, fy);
    if (A) fold(A, fy);
    for (let x = 0; x < w; x++, i += 4) {
      const fx = cosX.subarray(x * nx, x * nx + nx);
      const l = at(L, fx, hd.lDc);
      const p = at(P, fx, hd.pDc);
      const q = at(Q, fx, hd.qDc);
      const a = A ? at(A, fx, aDc) : aDc;
      const b = l - (2 / 3) * p;
      const r = (3 * l - b + q) / 2;
      const g = r - q;
      rgba[i] = 255 * Math.min(1, Math.max(0, r));
      rgba[i + 1] = 255 * Math.min(1, Math.max(0, g));
      rgba[i + 2] = 255 * Math.min(1, Math.max(0, b));
      rgba[i + 3] = 255 * Math.min(1, Math.max(0, a));
    }
  }
  return { w, h, rgba };
}

const cache = new Map();
const CACHE_MAX = 3000;
let canvas;

/** A data: URL of the decoded placeholder (cached; null when the hash is bad). */
export function thumbhashUrl(b64) {
  if (!b64) return null;
  const hit = cache.get(b64);
  if (hit !== undefined) return hit;
  let url = null;
  try {
    const { w, h, rgba } = decodeThumbhash(base64ToBytes(b64));
    canvas = canvas || document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    ctx.putImageData(new ImageData(rgba, w, h), 0, 0);
    url = canvas.toDataURL();
  } catch {
    url = null;
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value);
  cache.set(b64, url);
  return url;
}
