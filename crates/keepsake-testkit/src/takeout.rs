//! Google Takeout trees for tests, with the truth known: a [`TakeoutBuilder`]
//! describes a Google Photos library (photos, the folders they are in, what
//! their JSON sidecars say and how Google named those files), and
//! [`TakeoutTree`] holds the files Google would export plus the items an
//! importer should find, field by field ([`ExpectedItem`]). Write it
//! extracted ([`TakeoutTree::write_extracted`]) or as N zip parts
//! ([`TakeoutTree::write_zips`], files spread so that many JSONs land in
//! another part than their media).
//!
//! Media are real: one tiny JPEG (and one MOV) made by ffmpeg per process,
//! made distinct per item with a unique COM segment (JPEG) or a trailing
//! `free` box (MOV), so thousands of items build in well under a second.
//!
//! [`rules_tree`] covers every rule of the Takeout importer; [`many`] makes
//! N ordinary items for throughput.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use keepsake_library::imports::{ItemMeta, SourceAlbum, SourceDate};
use serde_json::{Value, json};

use crate::fixtures::{self, Exif};

/// How Google names a JSON sidecar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonNaming {
    /// `<name>.json` (older Takeouts), cut to 51 characters.
    Legacy,
    /// `<name>.supplemental-metadata.json` (newer Takeouts), cut to 51 characters.
    Supplemental,
    /// Exactly this file name.
    Named(String),
}

/// The limit Google cuts sidecar names to, `.json` included.
pub const MAX_JSON_NAME: usize = 51;

/// What a photo's JSON sidecar says, in Google's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Sidecar {
    /// The name the file was uploaded with; empty: the photo's name without `(n)`.
    pub title: String,
    pub description: String,
    /// `photoTakenTime` in seconds (omitted when `None`).
    pub taken: Option<i64>,
    /// `photoLastModifiedTime` in seconds.
    pub modified: Option<i64>,
    /// `geoData`; `None` writes Google's 0/0.
    pub geo: Option<(f64, f64)>,
    /// `geoDataExif`; `None` writes 0/0.
    pub geo_exif: Option<(f64, f64)>,
    pub favorited: bool,
    pub archived: bool,
    pub trashed: bool,
    pub people: Vec<String>,
    pub url: Option<String>,
}

impl Default for Sidecar {
    fn default() -> Self {
        Sidecar {
            title: String::new(),
            description: String::new(),
            taken: Some(1_562_955_312),
            modified: None,
            geo: None,
            geo_exif: None,
            favorited: false,
            archived: false,
            trashed: false,
            people: Vec::new(),
            url: None,
        }
    }
}

impl Sidecar {
    /// A sidecar that says only when the photo was taken (UTC seconds).
    pub fn taken(secs: i64) -> Sidecar {
        Sidecar {
            taken: Some(secs),
            ..Sidecar::default()
        }
    }

    fn ts(secs: i64) -> Value {
        json!({ "timestamp": secs.to_string(), "formatted": format!("{secs} UTC") })
    }

    fn geo_json(g: Option<(f64, f64)>) -> Value {
        let (lat, lon) = g.unwrap_or((0.0, 0.0));
        json!({ "latitude": lat, "longitude": lon, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0 })
    }

    /// The JSON text Google would write.
    pub fn to_json(&self, title: &str) -> String {
        let mut v = json!({
            "title": title,
            "description": self.description,
            "imageViews": "7",
            "creationTime": Sidecar::ts(1_600_000_000),
            "geoData": Sidecar::geo_json(self.geo),
            "geoDataExif": Sidecar::geo_json(self.geo_exif),
            "googlePhotosOrigin": { "mobileUpload": { "deviceType": "ANDROID_PHONE" } },
        });
        let o = v.as_object_mut().expect("object");
        if let Some(t) = self.taken {
            o.insert("photoTakenTime".into(), Sidecar::ts(t));
        }
        if let Some(t) = self.modified {
            o.insert("photoLastModifiedTime".into(), Sidecar::ts(t));
        }
        if !self.people.is_empty() {
            let people: Vec<Value> = self.people.iter().map(|p| json!({ "name": p })).collect();
            o.insert("people".into(), Value::Array(people));
        }
        if let Some(u) = &self.url {
            o.insert("url".into(), json!(u));
        }
        for (k, on) in [
            ("favorited", self.favorited),
            ("archived", self.archived),
            ("trashed", self.trashed),
        ] {
            if on {
                o.insert(k.into(), json!(true));
            }
        }
        serde_json::to_string_pretty(&v).expect("json")
    }

