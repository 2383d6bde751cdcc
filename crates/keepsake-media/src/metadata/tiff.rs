//! TIFF structures: the EXIF block inside JPEG/HEIC/PNG/WebP, and the
//! TIFF-based RAW containers (TIFF, DNG, CR2, NEF, ARW, ORF, RW2) whose
//! embedded JPEG previews are what the thumbnailer uses instead of demosaicing.
//!
//! Entries are read lazily by position; counts, offsets and recursion are all
//! bounded, and an IFD visited twice (a loop) is not followed again.

use super::source::{Source, be_u16, be_u32, le_u16, le_u32};
use super::{
    ByteRange, CaptureDate, Extra, MediaMetadata, clean_description, corrupt, fill,
    format_exposure, gps_checked, jpeg, parse_exif_date, parse_offset, text_of,
};
use crate::Result;
use keepsake_core::time::Timestamp;
use std::borrow::Cow;

const MAX_ENTRIES: u16 = 1024;
/// No metadata value we use is larger; bigger blobs are pixel data.
const MAX_VALUE: u64 = 4 << 20;
const MAX_IFDS: usize = 64;

pub(crate) fn is_tiff_magic(h: &[u8]) -> bool {
    match h.get(0..2) {
        Some(b"II") => matches!(le_u16(h, 2), Some(42 | 0x4f52 | 0x5352 | 0x55)),
        Some(b"MM") => matches!(be_u16(h, 2), Some(42 | 0x4f52 | 0x5352)),
        _ => false,
    }
}

/// Which kind of directory an IFD is, which decides how its tags are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfdKind {
    Main,
    Exif,
    Gps,
    /// SubIFDs and IFD1+: only image layout matters.
    Image,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub tag: u16,
    pub typ: u16,
    pub count: u32,
    /// Absolute position of the value in the source.
    pub pos: u64,
}

/// A TIFF structure whose offsets count from `base`.
pub(crate) struct Tiff<'a> {
    pub src: &'a dyn Source,
    pub base: u64,
    pub be: bool,
}

/// The layout of one image directory, for choosing previews and dimensions.
#[derive(Debug, Default, Clone)]
pub(crate) struct ImageIfd {
    pub new_subfile_type: Option<u32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub compression: Option<u32>,
    pub photometric: Option<u32>,
    pub jpeg: Option<ByteRange>,
    pub strip: Option<ByteRange>,
    pub bits: Option<u32>,
}

/// What a TIFF structure holds besides plain metadata fields.
#[derive(Debug, Default)]
pub(crate) struct TiffInfo {
    pub magic: u16,
    pub images: Vec<ImageIfd>,
    pub dng: bool,
    pub cfa: bool,
    pub rw2_jpeg: Option<ByteRange>,
    pub rw2_sensor: (Option<u32>, Option<u32>),
}

/// Date parts that arrive in separate tags and are combined at the end.
#[derive(Default)]
struct Dates {
    original: Option<String>,
    original_offset: Option<String>,
    original_subsec: Option<String>,
    digitized: Option<String>,
    digitized_offset: Option<String>,
    digitized_subsec: Option<String>,
    modify: Option<String>,
    modify_offset: Option<String>,
    modify_subsec: Option<String>,
    gps_date: Option<String>,
    gps_time: Option<[f64; 3]>,
    lat: Option<f64>,
    lat_ref: Option<String>,
    lon: Option<f64>,
    lon_ref: Option<String>,
    alt: Option<f64>,
    alt_ref: Option<u32>,
    iso: Option<u32>,
    iso_speed: Option<u32>,
}

fn type_size(typ: u16) -> Option<u64> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

