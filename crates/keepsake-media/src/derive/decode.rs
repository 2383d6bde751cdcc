//! Decoding every supported format once, as small as the preview allows, into
//! an 8-bit RGB/RGBA [`Raster`] plus the embedded ICC profile.
//!
//! The size is checked against `max_pixels` from the header before any pixel
//! buffer is allocated. JPEG uses libjpeg-turbo's DCT-domain scaling so that a
//! 100 MP photo never exists at full size in memory; the other formats have no
//! shrink-on-load and decode at full size (bounded by `max_pixels`).

use super::icc;
use super::pixels::Raster;
use crate::{MediaError, Result};
use std::io::Cursor;

/// What the decoders hand to the pipeline.
pub(crate) struct Decoded {
    /// Possibly smaller than `full_size` (JPEG shrink-on-load).
    pub raster: Raster,
    /// The stored image's size, before EXIF orientation.
    pub full_size: (u32, u32),
    pub icc: Option<Vec<u8>>,
    /// False when the decoder already applied the container's own rotation
    /// (HEIF `irot`/`imir`, which take precedence over EXIF by the HEIF spec).
    pub apply_exif_orientation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
    Tiff,
    Heif,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::WebP => "webp",
            Format::Tiff => "tiff",
            Format::Heif => "heif",
        }
    }
}

/// Recognises the format from magic bytes (file names lie).
pub(crate) fn sniff(data: &[u8]) -> Option<Format> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") {
        Some(Format::Tiff)
    } else if data.len() >= 12 && &data[4..8] == b"ftyp" {
        let brands = &data[8..data.len().min(64)];
        let known: [&[u8; 4]; 9] = [
            b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif",
        ];
        brands
            .chunks_exact(4)
            .any(|b| known.iter().any(|k| b == *k) || b == b"avis")
            .then_some(Format::Heif)
    } else {
        None
    }
}

fn check_pixels(width: u64, height: u64, max_pixels: u64) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt(format!(
            "image header says {width}×{height} pixels"
        )));
    }
    let pixels = width.saturating_mul(height);
    if pixels > max_pixels {
        return Err(MediaError::Unsupported(format!(
            "image is {width}×{height} = {:.1} MP, over the {:.1} MP limit for derived images",
            pixels as f64 / 1e6,
            max_pixels as f64 / 1e6
        )));
    }
    Ok(())
}

/// A zeroed buffer for a decoder to fill. `vec![0; n]` maps fresh zero pages
/// (calloc) instead of writing zeros the decoder overwrites anyway; the size
/// is bounded by `max_pixels`, checked before.
fn alloc(len: usize) -> Result<Vec<u8>> {
    Ok(vec![0; len])
}

/// Decodes `data` so that the result's shorter edge is at least `min_short`
/// (or the full image, if smaller).
pub(crate) fn decode(data: &[u8], min_short: u32, max_pixels: u64) -> Result<(Format, Decoded)> {
    let format = sniff(data).ok_or_else(|| {
        MediaError::Unsupported("not a JPEG, PNG, GIF, WebP, TIFF, HEIC or AVIF image".into())
    })?;
    let decoded = match format {
        Format::Jpeg => decode_jpeg(data, min_short, max_pixels),
        Format::Png => decode_png(data, max_pixels),
        Format::Gif => decode_gif(data, max_pixels),
        Format::WebP => decode_webp(data, max_pixels),
        Format::Tiff => decode_tiff(data, max_pixels),
        Format::Heif => decode_heif(data, max_pixels),
    }?;
    Ok((format, decoded))
}

/// The DCT scale (in eighths) that shrinks most while keeping the shorter
/// edge at or above `min_short`.
///
/// Only 1/8, 1/4, 1/2 and 1 are used: libjpeg-turbo has SIMD IDCTs for those,
/// while 3/8, 5/8, 3/4 and 7/8 run plain C. On the corpus's camera JPEGs a
/// full SIMD decode plus a larger Lanczos resize took ~42 ms of CPU per
/// photo against ~58 ms with the odd factors.
pub(crate) fn jpeg_scale_eighths(width: u32, height: u32, min_short: u32) -> u32 {
    let short = u64::from(width.min(height));
    [1u64, 2, 4, 8]
        .iter()
        .copied()
        .find(|n| (short * n).div_ceil(8) >= u64::from(min_short))
        .unwrap_or(8) as u32
}