    /// The metadata an importer should read from this sidecar.
    pub fn expected_meta(&self, title: &str) -> ItemMeta {
        let real = |g: Option<(f64, f64)>| g.filter(|(a, b)| *a != 0.0 || *b != 0.0);
        let mut tags = Vec::new();
        for p in &self.people {
            let t = format!("people/{p}");
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let mut extra = Vec::new();
        if !title.is_empty() {
            extra.push(("takeout_title".to_string(), title.to_string()));
        }
        if let Some(u) = &self.url {
            extra.push(("takeout_url".to_string(), u.clone()));
        }
        ItemMeta {
            taken: self
                .taken
                .filter(|t| *t != 0)
                .map(|t| SourceDate::Instant(t * 1000)),
            file_modified_at: self.modified.map(|t| t * 1000),
            location: real(self.geo).or(real(self.geo_exif)),
            description: Some(self.description.clone()).filter(|d| !d.trim().is_empty()),
            tags,
            favorite: self.favorited,
            archived: self.archived,
            trashed: self.trashed,
            extra,
            ..ItemMeta::default()
        }
    }
}

/// What the media file is.
#[derive(Debug, Clone)]
pub enum Content {
    /// A real JPEG, with EXIF when given.
    Jpeg(Option<Exif>),
    /// A real QuickTime movie.
    Mov,
    /// These bytes (a type Keepsake does not import, say).
    Bytes(Vec<u8>),
}

/// One photo or video of the library and how Google exports it.
#[derive(Debug, Clone)]
pub struct Photo {
    /// The file name in the Takeout (`IMG_1234(1).JPG` for a numbered duplicate).
    pub name: String,
    /// Year folders it is in (`Photos from 2019`, or localized).
    pub year_folders: Vec<String>,
    /// Album folders it is in.
    pub album_folders: Vec<String>,
    pub content: Content,
    /// What its JSON says; `None`: no JSON at all.
    pub sidecar: Option<Sidecar>,
    pub naming: JsonNaming,
    /// The JSON text, replacing the one made from `sidecar` (broken or odd JSON).
    pub raw_json: Option<String>,
    /// The folders that get a copy of the JSON; `None`: all of them.
    pub json_folders: Option<Vec<String>>,
    /// Edited copies to write next to it, by suffix (`-edited`, `-modifié`…).
    pub edited: Vec<String>,
    /// A Live Photo video half to write next to it, by extension (`MOV`).
    pub live: Option<String>,
    /// What the importer should read, replacing the sidecar's meaning.
    pub expect_meta: Option<ItemMeta>,
    /// Expected to be yielded as skipped (unsupported type).
    pub expect_skipped: bool,
}

impl Photo {
    pub fn jpeg(name: &str) -> Photo {
        Photo {
            name: name.to_string(),
            year_folders: Vec::new(),
            album_folders: Vec::new(),
            content: Content::Jpeg(None),
            sidecar: Some(Sidecar::default()),
            naming: JsonNaming::Supplemental,
            raw_json: None,
            json_folders: None,
            edited: Vec::new(),
            live: None,
            expect_meta: None,
            expect_skipped: false,
        }
    }

    pub fn mov(name: &str) -> Photo {
        Photo {
            content: Content::Mov,
            ..Photo::jpeg(name)
        }
    }

    /// A file of a type Keepsake does not import.
    pub fn unsupported(name: &str, bytes: &[u8]) -> Photo {
        Photo {
            content: Content::Bytes(bytes.to_vec()),
            expect_skipped: true,
            ..Photo::jpeg(name)
        }
    }

    /// In `Photos from <year>`.
    pub fn year(mut self, year: i32) -> Photo {
        self.year_folders.push(format!("Photos from {year}"));
        self
    }

    /// In a year folder named `folder` (a localized one).
    pub fn year_folder(mut self, folder: &str) -> Photo {
        self.year_folders.push(folder.to_string());
        self
    }

    pub fn album(mut self, folder: &str) -> Photo {
        self.album_folders.push(folder.to_string());
        self
    }

    pub fn exif(mut self, exif: Exif) -> Photo {
        self.content = Content::Jpeg(Some(exif));
        self
    }

    pub fn sidecar(mut self, sidecar: Sidecar) -> Photo {
        self.sidecar = Some(sidecar);
        self
    }

    pub fn no_sidecar(mut self) -> Photo {
        self.sidecar = None;
        self
    }

    pub fn naming(mut self, naming: JsonNaming) -> Photo {
        self.naming = naming;
        self
    }

    /// Writes `text` as the JSON and expects `meta` from it.
    pub fn raw_json(mut self, text: &str, meta: ItemMeta) -> Photo {
        self.raw_json = Some(text.to_string());
        self.expect_meta = Some(meta);
        self
    }

    pub fn json_only_in(mut self, folders: &[&str]) -> Photo {
        self.json_folders = Some(folders.iter().map(|f| f.to_string()).collect());
        self
    }

    pub fn edited(mut self, suffix: &str) -> Photo {
        self.edited.push(suffix.to_string());
        self
    }

    pub fn live(mut self, video_ext: &str) -> Photo {
        self.live = Some(video_ext.to_string());
        self
    }

    fn folders(&self) -> Vec<String> {
        let mut f = self.year_folders.clone();
        f.extend(self.album_folders.iter().cloned());
        f
    }

    /// The folder its key is under: the first year folder, else the first album.
    fn key_folder(&self) -> String {
        let mut years = self.year_folders.clone();
        years.sort();
        let mut albums = self.album_folders.clone();
        albums.sort();
        years
            .first()
            .or(albums.first())
            .cloned()
            .unwrap_or_default()
    }

