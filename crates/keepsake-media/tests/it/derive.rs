//! Derived images against generated fixtures with known truth: exact sizes,
//! where each EXIF orientation puts a marked corner, closeness to a reference
//! full-size decode + resize (PSNR), Display P3 → sRGB, alpha, every decoder,
//! and hostile input that must fail cleanly instead of panicking.

use keepsake_media::MediaError;
use keepsake_media::derive::{
    DeriveOptions, DerivedImages, ImageInput, derive_from_rgba, derive_image,
};
use proptest::prelude::*;
use std::io::Cursor;

const RED: [u8; 3] = [220, 30, 30];
const GREEN: [u8; 3] = [30, 200, 40];
const BLUE: [u8; 3] = [30, 40, 220];
const YELLOW: [u8; 3] = [230, 220, 40];

/// Stored image with one flat colour per quadrant: red top-left, green
/// top-right, blue bottom-left, yellow bottom-right.
fn quadrants(w: u32, h: u32) -> Vec<u8> {
    // Built from two row templates: tests run unoptimised, and per-pixel
    // loops over millions of pixels would dominate their runtime.
    let row = |left: [u8; 3], right: [u8; 3]| -> Vec<u8> {
        (0..w)
            .flat_map(|x| if x < w / 2 { left } else { right })
            .collect()
    };
    let (top, bottom) = (row(RED, GREEN), row(BLUE, YELLOW));
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        rgb.extend_from_slice(if y < h / 2 { &top } else { &bottom });
    }
    rgb
}

/// Smooth gradients plus mid-frequency waves: detail a resizer can get wrong,
/// none of it beyond what a preview can show.
fn detailed(w: u32, h: u32) -> Vec<u8> {
    let wave = |n: u32, period: f64| -> Vec<f64> {
        (0..n)
            .map(|i| (f64::from(i) * std::f64::consts::TAU / period).sin())
            .collect()
    };
    let (wx, wy) = (wave(w, 97.0), wave(h, 61.0));
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let r = 40.0 + 170.0 * f64::from(x) / f64::from(w);
            let g = 40.0 + 170.0 * f64::from(y) / f64::from(h);
            let b = 128.0 + 60.0 * wx[x as usize] + 50.0 * wy[y as usize];
            rgb.extend_from_slice(&[r as u8, g as u8, b as u8]);
        }
    }
    rgb
}

fn jpeg(rgb: &[u8], w: u32, h: u32, quality: i32) -> Vec<u8> {
    turbojpeg::compress(
        turbojpeg::Image {
            pixels: rgb,
            width: w as usize,
            pitch: w as usize * 3,
            height: h as usize,
            format: turbojpeg::PixelFormat::RGB,
        },
        quality,
        turbojpeg::Subsamp::Sub2x2,
    )
    .expect("encode fixture")
    .to_vec()
}

fn png_rgba(rgba: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().expect("png header");
    writer.write_image_data(rgba).expect("png data");
    writer.finish().expect("png finish");
    out
}

/// Inserts an APP2 ICC_PROFILE segment right after SOI.
fn with_icc(jpeg: &[u8], icc: &[u8]) -> Vec<u8> {
    let mut seg = vec![0xFF, 0xE2];
    let len = 2 + 12 + 2 + icc.len();
    seg.extend_from_slice(&(len as u16).to_be_bytes());
    seg.extend_from_slice(b"ICC_PROFILE\0");
    seg.extend_from_slice(&[1, 1]);
    seg.extend_from_slice(icc);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&seg);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn derive(bytes: &[u8], orientation: Option<u8>) -> DerivedImages {
    derive_image(
        ImageInput::Bytes(bytes),
        orientation,
        &DeriveOptions::default(),
    )
    .expect("derive fixture")
}

