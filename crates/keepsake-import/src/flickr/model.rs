//! Flickr's JSON, typed. Flickr's JSON is a mechanical rendering of its XML,
//! so the same field arrives as `0`, `"0"` or `""`, text hides in
//! `{"_content": …}` wrappers, and repeated children sit under a singular
//! name (`"tags": {"tag": [...]}`). The `loose` helpers accept every form the
//! recorded responses show, so one odd field never fails a whole page.
//!
//! Invariant: ids (photos, sets, NSIDs) stay strings; nothing here guesses a
//! date's zone: `datetaken` is a naive wall-clock time and stays one.

use keepsake_core::time::Civil;
use serde::Deserialize;

/// Deserializers that tolerate Flickr's loose typing.
pub mod loose {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn text_of(value: &Value) -> Option<String> {
        match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
            Value::Object(map) => map.get("_content").and_then(text_of),
            Value::Array(_) => None,
        }
    }

    /// A string from a string, a number, a `{_content}` wrapper; `null` → `""`.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(text_of(&Value::deserialize(d)?).unwrap_or_default())
    }

    /// As [`string`], but `""` and `null` are `None`.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(text_of(&Value::deserialize(d)?).filter(|s| !s.trim().is_empty()))
    }

    /// A whole number from `7` or `"7"`; `""`, `null` (and `7.0`) are fine.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let value = Value::deserialize(d)?;
        match &value {
            Value::Number(n) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
            _ => match text_of(&value) {
                None => Ok(None),
                Some(s) if s.trim().is_empty() => Ok(None),
                Some(s) => s
                    .trim()
                    .parse::<i64>()
                    .map(Some)
                    .or_else(|_| s.trim().parse::<f64>().map(|f| Some(f as i64)))
                    .map_err(|_| D::Error::custom(format!("not a number: {s:?}"))),
            },
        }
    }

    /// As [`opt_i64`], absent values being 0 and negative ones refused.
    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match opt_i64(d)? {
            None => Ok(0),
            Some(n) => u64::try_from(n).map_err(|_| D::Error::custom(format!("negative: {n}"))),
        }
    }

    /// As [`u64`] but `""`/`null` stay `None` (sizes without dimensions).
    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Ok(opt_i64(d)?.and_then(|n| u64::try_from(n).ok()))
    }

    /// A decimal from `40.7` or `"40.748440"`; `""`/`null` are `None`.
    pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let value = Value::deserialize(d)?;
        match &value {
            Value::Number(n) => Ok(n.as_f64()),
            _ => match text_of(&value) {
                None => Ok(None),
                Some(s) if s.trim().is_empty() => Ok(None),
                Some(s) => s
                    .trim()
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| D::Error::custom(format!("not a number: {s:?}"))),
            },
        }
    }

    /// A flag from `1`/`0`, `"1"`/`"0"`, `true`/`false`, `"true"`; `""`/`null` → false.
    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        let value = Value::deserialize(d)?;
        Ok(match &value {
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
            _ => match text_of(&value) {
                None => false,
                Some(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"),
            },
        })
    }

    /// Space-separated words (`tags`, `machine_tags`) as a list; `""` → empty.
    pub fn words<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(text_of(&Value::deserialize(d)?)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect())
    }

    /// A list that may arrive as an array, a single object, or `""`/`null` for none.
    pub fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .map(|item| serde_json::from_value(item).map_err(D::Error::custom))
                .collect(),
            Value::Object(map) => Ok(vec![
                serde_json::from_value(Value::Object(map)).map_err(D::Error::custom)?,
            ]),
            _ => Ok(Vec::new()),
        }
    }
}

/// One page of a list response, as Flickr pages it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub page: u64,
    pub pages: u64,
    pub per_page: u64,
    pub total: u64,
    pub items: Vec<T>,
}

impl<T> Page<T> {
    /// True when another page should be asked for: Flickr says there are more
    /// pages and this one was not empty (so a wrong `pages` cannot loop forever).
    pub fn has_more(&self) -> bool {
        self.page < self.pages && !self.items.is_empty()
    }
}

/// The page fields every list shares, typed loosely.
#[derive(Debug, Deserialize)]
pub(crate) struct RawPaging {
    #[serde(default, deserialize_with = "loose::u64")]
    pub page: u64,
    #[serde(default, deserialize_with = "loose::u64")]
    pub pages: u64,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub perpage: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub per_page: Option<u64>,
    #[serde(default, deserialize_with = "loose::u64")]
    pub total: u64,
}