impl<'a> Tiff<'a> {
    /// Reads the 8-byte header at `base`: byte order, magic, first IFD offset.
    pub(crate) fn open(src: &'a dyn Source, base: u64) -> Result<(Tiff<'a>, u16, u32)> {
        let h = src.read_at(base, 8)?;
        let be = match &h[0..2] {
            b"II" => false,
            b"MM" => true,
            _ => return Err(corrupt("TIFF header has no II/MM byte order mark")),
        };
        let t = Tiff { src, base, be };
        let magic = t.u16(&h, 2).unwrap_or(0);
        let ifd0 = t.u32(&h, 4).unwrap_or(0);
        Ok((t, magic, ifd0))
    }

    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        if self.be {
            be_u16(b, at)
        } else {
            le_u16(b, at)
        }
    }

    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        if self.be {
            be_u32(b, at)
        } else {
            le_u32(b, at)
        }
    }

    /// Reads the entries of the IFD at `offset` (relative to base) and the
    /// offset of the next IFD.
    pub(crate) fn read_ifd(&self, offset: u32) -> Result<(Vec<Entry>, u32)> {
        let at = self.base + u64::from(offset);
        let head = self.src.read_at(at, 2)?;
        let n = self.u16(&head, 0).unwrap_or(0);
        if n > MAX_ENTRIES {
            return Err(corrupt(format!(
                "TIFF directory at {at} claims {n} entries"
            )));
        }
        let body_len = usize::from(n) * 12;
        let body = self.src.read_at(at + 2, body_len)?;
        let next = self
            .src
            .read_at(at + 2 + body_len as u64, 4)
            .ok()
            .and_then(|b| self.u32(&b, 0))
            .unwrap_or(0);
        let mut entries = Vec::with_capacity(usize::from(n));
        for i in 0..usize::from(n) {
            let e = &body[i * 12..i * 12 + 12];
            let (Some(tag), Some(typ), Some(count)) =
                (self.u16(e, 0), self.u16(e, 2), self.u32(e, 4))
            else {
                continue;
            };
            let Some(size) = type_size(typ) else { continue };
            let total = size * u64::from(count);
            let pos = if total <= 4 {
                at + 2 + (i as u64) * 12 + 8
            } else {
                match self.u32(e, 8) {
                    Some(off) => self.base + u64::from(off),
                    None => continue,
                }
            };
            entries.push(Entry {
                tag,
                typ,
                count,
                pos,
            });
        }
        Ok((entries, next))
    }

    fn byte_len(e: &Entry) -> u64 {
        type_size(e.typ).unwrap_or(1) * u64::from(e.count)
    }

    /// The raw value bytes, when small enough to be metadata and inside the file.
    pub(crate) fn bytes(&self, e: &Entry) -> Option<Cow<'a, [u8]>> {
        let len = Self::byte_len(e);
        if len > MAX_VALUE || len > self.src.len() {
            return None;
        }
        self.src.read_at(e.pos, len as usize).ok()
    }

    /// The `i`-th integer of a BYTE/SHORT/LONG entry.
    pub(crate) fn uint_at(&self, e: &Entry, i: u32) -> Option<u32> {
        if i >= e.count {
            return None;
        }
        let size = type_size(e.typ)?;
        let b = self
            .src
            .read_at(e.pos + u64::from(i) * size, size as usize)
            .ok()?;
        match e.typ {
            1 | 7 => b.first().map(|v| u32::from(*v)),
            3 => self.u16(&b, 0).map(u32::from),
            4 | 13 => self.u32(&b, 0),
            8 => self.u16(&b, 0).map(|v| v as i16 as i32 as u32),
            9 => self.u32(&b, 0),
            _ => None,
        }
    }

    pub(crate) fn uint(&self, e: &Entry) -> Option<u32> {
        self.uint_at(e, 0)
    }

    /// The `i`-th value of a RATIONAL/SRATIONAL (or integer) entry.
    pub(crate) fn real_at(&self, e: &Entry, i: u32) -> Option<f64> {
        match e.typ {
            5 | 10 => {
                if i >= e.count {
                    return None;
                }
                let b = self.src.read_at(e.pos + u64::from(i) * 8, 8).ok()?;
                let (n, d) = (self.u32(&b, 0)?, self.u32(&b, 4)?);
                let (n, d) = if e.typ == 10 {
                    (f64::from(n as i32), f64::from(d as i32))
                } else {
                    (f64::from(n), f64::from(d))
                };
                if d == 0.0 { None } else { Some(n / d) }
            }
            11 => {
                let b = self.src.read_at(e.pos + u64::from(i) * 4, 4).ok()?;
                Some(f64::from(f32::from_bits(self.u32(&b, 0)?)))
            }
            12 => {
                let b = self.src.read_at(e.pos + u64::from(i) * 8, 8).ok()?;
                let raw: [u8; 8] = b.get(0..8)?.try_into().ok()?;
                Some(if self.be {
                    f64::from_be_bytes(raw)
                } else {
                    f64::from_le_bytes(raw)
                })
            }
            _ => self.uint_at(e, i).map(f64::from),
        }
    }

    pub(crate) fn real(&self, e: &Entry) -> Option<f64> {
        self.real_at(e, 0)
    }

    pub(crate) fn ascii(&self, e: &Entry) -> Option<String> {
        text_of(&self.bytes(e)?)
    }
}