struct Rgb {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

fn decode_preview(d: &DerivedImages) -> Rgb {
    let img = turbojpeg::decompress(&d.preview_jpeg, turbojpeg::PixelFormat::RGB)
        .expect("preview is a JPEG");
    assert_eq!((img.width as u32, img.height as u32), d.preview_size);
    Rgb {
        w: img.width,
        h: img.height,
        px: img.pixels,
    }
}

/// Mean colour of a 9×9 window centred at (x, y).
fn sample(img: &Rgb, x: usize, y: usize) -> [f64; 3] {
    let mut sum = [0f64; 3];
    let mut n = 0.0;
    for yy in y.saturating_sub(4)..(y + 5).min(img.h) {
        for xx in x.saturating_sub(4)..(x + 5).min(img.w) {
            let i = (yy * img.w + xx) * 3;
            for (s, v) in sum.iter_mut().zip(&img.px[i..i + 3]) {
                *s += f64::from(*v);
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n)
}

fn close(got: [f64; 3], want: [u8; 3], tol: f64) -> bool {
    got.iter()
        .zip(want)
        .all(|(g, w)| (g - f64::from(w)).abs() <= tol)
}

#[test]
fn jpeg_3000x2000_gives_exact_preview_thumbnail_and_thumbhash() {
    let d = derive(&jpeg(&quadrants(3000, 2000), 3000, 2000, 90), None);
    assert_eq!(d.preview_size, (2160, 1440));
    assert_eq!(d.thumbnail_size, (375, 250));
    assert_eq!(d.oriented_size, (3000, 2000));
    decode_preview(&d);
    let thumb = webp::Decoder::new(&d.thumbnail_webp)
        .decode()
        .expect("thumbnail is a WebP");
    assert_eq!((thumb.width(), thumb.height()), (375, 250));
    assert!(!d.thumbhash.is_empty());
    let (r, g, b, a) =
        thumbhash::thumb_hash_to_average_rgba(&d.thumbhash).expect("valid thumbhash");
    let mean = |i: usize| {
        (RED[i] as f32 + GREEN[i] as f32 + BLUE[i] as f32 + YELLOW[i] as f32) / 4.0 / 255.0
    };
    for (got, want) in [(r, mean(0)), (g, mean(1)), (b, mean(2))] {
        assert!(
            (got - want).abs() < 0.08,
            "thumbhash average {got} vs {want}"
        );
    }
    assert!(a > 0.99);
    let (w, h, _) = thumbhash::thumb_hash_to_rgba(&d.thumbhash).expect("thumbhash decodes");
    assert!(w > h, "landscape thumbhash, got {w}×{h}");
}

/// Derives the quadrant image with `orientation` and checks the output size
/// and which stored colour lands in each displayed corner (TL, TR, BL, BR).
fn check_orientation(orientation: u8, corners: [[u8; 3]; 4]) {
    let (w, h) = (1600u32, 1000u32);
    let d = derive(&jpeg(&quadrants(w, h), w, h, 92), Some(orientation));
    let swapped = orientation >= 5;
    let want = if swapped { (h, w) } else { (w, h) };
    assert_eq!(d.preview_size, want);
    assert_eq!(d.oriented_size, want);
    let thumb_want = if swapped { (250, 400) } else { (400, 250) };
    assert_eq!(d.thumbnail_size, thumb_want);
    let img = decode_preview(&d);
    let (x1, y1) = (img.w - 40, img.h - 40);
    for ((x, y), want) in [(40, 40), (x1, 40), (40, y1), (x1, y1)]
        .into_iter()
        .zip(corners)
    {
        let got = sample(&img, x, y);
        assert!(
            close(got, want, 12.0),
            "orientation {orientation}: at ({x},{y}) got {got:?}, want {want:?}"
        );
    }
}

#[test]
fn orientation_1_keeps_the_image_upright() {
    check_orientation(1, [RED, GREEN, BLUE, YELLOW]);
}

#[test]
fn orientation_2_mirrors_horizontally() {
    check_orientation(2, [GREEN, RED, YELLOW, BLUE]);
}

#[test]
fn orientation_3_rotates_180() {
    check_orientation(3, [YELLOW, BLUE, GREEN, RED]);
}

#[test]
fn orientation_4_flips_vertically() {
    check_orientation(4, [BLUE, YELLOW, RED, GREEN]);
}

#[test]
fn orientation_5_transposes() {
    check_orientation(5, [RED, BLUE, GREEN, YELLOW]);
}

#[test]
fn orientation_6_rotates_clockwise() {
    check_orientation(6, [BLUE, RED, YELLOW, GREEN]);
}

#[test]
fn orientation_7_transverses() {
    check_orientation(7, [YELLOW, GREEN, BLUE, RED]);
}

#[test]
fn orientation_8_rotates_counter_clockwise() {
    check_orientation(8, [GREEN, YELLOW, RED, BLUE]);
}

#[test]
fn out_of_range_orientation_is_treated_as_upright() {
    let d = derive(&jpeg(&quadrants(800, 600), 800, 600, 90), Some(9));
    assert_eq!(d.preview_size, (800, 600));
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10()
}

/// The preview goes through DCT-domain shrink-on-load (with a 480 px preview
/// a 1600×1200 JPEG decodes at 1/2, the same path a 12 MP photo takes for the
/// 1440 px preview) and a second resize; it must stay close to the
/// straightforward way: full-size decode, one Lanczos3 resize. Bound: PSNR ≥
/// 32 dB (the q80 re-encode alone costs a few dB of that headroom).
#[test]
fn preview_matches_full_decode_and_resize_within_32_db() {
    let (w, h) = (1600u32, 1200u32);
    let source = jpeg(&detailed(w, h), w, h, 95);
    let options = DeriveOptions {
        preview_size: 480,
        thumbnail_size: 120,
        ..DeriveOptions::default()
    };
    let d = derive_image(ImageInput::Bytes(&source), None, &options).expect("derive");
    assert_eq!((d.preview_size, d.thumbnail_size), ((640, 480), (160, 120)));
    let preview = decode_preview(&d);

    let full = turbojpeg::decompress(&source, turbojpeg::PixelFormat::RGB).expect("full decode");
    let src = fast_image_resize::images::Image::from_vec_u8(
        w,
        h,
        full.pixels,
        fast_image_resize::PixelType::U8x3,
    )
    .expect("reference source");
    let mut dst =
        fast_image_resize::images::Image::new(640, 480, fast_image_resize::PixelType::U8x3);
    fast_image_resize::Resizer::new()
        .resize(
            &src,
            &mut dst,
            &fast_image_resize::ResizeOptions::new().resize_alg(
                fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Lanczos3),
            ),
        )
        .expect("reference resize");
    let db = psnr(&preview.px, dst.buffer());
    eprintln!("preview vs reference: {db:.1} dB");
    assert!(db >= 32.0, "preview PSNR {db:.1} dB below 32 dB");
}

/// A Display P3 profile built from its primaries with the sRGB curve.
fn display_p3_icc() -> Vec<u8> {
    use lcms2::{CIExyY, CIExyYTRIPLE, Profile, ToneCurve};
    let xyy = |x, y| CIExyY { x, y, Y: 1.0 };
    let curve =
        ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045])
            .expect("sRGB curve");
    Profile::new_rgb(
        &xyy(0.3127, 0.3290),
        &CIExyYTRIPLE {
            Red: xyy(0.680, 0.320),
            Green: xyy(0.265, 0.690),
            Blue: xyy(0.150, 0.060),
        },
        &[&curve, &curve, &curve],
    )
    .expect("P3 profile")
    .icc()
    .expect("P3 ICC bytes")
}

