//! Builders for metadata fixtures with known truth: TIFF/EXIF blocks, JPEG
//! segments, ISO-BMFF boxes, PNG and WebP chunks, all made byte by byte so
//! each test states exactly what the file says.

/// A TIFF value as the builder lays it out.
#[derive(Clone)]
pub enum Val {
    Ascii(String),
    Short(Vec<u16>),
    Long(Vec<u32>),
    Rational(Vec<(u32, u32)>),
    Byte(Vec<u8>),
    Undefined(Vec<u8>),
    /// A LONG offset to another IFD (Exif, GPS).
    Ifd(Ifd),
    /// LONG offsets to several IFDs (SubIFDs).
    Ifds(Vec<Ifd>),
    /// A LONG offset to a blob stored after the IFD (JPEGInterchangeFormat).
    Blob(Vec<u8>),
}

#[derive(Clone, Default)]
pub struct Ifd {
    pub entries: Vec<(u16, Val)>,
    pub next: Option<Box<Ifd>>,
}

impl Ifd {
    pub fn new() -> Ifd {
        Ifd::default()
    }

    pub fn with(mut self, tag: u16, v: Val) -> Ifd {
        self.entries.push((tag, v));
        self
    }
}

pub fn ascii(s: &str) -> Val {
    Val::Ascii(s.to_string())
}

struct W {
    buf: Vec<u8>,
    be: bool,
}

impl W {
    fn u16(&mut self, v: u16) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }
    fn patch32(&mut self, at: usize, v: u32) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf[at..at + 4].copy_from_slice(&b);
    }
    fn align(&mut self) {
        if self.buf.len() % 2 == 1 {
            self.buf.push(0);
        }
    }

    /// Writes `ifd` at the end of the buffer; returns its offset.
    fn ifd(&mut self, ifd: &Ifd) -> u32 {
        self.align();
        let at = self.buf.len();
        let mut entries = ifd.entries.clone();
        entries.sort_by_key(|e| e.0);
        self.u16(entries.len() as u16);
        let mut pending: Vec<(usize, Val)> = Vec::new();
        for (tag, v) in &entries {
            self.u16(*tag);
            let (typ, count, inline): (u16, u32, Option<Vec<u8>>) = match v {
                Val::Ascii(s) => {
                    let mut b = s.as_bytes().to_vec();
                    b.push(0);
                    (2, b.len() as u32, (b.len() <= 4).then_some(b))
                }
                Val::Short(s) => {
                    let b: Vec<u8> = s
                        .iter()
                        .flat_map(|x| {
                            if self.be {
                                x.to_be_bytes()
                            } else {
                                x.to_le_bytes()
                            }
                        })
                        .collect();
                    (3, s.len() as u32, (b.len() <= 4).then_some(b))
                }
                Val::Long(s) => {
                    let b: Vec<u8> = s
                        .iter()
                        .flat_map(|x| {
                            if self.be {
                                x.to_be_bytes()
                            } else {
                                x.to_le_bytes()
                            }
                        })
                        .collect();
                    (4, s.len() as u32, (b.len() <= 4).then_some(b))
                }
                Val::Rational(s) => (5, s.len() as u32, None),
                Val::Byte(b) => (1, b.len() as u32, (b.len() <= 4).then(|| b.clone())),
                Val::Undefined(b) => (7, b.len() as u32, (b.len() <= 4).then(|| b.clone())),
                Val::Ifd(_) | Val::Blob(_) => (4, 1, None),
                Val::Ifds(list) => (4, list.len() as u32, None),
            };
            self.u16(typ);
            self.u32(count);
            let field = self.buf.len();
            match inline {
                Some(mut b) => {
                    b.resize(4, 0);
                    self.buf.extend_from_slice(&b);
                }
                None => {
                    self.u32(0);
                    pending.push((field, v.clone()));
                }
            }
        }
        let next_at = self.buf.len();
        self.u32(0);
        for (field, v) in pending {
            self.align();
            let here = self.buf.len() as u32;
            match v {
                Val::Ascii(s) => {
                    self.buf.extend_from_slice(s.as_bytes());
                    self.buf.push(0);
                }
                Val::Short(s) => s.iter().for_each(|x| self.u16(*x)),
                Val::Long(s) => s.iter().for_each(|x| self.u32(*x)),
                Val::Rational(s) => s.iter().for_each(|(n, d)| {
                    self.u32(*n);
                    self.u32(*d);
                }),
                Val::Byte(b) | Val::Undefined(b) | Val::Blob(b) => self.buf.extend_from_slice(&b),
                Val::Ifd(child) => {
                    let off = self.ifd(&child);
                    self.patch32(field, off);
                    continue;
                }
                Val::Ifds(list) => {
                    let table = self.buf.len();
                    for _ in &list {
                        self.u32(0);
                    }
                    for (i, child) in list.iter().enumerate() {
                        let off = self.ifd(child);
                        self.patch32(table + i * 4, off);
                    }
                    self.patch32(field, table as u32);
                    continue;
                }
            }
            self.patch32(field, here);
        }
        if let Some(next) = &ifd.next {
            let off = self.ifd(next);
            self.patch32(next_at, off);
        }
        at as u32
    }
}