/// Parses a whole TIFF structure at `base` (EXIF block or TIFF file): IFD0
/// and its chain, Exif/GPS IFDs, SubIFDs. Fields already set are kept.
pub(crate) fn parse_tiff(
    src: &dyn Source,
    base: u64,
    md: &mut MediaMetadata,
    ctx: &mut Extra,
) -> Result<TiffInfo> {
    let (t, magic, ifd0) = Tiff::open(src, base)?;
    let mut info = TiffInfo {
        magic,
        ..TiffInfo::default()
    };
    let mut dates = Dates::default();
    let mut visited: Vec<u32> = Vec::new();
    let mut queue: Vec<(u32, IfdKind)> = vec![(ifd0, IfdKind::Main)];
    let mut first = true;
    while let Some((off, kind)) = queue.pop() {
        if off == 0 || visited.contains(&off) || visited.len() >= MAX_IFDS {
            continue;
        }
        visited.push(off);
        let (entries, next) = match t.read_ifd(off) {
            Ok(v) => v,
            // A broken IFD0 is a broken file; a broken secondary IFD only
            // loses what it held.
            Err(e) if first => return Err(e),
            Err(_) => continue,
        };
        first = false;
        if next != 0 && matches!(kind, IfdKind::Main | IfdKind::Image) && visited.len() < 8 {
            queue.push((next, IfdKind::Image));
        }
        let main = visited.len() == 1;
        read_entries(
            &t, &entries, kind, main, md, ctx, &mut dates, &mut info, &mut queue,
        );
    }
    finish_dates(md, dates);
    Ok(info)
}

/// Parses one IFD as `kind` (CR3 keeps IFD0, Exif and GPS as separate TIFF
/// blocks, each with its own header).
pub(crate) fn parse_tiff_as(
    src: &dyn Source,
    base: u64,
    kind: IfdKind,
    md: &mut MediaMetadata,
    ctx: &mut Extra,
) -> Result<TiffInfo> {
    let (t, magic, ifd0) = Tiff::open(src, base)?;
    let mut info = TiffInfo {
        magic,
        ..TiffInfo::default()
    };
    let mut dates = Dates::default();
    let (entries, _) = t.read_ifd(ifd0)?;
    let mut queue = Vec::new();
    read_entries(
        &t,
        &entries,
        kind,
        kind == IfdKind::Main,
        md,
        ctx,
        &mut dates,
        &mut info,
        &mut queue,
    );
    finish_dates(md, dates);
    Ok(info)
}