fn srgb_decode(v: u8) -> f64 {
    let x = f64::from(v) / 255.0;
    if x <= 0.04045 {
        x / 12.92
    } else {
        ((x + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(l: f64) -> f64 {
    let l = l.clamp(0.0, 1.0);
    255.0
        * if l <= 0.003_130_8 {
            12.92 * l
        } else {
            1.055 * l.powf(1.0 / 2.4) - 0.055
        }
}

#[test]
fn display_p3_green_is_converted_and_clipped_to_srgb() {
    let p3 = [60u8, 230, 60];
    let flat: Vec<u8> = p3.iter().copied().cycle().take(64 * 64 * 3).collect();
    let tagged = with_icc(&jpeg(&flat, 64, 64, 95), &display_p3_icc());
    let img = decode_preview(&derive(&tagged, None));
    let got = sample(&img, 32, 32);
    // Expected value computed independently: linear P3 → linear sRGB with the
    // standard D65 matrix, clipped, sRGB-encoded.
    let lin = p3.map(srgb_decode);
    let m = [
        [1.2249, -0.2247, 0.0],
        [-0.0420, 1.0419, 0.0],
        [-0.0197, -0.0786, 1.0979],
    ];
    let want: Vec<f64> = m
        .iter()
        .map(|row| srgb_encode(row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]))
        .collect();
    for c in 0..3 {
        assert!(
            (got[c] - want[c]).abs() <= 6.0,
            "channel {c}: got {got:?}, want {want:?}"
        );
    }
    assert!(
        got[0] < 20.0 && got[2] < 20.0,
        "red/blue must clip well below the naive 60: {got:?}"
    );
}

#[test]
fn srgb_tagged_image_is_left_unchanged() {
    let srgb = lcms2::Profile::new_srgb().icc().expect("sRGB ICC");
    let colour = [60u8, 230, 60];
    let flat: Vec<u8> = colour.iter().copied().cycle().take(64 * 64 * 3).collect();
    let img = decode_preview(&derive(&with_icc(&jpeg(&flat, 64, 64, 95), &srgb), None));
    assert!(close(sample(&img, 32, 32), colour, 4.0));
}

#[test]
fn png_alpha_flattens_to_white_in_preview_and_stays_in_webp_thumbnail() {
    let (w, h) = (600u32, 400u32);
    let mut rgba = Vec::new();
    for _y in 0..h {
        for x in 0..w {
            rgba.extend_from_slice(&if x < w / 2 {
                [0, 0, 0, 0]
            } else {
                [20, 40, 200, 255]
            });
        }
    }
    let d = derive(&png_rgba(&rgba, w, h), None);
    assert_eq!(d.preview_size, (600, 400), "not upscaled");
    assert_eq!(d.thumbnail_size, (375, 250));
    let preview = decode_preview(&d);
    assert!(
        close(sample(&preview, 60, 200), [255, 255, 255], 3.0),
        "transparent → white"
    );
    assert!(close(sample(&preview, 540, 200), [20, 40, 200], 8.0));
    let thumb = webp::Decoder::new(&d.thumbnail_webp)
        .decode()
        .expect("thumbnail WebP");
    assert!(thumb.is_alpha(), "thumbnail keeps alpha");
    let alpha_at = |x: u32, y: u32| thumb[((y * thumb.width() + x) * 4 + 3) as usize];
    assert!(alpha_at(30, 125) < 10);
    assert!(alpha_at(340, 125) > 245);
}

#[test]
fn small_image_is_not_upscaled() {
    let d = derive(&jpeg(&quadrants(800, 600), 800, 600, 90), None);
    assert_eq!(d.preview_size, (800, 600));
    assert_eq!(d.thumbnail_size, (333, 250));
    let tiny = derive(&jpeg(&quadrants(120, 80), 120, 80, 90), None);
    assert_eq!(
        (tiny.preview_size, tiny.thumbnail_size),
        ((120, 80), (120, 80))
    );
}

#[test]
fn rgba_pixels_derive_like_a_file() {
    let rgba: Vec<u8> = quadrants(900, 600)
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let d = derive_from_rgba(&rgba, 900, 600, &DeriveOptions::default()).expect("derive rgba");
    assert_eq!((d.preview_size, d.thumbnail_size), ((900, 600), (375, 250)));
    assert!(derive_from_rgba(&rgba[..100], 900, 600, &DeriveOptions::default()).is_err());
}

#[test]
fn file_input_reads_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, jpeg(&quadrants(640, 480), 640, 480, 90)).expect("write");
    let d = derive_image(ImageInput::File(&path), None, &DeriveOptions::default())
        .expect("derive file");
    assert_eq!(d.preview_size, (640, 480));
    let missing = derive_image(
        ImageInput::File(&dir.path().join("nope.jpg")),
        None,
        &DeriveOptions::default(),
    );
    assert!(matches!(missing, Err(MediaError::Io { .. })));
}

#[test]
fn gif_first_frame_is_used() {
    let (w, h) = (300u16, 200u16);
    let mut out = Vec::new();
    {
        let palette = [220, 30, 30, 30, 40, 220];
        let mut enc = gif::Encoder::new(&mut out, w, h, &palette).expect("gif");
        for colour in [0u8, 1] {
            let frame = gif::Frame {
                width: w,
                height: h,
                buffer: std::borrow::Cow::Owned(vec![colour; usize::from(w) * usize::from(h)]),
                ..gif::Frame::default()
            };
            enc.write_frame(&frame).expect("gif frame");
        }
    }
    let d = derive(&out, None);
    assert_eq!(d.preview_size, (300, 200));
    assert!(
        close(sample(&decode_preview(&d), 150, 100), RED, 8.0),
        "first frame is red"
    );
}

#[test]
fn webp_source_is_decoded() {
    let rgb = quadrants(500, 400);
    let src = webp::Encoder::from_rgb(&rgb, 500, 400)
        .encode(95.0)
        .to_vec();
    let d = derive(&src, Some(3));
    assert_eq!(d.preview_size, (500, 400));
    assert!(
        close(sample(&decode_preview(&d), 40, 40), YELLOW, 12.0),
        "rotated 180"
    );
}

#[test]
fn tiff_16_bit_rgb_is_decoded_to_8_bit() {
    let (w, h) = (320u32, 240u32);
    let data: Vec<u16> = quadrants(w, h)
        .iter()
        .map(|&v| u16::from(v) * 257)
        .collect();
    let mut out = Cursor::new(Vec::new());
    tiff::encoder::TiffEncoder::new(&mut out)
        .expect("tiff")
        .write_image::<tiff::encoder::colortype::RGB16>(w, h, &data)
        .expect("tiff image");
    let d = derive(&out.into_inner(), None);
    assert_eq!(d.preview_size, (320, 240));
    let img = decode_preview(&d);
    assert!(close(sample(&img, 20, 20), RED, 8.0));
    assert!(close(sample(&img, 300, 220), YELLOW, 8.0));
}

/// Encodes the quadrant image as HEIF with libheif's encoder for `format`,
/// or `None` when this libheif has no such encoder plugin.
fn heif_fixture(format: libheif_rs::CompressionFormat, w: u32, h: u32) -> Option<Vec<u8>> {
    use libheif_rs::{Channel, ColorSpace, EncoderQuality, HeifContext, Image, LibHeif, RgbChroma};
    let lib = LibHeif::new();
    let mut encoder = lib.encoder_for_format(format).ok()?;
    encoder.set_quality(EncoderQuality::Lossy(90)).ok()?;
    let mut image = Image::new(w, h, ColorSpace::Rgb(RgbChroma::Rgb)).ok()?;
    image.create_plane(Channel::Interleaved, w, h, 8).ok()?;
    let rgb = quadrants(w, h);
    {
        let planes = image.planes_mut();
        let plane = planes.interleaved?;
        let row = w as usize * 3;
        for y in 0..h as usize {
            plane.data[y * plane.stride..y * plane.stride + row]
                .copy_from_slice(&rgb[y * row..(y + 1) * row]);
        }
    }
    let mut ctx = HeifContext::new().ok()?;
    ctx.encode_image(&image, &mut encoder, None).ok()?;
    ctx.write_to_bytes().ok()
}

#[test]
fn heic_is_decoded_through_libheif() {
    // Debian's libheif1 ships the x265 and aom encoders; without them this fails, never passes unseen.
    let bytes = heif_fixture(libheif_rs::CompressionFormat::Hevc, 640, 480)
        .expect("this libheif has an HEVC encoder to build the fixture (Debian's libheif1)");
    // EXIF orientation is ignored for HEIF: libheif applies irot/imir itself.
    let d = derive(&bytes, Some(6));
    assert_eq!((d.preview_size, d.thumbnail_size), ((640, 480), (333, 250)));
    let img = decode_preview(&d);
    assert!(
        close(sample(&img, 40, 40), RED, 16.0),
        "got {:?}",
        sample(&img, 40, 40)
    );
    assert!(close(sample(&img, 600, 440), YELLOW, 16.0));
}

#[test]
fn avif_is_decoded_through_libheif() {
    let bytes = heif_fixture(libheif_rs::CompressionFormat::Av1, 320, 240)
        .expect("this libheif has an AV1 encoder to build the fixture (Debian's libheif1)");
    let d = derive(&bytes, None);
    assert_eq!(d.preview_size, (320, 240));
    assert!(close(sample(&decode_preview(&d), 20, 20), RED, 16.0));
}

fn expect_err(bytes: &[u8]) -> MediaError {
    match derive_image(ImageInput::Bytes(bytes), None, &DeriveOptions::default()) {
        Ok(d) => panic!("expected an error, got a {:?} preview", d.preview_size),
        Err(e) => e,
    }
}

#[test]
fn garbage_bytes_are_unsupported() {
    let garbage: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(matches!(expect_err(&garbage), MediaError::Unsupported(_)));
    assert!(matches!(expect_err(&[]), MediaError::Unsupported(_)));
}

#[test]
fn truncated_jpeg_is_corrupt() {
    let full = jpeg(&detailed(800, 600), 800, 600, 90);
    let e = expect_err(&full[..full.len() / 2]);
    assert!(
        matches!(&e, MediaError::Corrupt(m) if m.contains("truncated")),
        "{e}"
    );
    assert!(matches!(expect_err(&full[..40]), MediaError::Corrupt(_)));
}

#[test]
fn jpeg_missing_only_its_final_eoi_marker_still_decodes() {
    let full = jpeg(&quadrants(640, 480), 640, 480, 90);
    assert_eq!(&full[full.len() - 2..], &[0xFF, 0xD9]);
    assert_eq!(
        derive(&full[..full.len() - 2], None).preview_size,
        (640, 480)
    );
}

#[test]
fn truncated_png_is_corrupt() {
    let rgba: Vec<u8> = detailed(300, 200)
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 200])
        .collect();
    let full = png_rgba(&rgba, 300, 200);
    assert!(matches!(
        expect_err(&full[..full.len() / 2]),
        MediaError::Corrupt(_)
    ));
}

