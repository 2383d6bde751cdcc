//! JPEG: the APP segments (EXIF, XMP, ICC) and the frame header, read up to
//! the start of scan and never beyond; Google/Samsung motion photos (the MP4
//! appended after the image); Fujifilm RAF, whose metadata lives in an
//! embedded JPEG.

use super::source::{Source, be_u16, be_u32, le_u32};
use super::{ByteRange, Extra, MediaMetadata, corrupt, tiff, xmp};
use crate::Result;

const XMP_SIG: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXT_SIG: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
/// Extended XMP larger than this is depth maps and such, not metadata.
const MAX_EXT_XMP: u64 = 16 << 20;
const MAX_SEGMENTS: usize = 1024;
/// ICC profiles larger than this are not profiles people use.
const MAX_ICC: usize = 8 << 20;

/// Reads the headers of the JPEG in `start..end` of `src`.
pub(crate) fn read_jpeg(
    src: &dyn Source,
    start: u64,
    end: u64,
    md: &mut MediaMetadata,
    ctx: &mut Extra,
) -> Result<()> {
    let end = end.min(src.len());
    let soi = src.read_at(start, 2)?;
    if soi[..] != [0xFF, 0xD8] {
        return Err(corrupt(format!(
            "no JPEG start-of-image marker at byte {start}"
        )));
    }
    let mut pos = start + 2;
    let mut icc: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut got_exif = false;
    let mut got_sof = false;
    // Extended XMP: (GUID, assembled bytes) of the first GUID seen.
    let mut ext: Option<([u8; 32], Vec<u8>)> = None;
    for _ in 0..MAX_SEGMENTS {
        if pos + 4 > end {
            if got_sof {
                break;
            }
            return Err(corrupt("JPEG ends before its frame header"));
        }
        let h = src.read_at(pos, 4)?;
        if h[0] != 0xFF {
            if got_sof {
                break;
            }
            return Err(corrupt(format!("JPEG marker expected at byte {pos}")));
        }
        let marker = h[1];
        if marker == 0xFF {
            pos += 1;
            continue;
        }
        if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            pos += 2;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            break;
        }
        let len = u64::from(be_u16(&h, 2).unwrap_or(0));
        if len < 2 {
            return Err(corrupt(format!(
                "JPEG segment at byte {pos} has length {len}"
            )));
        }
        let seg_end = pos + 2 + len;
        if seg_end > end {
            return Err(corrupt(format!(
                "JPEG segment at byte {pos} runs past the end of the file"
            )));
        }
        let at = pos + 4;
        let plen = (len - 2) as usize;
        match marker {
            0xE1 => {
                let sig = src.read_at(at, plen.min(XMP_EXT_SIG.len()))?;
                if sig.starts_with(b"Exif\0") && !got_exif && plen > 6 {
                    got_exif = true;
                    // A broken EXIF block loses its fields, not the picture.
                    let _ = tiff::parse_tiff(src, at + 6, md, ctx);
                } else if sig.starts_with(XMP_SIG) && ctx.xmp.is_none() {
                    let body = src.read_at(at + XMP_SIG.len() as u64, plen - XMP_SIG.len())?;
                    ctx.xmp = Some(String::from_utf8_lossy(&body).into_owned());
                } else if sig.starts_with(XMP_EXT_SIG) && plen > XMP_EXT_SIG.len() + 40 {
                    let body =
                        src.read_at(at + XMP_EXT_SIG.len() as u64, plen - XMP_EXT_SIG.len())?;
                    add_extended_xmp(&mut ext, &body, end - start);
                }
            }
            0xE2 => {
                let sig = src.read_at(at, plen.min(14))?;
                if sig.starts_with(b"ICC_PROFILE\0") && plen > 14 && ctx.icc.is_none() {
                    let total: usize = icc.iter().map(|c| c.1.len()).sum();
                    if total + plen <= MAX_ICC {
                        let body = src.read_at(at + 14, plen - 14)?;
                        icc.push((sig[12], body.into_owned()));
                    }
                }
            }
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && !got_sof => {
                let f = src.read_at(at, plen.min(6))?;
                if let (Some(&bits), Some(hgt), Some(wid)) =
                    (f.first(), be_u16(&f, 1), be_u16(&f, 3))
                {
                    got_sof = true;
                    md.width = Some(u32::from(wid)).filter(|v| *v > 0).or(md.width);
                    md.height = Some(u32::from(hgt)).filter(|v| *v > 0).or(md.height);
                    if md.bits_per_sample.is_none() {
                        md.bits_per_sample = Some(u32::from(bits));
                    }
                }
            }
            _ => {}
        }
        pos = seg_end;
    }
    if let Some((_, bytes)) = ext
        && ctx.xmp_extended.is_none()
    {
        ctx.xmp_extended = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    if !icc.is_empty() && ctx.icc.is_none() {
        icc.sort_by_key(|c| c.0);
        ctx.icc = Some(icc.into_iter().flat_map(|c| c.1).collect());
    }
    Ok(())
}