impl RawPaging {
    pub fn into_page<T>(self, items: Vec<T>) -> Page<T> {
        Page {
            page: self.page,
            pages: self.pages,
            per_page: self.perpage.or(self.per_page).unwrap_or(0),
            total: self.total,
            items,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawPhotoList {
    #[serde(flatten)]
    pub paging: RawPaging,
    #[serde(default, deserialize_with = "loose::list")]
    pub photo: Vec<Photo>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawPhotosetList {
    #[serde(flatten)]
    pub paging: RawPaging,
    #[serde(default, deserialize_with = "loose::list")]
    pub photoset: Vec<Photoset>,
}

/// Photo or video, as `media` says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Media {
    #[default]
    Photo,
    Video,
    Other(String),
}

impl<'de> Deserialize<'de> for Media {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = loose::string(d)?;
        Ok(match text.as_str() {
            "photo" | "" => Media::Photo,
            "video" => Media::Video,
            _ => Media::Other(text),
        })
    }
}

/// Who may see an item on Flickr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    Public,
    FriendsAndFamily,
    Friends,
    Family,
    Private,
}

impl Privacy {
    pub fn from_flags(is_public: bool, is_friend: bool, is_family: bool) -> Privacy {
        match (is_public, is_friend, is_family) {
            (true, _, _) => Privacy::Public,
            (false, true, true) => Privacy::FriendsAndFamily,
            (false, true, false) => Privacy::Friends,
            (false, false, true) => Privacy::Family,
            (false, false, false) => Privacy::Private,
        }
    }
}

/// `datetakengranularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// 0: `Y-m-d H:i:s`.
    Exact,
    /// 4: year and month.
    Month,
    /// 6: year.
    Year,
    /// 8: circa (a year, approximately).
    Circa,
    /// Anything else Flickr may send (it says to accept 0–10).
    Other(u64),
}

impl Granularity {
    pub fn from_code(code: u64) -> Granularity {
        match code {
            0 => Granularity::Exact,
            4 => Granularity::Month,
            6 => Granularity::Year,
            8 => Granularity::Circa,
            other => Granularity::Other(other),
        }
    }
}

/// A taken date as Flickr states it: a naive local wall-clock time (no zone),
/// how precise it is, and whether Flickr knows it at all.
#[derive(Debug, Clone, PartialEq)]
pub struct TakenDate {
    /// As sent, e.g. `2019-07-04 18:30:00` or `0000-00-00 00:00:00`.
    pub raw: String,
    pub granularity: Granularity,
    /// `datetakenunknown=1`: the value is a placeholder (about the upload time).
    pub unknown: bool,
    /// The wall-clock time, when usable: `None` when unknown, unparsable or in
    /// year 0000. Month and year granularities are pinned to the first of the
    /// month / 1 January at midnight.
    pub wall_time: Option<Civil>,
}

