//! Derived images, decode once for all sizes: the preview JPEG, the thumbnail
//! WebP and the thumbhash people see in the timeline.
//!
//! The source is decoded once, at the smallest size that still covers the
//! preview (JPEG DCT-domain scaling), resized with a SIMD resizer to the
//! preview size, converted to sRGB, oriented, then resized again from the
//! preview for the thumbnail and thumbhash. Colour conversion and rotation run
//! on the preview-sized buffer because it is the smallest one that every
//! output derives from. Memory is bounded by `max_pixels`.
//!
//! Error policy: unknown formats are `Unsupported`; truncated or garbled files
//! are `Corrupt` with the decoder's reason. libjpeg's benign warnings (stray
//! bytes before a marker, a missing final EOI) are accepted because cameras
//! write such files and the pixels are complete; a JPEG that ends before its
//! image data does is refused rather than shown half grey.

mod decode;
mod encode;
mod icc;
mod pixels;

pub use pixels::fit_shorter_edge;

use crate::{MediaError, Result};
use pixels::{Raster, orient, resize, resize_owned, swaps_axes};
use std::path::Path;

/// Where the image comes from: a file, or bytes already in memory (a RAW's
/// embedded preview, a video's poster frame encoded by ffmpeg).
#[derive(Debug, Clone, Copy)]
pub enum ImageInput<'a> {
    File(&'a Path),
    Bytes(&'a [u8]),
}

/// Sizes and qualities; defaults are Immich's.
#[derive(Debug, Clone)]
pub struct DeriveOptions {
    /// Shorter edge of the preview, in pixels (never upscaled).
    pub preview_size: u32,
    pub preview_quality: u8,
    /// Encode the preview with full-resolution chroma (4:4:4) instead of
    /// 4:2:0. On by default, as Immich asks sharp for 4:4:4 at quality ≥ 80:
    /// fine coloured detail (text, fabric) stays crisp; 4:2:0 is smaller and
    /// about 10% faster.
    pub preview_full_chroma: bool,
    /// Shorter edge of the thumbnail, in pixels (never upscaled).
    pub thumbnail_size: u32,
    pub thumbnail_quality: u8,
    /// Refuse sources with more pixels than this (decompression bombs).
    pub max_pixels: u64,
}

impl Default for DeriveOptions {
    fn default() -> Self {
        DeriveOptions {
            preview_size: 1440,
            preview_quality: 80,
            preview_full_chroma: true,
            thumbnail_size: 250,
            thumbnail_quality: 80,
            max_pixels: 300_000_000,
        }
    }
}

/// The outputs for one asset.
#[derive(Debug, Clone)]
pub struct DerivedImages {
    pub preview_jpeg: Vec<u8>,
    pub preview_size: (u32, u32),
    pub thumbnail_webp: Vec<u8>,
    pub thumbnail_size: (u32, u32),
    /// Thumbhash bytes (Immich stores and serves them base64-encoded).
    pub thumbhash: Vec<u8>,
    /// The source's size after orientation is applied.
    pub oriented_size: (u32, u32),
}

/// Which decoder a file would go to, from its magic bytes ("jpeg", "png",
/// "gif", "webp", "tiff", "heif"), or `None` if derive can't read it.
pub fn sniff_format(data: &[u8]) -> Option<&'static str> {
    decode::sniff(data).map(decode::Format::name)
}

/// Decodes `input` once and derives all sizes. `orientation` is the EXIF
/// orientation (1..=8) from the metadata reader; `None` means upright.
/// HEIF/AVIF ignore it: libheif applies the container's `irot`/`imir`, which
/// the HEIF spec makes authoritative over EXIF.
pub fn derive_image(
    input: ImageInput<'_>,
    orientation: Option<u8>,
    options: &DeriveOptions,
) -> Result<DerivedImages> {
    let owned;
    let data: &[u8] = match input {
        ImageInput::File(path) => {
            owned = std::fs::read(path).map_err(|source| MediaError::Io {
                path: path.display().to_string(),
                source,
            })?;
            &owned
        }
        ImageInput::Bytes(bytes) => bytes,
    };
    check_options(options)?;
    // The decoders are third-party parsers fed hostile bytes; a panic in one
    // must fail this file, not the worker.
    let (_, decoded) =
        std::panic::catch_unwind(|| decode::decode(data, options.preview_size, options.max_pixels))
            .map_err(|_| MediaError::Corrupt("the image decoder crashed on this file".into()))??;
    let orientation = if decoded.apply_exif_orientation {
        orientation.unwrap_or(1)
    } else {
        1
    };
    finish(
        decoded.raster,
        decoded.full_size,
        decoded.icc.as_deref(),
        orientation,
        options,
    )
}

/// Derives all sizes from pixels already decoded (upright, sRGB, RGBA8).
pub fn derive_from_rgba(
    rgba: &[u8],
    width: u32,
    height: u32,
    options: &DeriveOptions,
) -> Result<DerivedImages> {
    check_options(options)?;
    if u64::from(width) * u64::from(height) > options.max_pixels {
        return Err(MediaError::Unsupported(format!(
            "image is {width}×{height}, over the {} pixel limit",
            options.max_pixels
        )));
    }
    let raster = Raster::new(width, height, 4, rgba.to_vec())?.drop_opaque_alpha();
    finish(raster, (width, height), None, 1, options)
}

fn check_options(options: &DeriveOptions) -> Result<()> {
    if options.preview_size == 0 || options.thumbnail_size == 0 {
        return Err(MediaError::Unsupported(
            "preview and thumbnail sizes must be positive".into(),
        ));
    }
    Ok(())
}

/// Everything after decoding. `decoded` may be smaller than `full_size`
/// (shrink-on-load); target sizes are computed from the full size so they
/// are exact whatever the decoder did.
fn finish(
    decoded: Raster,
    full_size: (u32, u32),
    icc: Option<&[u8]>,
    orientation: u8,
    options: &DeriveOptions,
) -> Result<DerivedImages> {
    let orientation = if (1..=8).contains(&orientation) {
        orientation
    } else {
        1
    };
    let (pw, ph) = fit_shorter_edge(full_size, options.preview_size);
    // A decoder may hand back slightly less than asked for (rounding); never
    // upscale beyond what was decoded.
    let (pw, ph) = if decoded.width < pw || decoded.height < ph {
        fit_shorter_edge(
            (decoded.width, decoded.height),
            options.preview_size.min(decoded.width.min(decoded.height)),
        )
    } else {
        (pw, ph)
    };
    let mut preview = resize_owned(decoded, pw, ph)?;
    if let Some(icc) = icc
        && !icc::is_srgb(icc)
    {
        icc::to_srgb(&mut preview, icc);
    }
    let preview = orient(preview, orientation);
    let oriented_size = if swaps_axes(orientation) {
        (full_size.1, full_size.0)
    } else {
        full_size
    };
    let (tw, th) = fit_shorter_edge(oriented_size, options.thumbnail_size);
    let (tw, th) = if tw > preview.width || th > preview.height {
        (preview.width, preview.height)
    } else {
        (tw, th)
    };
    let thumbnail = resize(&preview, tw, th)?;
    Ok(DerivedImages {
        thumbhash: encode::thumbhash(&thumbnail)?,
        thumbnail_webp: encode::webp(&thumbnail, options.thumbnail_quality)?,
        thumbnail_size: (thumbnail.width, thumbnail.height),
        preview_jpeg: encode::jpeg(
            &preview,
            options.preview_quality,
            options.preview_full_chroma,
        )?,
        preview_size: (preview.width, preview.height),
        oriented_size,
    })
}