/// One chunk of Extended XMP: GUID (32 hex digits), full length, offset,
/// data. Chunks of other GUIDs and chunks outside the stated length are
/// dropped.
fn add_extended_xmp(ext: &mut Option<([u8; 32], Vec<u8>)>, body: &[u8], file_len: u64) {
    let (Some(guid), Some(total), Some(offset)) = (
        body.get(0..32).and_then(|g| <[u8; 32]>::try_from(g).ok()),
        be_u32(body, 32).map(u64::from),
        be_u32(body, 36).map(u64::from),
    ) else {
        return;
    };
    if total > MAX_EXT_XMP || total > file_len {
        return;
    }
    let entry = ext.get_or_insert_with(|| (guid, vec![0; total as usize]));
    if entry.0 != guid || entry.1.len() as u64 != total {
        return;
    }
    let data = &body[40..];
    let start = offset as usize;
    if let Some(dst) = start
        .checked_add(data.len())
        .and_then(|end| entry.1.get_mut(start..end))
    {
        dst.copy_from_slice(data);
    }
}

/// The dimensions of the JPEG at `range` if it is one a decoder can show
/// (baseline, extended or progressive; not the lossless JPEG of RAW data).
pub(crate) fn probe_preview(src: &dyn Source, range: ByteRange) -> Option<(u32, u32)> {
    let end = range.offset.checked_add(range.len)?;
    if end > src.len() || range.len < 4 {
        return None;
    }
    if src.read_at(range.offset, 2).ok()?[..] != [0xFF, 0xD8] {
        return None;
    }
    let mut pos = range.offset + 2;
    for _ in 0..64 {
        let h = src.read_at(pos, 4).ok()?;
        if h[0] != 0xFF {
            return None;
        }
        let marker = h[1];
        if marker == 0xFF {
            pos += 1;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return None;
        }
        let len = u64::from(be_u16(&h, 2)?);
        match marker {
            0xC0..=0xC2 => {
                let f = src.read_at(pos + 4, 5).ok()?;
                let (hgt, wid) = (be_u16(&f, 1)?, be_u16(&f, 3)?);
                return (hgt > 0 && wid > 0).then_some((u32::from(wid), u32::from(hgt)));
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            _ => {}
        }
        pos += 2 + len;
        if pos >= end {
            return None;
        }
    }
    None
}

/// Finds the MP4 of a Google (XMP Container directory or MicroVideoOffset)
/// or Samsung (SEF trailer) motion photo, checking it starts with `ftyp`.
pub(crate) fn find_motion_photo(src: &dyn Source, md: &mut MediaMetadata, ctx: &Extra) {
    let len = src.len();
    if let Some(text) = &ctx.xmp
        && (text.contains("MicroVideo") || text.contains("MotionPhoto"))
        && let Ok(packet) = xmp::parse_packet(text)
    {
        if let Some(off) = packet.micro_video_offset
            && off > 0
            && off < len
        {
            let r = ByteRange {
                offset: len - off,
                len: off,
            };
            if is_mp4(src, r) {
                md.motion_photo_video = Some(r);
                return;
            }
        }
        let items = &packet.container_items;
        if let Some(i) = items.iter().position(|it| it.semantic == "MotionPhoto") {
            let tail: u64 = items[i..].iter().map(|it| it.length).sum();
            if tail <= len
                && items[i].length > 0
                && let r = (ByteRange {
                    offset: len - tail,
                    len: items[i].length,
                })
                && is_mp4(src, r)
            {
                md.motion_photo_video = Some(r);
                return;
            }
        }
    }
    if let Some(r) = samsung_trailer_video(src)
        && is_mp4(src, r)
    {
        md.motion_photo_video = Some(r);
    }
}

fn is_mp4(src: &dyn Source, r: ByteRange) -> bool {
    r.len >= 8
        && r.offset.checked_add(r.len).is_some_and(|e| e <= src.len())
        && src
            .read_at(r.offset + 4, 4)
            .is_ok_and(|b| &b[..] == b"ftyp")
}

/// Samsung's SEF trailer: `... SEFH ver count entries [len] "SEFT"` at the
/// end; each entry points back to a block `u16 u16 name_len name data`.
fn samsung_trailer_video(src: &dyn Source) -> Option<ByteRange> {
    let len = src.len();
    if len < 16 {
        return None;
    }
    let tail = src.read_at(len - 8, 8).ok()?;
    if &tail[4..8] != b"SEFT" {
        return None;
    }
    let sefh_len = u64::from(le_u32(&tail, 0)?);
    let sefh_at = (len - 8).checked_sub(sefh_len)?;
    if !(12..=1 << 20).contains(&sefh_len) {
        return None;
    }
    let sefh = src.read_at(sefh_at, sefh_len as usize).ok()?;
    if &sefh[0..4] != b"SEFH" {
        return None;
    }
    let count = le_u32(&sefh, 8)?.min(256) as usize;
    for i in 0..count {
        let e = 12 + i * 12;
        let back = u64::from(le_u32(&sefh, e + 4)?);
        let size = u64::from(le_u32(&sefh, e + 8)?);
        let block = sefh_at.checked_sub(back)?;
        let head = src.read_at(block, 8).ok()?;
        let name_len = u64::from(le_u32(&head, 4)?);
        if name_len > 256 {
            continue;
        }
        let name = src.read_at(block + 8, name_len as usize).ok()?;
        if &name[..] == b"MotionPhoto_Data" {
            let data_at = block + 8 + name_len;
            let data_len = size.checked_sub(8 + name_len)?;
            return Some(ByteRange {
                offset: data_at,
                len: data_len,
            });
        }
    }
    None
}

/// Fujifilm RAF: a fixed header pointing at a JPEG (with the camera's EXIF)
/// and at a record directory holding the sensor size.
pub(crate) fn read_raf(src: &dyn Source, md: &mut MediaMetadata, ctx: &mut Extra) -> Result<()> {
    let h = src.read_at(0, 108.min(src.len() as usize))?;
    let (Some(jpeg_at), Some(jpeg_len)) = (be_u32(&h, 84), be_u32(&h, 88)) else {
        return Err(corrupt("RAF header is truncated"));
    };
    let range = ByteRange {
        offset: u64::from(jpeg_at),
        len: u64::from(jpeg_len),
    };
    if range.offset + range.len > src.len() {
        return Err(corrupt("RAF preview runs past the end of the file"));
    }
    read_jpeg(src, range.offset, range.offset + range.len, md, ctx)?;
    if probe_preview(src, range).is_some() {
        md.embedded_preview = Some(range);
    }
    if let Some(dir_at) = be_u32(&h, 92)
        && let Ok(d) = src.read_at(u64::from(dir_at), 4)
        && let Some(n) = be_u32(&d, 0)
    {
        let mut pos = u64::from(dir_at) + 4;
        let mut full = None;
        let mut cropped = None;
        for _ in 0..n.min(512) {
            let Ok(r) = src.read_at(pos, 4) else { break };
            let (Some(tag), Some(size)) = (be_u16(&r, 0), be_u16(&r, 2)) else {
                break;
            };
            if (tag == 0x100 || tag == 0x111)
                && size == 4
                && let Ok(v) = src.read_at(pos + 4, 4)
                && let (Some(hh), Some(ww)) = (be_u16(&v, 0), be_u16(&v, 2))
            {
                let dims = (u32::from(ww), u32::from(hh));
                if tag == 0x100 {
                    full = Some(dims);
                } else {
                    cropped = Some(dims);
                }
            }
            pos += 4 + u64::from(size);
        }
        if let Some((w, hh)) = cropped.or(full) {
            md.width = Some(w);
            md.height = Some(hh);
        }
    }
    Ok(())
}