    /// The title Google writes: the name without a `(n)` duplicate number.
    fn original_name(&self) -> (String, u32) {
        unnumbered(&self.name)
    }
}

/// `IMG(1).JPG` → (`IMG.JPG`, 1).
fn unnumbered(name: &str) -> (String, u32) {
    let (base, ext) = split_ext(name);
    if let Some(inner) = base.strip_suffix(')')
        && let Some(open) = inner.rfind('(')
        && open > 0
        && let Ok(n) = inner[open + 1..].parse::<u32>()
    {
        return (format!("{}{ext}", &base[..open]), n);
    }
    (name.to_string(), 0)
}

fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// The name Google gives the sidecar of `media` (see [`JsonNaming`]):
/// `<original name>[.supplemental-metadata]`, cut to 46 characters, then
/// `(n)` for a numbered duplicate, then `.json`.
pub fn google_json_name(media: &str, naming: &JsonNaming) -> String {
    let (original, n) = unnumbered(media);
    let stem = match naming {
        JsonNaming::Named(name) => return name.clone(),
        JsonNaming::Legacy => original,
        JsonNaming::Supplemental => format!("{original}.supplemental-metadata"),
    };
    let stem: String = stem.chars().take(MAX_JSON_NAME - ".json".len()).collect();
    let number = if n > 0 {
        format!("({n})")
    } else {
        String::new()
    };
    format!("{stem}{number}.json")
}

/// An album folder and its metadata file.
#[derive(Debug, Clone, Default)]
pub struct AlbumSpec {
    /// The metadata file's name and text; `None`: the folder has none.
    pub metadata: Option<(String, String)>,
    /// What the importer should call it.
    pub expected: SourceAlbum,
}

impl AlbumSpec {
    /// `file` (e.g. `metadata.json`, `métadonnées.json`) with this title and description.
    pub fn titled(file: &str, title: &str, description: &str) -> AlbumSpec {
        let text = serde_json::to_string_pretty(&json!({
            "title": title,
            "description": description,
            "access": "protected",
            "date": { "timestamp": "1562955312", "formatted": "12 Jul 2019" },
        }))
        .expect("json");
        AlbumSpec {
            metadata: Some((file.to_string(), text)),
            expected: SourceAlbum {
                key: String::new(),
                name: title.to_string(),
                description: Some(description.to_string()).filter(|d| !d.is_empty()),
            },
        }
    }

    /// An album nobody named (`Untitled(1)`, empty title): named by its folder.
    pub fn untitled(file: &str) -> AlbumSpec {
        let mut spec = AlbumSpec::titled(file, "", "");
        spec.expected.name = String::new();
        spec
    }

    /// The older `{"albumData": {…}}` form.
    pub fn album_data(file: &str, title: &str, description: &str) -> AlbumSpec {
        let text = serde_json::to_string_pretty(&json!({
            "albumData": { "title": title, "description": description, "access": "protected" }
        }))
        .expect("json");
        AlbumSpec {
            metadata: Some((file.to_string(), text)),
            ..AlbumSpec::titled(file, title, description)
        }
    }

    /// A folder without metadata: named by the folder.
    pub fn without_metadata() -> AlbumSpec {
        AlbumSpec::default()
    }
}

/// An item an importer should yield.
#[derive(Debug, Clone)]
pub struct ExpectedItem {
    pub key: String,
    pub file_name: String,
    pub meta: ItemMeta,
    /// Sorted by key.
    pub albums: Vec<SourceAlbum>,
    pub skipped: bool,
    pub bytes: Arc<Vec<u8>>,
}

/// One file of the tree.
#[derive(Debug, Clone)]
pub struct TreeFile {
    /// Path under `Takeout/`, `/`-separated.
    pub path: String,
    pub bytes: Arc<Vec<u8>>,
    /// For a sidecar: the path of the media file it describes (same folder).
    pub sidecar_of: Option<String>,
    pub is_media: bool,
}

/// Describes a Takeout; [`TakeoutBuilder::build`] makes the files and the truth.
#[derive(Debug, Clone)]
pub struct TakeoutBuilder {
    product: String,
    photos: Vec<Photo>,
    albums: BTreeMap<String, AlbumSpec>,
    extras: Vec<(String, Vec<u8>)>,
}

impl Default for TakeoutBuilder {
    fn default() -> Self {
        TakeoutBuilder::new()
    }
}

impl TakeoutBuilder {
    pub fn new() -> TakeoutBuilder {
        TakeoutBuilder {
            product: "Google Photos".to_string(),
            photos: Vec::new(),
            albums: BTreeMap::new(),
            extras: Vec::new(),
        }
    }

    /// The product folder's name under `Takeout/` (`Google Fotos`…).
    pub fn product(mut self, name: &str) -> TakeoutBuilder {
        self.product = name.to_string();
        self
    }

    pub fn album(&mut self, folder: &str, spec: AlbumSpec) -> &mut TakeoutBuilder {
        self.albums.insert(folder.to_string(), spec);
        self
    }

    pub fn add(&mut self, photo: Photo) -> &mut TakeoutBuilder {
        self.photos.push(photo);
        self
    }

    /// A file that is not media (path under `Takeout/`).
    pub fn extra(&mut self, path: &str, bytes: &[u8]) -> &mut TakeoutBuilder {
        self.extras.push((path.to_string(), bytes.to_vec()));
        self
    }

