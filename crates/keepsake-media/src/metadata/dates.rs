//! The one date engine: which instant a photo was taken, its zone, and the
//! `localDateTime` the timeline groups by. Importers reuse it.
//!
//! Zones come, in order, from the file's own offset, from the GPS position
//! (an offline boundary map and the bundled tz database), from the gap
//! between the camera clock and the GPS clock, or not at all (a floating
//! wall-clock time, read as UTC the way Immich does).

use super::MediaMetadata;
use super::xmp::Sidecar;
use super::{CaptureDate, Gps, civil};
use keepsake_core::time::{Civil, Timestamp};
use std::sync::OnceLock;

/// Where a resolved date came from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    Sidecar,
    Embedded,
    FileName,
    FileTime,
    /// What an import source (Takeout, Flickr, iCloud) says; see [`reconcile`].
    Import,
}

/// What the engine may use. Absent inputs are `None`.
#[derive(Debug, Clone, Copy)]
pub struct DateInputs<'a> {
    pub sidecar: Option<&'a Sidecar>,
    pub metadata: Option<&'a MediaMetadata>,
    /// The original file name as the user knows it ("IMG_20190712_181512.jpg").
    pub file_name: &'a str,
    /// The file's own times (or what the uploading client says they were).
    pub file_created_at: Timestamp,
    pub file_modified_at: Timestamp,
}

/// The date Keepsake shows for an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDate {
    /// The instant (UTC). For a floating local time, the wall clock read as UTC.
    pub instant: Timestamp,
    /// Immich's `localDateTime`: the wall clock where the photo was taken,
    /// written as if it were UTC.
    pub local: Timestamp,
    /// IANA name when known from coordinates ("Europe/Paris"), else a fixed
    /// offset as Immich writes it ("UTC+2", "UTC-3:30"); `None` when floating.
    pub time_zone: Option<String>,
    pub source: DateSource,
}

/// Decides the date. Precedence: XMP sidecar > embedded metadata > file-name
/// patterns > file times.
///
/// Embedded means DateTimeOriginal (for videos Apple's creationdate or
/// ©day), then CreateDate (for videos the `mvhd` creation time, a UTC
/// instant). A sidecar's GPS position wins over the file's for zone lookup.
pub fn resolve(inputs: &DateInputs<'_>) -> ResolvedDate {
    let md = inputs.metadata;
    let gps = inputs
        .sidecar
        .and_then(|s| s.gps)
        .or_else(|| md.and_then(|m| m.gps));
    if let Some(d) = inputs.sidecar.and_then(|s| s.date_time_original) {
        return from_capture(d, gps, None, DateSource::Sidecar);
    }
    if let Some(m) = md {
        if let Some(d) = m.date_time_original {
            return from_capture(d, gps, m.gps_time, DateSource::Embedded);
        }
        if let Some(d) = m.create_date {
            if m.create_date_is_utc {
                let offset = i64::from(d.offset_minutes.unwrap_or(0)) * 60_000;
                let instant = Timestamp(Timestamp::from_civil(d.local).0 - offset);
                return from_instant(instant, gps, DateSource::Embedded);
            }
            return from_capture(d, gps, m.gps_time, DateSource::Embedded);
        }
    }
    match date_from_file_name(inputs.file_name) {
        Some(NameDate::Local(local)) => {
            let t = Timestamp::from_civil(local);
            return ResolvedDate {
                instant: t,
                local: t,
                time_zone: None,
                source: DateSource::FileName,
            };
        }
        Some(NameDate::Utc(instant)) => return from_instant(instant, gps, DateSource::FileName),
        None => {}
    }
    let t = inputs.file_created_at.min(inputs.file_modified_at);
    from_instant(t, gps, DateSource::FileTime)
}

/// A wall-clock date: find its zone, then its instant.
fn from_capture(
    d: CaptureDate,
    gps: Option<Gps>,
    gps_time: Option<Timestamp>,
    source: DateSource,
) -> ResolvedDate {
    let local = Timestamp::from_civil(d.local);
    let (offset_min, zone) = if let Some(o) = d.offset_minutes {
        (Some(o), Some(fixed_zone_name(o)))
    } else if let Some((name, o)) = gps.and_then(|g| zone_at_local(g, d.local)) {
        (Some(o), Some(name))
    } else if let Some(o) = gps_time.and_then(|g| offset_from_gps_clock(local, g)) {
        (Some(o), Some(fixed_zone_name(o)))
    } else {
        (None, None)
    };
    ResolvedDate {
        instant: Timestamp(local.0 - i64::from(offset_min.unwrap_or(0)) * 60_000),
        local,
        time_zone: zone,
        source,
    }
}

