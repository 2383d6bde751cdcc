//! What a media file says about itself, read natively (no exiftool): EXIF/TIFF,
//! XMP, ISO-BMFF (HEIC/AVIF/CR3/MP4/MOV), PNG, WebP, GIF and the RAW containers.
//!
//! Readers touch only the bytes they need (headers, IFDs, atoms), never the
//! pixel data, which is what makes this orders of magnitude faster than a Perl
//! process per file. Every length read from a file is checked against the file
//! before it is used: a hostile file is an `Err`, never a panic or a huge
//! allocation.

pub mod dates;
pub mod xmp;

mod bmff;
mod icc;
mod jpeg;
mod simple;
mod source;
mod tiff;

use crate::{MediaError, Result};
use keepsake_core::time::{Civil, Timestamp};
use source::{FileSource, SliceSource, Source};
use std::path::Path;

/// A byte range inside the original file (an embedded preview or video).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub offset: u64,
    pub len: u64,
}

/// A date as written in the file: wall-clock fields plus the UTC offset when
/// the file states one (EXIF OffsetTime*, XMP/QuickTime ISO 8601 with zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureDate {
    pub local: Civil,
    /// Minutes east of UTC, when the file states it.
    pub offset_minutes: Option<i32>,
}

/// Decimal degrees, north and east positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
    pub altitude: Option<f64>,
}

/// Everything Keepsake keeps from a file's own metadata. `None` means the file
/// does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaMetadata {
    /// Lower-case container name: jpeg, heic, avif, png, webp, tiff, dng, cr2,
    /// cr3, nef, arw, raf, rw2, orf, gif, mp4, mov, m4v, 3gp.
    pub format: Option<&'static str>,
    pub is_video: bool,
    /// Pixel dimensions as stored, before orientation is applied.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// EXIF orientation 1..=8. For HEIC/AVIF this is the EXIF value when the
    /// file has one (decoders apply `irot`/`imir` themselves, so it is
    /// informational there); without EXIF it is derived from `irot`/`imir`.
    /// For videos it is the track matrix's rotation mapped to 1/6/3/8.
    pub orientation: Option<u8>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens_model: Option<String>,
    pub date_time_original: Option<CaptureDate>,
    /// EXIF DateTimeDigitized; for videos the `mvhd` creation time, which is
    /// UTC (then `create_date_is_utc` is set and `offset_minutes` is `Some(0)`).
    pub create_date: Option<CaptureDate>,
    pub modify_date: Option<CaptureDate>,
    /// GPSDateStamp + GPSTimeStamp, which are UTC by definition.
    pub gps_time: Option<Timestamp>,
    pub gps: Option<Gps>,
    pub f_number: Option<f64>,
    /// Millimetres.
    pub focal_length: Option<f64>,
    pub iso: Option<u32>,
    /// As people write it: "1/250", "0.5", "2".
    pub exposure_time: Option<String>,
    pub description: Option<String>,
    /// 0..=5; -1 means rejected.
    pub rating: Option<i8>,
    pub tags: Vec<String>,
    pub fps: Option<f64>,
    pub duration_ms: Option<u64>,
    /// e.g. "EQUIRECTANGULAR" for 360° photos (GPano:ProjectionType).
    pub projection_type: Option<String>,
    /// ICC profile description, e.g. "Display P3", "sRGB IEC61966-2.1".
    pub profile_description: Option<String>,
    pub colorspace: Option<String>,
    pub bits_per_sample: Option<u32>,
    /// Apple's content identifier pairing a Live Photo's still and video.
    pub live_photo_cid: Option<String>,
    /// The MP4 inside a Google/Samsung motion photo.
    pub motion_photo_video: Option<ByteRange>,
    /// The largest embedded JPEG preview (RAW files; also big JPEG thumbnails).
    pub embedded_preview: Option<ByteRange>,
    /// `create_date` is a true UTC instant whose local zone is unknown (a
    /// QuickTime `mvhd` creation time), not a wall clock.
    pub create_date_is_utc: bool,
    /// Software that wrote the file (EXIF Software, QuickTime ©swr / Apple key).
    pub software: Option<String>,
}

