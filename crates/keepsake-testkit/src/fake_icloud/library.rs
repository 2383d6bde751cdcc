//! A realistic generated library with real, decodable media: ffmpeg encodes
//! one small JPEG per orientation and one small QuickTime movie once per
//! process; every item then gets its own EXIF (date, zone, GPS) and a unique
//! comment segment (movies: a unique trailing `free` box), so checksums
//! differ and thousands of items are generated in well under a second.

use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{FakeAlbum, FakeKind, FakeLibrary, FakePhoto, SharedZone, civil_from_days, uuid_upper};
use crate::fixtures::{self, Exif};

struct Media {
    landscape: Vec<u8>,
    portrait: Vec<u8>,
    movie: Vec<u8>,
}

fn media() -> &'static Media {
    static MEDIA: OnceLock<Media> = OnceLock::new();
    MEDIA.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        Media {
            landscape: fixtures::jpeg(dir.path(), 64, 48, 1),
            portrait: fixtures::jpeg(dir.path(), 48, 64, 2),
            movie: fixtures::video(
                dir.path(),
                "clip.mov",
                "64x48",
                1,
                &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
            ),
        }
    })
}

/// `jpeg` with a COM segment naming `tag` right after SOI: still a valid JPEG.
fn tagged_jpeg(jpeg: &[u8], tag: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(jpeg.len() + tag.len() + 4);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((tag.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `movie` with a top-level `free` box holding `tag`: players skip it.
fn tagged_movie(movie: &[u8], tag: &str) -> Vec<u8> {
    let mut out = movie.to_vec();
    out.extend_from_slice(&((tag.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.extend_from_slice(tag.as_bytes());
    out
}

fn exif_time(ms: i64, tz: i32) -> (String, String) {
    let local = ms / 1000 + tz as i64;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    let sign = if tz < 0 { '-' } else { '+' };
    (
        format!(
            "{y:04}:{m:02}:{d:02} {:02}:{:02}:{:02}",
            s / 3600,
            s % 3600 / 60,
            s % 60
        ),
        format!("{sign}{:02}:{:02}", tz.abs() / 3600, tz.abs() % 3600 / 60),
    )
}

const PLACES: [(f64, f64, i32); 6] = [
    (48.858_37, 2.294_48, 3600),
    (41.890_21, 12.492_23, 3600),
    (40.689_25, -74.044_5, -18_000),
    (35.658_58, 139.745_43, 32_400),
    (-33.856_78, 151.215_3, 36_000),
    (52.516_27, 13.377_7, 3600),
];

/// A library of `n` items, deterministic for `seed`: ~5% Live Photos, ~3%
/// videos (real H.264 QuickTime movies), ~5% edited, ~3% hidden, ~1% in
/// Recently Deleted, a few favourites, capture dates over 2016–2024 in
/// several time zones with EXIF to match, GPS on most, captions on a few;
/// folders `Trips` › `2019` with albums `Trips/2019/Paris`, `Trips/Rome` and
/// `Family` at the root. With `shared_zone` set, ~5% of items live in the
/// Shared Library zone instead.
pub fn generated_library(n: usize, seed: u64) -> FakeLibrary {
    generated_library_with(n, seed, None)
}

impl FakeLibrary {
    /// [`generated_library`] taking part in a Shared Library.
    pub fn generated_with_shared(n: usize, seed: u64, zone: SharedZone) -> FakeLibrary {
        generated_library_with(n, seed, Some(zone))
    }
}

fn generated_library_with(n: usize, seed: u64, shared_zone: Option<SharedZone>) -> FakeLibrary {
    let media = media();
    let mut rng = StdRng::seed_from_u64(seed);
    let start_ms = 1_451_606_400_000i64; // 2016-01-01
    let span_ms = 9 * 365 * 86_400_000i64;
    let mut photos = Vec::with_capacity(n);
    for i in 0..n {
        let roll = rng.gen_range(0..100);
        let asset_id = uuid_upper(&mut rng);
        let asset_date_ms =
            start_ms + (span_ms / n.max(1) as i64) * i as i64 + rng.gen_range(0..3_600_000);
        let place = PLACES[rng.gen_range(0..PLACES.len())];
        let tz = if rng.gen_range(0..20) == 0 {
            None
        } else {
            Some(place.2)
        };
        let location = (rng.gen_range(0..10) < 7).then(|| {
            (
                place.0 + rng.gen_range(-0.01..0.01),
                place.1 + rng.gen_range(-0.01..0.01),
            )
        });
        let tag = format!("keepsake fake icloud {seed}/{i}");
        let number = 1000 + i;
        let (kind, bytes, uti, file_name) = if roll < 3 {
            let movie = tagged_movie(&media.movie, &tag);
            (
                FakeKind::Video,
                movie,
                "com.apple.quicktime-movie".to_string(),
                format!("IMG_{number:04}.MOV"),
            )
        } else {
            let base = if rng.gen_range(0..4) == 0 {
                &media.portrait
            } else {
                &media.landscape
            };
            let (dto, offset) = exif_time(asset_date_ms, tz.unwrap_or(0));
            let exif = Exif {
                make: Some("Apple".into()),
                model: Some("iPhone 12".into()),
                orientation: Some(1),
                date_time_original: Some(dto),
                offset_time_original: tz.map(|_| offset),
                gps: location,
                ..Exif::default()
            };
            let jpeg = fixtures::with_exif(&tagged_jpeg(base, &tag), &exif);
            let kind = if roll < 8 {
                FakeKind::Live {
                    video: tagged_movie(&media.movie, &format!("{tag} live")),
                }
            } else {
                FakeKind::Photo
            };
            (
                kind,
                jpeg,
                "public.jpeg".to_string(),
                format!("IMG_{number:04}.JPG"),
            )
        };
        let edited = (rng.gen_range(0..100) < 5).then(|| match kind {
            FakeKind::Video => (
                tagged_movie(&media.movie, &format!("{tag} edited")),
                "com.apple.quicktime-movie".to_string(),
            ),
            _ => (
                tagged_jpeg(&media.landscape, &format!("{tag} edited")),
                "public.jpeg".to_string(),
            ),
        });
        let added_ms = asset_date_ms + rng.gen_range(60_000..86_400_000);
        photos.push(FakePhoto {
            asset_id,
            file_name,
            bytes,
            uti,
            kind,
            edited,
            asset_date_ms,
            tz_offset_s: tz,
            added_ms,
            favorite: rng.gen_range(0..100) < 4,
            hidden: rng.gen_range(0..100) < 3,
            deleted: rng.gen_range(0..100) < 1,
            location,
            caption: (rng.gen_range(0..50) == 0).then(|| format!("Caption number {i}")),
            shared: shared_zone.is_some() && rng.gen_range(0..100) < 5,
            change_tag: String::new(),
        });
    }
    let mut albums = Vec::new();
    let trips = uuid_upper(&mut rng);
    let year = uuid_upper(&mut rng);
    albums.push(FakeAlbum {
        record_name: trips.clone(),
        name: "Trips".into(),
        folder: true,
        parent: None,
        members: vec![],
    });
    albums.push(FakeAlbum {
        record_name: year.clone(),
        name: "2019".into(),
        folder: true,
        parent: Some(trips.clone()),
        members: vec![],
    });
    let own: Vec<String> = photos
        .iter()
        .filter(|p| !p.shared)
        .map(|p| p.asset_id.clone())
        .collect();
    let pick = |every: usize, offset: usize| -> Vec<String> {
        own.iter().skip(offset).step_by(every).cloned().collect()
    };
    albums.push(FakeAlbum {
        record_name: uuid_upper(&mut rng),
        name: "Paris".into(),
        folder: false,
        parent: Some(year),
        members: pick(7, 0),
    });
    albums.push(FakeAlbum {
        record_name: uuid_upper(&mut rng),
        name: "Rome".into(),
        folder: false,
        parent: Some(trips),
        members: pick(11, 3),
    });
    albums.push(FakeAlbum {
        record_name: uuid_upper(&mut rng),
        name: "Family".into(),
        folder: false,
        parent: None,
        members: pick(5, 1),
    });
    FakeLibrary {
        photos,
        albums,
        shared_zone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_thousand_items_are_quick_and_unique() {
        let m = media();
        assert_eq!(super::super::content::pixel_size(&m.movie), Some((64, 48)));
        assert_eq!(
            super::super::content::pixel_size(&m.portrait),
            Some((48, 64))
        );
        let t = std::time::Instant::now();
        let lib = generated_library(5000, 7);
        assert!(t.elapsed().as_secs_f64() < 3.0, "took {:?}", t.elapsed());
        assert_eq!(lib.photos.len(), 5000);
        let mut sums: Vec<[u8; 21]> = lib
            .photos
            .iter()
            .map(|p| super::super::content::file_checksum(&p.bytes))
            .collect();
        sums.sort();
        sums.dedup();
        assert_eq!(sums.len(), 5000);
        let live = lib
            .photos
            .iter()
            .filter(|p| matches!(p.kind, FakeKind::Live { .. }))
            .count();
        let video = lib
            .photos
            .iter()
            .filter(|p| matches!(p.kind, FakeKind::Video))
            .count();
        assert!((150..400).contains(&live), "live {live}");
        assert!((60..250).contains(&video), "video {video}");
        assert!(lib.photos.iter().any(|p| p.hidden) && lib.photos.iter().any(|p| p.favorite));
        assert!(lib.photos.iter().any(|p| p.edited.is_some()));
        assert_eq!(lib.albums.len(), 5);
        let same = generated_library(20, 7);
        assert_eq!(same.photos[3].asset_id, lib.photos[3].asset_id);
    }
}