impl TakenDate {
    pub fn new(raw: &str, granularity: u64, unknown: bool) -> TakenDate {
        let granularity = Granularity::from_code(granularity);
        let wall_time = if unknown {
            None
        } else {
            parse_mysql_datetime(raw).map(|c| match granularity {
                Granularity::Month => Civil {
                    day: 1,
                    hour: 0,
                    minute: 0,
                    second: 0,
                    ..c
                },
                Granularity::Year | Granularity::Circa => Civil {
                    month: 1,
                    day: 1,
                    hour: 0,
                    minute: 0,
                    second: 0,
                    ..c
                },
                _ => c,
            })
        };
        TakenDate {
            raw: raw.to_string(),
            granularity,
            unknown,
            wall_time,
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` (the time part optional); `None` for year 0 or nonsense.
pub fn parse_mysql_datetime(text: &str) -> Option<Civil> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00:00"));
    let mut d = date.split('-').map(|p| p.parse::<u32>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<u32>().ok());
    let hour = t.next().flatten().unwrap_or(0);
    let minute = t.next().flatten().unwrap_or(0);
    let second = t.next().flatten().unwrap_or(0);
    let valid = year > 0
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then_some(Civil {
        year: year as i64,
        month,
        day,
        hour,
        minute,
        second: second.min(59),
        millis: 0,
    })
}

/// A place, when the item really has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Geo {
    pub latitude: f64,
    pub longitude: f64,
    /// 1 (world) … 16 (street).
    pub accuracy: u64,
    pub place_id: Option<String>,
    pub woeid: Option<String>,
}

impl Geo {
    /// Flickr's "not geotagged" is `0, 0` with accuracy 0; treat either as none.
    pub fn from_parts(
        latitude: Option<f64>,
        longitude: Option<f64>,
        accuracy: u64,
        place_id: Option<String>,
        woeid: Option<String>,
    ) -> Option<Geo> {
        let (latitude, longitude) = (latitude?, longitude?);
        let nowhere = latitude == 0.0 && longitude == 0.0;
        let valid = (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude);
        (accuracy > 0 && !nowhere && valid).then_some(Geo {
            latitude,
            longitude,
            accuracy,
            place_id,
            woeid,
        })
    }
}

/// One item of a photo list (`people.getPhotos`, `photosets.getPhotos`,
/// `favorites.getList`) with whatever extras were asked for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Photo {
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub owner: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub secret: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub server: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub farm: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub title: String,
    #[serde(default, rename = "ispublic", deserialize_with = "loose::boolean")]
    pub is_public: bool,
    #[serde(default, rename = "isfriend", deserialize_with = "loose::boolean")]
    pub is_friend: bool,
    #[serde(default, rename = "isfamily", deserialize_with = "loose::boolean")]
    pub is_family: bool,
    /// HTML as the user wrote it (`extras=description`).
    #[serde(default, deserialize_with = "loose::string")]
    pub description: String,
    /// Licence id (`flickr.photos.licenses.getInfo`: 0 = all rights reserved).
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub license: Option<String>,
    /// Unix seconds, UTC.
    #[serde(default, rename = "dateupload", deserialize_with = "loose::opt_i64")]
    pub date_upload: Option<i64>,
    /// Unix seconds; changes on any metadata edit.
    #[serde(default, rename = "lastupdate", deserialize_with = "loose::opt_i64")]
    pub last_update: Option<i64>,
    #[serde(default, rename = "datetaken", deserialize_with = "loose::string")]
    pub date_taken: String,
    #[serde(
        default,
        rename = "datetakengranularity",
        deserialize_with = "loose::u64"
    )]
    pub date_taken_granularity: u64,
    #[serde(
        default,
        rename = "datetakenunknown",
        deserialize_with = "loose::boolean"
    )]
    pub date_taken_unknown: bool,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub views: Option<u64>,
    /// Normalized tags (`newyork` for "New York"); raw spellings come from
    /// `photos.getInfo` or `tags.getListUserRaw`.
    #[serde(default, deserialize_with = "loose::words")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "loose::words")]
    pub machine_tags: Vec<String>,
    #[serde(
        default,
        rename = "originalsecret",
        deserialize_with = "loose::opt_string"
    )]
    pub original_secret: Option<String>,
    /// For a video this is the poster frame's format, not the video's.
    #[serde(
        default,
        rename = "originalformat",
        deserialize_with = "loose::opt_string"
    )]
    pub original_format: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_f64")]
    pub latitude: Option<f64>,
    #[serde(default, deserialize_with = "loose::opt_f64")]
    pub longitude: Option<f64>,
    #[serde(default, deserialize_with = "loose::u64")]
    pub accuracy: u64,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub place_id: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub woeid: Option<String>,
    #[serde(default)]
    pub media: Media,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub media_status: Option<String>,
    /// The original's URL (for a video: the poster frame's).
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub url_o: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub width_o: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub height_o: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub o_width: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub o_height: Option<u64>,
    #[serde(default, rename = "pathalias", deserialize_with = "loose::opt_string")]
    pub path_alias: Option<String>,
    /// `photosets.getPhotos`: this is the set's cover.
    #[serde(default, rename = "isprimary", deserialize_with = "loose::boolean")]
    pub is_primary: bool,
    /// `favorites.getList`: when the user faved it (unix seconds).
    #[serde(default, deserialize_with = "loose::opt_i64")]
    pub date_faved: Option<i64>,
}

impl Photo {
    pub fn taken(&self) -> TakenDate {
        TakenDate::new(
            &self.date_taken,
            self.date_taken_granularity,
            self.date_taken_unknown,
        )
    }

    pub fn geo(&self) -> Option<Geo> {
        Geo::from_parts(
            self.latitude,
            self.longitude,
            self.accuracy,
            self.place_id.clone(),
            self.woeid.clone(),
        )
    }

    pub fn privacy(&self) -> Privacy {
        Privacy::from_flags(self.is_public, self.is_friend, self.is_family)
    }

    pub fn is_video(&self) -> bool {
        self.media == Media::Video
    }

    /// The original's pixel size (`o_dims` or `url_o` extras).
    pub fn original_dimensions(&self) -> Option<(u64, u64)> {
        match (
            self.o_width.or(self.width_o),
            self.o_height.or(self.height_o),
        ) {
            (Some(w), Some(h)) if w > 0 && h > 0 => Some((w, h)),
            _ => None,
        }
    }
}

/// An album (`photosets.getList` item).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Photoset {
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub owner: String,
    /// The cover photo's id.
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub primary: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    pub title: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub description: String,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    count_photos: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    count_videos: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    photos: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    videos: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub count_views: Option<u64>,
    /// Unix seconds.
    #[serde(default, deserialize_with = "loose::opt_i64")]
    pub date_create: Option<i64>,
    #[serde(default, deserialize_with = "loose::opt_i64")]
    pub date_update: Option<i64>,
}

impl Photoset {
    pub fn photo_count(&self) -> u64 {
        self.count_photos.or(self.photos).unwrap_or(0)
    }

    pub fn video_count(&self) -> u64 {
        self.count_videos.or(self.videos).unwrap_or(0)
    }

    /// Photos and videos together: what `photosets.getPhotos` should list.
    pub fn item_count(&self) -> u64 {
        self.photo_count() + self.video_count()
    }
}

/// `photosets.getPhotos`: one page of a set's items, in album order.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotosetPage {
    pub id: String,
    pub title: String,
    pub primary: Option<String>,
    pub page: Page<Photo>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawPhotosetPhotos {
    #[serde(default, deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub title: String,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub primary: Option<String>,
    #[serde(flatten)]
    pub paging: RawPaging,
    #[serde(default, deserialize_with = "loose::list")]
    pub photo: Vec<Photo>,
}

/// `photos.getSizes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Sizes {
    #[serde(default, rename = "candownload", deserialize_with = "loose::boolean")]
    pub can_download: bool,
    #[serde(default, rename = "size", deserialize_with = "loose::list")]
    pub sizes: Vec<Size>,
}

/// One rendition. Video renditions may have no width/height.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Size {
    #[serde(deserialize_with = "loose::string")]
    pub label: String,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub width: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub height: Option<u64>,
    /// What to download (for videos a `/play/…/` URL that redirects to the CDN).
    #[serde(deserialize_with = "loose::string")]
    pub source: String,
    /// The size's page on flickr.com.
    #[serde(default, deserialize_with = "loose::string")]
    pub url: String,
    #[serde(default)]
    pub media: Media,
}

/// `flickr.video.getStreamInfo` (undocumented; gallery-dl uses it).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Stream {
    #[serde(rename = "type", deserialize_with = "loose::string")]
    pub kind: String,
    #[serde(rename = "_content", deserialize_with = "loose::string")]
    pub url: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawStreams {
    #[serde(default, deserialize_with = "loose::list")]
    pub stream: Vec<Stream>,
}

/// A user as `urls.lookupUser`, `people.findByUsername` and `test.login` return one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct User {
    /// The NSID.
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub username: String,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub path_alias: Option<String>,
}

/// `people.getInfo`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Person {
    #[serde(deserialize_with = "loose::string")]
    pub nsid: String,
    #[serde(default, rename = "ispro", deserialize_with = "loose::boolean")]
    pub is_pro: bool,
    #[serde(default, deserialize_with = "loose::boolean")]
    pub is_deleted: bool,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub path_alias: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    pub username: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub realname: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub location: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub description: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub photosurl: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub profileurl: String,
    #[serde(default)]
    pub photos: PersonPhotos,
}