/// Reads the metadata of the file at `path`, recognising the format by its
/// content (not its extension).
pub fn read_metadata(path: &Path) -> Result<MediaMetadata> {
    let src = FileSource::open(path)?;
    read_from(&src)
}

/// Same as [`read_metadata`] for a file already in memory (importers).
pub fn read_metadata_bytes(bytes: &[u8]) -> Result<MediaMetadata> {
    read_from(&SliceSource(bytes))
}

fn read_from(src: &dyn Source) -> Result<MediaMetadata> {
    let head = src.read_at(0, src.len().min(32) as usize)?;
    let head: &[u8] = &head;
    let mut md = MediaMetadata::default();
    let mut ctx = Extra::default();
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        md.format = Some("jpeg");
        jpeg::read_jpeg(src, 0, src.len(), &mut md, &mut ctx)?;
        jpeg::find_motion_photo(src, &mut md, &ctx);
    } else if head.starts_with(b"FUJIFILMCCD-RAW") {
        md.format = Some("raf");
        jpeg::read_raf(src, &mut md, &mut ctx)?;
    } else if tiff::is_tiff_magic(head) {
        tiff::read_tiff_file(src, &mut md, &mut ctx)?;
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        md.format = Some("png");
        simple::read_png(src, &mut md, &mut ctx)?;
    } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        md.format = Some("webp");
        simple::read_webp(src, &mut md, &mut ctx)?;
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        md.format = Some("gif");
        simple::read_gif(head, &mut md)?;
    } else if head.len() >= 8 && bmff::looks_like_bmff(head) {
        bmff::read_bmff(src, &mut md, &mut ctx)?;
    } else {
        return Err(MediaError::Unsupported(
            "no known image or video signature at the start of the file".into(),
        ));
    }
    finish(&mut md, &ctx);
    Ok(md)
}

/// What readers collect besides [`MediaMetadata`] fields: raw packets whose
/// interpretation is shared by every container.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    pub xmp: Option<String>,
    /// JPEG Extended XMP (what did not fit in one APP1 segment).
    pub xmp_extended: Option<String>,
    pub icc: Option<Vec<u8>>,
    pub xp_keywords: Vec<String>,
}

/// Applies what all containers share: the embedded XMP (only where EXIF is
/// silent) and the ICC profile's description.
fn finish(md: &mut MediaMetadata, ctx: &Extra) {
    if let Some(icc) = &ctx.icc
        && md.profile_description.is_none()
    {
        md.profile_description = icc::description(icc);
    }
    let mut tags = std::mem::take(&mut md.tags);
    let packets = [&ctx.xmp, &ctx.xmp_extended];
    for text in packets.into_iter().flatten() {
        let Ok(packet) = xmp::parse_packet(text) else {
            continue;
        };
        let s = packet.sidecar;
        if md.description.is_none() {
            md.description = s.description.and_then(|d| clean_description(&d));
        }
        if md.rating.is_none() {
            md.rating = s.rating;
        }
        if md.date_time_original.is_none() {
            md.date_time_original = s.date_time_original;
        }
        if md.create_date.is_none() {
            md.create_date = packet.create_date;
        }
        if md.gps.is_none() {
            md.gps = s.gps;
        }
        if md.projection_type.is_none() {
            md.projection_type = packet.projection_type;
        }
        tags.extend(s.tags);
    }
    tags.extend(ctx.xp_keywords.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    md.tags = tags;
}

/// Trims a description and drops the placeholders cameras write when the
/// user wrote nothing (they are not the user's words).
pub(crate) fn clean_description(text: &str) -> Option<String> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    const JUNK: &[&str] = &[
        "OLYMPUS DIGITAL CAMERA",
        "SONY DSC",
        "DIGITAL CAMERA",
        "KONICA MINOLTA DIGITAL CAMERA",
        "MINOLTA DIGITAL CAMERA",
        "SAMSUNG",
        "SAMSUNG CAMERA PICTURES",
        "Default",
        "default",
        "DCIM",
        "<KENOX S630  / Samsung S630>",
        "LEICA",
    ];
    if t.is_empty() || JUNK.contains(&t) {
        None
    } else {
        Some(t.to_string())
    }
}

