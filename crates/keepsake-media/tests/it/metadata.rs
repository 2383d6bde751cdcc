//! Metadata extraction, XMP sidecars and the date engine against generated
//! fixtures whose truth is known: every file here is built byte by byte (or by
//! the real ffmpeg), so each assertion is exact. Also checks that truncated,
//! mutated and random inputs are errors, never panics.

mod fixtures;

use fixtures::*;
use keepsake_core::time::{Civil, Timestamp};
use keepsake_media::MediaError;
use keepsake_media::metadata::dates::{self, DateInputs, DateSource, NameDate, resolve};
use keepsake_media::metadata::xmp::{self, Sidecar};
use keepsake_media::metadata::{
    ByteRange, CaptureDate, Gps, MediaMetadata, read_metadata, read_metadata_bytes,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::Path;

fn civil(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Civil {
    Civil {
        year: y,
        month: mo,
        day: d,
        hour: h,
        minute: mi,
        second: s,
        millis: 0,
    }
}

fn iso(s: &str) -> Timestamp {
    Timestamp::parse_iso(s).expect("test timestamp")
}

fn read(bytes: &[u8]) -> MediaMetadata {
    read_metadata_bytes(bytes).expect("fixture parses")
}

/// A camera JPEG whose IFD0 is `ifd0` (little-endian unless `be`).
fn camera_jpeg(ifd0: &Ifd, be: bool) -> Vec<u8> {
    jpeg(&[app1_exif(&tiff(ifd0, be))], 640, 480)
}

fn full_exif_ifd0() -> Ifd {
    let exif = Ifd::new()
        .with(0x829a, Val::Rational(vec![(1, 250)]))
        .with(0x829d, Val::Rational(vec![(28, 10)]))
        .with(0x8827, Val::Short(vec![400]))
        .with(0x9003, exif_date("2019:07:12 18:15:12"))
        .with(0x9004, exif_date("2019:07:12 18:15:13"))
        .with(0x9011, ascii("+02:00"))
        .with(0x9012, ascii("+02:00"))
        .with(0x9291, ascii("345"))
        .with(0x920a, Val::Rational(vec![(50, 1)]))
        .with(0xa001, Val::Short(vec![1]))
        .with(0xa434, ascii("EF50mm f/1.8 STM"));
    Ifd::new()
        .with(0x010f, ascii("Canon"))
        .with(0x0110, ascii("Canon EOS R6"))
        .with(0x0112, Val::Short(vec![1]))
        .with(0x010e, ascii("  Sunset over the Seine \0 "))
        .with(0x0131, ascii("Firmware 1.5"))
        .with(0x0132, exif_date("2019:07:13 09:00:00"))
        .with(0x4746, Val::Short(vec![4]))
        .with(0x8769, Val::Ifd(exif))
        .with(0x8825, Val::Ifd(gps_ifd(48.8566, 2.3522, Some(35.0))))
}

// ---------------------------------------------------------------- JPEG / EXIF

#[test]
fn each_exif_orientation_is_read() {
    for o in 1..=8u16 {
        let md = read(&camera_jpeg(
            &Ifd::new().with(0x0112, Val::Short(vec![o])),
            false,
        ));
        assert_eq!(md.orientation, Some(o as u8), "orientation {o}");
        assert_eq!(md.format, Some("jpeg"));
        assert_eq!((md.width, md.height), (Some(640), Some(480)));
    }
    let bad = read(&camera_jpeg(
        &Ifd::new().with(0x0112, Val::Short(vec![9])),
        false,
    ));
    assert_eq!(bad.orientation, None, "out-of-range orientation is absent");
}

#[test]
fn camera_fields_are_read_in_both_byte_orders() {
    for be in [false, true] {
        let md = read(&camera_jpeg(&full_exif_ifd0(), be));
        assert_eq!(md.make.as_deref(), Some("Canon"));
        assert_eq!(md.model.as_deref(), Some("Canon EOS R6"));
        assert_eq!(md.lens_model.as_deref(), Some("EF50mm f/1.8 STM"));
        assert_eq!(md.f_number, Some(2.8));
        assert_eq!(md.focal_length, Some(50.0));
        assert_eq!(md.iso, Some(400));
        assert_eq!(md.exposure_time.as_deref(), Some("1/250"));
        assert_eq!(md.description.as_deref(), Some("Sunset over the Seine"));
        assert_eq!(md.rating, Some(4));
        assert_eq!(md.colorspace.as_deref(), Some("sRGB"));
        assert_eq!(md.bits_per_sample, Some(8));
        assert_eq!(md.software.as_deref(), Some("Firmware 1.5"));
        assert_eq!(
            md.date_time_original,
            Some(CaptureDate {
                local: Civil {
                    millis: 345,
                    ..civil(2019, 7, 12, 18, 15, 12)
                },
                offset_minutes: Some(120),
            })
        );
        assert_eq!(
            md.create_date,
            Some(CaptureDate {
                local: civil(2019, 7, 12, 18, 15, 13),
                offset_minutes: Some(120)
            })
        );
        assert_eq!(
            md.modify_date,
            Some(CaptureDate {
                local: civil(2019, 7, 13, 9, 0, 0),
                offset_minutes: None
            })
        );
        let gps = md.gps.expect("gps");
        assert!((gps.latitude - 48.8566).abs() < 1e-6);
        assert!((gps.longitude - 2.3522).abs() < 1e-6);
        assert_eq!(gps.altitude, Some(35.0));
    }
}

#[test]
fn exposure_times_print_like_exiftool() {
    for ((n, d), want) in [
        ((1, 250), "1/250"),
        ((10, 2500), "1/250"),
        ((1, 4), "1/4"),
        ((1, 2), "0.5"),
        ((2, 1), "2"),
        ((13, 10), "1.3"),
        ((30, 1), "30"),
    ] {
        let exif = Ifd::new().with(0x829a, Val::Rational(vec![(n, d)]));
        let md = read(&camera_jpeg(
            &Ifd::new().with(0x8769, Val::Ifd(exif)),
            false,
        ));
        assert_eq!(md.exposure_time.as_deref(), Some(want), "{n}/{d}");
    }
}

#[test]
fn camera_placeholder_descriptions_are_dropped() {
    for junk in ["OLYMPUS DIGITAL CAMERA         ", "   ", "SONY DSC"] {
        let md = read(&camera_jpeg(&Ifd::new().with(0x010e, ascii(junk)), false));
        assert_eq!(md.description, None, "{junk:?}");
    }
}

#[test]
fn iso_speed_is_used_when_iso_overflows() {
    let exif = Ifd::new()
        .with(0x8827, Val::Short(vec![65535]))
        .with(0x8833, Val::Long(vec![102_400]));
    let md = read(&camera_jpeg(
        &Ifd::new().with(0x8769, Val::Ifd(exif)),
        false,
    ));
    assert_eq!(md.iso, Some(102_400));
}

#[test]
fn date_time_original_without_offset_has_no_offset() {
    let exif = Ifd::new().with(0x9003, exif_date("2019:07:12 18:15:12"));
    let md = read(&camera_jpeg(
        &Ifd::new().with(0x8769, Val::Ifd(exif)),
        false,
    ));
    assert_eq!(
        md.date_time_original,
        Some(CaptureDate {
            local: civil(2019, 7, 12, 18, 15, 12),
            offset_minutes: None
        })
    );
}

#[test]
fn zeroed_exif_dates_are_absent() {
    let exif = Ifd::new().with(0x9003, exif_date("0000:00:00 00:00:00"));
    let md = read(&camera_jpeg(
        &Ifd::new().with(0x8769, Val::Ifd(exif)),
        false,
    ));
    assert_eq!(md.date_time_original, None);
}

fn gps_jpeg(lat: f64, lon: f64, alt: Option<f64>) -> MediaMetadata {
    read(&camera_jpeg(
        &Ifd::new().with(0x8825, Val::Ifd(gps_ifd(lat, lon, alt))),
        false,
    ))
}

#[test]
fn gps_north_east_is_positive() {
    let g = gps_jpeg(48.8584, 2.2945, Some(35.0)).gps.expect("gps");
    assert!((g.latitude - 48.8584).abs() < 1e-6 && (g.longitude - 2.2945).abs() < 1e-6);
    assert_eq!(g.altitude, Some(35.0));
}

#[test]
fn gps_south_west_is_negative() {
    let g = gps_jpeg(-22.9519, -43.2105, Some(-12.5)).gps.expect("gps");
    assert!((g.latitude + 22.9519).abs() < 1e-6, "{g:?}");
    assert!((g.longitude + 43.2105).abs() < 1e-6, "{g:?}");
    assert_eq!(g.altitude, Some(-12.5), "below sea level");
}

#[test]
fn gps_north_west_and_south_east_mix_signs() {
    let g = gps_jpeg(40.6892, -74.0445, None).gps.expect("gps");
    assert!(g.latitude > 40.0 && g.longitude < -74.0);
    let g = gps_jpeg(-33.8568, 151.2153, None).gps.expect("gps");
    assert!(g.latitude < -33.0 && g.longitude > 151.0);
}

#[test]
fn gps_null_island_is_absent() {
    assert_eq!(gps_jpeg(0.0, 0.0, None).gps, None);
}

#[test]
fn gps_time_combines_date_and_time_stamps() {
    let g = Ifd::new()
        .with(7, Val::Rational(vec![(16, 1), (15, 1), (1230, 100)]))
        .with(29, ascii("2019:07:12"));
    let md = read(&camera_jpeg(&Ifd::new().with(0x8825, Val::Ifd(g)), false));
    assert_eq!(md.gps_time, Some(iso("2019-07-12T16:15:12.300Z")));
}

#[test]
fn xp_keywords_and_embedded_xmp_become_tags_and_fill_gaps() {
    let kw: Vec<u8> = "cat; dog\0"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let ifd0 = Ifd::new().with(0x9c9e, Val::Byte(kw));
    let packet = xmp_packet(
        r#"xmp:Rating="5" GPano:ProjectionType="equirectangular""#,
        r#"<dc:description><rdf:Alt><rdf:li xml:lang="x-default">From XMP</rdf:li></rdf:Alt></dc:description>
           <dc:subject><rdf:Bag><rdf:li>dog</rdf:li><rdf:li>beach</rdf:li></rdf:Bag></dc:subject>
           <exif:DateTimeOriginal>2021-02-03T04:05:06-05:00</exif:DateTimeOriginal>"#,
    );
    let j = jpeg(&[app1_exif(&tiff(&ifd0, false)), app1_xmp(&packet)], 10, 10);
    let md = read(&j);
    assert_eq!(md.tags, vec!["dog", "beach", "cat"]);
    assert_eq!(md.rating, Some(5));
    assert_eq!(md.description.as_deref(), Some("From XMP"));
    assert_eq!(md.projection_type.as_deref(), Some("equirectangular"));
    assert_eq!(
        md.date_time_original,
        Some(CaptureDate {
            local: civil(2021, 2, 3, 4, 5, 6),
            offset_minutes: Some(-300)
        })
    );
}

#[test]
fn extended_xmp_chunks_are_assembled() {
    let guid = b"0123456789ABCDEF0123456789ABCDEF";
    let main = xmp_packet(
        r#"xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="0123456789ABCDEF0123456789ABCDEF""#,
        "",
    );
    let ext = xmp_packet(
        r#"GPano:ProjectionType="equirectangular""#,
        r#"<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Extended</rdf:li></rdf:Alt></dc:description>"#,
    );
    let half = ext.len() / 2;
    let chunk = |offset: usize, data: &[u8]| {
        let mut p = b"http://ns.adobe.com/xmp/extension/\0".to_vec();
        p.extend_from_slice(guid);
        p.extend_from_slice(&(ext.len() as u32).to_be_bytes());
        p.extend_from_slice(&(offset as u32).to_be_bytes());
        p.extend_from_slice(data);
        segment(0xE1, &p)
    };
    let j = jpeg(
        &[
            app1_xmp(&main),
            chunk(half, &ext.as_bytes()[half..]),
            chunk(0, &ext.as_bytes()[..half]),
        ],
        10,
        10,
    );
    let md = read(&j);
    assert_eq!(md.projection_type.as_deref(), Some("equirectangular"));
    assert_eq!(md.description.as_deref(), Some("Extended"));
}

#[test]
fn exif_wins_over_embedded_xmp() {
    let exif = Ifd::new().with(0x9003, exif_date("2019:07:12 18:15:12"));
    let ifd0 = Ifd::new()
        .with(0x4746, Val::Short(vec![2]))
        .with(0x8769, Val::Ifd(exif));
    let packet = xmp_packet(
        r#"xmp:Rating="5" exif:DateTimeOriginal="2000-01-01T00:00:00""#,
        "",
    );
    let md = read(&jpeg(
        &[app1_exif(&tiff(&ifd0, false)), app1_xmp(&packet)],
        10,
        10,
    ));
    assert_eq!(md.rating, Some(2));
    assert_eq!(md.date_time_original.map(|d| d.local.year), Some(2019));
}

/// An ICC profile whose `desc` tag is the v4 `mluc` type.
fn icc_mluc(desc: &str) -> Vec<u8> {
    let text: Vec<u8> = desc.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let mut tag = b"mluc\0\0\0\0".to_vec();
    tag.extend_from_slice(&1u32.to_be_bytes());
    tag.extend_from_slice(&12u32.to_be_bytes());
    tag.extend_from_slice(b"enUS");
    tag.extend_from_slice(&(text.len() as u32).to_be_bytes());
    tag.extend_from_slice(&28u32.to_be_bytes());
    tag.extend_from_slice(&text);
    let mut icc = vec![0u8; 128];
    icc.extend_from_slice(&1u32.to_be_bytes());
    icc.extend_from_slice(b"desc");
    icc.extend_from_slice(&144u32.to_be_bytes());
    icc.extend_from_slice(&(tag.len() as u32).to_be_bytes());
    icc.extend_from_slice(&tag);
    let len = icc.len() as u32;
    icc[0..4].copy_from_slice(&len.to_be_bytes());
    icc
}

#[test]
fn icc_profile_description_is_read_from_app2() {
    let mut p = b"ICC_PROFILE\0\x01\x01".to_vec();
    p.extend_from_slice(&icc_mluc("Display P3"));
    let md = read(&jpeg(&[segment(0xE2, &p)], 10, 10));
    assert_eq!(md.profile_description.as_deref(), Some("Display P3"));
}

// ---------------------------------------------------------------- PNG / WebP / GIF

#[test]
fn png_with_xmp_and_exif() {
    let mut ihdr = 800u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&600u32.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    let packet = xmp_packet(
        r#"xmp:Rating="3""#,
        r#"<dc:description><rdf:Alt><rdf:li xml:lang="x-default">A PNG</rdf:li></rdf:Alt></dc:description>"#,
    );
    let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt.extend_from_slice(packet.as_bytes());
    let exif = tiff(&Ifd::new().with(0x0112, Val::Short(vec![6])), true);
    let png = cat(&[
        b"\x89PNG\r\n\x1a\n".to_vec(),
        png_chunk(b"IHDR", &ihdr),
        png_chunk(b"iTXt", &itxt),
        png_chunk(b"eXIf", &exif),
        png_chunk(b"IDAT", &[0; 16]),
        png_chunk(b"IEND", &[]),
    ]);
    let md = read(&png);
    assert_eq!(md.format, Some("png"));
    assert_eq!((md.width, md.height), (Some(800), Some(600)));
    assert_eq!(md.bits_per_sample, Some(16));
    assert_eq!(md.rating, Some(3));
    assert_eq!(md.description.as_deref(), Some("A PNG"));
    assert_eq!(md.orientation, Some(6));
}

fn webp_fixture() -> Vec<u8> {
    let exif = tiff(&full_exif_ifd0(), false);
    let mut vp8x = vec![0x08, 0, 0, 0];
    vp8x.extend_from_slice(&(1023u32.to_le_bytes()[..3]));
    vp8x.extend_from_slice(&(767u32.to_le_bytes()[..3]));
    let body = cat(&[
        b"WEBP".to_vec(),
        riff_chunk(b"VP8X", &vp8x),
        riff_chunk(b"VP8L", &[0x2f, 0, 0, 0, 0]),
        riff_chunk(b"EXIF", &exif),
    ]);
    let mut riff = b"RIFF".to_vec();
    riff.extend_from_slice(&(body.len() as u32).to_le_bytes());
    riff.extend_from_slice(&body);
    riff
}

#[test]
fn webp_with_exif() {
    let md = read(&webp_fixture());
    assert_eq!(md.format, Some("webp"));
    assert_eq!((md.width, md.height), (Some(1024), Some(768)));
    assert_eq!(md.make.as_deref(), Some("Canon"));
    assert_eq!(md.iso, Some(400));
    assert_eq!(
        md.date_time_original.and_then(|d| d.offset_minutes),
        Some(120)
    );
}

#[test]
fn gif_logical_screen_size() {
    let mut g = b"GIF89a".to_vec();
    g.extend_from_slice(&300u16.to_le_bytes());
    g.extend_from_slice(&200u16.to_le_bytes());
    g.extend_from_slice(&[0, 0, 0, 0x3b]);
    let md = read(&g);
    assert_eq!(
        (md.format, md.width, md.height),
        (Some("gif"), Some(300), Some(200))
    );
}

// ---------------------------------------------------------------- HEIC

/// A HEIF file: primary item 1 (hvc1) with ispe and `extra_props`, item 2 Exif.
fn heic_fixture(exif_ifd0: Option<&Ifd>, extra_props: &[Vec<u8>]) -> Vec<u8> {
    let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
    let mut exif_payload = 6u32.to_be_bytes().to_vec();
    exif_payload.extend_from_slice(b"Exif\0\0");
    if let Some(ifd) = exif_ifd0 {
        exif_payload.extend_from_slice(&tiff(ifd, false));
    }
    let image = vec![0xAB; 64];
    let build_meta = |exif_off: u32, img_off: u32| -> Vec<u8> {
        let hdlr = full(b"hdlr", 0, 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0");
        let pitm = full(b"pitm", 0, 0, &1u16.to_be_bytes());
        let infe = |id: u16, kind: &[u8; 4]| {
            let mut b = id.to_be_bytes().to_vec();
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(kind);
            b.push(0);
            full(b"infe", 2, 0, &b)
        };
        let mut iinf = 2u16.to_be_bytes().to_vec();
        iinf.extend_from_slice(&infe(1, b"hvc1"));
        iinf.extend_from_slice(&infe(2, b"Exif"));
        let iinf = full(b"iinf", 0, 0, &iinf);
        // iloc v1: offset 4, length 4, base 0, index 0.
        let mut iloc = vec![0x44, 0x00];
        iloc.extend_from_slice(&2u16.to_be_bytes());
        for (id, off, len) in [
            (1u16, img_off, image.len() as u32),
            (2u16, exif_off, exif_payload.len() as u32),
        ] {
            iloc.extend_from_slice(&id.to_be_bytes());
            iloc.extend_from_slice(&0u16.to_be_bytes()); // construction method 0
            iloc.extend_from_slice(&0u16.to_be_bytes()); // data reference
            iloc.extend_from_slice(&1u16.to_be_bytes()); // one extent
            iloc.extend_from_slice(&off.to_be_bytes());
            iloc.extend_from_slice(&len.to_be_bytes());
        }
        let iloc = full(b"iloc", 1, 0, &iloc);
        let mut ispe = 4032u32.to_be_bytes().to_vec();
        ispe.extend_from_slice(&3024u32.to_be_bytes());
        let mut props = vec![full(b"ispe", 0, 0, &ispe)];
        props.extend_from_slice(extra_props);
        let ipco = bx(b"ipco", &props.concat());
        let mut ipma = 1u32.to_be_bytes().to_vec();
        ipma.extend_from_slice(&1u16.to_be_bytes());
        ipma.push(props.len() as u8);
        for i in 1..=props.len() as u8 {
            ipma.push(0x80 | i);
        }
        let ipma = full(b"ipma", 0, 0, &ipma);
        let iprp = bx(b"iprp", &cat(&[ipco, ipma]));
        full(b"meta", 0, 0, &cat(&[hdlr, pitm, iinf, iloc, iprp]))
    };
    let meta_len = build_meta(0, 0).len();
    let mdat_body_at = (ftyp.len() + meta_len + 8) as u32;
    let meta = build_meta(mdat_body_at, mdat_body_at + exif_payload.len() as u32);
    let mdat = bx(b"mdat", &cat(&[exif_payload.clone(), image.clone()]));
    cat(&[ftyp, meta, mdat])
}

#[test]
fn heic_exif_item_and_primary_item_size_are_read() {
    let md = read(&heic_fixture(Some(&full_exif_ifd0()), &[bx(b"irot", &[1])]));
    assert_eq!(md.format, Some("heic"));
    assert!(!md.is_video);
    assert_eq!((md.width, md.height), (Some(4032), Some(3024)));
    assert_eq!(md.make.as_deref(), Some("Canon"));
    assert_eq!(md.f_number, Some(2.8));
    assert_eq!(
        md.orientation,
        Some(1),
        "EXIF orientation is reported as found"
    );
    assert_eq!(
        md.date_time_original.and_then(|d| d.offset_minutes),
        Some(120)
    );
}

#[test]
fn avif_brand_is_avif() {
    let mut f = heic_fixture(Some(&full_exif_ifd0()), &[]);
    f[8..12].copy_from_slice(b"avif");
    f[20..24].copy_from_slice(b"avif");
    let md = read(&f);
    assert_eq!(md.format, Some("avif"));
    assert_eq!((md.width, md.height), (Some(4032), Some(3024)));
    assert_eq!(md.make.as_deref(), Some("Canon"));
}

#[test]
fn heic_without_exif_orientation_uses_irot_and_imir() {
    let no_orientation = Ifd::new().with(0x010f, ascii("Apple"));
    for (props, want) in [
        (vec![bx(b"irot", &[1])], 8),
        (vec![bx(b"irot", &[2])], 3),
        (vec![bx(b"irot", &[3])], 6),
        (vec![bx(b"imir", &[0])], 2),
        (vec![bx(b"imir", &[1])], 4),
        (vec![], 1),
    ] {
        let md = read(&heic_fixture(Some(&no_orientation), &props));
        let got = md.orientation.unwrap_or(1);
        assert_eq!(got, want, "{:?}", props.first().map(|p| p[4..].to_vec()));
    }
}

#[test]
fn heic_colour_profile_from_colr_prof() {
    let mut colr = b"prof".to_vec();
    colr.extend_from_slice(&icc_mluc("Display P3"));
    let md = read(&heic_fixture(None, &[bx(b"colr", &colr)]));
    assert_eq!(md.profile_description.as_deref(), Some("Display P3"));
}

// ---------------------------------------------------------------- RAW

fn preview_jpeg() -> Vec<u8> {
    jpeg(&[], 1024, 683)
}

/// A NEF-like TIFF: IFD0 thumbnail, SubIFD 1 JPEG preview, SubIFD 2 CFA raw.
fn nef_fixture(dng: bool) -> Vec<u8> {
    let preview = preview_jpeg();
    let exif = Ifd::new()
        .with(0x9003, exif_date("2020:01:02 03:04:05"))
        .with(0x829d, Val::Rational(vec![(4, 1)]));
    let preview_ifd = Ifd::new()
        .with(0x00fe, Val::Long(vec![1]))
        .with(0x0103, Val::Short(vec![6]))
        .with(0x0201, Val::Blob(preview.clone()))
        .with(0x0202, Val::Long(vec![preview.len() as u32]));
    let raw_ifd = Ifd::new()
        .with(0x00fe, Val::Long(vec![0]))
        .with(0x0100, Val::Long(vec![8288]))
        .with(0x0101, Val::Long(vec![5520]))
        .with(0x0102, Val::Short(vec![14]))
        .with(0x0103, Val::Short(vec![34713]))
        .with(0x0106, Val::Short(vec![32803]));
    let mut ifd0 = Ifd::new()
        .with(0x00fe, Val::Long(vec![1]))
        .with(0x0100, Val::Long(vec![160]))
        .with(0x0101, Val::Long(vec![120]))
        .with(0x0103, Val::Short(vec![1]))
        .with(0x010f, ascii("NIKON CORPORATION"))
        .with(0x0110, ascii("NIKON D850"))
        .with(0x0112, Val::Short(vec![6]))
        .with(0x014a, Val::Ifds(vec![preview_ifd, raw_ifd]))
        .with(0x8769, Val::Ifd(exif));
    if dng {
        ifd0 = ifd0.with(0xc612, Val::Byte(vec![1, 4, 0, 0]));
    }
    tiff(&ifd0, true)
}

fn assert_preview_is_jpeg(file: &[u8], r: ByteRange, want_len: usize) {
    let start = r.offset as usize;
    assert_eq!(
        &file[start..start + 2],
        &[0xFF, 0xD8],
        "preview starts with SOI"
    );
    assert_eq!(r.len as usize, want_len);
    assert_eq!(&file[start + want_len - 2..start + want_len], &[0xFF, 0xD9]);
}

#[test]
fn tiff_raw_embedded_preview_points_at_the_jpeg() {
    let file = nef_fixture(false);
    let md = read(&file);
    assert_eq!(md.format, Some("nef"));
    assert_eq!(
        (md.width, md.height),
        (Some(8288), Some(5520)),
        "sensor size"
    );
    assert_eq!(md.orientation, Some(6));
    assert_eq!(md.f_number, Some(4.0));
    assert_eq!(md.bits_per_sample, Some(14));
    assert_preview_is_jpeg(
        &file,
        md.embedded_preview.expect("preview"),
        preview_jpeg().len(),
    );

    let dng = read(&nef_fixture(true));
    assert_eq!(dng.format, Some("dng"));
}

#[test]
fn raf_preview_and_exif_come_from_the_embedded_jpeg() {
    let inner = camera_jpeg(&full_exif_ifd0(), false);
    let mut head = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
    head.resize(84, 0);
    let jpeg_at = 200u32;
    let dir_at = jpeg_at + inner.len() as u32;
    for v in [jpeg_at, inner.len() as u32, dir_at, 12] {
        head.extend_from_slice(&v.to_be_bytes());
    }
    head.resize(jpeg_at as usize, 0);
    let mut dir = 1u32.to_be_bytes().to_vec();
    dir.extend_from_slice(&[0x01, 0x00, 0, 4]);
    dir.extend_from_slice(&4000u16.to_be_bytes());
    dir.extend_from_slice(&6000u16.to_be_bytes());
    let file = cat(&[head, inner.clone(), dir]);
    let md = read(&file);
    assert_eq!(md.format, Some("raf"));
    assert_eq!(
        md.make.as_deref(),
        Some("Canon"),
        "EXIF of the embedded JPEG"
    );
    assert_eq!((md.width, md.height), (Some(6000), Some(4000)));
    assert_preview_is_jpeg(&file, md.embedded_preview.expect("preview"), inner.len());
}

#[test]
fn rw2_jpg_from_raw_gives_exif_and_preview() {
    let inner = camera_jpeg(&full_exif_ifd0(), false);
    let ifd0 = Ifd::new()
        .with(0x0002, Val::Short(vec![5200]))
        .with(0x0003, Val::Short(vec![3900]))
        .with(0x010f, ascii("Panasonic"))
        .with(0x002e, Val::Undefined(inner.clone()));
    let file = tiff_with_magic(&ifd0, false, 0x55);
    let md = read(&file);
    assert_eq!(md.format, Some("rw2"));
    assert_eq!(md.make.as_deref(), Some("Panasonic"));
    assert_eq!(md.iso, Some(400));
    assert_eq!((md.width, md.height), (Some(5200), Some(3900)));
    assert_preview_is_jpeg(&file, md.embedded_preview.expect("preview"), inner.len());
}

const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];
const CANON_PREVIEW_UUID: [u8; 16] = [
    0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
];

/// A CR3: CMT1/CMT2/CMT4 TIFF blocks, a PRVW preview and a full-size JPEG
/// as the first sample of track 1. Returns the file, PRVW and full JPEG.
fn cr3_fixture() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let prvw_jpeg = jpeg(&[], 1620, 1080);
    let full_jpeg = jpeg(&[], 8192, 5464);
    let cmt1 = tiff(
        &Ifd::new()
            .with(0x010f, ascii("Canon"))
            .with(0x0110, ascii("Canon EOS R5"))
            .with(0x0112, Val::Short(vec![8])),
        false,
    );
    let cmt2 = tiff(
        &Ifd::new()
            .with(0x9003, exif_date("2021:05:06 07:08:09"))
            .with(0x829d, Val::Rational(vec![(56, 10)]))
            .with(0x8827, Val::Short(vec![800])),
        false,
    );
    let cmt4 = tiff(&gps_ifd(51.5007, -0.1246, None), false);
    let canon = bx(
        b"uuid",
        &cat(&[
            CANON_UUID.to_vec(),
            bx(b"CMT1", &cmt1),
            bx(b"CMT2", &cmt2),
            bx(b"CMT4", &cmt4),
        ]),
    );
    let build_moov = |jpeg_at: u64| {
        let mut craw = vec![0u8; 6];
        craw.extend_from_slice(&1u16.to_be_bytes());
        craw.extend_from_slice(&[0; 16]);
        craw.extend_from_slice(&8192u16.to_be_bytes());
        craw.extend_from_slice(&5464u16.to_be_bytes());
        craw.extend_from_slice(&[0; 50]);
        let stsd = full(
            b"stsd",
            0,
            0,
            &cat(&[1u32.to_be_bytes().to_vec(), bx(b"CRAW", &craw)]),
        );
        let stsz = full(
            b"stsz",
            0,
            0,
            &cat(&[
                0u32.to_be_bytes().to_vec(),
                1u32.to_be_bytes().to_vec(),
                (full_jpeg.len() as u32).to_be_bytes().to_vec(),
            ]),
        );
        let co64 = full(
            b"co64",
            0,
            0,
            &cat(&[1u32.to_be_bytes().to_vec(), jpeg_at.to_be_bytes().to_vec()]),
        );
        let stbl = bx(b"stbl", &cat(&[stsd, stsz, co64]));
        let trak = bx(b"trak", &bx(b"mdia", &bx(b"minf", &stbl)));
        bx(b"moov", &cat(&[canon.clone(), trak]))
    };
    let ftyp = bx(b"ftyp", b"crx \0\0\0\x01crx isom");
    let mut prvw = vec![0, 0, 0, 0, 0, 1];
    prvw.extend_from_slice(&1620u16.to_be_bytes());
    prvw.extend_from_slice(&1080u16.to_be_bytes());
    prvw.extend_from_slice(&[0, 1]);
    prvw.extend_from_slice(&(prvw_jpeg.len() as u32).to_be_bytes());
    prvw.extend_from_slice(&prvw_jpeg);
    let preview_uuid = bx(
        b"uuid",
        &cat(&[CANON_PREVIEW_UUID.to_vec(), vec![0; 8], bx(b"PRVW", &prvw)]),
    );
    let moov_len = build_moov(0).len();
    let jpeg_at = (ftyp.len() + moov_len + preview_uuid.len() + 8) as u64;
    let file = cat(&[
        ftyp,
        build_moov(jpeg_at),
        preview_uuid,
        bx(b"mdat", &full_jpeg),
    ]);
    (file, prvw_jpeg, full_jpeg)
}

#[test]
fn cr3_tiff_blocks_and_largest_preview() {
    let (file, _, full_jpeg) = cr3_fixture();
    let md = read(&file);
    assert_eq!(md.format, Some("cr3"));
    assert!(!md.is_video);
    assert_eq!(md.make.as_deref(), Some("Canon"));
    assert_eq!(md.model.as_deref(), Some("Canon EOS R5"));
    assert_eq!(md.orientation, Some(8));
    assert_eq!(md.f_number, Some(5.6));
    assert_eq!(md.iso, Some(800));
    assert_eq!(
        md.date_time_original.map(|d| d.local),
        Some(civil(2021, 5, 6, 7, 8, 9))
    );
    let g = md.gps.expect("gps");
    assert!(g.latitude > 51.5 && g.longitude < -0.12);
    assert_eq!((md.width, md.height), (Some(8192), Some(5464)));
    assert_preview_is_jpeg(
        &file,
        md.embedded_preview.expect("preview"),
        full_jpeg.len(),
    );
}

#[test]
fn cr3_without_full_jpeg_uses_prvw() {
    let (file, prvw_jpeg, full_jpeg) = cr3_fixture();
    // Break the track's JPEG: the PRVW preview is then the largest one.
    let mut broken = file.clone();
    let at = file.len() - full_jpeg.len();
    broken[at] = 0;
    let md = read(&broken);
    assert_preview_is_jpeg(
        &broken,
        md.embedded_preview.expect("preview"),
        prvw_jpeg.len(),
    );
}

// ---------------------------------------------------------------- video / live photos

const CID: &str = "1F2E3D4C-5B6A-4789-9012-ABCDEF123456";

/// A QuickTime movie with one video track and Apple `mdta` keys.
fn apple_mov(keys: &[(&str, &str)], matrix_ab_cd: [i32; 4], creation_qt: u32) -> Vec<u8> {
    let fixed = |v: i32| (v * 0x10000).to_be_bytes();
    let mut mvhd = creation_qt.to_be_bytes().to_vec();
    mvhd.extend_from_slice(&creation_qt.to_be_bytes());
    mvhd.extend_from_slice(&600u32.to_be_bytes());
    mvhd.extend_from_slice(&1800u32.to_be_bytes());
    mvhd.extend_from_slice(&[0; 80]);
    let mvhd = full(b"mvhd", 0, 0, &mvhd);
    let mut tkhd = vec![0u8; 36];
    tkhd[8..12].copy_from_slice(&1u32.to_be_bytes());
    let [a, b, c, d] = matrix_ab_cd;
    for v in [a, b, 0, c, d, 0] {
        tkhd.extend_from_slice(&fixed(v));
    }
    tkhd.extend_from_slice(&0u32.to_be_bytes());
    tkhd.extend_from_slice(&0u32.to_be_bytes());
    tkhd.extend_from_slice(&0x4000_0000u32.to_be_bytes());
    tkhd.extend_from_slice(&fixed(1920));
    tkhd.extend_from_slice(&fixed(1080));
    let tkhd = full(b"tkhd", 0, 3, &tkhd);
    let mut mdhd = vec![0u8; 8];
    mdhd.extend_from_slice(&600u32.to_be_bytes());
    mdhd.extend_from_slice(&1800u32.to_be_bytes());
    mdhd.extend_from_slice(&[0; 4]);
    let mdhd = full(b"mdhd", 0, 0, &mdhd);
    let hdlr = |class: &[u8; 4], kind: &[u8; 4]| {
        full(
            b"hdlr",
            0,
            0,
            &cat(&[class.to_vec(), kind.to_vec(), vec![0; 13]]),
        )
    };
    let mut entry = vec![0u8; 6];
    entry.extend_from_slice(&1u16.to_be_bytes());
    entry.extend_from_slice(&[0; 16]);
    entry.extend_from_slice(&1920u16.to_be_bytes());
    entry.extend_from_slice(&1080u16.to_be_bytes());
    entry.extend_from_slice(&[0; 50]);
    let stsd = full(
        b"stsd",
        0,
        0,
        &cat(&[1u32.to_be_bytes().to_vec(), bx(b"hvc1", &entry)]),
    );
    let stts = full(
        b"stts",
        0,
        0,
        &cat(&[
            1u32.to_be_bytes().to_vec(),
            90u32.to_be_bytes().to_vec(),
            20u32.to_be_bytes().to_vec(),
        ]),
    );
    let stsz = full(
        b"stsz",
        0,
        0,
        &cat(&[1000u32.to_be_bytes().to_vec(), 90u32.to_be_bytes().to_vec()]),
    );
    let stbl = bx(b"stbl", &cat(&[stsd, stts, stsz]));
    let minf = bx(b"minf", &cat(&[hdlr(b"dhlr", b"url "), stbl]));
    let mdia = bx(b"mdia", &cat(&[mdhd, hdlr(b"mhlr", b"vide"), minf]));
    let trak = bx(b"trak", &cat(&[tkhd, mdia]));

    let mut key_entries = (keys.len() as u32).to_be_bytes().to_vec();
    let mut items = Vec::new();
    for (i, (k, v)) in keys.iter().enumerate() {
        key_entries.extend_from_slice(&((k.len() + 8) as u32).to_be_bytes());
        key_entries.extend_from_slice(b"mdta");
        key_entries.extend_from_slice(k.as_bytes());
        let data = bx(
            b"data",
            &cat(&[
                1u32.to_be_bytes().to_vec(),
                vec![0; 4],
                v.as_bytes().to_vec(),
            ]),
        );
        items.push(bx(&(i as u32 + 1).to_be_bytes(), &data));
    }
    let meta = bx(
        b"meta",
        &cat(&[
            hdlr(b"\0\0\0\0", b"mdta"),
            full(b"keys", 0, 0, &key_entries),
            bx(b"ilst", &items.concat()),
        ]),
    );
    let moov = bx(b"moov", &cat(&[mvhd, trak, meta]));
    cat(&[
        bx(b"ftyp", b"qt  \0\0\0\0qt  "),
        bx(b"wide", &[]),
        bx(b"mdat", &[0; 256]),
        moov,
    ])
}

/// 2019-07-12T16:15:12Z in QuickTime's 1904 epoch.
const QT_2019_07_12_161512: u32 = 3_645_792_912;

fn apple_keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("com.apple.quicktime.make", "Apple"),
        ("com.apple.quicktime.model", "iPhone 12"),
        ("com.apple.quicktime.software", "14.6"),
        (
            "com.apple.quicktime.creationdate",
            "2019-07-12T18:15:12+0200",
        ),
        (
            "com.apple.quicktime.location.ISO6709",
            "+48.8577+002.2950+035.000/",
        ),
        ("com.apple.quicktime.content.identifier", CID),
    ]
}

