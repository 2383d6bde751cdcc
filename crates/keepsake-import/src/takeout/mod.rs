//! Google Takeout as an import source: [`TakeoutSource`].
//!
//! Give it the Takeout's `.zip` parts, the folders they were extracted to, or
//! a folder holding the zips (mixed as you like). [`TakeoutSource::open`]
//! plans everything up front: it lists every entry (zip central directories,
//! folder walks), reads every JSON into memory, matches JSON sidecars to media
//! files, and then yields the items sorted by key. Bytes are read only at
//! [`Source::fetch`], by random access into the zip entry (or from the file).
//!
//! Paths look like `Takeout/Google Photos/<folder>/<file>`. The product folder
//! is localized and is found by what it holds (year folders, sidecars, known
//! names), so other products of a whole-account Takeout are left alone. Only
//! the last folder name matters: the same folder in several parts (or
//! extracted to several places) is one folder.
//!
//! **Sidecars.** In each folder a media file's JSON is, best first: exactly
//! `<name>.json` or `<name>.supplemental-metadata.json`; for a numbered
//! duplicate `IMG(1).JPG`, `IMG.JPG(1).json` or
//! `IMG.JPG.supplemental-metadata(1).json`; or one of these cut short by
//! Google to 51 characters (`….supplemental-me.json`, `….suppl.json`,
//! `<first 46 characters>.json`). When a cut name fits several files, the
//! JSON's `title` (the original file name) chooses, and vetoes a match that
//! names another file of the folder. An edited copy (`-edited`, `-modifié`,
//! `-bearbeitet`, …) uses its own JSON if it has one, else its original's; it
//! is its own item with `("takeout_edited_of", <original's key>)` in
//! `meta.extra`. Media without a JSON are imported with no metadata. A JSON
//! that cannot be parsed costs only its item's metadata (with a warning).
//!
//! **Fields.** `photoTakenTime` → `taken` (`SourceDate::Instant`);
//! `photoLastModifiedTime` → `file_modified_at`; `geoData`, else
//! `geoDataExif` (0/0 is none) → `location`; `description`; `favorited`,
//! `archived`, `trashed`; `people[].name` → tags `people/<Name>`. `title`
//! and `url` go to `meta.extra` as `takeout_title` and `takeout_url` (then
//! `takeout_edited_of`), in that order. `meta.title` is never set.
//!
//! **Folders and albums.** A folder with an album metadata file (by content:
//! a JSON with a `title` and no `photoTakenTime`, or the old `albumData`
//! form; `metadata.json`, `métadonnées.json`, `Metadaten.json`… preferred) is
//! an album named by that title (untitled or empty: by the folder name) with
//! its description. A folder without one is a year folder if its name says
//! so (`Photos from 2019`, `Fotos von 2019`, …), else an album named by the
//! folder. An album's key is its folder name.
//!
//! **Repeats and keys.** The same file in the year folder, in album folders
//! and in several parts is one item, identified by (file name, size). Its
//! key is `<folder>/<file name>` where the folder is its year folder if it
//! has one, else its first album folder in sorted order — so keys do not
//! depend on how the Takeout was split, extracted or given. Its `albums`
//! list every album folder it is in, sorted by key; its metadata comes from
//! the JSON in the key's folder, else the first other folder that has one.
//!
//! **Live Photos.** A still and a video with the same base name in one folder
//! (`IMG_1234.HEIC` + `IMG_1234.MOV`) are two items; the still's
//! `meta.live_video_key` is the video's key.
//!
//! Non-media files (`.html`, `print-subscriptions.json`…) are not items;
//! files of a type Keepsake does not import are yielded with `skip_reason`.

mod names;
mod plan;
mod scan;
mod sidecar;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use keepsake_core::import::{ItemLocation, Source, SourceAlbum, SourceError, SourceItem};
use zip::ZipArchive;

pub use names::{EDITED_SUFFIXES, MAX_JSON_NAME};
pub use sidecar::{EXTRA_EDITED_OF, EXTRA_TITLE, EXTRA_URL};

use scan::Archive;

/// Why a Takeout could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum TakeoutError {
    #[error(
        "no Takeout given: pass the Takeout's .zip parts, or the folder they are in or were extracted to"
    )]
    NoPaths,
    #[error(
        "{path}: no such file or folder; pass the Takeout's .zip parts, or the folder they are in or were extracted to"
    )]
    NotFound { path: PathBuf },
    #[error("{path}: cannot read it ({source}); check that it exists and is readable")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{path}: not a readable zip archive ({source}); the download is incomplete or damaged: download this Takeout part again"
    )]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error(
        "{path}: .tgz Takeout archives are not supported; extract it and pass the folder, or export the Takeout again as .zip"
    )]
    Tarball { path: PathBuf },
    #[error(
        "no photos or videos found in {paths}; pass every part of a Google Photos Takeout (.zip files or the extracted Takeout folder)"
    )]
    Empty { paths: String },
}