/// A syntactically valid PNG header (with correct CRC) claiming 100000×100000.
fn png_bomb_header() -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let crc = crc32(&ihdr);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc.to_be_bytes());
    // A first IDAT, where decoders stop reading the header chunks.
    let idat = b"IDAT\x78\x9c".to_vec();
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&idat);
    out.extend_from_slice(&crc32(&idat).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn header_claiming_100000x100000_is_refused_before_decoding() {
    let e = expect_err(&png_bomb_header());
    assert!(
        matches!(&e, MediaError::Unsupported(m) if m.contains("limit")),
        "{e}"
    );
    // JPEG's SOF caps at 65535²: patch a real file's SOF to 65000×65000.
    let mut j = jpeg(&quadrants(64, 64), 64, 64, 90);
    let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF0");
    j[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]);
    let e = expect_err(&j);
    assert!(
        matches!(&e, MediaError::Unsupported(m) if m.contains("limit")),
        "{e}"
    );
}

#[test]
fn max_pixels_option_is_enforced() {
    let options = DeriveOptions {
        max_pixels: 100_000,
        ..DeriveOptions::default()
    };
    let r = derive_image(
        ImageInput::Bytes(&jpeg(&quadrants(400, 300), 400, 300, 90)),
        None,
        &options,
    );
    assert!(matches!(r, Err(MediaError::Unsupported(_))));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random byte flips and truncations of small JPEG and PNG files give an
    /// `Ok` or an `Err`, never a panic.
    #[test]
    fn mutated_files_never_panic(
        png_not_jpeg in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = if png_not_jpeg {
            let rgba: Vec<u8> = quadrants(48, 32).chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 128]).collect();
            png_rgba(&rgba, 48, 32)
        } else {
            jpeg(&quadrants(48, 32), 48, 32, 80)
        };
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()).max(1));
        }
        let _ = derive_image(ImageInput::Bytes(&bytes), Some(6), &DeriveOptions::default());
    }
}

