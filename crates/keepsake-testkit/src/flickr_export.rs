//! Flickr account-data exports written for tests, with the truth about every
//! item, so the export source can be checked field by field.
//!
//! [`FlickrExportBuilder::new`] makes `n` varied items (titles that are file
//! names, HTML in descriptions, unknown and month/year dates, places at 0,0
//! and below 1°, every privacy), one video, and three albums that overlap
//! (the first photo is in all of them). Change any [`PhotoSpec`] or
//! [`AlbumSpec`] before writing. [`FlickrExportBuilder::write`] writes the zips
//! as Flickr names them (metadata parts `<digits>_<hex>_partN.zip`, media in
//! `data-download-N.zip` or `data_<digits>_<hex>_N.zip`);
//! [`FlickrExportBuilder::write_extracted`] writes what they hold into one
//! folder per zip. Both return a [`FlickrExport`] with an [`ExpectedItem`]
//! per item, in the order the source yields them.
//!
//! Media are real: one JPEG and one MP4 made by ffmpeg once per process, made
//! distinct per item by a JPEG comment segment or an MP4 `free` box naming the
//! photo. 2,000 items take well under a second after that.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use keepsake_library::imports::{Granularity, ItemMeta, SourceAlbum, SourceDate};
use serde_json::{Value, json};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// Which `photo_<id>.json` layout (and media file naming) to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonLayout {
    /// Newer exports: `geo` is a list, a `license` name, media named
    /// `<title-slug>_<id>_o.<ext>` (videos `<title-slug>_<id>.<ext>`).
    Current,
    /// 2018 exports: `geo` is an object, an `exif` map, `license: null`,
    /// media named `<id>_<secret>_o.<ext>` (videos `<id>_<secret>.<ext>`).
    Legacy2018,
}

/// How the media zips are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaZips {
    /// `data-download-1.zip`, … (before 2025).
    DataDownload,
    /// `data_72157706876334384_ff8f2206a90f_1.zip`, … (since about 2025-04).
    Dated,
}

/// `date_taken` as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// `YYYY-MM-DD HH:MM:SS`, with a granularity code (4 month, 6 year, 8 circa)
    /// written as `date_taken_granularity` when given.
    At {
        text: String,
        granularity: Option<u8>,
    },
    /// Flagged unknown (`date_taken_unknown`), the upload time as placeholder.
    Unknown,
    /// Not flagged, but the same second as the upload: Flickr's placeholder.
    Placeholder,
}

/// Whether and how the item's `photo_<id>.json` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonState {
    Written,
    /// Not valid JSON: the item keeps its media but loses its metadata.
    Broken,
    /// No JSON at all (a media file the metadata zips do not describe).
    Absent,
}

/// One photo or video, as written and as the source should read it.
#[derive(Debug, Clone)]
pub struct PhotoSpec {
    pub id: u64,
    pub secret: String,
    /// `name` as written (may hold entities).
    pub title: String,
    /// What the source keeps as the title (`None` for file-name titles and empty ones).
    pub expected_title: Option<String>,
    /// The item's file name when the title is a file name's stem (`IMG_1000.jpg`).
    pub title_file_name: Option<String>,
    /// `description` as written (may hold HTML).
    pub description: String,
    pub expected_description: Option<String>,
    pub taken: Taken,
    /// `date_imported`, `YYYY-MM-DD HH:MM:SS`.
    pub uploaded: String,
    /// Tags as the user typed them.
    pub tags: Vec<String>,
    /// Micro-degrees, as the export writes them.
    pub geo: Option<(i64, i64)>,
    /// As written: `public`, `private`, `friend & family`.
    pub privacy: String,
    pub license: Option<String>,
    pub video: bool,
    /// Whether the media file is written into a media zip.
    pub media: bool,
    pub json: JsonState,
}