/// A capture time as an import source states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatedDate {
    /// A true instant (Takeout's `photoTakenTime`).
    Instant(Timestamp),
    /// A wall-clock time of unknown zone, written as if UTC (Flickr's `date_taken`).
    Local(Timestamp),
    /// An instant with the offset (minutes east of UTC) it was taken in
    /// (iCloud's `assetDate` + `timeZoneOffset`).
    Zoned(Timestamp, i32),
}

/// How far apart two clocks may be and still be "the same time" (sub-second
/// digits, cameras that write whole seconds).
const SAME_TIME_MS: i64 = 60_000;

/// The date to keep for an imported item. The source's date wins, because the
/// person may have corrected it there (scans, wrong camera clocks); the file
/// (`file`, resolved by [`resolve`]) still supplies the zone when it agrees:
/// - the file's date with its zone, when it is the same time as the source's;
/// - for a stated instant and a floating file time a whole number of quarter
///   hours away (within ±14 h), that gap is the zone offset: the file's wall
///   clock and the source's instant are both right;
/// - otherwise the source's date alone, zoned by `gps` when there is one; a
///   stated instant with no zone shows in UTC, a stated wall clock floats.
pub fn reconcile(stated: StatedDate, file: &ResolvedDate, gps: Option<Gps>) -> ResolvedDate {
    let file_states_date = file.source != DateSource::FileTime;
    match stated {
        StatedDate::Instant(t) => {
            if file_states_date
                && file.time_zone.is_some()
                && (file.instant.0 - t.0).abs() < SAME_TIME_MS
            {
                return file.clone();
            }
            if file_states_date
                && file.time_zone.is_none()
                && let Some(o) = offset_from_gps_clock(file.local, t)
                && (file.local.0 - t.0 - i64::from(o) * 60_000).abs() < SAME_TIME_MS
            {
                return ResolvedDate {
                    instant: t,
                    local: file.local,
                    time_zone: Some(fixed_zone_name(o)),
                    source: DateSource::Import,
                };
            }
            let mut r = from_instant(t, gps, DateSource::Import);
            if r.time_zone.is_none() {
                r.time_zone = Some(fixed_zone_name(0));
            }
            r
        }
        StatedDate::Zoned(t, o) => {
            // The file may name the zone (Europe/Paris rather than UTC+1): keep
            // its name when it shows the same instant at the same offset.
            if file_states_date
                && file.time_zone.is_some()
                && (file.instant.0 - t.0).abs() < SAME_TIME_MS
                && (file.local.0 - file.instant.0) == i64::from(o) * 60_000
            {
                return file.clone();
            }
            ResolvedDate {
                instant: t,
                local: Timestamp(t.0 + i64::from(o) * 60_000),
                time_zone: Some(fixed_zone_name(o)),
                source: DateSource::Import,
            }
        }
        StatedDate::Local(w) => {
            if file_states_date && (file.local.0 - w.0).abs() < SAME_TIME_MS {
                return file.clone();
            }
            let d = CaptureDate {
                local: w.civil(),
                offset_minutes: None,
            };
            let mut r = from_capture(d, gps, None, DateSource::Import);
            r.local = w;
            r
        }
    }
}

/// A true instant: the zone (from GPS) only decides the wall clock.
fn from_instant(instant: Timestamp, gps: Option<Gps>, source: DateSource) -> ResolvedDate {
    match gps.and_then(|g| zone_at_instant(g, instant)) {
        Some((name, o)) => ResolvedDate {
            instant,
            local: Timestamp(instant.0 + i64::from(o) * 60_000),
            time_zone: Some(name),
            source,
        },
        None => ResolvedDate {
            instant,
            local: instant,
            time_zone: None,
            source,
        },
    }
}

/// The camera clock minus the GPS clock, when it looks like a zone offset:
/// within ±14 h, rounded to 15 minutes.
fn offset_from_gps_clock(local: Timestamp, gps: Timestamp) -> Option<i32> {
    let diff = local.0.checked_sub(gps.0)?;
    if diff.unsigned_abs() > 14 * 3_600_000 {
        return None;
    }
    let quarter = 15 * 60_000;
    let rounded = (diff as f64 / quarter as f64).round() as i64 * 15;
    Some(rounded as i32)
}

