//! The export's JSON, typed loosely (with the Flickr API's [`loose`] helpers),
//! and how one `photo_<id>.json` maps onto an item's metadata.
//!
//! Two layouts exist: the current one (`geo` is a list) and the 2018 one
//! (`geo` is an object, plus an `exif` map and `license: null`). Counts are
//! strings, absent values are `""` or `null`, and a list may be an object.

use keepsake_core::Timestamp;
use keepsake_core::import::{Granularity, ItemMeta, SourceDate};
use keepsake_core::time::Civil;
use serde::Deserialize;
use serde_json::Value;

use crate::flickr::model::{self, Geo, TakenDate, loose, parse_mysql_datetime};
use crate::flickr::text::{decode_entities, html_to_text};

/// One `photo_<id>.json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ExportPhoto {
    /// The title.
    #[serde(default, deserialize_with = "loose::string")]
    pub name: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub description: String,
    /// `YYYY-MM-DD HH:MM:SS`, local wall-clock time.
    #[serde(default, deserialize_with = "loose::string")]
    pub date_taken: String,
    /// Not in the exports seen so far; honoured when present (Flickr's codes 0/4/6/8).
    #[serde(default)]
    pub date_taken_granularity: Option<Value>,
    #[serde(default)]
    pub datetakengranularity: Option<Value>,
    #[serde(default, deserialize_with = "loose::boolean")]
    pub date_taken_unknown: bool,
    #[serde(default, deserialize_with = "loose::boolean")]
    pub datetakenunknown: bool,
    /// The upload time, `YYYY-MM-DD HH:MM:SS` (zone unknown; read as UTC).
    #[serde(default, deserialize_with = "loose::string")]
    pub date_imported: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub photopage: String,
    /// The original's URL; its basename is the media file's name in older exports.
    #[serde(default, deserialize_with = "loose::string")]
    pub original: String,
    /// A display name (`Attribution License`), or `null` in 2018 exports.
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub license: Option<String>,
    #[serde(default, deserialize_with = "loose::list")]
    pub geo: Vec<ExportGeo>,
    #[serde(default, deserialize_with = "loose::list")]
    pub tags: Vec<ExportTag>,
    /// `public`, `private`, `friend & family` (friends-only and family-only
    /// are both exported so), or in other spellings `friends`/`family`.
    #[serde(default, deserialize_with = "loose::string")]
    pub privacy: String,
    /// 2018 exports: `{"ExifIFD:DateTimeOriginal": {"value": …}}`.
    #[serde(default)]
    pub exif: Value,
}

/// Latitude and longitude are integer micro-degrees as strings (`"40748440"`);
/// a value written with a decimal point is read as degrees.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ExportGeo {
    #[serde(default)]
    pub latitude: Value,
    #[serde(default)]
    pub longitude: Value,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub accuracy: Option<u64>,
}

/// A tag: `{"tag": "New York", …}` (`tag` is the raw spelling), with `raw`
/// preferred when an export carries both; a bare string is a tag too.
#[derive(Debug, Clone, Default)]
pub(super) struct ExportTag {
    pub tag: String,
    pub raw: String,
}

impl<'de> Deserialize<'de> for ExportTag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        Ok(match Value::deserialize(d)? {
            Value::Object(map) => ExportTag {
                tag: text(map.get("tag").or_else(|| map.get("_content"))),
                raw: text(map.get("raw")),
            },
            other => ExportTag {
                tag: text(Some(&other)),
                raw: String::new(),
            },
        })
    }
}

/// One album of `albums.json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ExportAlbum {
    #[serde(default, deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub title: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub description: String,
    /// Photo ids in album order.
    #[serde(default, deserialize_with = "loose::list")]
    pub photos: Vec<LooseId>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct LooseId(#[serde(deserialize_with = "loose::string")] pub String);

/// `albums.json` (`{"albums": [...]}`, or a bare list).
pub(super) fn parse_albums(bytes: &[u8]) -> Result<Vec<ExportAlbum>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let list = match value {
        Value::Object(mut map) => map.remove("albums").unwrap_or(Value::Null),
        other => other,
    };
    match list {
        Value::Array(items) => items
            .into_iter()
            .map(|item| serde_json::from_value(item).map_err(|e| e.to_string()))
            .collect(),
        Value::Object(map) => Ok(vec![
            serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())?,
        ]),
        Value::Null => Ok(Vec::new()),
        other => Err(format!("`albums` is not a list but {other}")),
    }
}

pub(super) fn parse_photo(bytes: &[u8]) -> Result<ExportPhoto, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

impl ExportPhoto {
    /// The basename of the `original` URL (`2634391576_6ab6f1017f_o.jpg`).
    pub fn original_name(&self) -> Option<&str> {
        let path = self.original.split(['?', '#']).next().unwrap_or("");
        let name = path.rsplit('/').next().unwrap_or("").trim();
        (!name.is_empty() && name.contains('.')).then_some(name)
    }