/// `person.photos`: the count is the completeness check for a full listing.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct PersonPhotos {
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub count: Option<u64>,
    /// Unix seconds of the first upload.
    #[serde(default, rename = "firstdate", deserialize_with = "loose::opt_i64")]
    pub first_date: Option<i64>,
    #[serde(default, rename = "firstdatetaken", deserialize_with = "loose::string")]
    pub first_date_taken: String,
}

/// `photos.getInfo`: what the listing extras lack: raw tag spellings, the
/// rotation, the place's names, the video's duration, notes and the page URL.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PhotoInfo {
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub secret: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub server: String,
    #[serde(default, deserialize_with = "loose::opt_i64")]
    pub dateuploaded: Option<i64>,
    #[serde(default, rename = "isfavorite", deserialize_with = "loose::boolean")]
    pub is_favorite: bool,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub license: Option<String>,
    /// 0 safe, 1 moderate, 2 restricted.
    #[serde(default, deserialize_with = "loose::u64")]
    pub safety_level: u64,
    /// Degrees clockwise to apply to the original (Flickr does not rotate it).
    #[serde(default, deserialize_with = "loose::u64")]
    pub rotation: u64,
    #[serde(
        default,
        rename = "originalsecret",
        deserialize_with = "loose::opt_string"
    )]
    pub original_secret: Option<String>,
    #[serde(
        default,
        rename = "originalformat",
        deserialize_with = "loose::opt_string"
    )]
    pub original_format: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub views: Option<u64>,
    #[serde(default)]
    pub media: Media,
    #[serde(default)]
    pub owner: InfoOwner,
    #[serde(default, deserialize_with = "loose::string")]
    pub title: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub description: String,
    #[serde(default)]
    pub visibility: InfoVisibility,
    #[serde(default)]
    pub dates: InfoDates,
    #[serde(default, deserialize_with = "loose::u64")]
    pub comments: u64,
    #[serde(default)]
    pub notes: InfoNotes,
    #[serde(default)]
    pub tags: InfoTags,
    #[serde(default)]
    pub location: Option<InfoLocation>,
    #[serde(default)]
    pub urls: InfoUrls,
    #[serde(default)]
    pub video: Option<InfoVideo>,
}

