//! ISO base media files: HEIC/HEIF/AVIF (the `meta` box's items and
//! properties), MP4/MOV/M4V/3GP (the `moov` atom tree, QuickTime `udta` and
//! Apple `mdta` keys) and Canon CR3 (TIFF blocks and JPEG previews in `uuid`
//! boxes).
//!
//! Top-level boxes are walked by position so `mdat` is skipped, never read;
//! `moov` and `meta` are read whole (they are tables, bounded by the file).

use super::source::{SliceSource, Source, be_u16, be_u32, be_u64, be_uint};
use super::tiff::{self, IfdKind};
use super::{
    ByteRange, CaptureDate, Extra, MediaMetadata, corrupt, fill, jpeg, parse_iso_date,
    parse_iso6709, text_of,
};
use crate::Result;
use keepsake_core::time::Timestamp;

const MAX_TOP_BOXES: usize = 100_000;
const MAX_DEPTH: usize = 12;
/// Sample tables of a multi-hour video stay far below this.
const MAX_MOOV: u64 = 256 << 20;
const MAX_META: u64 = 32 << 20;
const MAX_ITEM: u64 = 16 << 20;
/// Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01.
const QT_EPOCH_OFFSET: i64 = 2_082_844_800;
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];
const CANON_PREVIEW_UUID: [u8; 16] = [
    0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
];

pub(crate) fn looks_like_bmff(head: &[u8]) -> bool {
    matches!(
        head.get(4..8),
        Some(b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot")
    )
}

/// A box inside a slice: its type, and where its body starts and ends.
#[derive(Debug, Clone, Copy)]
struct Bx {
    kind: [u8; 4],
    body: usize,
    end: usize,
}

/// The boxes directly inside `data`; stops at the first malformed header.
fn children(data: &[u8]) -> Vec<Bx> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos + 8 <= data.len() && out.len() < 10_000 {
        let Some(size32) = be_u32(data, pos) else {
            break;
        };
        let kind = [data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]];
        let (hdr, size) = match size32 {
            0 => (8, (data.len() - pos) as u64),
            1 => match be_u64(data, pos + 8) {
                Some(s) => (16, s),
                None => break,
            },
            s => (8, u64::from(s)),
        };
        if size < hdr as u64 || size > (data.len() - pos) as u64 {
            break;
        }
        let end = pos + size as usize;
        out.push(Bx {
            kind,
            body: pos + hdr,
            end,
        });
        pos = end;
    }
    out
}

fn find<'d>(data: &'d [u8], kind: &[u8; 4]) -> Option<&'d [u8]> {
    children(data)
        .into_iter()
        .find(|b| &b.kind == kind)
        .map(|b| &data[b.body..b.end])
}

/// A top-level box in the file.
#[derive(Debug, Clone, Copy)]
struct TopBox {
    kind: [u8; 4],
    body: u64,
    end: u64,
}

fn top_level(src: &dyn Source) -> Result<Vec<TopBox>> {
    let len = src.len();
    let mut out = Vec::new();
    let mut pos = 0u64;
    while pos + 8 <= len {
        if out.len() >= MAX_TOP_BOXES {
            return Err(corrupt("too many top-level boxes"));
        }
        let h = src.read_at(pos, 8)?;
        let size32 = be_u32(&h, 0).unwrap_or(0);
        let kind = [h[4], h[5], h[6], h[7]];
        let (hdr, size) = match size32 {
            0 => (8, len - pos),
            1 => {
                let l = src.read_at(pos + 8, 8)?;
                (16, be_u64(&l, 0).unwrap_or(0))
            }
            s => (8, u64::from(s)),
        };
        if size < hdr || pos.checked_add(size).is_none_or(|e| e > len) {
            return Err(corrupt(format!(
                "box '{}' at byte {pos} runs past the end of the file",
                String::from_utf8_lossy(&kind)
            )));
        }
        out.push(TopBox {
            kind,
            body: pos + hdr,
            end: pos + size,
        });
        pos += size;
    }
    if pos != len && out.is_empty() {
        return Err(corrupt("file is too short for a box"));
    }
    Ok(out)
}