    /// Everything this JSON says about the item. `title` is the title
    /// already judged worth keeping (see [`super::file_name_title`]).
    pub fn to_meta(&self, keep_title: bool) -> ItemMeta {
        let title = decode_entities(self.name.trim()).trim().to_string();
        let description = html_to_text(&self.description);
        let mut tags: Vec<String> = Vec::new();
        for tag in &self.tags {
            let chosen = if tag.raw.trim().is_empty() {
                &tag.tag
            } else {
                &tag.raw
            };
            let chosen = decode_entities(chosen.trim()).trim().to_string();
            if !chosen.is_empty() && !tags.contains(&chosen) {
                tags.push(chosen);
            }
        }
        let mut extra = Vec::new();
        let mut push = |name: &str, value: String| {
            if !value.is_empty() {
                extra.push((name.to_string(), value));
            }
        };
        push("flickr_url", self.photopage.trim().to_string());
        push("flickr_privacy", privacy(&self.privacy));
        push(
            "flickr_uploaded_at",
            upload_time(&self.date_imported)
                .map(|t| t.to_iso())
                .unwrap_or_default(),
        );
        push(
            "flickr_license",
            self.license.as_deref().unwrap_or("").trim().to_string(),
        );
        ItemMeta {
            taken: self.taken(),
            location: self.location(),
            title: (keep_title && !title.is_empty()).then_some(title),
            description: (!description.is_empty()).then_some(description),
            tags,
            extra,
            ..ItemMeta::default()
        }
    }

    /// `date_taken` as a wall-clock time, `None` when Flickr does not know it:
    /// flagged unknown, unparsable or year 0, or the same second as the upload
    /// (Flickr's placeholder for "no date", which the export does not flag).
    pub fn taken(&self) -> Option<SourceDate> {
        let mut raw = self.date_taken.trim().to_string();
        if parse_mysql_datetime(&raw).is_none()
            && let Some(exif) = self.exif_date_time_original()
        {
            raw = exif;
        }
        let placeholder = !raw.is_empty() && raw == self.date_imported.trim();
        let unknown = self.date_taken_unknown || self.datetakenunknown || placeholder;
        let code = self
            .date_taken_granularity
            .as_ref()
            .or(self.datetakengranularity.as_ref())
            .and_then(granularity_code)
            .unwrap_or(0);
        let taken = TakenDate::new(&raw, code, unknown);
        let wall = taken.wall_time?;
        let granularity = match taken.granularity {
            model::Granularity::Month => Granularity::Month,
            model::Granularity::Year => Granularity::Year,
            model::Granularity::Circa => Granularity::Circa,
            model::Granularity::Exact | model::Granularity::Other(_) => Granularity::Second,
        };
        Some(SourceDate::Local(
            Timestamp::from_civil(wall).millis(),
            granularity,
        ))
    }

    /// 2018 exports: `exif["ExifIFD:DateTimeOriginal"].value`, as `YYYY-MM-DD HH:MM:SS`.
    fn exif_date_time_original(&self) -> Option<String> {
        let map = self.exif.as_object()?;
        let (_, field) = map.iter().find(|(k, _)| k.ends_with("DateTimeOriginal"))?;
        let value = field
            .get("value")
            .or_else(|| field.get("raw_value"))
            .and_then(Value::as_str)?;
        let (date, time) = value.trim().split_once(' ')?;
        Some(format!("{} {time}", date.replace(':', "-")))
    }

    /// The first usable place: micro-degrees converted, `0,0` and accuracy 0 ignored.
    pub fn location(&self) -> Option<(f64, f64)> {
        self.geo.iter().find_map(|g| {
            let geo = Geo::from_parts(
                coordinate(&g.latitude),
                coordinate(&g.longitude),
                // No accuracy given: take the place as it is.
                g.accuracy.unwrap_or(16),
                None,
                None,
            )?;
            Some((geo.latitude, geo.longitude))
        })
    }
}

/// Micro-degrees (`"40748440"`, `40748440`) or degrees (`"40.748440"`, `40.7`).
fn coordinate(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(micro) => Some(micro as f64 / 1e6),
            None => n.as_f64(),
        },
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                None
            } else if s.contains(['.', 'e', 'E']) {
                s.parse::<f64>().ok()
            } else {
                s.parse::<i64>().ok().map(|micro| micro as f64 / 1e6)
            }
        }
        _ => None,
    }
}

/// Flickr's granularity codes (0, 4, 6, 8) as numbers or strings, or their names.
fn granularity_code(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            s.parse::<u64>().ok().or(match s.as_str() {
                "second" | "exact" | "" => Some(0),
                "month" => Some(4),
                "year" => Some(6),
                "circa" => Some(8),
                _ => None,
            })
        }
        _ => None,
    }
}

/// The privacy word kept with the item: `public`, `friends`, `family`,
/// `friends & family` (the export's `friend & family`, which also stands for
/// friends-only and family-only photos) or `private`; others as written.
fn privacy(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let friends = lower.contains("friend");
    let family = lower.contains("family");
    match (friends, family) {
        (true, true) => "friends & family".to_string(),
        (true, false) => "friends".to_string(),
        (false, true) => "family".to_string(),
        _ => lower,
    }
}

/// `date_imported`: `YYYY-MM-DD HH:MM:SS` read as UTC, or unix seconds.
fn upload_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok().map(|s| Timestamp(s * 1000));
    }
    parse_mysql_datetime(text).map(|c: Civil| Timestamp::from_civil(c))
}
