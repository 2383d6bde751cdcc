//! Flickr's account-data export ("Your Flickr Data" → "Request my Flickr data")
//! as an import [`Source`]: the zips Flickr sends, or the folders they were
//! extracted into, in any mix.
//!
//! The export comes as metadata zips (`<digits>_<hex>_partN.zip`: one
//! `photo_<id>.json` per item and `albums.json`) and media zips (older
//! `data-download-N.zip`, newer `data_<digits>_<hex>_<N>.zip`), all flat.
//! Zips are told apart by what they hold, not by their names.
//! [`FlickrExportSource::open`] plans everything up front: it reads every
//! photo JSON and albums.json into memory, lists the media entries and
//! matches them to photo ids (by the JSON's `original` URL's basename, else by
//! the ids the file name may carry, preferring one that has a JSON), then
//! yields one item per photo id in id order. Bytes are copied only on
//! [`Source::fetch`], straight from the zip entry (random access) or the file.
//!
//! Item keys are Flickr photo ids, the same keys the Flickr API importer uses,
//! so a photo imported one way is known to the other. A photo whose media is
//! missing from the given zips is yielded with a `skip_reason`; a media file
//! without JSON is yielded without metadata; a broken JSON costs that item its
//! metadata only (see [`FlickrExportSource::warnings`]).
//!
//! Invariant: nothing is unpacked except into the `dest` the engine gives, and
//! nothing given is changed.

mod json;
mod scan;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use keepsake_core::AssetType;
use keepsake_core::import::{ItemLocation, ItemMeta, Source, SourceAlbum, SourceError, SourceItem};
use zip::ZipArchive;

use json::{ExportAlbum, ExportPhoto};
use scan::{Found, Kind};

/// What the source calls itself: the kind part of its items' names.
pub const KIND: &str = "flickr-export";

/// Why an export cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FlickrExportError {
    #[error(
        "{path} does not exist: give the Flickr export's zips, or the folder holding them or their extracted files"
    )]
    NotFound { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is not a readable zip ({reason}): it is damaged or was not downloaded completely; download it again from Flickr"
    )]
    CorruptZip { path: PathBuf, reason: String },
    #[error(
        "{path} holds no Flickr export files (photo_<id>.json, albums.json, or media named like <title>_<id>_o.jpg): give only the export's zips or files"
    )]
    NotAnExport { path: PathBuf },
    #[error(
        "{origin}: {name} cannot be read ({reason}): download that part of the export again from Flickr"
    )]
    BadAlbums {
        origin: String,
        name: String,
        reason: String,
    },
    #[error(
        "no Flickr export found in {paths}: give the export's metadata zips (<digits>_<hex>_partN.zip) and media zips (data-download-N.zip or data_<digits>_<hex>_N.zip), or the folders holding them or their extracted files"
    )]
    Empty { paths: String },
}

/// A Flickr account export, planned and ready to yield its items.
pub struct FlickrExportSource {
    items: std::vec::IntoIter<SourceItem>,
    total: usize,
    /// Every zip that holds media, opened once, by the path items name.
    archives: HashMap<PathBuf, Arc<Mutex<ZipArchive<File>>>>,
    warnings: Vec<String>,
}

impl std::fmt::Debug for FlickrExportSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlickrExportSource")
            .field("total", &self.total)
            .field("remaining", &self.items.len())
            .field("archives", &self.archives.len())
            .finish()
    }
}

/// What one photo id has in the export.
#[derive(Default)]
struct Entry {
    json: Option<Result<ExportPhoto, String>>,
    media: Option<Found>,
    albums: Vec<usize>,
}