// One walk's state passed apart so each IFD kind borrows only what it fills.
#[allow(clippy::too_many_arguments)]
fn read_entries(
    t: &Tiff<'_>,
    entries: &[Entry],
    kind: IfdKind,
    main: bool,
    md: &mut MediaMetadata,
    ctx: &mut Extra,
    d: &mut Dates,
    info: &mut TiffInfo,
    queue: &mut Vec<(u32, IfdKind)>,
) {
    let mut img = ImageIfd::default();
    let mut jpeg_off = None;
    let mut jpeg_len = None;
    let mut strip_off = None;
    let mut strip_len = None;
    for e in entries {
        match (kind, e.tag) {
            (IfdKind::Gps, tag) => read_gps(t, e, tag, d),
            (IfdKind::Main | IfdKind::Image, 0x00fe) => img.new_subfile_type = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0100) => img.width = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0101) => img.height = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0102) => img.bits = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0103) => img.compression = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0106) => img.photometric = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0111) if e.count == 1 => strip_off = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0117) if e.count == 1 => strip_len = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0201) => jpeg_off = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x0202) => jpeg_len = t.uint(e),
            (IfdKind::Main | IfdKind::Image, 0x014a) => {
                for i in 0..e.count.min(16) {
                    if let Some(o) = t.uint_at(e, i) {
                        queue.push((o, IfdKind::Image));
                    }
                }
            }
            (IfdKind::Main, 0x010e) if main => fill(&mut md.description, || {
                t.ascii(e).and_then(|s| clean_description(&s))
            }),
            (IfdKind::Main, 0x010f) if main => set_text(&mut md.make, t.ascii(e)),
            (IfdKind::Main, 0x0110) if main => set_text(&mut md.model, t.ascii(e)),
            (IfdKind::Main, 0x0112) if main => fill(&mut md.orientation, || {
                t.uint(e).filter(|o| (1..=8).contains(o)).map(|o| o as u8)
            }),
            (IfdKind::Main, 0x0131) if main => set_text(&mut md.software, t.ascii(e)),
            (IfdKind::Main, 0x0132) if main => d.modify = t.ascii(e),
            (IfdKind::Main, 0x4746) if main => fill(&mut md.rating, || {
                t.uint(e).map(|r| if r > 5 { -1 } else { r as i8 })
            }),
            (IfdKind::Main, 0x9c9e) if main => {
                if let Some(b) = t.bytes(e) {
                    ctx.xp_keywords.extend(xp_keywords(&b));
                }
            }
            (IfdKind::Main, 0x02bc) if main => fill(&mut ctx.xmp, || {
                t.bytes(e).map(|b| String::from_utf8_lossy(&b).into_owned())
            }),
            (IfdKind::Main, 0x8773) if main => {
                fill(&mut ctx.icc, || t.bytes(e).map(|b| b.into_owned()))
            }
            (IfdKind::Main, 0xc612) if main => info.dng = true,
            (IfdKind::Main, 0x8769) if main => {
                if let Some(o) = t.uint(e) {
                    queue.push((o, IfdKind::Exif));
                }
            }
            (IfdKind::Main, 0x8825) if main => {
                if let Some(o) = t.uint(e) {
                    queue.push((o, IfdKind::Gps));
                }
            }
            // Panasonic RW2 keeps its sensor size and full JPEG in IFD0.
            (IfdKind::Main, 0x0002) if main && info.magic == 0x55 => info.rw2_sensor.0 = t.uint(e),
            (IfdKind::Main, 0x0003) if main && info.magic == 0x55 => info.rw2_sensor.1 = t.uint(e),
            (IfdKind::Main, 0x002e) if main && info.magic == 0x55 => {
                let len = Tiff::byte_len(e);
                if e.pos.checked_add(len).is_some_and(|end| end <= t.src.len()) {
                    info.rw2_jpeg = Some(ByteRange { offset: e.pos, len });
                }
            }
            (IfdKind::Exif, tag) => read_exif_tag(t, e, tag, md, d),
            _ => {}
        }
    }
    if img.photometric == Some(32803) || img.compression == Some(34713) {
        info.cfa = true;
    }
    if let (Some(o), Some(l)) = (jpeg_off, jpeg_len) {
        img.jpeg = Some(ByteRange {
            offset: t.base + u64::from(o),
            len: u64::from(l),
        });
    }
    if let (Some(o), Some(l)) = (strip_off, strip_len) {
        img.strip = Some(ByteRange {
            offset: t.base + u64::from(o),
            len: u64::from(l),
        });
    }
    if matches!(kind, IfdKind::Main | IfdKind::Image) {
        info.images.push(img);
    }
}