#[test]
fn mov_apple_keys_give_offset_date_location_and_track_facts() {
    let md = read(&apple_mov(
        &apple_keys(),
        [0, 1, -1, 0],
        QT_2019_07_12_161512,
    ));
    assert_eq!(md.format, Some("mov"));
    assert!(md.is_video);
    assert_eq!((md.width, md.height), (Some(1920), Some(1080)));
    assert_eq!(md.orientation, Some(6), "90° track matrix");
    assert_eq!(md.duration_ms, Some(3000));
    assert_eq!(md.fps, Some(30.0));
    assert_eq!(md.make.as_deref(), Some("Apple"));
    assert_eq!(md.model.as_deref(), Some("iPhone 12"));
    assert_eq!(md.live_photo_cid.as_deref(), Some(CID));
    assert_eq!(
        md.date_time_original,
        Some(CaptureDate {
            local: civil(2019, 7, 12, 18, 15, 12),
            offset_minutes: Some(120)
        })
    );
    assert_eq!(
        md.create_date,
        Some(CaptureDate {
            local: civil(2019, 7, 12, 16, 15, 12),
            offset_minutes: Some(0)
        })
    );
    assert!(md.create_date_is_utc);
    assert_eq!(
        md.gps,
        Some(Gps {
            latitude: 48.8577,
            longitude: 2.295,
            altitude: Some(35.0)
        })
    );
    let r = resolve(&inputs(None, Some(&md), "IMG_0001.MOV"));
    assert_eq!(r.instant, iso("2019-07-12T16:15:12Z"));
    assert_eq!(r.local, iso("2019-07-12T18:15:12Z"));
    assert_eq!(r.time_zone.as_deref(), Some("UTC+2"));
    assert_eq!(r.source, DateSource::Embedded);
}