/// One album of albums.json.
#[derive(Debug, Clone)]
pub struct AlbumSpec {
    pub id: String,
    /// As written (may hold entities).
    pub title: String,
    pub expected_title: String,
    /// As written (may hold HTML).
    pub description: String,
    pub expected_description: Option<String>,
    /// Photo ids in album order (ids not in the export are allowed).
    pub photos: Vec<u64>,
}

/// Builds an export; see the module docs.
#[derive(Debug, Clone)]
pub struct FlickrExportBuilder {
    pub photos: Vec<PhotoSpec>,
    pub albums: Vec<AlbumSpec>,
    pub layout: JsonLayout,
    pub media_zips: MediaZips,
    pub files_per_media_zip: usize,
    pub photos_per_metadata_part: usize,
    /// Deflate media entries (default: stored, as JPEGs do not shrink).
    pub deflate_media: bool,
    /// The account's path alias in URLs.
    pub account: String,
}

/// What the source should yield for one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedItem {
    pub key: String,
    /// The media file's name in the export.
    pub media_name: String,
    /// `SourceItem::file_name`.
    pub file_name: String,
    /// The media's bytes; `None` when the media is missing (a skip reason is expected).
    pub bytes: Option<Vec<u8>>,
    pub video: bool,
    /// False when the JSON is absent or broken.
    pub has_metadata: bool,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub taken: Option<SourceDate>,
    pub location: Option<(f64, f64)>,
    pub url: Option<String>,
    pub privacy: Option<String>,
    /// `date_imported` as ISO 8601 UTC.
    pub uploaded_at: Option<String>,
    pub license: Option<String>,
    pub albums: Vec<SourceAlbum>,
}

impl ExpectedItem {
    /// The whole `ItemMeta` the source should give (extras in its order:
    /// `flickr_url`, `flickr_privacy`, `flickr_uploaded_at`, `flickr_license`).
    pub fn meta(&self) -> ItemMeta {
        let mut extra = Vec::new();
        for (name, value) in [
            ("flickr_url", &self.url),
            ("flickr_privacy", &self.privacy),
            ("flickr_uploaded_at", &self.uploaded_at),
            ("flickr_license", &self.license),
        ] {
            if let Some(value) = value {
                extra.push((name.to_string(), value.clone()));
            }
        }
        ItemMeta {
            taken: self.taken,
            location: self.location,
            title: self.title.clone(),
            description: self.description.clone(),
            tags: self.tags.clone(),
            extra,
            ..ItemMeta::default()
        }
    }

    pub fn missing(&self) -> bool {
        self.bytes.is_none()
    }
}

/// A written export.
#[derive(Debug, Clone)]
pub struct FlickrExport {
    /// The folder everything was written into.
    pub root: PathBuf,
    /// Metadata zips (or, extracted, their folders).
    pub metadata: Vec<PathBuf>,
    /// Media zips (or, extracted, their folders).
    pub media: Vec<PathBuf>,
    /// One per item, in the source's order (photo ids numerically).
    pub items: Vec<ExpectedItem>,
    /// Which media zip (or folder) holds each item's media, by key.
    pub media_home: Vec<(String, PathBuf)>,
}

impl FlickrExport {
    /// Every zip (or folder), metadata first.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.metadata.iter().chain(&self.media).cloned().collect()
    }

    pub fn item(&self, key: &str) -> &ExpectedItem {
        self.items
            .iter()
            .find(|i| i.key == key)
            .unwrap_or_else(|| panic!("no item {key} in the export"))
    }

    /// The media zip (or folder) that holds `key`'s media.
    pub fn media_zip_of(&self, key: &str) -> &Path {
        self.media_home
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, p)| p.as_path())
            .unwrap_or_else(|| panic!("no media for {key}"))
    }
}

const ACCOUNT_NUMBER: &str = "72157706876334384";
const ACCOUNT_HEX: &str = "ff8f2206a90f";