    pub fn build(&self) -> TakeoutTree {
        let mut files: Vec<TreeFile> = Vec::new();
        let mut expected: Vec<ExpectedItem> = Vec::new();
        let mut sizes: HashMap<String, BTreeSet<usize>> = HashMap::new();
        let mut serial = 0u64;
        let album_of = |folder: &str| -> SourceAlbum {
            let spec = self.albums.get(folder).cloned().unwrap_or_default();
            let mut a = spec.expected;
            a.key = folder.to_string();
            if a.name.is_empty() {
                a.name = folder.to_string();
            }
            a
        };
        let product = &self.product;
        let mut emit = |name: &str,
                        content: &Content,
                        folders: &[String],
                        sizes: &mut HashMap<String, BTreeSet<usize>>,
                        files: &mut Vec<TreeFile>|
         -> Arc<Vec<u8>> {
            serial += 1;
            // Distinct photos with the same name get distinct sizes.
            let used = sizes.entry(name.to_string()).or_default();
            let mut pad = 0;
            let bytes = loop {
                let b = make_content(content, serial, pad);
                if !used.contains(&b.len()) {
                    break b;
                }
                pad += 1;
            };
            used.insert(bytes.len());
            let bytes = Arc::new(bytes);
            for folder in folders {
                files.push(TreeFile {
                    path: format!("{product}/{folder}/{name}"),
                    bytes: bytes.clone(),
                    sidecar_of: None,
                    is_media: true,
                });
            }
            bytes
        };

        for photo in &self.photos {
            let folders = photo.folders();
            let key_folder = photo.key_folder();
            let key_of = |name: &str| format!("{key_folder}/{name}");
            let mut albums: Vec<SourceAlbum> =
                photo.album_folders.iter().map(|f| album_of(f)).collect();
            albums.sort_by(|a, b| a.key.cmp(&b.key));
            albums.dedup();
            let (original, _) = photo.original_name();
            let title = photo
                .sidecar
                .as_ref()
                .map(|s| {
                    if s.title.is_empty() {
                        original.clone()
                    } else {
                        s.title.clone()
                    }
                })
                .unwrap_or_default();
            let meta = match (&photo.expect_meta, &photo.sidecar) {
                (Some(m), _) => m.clone(),
                (None, Some(s)) => s.expected_meta(&title),
                (None, None) => ItemMeta::default(),
            };

            let bytes = emit(
                &photo.name,
                &photo.content,
                &folders,
                &mut sizes,
                &mut files,
            );
            if photo.sidecar.is_some() || photo.raw_json.is_some() {
                let text = match &photo.raw_json {
                    Some(t) => t.clone(),
                    None => photo.sidecar.as_ref().expect("sidecar").to_json(&title),
                };
                let json_name = google_json_name(&photo.name, &photo.naming);
                let json_folders = photo.json_folders.clone().unwrap_or(folders.clone());
                let text = Arc::new(text.into_bytes());
                for folder in json_folders {
                    files.push(TreeFile {
                        path: format!("{product}/{folder}/{json_name}"),
                        bytes: text.clone(),
                        sidecar_of: Some(format!("{product}/{folder}/{}", photo.name)),
                        is_media: false,
                    });
                }
            }

            let mut still_meta = meta.clone();
            if let Some(ext) = &photo.live {
                let (base, _) = split_ext(&photo.name);
                let video = format!("{base}.{ext}");
                let vbytes = emit(&video, &Content::Mov, &folders, &mut sizes, &mut files);
                still_meta.live_video_key = Some(key_of(&video));
                expected.push(ExpectedItem {
                    key: key_of(&video),
                    file_name: video,
                    meta: ItemMeta::default(),
                    albums: albums.clone(),
                    skipped: false,
                    bytes: vbytes,
                });
            }
            for suffix in &photo.edited {
                let (base, ext) = split_ext(&photo.name);
                let name = format!("{base}{suffix}{ext}");
                let ebytes = emit(&name, &photo.content, &folders, &mut sizes, &mut files);
                let mut m = meta.clone();
                m.extra
                    .push(("takeout_edited_of".into(), key_of(&photo.name)));
                expected.push(ExpectedItem {
                    key: key_of(&name),
                    file_name: name,
                    meta: m,
                    albums: albums.clone(),
                    skipped: false,
                    bytes: ebytes,
                });
            }
            expected.push(ExpectedItem {
                key: key_of(&photo.name),
                file_name: photo.name.clone(),
                meta: still_meta,
                albums,
                skipped: photo.expect_skipped,
                bytes,
            });
        }

        let used_albums: BTreeSet<&String> =
            self.photos.iter().flat_map(|p| &p.album_folders).collect();
        let mut albums = Vec::new();
        for folder in &used_albums {
            albums.push(album_of(folder));
        }
        for (folder, spec) in &self.albums {
            if let Some((file, text)) = &spec.metadata {
                files.push(TreeFile {
                    path: format!("{product}/{folder}/{file}"),
                    bytes: Arc::new(text.clone().into_bytes()),
                    sidecar_of: None,
                    is_media: false,
                });
            }
        }
        for (path, bytes) in &self.extras {
            files.push(TreeFile {
                path: path.clone(),
                bytes: Arc::new(bytes.clone()),
                sidecar_of: None,
                is_media: false,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        expected.sort_by(|a, b| a.key.cmp(&b.key));
        TakeoutTree {
            product: self.product.clone(),
            files,
            expected,
            albums,
            deflate_media: false,
        }
    }
}

/// A built Takeout: its files and the truth about them.
#[derive(Debug, Clone)]
pub struct TakeoutTree {
    pub product: String,
    /// Sorted by path.
    pub files: Vec<TreeFile>,
    /// Sorted by key.
    pub expected: Vec<ExpectedItem>,
    /// Every album some item is in, sorted by key.
    pub albums: Vec<SourceAlbum>,
    /// Deflate media in zips too (Stored by default; JSONs are always deflated).
    pub deflate_media: bool,
}

impl TakeoutTree {
    /// The expected item with this key.
    pub fn expected(&self, key: &str) -> &ExpectedItem {
        self.expected
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("no expected item {key}"))
    }

    /// Writes the tree as extracted under `dir/Takeout/…`; returns `dir/Takeout`.
    pub fn write_extracted(&self, dir: &Path) -> PathBuf {
        let root = dir.join("Takeout");
        for f in &self.files {
            let path = root.join(&f.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, f.bytes.as_slice()).expect("write");
        }
        root
    }

    /// The part each file goes to: media in path order, cut into `parts`
    /// runs of equal count (as Google fills parts one after the other, so a
    /// file's year-folder and album copies land in different parts); each
    /// sidecar in the part after its media's (so with 2+ parts every JSON is
    /// in another part than the file it describes); other files round robin.
    pub fn part_of_files(&self, parts: usize) -> Vec<usize> {
        let parts = parts.max(1);
        let mut out = vec![0; self.files.len()];
        let mut media_part: HashMap<&str, usize> = HashMap::new();
        let media = self.files.iter().filter(|f| f.is_media).count().max(1);
        let mut next = 0;
        for (i, f) in self.files.iter().enumerate() {
            if f.is_media {
                out[i] = next * parts / media;
                media_part.insert(&f.path, out[i]);
                next += 1;
            }
        }
        for (i, f) in self.files.iter().enumerate() {
            if f.is_media {
                continue;
            }
            out[i] = match f.sidecar_of.as_deref().and_then(|m| media_part.get(m)) {
                Some(p) => (p + 1) % parts,
                None => {
                    next += 1;
                    next % parts
                }
            };
        }
        out
    }

    /// Writes the tree as `parts` zips `takeout-…-00N.zip` in `dir`, entries
    /// under `Takeout/` (or at the top with `prefix` empty).
    pub fn write_zips_with_prefix(&self, dir: &Path, parts: usize, prefix: &str) -> Vec<PathBuf> {
        use zip::write::SimpleFileOptions;
        let parts = parts.max(1);
        let assignment = self.part_of_files(parts);
        std::fs::create_dir_all(dir).expect("mkdir");
        let paths: Vec<PathBuf> = (1..=parts)
            .map(|i| dir.join(format!("takeout-20240512T101010Z-{i:03}.zip")))
            .collect();
        let mut writers: Vec<zip::ZipWriter<File>> = paths
            .iter()
            .map(|p| zip::ZipWriter::new(File::create(p).expect("create zip")))
            .collect();
        let deflated =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (f, part) in self.files.iter().zip(assignment) {
            let options = if f.is_media && !self.deflate_media {
                stored
            } else {
                deflated
            };
            let name = format!("{prefix}{}", f.path);
            let w = &mut writers[part];
            w.start_file(name, options).expect("start entry");
            w.write_all(&f.bytes).expect("write entry");
        }
        for w in writers {
            w.finish().expect("finish zip");
        }
        paths
    }

    /// Writes the tree as `parts` zips with entries under `Takeout/`.
    pub fn write_zips(&self, dir: &Path, parts: usize) -> Vec<PathBuf> {
        self.write_zips_with_prefix(dir, parts, "Takeout/")
    }
}

fn base_jpeg() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        fixtures::jpeg(dir.path(), 64, 48, 3)
    })
}