#[test]
fn track_matrix_rotations_map_to_orientations() {
    for (m, want) in [
        ([1, 0, 0, 1], 1),
        ([0, 1, -1, 0], 6),
        ([-1, 0, 0, -1], 3),
        ([0, -1, 1, 0], 8),
    ] {
        let md = read(&apple_mov(&[], m, QT_2019_07_12_161512));
        assert_eq!(md.orientation, Some(want), "{m:?}");
    }
}

/// A still whose Exif IFD carries Apple's maker note with a content identifier.
fn apple_still(cid: &str) -> Vec<u8> {
    let mut note = b"Apple iOS\0\0\x01MM".to_vec();
    note.extend_from_slice(&1u16.to_be_bytes());
    note.extend_from_slice(&0x0011u16.to_be_bytes());
    note.extend_from_slice(&2u16.to_be_bytes());
    note.extend_from_slice(&((cid.len() + 1) as u32).to_be_bytes());
    note.extend_from_slice(&32u32.to_be_bytes());
    note.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(note.len(), 32);
    note.extend_from_slice(cid.as_bytes());
    note.push(0);
    let exif = Ifd::new()
        .with(0x9003, exif_date("2019:07:12 18:15:12"))
        .with(0x9011, ascii("+02:00"))
        .with(0x927c, Val::Undefined(note));
    camera_jpeg(
        &Ifd::new()
            .with(0x010f, ascii("Apple"))
            .with(0x8769, Val::Ifd(exif)),
        false,
    )
}

