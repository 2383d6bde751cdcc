//! Colour management: find a source's embedded ICC profile, recognise sRGB
//! cheaply, and convert everything else (Display P3, Adobe RGB, …) to sRGB.
//!
//! Browsers treat untagged images as sRGB, and Immich's previews are sRGB, so
//! a P3 photo shown without conversion looks washed out. Nearly every camera
//! and phone profile (Display P3, Adobe RGB, ProPhoto) is a matrix/TRC
//! profile; for those the conversion is done here with lookup tables and a
//! 3×3 matrix (relative colorimetric, i.e. what Little CMS computes for two
//! matrix-shaper profiles) — measured ~30 ms per 3 MP preview through
//! `lcms2` against a few ms here. Everything else (LUT-based v4 profiles,
//! CMYK) goes through Little CMS (`lcms2` over the system liblcms2), chosen
//! over the pure-Rust `qcms` because it handles every profile class and can
//! build profiles from primaries (HEIF `nclx`). The sRGB check is a
//! header/tag parse so the common case does no colour work at all.

use super::pixels::Raster;
use lcms2::{CIExyY, CIExyYTRIPLE, Intent, PixelFormat, Profile, ToneCurve, Transform};
use std::sync::OnceLock;

/// Reassembles the ICC profile from JPEG APP2 `ICC_PROFILE` segments, ordered by
/// their sequence numbers. Stops at the first scan (metadata precedes it).
pub(crate) fn from_jpeg(data: &[u8]) -> Option<Vec<u8>> {
    const TAG: &[u8] = b"ICC_PROFILE\0";
    let mut chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut i = 2usize;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        if len < 2 || i + 2 + len > data.len() {
            break;
        }
        let body = &data[i + 4..i + 2 + len];
        if marker == 0xE2 && body.len() > TAG.len() + 2 && body.starts_with(TAG) {
            let seq = body[TAG.len()];
            chunks.push((seq, &body[TAG.len() + 2..]));
        }
        i += 2 + len;
    }
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|c| c.0);
    Some(chunks.iter().flat_map(|c| c.1.iter().copied()).collect())
}

/// The `ICCP` chunk of a RIFF WebP container, if any.
pub(crate) fn from_webp(data: &[u8]) -> Option<Vec<u8>> {
    let mut i = 12usize;
    while i + 8 <= data.len() {
        let id = &data[i..i + 4];
        let len = u32::from_le_bytes([data[i + 4], data[i + 5], data[i + 6], data[i + 7]]) as usize;
        let body = data.get(i + 8..(i + 8).checked_add(len)?)?;
        if id == b"ICCP" {
            return Some(body.to_vec());
        }
        i += 8 + len + (len & 1);
    }
    None
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn s15f16(b: &[u8], at: usize) -> Option<f64> {
    Some(f64::from(be_u32(b, at)? as i32) / 65536.0)
}

fn tag<'a>(icc: &'a [u8], sig: &[u8; 4]) -> Option<&'a [u8]> {
    let count = be_u32(icc, 128)? as usize;
    for n in 0..count.min(256) {
        let at = 132 + n * 12;
        if icc.get(at..at + 4)? == sig {
            let off = be_u32(icc, at + 4)? as usize;
            let len = be_u32(icc, at + 8)? as usize;
            return icc.get(off..off.checked_add(len)?);
        }
    }
    None
}

fn xyz(icc: &[u8], sig: &[u8; 4]) -> Option<[f64; 3]> {
    let t = tag(icc, sig)?;
    if t.get(..4)? != b"XYZ " {
        return None;
    }
    Some([s15f16(t, 8)?, s15f16(t, 12)?, s15f16(t, 16)?])
}

/// Evaluates a `curv` or `para` tone curve at `x` in 0..=1.
fn trc_at(icc: &[u8], sig: &[u8; 4], x: f64) -> Option<f64> {
    let t = tag(icc, sig)?;
    match t.get(..4)? {
        b"curv" => {
            let n = be_u32(t, 8)? as usize;
            match n {
                0 => Some(x),
                1 => {
                    let g = f64::from(u16::from_be_bytes([*t.get(12)?, *t.get(13)?])) / 256.0;
                    Some(x.powf(g))
                }
                _ => {
                    let pos = x * (n - 1) as f64;
                    let i = pos.floor() as usize;
                    let at = |k: usize| -> Option<f64> {
                        let o = 12 + 2 * k.min(n - 1);
                        Some(f64::from(u16::from_be_bytes([*t.get(o)?, *t.get(o + 1)?])) / 65535.0)
                    };
                    let f = pos - i as f64;
                    Some(at(i)? * (1.0 - f) + at(i + 1)? * f)
                }
            }
        }
        b"para" => {
            let kind = u16::from_be_bytes([*t.get(8)?, *t.get(9)?]);
            let p = |k: usize| s15f16(t, 12 + 4 * k);
            let g = p(0)?;
            Some(match kind {
                0 => x.powf(g),
                1 => {
                    let (a, b) = (p(1)?, p(2)?);
                    if x >= -b / a {
                        (a * x + b).powf(g)
                    } else {
                        0.0
                    }
                }
                2 => {
                    let (a, b, c) = (p(1)?, p(2)?, p(3)?);
                    if x >= -b / a {
                        (a * x + b).powf(g) + c
                    } else {
                        c
                    }
                }
                3 => {
                    let (a, b, c, d) = (p(1)?, p(2)?, p(3)?, p(4)?);
                    if x >= d { (a * x + b).powf(g) } else { c * x }
                }
                4 => {
                    let (a, b, c, d, e, f) = (p(1)?, p(2)?, p(3)?, p(4)?, p(5)?, p(6)?);
                    if x >= d {
                        (a * x + b).powf(g) + e
                    } else {
                        c * x + f
                    }
                }
                _ => return None,
            })
        }
        _ => None,
    }
}

