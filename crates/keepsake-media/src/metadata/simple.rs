//! The chunked web formats (PNG, WebP) and GIF: dimensions from their
//! headers, EXIF/XMP/ICC from their metadata chunks, pixel chunks skipped.

use super::source::{Source, be_u32, le_u16, le_u32};
use super::{Extra, MediaMetadata, corrupt, tiff};
use crate::Result;

const MAX_CHUNKS: usize = 4096;
const MAX_META_CHUNK: u64 = 16 << 20;
const MAX_ICC: usize = 8 << 20;

/// PNG: IHDR, eXIf, iTXt/tEXt XMP, iCCP. Stops at the first IDAT: metadata
/// written after the pixels is rare, and walking every IDAT header of a large
/// PNG would cost more than everything else.
pub(crate) fn read_png(src: &dyn Source, md: &mut MediaMetadata, ctx: &mut Extra) -> Result<()> {
    let mut pos = 8u64;
    let len = src.len();
    for i in 0..MAX_CHUNKS {
        if pos + 8 > len {
            if i == 0 {
                return Err(corrupt("PNG ends before its header chunk"));
            }
            break;
        }
        let h = src.read_at(pos, 8)?;
        let size = u64::from(be_u32(&h, 0).unwrap_or(0));
        let kind = [h[4], h[5], h[6], h[7]];
        let data_at = pos + 8;
        if data_at + size > len {
            return Err(corrupt(format!(
                "PNG chunk {} at byte {pos} runs past the end of the file",
                String::from_utf8_lossy(&kind)
            )));
        }
        if i == 0 && &kind != b"IHDR" {
            return Err(corrupt("PNG does not start with IHDR"));
        }
        match &kind {
            b"IHDR" => {
                let d = src.read_at(data_at, size.min(13) as usize)?;
                md.width = be_u32(&d, 0).filter(|v| *v > 0);
                md.height = be_u32(&d, 4).filter(|v| *v > 0);
                md.bits_per_sample = d.get(8).map(|b| u32::from(*b));
            }
            b"IDAT" | b"IEND" => break,
            b"eXIf" if size <= MAX_META_CHUNK => {
                // Some writers keep the JPEG-style "Exif\0\0" prefix.
                let d = src.read_at(data_at, size.min(6) as usize)?;
                let base = if d.starts_with(b"Exif\0") {
                    data_at + 6
                } else {
                    data_at
                };
                // A broken EXIF block loses its fields, not the picture.
                let _ = tiff::parse_tiff(src, base, md, ctx);
            }
            b"iTXt" | b"tEXt" | b"zTXt" if size <= MAX_META_CHUNK => {
                let d = src.read_at(data_at, size as usize)?;
                read_png_text(&kind, &d, ctx);
            }
            b"iCCP" if size <= MAX_META_CHUNK => {
                let d = src.read_at(data_at, size as usize)?;
                if let Some(nul) = d.iter().position(|b| *b == 0)
                    && let Some(z) = d.get(nul + 2..)
                    && let Ok(icc) =
                        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(z, MAX_ICC)
                {
                    ctx.icc = Some(icc);
                }
            }
            _ => {}
        }
        pos = data_at + size + 4;
    }
    Ok(())
}

fn read_png_text(kind: &[u8; 4], d: &[u8], ctx: &mut Extra) {
    let Some(nul) = d.iter().position(|b| *b == 0) else {
        return;
    };
    let keyword = &d[..nul];
    if keyword != b"XML:com.adobe.xmp" || ctx.xmp.is_some() {
        return;
    }
    let rest = &d[nul + 1..];
    let text = match kind {
        b"tEXt" => Some(rest.to_vec()),
        b"zTXt" => rest.get(1..).and_then(|z| {
            miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(z, 16 << 20).ok()
        }),
        _ => {
            // iTXt: compression flag, method, language\0, translated keyword\0, text.
            let (Some(&flag), Some(after)) = (rest.first(), rest.get(2..)) else {
                return;
            };
            let mut parts = after.splitn(3, |b| *b == 0);
            let (_, _, Some(body)) = (parts.next(), parts.next(), parts.next()) else {
                return;
            };
            if flag == 1 {
                miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(body, 16 << 20).ok()
            } else {
                Some(body.to_vec())
            }
        }
    };
    if let Some(t) = text {
        ctx.xmp = Some(String::from_utf8_lossy(&t).into_owned());
    }
}