impl FlickrExportSource {
    /// Reads the export's metadata and lists its media. `paths` are the
    /// export's zips and/or folders holding them or their extracted files.
    /// Blocking (reads every zip's directory and every JSON): in async code
    /// call it on a blocking thread.
    pub fn open(paths: &[PathBuf]) -> Result<FlickrExportSource, FlickrExportError> {
        let mut warnings = Vec::new();
        let containers = scan::gather(paths, &mut warnings)?;
        if containers.is_empty() {
            let paths = paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(FlickrExportError::Empty {
                paths: if paths.is_empty() {
                    "(no paths given)".to_string()
                } else {
                    paths
                },
            });
        }

        let mut archives = HashMap::new();
        let mut photo_files = Vec::new();
        let mut album_files = Vec::new();
        let mut media_files = Vec::new();
        for container in containers {
            let mut holds_media = false;
            for found in container.files {
                match found.kind {
                    Kind::PhotoJson(_) => photo_files.push(found),
                    Kind::Albums => album_files.push(found),
                    Kind::Media { .. } => {
                        holds_media = true;
                        media_files.push(found);
                    }
                    Kind::Other => {}
                }
            }
            if let Some((path, archive)) = container.archive
                && holds_media
            {
                archives.insert(path, Arc::new(Mutex::new(archive)));
            }
        }

        // Photo JSONs, by id (the first one found wins).
        let mut entries: BTreeMap<ItemKey, Entry> = BTreeMap::new();
        let mut by_original: HashMap<String, String> = HashMap::new();
        for found in photo_files {
            let Kind::PhotoJson(id) = &found.kind else {
                continue;
            };
            let entry = entries.entry(ItemKey(id.clone())).or_default();
            if entry.json.is_some() {
                continue;
            }
            let parsed = match found.json.unwrap_or_else(|| Err("not read".into())) {
                Ok(bytes) => json::parse_photo(&bytes),
                Err(e) => Err(e),
            };
            match &parsed {
                Ok(photo) => {
                    if let Some(name) = photo.original_name() {
                        by_original.insert(name.to_ascii_lowercase(), id.clone());
                    }
                }
                Err(reason) => warnings.push(format!(
                    "{}: {} cannot be read ({reason}); photo {id} is imported without its Flickr metadata",
                    found.origin, found.name
                )),
            }
            entry.json = Some(parsed);
        }

        // Media, matched to ids.
        for found in media_files {
            let Kind::Media { candidates } = &found.kind else {
                continue;
            };
            let key = by_original
                .get(&found.name.to_ascii_lowercase())
                .cloned()
                .or_else(|| {
                    candidates
                        .iter()
                        .find(|c| {
                            entries
                                .get(&ItemKey((*c).clone()))
                                .is_some_and(|e| e.json.is_some())
                        })
                        .cloned()
                })
                .or_else(|| candidates.first().cloned())
                .unwrap_or_else(|| found.name.clone());
            let entry = entries.entry(ItemKey(key.clone())).or_default();
            // A video's poster next to the video: the video is the original.
            let video = |f: &Found| AssetType::from_file_name(&f.name) == Some(AssetType::Video);
            let (keep, dropped) = match entry.media.take() {
                None => (found, None),
                Some(kept) if video(&found) && !video(&kept) => (found, Some(kept)),
                Some(kept) => (kept, Some(found)),
            };
            // The same file zipped and extracted is no news; two different files are.
            if let Some(dropped) = dropped.filter(|d| d.name != keep.name) {
                warnings.push(format!(
                    "photo {key}: both {} ({}) and {} ({}) hold it; {} is imported",
                    keep.name, keep.origin, dropped.name, dropped.origin, keep.name
                ));
            }
            entry.media = Some(keep);
        }

        // Albums, in the order albums.json lists them.
        let mut albums: Vec<ExportAlbum> = Vec::new();
        for found in album_files {
            let parsed = match found.json.unwrap_or_else(|| Err("not read".into())) {
                Ok(bytes) => json::parse_albums(&bytes),
                Err(e) => Err(e),
            };
            let list = parsed.map_err(|reason| FlickrExportError::BadAlbums {
                origin: found.origin.clone(),
                name: found.name.clone(),
                reason,
            })?;
            for album in list {
                if !album.id.is_empty() && !albums.iter().any(|a| a.id == album.id) {
                    albums.push(album);
                }
            }
        }
        for (index, album) in albums.iter().enumerate() {
            for photo in &album.photos {
                let id = photo.0.trim();
                if id.is_empty() {
                    continue;
                }
                let entry = entries.entry(ItemKey(id.to_string())).or_default();
                if !entry.albums.contains(&index) {
                    entry.albums.push(index);
                }
            }
        }
        let source_albums: Vec<SourceAlbum> = albums.iter().map(source_album).collect();

        let items: Vec<SourceItem> = entries
            .into_iter()
            .map(|(key, entry)| item(key.0, entry, &source_albums))
            .collect();
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let missing = items.iter().filter(|i| i.skip_reason.is_some()).count();
        tracing::info!(
            items = items.len(),
            missing,
            albums = albums.len(),
            zips = archives.len(),
            "Flickr export planned"
        );
        Ok(FlickrExportSource {
            total: items.len(),
            items: items.into_iter(),
            archives,
            warnings,
        })
    }