impl FlickrExportBuilder {
    /// `items` varied photos (the last one a video when there are 4 or more),
    /// three overlapping albums, the current layout, `data-download-N.zip`
    /// media zips of 500 files.
    pub fn new(items: usize) -> FlickrExportBuilder {
        let mut builder = FlickrExportBuilder {
            photos: (0..items)
                .map(|i| PhotoSpec::generated(i, JsonLayout::Current))
                .collect(),
            albums: Vec::new(),
            layout: JsonLayout::Current,
            media_zips: MediaZips::DataDownload,
            files_per_media_zip: 500,
            photos_per_metadata_part: 1000,
            deflate_media: false,
            account: "jdoe".into(),
        };
        builder = builder.videos(if items >= 4 { 1 } else { 0 });
        builder.albums(3)
    }

    /// Regenerates the photos for `layout` (keeping how many are videos);
    /// call before changing photos by hand.
    pub fn layout(mut self, layout: JsonLayout) -> Self {
        let videos = self.photos.iter().filter(|p| p.video).count();
        self.layout = layout;
        self.photos = (0..self.photos.len())
            .map(|i| PhotoSpec::generated(i, layout))
            .collect();
        let albums = self.albums.len();
        self.videos(videos).albums(albums)
    }

    pub fn media_zips(mut self, naming: MediaZips) -> Self {
        self.media_zips = naming;
        self
    }

    /// Makes the last `n` items videos.
    pub fn videos(mut self, n: usize) -> Self {
        let len = self.photos.len();
        for (i, photo) in self.photos.iter_mut().enumerate() {
            photo.video = i + n >= len;
            photo.title_file_name = photo.title_file_name.as_ref().map(|name| {
                let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
                format!("{stem}.{}", if photo.video { "mp4" } else { "jpg" })
            });
        }
        self
    }