/// A Google Takeout of Google Photos, planned and ready to yield items.
pub struct TakeoutSource {
    items: Vec<SourceItem>,
    albums: Vec<SourceAlbum>,
    next: usize,
    parts: Vec<(PathBuf, Archive)>,
}

impl std::fmt::Debug for TakeoutSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakeoutSource")
            .field("items", &self.items.len())
            .field("albums", &self.albums.len())
            .field("next", &self.next)
            .field("parts", &self.parts.len())
            .finish()
    }
}

impl TakeoutSource {
    /// Lists and plans the Takeout at `paths` (zip parts and/or folders).
    /// Blocking: reads central directories and every JSON. Call it from a
    /// blocking thread in async code.
    pub fn open(paths: &[PathBuf]) -> Result<TakeoutSource, TakeoutError> {
        let mut inputs = scan::scan(paths)?;
        let files = std::mem::take(&mut inputs.files);
        let plan = plan::plan(files, |f| scan::read_json(&inputs, f));
        if plan.items.is_empty() {
            return Err(TakeoutError::Empty {
                paths: paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        tracing::info!(
            items = plan.items.len(),
            albums = plan.albums.len(),
            parts = inputs.parts.len(),
            "planned the Takeout"
        );
        Ok(TakeoutSource {
            items: plan.items,
            albums: plan.albums,
            next: 0,
            parts: inputs.parts,
        })
    }

    /// Every item, in the order they are yielded (sorted by key).
    pub fn items(&self) -> &[SourceItem] {
        &self.items
    }

    /// Every album some item is in, sorted by key.
    pub fn albums(&self) -> &[SourceAlbum] {
        &self.albums
    }

    /// Starts yielding from the first item again.
    pub fn rewind(&mut self) {
        self.next = 0;
    }

    fn archive(&mut self, path: &Path) -> Result<Archive, SourceError> {
        if let Some((_, a)) = self.parts.iter().find(|(p, _)| p == path) {
            return Ok(a.clone());
        }
        // An item from an earlier listing of the same Takeout.
        let file = File::open(path)
            .map_err(|e| SourceError::Item(format!("{}: cannot open it: {e}", path.display())))?;
        let zip = ZipArchive::new(file).map_err(|e| {
            SourceError::Item(format!(
                "{}: not a readable zip archive ({e}); download this Takeout part again",
                path.display()
            ))
        })?;
        let archive: Archive = std::sync::Arc::new(std::sync::Mutex::new(zip));
        self.parts.push((path.to_path_buf(), archive.clone()));
        Ok(archive)
    }
}

/// Copies one zip entry to `dest`; a CRC mismatch or cut data is an error.
fn copy_entry(archive: &Archive, path: &Path, name: &str, dest: &Path) -> Result<(), SourceError> {
    let damaged = |e: &dyn std::fmt::Display| {
        SourceError::Item(format!(
            "{} in {}: {e}; the entry is damaged: download this Takeout part again",
            name,
            path.display()
        ))
    };
    let mut zip = archive
        .lock()
        .map_err(|_| SourceError::Item(format!("{}: zip reader unusable", path.display())))?;
    let mut entry = zip.by_name(name).map_err(|e| damaged(&e))?;
    let mut out = File::create(dest)
        .map_err(|e| SourceError::Item(format!("{}: cannot write: {e}", dest.display())))?;
    io::copy(&mut entry, &mut out).map_err(|e| damaged(&e))?;
    out.flush()
        .map_err(|e| SourceError::Item(format!("{}: cannot write: {e}", dest.display())))?;
    Ok(())
}

impl Source for TakeoutSource {
    fn kind(&self) -> &'static str {
        "takeout"
    }

    async fn next_item(&mut self) -> Result<Option<SourceItem>, SourceError> {
        let item = self.items.get(self.next).cloned();
        if item.is_some() {
            self.next += 1;
        }
        Ok(item)
    }

    async fn fetch(&mut self, item: &SourceItem, dest: &Path) -> Result<(), SourceError> {
        let dest = dest.to_path_buf();
        let task = match &item.location {
            ItemLocation::ZipEntry { archive, name } => {
                let zip = self.archive(archive)?;
                let (archive, name) = (archive.clone(), name.clone());
                tokio::task::spawn_blocking(move || copy_entry(&zip, &archive, &name, &dest))
            }
            ItemLocation::File(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || {
                    std::fs::copy(&path, &dest).map(|_| ()).map_err(|e| {
                        SourceError::Item(format!(
                            "{}: cannot read it ({e}); is the extracted Takeout still there?",
                            path.display()
                        ))
                    })
                })
            }
            other => {
                return Err(SourceError::Item(format!(
                    "{}: not a Takeout location ({other:?})",
                    item.key
                )));
            }
        };
        task.await
            .map_err(|e| SourceError::Item(format!("{}: copy failed: {e}", item.key)))?
    }
}