#[test]
fn live_photo_pair_shares_the_content_identifier() {
    let still = read(&apple_still(CID));
    let video = read(&apple_mov(
        &apple_keys(),
        [1, 0, 0, 1],
        QT_2019_07_12_161512,
    ));
    assert_eq!(still.live_photo_cid.as_deref(), Some(CID));
    assert_eq!(still.live_photo_cid, video.live_photo_cid);
    let a = resolve(&inputs(None, Some(&still), "IMG_0001.JPG"));
    let b = resolve(&inputs(None, Some(&video), "IMG_0001.MOV"));
    assert_eq!(a.instant, b.instant, "both halves land on the same instant");
}

#[test]
fn mvhd_creation_time_is_utc_and_gps_gives_the_wall_clock() {
    let keys = [("com.apple.quicktime.location.ISO6709", "+35.6586+139.7454/")];
    let md = read(&apple_mov(&keys, [1, 0, 0, 1], QT_2019_07_12_161512));
    assert_eq!(md.date_time_original, None);
    let r = resolve(&inputs(None, Some(&md), "clip.mp4"));
    assert_eq!(r.instant, iso("2019-07-12T16:15:12Z"));
    assert_eq!(r.local, iso("2019-07-13T01:15:12Z"));
    assert_eq!(r.time_zone.as_deref(), Some("Asia/Tokyo"));
}

