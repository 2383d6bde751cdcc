//! Media fixtures with known truth, made at test time: real JPEGs and videos
//! encoded by the real `ffmpeg`, with EXIF written by a small TIFF builder
//! here, so tests can assert exact dates, places and orientations without
//! binary files in the repository.

use std::path::Path;
use std::process::Command;

/// EXIF fields to write into a JPEG.
#[derive(Debug, Clone, Default)]
pub struct Exif {
    pub make: Option<String>,
    pub model: Option<String>,
    pub orientation: Option<u16>,
    /// "YYYY:MM:DD HH:MM:SS"
    pub date_time_original: Option<String>,
    /// "+02:00"
    pub offset_time_original: Option<String>,
    /// Decimal degrees, north/east positive.
    pub gps: Option<(f64, f64)>,
    pub description: Option<String>,
    /// Apple's Live Photo content identifier (written in an Apple maker note).
    pub apple_content_identifier: Option<String>,
}

/// A real JPEG of `width`×`height` from ffmpeg's test pattern (`seed` picks
/// the pattern's start frame, so different seeds give different bytes).
pub fn jpeg(dir: &Path, width: u32, height: u32, seed: u32) -> Vec<u8> {
    let out = dir.join(format!("pattern-{width}x{height}-{seed}.jpg"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size={width}x{height}:rate=25"),
        "-vf",
        &format!("select=eq(n\\,{seed})"),
        "-frames:v",
        "1",
        "-q:v",
        "3",
        out.to_str().expect("utf-8 path"),
    ]);
    std::fs::read(&out).expect("ffmpeg wrote the jpeg")
}

/// `jpeg` with an APP1 EXIF segment holding `exif`, right after SOI.
pub fn with_exif(jpeg: &[u8], exif: &Exif) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
    let tiff = tiff(exif);
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 16);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1]);
    let len = (tiff.len() + 8) as u16;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A short video made by ffmpeg. `args` go between the input and the output
/// (codec, metadata); the container follows from `name`'s extension.
pub fn video(dir: &Path, name: &str, size: &str, seconds: u32, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let mut all = vec![
        "-f".to_string(),
        "lavfi".into(),
        "-i".into(),
        format!("testsrc2=size={size}:rate=10:duration={seconds}"),
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        format!("sine=frequency=440:duration={seconds}"),
        "-shortest".into(),
    ];
    all.extend(args.iter().map(|s| s.to_string()));
    all.push(out.to_str().expect("utf-8 path").to_string());
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    ffmpeg(&refs);
    std::fs::read(&out).expect("ffmpeg wrote the video")
}

fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg is installed (apt-get install ffmpeg; .ci/run does)");
    assert!(status.success(), "ffmpeg {args:?} failed");
}

/// Entries of one IFD while building: (tag, type, count, value bytes).
struct Ifd(Vec<(u16, u16, u32, Vec<u8>)>);

impl Ifd {
    fn ascii(&mut self, tag: u16, s: &str) {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.0.push((tag, 2, v.len() as u32, v));
    }
    fn short(&mut self, tag: u16, n: u16) {
        self.0.push((tag, 3, 1, n.to_be_bytes().to_vec()));
    }
    fn long(&mut self, tag: u16, n: u32) {
        self.0.push((tag, 4, 1, n.to_be_bytes().to_vec()));
    }
    fn rationals(&mut self, tag: u16, values: &[(u32, u32)]) {
        let mut v = Vec::new();
        for (n, d) in values {
            v.extend_from_slice(&n.to_be_bytes());
            v.extend_from_slice(&d.to_be_bytes());
        }
        self.0.push((tag, 5, values.len() as u32, v));
    }
    fn undefined(&mut self, tag: u16, bytes: Vec<u8>) {
        self.0.push((tag, 7, bytes.len() as u32, bytes));
    }

    /// Serialises at `base` (offset of this IFD from where its offsets count:
    /// the TIFF header, or a maker note's start), values after the entries.
    fn write(mut self, out: &mut Vec<u8>, base: usize) {
        self.0.sort_by_key(|e| e.0);
        let n = self.0.len();
        let mut data_at = base + 2 + n * 12 + 4;
        let mut data = Vec::new();
        out.extend_from_slice(&(n as u16).to_be_bytes());
        for (tag, kind, count, value) in &self.0 {
            out.extend_from_slice(&tag.to_be_bytes());
            out.extend_from_slice(&kind.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            if value.len() <= 4 {
                let mut v = value.clone();
                v.resize(4, 0);
                out.extend_from_slice(&v);
            } else {
                out.extend_from_slice(&(data_at as u32).to_be_bytes());
                data.extend_from_slice(value);
                if value.len() % 2 == 1 {
                    data.push(0);
                }
                data_at += value.len().div_ceil(2) * 2;
            }
        }
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&data);
    }

    fn size(&self) -> usize {
        2 + self.0.len() * 12
            + 4
            + self
                .0
                .iter()
                .map(|e| {
                    if e.3.len() > 4 {
                        e.3.len().div_ceil(2) * 2
                    } else {
                        0
                    }
                })
                .sum::<usize>()
    }
}

fn dms(v: f64) -> [(u32, u32); 3] {
    let v = v.abs();
    let d = v.trunc();
    let m = ((v - d) * 60.0).trunc();
    let s = ((v - d) * 60.0 - m) * 60.0;
    [
        (d as u32, 1),
        (m as u32, 1),
        ((s * 10_000.0).round() as u32, 10_000),
    ]
}