impl PhotoInfo {
    pub fn taken(&self) -> TakenDate {
        TakenDate::new(
            &self.dates.taken,
            self.dates.taken_granularity,
            self.dates.taken_unknown,
        )
    }

    pub fn privacy(&self) -> Privacy {
        Privacy::from_flags(
            self.visibility.is_public,
            self.visibility.is_friend,
            self.visibility.is_family,
        )
    }

    /// Tags as the user typed them (`raw`), machine tags included, in order.
    pub fn raw_tags(&self) -> Vec<String> {
        self.tags.tag.iter().map(|t| t.raw.clone()).collect()
    }

    pub fn geo(&self) -> Option<Geo> {
        let location = self.location.as_ref()?;
        Geo::from_parts(
            location.latitude,
            location.longitude,
            location.accuracy,
            location.place_id.clone(),
            location.woeid.clone(),
        )
    }

    /// The photo's page on flickr.com.
    pub fn photo_page(&self) -> Option<&str> {
        self.urls
            .url
            .iter()
            .find(|u| u.kind == "photopage")
            .map(|u| u.url.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct InfoOwner {
    #[serde(default, deserialize_with = "loose::string")]
    pub nsid: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub username: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub realname: String,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub path_alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct InfoVisibility {
    #[serde(default, rename = "ispublic", deserialize_with = "loose::boolean")]
    pub is_public: bool,
    #[serde(default, rename = "isfriend", deserialize_with = "loose::boolean")]
    pub is_friend: bool,
    #[serde(default, rename = "isfamily", deserialize_with = "loose::boolean")]
    pub is_family: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct InfoDates {
    #[serde(default, deserialize_with = "loose::opt_i64")]
    pub posted: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    pub taken: String,
    #[serde(default, rename = "takengranularity", deserialize_with = "loose::u64")]
    pub taken_granularity: u64,
    #[serde(default, rename = "takenunknown", deserialize_with = "loose::boolean")]
    pub taken_unknown: bool,
    #[serde(default, rename = "lastupdate", deserialize_with = "loose::opt_i64")]
    pub last_update: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct InfoTags {
    #[serde(default, deserialize_with = "loose::list")]
    pub tag: Vec<InfoTag>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InfoTag {
    #[serde(default, deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub author: String,
    /// As typed: `New York`, `dc:year=1950`.
    #[serde(default, deserialize_with = "loose::string")]
    pub raw: String,
    /// Normalized: `newyork`.
    #[serde(default, rename = "_content", deserialize_with = "loose::string")]
    pub normalized: String,
    #[serde(default, deserialize_with = "loose::boolean")]
    pub machine_tag: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct InfoNotes {
    #[serde(default, deserialize_with = "loose::list")]
    pub note: Vec<InfoNote>,
}

/// A note drawn on the photo (a box in a 500-pixel-wide rendering).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InfoNote {
    #[serde(default, deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub author: String,
    #[serde(default, deserialize_with = "loose::u64")]
    pub x: u64,
    #[serde(default, deserialize_with = "loose::u64")]
    pub y: u64,
    #[serde(default, deserialize_with = "loose::u64")]
    pub w: u64,
    #[serde(default, deserialize_with = "loose::u64")]
    pub h: u64,
    #[serde(default, rename = "_content", deserialize_with = "loose::string")]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InfoLocation {
    #[serde(default, deserialize_with = "loose::opt_f64")]
    pub latitude: Option<f64>,
    #[serde(default, deserialize_with = "loose::opt_f64")]
    pub longitude: Option<f64>,
    #[serde(default, deserialize_with = "loose::u64")]
    pub accuracy: u64,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub place_id: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub woeid: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub neighbourhood: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub locality: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub county: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "loose::opt_string")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct InfoUrls {
    #[serde(default, deserialize_with = "loose::list")]
    pub url: Vec<InfoUrl>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InfoUrl {
    #[serde(default, rename = "type", deserialize_with = "loose::string")]
    pub kind: String,
    #[serde(default, rename = "_content", deserialize_with = "loose::string")]
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InfoVideo {
    #[serde(default, deserialize_with = "loose::boolean")]
    pub ready: bool,
    #[serde(default, deserialize_with = "loose::boolean")]
    pub failed: bool,
    #[serde(default, deserialize_with = "loose::boolean")]
    pub pending: bool,
    /// Seconds.
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub duration: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub width: Option<u64>,
    #[serde(default, deserialize_with = "loose::opt_u64")]
    pub height: Option<u64>,
}

/// `tags.getListUserRaw`: one normalized tag and the spellings behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTag {
    pub clean: String,
    pub raw: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawWho {
    #[serde(default)]
    pub tags: RawWhoTags,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawWhoTags {
    #[serde(default, deserialize_with = "loose::list")]
    pub tag: Vec<RawWhoTag>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawWhoTag {
    #[serde(default, deserialize_with = "loose::string")]
    pub clean: String,
    #[serde(default, deserialize_with = "loose::list")]
    pub raw: Vec<serde_json::Value>,
}

impl RawWhoTag {
    pub fn into_raw_tag(self) -> RawTag {
        RawTag {
            clean: self.clean,
            raw: self
                .raw
                .iter()
                .filter_map(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Object(m) => m
                        .get("_content")
                        .and_then(|c| c.as_str())
                        .map(str::to_string),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// A collection (`flickr.collections.getTree`): a folder of albums and of
/// other collections.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Collection {
    #[serde(default, deserialize_with = "loose::string")]
    pub id: String,
    #[serde(default, deserialize_with = "loose::string")]
    pub title: String,
    #[serde(default, deserialize_with = "loose::list")]
    pub collection: Vec<Collection>,
    #[serde(default, deserialize_with = "loose::list")]
    pub set: Vec<CollectionSet>,
}

/// An album as a collection lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CollectionSet {
    #[serde(deserialize_with = "loose::string")]
    pub id: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawCollections {
    #[serde(default, deserialize_with = "loose::list")]
    pub collection: Vec<Collection>,
}

/// Each album's folder path from a collection tree (`Trips/2019`), the first
/// path when an album sits in several collections.
pub fn album_folders(tree: &[Collection]) -> std::collections::HashMap<String, String> {
    fn walk(c: &Collection, prefix: &str, out: &mut std::collections::HashMap<String, String>) {
        let title = c.title.trim();
        let path = match (prefix.is_empty(), title.is_empty()) {
            (_, true) => prefix.to_string(),
            (true, false) => title.to_string(),
            (false, false) => format!("{prefix}/{title}"),
        };
        for set in &c.set {
            out.entry(set.id.clone()).or_insert_with(|| path.clone());
        }
        for child in &c.collection {
            walk(child, &path, out);
        }
    }
    let mut out = std::collections::HashMap::new();
    for c in tree {
        walk(c, "", &mut out);
    }
    out
}