#[test]
fn ffmpeg_made_mp4_has_creation_time_rotation_and_rate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("plain.mp4");
    let rotated = dir.path().join("rotated.mp4");
    let ran = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
        ])
        .args([
            "-t",
            "2",
            "-c:v",
            "mpeg4",
            "-metadata",
            "creation_time=2019-07-12T16:15:12Z",
        ])
        .args(["-metadata", "location=+48.8577+002.2950/"])
        .arg(&plain)
        .status();
    // CI installs ffmpeg (.ci/run); without it this test fails rather than passing unseen.
    let status = ran.expect("ffmpeg is installed (apt-get install ffmpeg)");
    assert!(status.success());
    // ffmpeg 5.1 ignores rotate= when encoding; a stream copy writes the matrix.
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&plain)
        .args(["-c", "copy", "-metadata:s:v:0", "rotate=270"])
        .args(["-metadata", "creation_time=2019-07-12T16:15:12Z"])
        .arg(&rotated)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let md = read_metadata(&rotated).expect("ffmpeg output parses");
    assert_eq!(md.format, Some("mp4"));
    assert_eq!((md.width, md.height), (Some(320), Some(240)));
    assert_eq!(md.fps, Some(25.0));
    assert_eq!(md.duration_ms, Some(2000));
    assert_eq!(md.orientation, Some(6), "what exiftool calls Rotation 90");
    let g = md
        .gps
        .expect("ffmpeg writes the location as a 3GPP loci box");
    assert!(
        (g.latitude - 48.8577).abs() < 1e-4 && (g.longitude - 2.295).abs() < 1e-4,
        "{g:?}"
    );
    assert_eq!(
        md.create_date,
        Some(CaptureDate {
            local: civil(2019, 7, 12, 16, 15, 12),
            offset_minutes: Some(0)
        })
    );
}

// ---------------------------------------------------------------- motion photos

#[test]
fn motion_photo_micro_video_offset_range_is_exact() {
    let mp4 = tiny_mp4(500);
    let packet = xmp_packet(
        &format!(
            r#"GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="{}""#,
            mp4.len()
        ),
        "",
    );
    let still = jpeg(&[app1_xmp(&packet)], 64, 48);
    let file = cat(&[still.clone(), mp4.clone()]);
    let md = read(&file);
    assert_eq!(
        md.motion_photo_video,
        Some(ByteRange {
            offset: still.len() as u64,
            len: mp4.len() as u64
        })
    );
    assert_eq!((md.width, md.height), (Some(64), Some(48)));
}

fn container_motion_photo(video_len: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mp4 = tiny_mp4(video_len);
    let body = format!(
        r#"<Container:Directory><rdf:Seq>
  <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
  <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{}"/></rdf:li>
</rdf:Seq></Container:Directory>"#,
        mp4.len()
    );
    let packet = xmp_packet(r#"GCamera:MotionPhoto="1""#, &body);
    let still = jpeg(&[app1_xmp(&packet)], 64, 48);
    (cat(&[still.clone(), mp4.clone()]), still, mp4)
}

#[test]
fn motion_photo_container_directory_range_is_exact() {
    let (file, still, mp4) = container_motion_photo(700);
    let md = read(&file);
    assert_eq!(
        md.motion_photo_video,
        Some(ByteRange {
            offset: still.len() as u64,
            len: mp4.len() as u64
        })
    );
}

#[test]
fn motion_photo_read_from_disk_beyond_the_first_block() {
    let (file, still, mp4) = container_motion_photo(400_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("PXL_20190712_181512345.MP.jpg");
    std::fs::write(&path, &file).expect("write");
    let md = read_metadata(&path).expect("reads from disk");
    assert_eq!(
        md.motion_photo_video,
        Some(ByteRange {
            offset: still.len() as u64,
            len: mp4.len() as u64
        })
    );
    assert_eq!(md, read(&file), "file and bytes readers agree");
}

#[test]
fn samsung_trailer_motion_photo() {
    let still = jpeg(&[], 32, 32);
    let mp4 = tiny_mp4(300);
    let name = b"MotionPhoto_Data";
    let mut block = vec![0, 0, 0x30, 0x0a];
    block.extend_from_slice(&(name.len() as u32).to_le_bytes());
    block.extend_from_slice(name);
    block.extend_from_slice(&mp4);
    let block_len = block.len() as u32;
    let mut sefh = b"SEFH".to_vec();
    sefh.extend_from_slice(&106u32.to_le_bytes());
    sefh.extend_from_slice(&1u32.to_le_bytes());
    sefh.extend_from_slice(&[0, 0, 0x30, 0x0a]);
    sefh.extend_from_slice(&block_len.to_le_bytes()); // back from SEFH to the block
    sefh.extend_from_slice(&block_len.to_le_bytes());
    let sefh_len = sefh.len() as u32;
    let file = cat(&[
        still.clone(),
        block,
        sefh,
        sefh_len.to_le_bytes().to_vec(),
        b"SEFT".to_vec(),
    ]);
    let md = read(&file);
    assert_eq!(
        md.motion_photo_video,
        Some(ByteRange {
            offset: (still.len() + 8 + name.len()) as u64,
            len: mp4.len() as u64
        })
    );
}

#[test]
fn motion_photo_offset_not_pointing_at_mp4_is_ignored() {
    let packet = xmp_packet(
        r#"GCamera:MicroVideo="1" GCamera:MicroVideoOffset="100""#,
        "",
    );
    let file = cat(&[jpeg(&[app1_xmp(&packet)], 8, 8), vec![0x11; 100]]);
    assert_eq!(read(&file).motion_photo_video, None);
}

// ---------------------------------------------------------------- dates

fn inputs<'a>(
    sidecar: Option<&'a Sidecar>,
    metadata: Option<&'a MediaMetadata>,
    file_name: &'a str,
) -> DateInputs<'a> {
    DateInputs {
        sidecar,
        metadata,
        file_name,
        file_created_at: iso("2024-05-05T10:00:00Z"),
        file_modified_at: iso("2024-05-06T10:00:00Z"),
    }
}