/// libjpeg warnings that leave a complete, usable image (cameras and editors
/// write these routinely, e.g. padding before EOI). Everything else — and any
/// sign of truncation — is an error.
fn jpeg_warning_is_benign(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    if lower.contains("premature end") {
        return false;
    }
    [
        "corrupt jpeg data",
        "invalid sos parameters",
        "inconsistent progression",
        "warning:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

fn decode_jpeg(data: &[u8], min_short: u32, max_pixels: u64) -> Result<Decoded> {
    use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat};
    let tool = |e: turbojpeg::Error| MediaError::Tool {
        tool: "libjpeg-turbo",
        message: e.to_string(),
    };
    let mut d = Decompressor::new().map_err(tool)?;
    let header = d
        .read_header(data)
        .map_err(|e| MediaError::Corrupt(format!("JPEG header: {e}")))?;
    let (w, h) = (header.width as u32, header.height as u32);
    check_pixels(u64::from(w), u64::from(h), max_pixels)?;
    let n = jpeg_scale_eighths(w, h, min_short);
    let (sw, sh) = (
        (u64::from(w) * u64::from(n)).div_ceil(8) as usize,
        (u64::from(h) * u64::from(n)).div_ceil(8) as usize,
    );
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let (format, bpp) = if cmyk {
        (PixelFormat::CMYK, 4)
    } else {
        (PixelFormat::RGB, 3)
    };
    let mut pixels = alloc(sw * sh * bpp)?;
    // tjDecompress2 picks the largest scaling factor whose output fits the
    // requested size, which is exactly n/8 here.
    let run = |d: &mut Decompressor, jpeg: &[u8], pixels: &mut [u8]| {
        d.decompress(
            jpeg,
            Image {
                pixels,
                width: sw,
                pitch: sw * bpp,
                height: sh,
                format,
            },
        )
    };
    if let Err(e) = run(&mut d, data, &mut pixels) {
        let message = e.to_string();
        let message = message.trim_start_matches("TurboJPEG error: ").to_string();
        let missing_eoi =
            message.contains("Premature end of JPEG file") && !data.ends_with(&[0xFF, 0xD9]);
        if missing_eoi {
            // Some writers omit only the final EOI marker; libjpeg reports that
            // like a truncation. With EOI appended a complete file decodes
            // cleanly, a really truncated one still fails.
            let mut fixed = Vec::with_capacity(data.len() + 2);
            fixed.extend_from_slice(data);
            fixed.extend_from_slice(&[0xFF, 0xD9]);
            if let Err(e) = run(&mut d, &fixed, &mut pixels) {
                let m = e.to_string();
                let m = m.trim_start_matches("TurboJPEG error: ");
                if !jpeg_warning_is_benign(m) {
                    return Err(MediaError::Corrupt(format!("truncated JPEG ({m})")));
                }
            }
        } else if !jpeg_warning_is_benign(&message) {
            return Err(if message.to_ascii_lowercase().contains("premature end") {
                MediaError::Corrupt(format!("truncated JPEG ({message})"))
            } else {
                MediaError::Corrupt(format!("JPEG: {message}"))
            });
        }
    }
    let icc = icc::from_jpeg(data);
    let (raster, icc) = if cmyk {
        let rgb = icc::cmyk_to_rgb(&pixels, icc.as_deref());
        // The CMYK profile is consumed by the conversion above.
        (Raster::new(sw as u32, sh as u32, 3, rgb)?, None)
    } else {
        (Raster::new(sw as u32, sh as u32, 3, pixels)?, icc)
    };
    Ok(Decoded {
        raster,
        full_size: (w, h),
        icc,
        apply_exif_orientation: true,
    })
}

fn decode_png(data: &[u8], max_pixels: u64) -> Result<Decoded> {
    let corrupt = |e: png::DecodingError| MediaError::Corrupt(format!("PNG: {e}"));
    let mut decoder = png::Decoder::new(Cursor::new(data));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    // The pixel budget is enforced below; the crate's own 64 MiB default would
    // refuse ordinary 20 MP screenshots.
    decoder.set_limits(png::Limits {
        bytes: usize::try_from(max_pixels.saturating_mul(8)).unwrap_or(usize::MAX),
    });
    let mut reader = decoder.read_info().map_err(corrupt)?;
    let (w, h) = (reader.info().width, reader.info().height);
    check_pixels(u64::from(w), u64::from(h), max_pixels)?;
    let icc = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
    let len = reader
        .output_buffer_size()
        .ok_or_else(|| MediaError::Corrupt("PNG too large".into()))?;
    let mut buf = alloc(len)?;
    let frame = reader.next_frame(&mut buf).map_err(corrupt)?;
    buf.truncate(frame.buffer_size());
    let (color, _) = reader.output_color_type();
    let raster = match color {
        png::ColorType::Rgb => Raster::new(w, h, 3, buf)?,
        png::ColorType::Rgba => Raster::new(w, h, 4, buf)?.drop_opaque_alpha(),
        png::ColorType::Grayscale => {
            Raster::new(w, h, 3, buf.iter().flat_map(|&g| [g, g, g]).collect())?
        }
        png::ColorType::GrayscaleAlpha => Raster::new(
            w,
            h,
            4,
            buf.chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
        )?
        .drop_opaque_alpha(),
        png::ColorType::Indexed => {
            return Err(MediaError::Corrupt("PNG palette was not expanded".into()));
        }
    };
    Ok(Decoded {
        raster,
        full_size: (w, h),
        icc,
        apply_exif_orientation: true,
    })
}

fn decode_gif(data: &[u8], max_pixels: u64) -> Result<Decoded> {
    let corrupt = |e: gif::DecodingError| MediaError::Corrupt(format!("GIF: {e}"));
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    options.set_memory_limit(gif::MemoryLimit::Bytes(
        std::num::NonZeroU64::new(max_pixels.saturating_mul(4).max(1))
            .unwrap_or(std::num::NonZeroU64::MIN),
    ));
    let mut decoder = options.read_info(Cursor::new(data)).map_err(corrupt)?;
    let (sw, sh) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let frame = decoder
        .read_next_frame()
        .map_err(corrupt)?
        .ok_or_else(|| MediaError::Corrupt("GIF has no frames".into()))?;
    let (fl, ft, fw, fh) = (
        u32::from(frame.left),
        u32::from(frame.top),
        u32::from(frame.width),
        u32::from(frame.height),
    );
    // Some writers leave the logical screen at 0×0; the frame is the picture then.
    let (w, h) = if sw == 0 || sh == 0 {
        (fw, fh)
    } else {
        (sw, sh)
    };
    check_pixels(u64::from(w), u64::from(h), max_pixels)?;
    let mut canvas = alloc(w as usize * h as usize * 4)?;
    for y in 0..fh.min(h.saturating_sub(ft)) {
        let cols = fw.min(w.saturating_sub(fl)) as usize;
        let src = (y as usize * fw as usize) * 4;
        let dst = ((ft + y) as usize * w as usize + fl as usize) * 4;
        if let (Some(s), Some(d)) = (
            frame.buffer.get(src..src + cols * 4),
            canvas.get_mut(dst..dst + cols * 4),
        ) {
            d.copy_from_slice(s);
        }
    }
    Ok(Decoded {
        raster: Raster::new(w, h, 4, canvas)?.drop_opaque_alpha(),
        full_size: (w, h),
        icc: decoder.icc_profile().map(<[u8]>::to_vec),
        apply_exif_orientation: true,
    })
}

fn decode_webp(data: &[u8], max_pixels: u64) -> Result<Decoded> {
    let features = webp::BitstreamFeatures::new(data)
        .ok_or_else(|| MediaError::Corrupt("WebP header is invalid".into()))?;
    let (w, h) = (features.width(), features.height());
    check_pixels(u64::from(w), u64::from(h), max_pixels)?;
    if features.has_animation() {
        return Err(MediaError::Unsupported(
            "animated WebP (only still WebP images get previews)".into(),
        ));
    }
    let image = webp::Decoder::new(data)
        .decode()
        .ok_or_else(|| MediaError::Corrupt("WebP data is invalid or truncated".into()))?;
    let channels = if image.is_alpha() { 4 } else { 3 };
    let raster = Raster::new(image.width(), image.height(), channels, image.to_vec())?;
    Ok(Decoded {
        raster: raster.drop_opaque_alpha(),
        full_size: (w, h),
        icc: icc::from_webp(data),
        apply_exif_orientation: true,
    })
}

fn decode_tiff(data: &[u8], max_pixels: u64) -> Result<Decoded> {
    use tiff::ColorType as C;
    use tiff::decoder::{DecodingResult, Limits};
    let corrupt = |e: tiff::TiffError| MediaError::Corrupt(format!("TIFF: {e}"));
    let mut limits = Limits::default();
    limits.decoding_buffer_size =
        usize::try_from(max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(data))
        .map_err(corrupt)?
        .with_limits(limits);
    let (w, h) = decoder.dimensions().map_err(corrupt)?;
    check_pixels(u64::from(w), u64::from(h), max_pixels)?;
    let color = decoder.colortype().map_err(corrupt)?;
    let icc = decoder.get_tag_u8_vec(tiff::tags::Tag::IccProfile).ok();
    let samples: Vec<u8> = match decoder.read_image().map_err(corrupt)? {
        DecodingResult::U8(v) => v,
        DecodingResult::U16(v) => v.iter().map(|&s| (s >> 8) as u8).collect(),
        _ => {
            return Err(MediaError::Unsupported(
                "TIFF sample format (only 8/16-bit integer images)".into(),
            ));
        }
    };
    let px = w as usize * h as usize;
    let expand = |n: usize, f: &dyn Fn(&[u8]) -> [u8; 4]| -> Vec<u8> {
        samples.chunks_exact(n).take(px).flat_map(f).collect()
    };
    let (channels, pixels) = match color {
        C::RGB(8 | 16) => (3, samples.clone()),
        C::RGBA(8 | 16) => (4, samples.clone()),
        C::Gray(8 | 16) => (
            3,
            samples.iter().take(px).flat_map(|&g| [g, g, g]).collect(),
        ),
        C::GrayA(8 | 16) => (4, expand(2, &|p| [p[0], p[0], p[0], p[1]])),
        C::CMYK(8) => (
            3,
            icc::cmyk_to_rgb(&samples.iter().map(|&v| 255 - v).collect::<Vec<_>>(), None),
        ),
        other => {
            return Err(MediaError::Unsupported(format!(
                "TIFF colour type {other:?}"
            )));
        }
    };
    let raster = Raster::new(w, h, channels, pixels)?.drop_opaque_alpha();
    let icc = if matches!(color, C::CMYK(_)) {
        None
    } else {
        icc
    };
    Ok(Decoded {
        raster,
        full_size: (w, h),
        icc,
        apply_exif_orientation: true,
    })
}

fn decode_heif(data: &[u8], max_pixels: u64) -> Result<Decoded> {
    use libheif_rs::{
        ColorPrimaries, ColorProfile, ColorSpace, DecodingOptions, HeifContext, LibHeif, RgbChroma,
        color_profile_types,
    };
    let corrupt = |e: libheif_rs::HeifError| MediaError::Corrupt(format!("HEIF: {}", e.message));
    let lib = LibHeif::new();
    let mut ctx = HeifContext::read_from_bytes(data).map_err(corrupt)?;
    // One job, one core: the worker pool parallelises across files, and a
    // per-file thread fan-out would make the per-core figures meaningless.
    ctx.set_max_decoding_threads(1);
    let handle = ctx.primary_image_handle().map_err(corrupt)?;
    let (w, h) = (handle.width(), handle.height());
    check_pixels(u64::from(w), u64::from(h), max_pixels)?;
    let alpha = handle.has_alpha_channel();
    let icc = match handle.color_profile_raw() {
        Some(p)
            if p.profile_type() == color_profile_types::PROF
                || p.profile_type() == color_profile_types::R_ICC =>
        {
            Some(p.data)
        }
        _ => handle.color_profile_nclx().and_then(|n| {
            // Only wide-gamut primaries need a profile; BT.709 is sRGB's.
            let d65 = (0.3127, 0.3290);
            match n.color_primaries() {
                ColorPrimaries::SMPTE_EG_432_1 => {
                    icc::rgb_profile_icc(d65, [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)])
                }
                ColorPrimaries::ITU_R_BT_2020_2_and_2100_0 => {
                    icc::rgb_profile_icc(d65, [(0.708, 0.292), (0.170, 0.797), (0.131, 0.046)])
                }
                _ => None,
            }
        }),
    };
    let mut options = DecodingOptions::new();
    if let Some(o) = options.as_mut() {
        o.set_convert_hdr_to_8bit(true);
    }
    let chroma = if alpha {
        RgbChroma::Rgba
    } else {
        RgbChroma::Rgb
    };
    let image = lib
        .decode(&handle, ColorSpace::Rgb(chroma), options)
        .map_err(corrupt)?;
    let planes = image.planes();
    let plane = planes
        .interleaved
        .ok_or_else(|| MediaError::Corrupt("HEIF decoder returned no interleaved plane".into()))?;
    let channels = if alpha { 4 } else { 3 };
    let (pw, ph) = (plane.width, plane.height);
    let row = pw as usize * channels;
    let mut pixels = alloc(row * ph as usize)?;
    for (y, out) in pixels.chunks_exact_mut(row).enumerate() {
        let start = y * plane.stride;
        let src = plane
            .data
            .get(start..start + row)
            .ok_or_else(|| MediaError::Corrupt("HEIF plane is shorter than its size".into()))?;
        out.copy_from_slice(src);
    }
    Ok(Decoded {
        raster: Raster::new(pw, ph, channels, pixels)?.drop_opaque_alpha(),
        full_size: (pw, ph),
        icc,
        apply_exif_orientation: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_scale_keeps_the_preview_covered_with_simd_factors() {
        // 100 MP decodes at 1/4 (3000×2100), never at full size.
        assert_eq!(jpeg_scale_eighths(12000, 8400, 1440), 2);
        assert_eq!(jpeg_scale_eighths(8000, 6000, 1440), 2);
        assert_eq!(jpeg_scale_eighths(4032, 3024, 1440), 4);
        assert_eq!(jpeg_scale_eighths(3264, 2448, 1440), 8);
        assert_eq!(jpeg_scale_eighths(800, 600, 1440), 8);
    }

    #[test]
    fn formats_are_recognised_by_magic_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Some(Format::Heif)
        );
        assert_eq!(
            sniff(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1"),
            Some(Format::Heif)
        );
        assert_eq!(sniff(b"\0\0\0\x18ftypqt  \0\0\0\0qt  "), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
    }
}
