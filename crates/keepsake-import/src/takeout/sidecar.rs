//! Reading one Takeout JSON: a media sidecar into [`ItemMeta`], or an album's
//! metadata file into its title and description. Decoded loosely: numbers may
//! come as strings, objects may be missing, and nothing here panics.

use keepsake_core::import::{ItemMeta, SourceDate};
use serde_json::Value;

/// `meta.extra` names this source writes, in this order.
pub const EXTRA_TITLE: &str = "takeout_title";
pub const EXTRA_URL: &str = "takeout_url";
pub const EXTRA_EDITED_OF: &str = "takeout_edited_of";

/// What one JSON file says.
#[derive(Debug, Clone)]
pub enum Doc {
    /// A media sidecar (it has `photoTakenTime`), or a JSON that may be one.
    Media(Box<ItemMeta>, Option<String>),
    /// An album's metadata (a `title` and no `photoTakenTime`, or the old
    /// `albumData` wrapper). Kept with what it would mean as a sidecar, in
    /// case the folder has a better album metadata file.
    Album {
        title: Option<String>,
        description: Option<String>,
        as_media: Box<ItemMeta>,
        media_title: Option<String>,
    },
    /// Not JSON, or not an object: the error, for the warning.
    Broken(String),
}

impl Doc {
    pub fn parse(bytes: &[u8]) -> Doc {
        let value: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return Doc::Broken(e.to_string()),
        };
        let Some(obj) = value.as_object() else {
            return Doc::Broken("not a JSON object".into());
        };
        let title = string(obj.get("title"));
        if let Some(album) = obj.get("albumData").and_then(Value::as_object) {
            return Doc::Album {
                title: string(album.get("title")),
                description: non_empty(string(album.get("description"))),
                as_media: Box::new(media_meta(&value)),
                media_title: title,
            };
        }
        if obj.get("photoTakenTime").is_none() && title.is_some() {
            return Doc::Album {
                title: title.clone(),
                description: non_empty(string(obj.get("description"))),
                as_media: Box::new(media_meta(&value)),
                media_title: title,
            };
        }
        Doc::Media(Box::new(media_meta(&value)), title)
    }

    /// The sidecar meaning of this document (none for a broken one).
    pub fn as_media(&self) -> Option<&ItemMeta> {
        match self {
            Doc::Media(m, _) => Some(m),
            Doc::Album { as_media, .. } => Some(as_media),
            Doc::Broken(_) => None,
        }
    }

    /// The `title` a sidecar gives: the name the file was uploaded with.
    pub fn media_title(&self) -> Option<&str> {
        match self {
            Doc::Media(_, t) => t.as_deref(),
            Doc::Album { media_title, .. } => media_title.as_deref(),
            Doc::Broken(_) => None,
        }
    }
}

/// A sidecar's fields as item metadata (see the module doc of `takeout`).
pub fn media_meta(v: &Value) -> ItemMeta {
    let mut meta = ItemMeta {
        taken: timestamp_ms(v.get("photoTakenTime")).map(SourceDate::Instant),
        file_modified_at: timestamp_ms(v.get("photoLastModifiedTime")),
        location: geo(v.get("geoData")).or_else(|| geo(v.get("geoDataExif"))),
        description: non_empty(string(v.get("description"))),
        favorite: flag(v.get("favorited")),
        archived: flag(v.get("archived")),
        trashed: flag(v.get("trashed")),
        ..ItemMeta::default()
    };
    if let Some(people) = v.get("people").and_then(Value::as_array) {
        for person in people {
            let name = match person {
                Value::Object(p) => string(p.get("name")),
                Value::String(s) => Some(s.clone()),
                _ => None,
            };
            if let Some(name) = name.map(|n| n.trim().to_string())
                && !name.is_empty()
            {
                let tag = format!("people/{name}");
                if !meta.tags.contains(&tag) {
                    meta.tags.push(tag);
                }
            }
        }
    }
    if let Some(title) = non_empty(string(v.get("title"))) {
        meta.extra.push((EXTRA_TITLE.into(), title));
    }
    if let Some(url) = non_empty(string(v.get("url"))) {
        meta.extra.push((EXTRA_URL.into(), url));
    }
    meta
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// `{"timestamp": "1562955312", "formatted": …}` (or the bare number) → ms.
/// Zero means Google did not know.
fn timestamp_ms(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    let raw = match v {
        Value::Object(o) => o.get("timestamp"),
        other => Some(other),
    };
    let secs = match raw? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }?;
    // Beyond ±10 000 years is nonsense, and would overflow in milliseconds.
    if secs == 0 || secs.unsigned_abs() > 253_402_300_799 {
        return None;
    }
    Some(secs * 1000)
}

/// `{"latitude": …, "longitude": …}`; 0/0 (Google's "none") and impossible
/// values are no place.
fn geo(v: Option<&Value>) -> Option<(f64, f64)> {
    let o = v?.as_object()?;
    let lat = number(o.get("latitude"))?;
    let lon = number(o.get("longitude"))?;
    if (lat == 0.0 && lon == 0.0) || lat.abs() > 90.0 || lon.abs() > 180.0 {
        return None;
    }
    Some((lat, lon))
}

fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s == "1" || s.eq_ignore_ascii_case("yes")
        }
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(json: &str) -> ItemMeta {
        match Doc::parse(json.as_bytes()) {
            Doc::Media(m, _) => *m,
            other => panic!("not a sidecar: {other:?}"),
        }
    }

    #[test]
    fn a_full_sidecar_maps_field_by_field() {
        let m = meta(
            r#"{
              "title": "IMG_1234.JPG",
              "description": "At the beach",
              "imageViews": "3",
              "creationTime": {"timestamp": "1600000000", "formatted": "…"},
              "photoTakenTime": {"timestamp": "1562955312", "formatted": "12 Jul 2019, 18:15:12 UTC"},
              "photoLastModifiedTime": {"timestamp": "1562955400"},
              "geoData": {"latitude": 48.8584, "longitude": 2.2945, "altitude": 35.0},
              "geoDataExif": {"latitude": 1.0, "longitude": 1.0},
              "people": [{"name": "Alice"}, {"name": "Bob"}, {"name": "Alice"}, {"name": " "}],
              "url": "https://photos.google.com/photo/abc",
              "favorited": true,
              "archived": true,
              "trashed": false
            }"#,
        );
        assert_eq!(m.taken, Some(SourceDate::Instant(1_562_955_312_000)));
        assert_eq!(m.file_modified_at, Some(1_562_955_400_000));
        assert_eq!(m.location, Some((48.8584, 2.2945)));
        assert_eq!(m.description.as_deref(), Some("At the beach"));
        assert_eq!(m.title, None, "the title is a file name, not a title");
        assert_eq!(m.tags, vec!["people/Alice", "people/Bob"]);
        assert!(m.favorite && m.archived && !m.trashed);
        assert_eq!(
            m.extra,
            vec![
                (EXTRA_TITLE.to_string(), "IMG_1234.JPG".to_string()),
                (
                    EXTRA_URL.to_string(),
                    "https://photos.google.com/photo/abc".to_string()
                ),
            ]
        );
    }

    #[test]
    fn geo_falls_back_to_exif_then_to_none() {
        let m = meta(
            r#"{"photoTakenTime": {"timestamp": "1"}, "geoData": {"latitude": 0.0, "longitude": 0.0},
                "geoDataExif": {"latitude": "-33.86", "longitude": "151.21"}}"#,
        );
        assert_eq!(m.location, Some((-33.86, 151.21)));
        let m = meta(
            r#"{"photoTakenTime": {"timestamp": "1"}, "geoData": {"latitude": 0.0, "longitude": 0.0},
                "geoDataExif": {"latitude": 0, "longitude": 0}}"#,
        );
        assert_eq!(m.location, None);
        let m = meta(r#"{"photoTakenTime": {}, "geoData": {"latitude": 95, "longitude": 1}}"#);
        assert_eq!(m.location, None);
        assert_eq!(m.taken, None);
    }

    #[test]
    fn odd_values_are_tolerated() {
        let m = meta(
            r#"{"photoTakenTime": {"timestamp": 1562955312}, "favorited": "true",
                "archived": 1, "trashed": "false", "description": "   ", "people": "nobody",
                "geoData": "nowhere", "photoLastModifiedTime": "1562955312.5", "title": 7}"#,
        );
        assert_eq!(m.taken, Some(SourceDate::Instant(1_562_955_312_000)));
        assert_eq!(m.file_modified_at, Some(1_562_955_312_000));
        assert!(m.favorite && m.archived && !m.trashed);
        assert_eq!(m.description, None);
        assert!(m.tags.is_empty());
        assert_eq!(m.location, None);
        let m = meta(r#"{"photoTakenTime": {"timestamp": "99999999999999999999"}}"#);
        assert_eq!(m.taken, None);
        let m = meta(r#"{"photoTakenTime": {"timestamp": "-86400"}}"#);
        assert_eq!(m.taken, Some(SourceDate::Instant(-86_400_000)));
    }

    #[test]
    fn album_metadata_is_told_apart_by_content() {
        match Doc::parse(br#"{"title": "Paris", "description": "Spring", "access": "protected"}"#) {
            Doc::Album {
                title, description, ..
            } => {
                assert_eq!(title.as_deref(), Some("Paris"));
                assert_eq!(description.as_deref(), Some("Spring"));
            }
            other => panic!("{other:?}"),
        }
        match Doc::parse(br#"{"albumData": {"title": "Old", "description": ""}}"#) {
            Doc::Album {
                title, description, ..
            } => {
                assert_eq!(title.as_deref(), Some("Old"));
                assert_eq!(description, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(Doc::parse(b"{\"title\": "), Doc::Broken(_)));
        assert!(matches!(Doc::parse(b"[1, 2]"), Doc::Broken(_)));
        assert!(matches!(
            Doc::parse(br#"{"title": "a.jpg", "photoTakenTime": {"timestamp": "5"}}"#),
            Doc::Media(..)
        ));
    }
}
