//! XMP sidecars: read what people and other tools put there, and write back
//! the user's edits so the library stays meaningful without the database.
//!
//! Reading is namespace-aware (prefixes are whatever the writer chose) and
//! accepts both RDF forms, properties as attributes of `rdf:Description` and
//! as elements. Writing edits the existing text in place: only the elements
//! and attributes Keepsake owns are replaced, everything else (darktable's
//! history, digiKam's face regions, Lightroom's develop settings) is copied
//! byte for byte.

use super::{CaptureDate, Gps, corrupt, gps_checked, parse_iso_date};
use crate::Result;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::reader::NsReader;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const DC: &str = "http://purl.org/dc/elements/1.1/";
const XMP: &str = "http://ns.adobe.com/xap/1.0/";
const DIGIKAM: &str = "http://www.digikam.org/ns/1.0/";
const LR: &str = "http://ns.adobe.com/lightroom/1.0/";
const EXIF: &str = "http://ns.adobe.com/exif/1.0/";
const PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";
const GPANO: &str = "http://ns.google.com/photos/1.0/panorama/";
const GCAMERA: &str = "http://ns.google.com/photos/1.0/camera/";
const CONTAINER: &str = "http://ns.google.com/photos/1.0/container/";
const ITEM: &str = "http://ns.google.com/photos/1.0/container/item/";
const MAX_DEPTH: usize = 256;

/// The fields Keepsake reads from and writes to XMP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sidecar {
    pub description: Option<String>,
    pub rating: Option<i8>,
    /// From digiKam:TagsList, lr:hierarchicalSubject, dc:subject (Keywords);
    /// hierarchical tags use `/` as the separator ("Places/France/Paris").
    pub tags: Vec<String>,
    pub date_time_original: Option<CaptureDate>,
    pub gps: Option<Gps>,
}

/// One entry of a Google `Container:Directory` (motion photos).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ContainerItem {
    pub semantic: String,
    pub length: u64,
}

/// Everything read from an XMP packet embedded in a file.
#[derive(Debug, Default)]
pub(crate) struct Packet {
    pub sidecar: Sidecar,
    pub create_date: Option<CaptureDate>,
    pub projection_type: Option<String>,
    pub micro_video_offset: Option<u64>,
    pub container_items: Vec<ContainerItem>,
}

/// Parses an XMP packet (a sidecar file's text, or a packet embedded in an image).
pub fn parse(xml: &str) -> Result<Sidecar> {
    parse_packet(xml).map(|p| p.sidecar)
}

/// One value of a property: its text and, for `rdf:Alt` items, the language.
struct Value {
    text: String,
    lang: Option<String>,
}

struct Frame {
    ns: String,
    local: String,
    text: String,
    has_child: bool,
    lang: Option<String>,
}

fn ns_of(r: &ResolveResult<'_>) -> String {
    match r {
        ResolveResult::Bound(Namespace(n)) => (*n).to_string(),
        _ => String::new(),
    }
}

