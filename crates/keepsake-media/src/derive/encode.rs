//! The three outputs' encoders: preview JPEG (libjpeg-turbo), thumbnail WebP
//! (libwebp) and thumbhash, with Immich's settings.

use super::pixels::{Raster, fit_inside, resize};
use crate::{MediaError, Result};

/// Baseline JPEG, 4:2:0 chroma like sharp's default unless `full_chroma`;
/// alpha flattened on white.
pub(crate) fn jpeg(raster: &Raster, quality: u8, full_chroma: bool) -> Result<Vec<u8>> {
    let flattened;
    let pixels: &[u8] = if raster.channels == 4 {
        flattened = raster.flattened_on_white();
        &flattened
    } else {
        &raster.data
    };
    let tool = |e: turbojpeg::Error| MediaError::Tool {
        tool: "libjpeg-turbo",
        message: e.to_string(),
    };
    let mut c = turbojpeg::Compressor::new().map_err(tool)?;
    c.set_quality(i32::from(quality.clamp(1, 100)));
    c.set_subsamp(if full_chroma {
        turbojpeg::Subsamp::None
    } else {
        turbojpeg::Subsamp::Sub2x2
    });
    c.compress_to_vec(turbojpeg::Image {
        pixels,
        width: raster.width as usize,
        pitch: raster.width as usize * 3,
        height: raster.height as usize,
        format: turbojpeg::PixelFormat::RGB,
    })
    .map_err(tool)
}

/// Lossy WebP at `quality`, alpha kept when present.
pub(crate) fn webp(raster: &Raster, quality: u8) -> Result<Vec<u8>> {
    let encoder = if raster.channels == 4 {
        webp::Encoder::from_rgba(&raster.data, raster.width, raster.height)
    } else {
        webp::Encoder::from_rgb(&raster.data, raster.width, raster.height)
    };
    let memory = encoder
        .encode_simple(false, f32::from(quality.min(100)))
        .map_err(|e| MediaError::Tool {
            tool: "libwebp",
            message: format!("{e:?} encoding {}×{}", raster.width, raster.height),
        })?;
    Ok(memory.to_vec())
}

/// Thumbhash of the image scaled to fit 100×100 (the format's maximum).
pub(crate) fn thumbhash(raster: &Raster) -> Result<Vec<u8>> {
    let (w, h) = fit_inside((raster.width, raster.height), 100);
    let small = resize(raster, w, h)?;
    let rgba = small.to_rgba();
    Ok(thumbhash::rgba_to_thumb_hash(w as usize, h as usize, &rgba))
}