    /// How many items the export holds (those with a skip reason included).
    pub fn total(&self) -> usize {
        self.total
    }

    /// What was odd about the export (unreadable photo JSONs, media found
    /// twice, zips in folders that were passed over), one sentence each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn archive(&mut self, path: &Path) -> Result<Arc<Mutex<ZipArchive<File>>>, SourceError> {
        if let Some(archive) = self.archives.get(path) {
            return Ok(archive.clone());
        }
        let file = File::open(path)
            .map_err(|e| SourceError::Item(format!("cannot open {}: {e}", path.display())))?;
        let archive = ZipArchive::new(file).map_err(|e| {
            SourceError::Item(format!(
                "{} is not a readable zip ({e}): download it again from Flickr",
                path.display()
            ))
        })?;
        let archive = Arc::new(Mutex::new(archive));
        self.archives.insert(path.to_path_buf(), archive.clone());
        Ok(archive)
    }
}

impl Source for FlickrExportSource {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn next_item(&mut self) -> Result<Option<SourceItem>, SourceError> {
        Ok(self.items.next())
    }

    async fn fetch(&mut self, item: &SourceItem, dest: &Path) -> Result<(), SourceError> {
        if let Some(reason) = &item.skip_reason {
            return Err(SourceError::Item(reason.clone()));
        }
        let dest = dest.to_path_buf();
        let task = match &item.location {
            ItemLocation::ZipEntry { archive, name } => {
                let zip = self.archive(archive)?;
                let (archive, name) = (archive.clone(), name.clone());
                tokio::task::spawn_blocking(move || copy_entry(&zip, &archive, &name, &dest))
            }
            ItemLocation::File(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || copy_file(&path, &dest))
            }
            other => {
                return Err(SourceError::Item(format!(
                    "photo {}: no media to fetch ({other:?})",
                    item.key
                )));
            }
        };
        task.await
            .map_err(|e| SourceError::Item(format!("photo {}: copy failed: {e}", item.key)))?
    }
}

/// Copies one zip entry to `dest`, checking its size and CRC on the way.
fn copy_entry(
    zip: &Mutex<ZipArchive<File>>,
    archive: &Path,
    name: &str,
    dest: &Path,
) -> Result<(), SourceError> {
    let zip_name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| archive.display().to_string());
    let damaged = |what: String| {
        SourceError::Item(format!(
            "{zip_name}: {name} is damaged ({what}): download {zip_name} again from Flickr"
        ))
    };
    let mut zip = zip.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut entry = zip.by_name(name).map_err(|e| damaged(e.to_string()))?;
    let expected = entry.size();
    let out = File::create(dest)
        .map_err(|e| SourceError::Item(format!("cannot write {}: {e}", dest.display())))?;
    let mut out = BufWriter::with_capacity(256 << 10, out);
    let copied = std::io::copy(&mut entry, &mut out).map_err(|e| damaged(e.to_string()))?;
    out.flush()
        .map_err(|e| SourceError::Item(format!("cannot write {}: {e}", dest.display())))?;
    if copied != expected {
        return Err(damaged(format!("{copied} bytes instead of {expected}")));
    }
    Ok(())
}