fn resolve_ref(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

pub(crate) fn parse_packet(xml: &str) -> Result<Packet> {
    let xml = xml
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\0', ' ', '\n', '\r', '\t']);
    let mut reader = NsReader::from_str(xml);
    let mut props: HashMap<(String, String), Vec<Value>> = HashMap::new();
    let mut items: Vec<ContainerItem> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let bad = |e: quick_xml::Error| corrupt(format!("XMP is not well-formed XML: {e}"));
    loop {
        let (res, ev) = reader.read_resolved_event().map_err(bad)?;
        let ns = ns_of(&res);
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let local = e.local_name().as_ref().to_string();
                if stack.len() >= MAX_DEPTH {
                    return Err(corrupt("XMP nests too deeply"));
                }
                if let Some(top) = stack.last_mut() {
                    top.has_child = true;
                }
                let in_directory = stack
                    .iter()
                    .any(|f| f.ns == CONTAINER && f.local == "Directory");
                if (ns == CONTAINER && local == "Item")
                    || (ns == RDF && local == "li" && in_directory)
                {
                    // A Container:Item inside an rdf:li is the same item.
                    let parent_li = stack.last().is_some_and(|f| f.ns == RDF && f.local == "li");
                    if !(ns == CONTAINER && parent_li) {
                        items.push(ContainerItem::default());
                    }
                }
                let mut lang = None;
                for a in e.attributes().with_checks(false).flatten() {
                    let key = a.key;
                    if key.as_ref().starts_with("xmlns") {
                        continue;
                    }
                    let (ares, alocal) = reader.resolver().resolve_attribute(key);
                    let ans = ns_of(&ares);
                    let Ok(value) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
                        continue;
                    };
                    if key.as_ref() == "xml:lang" {
                        lang = Some(value.into_owned());
                        continue;
                    }
                    if ans == RDF || ans.is_empty() {
                        continue;
                    }
                    if ans == ITEM {
                        set_item(&mut items, alocal.as_ref(), &value);
                    } else {
                        props
                            .entry((ans, alocal.as_ref().to_string()))
                            .or_default()
                            .push(Value {
                                text: value.into_owned(),
                                lang: None,
                            });
                    }
                }
                let frame = Frame {
                    ns,
                    local,
                    text: String::new(),
                    has_child: false,
                    lang,
                };
                if empty {
                    if frame.ns == RDF && frame.local == "li" {
                        record(&stack, &mut props, frame);
                    }
                } else {
                    stack.push(frame);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(top), Some(c)) = (stack.last_mut(), resolve_ref(&r.into_inner())) {
                    top.text.push(c);
                }
            }
            Event::End(_) => {
                let Some(frame) = stack.pop() else { continue };
                if frame.ns == ITEM && !frame.has_child {
                    set_item(&mut items, &frame.local, &frame.text);
                } else if (frame.ns == RDF && frame.local == "li")
                    || (frame.ns != RDF && !frame.has_child)
                {
                    record(&stack, &mut props, frame);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(build(props, items))
}

fn set_item(items: &mut Vec<ContainerItem>, local: &str, value: &str) {
    if items.is_empty() {
        items.push(ContainerItem::default());
    }
    let Some(item) = items.last_mut() else { return };
    match local {
        "Semantic" => item.semantic = value.trim().to_string(),
        "Length" => item.length = value.trim().parse().unwrap_or(0),
        _ => {}
    }
}

/// Files a finished value under its property: the nearest enclosing element
/// outside the RDF vocabulary.
fn record(stack: &[Frame], props: &mut HashMap<(String, String), Vec<Value>>, frame: Frame) {
    let owner = if frame.ns == RDF {
        stack.iter().rev().find(|f| f.ns != RDF)
    } else {
        Some(&frame)
    };
    let Some(owner) = owner else { return };
    let key = (owner.ns.clone(), owner.local.clone());
    let value = Value {
        text: frame.text.trim().to_string(),
        lang: frame.lang.clone(),
    };
    props.entry(key).or_default().push(value);
}

fn build(props: HashMap<(String, String), Vec<Value>>, items: Vec<ContainerItem>) -> Packet {
    let get = |ns: &str, local: &str| props.get(&(ns.to_string(), local.to_string()));
    let first = |ns: &str, local: &str| -> Option<String> {
        get(ns, local)?
            .iter()
            .map(|v| v.text.trim())
            .find(|t| !t.is_empty())
            .map(str::to_string)
    };
    let list = |ns: &str, local: &str| -> Vec<String> {
        get(ns, local)
            .map(|vs| {
                vs.iter()
                    .map(|v| v.text.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let description = get(DC, "description").and_then(|vs| {
        vs.iter()
            .find(|v| v.lang.as_deref() == Some("x-default") && !v.text.is_empty())
            .or_else(|| vs.iter().find(|v| !v.text.is_empty()))
            .map(|v| v.text.clone())
    });
    let rating = first(XMP, "Rating")
        .and_then(|r| r.parse::<f64>().ok())
        .filter(|r| r.is_finite())
        .map(|r| r.round().clamp(-1.0, 5.0) as i8);

    let mut hier: Vec<String> = Vec::new();
    for t in list(DIGIKAM, "TagsList") {
        push_unique(&mut hier, clean_path(&t, '/'));
    }
    // Lightroom writes `hierarchicalSubject`; some tools capitalise it as exiftool names it.
    for t in list(LR, "hierarchicalSubject")
        .into_iter()
        .chain(list(LR, "HierarchicalSubject"))
    {
        push_unique(&mut hier, clean_path(&t, '|'));
    }
    let mut tags = hier.clone();
    for t in list(DC, "subject") {
        let covered = hier.iter().any(|h| h.split('/').any(|part| part == t));
        if !covered {
            push_unique(&mut tags, t);
        }
    }
    tags.retain(|t| !t.is_empty());

    let date = first(EXIF, "DateTimeOriginal")
        .and_then(|d| parse_iso_date(&d))
        .or_else(|| first(PHOTOSHOP, "DateCreated").and_then(|d| parse_iso_date(&d)))
        .or_else(|| first(XMP, "CreateDate").and_then(|d| parse_iso_date(&d)));
    let gps = match (
        first(EXIF, "GPSLatitude").and_then(|v| parse_coord(&v)),
        first(EXIF, "GPSLongitude").and_then(|v| parse_coord(&v)),
    ) {
        (Some(lat), Some(lon)) => {
            let alt = first(EXIF, "GPSAltitude").and_then(|a| parse_number(&a));
            let below = first(EXIF, "GPSAltitudeRef").is_some_and(|r| r.trim() == "1");
            gps_checked(lat, lon, alt.map(|a| if below { -a } else { a }))
        }
        _ => None,
    };
    Packet {
        sidecar: Sidecar {
            description,
            rating,
            tags,
            date_time_original: date,
            gps,
        },
        create_date: first(XMP, "CreateDate").and_then(|d| parse_iso_date(&d)),
        projection_type: first(GPANO, "ProjectionType"),
        micro_video_offset: first(GCAMERA, "MicroVideoOffset").and_then(|v| v.parse().ok()),
        container_items: items,
    }
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !value.is_empty() && !list.contains(&value) {
        list.push(value);
    }
}

/// A hierarchical tag with `sep` turned into Keepsake's `/`, empty levels dropped.
fn clean_path(tag: &str, sep: char) -> String {
    tag.split(sep)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// A rational ("123/10") or decimal number.
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let v = match t.split_once('/') {
        Some((n, d)) => {
            let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
            if d == 0.0 {
                return None;
            }
            n / d
        }
        None => t.parse().ok()?,
    };
    v.is_finite().then_some(v)
}

/// XMP's GPS coordinate: "DDD,MM.mmk" or "DDD,MM,SSk" (k = N/S/E/W), also a
/// plain signed decimal as some tools write.
fn parse_coord(text: &str) -> Option<f64> {
    let t = text.trim();
    let last = t.chars().last()?;
    let (body, sign) = match last.to_ascii_uppercase() {
        'N' | 'E' => (&t[..t.len() - 1], 1.0),
        'S' | 'W' => (&t[..t.len() - 1], -1.0),
        _ => (t, 1.0),
    };
    let parts: Vec<&str> = body.split(',').map(str::trim).collect();
    let nums: Option<Vec<f64>> = parts.iter().map(|p| p.parse::<f64>().ok()).collect();
    let nums = nums?;
    let v = match nums.as_slice() {
        [d] => *d,
        [d, m] => d + m / 60.0,
        [d, m, s] => d + m / 60.0 + s / 3600.0,
        _ => return None,
    };
    v.is_finite().then_some(sign * v)
}

/// Writes a coordinate as XMP wants it, with as many minute digits as it
/// takes to read back the exact same number.
fn format_coord(v: f64, pos: char, neg: char) -> String {
    let hemi = if v < 0.0 { neg } else { pos };
    let a = v.abs();
    let deg = a.trunc();
    let min = (a - deg) * 60.0;
    for prec in 6..=17 {
        let s = format!("{},{:.*}{}", deg as u32, prec, min, hemi);
        if parse_coord(&s) == Some(v) {
            return s;
        }
    }
    format!("{},{}{}", deg as u32, min, hemi)
}

fn format_date(d: &CaptureDate) -> String {
    let c = d.local;
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if c.millis != 0 {
        s.push_str(&format!(".{:03}", c.millis));
    }
    if let Some(o) = d.offset_minutes {
        let sign = if o < 0 { '-' } else { '+' };
        s.push_str(&format!("{sign}{:02}:{:02}", o.abs() / 60, o.abs() % 60));
    }
    s
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The properties Keepsake owns (and therefore rewrites).
const OWNED: &[(&str, &str)] = &[
    (DC, "description"),
    (XMP, "Rating"),
    (DC, "subject"),
    (DIGIKAM, "TagsList"),
    (LR, "hierarchicalSubject"),
    (LR, "HierarchicalSubject"),
    (EXIF, "DateTimeOriginal"),
    (PHOTOSHOP, "DateCreated"),
    (EXIF, "GPSLatitude"),
    (EXIF, "GPSLongitude"),
    (EXIF, "GPSAltitude"),
    (EXIF, "GPSAltitudeRef"),
];

fn is_owned(ns: &str, local: &str) -> bool {
    OWNED.iter().any(|(n, l)| *n == ns && *l == local)
}

/// The prefixes the owned elements are written with.
const PREFIXES: &[(&str, &str)] = &[
    ("rdf", RDF),
    ("dc", DC),
    ("xmp", XMP),
    ("digiKam", DIGIKAM),
    ("lr", LR),
    ("exif", EXIF),
    ("photoshop", PHOTOSHOP),
];

/// The owned elements for `fields`, each on its own line at `indent`.
/// Prefixes in `local` are bound to another namespace where the elements
/// go, so those elements declare their own namespace.
fn owned_elements(fields: &Sidecar, indent: &str, local: &[&str]) -> String {
    let decl = |prefix: &str| -> String {
        match PREFIXES.iter().find(|(p, _)| *p == prefix) {
            Some((p, uri)) if local.contains(p) => format!(" xmlns:{p}=\"{uri}\""),
            _ => String::new(),
        }
    };
    // `<p:name decls>` for an owned element; `rdf` when it holds RDF markup.
    let open = |name: &str, rdf: bool| -> String {
        let prefix = name.split(':').next().unwrap_or("");
        let rdf_decl = if rdf { decl("rdf") } else { String::new() };
        format!("<{name}{}{rdf_decl}>", decl(prefix))
    };
    let mut out = String::new();
    let mut line = |s: String| {
        out.push('\n');
        out.push_str(indent);
        out.push_str(&s);
    };
    if let Some(d) = &fields.description {
        line(format!(
            "{}<rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>",
            open("dc:description", true),
            esc(d)
        ));
    }
    if let Some(r) = fields.rating {
        line(format!("{}{r}</xmp:Rating>", open("xmp:Rating", false)));
    }
    let tags: Vec<&String> = fields.tags.iter().filter(|t| !t.is_empty()).collect();
    if !tags.is_empty() {
        let li = |v: &str| format!("<rdf:li>{}</rdf:li>", esc(v));
        let mut leaves: Vec<&str> = Vec::new();
        for t in &tags {
            let leaf = t.rsplit('/').next().unwrap_or(t);
            if !leaves.contains(&leaf) {
                leaves.push(leaf);
            }
        }
        line(format!(
            "{}<rdf:Bag>{}</rdf:Bag></dc:subject>",
            open("dc:subject", true),
            leaves.iter().map(|l| li(l)).collect::<String>()
        ));
        line(format!(
            "{}<rdf:Seq>{}</rdf:Seq></digiKam:TagsList>",
            open("digiKam:TagsList", true),
            tags.iter().map(|t| li(t)).collect::<String>()
        ));
        line(format!(
            "{}<rdf:Bag>{}</rdf:Bag></lr:hierarchicalSubject>",
            open("lr:hierarchicalSubject", true),
            tags.iter()
                .map(|t| li(&t.replace('/', "|")))
                .collect::<String>()
        ));
    }
    if let Some(d) = &fields.date_time_original {
        let s = format_date(d);
        line(format!(
            "{}{s}</exif:DateTimeOriginal>",
            open("exif:DateTimeOriginal", false)
        ));
        line(format!(
            "{}{s}</photoshop:DateCreated>",
            open("photoshop:DateCreated", false)
        ));
    }
    if let Some(g) = &fields.gps {
        line(format!(
            "{}{}</exif:GPSLatitude>",
            open("exif:GPSLatitude", false),
            format_coord(g.latitude, 'N', 'S')
        ));
        line(format!(
            "{}{}</exif:GPSLongitude>",
            open("exif:GPSLongitude", false),
            format_coord(g.longitude, 'E', 'W')
        ));
        if let Some(a) = g.altitude {
            line(format!(
                "{}{}</exif:GPSAltitude>",
                open("exif:GPSAltitude", false),
                format_altitude(a.abs())
            ));
            line(format!(
                "{}{}</exif:GPSAltitudeRef>",
                open("exif:GPSAltitudeRef", false),
                u8::from(a < 0.0)
            ));
        }
    }
    out
}

/// An altitude as the shortest rational that reads back exactly, else decimal.
fn format_altitude(a: f64) -> String {
    let mut den: u64 = 1;
    while den <= 1_000_000 {
        let num = (a * den as f64).round();
        if num < 9e15 && num / den as f64 == a {
            return format!("{}/{den}", num as u64);
        }
        den *= 10;
    }
    format!("{a}")
}

fn fresh(fields: &Sidecar) -> String {
    let decls: String = PREFIXES
        .iter()
        .skip(1)
        .map(|(p, u)| format!("\n    xmlns:{p}=\"{u}\""))
        .collect();
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Keepsake\">\n \
         <rdf:RDF xmlns:rdf=\"{RDF}\">\n  \
         <rdf:Description rdf:about=\"\"{decls}>{}\n  \
         </rdf:Description>\n \
         </rdf:RDF>\n\
         </x:xmpmeta>\n\
         <?xpacket end=\"w\"?>\n",
        owned_elements(fields, "   ", &[])
    )
}

/// Writes `fields` into `existing` (a sidecar's current text, if any),
/// replacing only the fields Keepsake owns and keeping everything else.
///
/// `fields` is the whole Keepsake-owned state: a `None` field removes that
/// property from the sidecar. Text that is not an XMP packet (or not
/// well-formed) cannot be edited safely and is replaced by a fresh packet.
pub fn write(existing: Option<&str>, fields: &Sidecar) -> String {
    match existing.and_then(|x| edit(x, fields)) {
        Some(s) => s,
        None => fresh(fields),
    }
}

/// What an open element is, for the editor.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Description,
    Owned,
    RdfRoot,
    Other,
}

fn edit(xml: &str, fields: &Sidecar) -> Option<String> {
    let mut reader = NsReader::from_str(xml);
    let mut out = String::with_capacity(xml.len() + 1024);
    let mut last = 0usize;
    let mut stack: Vec<Open> = Vec::new();
    let mut skipping: Option<usize> = None;
    let mut inserted = false;
    let mut saw_rdf = false;
    let mut own_decls: Vec<&str> = Vec::new();
    loop {
        let start = reader.buffer_position() as usize;
        let (res, ev) = reader.read_resolved_event().ok()?;
        let ns = ns_of(&res);
        let end = reader.buffer_position() as usize;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                if skipping.is_some() {
                    if !empty {
                        stack.push(Open::Other);
                    }
                    continue;
                }
                let local = e.local_name().as_ref().to_string();
                let parent_desc = stack.last() == Some(&Open::Description);
                if parent_desc && is_owned(&ns, &local) {
                    out.push_str(xml.get(last..start)?.trim_end());
                    last = end;
                    if !empty {
                        skipping = Some(stack.len());
                        stack.push(Open::Owned);
                    }
                    continue;
                }
                if ns == RDF && local == "RDF" {
                    saw_rdf = true;
                    if !empty {
                        stack.push(Open::RdfRoot);
                    }
                    continue;
                }
                if ns == RDF && local == "Description" {
                    out.push_str(xml.get(last..start)?);
                    last = end;
                    let first = !inserted;
                    let (tag, conflicts) = description_tag(&reader, e, first)?;
                    if first {
                        own_decls = conflicts;
                    }
                    out.push_str(&tag);
                    if empty {
                        if first {
                            let indent = indent_before(xml, start);
                            out.push('>');
                            out.push_str(&owned_elements(
                                fields,
                                &format!("{indent} "),
                                &own_decls,
                            ));
                            out.push('\n');
                            out.push_str(&indent);
                            out.push_str(&format!("</{}>", e.name().as_ref()));
                            inserted = true;
                        } else {
                            out.push_str("/>");
                        }
                    } else {
                        out.push('>');
                        stack.push(Open::Description);
                    }
                    continue;
                }
                if !empty {
                    stack.push(Open::Other);
                }
            }
            Event::End(_) => {
                let open = stack.pop()?;
                if open == Open::Owned && skipping == Some(stack.len()) {
                    skipping = None;
                    last = end;
                    continue;
                }
                if skipping.is_some() {
                    continue;
                }
                if open == Open::Description && !inserted {
                    let indent = indent_before(xml, start);
                    out.push_str(xml.get(last..start)?.trim_end());
                    out.push_str(&owned_elements(fields, &format!("{indent} "), &own_decls));
                    out.push('\n');
                    out.push_str(&indent);
                    last = start;
                    inserted = true;
                }
                if open == Open::RdfRoot && !inserted {
                    // An rdf:RDF without any rdf:Description: add one.
                    let indent = indent_before(xml, start);
                    out.push_str(xml.get(last..start)?.trim_end());
                    let decls: String = PREFIXES
                        .iter()
                        .map(|(p, u)| format!(" xmlns:{p}=\"{u}\""))
                        .collect();
                    out.push_str(&format!(
                        "\n{indent} <rdf:Description rdf:about=\"\"{decls}>{}\n{indent} </rdf:Description>\n{indent}",
                        owned_elements(fields, &format!("{indent}  "), &[])
                    ));
                    last = start;
                    inserted = true;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_rdf || !inserted || !stack.is_empty() {
        return None;
    }
    out.push_str(xml.get(last..)?);
    Some(out)
}

/// The whitespace that starts the line holding byte `at`.
fn indent_before(xml: &str, at: usize) -> String {
    let line_start = xml
        .get(..at)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1);
    xml.get(line_start..at)
        .unwrap_or("")
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// Rebuilds an `rdf:Description` start tag without Keepsake's attribute-form
/// properties; the first one also declares the namespaces the owned elements
/// need. Returns the tag without its closing `>` or `/>`, and the prefixes
/// already bound to another namespace there (the owned elements then declare
/// those themselves).
fn description_tag<'p>(
    reader: &NsReader<&[u8]>,
    e: &quick_xml::events::BytesStart<'_>,
    first: bool,
) -> Option<(String, Vec<&'p str>)> {
    let mut tag = format!("<{}", e.name().as_ref());
    // Keep the writer's layout: one attribute per line if it used that.
    let sep = if e.attributes_raw().contains('\n') {
        "\n    ".to_string()
    } else {
        " ".to_string()
    };
    for a in e.attributes().with_checks(false) {
        let a = a.ok()?;
        let key = a.key.as_ref();
        if !key.starts_with("xmlns") {
            let (ares, alocal) = reader.resolver().resolve_attribute(a.key);
            if is_owned(&ns_of(&ares), alocal.as_ref()) {
                continue;
            }
        }
        let raw: &str = &a.value;
        let q = if raw.contains('"') { '\'' } else { '"' };
        tag.push_str(&format!("{sep}{key}={q}{raw}{q}"));
    }
    let mut conflicts = Vec::new();
    if first {
        for (p, uri) in PREFIXES {
            let probe = format!("{p}:x");
            match reader.resolver().resolve_element(QName(&probe)).0 {
                ResolveResult::Bound(Namespace(n)) if n == *uri => {}
                ResolveResult::Bound(_) => conflicts.push(*p),
                _ => tag.push_str(&format!("{sep}xmlns:{p}=\"{uri}\"")),
            }
        }
    }
    Some((tag, conflicts))
}

/// Where a sidecar for `original` may live, in the order they are preferred:
/// `IMG_1.jpg.xmp`, then `IMG_1.xmp`.
pub fn sidecar_candidates(original: &Path) -> [PathBuf; 2] {
    let mut full = original.as_os_str().to_owned();
    full.push(".xmp");
    [PathBuf::from(full), original.with_extension("xmp")]
}