/// A complete TIFF structure (header + IFD0 chain), offsets from its start.
pub fn tiff(ifd0: &Ifd, be: bool) -> Vec<u8> {
    tiff_with_magic(ifd0, be, 42)
}

pub fn tiff_with_magic(ifd0: &Ifd, be: bool, magic: u16) -> Vec<u8> {
    let mut w = W {
        buf: Vec::new(),
        be,
    };
    w.buf.extend_from_slice(if be { b"MM" } else { b"II" });
    w.u16(magic);
    w.u32(0);
    let off = w.ifd(ifd0);
    w.patch32(4, off);
    w.buf
}

/// EXIF's "YYYY:MM:DD HH:MM:SS".
pub fn exif_date(s: &str) -> Val {
    ascii(s)
}

/// GPS IFD for decimal degrees, with N/S/E/W references.
pub fn gps_ifd(lat: f64, lon: f64, alt: Option<f64>) -> Ifd {
    let dms = |v: f64| -> Vec<(u32, u32)> {
        let a = v.abs();
        let d = a.trunc();
        let m = ((a - d) * 60.0).trunc();
        let s = ((a - d) * 60.0 - m) * 60.0;
        vec![
            (d as u32, 1),
            (m as u32, 1),
            ((s * 10000.0).round() as u32, 10000),
        ]
    };
    let mut g = Ifd::new()
        .with(1, ascii(if lat < 0.0 { "S" } else { "N" }))
        .with(2, Val::Rational(dms(lat)))
        .with(3, ascii(if lon < 0.0 { "W" } else { "E" }))
        .with(4, Val::Rational(dms(lon)));
    if let Some(a) = alt {
        g = g.with(5, Val::Byte(vec![u8::from(a < 0.0)])).with(
            6,
            Val::Rational(vec![((a.abs() * 10.0).round() as u32, 10)]),
        );
    }
    g
}

pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

pub fn app1_exif(tiff: &[u8]) -> Vec<u8> {
    let mut p = b"Exif\0\0".to_vec();
    p.extend_from_slice(tiff);
    segment(0xE1, &p)
}

pub fn app1_xmp(xml: &str) -> Vec<u8> {
    let mut p = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    p.extend_from_slice(xml.as_bytes());
    segment(0xE1, &p)
}

/// A small but structurally complete baseline JPEG: SOI, `segments`, SOF0,
/// SOS with a few bytes of "scan", EOI.
pub fn jpeg(segments: &[Vec<u8>], width: u16, height: u16) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    for s in segments {
        j.extend_from_slice(s);
    }
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    j.extend_from_slice(&segment(0xC0, &sof));
    j.extend_from_slice(&segment(0xDA, &[3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]));
    j.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0xFF, 0xD9]);
    j
}

pub fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

pub fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = vec![version];
    b.extend_from_slice(&flags.to_be_bytes()[1..]);
    b.extend_from_slice(body);
    bx(kind, &b)
}

pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// A minimal MP4 (ftyp + tiny mdat) for embedding in motion photos.
pub fn tiny_mp4(payload_len: usize) -> Vec<u8> {
    let mut ftyp = b"isom".to_vec();
    ftyp.extend_from_slice(&0x200u32.to_be_bytes());
    ftyp.extend_from_slice(b"isomiso2mp41");
    cat(&[bx(b"ftyp", &ftyp), bx(b"mdat", &vec![0x5a; payload_len])])
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&[0, 0, 0, 0]);
    c
}

pub fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = kind.to_vec();
    c.extend_from_slice(&(data.len() as u32).to_le_bytes());
    c.extend_from_slice(data);
    if data.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// An XMP packet with `body` inside one rdf:Description (attributes first).
pub fn xmp_packet(attrs: &str, body: &str) -> String {
    format!(
        r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:GPano="http://ns.google.com/photos/1.0/panorama/"
    xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
    xmlns:Container="http://ns.google.com/photos/1.0/container/"
    xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
    {attrs}>
{body}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#
    )
}