/// Every decoder, fed its own fixture cut short at many points, returns an
/// error or a (partial) image; none may panic or crash the process.
#[test]
fn truncated_files_of_every_format_fail_cleanly() {
    let rgb = quadrants(96, 64);
    let rgba: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 180])
        .collect();
    let mut tiff_bytes = Cursor::new(Vec::new());
    tiff::encoder::TiffEncoder::new(&mut tiff_bytes)
        .expect("tiff")
        .write_image::<tiff::encoder::colortype::RGB8>(96, 64, &rgb)
        .expect("tiff image");
    let mut gif_bytes = Vec::new();
    {
        let mut enc =
            gif::Encoder::new(&mut gif_bytes, 96, 64, &[255, 0, 0, 0, 0, 255]).expect("gif");
        let frame = gif::Frame {
            width: 96,
            height: 64,
            buffer: std::borrow::Cow::Owned((0..96 * 64).map(|i| (i % 2) as u8).collect()),
            ..gif::Frame::default()
        };
        enc.write_frame(&frame).expect("gif frame");
    }
    let mut fixtures = vec![
        ("jpeg", jpeg(&rgb, 96, 64, 85)),
        ("png", png_rgba(&rgba, 96, 64)),
        (
            "webp",
            webp::Encoder::from_rgba(&rgba, 96, 64)
                .encode(80.0)
                .to_vec(),
        ),
        ("tiff", tiff_bytes.into_inner()),
        ("gif", gif_bytes),
    ];
    if let Some(heic) = heif_fixture(libheif_rs::CompressionFormat::Hevc, 96, 64) {
        fixtures.push(("heic", heic));
    }
    for (name, bytes) in fixtures {
        for cut in 1..24 {
            let len = bytes.len() * cut / 24;
            let r = derive_image(
                ImageInput::Bytes(&bytes[..len]),
                None,
                &DeriveOptions::default(),
            );
            if let Ok(d) = r {
                assert!(d.preview_size.0 > 0, "{name} cut at {len}");
            }
        }
    }
}