fn set_text(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn read_exif_tag(t: &Tiff<'_>, e: &Entry, tag: u16, md: &mut MediaMetadata, d: &mut Dates) {
    match tag {
        0x829a => fill(&mut md.exposure_time, || {
            t.real(e).and_then(format_exposure)
        }),
        0x829d => fill(&mut md.f_number, || {
            t.real(e).filter(|v| v.is_finite() && *v > 0.0)
        }),
        0x920a => fill(&mut md.focal_length, || {
            t.real(e).filter(|v| v.is_finite() && *v > 0.0)
        }),
        0x8827 => d.iso = t.uint(e).filter(|v| *v > 0),
        0x8833 => d.iso_speed = t.uint(e).filter(|v| *v > 0),
        0x9003 => d.original = t.ascii(e),
        0x9004 => d.digitized = t.ascii(e),
        0x9010 => d.modify_offset = t.ascii(e),
        0x9011 => d.original_offset = t.ascii(e),
        0x9012 => d.digitized_offset = t.ascii(e),
        0x9290 => d.modify_subsec = t.ascii(e),
        0x9291 => d.original_subsec = t.ascii(e),
        0x9292 => d.digitized_subsec = t.ascii(e),
        0xa001 => fill(&mut md.colorspace, || match t.uint(e) {
            Some(1) => Some("sRGB".into()),
            Some(2) => Some("Adobe RGB".into()),
            Some(0xfffd) => Some("Wide Gamut RGB".into()),
            Some(0xfffe) => Some("ICC Profile".into()),
            Some(0xffff) => Some("Uncalibrated".into()),
            _ => None,
        }),
        0xa002 => fill(&mut md.width, || t.uint(e).filter(|v| *v > 0)),
        0xa003 => fill(&mut md.height, || t.uint(e).filter(|v| *v > 0)),
        0xa434 => set_text(&mut md.lens_model, t.ascii(e)),
        0x927c => {
            if md.live_photo_cid.is_none()
                && let Some(b) = t.bytes(e)
            {
                md.live_photo_cid = apple_content_identifier(&b);
            }
        }
        _ => {}
    }
}

fn read_gps(t: &Tiff<'_>, e: &Entry, tag: u16, d: &mut Dates) {
    let dms = |t: &Tiff<'_>, e: &Entry| -> Option<f64> {
        let deg = t.real_at(e, 0)?;
        let min = t.real_at(e, 1).unwrap_or(0.0);
        let sec = t.real_at(e, 2).unwrap_or(0.0);
        Some(deg + min / 60.0 + sec / 3600.0)
    };
    match tag {
        1 => d.lat_ref = t.ascii(e),
        2 => d.lat = dms(t, e),
        3 => d.lon_ref = t.ascii(e),
        4 => d.lon = dms(t, e),
        5 => d.alt_ref = t.uint(e),
        6 => d.alt = t.real(e),
        7 => {
            if let (Some(h), Some(m), Some(s)) = (t.real_at(e, 0), t.real_at(e, 1), t.real_at(e, 2))
            {
                d.gps_time = Some([h, m, s]);
            }
        }
        29 => d.gps_date = t.ascii(e),
        _ => {}
    }
}

fn capture(
    date: &Option<String>,
    offset: &Option<String>,
    subsec: &Option<String>,
) -> Option<CaptureDate> {
    let mut local = parse_exif_date(date.as_deref()?)?;
    if let Some(ss) = subsec {
        let digits: String = ss
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .take(3)
            .collect();
        if !digits.is_empty() {
            local.millis = format!("{digits:0<3}").parse().unwrap_or(0);
        }
    }
    Some(CaptureDate {
        local,
        offset_minutes: offset.as_deref().and_then(parse_offset),
    })
}

fn finish_dates(md: &mut MediaMetadata, d: Dates) {
    if md.date_time_original.is_none() {
        md.date_time_original = capture(&d.original, &d.original_offset, &d.original_subsec);
    }
    if md.create_date.is_none() {
        md.create_date = capture(&d.digitized, &d.digitized_offset, &d.digitized_subsec);
    }
    if md.modify_date.is_none() {
        md.modify_date = capture(&d.modify, &d.modify_offset, &d.modify_subsec);
    }
    if md.iso.is_none() {
        // 65535 means "too large for SHORT"; the true value is in ISOSpeed.
        md.iso = match d.iso {
            Some(65535) | None => d.iso_speed.or(d.iso),
            v => v,
        };
    }
    if md.gps.is_none()
        && let (Some(lat), Some(lon)) = (d.lat, d.lon)
    {
        let neg = |r: &Option<String>, c: char| {
            r.as_deref().is_some_and(|s| {
                s.trim().starts_with(c) || s.trim().starts_with(c.to_ascii_lowercase())
            })
        };
        let lat = if neg(&d.lat_ref, 'S') { -lat } else { lat };
        let lon = if neg(&d.lon_ref, 'W') { -lon } else { lon };
        let alt = d.alt.map(|a| if d.alt_ref == Some(1) { -a } else { a });
        md.gps = gps_checked(lat, lon, alt);
    }
    if md.gps_time.is_none()
        && let (Some(date), Some([h, m, s])) = (d.gps_date, d.gps_time)
        && let Some(day) = parse_exif_date(&date)
        && (0.0..24.0).contains(&h)
        && (0.0..60.0).contains(&m)
        && (0.0..61.0).contains(&s)
    {
        let ms = ((h.trunc() * 3600.0 + m.trunc() * 60.0 + s) * 1000.0).round() as i64;
        md.gps_time = Some(Timestamp(Timestamp::from_civil(day).0 + ms));
    }
}