    /// `n` albums; album `j` holds every photo whose index is a multiple of
    /// `j + 2`, so photo 0 is in all of them.
    pub fn albums(mut self, n: usize) -> Self {
        self.albums = (0..n)
            .map(|j| {
                let (title, expected_title) = match j % 3 {
                    1 => ("Trips &amp; Tours".to_string(), "Trips & Tours".to_string()),
                    _ => (format!("Album {j}"), format!("Album {j}")),
                };
                let (description, expected_description) = match j % 3 {
                    0 => (
                        format!("Photos of album {j}"),
                        Some(format!("Photos of album {j}")),
                    ),
                    1 => (String::new(), None),
                    _ => (
                        "<b>Best</b> of the year".to_string(),
                        Some("Best of the year".to_string()),
                    ),
                };
                AlbumSpec {
                    id: (72_157_709_000_000_001u64 + j as u64).to_string(),
                    title,
                    expected_title,
                    description,
                    expected_description,
                    photos: self
                        .photos
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % (j + 2) == 0)
                        .map(|(_, p)| p.id)
                        .collect(),
                }
            })
            .collect();
        self
    }

    pub fn files_per_media_zip(mut self, n: usize) -> Self {
        self.files_per_media_zip = n.max(1);
        self
    }

    pub fn photos_per_metadata_part(mut self, n: usize) -> Self {
        self.photos_per_metadata_part = n.max(1);
        self
    }

    pub fn deflate_media(mut self, deflate: bool) -> Self {
        self.deflate_media = deflate;
        self
    }

    /// The spec of the photo with `id`.
    pub fn photo_mut(&mut self, id: u64) -> &mut PhotoSpec {
        self.photos
            .iter_mut()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no photo {id}"))
    }

    /// Writes the zips into `dir`.
    pub fn write(&self, dir: &Path) -> FlickrExport {
        self.write_with(dir, false)
    }

    /// Writes what the zips would hold, one folder per zip (as unzipping them
    /// one by one does).
    pub fn write_extracted(&self, dir: &Path) -> FlickrExport {
        self.write_with(dir, true)
    }

    fn write_with(&self, dir: &Path, extracted: bool) -> FlickrExport {
        std::fs::create_dir_all(dir).expect("export dir");
        let (jpeg, mp4) = base_media(self.photos.iter().any(|p| p.video && p.media));

        // Metadata parts: photo JSONs in chunks, albums.json and the rest in part 1.
        let mut metadata = Vec::new();
        let with_json: Vec<&PhotoSpec> = self
            .photos
            .iter()
            .filter(|p| p.json != JsonState::Absent)
            .collect();
        let parts = with_json
            .len()
            .div_ceil(self.photos_per_metadata_part)
            .max(1);
        for part in 0..parts {
            let name = format!("{ACCOUNT_NUMBER}_{ACCOUNT_HEX}_part{}", part + 1);
            let mut sink = Sink::new(dir, &name, extracted);
            if part == 0 {
                sink.add("account_profile.json", &self.profile_json(), true);
                sink.add("albums.json", &self.albums_json(), true);
                sink.add("faves_part001.json", &faves_json(), true);
                sink.add("photos_comments_part001.json", b"{\"comments\": []}", true);
            }
            let chunk = with_json
                .iter()
                .skip(part * self.photos_per_metadata_part)
                .take(self.photos_per_metadata_part);
            for photo in chunk {
                let bytes = match photo.json {
                    JsonState::Broken => {
                        format!("{{\"id\": \"{}\", \"name\": \"half", photo.id).into_bytes()
                    }
                    _ => serde_json::to_vec_pretty(&self.photo_json(photo)).expect("json"),
                };
                sink.add(&format!("photo_{}.json", photo.id), &bytes, true);
            }
            metadata.push(sink.finish());
        }

        // Media zips.
        let mut media = Vec::new();
        let mut media_home = Vec::new();
        let mut bytes_of = std::collections::HashMap::new();
        let present: Vec<&PhotoSpec> = self.photos.iter().filter(|p| p.media).collect();
        for (n, chunk) in present.chunks(self.files_per_media_zip).enumerate() {
            let name = match self.media_zips {
                MediaZips::DataDownload => format!("data-download-{}", n + 1),
                MediaZips::Dated => format!("data_{ACCOUNT_NUMBER}_{ACCOUNT_HEX}_{}", n + 1),
            };
            let mut sink = Sink::new(dir, &name, extracted);
            for photo in chunk {
                let bytes = if photo.video {
                    unique_mp4(mp4.as_deref().expect("video made"), photo.id)
                } else {
                    unique_jpeg(jpeg, photo.id)
                };
                sink.add(&self.media_name(photo), &bytes, self.deflate_media);
                bytes_of.insert(photo.id, bytes);
            }
            let path = sink.finish();
            for photo in chunk {
                media_home.push((photo.id.to_string(), path.clone()));
            }
            media.push(path);
        }

        FlickrExport {
            root: dir.to_path_buf(),
            metadata,
            media,
            items: self.expected(&mut bytes_of),
            media_home,
        }
    }

    /// The media file's name in the export.
    pub fn media_name(&self, photo: &PhotoSpec) -> String {
        let ext = if photo.video { "mp4" } else { "jpg" };
        let o = if photo.video { "" } else { "_o" };
        match self.layout {
            JsonLayout::Legacy2018 => format!("{}_{}{o}.{ext}", photo.id, photo.secret),
            JsonLayout::Current => {
                let slug = slug(photo.expected_title.as_deref().unwrap_or(&photo.title));
                if slug.is_empty() {
                    format!("{}{o}.{ext}", photo.id)
                } else {
                    format!("{slug}_{}{o}.{ext}", photo.id)
                }
            }
        }
    }

    fn original_url(&self, photo: &PhotoSpec) -> String {
        // For a video Flickr points at its poster frame.
        match self.layout {
            JsonLayout::Current => format!(
                "https://live.staticflickr.com/65535/{}_{}_o.jpg",
                photo.id, photo.secret
            ),
            JsonLayout::Legacy2018 => format!(
                "http://farm4.staticflickr.com/3008/{}_{}_o.jpg",
                photo.id, photo.secret
            ),
        }
    }

    fn photo_json(&self, photo: &PhotoSpec) -> Value {
        let legacy = self.layout == JsonLayout::Legacy2018;
        let date_taken = match &photo.taken {
            Taken::At { text, .. } => text.clone(),
            Taken::Unknown | Taken::Placeholder => photo.uploaded.clone(),
        };
        let geo_item = |(lat, lon): (i64, i64)| json!({"latitude": lat.to_string(), "longitude": lon.to_string(), "accuracy": "16"});
        let geo = match (photo.geo, legacy) {
            (Some(g), false) => json!([geo_item(g)]),
            (None, false) => json!([]),
            (Some(g), true) => geo_item(g),
            (None, true) => Value::Null,
        };
        let tags: Vec<Value> = photo
            .tags
            .iter()
            .map(|t| {
                json!({
                    "tag": t,
                    "user": format!("https://www.flickr.com/photos/{}/", self.account),
                    "date_create": photo.uploaded,
                })
            })
            .collect();
        let mut value = json!({
            "id": photo.id.to_string(),
            "name": photo.title,
            "description": photo.description,
            "count_views": (photo.id % 500).to_string(),
            "count_faves": if legacy { json!(0) } else { json!("7") },
            "count_comments": "0",
            "date_taken": date_taken,
            "count_tags": photo.tags.len().to_string(),
            "count_notes": "0",
            "rotation": 0,
            "date_imported": photo.uploaded,
            "photopage": format!("https://www.flickr.com/photos/{}/{}/", self.account, photo.id),
            "original": self.original_url(photo),
            "license": photo.license,
            "geo": geo,
            "groups": [],
            "albums": [],
            "tags": tags,
            "people": [],
            "notes": [],
            "privacy": photo.privacy,
            "comment_permissions": "any flickr member",
            "tagging_permissions": "people you follow",
            "safety": "safe",
            "comments": [],
        });
        let map = value.as_object_mut().expect("object");
        if legacy {
            map.insert(
                "exif".into(),
                json!({"ExifIFD:DateTimeOriginal": {
                    "full": "ExifIFD:DateTimeOriginal",
                    "label": "Date and Time (Original)",
                    "value": date_taken.replacen('-', ":", 2),
                    "raw_value": date_taken.replacen('-', ":", 2),
                }}),
            );
        }
        match &photo.taken {
            Taken::At {
                granularity: Some(code),
                ..
            } => {
                let code = if legacy {
                    json!(code)
                } else {
                    json!(code.to_string())
                };
                map.insert("date_taken_granularity".into(), code);
            }
            Taken::Unknown if legacy => {
                map.insert("datetakenunknown".into(), json!(1));
            }
            Taken::Unknown => {
                map.insert("date_taken_unknown".into(), json!("1"));
            }
            _ => {}
        }
        value
    }

    fn albums_json(&self) -> Vec<u8> {
        let albums: Vec<Value> = self
            .albums
            .iter()
            .enumerate()
            .map(|(j, a)| {
                let count = a.photos.len();
                json!({
                    // Flickr writes counts as strings, sometimes as numbers.
                    "photo_count": if j % 2 == 0 { json!(count.to_string()) } else { json!(count) },
                    "id": a.id,
                    "url": format!("https://www.flickr.com/photos/{}/albums/{}", self.account, a.id),
                    "title": a.title,
                    "description": a.description,
                    "view_count": "12",
                    "created": "1562400000",
                    "last_updated": "1562400500",
                    "cover_photo": match a.photos.first() {
                        Some(id) => format!("https://www.flickr.com/photos/{}/{id}", self.account),
                        None => "https://www.flickr.com/photos//0".to_string(),
                    },
                    "photos": a.photos.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_vec_pretty(&json!({ "albums": albums })).expect("json")
    }

    fn profile_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&json!({
            "nsid": "12345678@N00",
            "real_name": "Jane Doe",
            "screen_name": self.account,
            "profile_url": format!("https://www.flickr.com/people/{}/", self.account),
        }))
        .expect("json")
    }

    /// What the source should yield, in its order.
    fn expected(
        &self,
        bytes_of: &mut std::collections::HashMap<u64, Vec<u8>>,
    ) -> Vec<ExpectedItem> {
        let album_of = |id: u64| -> Vec<SourceAlbum> {
            self.albums
                .iter()
                .filter(|a| a.photos.contains(&id))
                .map(|a| SourceAlbum {
                    key: a.id.clone(),
                    name: a.expected_title.clone(),
                    description: a.expected_description.clone(),
                })
                .collect()
        };
        let mut items: Vec<(u64, ExpectedItem)> = Vec::new();
        for photo in &self.photos {
            if !photo.media && photo.json == JsonState::Absent && album_of(photo.id).is_empty() {
                continue;
            }
            let media_name = self.media_name(photo);
            let original = self
                .original_url(photo)
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let has_metadata = photo.json == JsonState::Written;
            let file_name = match (photo.media, has_metadata, &photo.title_file_name) {
                (false, true, _) => original,
                (false, false, _) => photo.id.to_string(),
                (true, true, Some(name)) => name.clone(),
                (true, _, _) => media_name.clone(),
            };
            let mut item = ExpectedItem {
                key: photo.id.to_string(),
                media_name,
                file_name,
                bytes: bytes_of.remove(&photo.id),
                video: photo.video,
                has_metadata,
                title: None,
                description: None,
                tags: Vec::new(),
                taken: None,
                location: None,
                url: None,
                privacy: None,
                uploaded_at: None,
                license: None,
                albums: album_of(photo.id),
            };
            if has_metadata {
                item.title = photo.expected_title.clone();
                item.description = photo.expected_description.clone();
                item.tags = photo.tags.clone();
                item.taken = match &photo.taken {
                    Taken::At { text, granularity } => Some(local_date(text, *granularity)),
                    Taken::Unknown | Taken::Placeholder => None,
                };
                item.location = photo
                    .geo
                    .filter(|&(lat, lon)| (lat, lon) != (0, 0))
                    .map(|(lat, lon)| (lat as f64 / 1e6, lon as f64 / 1e6));
                item.url = Some(format!(
                    "https://www.flickr.com/photos/{}/{}/",
                    self.account, photo.id
                ));
                item.privacy = Some(match photo.privacy.as_str() {
                    "friend & family" => "friends & family".to_string(),
                    other => other.to_string(),
                });
                item.uploaded_at = Some(format!("{}.000Z", photo.uploaded.replace(' ', "T")));
                item.license = photo.license.clone();
            }
            items.push((photo.id, item));
        }
        // Ids albums name that the export has nothing else for.
        for album in &self.albums {
            for &id in &album.photos {
                if !self.photos.iter().any(|p| p.id == id) && !items.iter().any(|(i, _)| *i == id) {
                    items.push((
                        id,
                        ExpectedItem {
                            key: id.to_string(),
                            media_name: String::new(),
                            file_name: id.to_string(),
                            bytes: None,
                            video: false,
                            has_metadata: false,
                            title: None,
                            description: None,
                            tags: Vec::new(),
                            taken: None,
                            location: None,
                            url: None,
                            privacy: None,
                            uploaded_at: None,
                            license: None,
                            albums: album_of(id),
                        },
                    ));
                }
            }
        }
        items.sort_by_key(|(id, _)| *id);
        items.into_iter().map(|(_, item)| item).collect()
    }
}

impl PhotoSpec {
    /// The `i`th generated photo: every kind of field value, by turns.
    pub fn generated(i: usize, layout: JsonLayout) -> PhotoSpec {
        let n = i as u64;
        let id = match (layout, i % 5) {
            // Shorter ids now and then: numeric order is not text order.
            (JsonLayout::Current, 4) => 987_654_000 + n,
            (JsonLayout::Current, _) => 53_001_000_000 + n * 37,
            (JsonLayout::Legacy2018, 4) => 98_765_400 + n,
            (JsonLayout::Legacy2018, _) => 2_634_391_576 + n * 101,
        };
        let (title, expected_title, title_file_name) = match i % 5 {
            0 => {
                let t = format!("IMG_{}", 1000 + i);
                (t.clone(), None, Some(format!("{t}.jpg")))
            }
            1 => {
                let t = format!("Sunset at the park {i}");
                (t.clone(), Some(t), None)
            }
            2 => (String::new(), None, None),
            3 => (
                format!("Tom &amp; Jerry&#39;s day {i}"),
                Some(format!("Tom & Jerry's day {i}")),
                None,
            ),
            _ => {
                let t = format!("{}", 2000 + i % 20);
                (t.clone(), Some(t), None)
            }
        };
        let (description, expected_description) = match i % 4 {
            0 => (String::new(), None),
            1 => (format!("Golden hour {i}"), Some(format!("Golden hour {i}"))),
            2 => (
                format!(
                    "Line one<br />\nLine two &amp; <a href=\"https://example.com/{i}\">a link</a>"
                ),
                Some("Line one\nLine two & a link".to_string()),
            ),
            _ => (
                "Caf&eacute; &lt;3 &#x1F600;".to_string(),
                Some("Café <3 \u{1F600}".to_string()),
            ),
        };
        let year = 2005 + (i % 15);
        let month = 1 + (i * 7) % 12;
        let day = 1 + (i * 11) % 28;
        let (hour, minute, second) = ((i * 5) % 24, (i * 13) % 60, (i * 17) % 60);
        let uploaded = format!("{year:04}-{month:02}-{:02} 12:00:00", day + 1);
        let taken = match i % 10 {
            7 => Taken::Unknown,
            8 => Taken::At {
                text: format!("{year:04}-{month:02}-01 00:00:00"),
                granularity: Some(4),
            },
            9 => Taken::At {
                text: format!("{year:04}-01-01 00:00:00"),
                granularity: Some(6),
            },
            _ if i % 20 == 3 => Taken::Placeholder,
            _ => Taken::At {
                text: format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"),
                granularity: None,
            },
        };
        let tags = match i % 3 {
            0 => vec![],
            1 => vec!["Sunset".to_string(), "New York".to_string()],
            _ => vec!["phone".to_string(), "dc:year=2019".to_string()],
        };
        let geo = match i % 4 {
            0 => Some((40_748_440 + n as i64, -73_985_664 - n as i64)),
            1 => None,
            2 => Some((0, 0)),
            _ => Some((123_456, -654_321)),
        };
        let privacy = ["public", "private", "friend & family", "public"][i % 4].to_string();
        let license = match layout {
            JsonLayout::Legacy2018 => None,
            JsonLayout::Current => {
                Some(["All Rights Reserved", "Attribution License"][i % 2].to_string())
            }
        };
        PhotoSpec {
            id,
            secret: secret(id),
            title,
            expected_title,
            title_file_name,
            description,
            expected_description,
            taken,
            uploaded,
            tags,
            geo,
            privacy,
            license,
            video: false,
            media: true,
            json: JsonState::Written,
        }
    }
}

/// A 10-hex-digit secret that is not all digits (as most are).
fn secret(id: u64) -> String {
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    let hex = format!("{:010x}", x & 0xff_ffff_ffff);
    format!(
        "{}{}",
        ["a", "b", "c", "d", "e", "f"][(x % 6) as usize],
        &hex[1..]
    )
}

/// Lower case, runs of anything but letters and digits as one `_`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// `YYYY-MM-DD HH:MM:SS` as `SourceDate::Local`.
fn local_date(text: &str, granularity: Option<u8>) -> SourceDate {
    let num = |r: std::ops::Range<usize>| text[r].parse::<i64>().expect("date digits");
    let days = days_from_civil(num(0..4), num(5..7), num(8..10));
    let ms =
        days * 86_400_000 + num(11..13) * 3_600_000 + num(14..16) * 60_000 + num(17..19) * 1000;
    let granularity = match granularity {
        Some(4) => Granularity::Month,
        Some(6) => Granularity::Year,
        Some(8) => Granularity::Circa,
        _ => Granularity::Second,
    };
    SourceDate::Local(ms, granularity)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn faves_json() -> Vec<u8> {
    // The user's faves of other people's photos: never items of this export.
    serde_json::to_vec_pretty(&json!({"faves": [
        {"photo_id": "11111111111", "url": "https://www.flickr.com/photos/someone/11111111111/"}
    ]}))
    .expect("json")
}

/// One JPEG and (when `video`) one MP4 made by ffmpeg, once per process.
fn base_media(video: bool) -> (&'static [u8], Option<Vec<u8>>) {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    static MP4: OnceLock<Vec<u8>> = OnceLock::new();
    let jpeg = JPEG.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        crate::fixtures::jpeg(dir.path(), 64, 48, 3)
    });
    let mp4 = video.then(|| {
        MP4.get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            crate::fixtures::video(
                dir.path(),
                "clip.mp4",
                "64x48",
                1,
                &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
            )
        })
        .clone()
    });
    (jpeg, mp4)
}