/// A big-endian TIFF block: IFD0 → Exif IFD (→ maker note) and GPS IFD.
fn tiff(exif: &Exif) -> Vec<u8> {
    let mut exif_ifd = Ifd(Vec::new());
    if let Some(d) = &exif.date_time_original {
        exif_ifd.ascii(0x9003, d);
    }
    if let Some(o) = &exif.offset_time_original {
        exif_ifd.ascii(0x9011, o);
    }
    let mut gps_ifd = Ifd(Vec::new());
    if let Some((lat, lon)) = exif.gps {
        gps_ifd.ascii(0x0001, if lat >= 0.0 { "N" } else { "S" });
        gps_ifd.rationals(0x0002, &dms(lat));
        gps_ifd.ascii(0x0003, if lon >= 0.0 { "E" } else { "W" });
        gps_ifd.rationals(0x0004, &dms(lon));
    }
    let mut ifd0 = Ifd(Vec::new());
    if let Some(m) = &exif.make {
        ifd0.ascii(0x010F, m);
    }
    if let Some(m) = &exif.model {
        ifd0.ascii(0x0110, m);
    }
    if let Some(o) = exif.orientation {
        ifd0.short(0x0112, o);
    }
    if let Some(d) = &exif.description {
        ifd0.ascii(0x010E, d);
    }
    // Pointers are filled in once the layout is known; reserve them now.
    ifd0.long(0x8769, 0);
    if exif.gps.is_some() {
        ifd0.long(0x8825, 0);
    }
    let ifd0_at = 8;
    let exif_at = ifd0_at + ifd0.size();
    // The maker note's size depends only on its content, not where it lands.
    let maker_len = exif
        .apple_content_identifier
        .as_ref()
        .map(|cid| apple_maker_note(cid).len());
    if let Some(len) = maker_len {
        exif_ifd.undefined(0x927C, vec![0; len]);
    }
    let exif_size = exif_ifd.size();
    let gps_at = exif_at + exif_size;
    for e in &mut ifd0.0 {
        match e.0 {
            0x8769 => e.3 = (exif_at as u32).to_be_bytes().to_vec(),
            0x8825 => e.3 = (gps_at as u32).to_be_bytes().to_vec(),
            _ => {}
        }
    }
    if let Some(cid) = &exif.apple_content_identifier {
        let note = apple_maker_note(cid);
        for e in &mut exif_ifd.0 {
            if e.0 == 0x927C {
                e.3 = note.clone();
            }
        }
    }
    let mut out = b"MM\0\x2A".to_vec();
    out.extend_from_slice(&(ifd0_at as u32).to_be_bytes());
    ifd0.write(&mut out, ifd0_at);
    exif_ifd.write(&mut out, exif_at);
    if exif.gps.is_some() {
        gps_ifd.write(&mut out, gps_at);
    }
    out
}

/// Apple's maker note: "Apple iOS\0", version 1, "MM", then an IFD whose
/// offsets count from the start of the note; tag 0x0011 is the content id.
fn apple_maker_note(cid: &str) -> Vec<u8> {
    let mut out = b"Apple iOS\0\0\x01MM".to_vec();
    let mut ifd = Ifd(Vec::new());
    ifd.long(0x0001, 14);
    ifd.ascii(0x0011, cid);
    ifd.write(&mut out, 14);
    out
}

/// Sets the display matrix of the first track (ffmpeg puts video first) to a
/// clockwise rotation of 90, 180 or 270 degrees, as phones record it; ffmpeg
/// 5.1 cannot write one itself.
pub fn rotate_mov(mut mov: Vec<u8>, degrees: u32) -> Vec<u8> {
    let at = mov
        .windows(4)
        .position(|w| w == b"tkhd")
        .expect("a tkhd box");
    assert_eq!(mov[at + 4], 0, "version 0 tkhd");
    let one = 0x0001_0000u32;
    let minus_one = 0xFFFF_0000u32;
    let (a, b, c, d) = match degrees {
        90 => (0, one, minus_one, 0),
        180 => (minus_one, 0, 0, minus_one),
        270 => (0, minus_one, one, 0),
        _ => (one, 0, 0, one),
    };
    // Box type, then version/flags (4), times (8), track id (4), reserved (4),
    // duration (4), reserved (8), layer/group/volume/reserved (8): matrix at +44.
    let m = at + 4 + 40;
    for (i, v) in [a, b, 0, c, d, 0].iter().enumerate() {
        mov[m + i * 4..m + i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    mov
}

/// A Google-style motion photo: `jpeg` with an XMP packet declaring the
/// micro video, and `mp4` appended after the image.
pub fn motion_photo(jpeg: &[u8], mp4: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
    let packet = format!(
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description rdf:about=\"\" xmlns:GCamera=\"http://ns.google.com/photos/1.0/camera/\" \
         GCamera:MicroVideo=\"1\" GCamera:MicroVideoVersion=\"1\" GCamera:MicroVideoOffset=\"{}\" \
         GCamera:MicroVideoPresentationTimestampUs=\"0\"/></rdf:RDF></x:xmpmeta>",
        mp4.len()
    );
    let mut payload = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    payload.extend_from_slice(packet.as_bytes());
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out.extend_from_slice(mp4);
    out
}