/// XPKeywords: UTF-16LE, `;`-separated (Windows Explorer's tags).
fn xp_keywords(b: &[u8]) -> Vec<String> {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units)
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Apple's maker note ("Apple iOS\0", version, "MM", IFD at 14, offsets from
/// the note's start): tag 0x0011 is the Live Photo content identifier.
pub(crate) fn apple_content_identifier(note: &[u8]) -> Option<String> {
    if !note.starts_with(b"Apple iOS\0") || note.get(12..14) != Some(b"MM") {
        return None;
    }
    let src = super::source::SliceSource(note);
    let t = Tiff {
        src: &src,
        base: 0,
        be: true,
    };
    let (entries, _) = t.read_ifd(14).ok()?;
    let e = entries.iter().find(|e| e.tag == 0x0011 && e.typ == 2)?;
    t.ascii(e)
}

/// A TIFF-based file: plain TIFF or a RAW container. Picks the format, the
/// largest displayable embedded JPEG and the sensor's dimensions.
pub(crate) fn read_tiff_file(
    src: &dyn Source,
    md: &mut MediaMetadata,
    ctx: &mut Extra,
) -> Result<()> {
    let info = parse_tiff(src, 0, md, ctx)?;
    let head = src.read_at(0, src.len().min(16) as usize)?;
    let make = md.make.clone().unwrap_or_default().to_ascii_uppercase();
    let format = match info.magic {
        0x4f52 | 0x5352 => "orf",
        0x55 => "rw2",
        _ if info.dng => "dng",
        _ if head.get(8..10) == Some(b"CR") => "cr2",
        _ if info.cfa && make.starts_with("NIKON") => "nef",
        _ if info.cfa && make.starts_with("SONY") => "arw",
        _ => "tiff",
    };
    md.format = Some(format);

    if let Some(range) = info.rw2_jpeg {
        // The RW2's full JPEG carries the camera's EXIF (dates, exposure).
        let _ = jpeg::read_jpeg(src, range.offset, range.offset + range.len, md, ctx);
    }

    if format == "tiff" {
        if let Some(main) = info.images.first() {
            md.width = main.width.or(md.width);
            md.height = main.height.or(md.height);
            if md.bits_per_sample.is_none() {
                md.bits_per_sample = main.bits;
            }
        }
        return Ok(());
    }

    let mut candidates: Vec<ByteRange> = info.rw2_jpeg.into_iter().collect();
    for img in &info.images {
        candidates.extend(img.jpeg);
        if matches!(img.compression, Some(6 | 7 | 99)) {
            candidates.extend(img.strip);
        }
    }
    let mut best: Option<(ByteRange, u64, (u32, u32))> = None;
    for c in candidates {
        if let Some((w, h)) = jpeg::probe_preview(src, c) {
            let area = u64::from(w) * u64::from(h);
            if best.as_ref().is_none_or(|(_, a, _)| area > *a) {
                best = Some((c, area, (w, h)));
            }
        }
    }
    md.embedded_preview = best.as_ref().map(|b| b.0);

    let previews: Vec<u64> = best.iter().map(|b| b.0.offset).collect();
    let sensor = info
        .images
        .iter()
        .filter(|i| i.new_subfile_type.unwrap_or(0) & 1 == 0)
        .filter(|i| {
            !i.strip.is_some_and(|s| previews.contains(&s.offset)) || i.photometric == Some(32803)
        })
        .filter_map(|i| Some((i.width?, i.height?)))
        .max_by_key(|(w, h)| u64::from(*w) * u64::from(*h));
    let (w, h) = match (format, info.rw2_sensor) {
        ("rw2", (Some(w), Some(h))) => (Some(w), Some(h)),
        _ => match sensor.or(best.map(|b| b.2)) {
            Some((w, h)) => (Some(w), Some(h)),
            None => (md.width, md.height),
        },
    };
    md.width = w;
    md.height = h;
    if md.bits_per_sample.is_none() {
        md.bits_per_sample = info
            .images
            .iter()
            .filter(|i| i.photometric == Some(32803))
            .find_map(|i| i.bits);
    }
    Ok(())
}