/// Parses the EXIF-style date "YYYY:MM:DD HH:MM:SS" (also with `-` date
/// separators, without seconds, or date only). Zeroed dates are absent.
pub(crate) fn parse_exif_date(text: &str) -> Option<Civil> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let b = t.as_bytes();
    if b.len() < 10 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = t.get(r)?;
        if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    if !matches!(b[4], b':' | b'-' | b'/' | b'.') || b[7] != b[4] {
        return None;
    }
    let year = num(0..4)? as i64;
    let month = num(5..7)?;
    let day = num(8..10)?;
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    if b.len() >= 16 && matches!(b[10], b' ' | b'T') {
        hour = num(11..13)?;
        minute = num(14..16)?;
        if b.len() >= 19 && b[16] == b':' {
            second = num(17..19)?;
        }
    }
    civil(year, month, day, hour, minute, second, 0)
}

/// Builds a validated civil time.
pub(crate) fn civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
) -> Option<Civil> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
        || millis > 999
        || year == 0
    {
        return None;
    }
    Some(Civil {
        year,
        month,
        day,
        hour,
        minute,
        second: second.min(59),
        millis,
    })
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        _ => 28,
    }
}

/// Parses an offset as EXIF OffsetTime* and ISO 8601 write it: "+02:00",
/// "-0330", "Z".
pub(crate) fn parse_offset(text: &str) -> Option<i32> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if t == "Z" || t == "z" {
        return Some(0);
    }
    let sign = match t.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body: String = t[1..].chars().filter(|c| *c != ':').collect();
    if !body.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match body.len() {
        2 => (body.parse::<i32>().ok()?, 0),
        4 => (
            body[0..2].parse::<i32>().ok()?,
            body[2..4].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m))
}

/// Parses ISO 8601 as XMP and QuickTime write it: with or without seconds,
/// fraction and zone, or a bare date (midnight).
pub(crate) fn parse_iso_date(text: &str) -> Option<CaptureDate> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = t.get(r)?;
        if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let year = num(0..4)? as i64;
    if b.len() == 4 {
        return civil(year, 1, 1, 0, 0, 0, 0).map(|local| CaptureDate {
            local,
            offset_minutes: None,
        });
    }
    if b.get(4) != Some(&b'-') && b.get(4) != Some(&b':') {
        return None;
    }
    let month = num(5..7)?;
    if b.len() == 7 {
        return civil(year, month, 1, 0, 0, 0, 0).map(|local| CaptureDate {
            local,
            offset_minutes: None,
        });
    }
    let day = num(8..10)?;
    let mut rest = t.get(10..)?;
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    let mut offset = None;
    if let Some(time) = rest.strip_prefix(['T', ' ', 't']) {
        let tn = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = time.get(r)?;
            if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        hour = tn(0..2)?;
        if time.as_bytes().get(2) != Some(&b':') {
            return None;
        }
        minute = tn(3..5)?;
        rest = time.get(5..)?;
        if let Some(after) = rest.strip_prefix(':') {
            second = after.get(0..2).and_then(|s| s.parse().ok())?;
            rest = after.get(2..)?;
            if let Some(frac) = rest.strip_prefix(['.', ',']) {
                let n = frac.bytes().take_while(|c| c.is_ascii_digit()).count();
                if n == 0 {
                    return None;
                }
                let digits = &frac[..n.min(3)];
                millis = format!("{digits:0<3}").parse().ok()?;
                rest = &frac[n..];
            }
        }
        if !rest.is_empty() {
            offset = Some(parse_offset(rest)?);
        }
    } else if !rest.is_empty() {
        return None;
    }
    civil(year, month, day, hour, minute, second, millis).map(|local| CaptureDate {
        local,
        offset_minutes: offset,
    })
}