fn base_mov() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        fixtures::video(
            dir.path(),
            "live.mov",
            "64x48",
            1,
            &["-c:v", "mpeg4", "-c:a", "aac"],
        )
    })
}

/// `jpeg` with a COM segment after its APPn segments (valid JPEG, unique bytes).
pub fn jpeg_with_comment(jpeg: &[u8], comment: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && (0xE0..=0xEF).contains(&jpeg[at + 1]) {
        let len = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
        at += 2 + len;
    }
    let comment = &comment[..comment.len().min(60_000)];
    let mut out = Vec::with_capacity(jpeg.len() + comment.len() + 4);
    out.extend_from_slice(&jpeg[..at]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&jpeg[at..]);
    out
}

/// `mov` with a trailing `free` box holding `payload` (valid ISO-BMFF, unique bytes).
pub fn mov_with_free_box(mov: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = mov.to_vec();
    out.extend_from_slice(&((payload.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.extend_from_slice(payload);
    out
}

fn make_content(content: &Content, serial: u64, pad: usize) -> Vec<u8> {
    let tag = format!("keepsake-takeout {serial}{}", " ".repeat(pad));
    match content {
        Content::Jpeg(None) => jpeg_with_comment(base_jpeg(), tag.as_bytes()),
        Content::Jpeg(Some(exif)) => {
            jpeg_with_comment(&fixtures::with_exif(base_jpeg(), exif), tag.as_bytes())
        }
        Content::Mov => mov_with_free_box(base_mov(), tag.as_bytes()),
        Content::Bytes(b) => {
            let mut b = b.clone();
            b.extend_from_slice(tag.as_bytes());
            b
        }
    }
}

/// Folder names of [`rules_tree`].
pub mod folders {
    pub const Y2019: &str = "Photos from 2019";
    pub const Y2020: &str = "Photos from 2020";
    /// A German year folder.
    pub const Y2018_DE: &str = "Fotos von 2018";
    /// `metadata.json`: "Paris 2019", described.
    pub const PARIS: &str = "Trip to Paris";
    /// `métadonnées.json`: "Famille Dupont", no description.
    pub const FAMILLE: &str = "Famille";
    /// `Metadaten.json`: "Urlaub am See".
    pub const URLAUB: &str = "Urlaub";
    /// No metadata: named by the folder.
    pub const SCANS: &str = "Old scans";
    /// Empty title: named by the folder.
    pub const UNTITLED: &str = "Untitled(1)";
    /// Old `albumData` form in `metadatos.json`.
    pub const VACACIONES: &str = "Vacaciones";
    /// An album whose name ends in a year (it has metadata: not a year folder).
    pub const SUMMER: &str = "Summer 2019";
}

/// Names of [`rules_tree`]'s files that exercise one rule each.
pub mod rules {
    /// In 2019, Paris and Famille; `IMG_0001.JPG.json`; every field set.
    pub const FULL: &str = "IMG_0001.JPG";
    /// `.supplemental-metadata.json`; geoData 0/0, geoDataExif set; archived.
    pub const SUPPLEMENTAL: &str = "IMG_0002.JPG";
    /// 40 characters: `….suppl.json`.
    pub const CUT_SUPPL: &str = "PXL_20190712_181512345.PORTRAIT-ORIG.jpg";
    /// 30 characters: `….supplemental-me.json`.
    pub const CUT_SUPPLEMENTAL_ME: &str = "Screenshot_20190712-181512.png";
    /// 27 characters: `….supplemental-metad.json`.
    pub const CUT_SUPPLEMENTAL_METAD: &str = "VID_20190712_181512_LS.jpeg";
    /// 47 characters, legacy: the JSON keeps the first 46.
    pub const CUT_LEGACY: &str = "Screenshot_20190712-181512_A Long App Name1.jpg";
    /// `IMG_1234.JPG` / `IMG_1234(1).JPG` with `IMG_1234.JPG.json` / `IMG_1234.JPG(1).json`.
    pub const NUMBERED: &str = "IMG_1234.JPG";
    pub const NUMBERED_1: &str = "IMG_1234(1).JPG";
    /// The same with `.supplemental-metadata(1).json`.
    pub const NUMBERED_SUPPL: &str = "IMG_5678.JPG";
    pub const NUMBERED_SUPPL_1: &str = "IMG_5678(1).JPG";
    /// Originals with edited copies (suffix by locale).
    pub const EDITED: &[(&str, &str)] = &[
        ("IMG_0003.JPG", "-edited"),
        ("IMG_0004.jpg", "-modifié"),
        ("IMG_0005.jpg", "-bearbeitet"),
        ("IMG_0006.jpg", "-editado"),
        ("IMG_0007.jpg", "-modificato"),
        ("IMG_0008.jpg", "-bewerkt"),
    ];
    /// Two files a 46-character cut JSON name fits; its title names the second.
    pub const TITLE_STEM: &str = "Screenshot_2019-07-12-18-15-12-123_com.example";
    pub const TITLE_OTHER: &str = "Screenshot_2019-07-12-18-15-12-123_com.exampleX.jpg";
    pub const TITLE_OWNER: &str = "Screenshot_2019-07-12-18-15-12-123_com.exampleY.jpg";
    /// No JSON; EXIF date and GPS only.
    pub const NO_JSON: &str = "IMG_0009.JPG";
    /// `trashed: true`.
    pub const TRASHED: &str = "IMG_0010.JPG";
    /// `IMG_0011.JPG` + `IMG_0011.MOV`, in 2020 and Summer 2019.
    pub const LIVE: &str = "IMG_0011.JPG";
    pub const LIVE_VIDEO: &str = "IMG_0011.MOV";
    /// Not a type Keepsake imports.
    pub const UNSUPPORTED: &str = "scan.pdf";
    /// Its JSON is cut off.
    pub const BROKEN_JSON: &str = "IMG_0012.JPG";
    /// Numbers as strings and strings as numbers, odd shapes.
    pub const ODD_JSON: &str = "IMG_0013.JPG";
    /// In the German year folder.
    pub const LOCALIZED_YEAR: &str = "IMG_0014.JPG";
    /// Only in Old scans and Untitled(1).
    pub const ALBUM_ONLY: &str = "IMG_0015.JPG";
    /// Two different photos with this name (2019 and 2020).
    pub const SAME_NAME: &str = "IMG_0016.JPG";
    /// JSON only in the album folder, not the year folder.
    pub const JSON_IN_ALBUM_ONLY: &str = "IMG_0017.JPG";
    /// In Vacaciones (albumData metadata) and 2020.
    pub const IN_OLD_ALBUM: &str = "IMG_0018.JPG";
    /// A video with its own sidecar.
    pub const VIDEO: &str = "VID_0019.MOV";
    /// A sidecar without `photoTakenTime` in a year folder (must not make it an album).
    pub const NO_TAKEN_TIME: &str = "IMG_0020.JPG";
}

/// A small Takeout covering every rule of the importer (see [`rules`] and
/// [`folders`] for what is where).
pub fn rules_tree() -> TakeoutTree {
    use folders::*;
    use rules::*;
    let mut t = TakeoutBuilder::new();
    t.album(
        PARIS,
        AlbumSpec::titled("metadata.json", "Paris 2019", "Spring trip"),
    )
    .album(
        FAMILLE,
        AlbumSpec::titled("métadonnées.json", "Famille Dupont", ""),
    )
    .album(
        URLAUB,
        AlbumSpec::titled("Metadaten.json", "Urlaub am See", ""),
    )
    .album(SCANS, AlbumSpec::without_metadata())
    .album(UNTITLED, AlbumSpec::untitled("metadata.json"))
    .album(
        VACACIONES,
        AlbumSpec::album_data("metadatos.json", "Vacaciones 2020", "Playa"),
    )
    .album(
        SUMMER,
        AlbumSpec::titled("metadata.json", "Summer 2019", ""),
    );

    t.add(
        Photo::jpeg(FULL)
            .year(2019)
            .album(PARIS)
            .album(FAMILLE)
            .naming(JsonNaming::Legacy)
            .sidecar(Sidecar {
                description: "Under the Eiffel tower".into(),
                taken: Some(1_562_955_312),
                modified: Some(1_563_000_000),
                geo: Some((48.8584, 2.2945)),
                geo_exif: Some((48.0, 2.0)),
                favorited: true,
                people: vec!["Alice".into(), "Bob Smith".into()],
                url: Some("https://photos.google.com/photo/AF1QipFULL".into()),
                ..Sidecar::default()
            }),
    );
    t.add(Photo::jpeg(SUPPLEMENTAL).year(2019).sidecar(Sidecar {
        taken: Some(1_563_100_000),
        geo: None,
        geo_exif: Some((41.9028, 12.4964)),
        archived: true,
        ..Sidecar::default()
    }));
    for (i, name) in [CUT_SUPPL, CUT_SUPPLEMENTAL_ME, CUT_SUPPLEMENTAL_METAD]
        .iter()
        .enumerate()
    {
        t.add(
            Photo::jpeg(name)
                .year(2019)
                .sidecar(Sidecar::taken(1_563_200_000 + i as i64)),
        );
    }
    t.add(
        Photo::jpeg(CUT_LEGACY)
            .year(2019)
            .naming(JsonNaming::Legacy)
            .sidecar(Sidecar::taken(1_563_300_000)),
    );
    t.add(
        Photo::jpeg(NUMBERED)
            .year(2020)
            .naming(JsonNaming::Legacy)
            .sidecar(Sidecar::taken(1_580_000_000)),
    );
    t.add(
        Photo::jpeg(NUMBERED_1)
            .year(2020)
            .naming(JsonNaming::Legacy)
            .sidecar(Sidecar::taken(1_580_000_001)),
    );
    t.add(
        Photo::jpeg(NUMBERED_SUPPL)
            .year(2020)
            .sidecar(Sidecar::taken(1_580_100_000)),
    );
    t.add(
        Photo::jpeg(NUMBERED_SUPPL_1)
            .year(2020)
            .sidecar(Sidecar::taken(1_580_100_001)),
    );
    for (i, (name, suffix)) in EDITED.iter().enumerate() {
        let mut p = Photo::jpeg(name)
            .year(2019)
            .edited(suffix)
            .sidecar(Sidecar {
                description: format!("edited {i}"),
                ..Sidecar::taken(1_564_000_000 + i as i64)
            });
        if i == 0 {
            p = p.album(URLAUB).naming(JsonNaming::Legacy);
        }
        t.add(p);
    }
    t.add(Photo::jpeg(TITLE_OTHER).year(2020).no_sidecar());
    t.add(
        Photo::jpeg(TITLE_OWNER)
            .year(2020)
            .naming(JsonNaming::Legacy)
            .sidecar(Sidecar::taken(1_581_000_000)),
    );
    t.add(Photo::jpeg(NO_JSON).year(2019).no_sidecar().exif(Exif {
        date_time_original: Some("2019:08:01 10:00:00".into()),
        gps: Some((52.52, 13.405)),
        ..Exif::default()
    }));
    t.add(Photo::jpeg(TRASHED).year(2020).sidecar(Sidecar {
        trashed: true,
        ..Sidecar::taken(1_582_000_000)
    }));
    t.add(
        Photo::jpeg(LIVE)
            .year(2020)
            .album(SUMMER)
            .live("MOV")
            .sidecar(Sidecar::taken(1_583_000_000)),
    );
    t.add(Photo::unsupported(UNSUPPORTED, b"%PDF-1.4\n").year(2019));
    t.add(Photo::jpeg(BROKEN_JSON).year(2019).raw_json(
        r#"{"title": "IMG_0012.JPG", "photoTakenTime": {"timest"#,
        ItemMeta::default(),
    ));
    t.add(Photo::jpeg(ODD_JSON).year(2019).raw_json(
        r#"{"title": "IMG_0013.JPG", "description": 42,
            "photoTakenTime": {"timestamp": 1565000000},
            "photoLastModifiedTime": "1565000100",
            "geoData": {"latitude": "35.6762", "longitude": "139.6503"},
            "favorited": "true", "archived": null, "trashed": 0,
            "people": [{"name": "Carol"}, {}, "Dave", 3],
            "url": ""}"#,
        ItemMeta {
            taken: Some(SourceDate::Instant(1_565_000_000_000)),
            file_modified_at: Some(1_565_000_100_000),
            location: Some((35.6762, 139.6503)),
            description: Some("42".into()),
            tags: vec!["people/Carol".into(), "people/Dave".into()],
            favorite: true,
            extra: vec![("takeout_title".into(), "IMG_0013.JPG".into())],
            ..ItemMeta::default()
        },
    ));
    t.add(
        Photo::jpeg(LOCALIZED_YEAR)
            .year_folder(Y2018_DE)
            .album(URLAUB)
            .sidecar(Sidecar::taken(1_530_000_000)),
    );
    t.add(
        Photo::jpeg(ALBUM_ONLY)
            .album(UNTITLED)
            .album(SCANS)
            .sidecar(Sidecar::taken(900_000_000)),
    );
    t.add(
        Photo::jpeg(SAME_NAME)
            .year(2019)
            .sidecar(Sidecar::taken(1_566_000_000)),
    );
    t.add(
        Photo::jpeg(SAME_NAME)
            .year(2020)
            .sidecar(Sidecar::taken(1_590_000_000)),
    );
    t.add(
        Photo::jpeg(JSON_IN_ALBUM_ONLY)
            .year(2019)
            .album(PARIS)
            .json_only_in(&[PARIS])
            .sidecar(Sidecar {
                description: "found in the album folder".into(),
                ..Sidecar::taken(1_567_000_000)
            }),
    );
    t.add(
        Photo::jpeg(IN_OLD_ALBUM)
            .year(2020)
            .album(folders::VACACIONES)
            .sidecar(Sidecar::taken(1_591_000_000)),
    );
    t.add(Photo::mov(VIDEO).year(2019).album(PARIS).sidecar(Sidecar {
        geo: Some((48.86, 2.35)),
        ..Sidecar::taken(1_562_960_000)
    }));
    t.add(Photo::jpeg(NO_TAKEN_TIME).year(2020).sidecar(Sidecar {
        taken: None,
        description: "no date".into(),
        ..Sidecar::default()
    }));
    t.extra("archive_browser.html", b"<html><body>Takeout</body></html>")
        .extra(
            "Google Photos/print-subscriptions.json",
            br#"{"title": "Prints", "subscriptions": []}"#,
        )
        .extra(
            "Google Photos/user-generated-memory-titles.json",
            br#"{"title": "Memories", "titles": []}"#,
        )
        .extra(
            &format!("Google Photos/{PARIS}/shared_album_comments.json"),
            br#"{"title": "Comments", "comments": []}"#,
        );
    t.build()
}

/// `n` ordinary items for throughput: JPEGs across 20 year folders, every
/// 7th also in one of 5 albums, alternating sidecar styles, every 3rd with
/// EXIF, every 50th a Live Photo (its video is an item too).
pub fn many(n: usize) -> TakeoutTree {
    let mut t = TakeoutBuilder::new();
    for a in 0..5 {
        t.album(
            &format!("Album {a}"),
            AlbumSpec::titled("metadata.json", &format!("Album number {a}"), ""),
        );
    }
    let mut count = 0;
    let mut i: usize = 0;
    while count < n {
        let name = format!("IMG_{i:05}.JPG");
        let mut p = Photo::jpeg(&name)
            .year(2000 + (i % 20) as i32)
            .naming(if i.is_multiple_of(2) {
                JsonNaming::Supplemental
            } else {
                JsonNaming::Legacy
            })
            .sidecar(Sidecar {
                geo: (i.is_multiple_of(10)).then_some((45.0 + i as f64 / 1000.0, 7.5)),
                favorited: i.is_multiple_of(25),
                people: if i.is_multiple_of(11) {
                    vec!["Alice".into()]
                } else {
                    Vec::new()
                },
                ..Sidecar::taken(946_684_800 + (i as i64) * 3_600)
            });
        if i.is_multiple_of(7) {
            p = p.album(&format!("Album {}", i % 5));
        }
        if i.is_multiple_of(3) {
            p = p.exif(Exif {
                date_time_original: Some("2020:01:01 12:00:00".into()),
                ..Exif::default()
            });
        }
        count += 1;
        if i.is_multiple_of(50) && count < n {
            p = p.live("MOV");
            count += 1;
        }
        t.add(p);
        i += 1;
    }
    t.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_json_names_are_cut_to_51_characters() {
        assert_eq!(
            google_json_name("IMG_1.JPG", &JsonNaming::Legacy),
            "IMG_1.JPG.json"
        );
        assert_eq!(
            google_json_name("IMG_1(2).JPG", &JsonNaming::Supplemental),
            "IMG_1.JPG.supplemental-metadata(2).json"
        );
        let n = google_json_name(rules::CUT_SUPPL, &JsonNaming::Supplemental);
        assert_eq!(n, format!("{}.suppl.json", rules::CUT_SUPPL));
        assert_eq!(n.chars().count(), MAX_JSON_NAME);
        assert!(
            google_json_name(rules::CUT_SUPPLEMENTAL_ME, &JsonNaming::Supplemental)
                .ends_with(".supplemental-me.json")
        );
        assert!(
            google_json_name(rules::CUT_SUPPLEMENTAL_METAD, &JsonNaming::Supplemental)
                .ends_with(".supplemental-metad.json")
        );
        assert_eq!(
            google_json_name(rules::CUT_LEGACY, &JsonNaming::Legacy),
            format!("{}.json", &rules::CUT_LEGACY[..46])
        );
    }

    #[test]
    fn comments_keep_jpegs_valid_and_distinct() {
        let base = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xDB];
        let a = jpeg_with_comment(&base, b"a");
        assert_eq!(&a[..8], &base[..8]);
        assert_eq!(&a[8..10], &[0xFF, 0xFE]);
        assert_ne!(a, jpeg_with_comment(&base, b"b"));
    }
}