fn format_from_ftyp(ftyp: &[u8]) -> &'static str {
    let major = ftyp.get(0..4).unwrap_or(b"    ");
    let compat: Vec<&[u8]> = ftyp.get(8..).unwrap_or(&[]).chunks_exact(4).collect();
    let any = |set: &[&[u8]]| set.contains(&major) || compat.iter().any(|c| set.contains(c));
    match major {
        b"crx " => return "cr3",
        b"qt  " => return "mov",
        b"M4V " | b"M4VH" | b"M4VP" => return "m4v",
        b"avif" | b"avis" => return "avif",
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => {
            return "heic";
        }
        _ => {}
    }
    if major.starts_with(b"3g") {
        return "3gp";
    }
    if any(&[b"avif", b"avis"]) {
        "avif"
    } else if any(&[b"heic", b"heix", b"mif1", b"msf1", b"hevc"]) {
        "heic"
    } else {
        "mp4"
    }
}

pub(crate) fn read_bmff(src: &dyn Source, md: &mut MediaMetadata, ctx: &mut Extra) -> Result<()> {
    let boxes = top_level(src)?;
    let format = match boxes.iter().find(|b| &b.kind == b"ftyp") {
        Some(b) => {
            let ftyp = src.read_at(b.body, (b.end - b.body).min(256) as usize)?;
            format_from_ftyp(&ftyp)
        }
        None => "mov",
    };
    md.format = Some(format);
    md.is_video = matches!(format, "mp4" | "mov" | "m4v" | "3gp");
    let mut cr3 = Cr3::default();
    let mut seen_meta = false;
    for b in &boxes {
        match &b.kind {
            b"meta" if !md.is_video && format != "cr3" && !seen_meta => {
                seen_meta = true;
                let data = read_box(src, b, MAX_META)?;
                read_heif_meta(src, &data, md, ctx)?;
            }
            b"moov" => {
                let data = read_box(src, b, MAX_MOOV)?;
                read_moov(&data, md, ctx, &mut cr3)?;
            }
            b"uuid" if format == "cr3" && b.end - b.body > 16 => {
                let data = read_box(src, b, MAX_META)?;
                if data[..16] == CANON_PREVIEW_UUID {
                    find_prvw(&data, b.body, &mut cr3);
                }
            }
            _ => {}
        }
    }
    if format == "cr3" {
        finish_cr3(src, md, &cr3);
    }
    Ok(())
}

fn read_box(src: &dyn Source, b: &TopBox, max: u64) -> Result<Vec<u8>> {
    let len = b.end - b.body;
    if len > max {
        return Err(corrupt(format!(
            "'{}' box of {len} bytes is too large",
            String::from_utf8_lossy(&b.kind)
        )));
    }
    Ok(src.read_at(b.body, len as usize)?.into_owned())
}

/// Where a HEIF item's bytes are.
#[derive(Debug, Default, Clone)]
struct Loc {
    method: u16,
    base: u64,
    extents: Vec<(u64, u64)>,
}