/// Parses ISO 6709 as QuickTime writes locations: "+48.8577+002.2950+035.000/".
pub(crate) fn parse_iso6709(text: &str) -> Option<Gps> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let t = t.strip_suffix('/').unwrap_or(t);
    let mut parts = Vec::with_capacity(3);
    let mut start = 0;
    for (i, c) in t.char_indices() {
        if (c == '+' || c == '-') && i > start {
            parts.push(&t[start..i]);
            start = i;
        }
    }
    parts.push(&t[start..]);
    if parts.len() < 2 {
        return None;
    }
    // The integer digit count tells degrees (DD), DDMM or DDMMSS apart.
    let angle = |s: &str, deg_digits: usize| -> Option<f64> {
        let sign = match s.as_bytes().first()? {
            b'+' => 1.0,
            b'-' => -1.0,
            _ => return None,
        };
        let body = &s[1..];
        let int_len = body.find('.').unwrap_or(body.len());
        let v: f64 = body.parse().ok()?;
        let value = if int_len <= deg_digits {
            v
        } else if int_len == deg_digits + 2 {
            let deg = (v / 100.0).trunc();
            deg + (v - deg * 100.0) / 60.0
        } else if int_len == deg_digits + 4 {
            let deg = (v / 10000.0).trunc();
            let min = ((v - deg * 10000.0) / 100.0).trunc();
            deg + min / 60.0 + (v - deg * 10000.0 - min * 100.0) / 3600.0
        } else {
            return None;
        };
        Some(sign * value)
    };
    let latitude = angle(parts[0], 2)?;
    let longitude = angle(parts[1], 3)?;
    let altitude = parts.get(2).and_then(|a| {
        let a = a.trim_end_matches("CRSWGS_84");
        a.parse::<f64>().ok()
    });
    gps_checked(latitude, longitude, altitude)
}

/// Accepts coordinates only when they are on Earth and not the (0, 0) that
/// broken writers emit; Immich drops that pair too.
pub(crate) fn gps_checked(latitude: f64, longitude: f64, altitude: Option<f64>) -> Option<Gps> {
    if !latitude.is_finite()
        || !longitude.is_finite()
        || latitude.abs() > 90.0
        || longitude.abs() > 180.0
        || (latitude == 0.0 && longitude == 0.0)
    {
        return None;
    }
    Some(Gps {
        latitude,
        longitude,
        altitude: altitude.filter(|a| a.is_finite()),
    })
}

/// exiftool's way of printing an exposure: "1/N" below a quarter second,
/// decimal seconds above.
pub(crate) fn format_exposure(secs: f64) -> Option<String> {
    if !secs.is_finite() || secs <= 0.0 {
        return None;
    }
    if secs < 0.25001 {
        Some(format!("1/{}", (0.5 + 1.0 / secs) as u64))
    } else {
        let s = format!("{secs:.1}");
        Some(s.strip_suffix(".0").map(str::to_string).unwrap_or(s))
    }
}

/// Sets a field only when no earlier source has: the first reader to know wins.
pub(crate) fn fill<T>(slot: &mut Option<T>, value: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = value();
    }
}

pub(crate) fn corrupt(msg: impl Into<String>) -> MediaError {
    MediaError::Corrupt(msg.into())
}

/// A string from file bytes: up to the first NUL, trimmed, lossy UTF-8;
/// blank is absent.
pub(crate) fn text_of(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let s = String::from_utf8_lossy(&bytes[..end]);
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}