fn srgb_eotf(x: f64) -> f64 {
    if x <= 0.04045 {
        x / 12.92
    } else {
        ((x + 0.055) / 1.055).powf(2.4)
    }
}

/// Whether a profile is (close enough to) sRGB that converting would change
/// nothing visible: RGB, sRGB's D50-adapted colorants, and an sRGB-like curve
/// (gamma 2.2 passes; linear or gamma 1.8 does not). LUT-only profiles are not
/// recognised and simply go through Little CMS.
pub(crate) fn is_srgb(icc: &[u8]) -> bool {
    if icc.get(16..20) != Some(b"RGB ") {
        // Grey/CMYK profiles are handled by the decoder, not here.
        return true;
    }
    const SRGB: [(&[u8; 4], [f64; 3]); 3] = [
        (b"rXYZ", [0.4361, 0.2225, 0.0139]),
        (b"gXYZ", [0.3851, 0.7169, 0.0971]),
        (b"bXYZ", [0.1431, 0.0606, 0.7141]),
    ];
    for (sig, want) in SRGB {
        let Some(got) = xyz(icc, sig) else {
            return false;
        };
        if got.iter().zip(want).any(|(g, w)| (g - w).abs() > 0.003) {
            return false;
        }
    }
    for sig in [b"rTRC", b"gTRC", b"bTRC"] {
        for x in [0.2, 0.5, 0.8] {
            match trc_at(icc, sig, x) {
                Some(y) if (y - srgb_eotf(x)).abs() <= 0.01 => {}
                _ => return false,
            }
        }
    }
    true
}

/// A matrix/TRC profile for the given primaries with the sRGB transfer curve
/// (for HEIF/AVIF files that describe their colour with an `nclx` box).
pub(crate) fn rgb_profile_icc(white: (f64, f64), primaries: [(f64, f64); 3]) -> Option<Vec<u8>> {
    let xyy = |(x, y): (f64, f64)| CIExyY { x, y, Y: 1.0 };
    let curve =
        ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045])
            .ok()?;
    let profile = Profile::new_rgb(
        &xyy(white),
        &CIExyYTRIPLE {
            Red: xyy(primaries[0]),
            Green: xyy(primaries[1]),
            Blue: xyy(primaries[2]),
        },
        &[&curve, &curve, &curve],
    )
    .ok()?;
    profile.icc().ok()
}

/// sRGB's colorants (D50-adapted, as in the ICC sRGB profile), columns r, g, b.
const SRGB_D50: [[f64; 3]; 3] = [
    [0.436_074_7, 0.385_064_9, 0.143_080_4],
    [0.222_504_5, 0.716_878_6, 0.060_616_9],
    [0.013_932_2, 0.097_104_5, 0.714_173_3],
];

fn invert3(m: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if det.abs() < 1e-9 {
        return None;
    }
    let c =
        |r0: usize, c0: usize, r1: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    Some([
        [
            c(1, 1, 2, 2) / det,
            -c(0, 1, 2, 2) / det,
            c(0, 1, 1, 2) / det,
        ],
        [
            -c(1, 0, 2, 2) / det,
            c(0, 0, 2, 2) / det,
            -c(0, 0, 1, 2) / det,
        ],
        [
            c(1, 0, 2, 1) / det,
            -c(0, 0, 2, 1) / det,
            c(0, 0, 1, 1) / det,
        ],
    ])
}

/// Linear light (0..=1, in 1/16383 steps) to sRGB-encoded 8-bit.
const OUT_STEPS: usize = 16384;