/// HEIF `meta`: primary item, Exif and XMP items, and the primary item's
/// properties (size, rotation, mirroring, colour, bit depth).
fn read_heif_meta(
    src: &dyn Source,
    meta: &[u8],
    md: &mut MediaMetadata,
    ctx: &mut Extra,
) -> Result<()> {
    let body = meta
        .get(4..)
        .ok_or_else(|| corrupt("meta box is truncated"))?;
    let mut primary = None;
    let mut exif_items = Vec::new();
    let mut xmp_items = Vec::new();
    let mut locs: Vec<(u32, Loc)> = Vec::new();
    let mut props: Vec<Bx> = Vec::new();
    let mut ipco: &[u8] = &[];
    let mut assoc: Vec<(u32, Vec<u16>)> = Vec::new();
    let mut idat: &[u8] = &[];
    for b in children(body) {
        let d = &body[b.body..b.end];
        match &b.kind {
            b"pitm" => {
                primary = if d.first() == Some(&0) {
                    be_u16(d, 4).map(u32::from)
                } else {
                    be_u32(d, 4)
                }
            }
            b"iinf" => read_iinf(d, &mut exif_items, &mut xmp_items),
            b"iloc" => locs = read_iloc(d),
            b"idat" => idat = d,
            b"iprp" => {
                for p in children(d) {
                    let pd = &d[p.body..p.end];
                    match &p.kind {
                        b"ipco" => {
                            ipco = pd;
                            props = children(pd);
                        }
                        b"ipma" => assoc.extend(read_ipma(pd)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let item_bytes = |id: u32| -> Option<Vec<u8>> {
        let loc = &locs.iter().find(|(i, _)| *i == id)?.1;
        let mut out = Vec::new();
        for (off, len) in loc.extents.iter().take(64) {
            let start = loc.base.checked_add(*off)?;
            if (out.len() as u64).checked_add(*len)? > MAX_ITEM {
                return None;
            }
            match loc.method {
                0 => out.extend_from_slice(&src.read_at(start, *len as usize).ok()?),
                1 => {
                    let s = usize::try_from(start).ok()?;
                    out.extend_from_slice(idat.get(s..s.checked_add(*len as usize)?)?);
                }
                _ => return None,
            }
        }
        Some(out)
    };
    if let Some(data) = exif_items.iter().find_map(|id| item_bytes(*id)) {
        let skip = u64::from(be_u32(&data, 0).unwrap_or(0));
        let slice = SliceSource(&data);
        let mut base = 4 + skip;
        if data.get(base as usize..base as usize + 6) == Some(b"Exif\0\0") {
            base += 6;
        }
        // A broken Exif item loses its fields, not the picture.
        let _ = tiff::parse_tiff(&slice, base, md, ctx);
    }
    if ctx.xmp.is_none()
        && let Some(data) = xmp_items.iter().find_map(|id| item_bytes(*id))
    {
        ctx.xmp = Some(String::from_utf8_lossy(&data).into_owned());
    }
    let Some(primary) = primary else {
        return Ok(());
    };
    let mut transforms: Vec<[i32; 4]> = Vec::new();
    if let Some((_, idx)) = assoc.iter().find(|(id, _)| *id == primary) {
        for i in idx {
            let Some(p) = (*i as usize).checked_sub(1).and_then(|i| props.get(i)) else {
                continue;
            };
            let d = &ipco[p.body..p.end];
            match &p.kind {
                b"ispe" => {
                    md.width = be_u32(d, 4).filter(|v| *v > 0);
                    md.height = be_u32(d, 8).filter(|v| *v > 0);
                }
                b"irot" => {
                    if let Some(a) = d.first() {
                        for _ in 0..(a & 3) {
                            transforms.push(ORIENT[7]);
                        }
                    }
                }
                b"imir" => {
                    if let Some(axis) = d.first() {
                        transforms.push(if axis & 1 == 0 { ORIENT[1] } else { ORIENT[3] });
                    }
                }
                b"colr" => match d.get(0..4) {
                    Some(b"prof" | b"rICC") if ctx.icc.is_none() => {
                        ctx.icc = Some(d[4..].to_vec());
                    }
                    Some(b"nclx") if md.colorspace.is_none() => {
                        md.colorspace = match be_u16(d, 4) {
                            Some(1) => Some("sRGB".into()),
                            Some(9) => Some("BT.2020".into()),
                            Some(12) => Some("Display P3".into()),
                            _ => None,
                        };
                    }
                    _ => {}
                },
                b"pixi" => fill(&mut md.bits_per_sample, || d.get(5).map(|b| u32::from(*b))),
                _ => {}
            }
        }
    }
    if md.orientation.is_none() && !transforms.is_empty() {
        let mut m = ORIENT[0];
        for t in transforms {
            m = mul(t, m);
        }
        md.orientation = ORIENT.iter().position(|o| *o == m).map(|i| i as u8 + 1);
    }
    Ok(())
}

/// EXIF orientations 1..=8 as row-major 2×2 matrices [a, b; c, d] taking a
/// stored pixel offset to its on-screen offset (y pointing down).
const ORIENT: [[i32; 4]; 8] = [
    [1, 0, 0, 1],
    [-1, 0, 0, 1],
    [-1, 0, 0, -1],
    [1, 0, 0, -1],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, -1, -1, 0],
    [0, 1, -1, 0],
];

fn mul(a: [i32; 4], b: [i32; 4]) -> [i32; 4] {
    // Row-major [a b; c d] × [e f; g h].
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
    ]
}

fn read_iinf(d: &[u8], exif: &mut Vec<u32>, xmp: &mut Vec<u32>) {
    let Some(&version) = d.first() else { return };
    let start = if version == 0 { 6 } else { 8 };
    let Some(rest) = d.get(start..) else { return };
    for b in children(rest) {
        if &b.kind != b"infe" {
            continue;
        }
        let e = &rest[b.body..b.end];
        let Some(&v) = e.first() else { continue };
        if v < 2 {
            continue;
        }
        let (id, at) = if v == 2 {
            (be_u16(e, 4).map(u32::from), 6)
        } else {
            (be_u32(e, 4), 8)
        };
        let Some(id) = id else { continue };
        let Some(kind) = e.get(at + 2..at + 6) else {
            continue;
        };
        match kind {
            b"Exif" => exif.push(id),
            b"mime" => {
                let strings = e.get(at + 6..).unwrap_or(&[]);
                let mut parts = strings.split(|b| *b == 0);
                let _name = parts.next();
                if parts
                    .next()
                    .is_some_and(|ct| ct.eq_ignore_ascii_case(b"application/rdf+xml"))
                {
                    xmp.push(id);
                }
            }
            _ => {}
        }
    }
}

fn read_iloc(d: &[u8]) -> Vec<(u32, Loc)> {
    let mut out = Vec::new();
    let Some(&version) = d.first() else {
        return out;
    };
    let (Some(&a), Some(&b)) = (d.get(4), d.get(5)) else {
        return out;
    };
    let (off_size, len_size, base_size) = ((a >> 4) as usize, (a & 15) as usize, (b >> 4) as usize);
    let index_size = if version >= 1 { (b & 15) as usize } else { 0 };
    let mut p = 6;
    let count = if version < 2 {
        be_u16(d, p).map(u32::from)
    } else {
        be_u32(d, p)
    };
    let Some(count) = count else { return out };
    p += if version < 2 { 2 } else { 4 };
    for _ in 0..count.min(10_000) {
        let id = if version < 2 {
            be_u16(d, p).map(u32::from)
        } else {
            be_u32(d, p)
        };
        let Some(id) = id else { break };
        p += if version < 2 { 2 } else { 4 };
        let mut loc = Loc::default();
        if version >= 1 {
            let Some(m) = be_u16(d, p) else { break };
            loc.method = m & 15;
            p += 2;
        }
        p += 2; // data_reference_index
        let Some(base) = be_uint(d, p, base_size) else {
            break;
        };
        loc.base = base;
        p += base_size;
        let Some(n) = be_u16(d, p) else { break };
        p += 2;
        for _ in 0..n {
            p += index_size;
            let (Some(o), Some(l)) = (be_uint(d, p, off_size), be_uint(d, p + off_size, len_size))
            else {
                return out;
            };
            p += off_size + len_size;
            loc.extents.push((o, l));
        }
        out.push((id, loc));
    }
    out
}

fn read_ipma(d: &[u8]) -> Vec<(u32, Vec<u16>)> {
    let mut out = Vec::new();
    let (Some(&version), Some(&flags)) = (d.first(), d.get(3)) else {
        return out;
    };
    let Some(count) = be_u32(d, 4) else {
        return out;
    };
    let mut p = 8;
    for _ in 0..count.min(100_000) {
        let id = if version < 1 {
            be_u16(d, p).map(u32::from)
        } else {
            be_u32(d, p)
        };
        let Some(id) = id else { break };
        p += if version < 1 { 2 } else { 4 };
        let Some(&n) = d.get(p) else { break };
        p += 1;
        let mut idx = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            if flags & 1 == 1 {
                let Some(v) = be_u16(d, p) else { return out };
                idx.push(v & 0x7fff);
                p += 2;
            } else {
                let Some(&v) = d.get(p) else { return out };
                idx.push(u16::from(v & 0x7f));
                p += 1;
            }
        }
        out.push((id, idx));
    }
    out
}

/// What a video's tracks and tags say, gathered before deciding.
#[derive(Default)]
struct Movie {
    apple_date: Option<CaptureDate>,
    udta_date: Option<CaptureDate>,
    apple_gps: Option<super::Gps>,
    udta_gps: Option<super::Gps>,
}

#[derive(Default)]
struct Cr3 {
    prvw: Option<ByteRange>,
    /// (JPEG range if the track's first sample is one, CRAW width, height).
    tracks: Vec<(Option<ByteRange>, u32, u32)>,
}

fn read_moov(moov: &[u8], md: &mut MediaMetadata, ctx: &mut Extra, cr3: &mut Cr3) -> Result<()> {
    let mut mv = Movie::default();
    let mut video_done = false;
    for b in children(moov) {
        let d = &moov[b.body..b.end];
        match &b.kind {
            b"mvhd" => read_mvhd(d, md),
            b"trak" => {
                let t = read_trak(d);
                if md.format == Some("cr3") {
                    cr3.tracks.push((t.first_sample, t.stsd_w, t.stsd_h));
                } else if t.handler == *b"vide" && !video_done && md.is_video {
                    video_done = true;
                    let (w, h) = if t.width > 0 && t.height > 0 {
                        (t.width, t.height)
                    } else {
                        (t.stsd_w, t.stsd_h)
                    };
                    md.width = Some(w).filter(|v| *v > 0);
                    md.height = Some(h).filter(|v| *v > 0);
                    md.orientation = Some(t.orientation);
                    if t.timescale > 0 && t.duration > 0 && t.samples > 0 {
                        let secs = t.duration as f64 / f64::from(t.timescale);
                        md.fps = Some((f64::from(t.samples) / secs * 1000.0).round() / 1000.0);
                    }
                    if t.depth > 0 && md.bits_per_sample.is_none() {
                        md.bits_per_sample = Some(u32::from(t.depth) / 3);
                    }
                }
            }
            b"udta" => read_udta(d, md, ctx, &mut mv),
            b"meta" => read_mdta(d, md, &mut mv),
            b"uuid" if d.len() > 16 && d[..16] == CANON_UUID => {
                read_canon_uuid(&d[16..], md, ctx);
            }
            _ => {}
        }
    }
    if let Some(d) = mv.apple_date.or(mv.udta_date) {
        md.date_time_original = Some(d);
    }
    if let Some(g) = mv.apple_gps.or(mv.udta_gps) {
        md.gps = Some(g);
    }
    Ok(())
}

fn read_mvhd(d: &[u8], md: &mut MediaMetadata) {
    let (created, modified, timescale, duration) = if d.first() == Some(&1) {
        (be_u64(d, 4), be_u64(d, 12), be_u32(d, 20), be_u64(d, 24))
    } else {
        (
            be_u32(d, 4).map(u64::from),
            be_u32(d, 8).map(u64::from),
            be_u32(d, 12),
            be_u32(d, 16).map(u64::from),
        )
    };
    if let (Some(ts), Some(dur)) = (timescale, duration)
        && ts > 0
        && dur != u64::MAX
        && dur != u64::from(u32::MAX)
    {
        md.duration_ms = Some((u128::from(dur) * 1000 / u128::from(ts)) as u64);
    }
    let utc = |secs: Option<u64>| -> Option<CaptureDate> {
        let secs = i64::try_from(secs?).ok()? - QT_EPOCH_OFFSET;
        // Zero (1904) or pre-1971 values are unset clocks, not dates.
        if !(31_536_000..=4_102_444_800).contains(&secs) {
            return None;
        }
        Some(CaptureDate {
            local: Timestamp(secs * 1000).civil(),
            offset_minutes: Some(0),
        })
    };
    if let Some(c) = utc(created) {
        md.create_date = Some(c);
        md.create_date_is_utc = true;
    }
    md.modify_date = utc(modified);
}

#[derive(Default)]
struct Track {
    handler: [u8; 4],
    width: u32,
    height: u32,
    orientation: u8,
    timescale: u32,
    duration: u64,
    samples: u32,
    stsd_w: u32,
    stsd_h: u32,
    depth: u16,
    first_sample: Option<ByteRange>,
}

fn read_trak(d: &[u8]) -> Track {
    let mut t = Track {
        orientation: 1,
        ..Track::default()
    };
    for b in children(d) {
        let x = &d[b.body..b.end];
        match &b.kind {
            b"tkhd" => {
                let m = if x.first() == Some(&1) { 52 } else { 40 };
                let fixed = |at: usize| be_u32(x, at).map(|v| v as i32);
                if let (Some(a), Some(bb)) = (fixed(m), fixed(m + 4)) {
                    // 16.16 fixed point: only the signs of the rotation part matter.
                    t.orientation = match (a.signum(), bb.signum()) {
                        (0, 1) => 6,
                        (-1, 0) => 3,
                        (0, -1) => 8,
                        _ => 1,
                    };
                }
                t.width = be_u32(x, m + 36).map(|v| v >> 16).unwrap_or(0);
                t.height = be_u32(x, m + 40).map(|v| v >> 16).unwrap_or(0);
            }
            b"mdia" => read_mdia(x, &mut t, 0),
            _ => {}
        }
    }
    t
}

fn read_mdia(d: &[u8], t: &mut Track, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut chunk = None;
    let mut size = None;
    for b in children(d) {
        let x = &d[b.body..b.end];
        match &b.kind {
            b"mdhd" => {
                if x.first() == Some(&1) {
                    t.timescale = be_u32(x, 20).unwrap_or(0);
                    t.duration = be_u64(x, 24).unwrap_or(0);
                } else {
                    t.timescale = be_u32(x, 12).unwrap_or(0);
                    t.duration = be_u32(x, 16).map(u64::from).unwrap_or(0);
                }
            }
            // minf has its own (data) handler in QuickTime files.
            b"hdlr" if depth == 0 => {
                if let Some(h) = x.get(8..12) {
                    t.handler.copy_from_slice(h);
                }
            }
            b"minf" | b"stbl" => read_mdia(x, t, depth + 1),
            b"stsd" => {
                // First sample entry: a visual entry has width/height at 32/34.
                if let Some(e) = children(x.get(8..).unwrap_or(&[])).first() {
                    let body = &x[8 + e.body..8 + e.end];
                    t.stsd_w = be_u16(body, 24).map(u32::from).unwrap_or(0);
                    t.stsd_h = be_u16(body, 26).map(u32::from).unwrap_or(0);
                    t.depth = be_u16(body, 74).unwrap_or(0);
                }
            }
            b"stsz" => {
                t.samples = be_u32(x, 8).unwrap_or(0);
                size = match be_u32(x, 4) {
                    Some(0) => be_u32(x, 12),
                    s => s,
                };
            }
            b"stts" if t.samples == 0 => {
                let n = be_u32(x, 4).unwrap_or(0).min(1 << 20) as usize;
                let total: u64 = (0..n)
                    .filter_map(|i| be_u32(x, 8 + i * 8).map(u64::from))
                    .sum();
                t.samples = total.min(u64::from(u32::MAX)) as u32;
            }
            b"stco" => chunk = be_u32(x, 8).map(u64::from),
            b"co64" => chunk = be_u64(x, 8),
            _ => {}
        }
    }
    if let (Some(offset), Some(len)) = (chunk, size) {
        t.first_sample = Some(ByteRange {
            offset,
            len: u64::from(len),
        });
    }
}

/// The text of a QuickTime user-data atom: either `u16 len, u16 lang, text`
/// or an iTunes-style `data` box.
fn udta_text(d: &[u8]) -> Option<String> {
    if d.get(4..8) == Some(b"data") {
        return text_of(d.get(16..)?);
    }
    let n = usize::from(be_u16(d, 0)?);
    text_of(d.get(4..4 + n.min(d.len().saturating_sub(4)))?)
}

fn read_udta(d: &[u8], md: &mut MediaMetadata, ctx: &mut Extra, mv: &mut Movie) {
    for b in children(d) {
        let x = &d[b.body..b.end];
        match &b.kind {
            b"\xa9xyz" => mv.udta_gps = udta_text(x).and_then(|s| parse_iso6709(&s)),
            b"loci" => mv.udta_gps = mv.udta_gps.or(parse_loci(x)),
            b"\xa9mak" if md.make.is_none() => md.make = udta_text(x),
            b"\xa9mod" if md.model.is_none() => md.model = udta_text(x),
            b"\xa9swr" if md.software.is_none() => md.software = udta_text(x),
            b"\xa9day" => mv.udta_date = udta_text(x).and_then(|s| parse_iso_date(&s)),
            b"XMP_" if ctx.xmp.is_none() => ctx.xmp = Some(String::from_utf8_lossy(x).into_owned()),
            b"meta" => {
                // Apple's udta/meta is a FullBox holding hdlr + ilst; ffmpeg
                // also writes `mdta` keys here.
                let inner = if x.get(4..8) == Some(b"hdlr") {
                    x
                } else {
                    x.get(4..).unwrap_or(&[])
                };
                if find(inner, b"keys").is_some() {
                    read_mdta(x, md, mv);
                } else if let Some(ilst) = find(inner, b"ilst") {
                    for item in children(ilst) {
                        let v = &ilst[item.body..item.end];
                        match &item.kind {
                            b"\xa9xyz" => {
                                mv.udta_gps =
                                    mv.udta_gps.or(udta_text(v).and_then(|s| parse_iso6709(&s)))
                            }
                            b"\xa9day" => {
                                mv.udta_date = mv
                                    .udta_date
                                    .or(udta_text(v).and_then(|s| parse_iso_date(&s)))
                            }
                            b"\xa9mak" if md.make.is_none() => md.make = udta_text(v),
                            b"\xa9mod" if md.model.is_none() => md.model = udta_text(v),
                            b"\xa9too" | b"\xa9swr" if md.software.is_none() => {
                                md.software = udta_text(v)
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// 3GPP `loci` (what ffmpeg writes for MP4): FullBox, language, name,
/// role, then longitude, latitude, altitude as 16.16 fixed point.
fn parse_loci(d: &[u8]) -> Option<super::Gps> {
    let name_len = d.get(6..)?.iter().position(|b| *b == 0)?;
    let at = 6 + name_len + 2;
    let fixed = |i: usize| be_u32(d, at + i * 4).map(|v| f64::from(v as i32) / 65536.0);
    super::gps_checked(fixed(1)?, fixed(0)?, fixed(2))
}

/// `moov/meta` with the `mdta` handler: `keys` names, `ilst` values by index.
fn read_mdta(d: &[u8], md: &mut MediaMetadata, mv: &mut Movie) {
    // QuickTime's meta is a plain box, MP4's a FullBox: find out which.
    let inner = if d.get(4..8) == Some(b"hdlr") || d.get(4..8) == Some(b"keys") {
        d
    } else {
        d.get(4..).unwrap_or(&[])
    };
    let Some(keys) = find(inner, b"keys") else {
        return;
    };
    let mut names: Vec<&[u8]> = Vec::new();
    let n = be_u32(keys, 4).unwrap_or(0).min(4096);
    let mut p = 8;
    for _ in 0..n {
        let Some(size) = be_u32(keys, p).map(|s| s as usize) else {
            break;
        };
        if size < 8 || p + size > keys.len() {
            break;
        }
        names.push(&keys[p + 8..p + size]);
        p += size;
    }
    let Some(ilst) = find(inner, b"ilst") else {
        return;
    };
    for item in children(ilst) {
        let idx = u32::from_be_bytes(item.kind) as usize;
        let Some(name) = idx.checked_sub(1).and_then(|i| names.get(i)) else {
            continue;
        };
        let Some(data) = find(&ilst[item.body..item.end], b"data") else {
            continue;
        };
        let Some(value) = data.get(8..).and_then(text_of) else {
            continue;
        };
        // ffmpeg writes the same keys without Apple's prefix.
        let key = name.strip_prefix(b"com.apple.quicktime.").unwrap_or(name);
        match key {
            b"make" => md.make = Some(value),
            b"model" => md.model = Some(value),
            b"software" => md.software = Some(value),
            b"creationdate" => mv.apple_date = parse_iso_date(&value),
            b"location.ISO6709" => mv.apple_gps = parse_iso6709(&value),
            b"content.identifier" => md.live_photo_cid = Some(value),
            b"description" if md.description.is_none() => {
                md.description = super::clean_description(&value)
            }
            _ => {}
        }
    }
}

/// Canon's `uuid` in `moov`: CMT1 (IFD0), CMT2 (Exif IFD), CMT4 (GPS IFD),
/// each a complete little TIFF; THMB is a small JPEG.
fn read_canon_uuid(d: &[u8], md: &mut MediaMetadata, ctx: &mut Extra) {
    for b in children(d) {
        let x = &d[b.body..b.end];
        let kind = match &b.kind {
            b"CMT1" => IfdKind::Main,
            b"CMT2" => IfdKind::Exif,
            b"CMT4" => IfdKind::Gps,
            _ => continue,
        };
        // Each block stands alone: one broken block loses only its fields.
        let _ = tiff::parse_tiff_as(&SliceSource(x), 0, kind, md, ctx);
    }
}

/// Canon's preview `uuid` box holds a PRVW box with a ~1620 px JPEG.
fn find_prvw(data: &[u8], body_at: u64, cr3: &mut Cr3) {
    for skip in [16usize, 24] {
        let Some(rest) = data.get(skip..) else {
            continue;
        };
        for b in children(rest) {
            if &b.kind != b"PRVW" {
                continue;
            }
            let x = &rest[b.body..b.end];
            if let Some(i) = x.windows(3).take(64).position(|w| w == [0xFF, 0xD8, 0xFF]) {
                let declared = i.checked_sub(4).and_then(|p| be_u32(x, p)).map(u64::from);
                let avail = (x.len() - i) as u64;
                let len = declared.filter(|l| *l <= avail).unwrap_or(avail);
                cr3.prvw = Some(ByteRange {
                    offset: body_at + (skip + b.body + i) as u64,
                    len,
                });
                return;
            }
        }
    }
}

fn finish_cr3(src: &dyn Source, md: &mut MediaMetadata, cr3: &Cr3) {
    let mut best: Option<(ByteRange, u64)> = None;
    let mut candidates: Vec<ByteRange> = cr3.prvw.into_iter().collect();
    candidates.extend(cr3.tracks.iter().filter_map(|t| t.0));
    for c in candidates {
        if let Some((w, h)) = jpeg::probe_preview(src, c) {
            let area = u64::from(w) * u64::from(h);
            if best.is_none_or(|b| area > b.1) {
                best = Some((c, area));
            }
        }
    }
    md.embedded_preview = best.map(|b| b.0);
    if let Some((_, w, h)) = cr3
        .tracks
        .iter()
        .filter(|t| t.1 > 0 && t.2 > 0)
        .max_by_key(|t| u64::from(t.1) * u64::from(t.2))
    {
        md.width = Some(*w);
        md.height = Some(*h);
    }
}