/// WebP: RIFF chunks VP8/VP8L/VP8X for dimensions, EXIF, `XMP `, ICCP.
pub(crate) fn read_webp(src: &dyn Source, md: &mut MediaMetadata, ctx: &mut Extra) -> Result<()> {
    let len = src.len();
    let riff = src.read_at(0, 12)?;
    let end = (8 + u64::from(le_u32(&riff, 4).unwrap_or(0))).min(len);
    let mut pos = 12u64;
    let mut found = false;
    for _ in 0..MAX_CHUNKS {
        if pos + 8 > end {
            break;
        }
        let h = src.read_at(pos, 8)?;
        let kind = [h[0], h[1], h[2], h[3]];
        let size = u64::from(le_u32(&h, 4).unwrap_or(0));
        let data_at = pos + 8;
        if data_at + size > len {
            return Err(corrupt(format!(
                "WebP chunk {} at byte {pos} runs past the end of the file",
                String::from_utf8_lossy(&kind)
            )));
        }
        match &kind {
            b"VP8X" => {
                let d = src.read_at(data_at, size.min(10) as usize)?;
                if d.len() >= 10 {
                    let w = u32::from_le_bytes([d[4], d[5], d[6], 0]) + 1;
                    let h = u32::from_le_bytes([d[7], d[8], d[9], 0]) + 1;
                    md.width = Some(w);
                    md.height = Some(h);
                    found = true;
                }
            }
            b"VP8 " if !found => {
                let d = src.read_at(data_at, size.min(10) as usize)?;
                if d.len() >= 10 && d[3..6] == [0x9d, 0x01, 0x2a] {
                    md.width = le_u16(&d, 6).map(|v| u32::from(v & 0x3fff));
                    md.height = le_u16(&d, 8).map(|v| u32::from(v & 0x3fff));
                    found = true;
                }
            }
            b"VP8L" if !found => {
                let d = src.read_at(data_at, size.min(5) as usize)?;
                if d.len() >= 5 && d[0] == 0x2f {
                    let bits = le_u32(&d, 1).unwrap_or(0);
                    md.width = Some((bits & 0x3fff) + 1);
                    md.height = Some(((bits >> 14) & 0x3fff) + 1);
                    found = true;
                }
            }
            b"EXIF" if (8..=MAX_META_CHUNK).contains(&size) => {
                let d = src.read_at(data_at, 6)?;
                let base = if d.starts_with(b"Exif\0") {
                    data_at + 6
                } else {
                    data_at
                };
                // A broken EXIF block loses its fields, not the picture.
                let _ = tiff::parse_tiff(src, base, md, ctx);
            }
            b"XMP " if size <= MAX_META_CHUNK => {
                let d = src.read_at(data_at, size as usize)?;
                ctx.xmp = Some(String::from_utf8_lossy(&d).into_owned());
            }
            b"ICCP" if size as usize <= MAX_ICC => {
                ctx.icc = Some(src.read_at(data_at, size as usize)?.into_owned());
            }
            _ => {}
        }
        pos = data_at + size + (size & 1);
    }
    if !found {
        return Err(corrupt("WebP has no VP8, VP8L or VP8X chunk"));
    }
    md.bits_per_sample.get_or_insert(8);
    Ok(())
}

/// GIF: the logical screen size in the header.
pub(crate) fn read_gif(head: &[u8], md: &mut MediaMetadata) -> Result<()> {
    let (Some(w), Some(h)) = (le_u16(head, 6), le_u16(head, 8)) else {
        return Err(corrupt("GIF header is truncated"));
    };
    md.width = Some(u32::from(w));
    md.height = Some(u32::from(h));
    md.bits_per_sample = Some(8);
    Ok(())
}