/// Adobe-style CMYK JPEGs (inverted values, as Photoshop writes them) come
/// out as RGB; without a CMYK profile the plain complement formula is used.
#[test]
fn inverted_cmyk_jpeg_is_converted_to_rgb() {
    // Left half red (C0 M100 Y100 K0), right half 50% grey (K50), inverted.
    let (w, h) = (64usize, 32usize);
    let mut cmyk = Vec::with_capacity(w * h * 4);
    for _y in 0..h {
        for x in 0..w {
            let c: [u8; 4] = if x < w / 2 {
                [0, 255, 255, 0]
            } else {
                [0, 0, 0, 128]
            };
            cmyk.extend(c.iter().map(|v| 255 - v));
        }
    }
    let bytes = turbojpeg::compress(
        turbojpeg::Image {
            pixels: cmyk.as_slice(),
            width: w,
            pitch: w * 4,
            height: h,
            format: turbojpeg::PixelFormat::CMYK,
        },
        95,
        turbojpeg::Subsamp::None,
    )
    .expect("CMYK JPEG")
    .to_vec();
    let img = decode_preview(&derive(&bytes, None));
    assert!(
        close(sample(&img, 10, 16), [255, 0, 0], 10.0),
        "{:?}",
        sample(&img, 10, 16)
    );
    assert!(
        close(sample(&img, 54, 16), [127, 127, 127], 10.0),
        "{:?}",
        sample(&img, 54, 16)
    );
}