fn md_with_dto(local: Civil, offset: Option<i32>, gps: Option<Gps>) -> MediaMetadata {
    MediaMetadata {
        date_time_original: Some(CaptureDate {
            local,
            offset_minutes: offset,
        }),
        gps,
        ..MediaMetadata::default()
    }
}

#[test]
fn offset_time_original_gives_a_fixed_zone() {
    for (offset, zone, instant) in [
        (Some(120), "UTC+2", "2019-07-12T16:15:12Z"),
        (Some(-210), "UTC-3:30", "2019-07-12T21:45:12Z"),
        (Some(0), "UTC", "2019-07-12T18:15:12Z"),
        (Some(345), "UTC+5:45", "2019-07-12T12:30:12Z"),
    ] {
        let md = md_with_dto(civil(2019, 7, 12, 18, 15, 12), offset, None);
        let r = resolve(&inputs(None, Some(&md), "x.jpg"));
        assert_eq!(r.time_zone.as_deref(), Some(zone));
        assert_eq!(r.instant, iso(instant), "{zone}");
        assert_eq!(r.local, iso("2019-07-12T18:15:12Z"));
        assert_eq!(r.source, DateSource::Embedded);
    }
}

#[test]
fn gps_zone_paris_in_july_is_plus_two() {
    let paris = Gps {
        latitude: 48.85,
        longitude: 2.35,
        altitude: None,
    };
    let md = md_with_dto(civil(2019, 7, 12, 18, 15, 12), None, Some(paris));
    let r = resolve(&inputs(None, Some(&md), "x.jpg"));
    assert_eq!(r.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!(r.instant, iso("2019-07-12T16:15:12Z"));
    assert_eq!(r.local, iso("2019-07-12T18:15:12Z"));

    let winter = md_with_dto(civil(2019, 1, 12, 18, 15, 12), None, Some(paris));
    let r = resolve(&inputs(None, Some(&winter), "x.jpg"));
    assert_eq!(r.instant, iso("2019-01-12T17:15:12Z"), "CET in January");
}

#[test]
fn gps_zone_southern_hemisphere() {
    let sydney = Gps {
        latitude: -33.8568,
        longitude: 151.2153,
        altitude: None,
    };
    let md = md_with_dto(civil(2022, 12, 24, 18, 0, 0), None, Some(sydney));
    let r = resolve(&inputs(None, Some(&md), "x.jpg"));
    assert_eq!(r.time_zone.as_deref(), Some("Australia/Sydney"));
    assert_eq!(r.instant, iso("2022-12-24T07:00:00Z"), "AEDT is +11");
}

#[test]
fn gps_clock_gives_the_offset_when_nothing_else_does() {
    let mut md = md_with_dto(civil(2019, 7, 12, 18, 15, 12), None, None);
    md.gps_time = Some(iso("2019-07-12T16:14:58Z"));
    let r = resolve(&inputs(None, Some(&md), "x.jpg"));
    assert_eq!(r.time_zone.as_deref(), Some("UTC+2"));
    assert_eq!(r.instant, iso("2019-07-12T16:15:12Z"));

    md.gps_time = Some(iso("2019-07-10T16:15:12Z"));
    let r = resolve(&inputs(None, Some(&md), "x.jpg"));
    assert_eq!(
        r.time_zone, None,
        "a two-day gap is a wrong clock, not a zone"
    );
}

#[test]
fn no_zone_information_is_floating() {
    let md = md_with_dto(civil(2019, 7, 12, 18, 15, 12), None, None);
    let r = resolve(&inputs(None, Some(&md), "x.jpg"));
    assert_eq!(r.instant, iso("2019-07-12T18:15:12Z"));
    assert_eq!(r.local, r.instant);
    assert_eq!(r.time_zone, None);
}

#[test]
fn create_date_is_used_when_date_time_original_is_missing() {
    let md = MediaMetadata {
        create_date: Some(CaptureDate {
            local: civil(2018, 3, 4, 5, 6, 7),
            offset_minutes: Some(60),
        }),
        ..MediaMetadata::default()
    };
    let r = resolve(&inputs(None, Some(&md), "IMG_20190712_181512.jpg"));
    assert_eq!(r.instant, iso("2018-03-04T04:06:07Z"));
    assert_eq!(r.source, DateSource::Embedded);
}

#[test]
fn xmp_sidecar_overrides_exif() {
    let exif_md = read(&camera_jpeg(&full_exif_ifd0(), false));
    let sidecar = xmp::parse(&xmp_packet(
        "",
        "<exif:DateTimeOriginal>2020-01-01T10:00:00</exif:DateTimeOriginal>",
    ))
    .expect("sidecar parses");
    let r = resolve(&inputs(Some(&sidecar), Some(&exif_md), "IMG_1.jpg"));
    assert_eq!(r.source, DateSource::Sidecar);
    assert_eq!(r.local, iso("2020-01-01T10:00:00Z"));
    // No offset in the sidecar: the file's GPS (Paris, January) decides.
    assert_eq!(r.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!(r.instant, iso("2020-01-01T09:00:00Z"));

    let with_offset = xmp::parse(&xmp_packet(
        r#"photoshop:DateCreated="2020-01-01T10:00:00-05:00""#,
        "",
    ))
    .expect("sidecar parses");
    let r = resolve(&inputs(Some(&with_offset), Some(&exif_md), "IMG_1.jpg"));
    assert_eq!(r.time_zone.as_deref(), Some("UTC-5"));
    assert_eq!(r.instant, iso("2020-01-01T15:00:00Z"));
}

#[test]
fn file_name_dates_come_before_file_times() {
    let r = resolve(&inputs(None, None, "IMG_20190712_181512.jpg"));
    assert_eq!(r.source, DateSource::FileName);
    assert_eq!(r.instant, iso("2019-07-12T18:15:12Z"));
    assert_eq!(r.time_zone, None);

    let r = resolve(&inputs(
        None,
        Some(&MediaMetadata::default()),
        "PXL_20190712_181512345.jpg",
    ));
    assert_eq!(
        r.instant,
        iso("2019-07-12T18:15:12.345Z"),
        "Pixel names are UTC"
    );

    let r = resolve(&inputs(None, None, "holiday.jpg"));
    assert_eq!(r.source, DateSource::FileTime);
    assert_eq!(
        r.instant,
        iso("2024-05-05T10:00:00Z"),
        "the earlier file time"
    );
}

#[test]
fn file_name_patterns() {
    let local = |s: &str| Some(NameDate::Local(Timestamp::parse_iso(s).expect("t").civil()));
    let cases: &[(&str, Option<NameDate>)] = &[
        ("IMG_20190712_181512.jpg", local("2019-07-12T18:15:12Z")),
        ("IMG_20190712_181512_1.jpg", local("2019-07-12T18:15:12Z")),
        ("VID_20190712_181512.mp4", local("2019-07-12T18:15:12Z")),
        ("MVIMG_20190712_181512.jpg", local("2019-07-12T18:15:12Z")),
        (
            "PXL_20190712_181512345.MP.jpg",
            Some(NameDate::Utc(iso("2019-07-12T18:15:12.345Z"))),
        ),
        (
            "PXL_20190712_181512.jpg",
            Some(NameDate::Utc(iso("2019-07-12T18:15:12Z"))),
        ),
        (
            "Screenshot_20190712-181512.png",
            local("2019-07-12T18:15:12Z"),
        ),
        (
            "Screenshot_2019-07-12-18-15-12.png",
            local("2019-07-12T18:15:12Z"),
        ),
        (
            "Screenshot 2019-07-12 at 18.15.12.png",
            local("2019-07-12T18:15:12Z"),
        ),
        ("IMG-20190712-WA0001.jpg", local("2019-07-12T00:00:00Z")),
        ("VID-20190712-WA0042.mp4", local("2019-07-12T00:00:00Z")),
        ("20190712_181512.jpg", local("2019-07-12T18:15:12Z")),
        ("2019-07-12 18.15.12.jpg", local("2019-07-12T18:15:12Z")),
        (
            "signal-2019-07-12-181512.jpg",
            local("2019-07-12T18:15:12Z"),
        ),
        (
            "signal-2019-07-12-181512_002.jpg",
            local("2019-07-12T18:15:12Z"),
        ),
        (
            "/some/dir/img_20190712_181512.JPG",
            local("2019-07-12T18:15:12Z"),
        ),
        // Negatives: wrong shapes, impossible fields, digit runs.
        ("IMG_1234.jpg", None),
        ("DSC_20190712.jpg", None),
        ("IMG_20191312_181512.jpg", None),
        ("IMG_20190230_101010.jpg", None),
        ("IMG_20190712_256000.jpg", None),
        ("IMG_20190712_1815123.jpg", None),
        ("12345678_123456.jpg", None),
        ("18000712_181512.jpg", None),
        ("201907121815120.jpg", None),
        ("IMG-20190712-WB0001.jpg", None),
        ("photo 2019.jpg", None),
        ("", None),
    ];
    for (name, want) in cases {
        assert_eq!(dates::date_from_file_name(name), *want, "{name}");
    }
}

// ---------------------------------------------------------------- XMP

#[test]
fn xmp_element_form_properties() {
    let s = xmp::parse(&xmp_packet(
        "",
        r#"<dc:description><rdf:Alt>
             <rdf:li xml:lang="fr-FR">Coucher de soleil</rdf:li>
             <rdf:li xml:lang="x-default">Sunset &amp; sea</rdf:li>
           </rdf:Alt></dc:description>
           <xmp:Rating>4</xmp:Rating>
           <dc:subject><rdf:Bag><rdf:li>Paris</rdf:li><rdf:li>Sunset</rdf:li><rdf:li>France</rdf:li></rdf:Bag></dc:subject>
           <digiKam:TagsList><rdf:Seq><rdf:li>Places/France/Paris</rdf:li></rdf:Seq></digiKam:TagsList>
           <lr:HierarchicalSubject><rdf:Bag><rdf:li>Places|France|Paris</rdf:li><rdf:li>People|Ann</rdf:li></rdf:Bag></lr:HierarchicalSubject>
           <exif:DateTimeOriginal>2019-07-12T18:15:12+02:00</exif:DateTimeOriginal>
           <exif:GPSLatitude>48,51.456N</exif:GPSLatitude>
           <exif:GPSLongitude>2,21.0E</exif:GPSLongitude>"#,
    ))
    .expect("parses");
    assert_eq!(s.description.as_deref(), Some("Sunset & sea"));
    assert_eq!(s.rating, Some(4));
    assert_eq!(s.tags, vec!["Places/France/Paris", "People/Ann", "Sunset"]);
    assert_eq!(
        s.date_time_original,
        Some(CaptureDate {
            local: civil(2019, 7, 12, 18, 15, 12),
            offset_minutes: Some(120)
        })
    );
    let g = s.gps.expect("gps");
    assert!((g.latitude - (48.0 + 51.456 / 60.0)).abs() < 1e-12);
    assert!((g.longitude - 2.35).abs() < 1e-12);
}

#[test]
fn xmp_attribute_form_properties() {
    let s = xmp::parse(&xmp_packet(
        r#"xmp:Rating="-1" dc:description="plain" photoshop:DateCreated="2019-07-12T18:15" exif:GPSLatitude="33,51,24S" exif:GPSLongitude="151,12,55.08E" exif:GPSAltitude="52/10" exif:GPSAltitudeRef="1""#,
        "",
    ))
    .expect("parses");
    assert_eq!(s.rating, Some(-1));
    assert_eq!(s.description.as_deref(), Some("plain"));
    assert_eq!(
        s.date_time_original,
        Some(CaptureDate {
            local: civil(2019, 7, 12, 18, 15, 0),
            offset_minutes: None
        })
    );
    let g = s.gps.expect("gps");
    assert!((g.latitude + (33.0 + 51.0 / 60.0 + 24.0 / 3600.0)).abs() < 1e-12);
    assert!((g.longitude - (151.0 + 12.0 / 60.0 + 55.08 / 3600.0)).abs() < 1e-12);
    assert_eq!(g.altitude, Some(-5.2));
}

#[test]
fn xmp_date_precedence_and_forms() {
    let s = xmp::parse(&xmp_packet(
        r#"xmp:CreateDate="2001-01-01T00:00:00Z" photoshop:DateCreated="2002-02-02""#,
        "",
    ))
    .expect("parses");
    assert_eq!(
        s.date_time_original,
        Some(CaptureDate {
            local: civil(2002, 2, 2, 0, 0, 0),
            offset_minutes: None
        }),
        "photoshop:DateCreated beats xmp:CreateDate; a bare date is midnight"
    );
    let z = xmp::parse(&xmp_packet(
        r#"xmp:CreateDate="2001-01-01T10:20:30.5Z""#,
        "",
    ))
    .expect("parses");
    assert_eq!(
        z.date_time_original,
        Some(CaptureDate {
            local: Civil {
                millis: 500,
                ..civil(2001, 1, 1, 10, 20, 30)
            },
            offset_minutes: Some(0)
        })
    );
}

#[test]
fn xmp_other_prefixes_resolve_by_namespace() {
    let s = xmp::parse(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
           <r:Description xmlns:adobe="http://ns.adobe.com/xap/1.0/" adobe:Rating="2"/>
           </r:RDF></x:xmpmeta>"#,
    )
    .expect("parses");
    assert_eq!(s.rating, Some(2));
}

#[test]
fn xmp_garbage_is_an_error_not_a_panic() {
    assert!(matches!(
        xmp::parse("<a><b></a>"),
        Err(MediaError::Corrupt(_))
    ));
    assert_eq!(xmp::parse("").expect("empty is empty"), Sidecar::default());
}

fn rich_sidecar() -> Sidecar {
    Sidecar {
        description: Some("Dinner <at> \"Mario's\" & co".into()),
        rating: Some(-1),
        tags: vec![
            "Places/France/Paris".into(),
            "Sunset".into(),
            "Family/Kids".into(),
        ],
        date_time_original: Some(CaptureDate {
            local: Civil {
                millis: 250,
                ..civil(2019, 7, 12, 18, 15, 12)
            },
            offset_minutes: Some(-210),
        }),
        gps: Some(Gps {
            latitude: -33.8568,
            longitude: 151.2153,
            altitude: Some(-12.5),
        }),
    }
}

#[test]
fn xmp_write_then_parse_round_trips() {
    let s = rich_sidecar();
    let text = xmp::write(None, &s);
    assert_eq!(xmp::parse(&text).expect("parses"), s, "{text}");
    assert_eq!(
        xmp::parse(&xmp::write(None, &Sidecar::default())).expect("parses"),
        Sidecar::default()
    );
}

const DARKTABLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:darktable="http://darktable.sf.net/"
   exif:DateTimeOriginal="2019:07:12 18:15:12"
   xmp:Rating="1"
   xmpMM:DerivedFrom="IMG_1234.CR2"
   darktable:xmp_version="5"
   darktable:history_end="2">
   <darktable:masks_history>
    <rdf:Seq/>
   </darktable:masks_history>
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1" darktable:params="0000000000000000"/>
     <rdf:li darktable:num="1" darktable:operation="colorin" darktable:enabled="1"/>
    </rdf:Seq>
   </darktable:history>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>old tag</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"#;

#[test]
fn xmp_darktable_sidecar_reads_exif_style_dates() {
    let s = xmp::parse(DARKTABLE).expect("parses");
    assert_eq!(s.rating, Some(1));
    assert_eq!(s.tags, vec!["old tag"]);
    assert_eq!(
        s.date_time_original.map(|d| d.local),
        Some(civil(2019, 7, 12, 18, 15, 12))
    );
}

#[test]
fn xmp_write_into_darktable_sidecar_keeps_its_properties() {
    let s = rich_sidecar();
    let out = xmp::write(Some(DARKTABLE), &s);
    assert_eq!(xmp::parse(&out).expect("parses"), s, "{out}");
    for kept in [
        r#"xmpMM:DerivedFrom="IMG_1234.CR2""#,
        r#"darktable:history_end="2""#,
        r#"<rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1" darktable:params="0000000000000000"/>"#,
        r#"<rdf:li darktable:num="1" darktable:operation="colorin" darktable:enabled="1"/>"#,
        "<darktable:masks_history>",
        r#"x:xmptk="XMP Core 4.4.0-Exiv2""#,
    ] {
        assert!(out.contains(kept), "lost {kept}:\n{out}");
    }
    for gone in ["old tag", r#"xmp:Rating="1""#, "2019:07:12 18:15:12"] {
        assert!(!out.contains(gone), "kept stale {gone}:\n{out}");
    }
    assert_eq!(
        xmp::write(Some(&out), &s),
        out,
        "writing twice changes nothing"
    );
    let cleared = xmp::write(Some(&out), &Sidecar::default());
    assert_eq!(xmp::parse(&cleared).expect("parses"), Sidecar::default());
    assert!(cleared.contains("darktable:history"));
}

#[test]
fn xmp_write_into_lightroom_and_digikam_sidecars() {
    let lightroom = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/" crs:Exposure2012="+0.50" crs:WhiteBalance="As Shot">
   <lr:HierarchicalSubject><rdf:Bag><rdf:li>Old|Tag</rdf:li></rdf:Bag></lr:HierarchicalSubject>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:digiKam="http://www.digikam.org/ns/1.0/" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/">
   <digiKam:TagsList><rdf:Seq><rdf:li>Old/Tag</rdf:li></rdf:Seq></digiKam:TagsList>
   <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag><rdf:li rdf:parseType="Resource"><mwg-rs:Name>Ann</mwg-rs:Name></rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;
    let s = Sidecar {
        tags: vec!["New/Tag".into()],
        rating: Some(5),
        ..Sidecar::default()
    };
    let out = xmp::write(Some(lightroom), &s);
    assert_eq!(xmp::parse(&out).expect("parses"), s, "{out}");
    for kept in [
        r#"crs:Exposure2012="+0.50""#,
        "<mwg-rs:Name>Ann</mwg-rs:Name>",
        r#"crs:WhiteBalance="As Shot""#,
    ] {
        assert!(out.contains(kept), "lost {kept}:\n{out}");
    }
    assert!(!out.contains("Old"), "{out}");
}

#[test]
fn xmp_write_into_empty_description_and_into_non_xmp() {
    let empty = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:foo="urn:foo" foo:bar="1"/></rdf:RDF></x:xmpmeta>"#;
    let s = rich_sidecar();
    let out = xmp::write(Some(empty), &s);
    assert!(out.contains(r#"foo:bar="1""#), "{out}");
    assert_eq!(xmp::parse(&out).expect("parses"), s);
    let fresh = xmp::write(Some("not xml at all <"), &s);
    assert_eq!(xmp::parse(&fresh).expect("parses"), s);
}

#[test]
fn sidecar_candidates_prefer_the_full_name() {
    let [a, b] = xmp::sidecar_candidates(Path::new("/lib/2019/IMG_1.jpg"));
    assert_eq!(a, Path::new("/lib/2019/IMG_1.jpg.xmp"));
    assert_eq!(b, Path::new("/lib/2019/IMG_1.xmp"));
}

proptest! {
    // Fixtures are generated, so a failure's inputs are in its message; no
    // regression files are written into the source tree.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn xmp_round_trips_arbitrary_values(
        desc in proptest::option::of("[a-zA-Z0-9 <>&\"'éß中]{0,40}"),
        rating in proptest::option::of(-1i8..=5),
        tags in proptest::collection::vec("[a-zA-Z][a-zA-Z0-9 ]{0,8}(/[a-zA-Z][a-zA-Z0-9]{0,8}){0,2}", 0..4),
        lat in -89.999f64..89.999,
        lon in -179.999f64..179.999,
        alt in proptest::option::of(-400.0f64..9000.0),
        offset in proptest::option::of(-14 * 4i32..=14 * 4),
        secs in 0i64..4_000_000_000,
    ) {
        let description = desc.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
        let mut unique: Vec<String> = Vec::new();
        for t in tags {
            let t = t.split('/').map(str::trim).collect::<Vec<_>>().join("/");
            if !unique.contains(&t) {
                unique.push(t);
            }
        }
        // Tags that are also a level of a hierarchical tag are Lightroom's
        // expanded keywords, so a flat one cannot survive beside them.
        let hier: Vec<String> = unique.iter().filter(|t| t.contains('/')).cloned().collect();
        unique.retain(|t| t.contains('/') || !hier.iter().any(|h| h.split('/').any(|p| p == t)));
        let s = Sidecar {
            description,
            rating,
            tags: unique,
            date_time_original: Some(CaptureDate {
                local: Timestamp(secs * 1000).civil(),
                offset_minutes: offset.map(|o| o * 15),
            }),
            gps: Some(Gps { latitude: lat, longitude: lon, altitude: alt.map(|a| (a * 10.0).round() / 10.0) }),
        };
        // (0, 0) is what broken writers emit; it reads back as no position.
        prop_assume!(lat != 0.0 || lon != 0.0);
        let text = xmp::write(None, &s);
        let back = xmp::parse(&text).expect("parses");
        // XMP stores degrees and decimal minutes, and not every f64 is some
        // decimal minute count divided by 60: positions match to 1e-12°.
        let (g, h) = (s.gps.expect("gps"), back.gps.expect("gps read back"));
        prop_assert!((g.latitude - h.latitude).abs() < 1e-12 && (g.longitude - h.longitude).abs() < 1e-12);
        prop_assert_eq!(g.altitude, h.altitude);
        prop_assert_eq!(Sidecar { gps: None, ..back }, Sidecar { gps: None, ..s });
    }
}

// ---------------------------------------------------------------- robustness

#[test]
fn garbage_is_unsupported_and_truncation_is_corrupt() {
    assert!(matches!(
        read_metadata_bytes(b"hello, this is not a picture"),
        Err(MediaError::Unsupported(_))
    ));
    assert!(matches!(
        read_metadata_bytes(&[]),
        Err(MediaError::Unsupported(_))
    ));
    let j = camera_jpeg(&full_exif_ifd0(), false);
    assert!(matches!(
        read_metadata_bytes(&j[..40]),
        Err(MediaError::Corrupt(_))
    ));
    let mov = apple_mov(&apple_keys(), [1, 0, 0, 1], QT_2019_07_12_161512);
    assert!(matches!(
        read_metadata_bytes(&mov[..mov.len() - 10]),
        Err(MediaError::Corrupt(_))
    ));
    let missing = read_metadata(Path::new("/nonexistent/keepsake/file.jpg"));
    assert!(matches!(missing, Err(MediaError::Io { .. })));
}

fn all_fixtures() -> Vec<Vec<u8>> {
    vec![
        camera_jpeg(&full_exif_ifd0(), false),
        camera_jpeg(&full_exif_ifd0(), true),
        apple_still(CID),
        webp_fixture(),
        heic_fixture(
            Some(&full_exif_ifd0()),
            &[bx(b"irot", &[1]), bx(b"imir", &[1])],
        ),
        nef_fixture(false),
        nef_fixture(true),
        apple_mov(&apple_keys(), [0, 1, -1, 0], QT_2019_07_12_161512),
        container_motion_photo(64).0,
        cr3_fixture().0,
        {
            let mut ihdr = 8u32.to_be_bytes().to_vec();
            ihdr.extend_from_slice(&8u32.to_be_bytes());
            ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
            let exif = tiff(&full_exif_ifd0(), false);
            cat(&[
                b"\x89PNG\r\n\x1a\n".to_vec(),
                png_chunk(b"IHDR", &ihdr),
                png_chunk(b"eXIf", &exif),
                png_chunk(b"IEND", &[]),
            ])
        },
    ]
}

#[test]
fn every_truncation_of_every_fixture_is_handled() {
    for f in all_fixtures() {
        for len in 0..f.len() {
            let _ = read_metadata_bytes(&f[..len]);
        }
    }
}

proptest! {
    // Fixtures are generated, so a failure's inputs are in its message; no
    // regression files are written into the source tree.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_metadata_bytes(&bytes);
        let _ = xmp::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_headers_with_known_magic_never_panic(
        magic in 0usize..8,
        rest in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        let prefix: &[u8] = [
            &b"\xFF\xD8\xFF\xE1"[..],
            b"II*\0",
            b"MM\0*",
            b"\x89PNG\r\n\x1a\n",
            b"RIFF\0\0\0\0WEBP",
            b"\0\0\0\x18ftypheic",
            b"\0\0\0\x14ftypqt  ",
            b"FUJIFILMCCD-RAW ",
        ][magic];
        let bytes = cat(&[prefix.to_vec(), rest]);
        let _ = read_metadata_bytes(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..11,
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<proptest::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut f = all_fixtures().swap_remove(which);
        for (at, v) in edits {
            let i = at.index(f.len());
            f[i] = v;
        }
        if truncate {
            f.truncate(cut.index(f.len() + 1));
        }
        let _ = read_metadata_bytes(&f);
    }

    #[test]
    fn mutated_xmp_never_panics(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<char>()), 1..8),
        cut in any::<proptest::sample::Index>(),
    ) {
        let mut chars: Vec<char> = DARKTABLE.chars().collect();
        for (at, c) in edits {
            let i = at.index(chars.len());
            chars[i] = c;
        }
        chars.truncate(cut.index(chars.len() + 1).max(chars.len() / 2));
        let text: String = chars.into_iter().collect();
        let _ = xmp::parse(&text);
        let out = xmp::write(Some(&text), &rich_sidecar());
        // Whatever the input, what Keepsake writes reads back as what it wrote.
        prop_assert_eq!(xmp::parse(&out).expect("written XMP parses"), rich_sidecar());
    }
}

#[test]
fn a_zoned_source_date_keeps_its_offset_when_the_file_says_nothing() {
    let file = dates::ResolvedDate {
        instant: Timestamp(0),
        local: Timestamp(0),
        time_zone: None,
        source: DateSource::FileTime,
    };
    let t = iso("2023-05-01T10:00:00Z");
    let r = dates::reconcile(dates::StatedDate::Zoned(t, 7 * 60), &file, None);
    assert_eq!(r.instant, t);
    assert_eq!(r.local, iso("2023-05-01T17:00:00Z"));
    assert_eq!(r.time_zone.as_deref(), Some("UTC+7"));
    assert_eq!(r.source, DateSource::Import);
}

#[test]
fn a_zoned_source_date_keeps_the_files_zone_name_when_both_agree() {
    let t = iso("2023-05-01T10:00:00Z");
    let file = dates::ResolvedDate {
        instant: t,
        local: iso("2023-05-01T12:00:00Z"),
        time_zone: Some("Europe/Paris".into()),
        source: DateSource::Embedded,
    };
    let r = dates::reconcile(dates::StatedDate::Zoned(t, 120), &file, None);
    assert_eq!(r.time_zone.as_deref(), Some("Europe/Paris"));
    // A corrected date at the source still wins over the file.
    let moved = iso("2022-01-01T10:00:00Z");
    let r = dates::reconcile(dates::StatedDate::Zoned(moved, 60), &file, None);
    assert_eq!((r.instant, r.time_zone.as_deref()), (moved, Some("UTC+1")));
}