fn srgb_encode_lut() -> &'static [u8] {
    static LUT: OnceLock<Vec<u8>> = OnceLock::new();
    LUT.get_or_init(|| {
        (0..OUT_STEPS)
            .map(|i| {
                let l = i as f64 / (OUT_STEPS - 1) as f64;
                let v = if l <= 0.003_130_8 {
                    12.92 * l
                } else {
                    1.055 * l.powf(1.0 / 2.4) - 0.055
                };
                (v * 255.0).round().clamp(0.0, 255.0) as u8
            })
            .collect()
    })
}

/// A matrix/TRC source profile reduced to tables: decode curve per channel,
/// one matrix straight to linear sRGB.
struct MatrixShaper {
    decode: [[f32; 256]; 3],
    to_srgb: [[f32; 3]; 3],
}

impl MatrixShaper {
    fn from_icc(icc: &[u8]) -> Option<MatrixShaper> {
        if icc.get(16..20)? != b"RGB " || icc.get(20..24)? != b"XYZ " {
            return None;
        }
        let (r, g, b) = (xyz(icc, b"rXYZ")?, xyz(icc, b"gXYZ")?, xyz(icc, b"bXYZ")?);
        let src = [[r[0], g[0], b[0]], [r[1], g[1], b[1]], [r[2], g[2], b[2]]];
        let inv = invert3(SRGB_D50)?;
        let mut to_srgb = [[0f32; 3]; 3];
        for (i, row) in to_srgb.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|k| inv[i][k] * src[k][j]).sum::<f64>() as f32;
            }
        }
        let mut decode = [[0f32; 256]; 3];
        for (table, sig) in decode.iter_mut().zip([b"rTRC", b"gTRC", b"bTRC"]) {
            for (i, v) in table.iter_mut().enumerate() {
                let y = trc_at(icc, sig, i as f64 / 255.0)?;
                if !y.is_finite() {
                    return None;
                }
                *v = y.clamp(0.0, 1.0) as f32;
            }
        }
        Some(MatrixShaper { decode, to_srgb })
    }

    fn apply(&self, raster: &mut Raster) {
        let out = srgb_encode_lut();
        let scale = (OUT_STEPS - 1) as f32;
        let m = &self.to_srgb;
        for px in raster.data.chunks_exact_mut(raster.channels) {
            let r = self.decode[0][usize::from(px[0])];
            let g = self.decode[1][usize::from(px[1])];
            let b = self.decode[2][usize::from(px[2])];
            for (c, row) in px.iter_mut().zip(m) {
                let l = (row[0] * r + row[1] * g + row[2] * b).clamp(0.0, 1.0);
                *c = out[(l * scale + 0.5) as usize];
            }
        }
    }
}

/// Converts the raster from `icc` to sRGB in place. A profile that cannot be
/// parsed, or one that isn't RGB, leaves the pixels as they are: that is what
/// browsers do with a broken tag, and it beats failing the photo.
pub(crate) fn to_srgb(raster: &mut Raster, icc: &[u8]) {
    if let Some(shaper) = MatrixShaper::from_icc(icc) {
        shaper.apply(raster);
        return;
    }
    let Ok(src) = Profile::new_icc(icc) else {
        return;
    };
    if src.color_space() != lcms2::ColorSpaceSignature::RgbData {
        return;
    }
    let format = if raster.channels == 4 {
        PixelFormat::RGBA_8
    } else {
        PixelFormat::RGB_8
    };
    let dst = Profile::new_srgb();
    // Relative colorimetric like libvips' default: out-of-gamut colours clip,
    // in-gamut colours stay exact.
    let Ok(transform) =
        Transform::<u8, u8>::new(&src, format, &dst, format, Intent::RelativeColorimetric)
    else {
        return;
    };
    transform.transform_in_place(&mut raster.data);
}

/// Converts inverted (Adobe) CMYK pixels to RGB: through the CMYK profile when
/// there is one, else with the naive complement formula.
pub(crate) fn cmyk_to_rgb(cmyk: &[u8], icc: Option<&[u8]>) -> Vec<u8> {
    let pixels = cmyk.len() / 4;
    if let Some(src) = icc.and_then(|b| Profile::new_icc(b).ok())
        && src.color_space() == lcms2::ColorSpaceSignature::CmykData
        && let Ok(t) = Transform::<u8, u8>::new(
            &src,
            PixelFormat::CMYK_8_REV,
            &Profile::new_srgb(),
            PixelFormat::RGB_8,
            Intent::Perceptual,
        )
    {
        let mut rgb = vec![0u8; pixels * 3];
        t.transform_pixels(cmyk, &mut rgb);
        return rgb;
    }
    let mut rgb = Vec::with_capacity(pixels * 3);
    for p in cmyk.chunks_exact(4) {
        let k = u32::from(p[3]);
        for &c in &p[..3] {
            rgb.push(((u32::from(c) * k + 127) / 255) as u8);
        }
    }
    rgb
}