fn copy_file(path: &Path, dest: &Path) -> Result<(), SourceError> {
    std::fs::copy(path, dest).map(|_| ()).map_err(|e| {
        SourceError::Item(format!(
            "cannot copy {} to {}: {e}",
            path.display(),
            dest.display()
        ))
    })
}

fn source_album(album: &ExportAlbum) -> SourceAlbum {
    let name = crate::flickr::text::decode_entities(album.title.trim())
        .trim()
        .to_string();
    let description = crate::flickr::text::html_to_text(&album.description);
    SourceAlbum {
        key: album.id.clone(),
        name: if name.is_empty() {
            format!("Flickr album {}", album.id)
        } else {
            name
        },
        description: (!description.is_empty()).then_some(description),
    }
}

/// The item for one photo id.
fn item(key: String, entry: Entry, albums: &[SourceAlbum]) -> SourceItem {
    let photo = entry.json.and_then(Result::ok);
    let albums = entry.albums.iter().map(|&i| albums[i].clone()).collect();
    let Some(media) = entry.media else {
        // Known from its JSON or an album only: the media zips given lack it.
        let original = photo
            .as_ref()
            .and_then(|p| p.original_name().map(str::to_string));
        let ext = original
            .as_deref()
            .and_then(keepsake_core::media::extension)
            .unwrap_or_default();
        let wanted = match &original {
            Some(original) => format!("*_{key}_o{ext} or {original}"),
            None => format!("*_{key}_o.*"),
        };
        return SourceItem {
            file_name: original.unwrap_or_else(|| format!("{key}{ext}")),
            meta: photo
                .as_ref()
                .map(|p| p.to_meta(crate::flickr::text::file_name_title(&p.name).is_none()))
                .unwrap_or_default(),
            albums,
            skip_reason: Some(format!(
                "photo {key}: media not found in the export (looked for {wanted}): give all data-download zips"
            )),
            key,
            location: ItemLocation::Unknown,
            ..SourceItem::default()
        };
    };
    let ext = keepsake_core::media::extension(&media.name).unwrap_or_default();
    let title_stem = photo
        .as_ref()
        .and_then(|p| crate::flickr::text::file_name_title(&p.name));
    let file_name = match &title_stem {
        Some(stem) if !ext.is_empty() && safe_file_stem(stem) => format!("{stem}{ext}"),
        _ => media.name.clone(),
    };
    let meta: ItemMeta = photo
        .as_ref()
        .map(|p| p.to_meta(title_stem.is_none()))
        .unwrap_or_default();
    let skip_reason = AssetType::from_file_name(&media.name).is_none().then(|| {
        format!(
            "photo {key}: {} ({}) is not a photo or video Keepsake takes",
            media.name, media.origin
        )
    });
    SourceItem {
        key,
        file_name,
        location: media.location,
        meta,
        albums,
        skip_reason,
        ..SourceItem::default()
    }
}

fn safe_file_stem(stem: &str) -> bool {
    stem.len() <= 200
        && !stem.starts_with('.')
        && !stem
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | ':'))
}

/// Photo ids in numeric order, then other keys (media files whose names carry
/// no id) by name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ItemKey(String);

impl Ord for ItemKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (self.0.as_str(), other.0.as_str());
        match (scan::all_digits(a), scan::all_digits(b)) {
            (true, true) => {
                let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
                ta.len().cmp(&tb.len()).then(ta.cmp(tb)).then(a.cmp(b))
            }
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (false, false) => a.cmp(b),
        }
    }
}

impl PartialOrd for ItemKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