/// Immich's names for fixed offsets: "UTC", "UTC+2", "UTC-3:30".
pub fn fixed_zone_name(offset_minutes: i32) -> String {
    if offset_minutes == 0 {
        return "UTC".into();
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let (h, m) = (offset_minutes.abs() / 60, offset_minutes.abs() % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

fn finder() -> &'static tzf_rs::DefaultFinder {
    static FINDER: OnceLock<tzf_rs::DefaultFinder> = OnceLock::new();
    FINDER.get_or_init(tzf_rs::DefaultFinder::new)
}

/// The IANA zone at a position, from the bundled boundary data.
pub fn zone_name_at(gps: Gps) -> Option<String> {
    if !gps.latitude.is_finite() || !gps.longitude.is_finite() {
        return None;
    }
    let name = finder().get_tz_name(gps.longitude, gps.latitude);
    (!name.is_empty()).then(|| name.to_string())
}

/// The zone at `gps` and its offset (minutes) for a wall-clock time there.
/// Times in a DST gap or overlap resolve as most software does ("compatible").
fn zone_at_local(gps: Gps, local: Civil) -> Option<(String, i32)> {
    let name = zone_name_at(gps)?;
    let tz = jiff::tz::TimeZone::get(&name).ok()?;
    let dt = jiff::civil::DateTime::new(
        i16::try_from(local.year).ok()?,
        i8::try_from(local.month).ok()?,
        i8::try_from(local.day).ok()?,
        i8::try_from(local.hour).ok()?,
        i8::try_from(local.minute).ok()?,
        i8::try_from(local.second).ok()?,
        0,
    )
    .ok()?;
    let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
    let offset = tz.to_offset(ts);
    Some((name, offset.seconds() / 60))
}

fn zone_at_instant(gps: Gps, instant: Timestamp) -> Option<(String, i32)> {
    let name = zone_name_at(gps)?;
    let tz = jiff::tz::TimeZone::get(&name).ok()?;
    let ts = jiff::Timestamp::from_millisecond(instant.0).ok()?;
    Some((name, tz.to_offset(ts).seconds() / 60))
}

/// A date found in a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameDate {
    /// A wall-clock time of unknown zone.
    Local(Civil),
    /// A UTC instant (Pixel cameras name files in UTC).
    Utc(Timestamp),
}

/// Templates, matched case-insensitively at the start of the name: `%Y`
/// four-digit year, `%m %d %H %M %S` two digits, `%f` optional milliseconds.
const NAME_PATTERNS: &[(&str, bool)] = &[
    ("PXL_%Y%m%d_%H%M%S%f", true),
    ("IMG_%Y%m%d_%H%M%S", false),
    ("VID_%Y%m%d_%H%M%S", false),
    ("MVIMG_%Y%m%d_%H%M%S", false),
    ("PANO_%Y%m%d_%H%M%S", false),
    ("Screenshot_%Y%m%d-%H%M%S", false),
    ("Screenshot_%Y-%m-%d-%H-%M-%S", false),
    ("Screenshot %Y-%m-%d at %H.%M.%S", false),
    ("IMG-%Y%m%d-WA", false),
    ("VID-%Y%m%d-WA", false),
    ("signal-%Y-%m-%d-%H%M%S", false),
    ("%Y%m%d_%H%M%S", false),
    ("%Y-%m-%d %H.%M.%S", false),
];

/// The date in a camera- or app-made file name, if it has one. Only known
/// shapes are accepted, every field is range-checked, and the date must not
/// run on into more digits, so random digit runs do not become dates.
pub fn date_from_file_name(file_name: &str) -> Option<NameDate> {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    for (tpl, utc) in NAME_PATTERNS {
        if let Some(c) = match_template(name.as_bytes(), tpl) {
            if !(1900..=2100).contains(&c.year) {
                continue;
            }
            return Some(if *utc {
                NameDate::Utc(Timestamp::from_civil(c))
            } else {
                NameDate::Local(c)
            });
        }
    }
    None
}

fn match_template(name: &[u8], tpl: &str) -> Option<Civil> {
    let t = tpl.as_bytes();
    let (mut i, mut p) = (0usize, 0usize);
    let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut millis) =
        (0i64, 0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
    let digits = |at: usize, n: usize| -> Option<u32> {
        let s = name.get(at..at + n)?;
        if s.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(s).ok()?.parse().ok()
        } else {
            None
        }
    };
    while i < t.len() {
        if t[i] == b'%' {
            let spec = *t.get(i + 1)?;
            i += 2;
            match spec {
                b'Y' => {
                    year = i64::from(digits(p, 4)?);
                    p += 4;
                }
                b'f' => {
                    if let Some(v) = digits(p, 3) {
                        millis = v;
                        p += 3;
                    }
                }
                _ => {
                    let v = digits(p, 2)?;
                    p += 2;
                    match spec {
                        b'm' => month = v,
                        b'd' => day = v,
                        b'H' => hour = v,
                        b'M' => minute = v,
                        b'S' => second = v,
                        _ => return None,
                    }
                }
            }
        } else {
            if !name.get(p)?.eq_ignore_ascii_case(&t[i]) {
                return None;
            }
            i += 1;
            p += 1;
        }
    }
    // A date that ends the template must end there too, not be the start
    // of a longer number.
    let ends_with_field = t.len() >= 2 && t[t.len() - 2] == b'%';
    if ends_with_field && name.get(p).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if second > 59 {
        return None;
    }
    civil(year, month, day, hour, minute, second, millis)
}