/// The JPEG with a comment segment naming `id` right after SOI: still a valid JPEG.
fn unique_jpeg(jpeg: &[u8], id: u64) -> Vec<u8> {
    let comment = format!("keepsake flickr export photo {id}");
    let mut out = Vec::with_capacity(jpeg.len() + comment.len() + 4);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The MP4 with a top-level `free` box naming `id` at the end: still a valid MP4.
fn unique_mp4(mp4: &[u8], id: u64) -> Vec<u8> {
    let payload = format!("keepsake flickr export video {id}");
    let mut out = mp4.to_vec();
    out.extend_from_slice(&((payload.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.extend_from_slice(payload.as_bytes());
    out
}

/// Damages the data of `entry` inside `zip` (its CRC no longer matches),
/// leaving the archive's directory readable.
pub fn damage_entry(zip: &Path, entry: &str) {
    let (start, len) = {
        let file = std::fs::File::open(zip).expect("open zip");
        let mut archive = zip::ZipArchive::new(file).expect("read zip");
        let entry = archive.by_name(entry).expect("entry");
        (
            entry.data_start().expect("data start"),
            entry.compressed_size(),
        )
    };
    assert!(len > 16, "entry too small to damage");
    let mut bytes = std::fs::read(zip).expect("read zip");
    for offset in [len / 2, len / 2 + 1, len / 2 + 7] {
        bytes[(start + offset) as usize] ^= 0x5A;
    }
    std::fs::write(zip, bytes).expect("write zip");
}

/// Where one zip's (or extracted folder's) files go.
enum Sink {
    Zip {
        path: PathBuf,
        writer: Box<zip::ZipWriter<BufWriter<std::fs::File>>>,
    },
    Dir(PathBuf),
}

impl Sink {
    fn new(dir: &Path, stem: &str, extracted: bool) -> Sink {
        if extracted {
            let path = dir.join(stem);
            std::fs::create_dir_all(&path).expect("extracted dir");
            Sink::Dir(path)
        } else {
            let path = dir.join(format!("{stem}.zip"));
            let file = std::fs::File::create(&path).expect("create zip");
            Sink::Zip {
                path,
                writer: Box::new(zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file))),
            }
        }
    }

    fn add(&mut self, name: &str, bytes: &[u8], deflate: bool) {
        match self {
            Sink::Zip { writer, .. } => {
                let method = if deflate {
                    CompressionMethod::Deflated
                } else {
                    CompressionMethod::Stored
                };
                writer
                    .start_file(
                        name,
                        SimpleFileOptions::default().compression_method(method),
                    )
                    .expect("zip entry");
                writer.write_all(bytes).expect("zip write");
            }
            Sink::Dir(dir) => std::fs::write(dir.join(name), bytes).expect("write file"),
        }
    }

    fn finish(self) -> PathBuf {
        match self {
            Sink::Zip { path, writer } => {
                writer
                    .finish()
                    .expect("finish zip")
                    .flush()
                    .expect("flush zip");
                path
            }
            Sink::Dir(path) => path,
        }
    }
}
