//! Finding the export's files: zips given directly or found in folders, and
//! folders holding what the zips held once extracted. Every zip is opened
//! once here (its central directory read, its JSON entries read); media
//! entries are only listed, to be copied later by random access.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use keepsake_core::AssetType;
use keepsake_core::import::ItemLocation;
use zip::ZipArchive;

use super::FlickrExportError;

/// Folders are searched this deep for zips and extracted files.
const MAX_DEPTH: usize = 8;
/// A `photo_<id>.json` or `albums.json` larger than this is not Flickr's.
const MAX_JSON_BYTES: u64 = 64 << 20;

/// What one file in the export is, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// `photo_<id>.json`.
    PhotoJson(String),
    /// `albums.json` (or `albums_partNNN.json`).
    Albums,
    /// A media file; the ids its name may hold, most likely first.
    Media { candidates: Vec<String> },
    /// Anything else (`account_profile.json`, `faves_part001.json`, …).
    Other,
}

/// A file of the export: its name and where it is.
#[derive(Debug)]
pub(super) struct Found {
    /// The basename (zips are flat, but an entry may sit in a folder).
    pub name: String,
    pub location: ItemLocation,
    /// Zip or folder it came from, for messages.
    pub origin: String,
    pub kind: Kind,
    /// The JSON's bytes (photo JSON and albums only), or why they could not be read.
    pub json: Option<Result<Vec<u8>, String>>,
}

/// The files of one zip or one folder tree, and whether they look like
/// (part of) a Flickr export at all.
pub(super) struct Container {
    pub files: Vec<Found>,
    pub archive: Option<(PathBuf, ZipArchive<File>)>,
}

impl Container {
    /// Holds a photo JSON, albums.json or a media file whose name carries an id.
    pub fn is_export(&self) -> bool {
        self.files.iter().any(|f| match &f.kind {
            Kind::PhotoJson(_) | Kind::Albums => true,
            Kind::Media { candidates } => !candidates.is_empty(),
            Kind::Other => false,
        })
    }
}

/// Classifies a basename.
pub(super) fn classify(name: &str) -> Kind {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with('.') {
        return Kind::Other;
    }
    if let Some(stem) = lower.strip_suffix(".json") {
        if let Some(id) = stem.strip_prefix("photo_").filter(|id| all_digits(id)) {
            return Kind::PhotoJson(id.to_string());
        }
        let albums = stem == "albums" || stem.strip_prefix("albums_part").is_some_and(all_digits);
        return if albums { Kind::Albums } else { Kind::Other };
    }
    let candidates = id_candidates(name);
    if candidates.is_empty() && AssetType::from_file_name(name).is_none() {
        Kind::Other
    } else {
        Kind::Media { candidates }
    }
}

pub(super) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn all_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The Flickr ids a media file name may carry, most likely first:
/// `<slug>_<id>_o.<ext>` (newer exports), `<id>_<secret>_o.<ext>` (older),
/// and for videos `<slug>_<id>.<ext>` or `<id>_<…>.<ext>` (no `_o`). The
/// title part is never read as an id unless nothing else fits: camera names
/// like `DSC_0026` repeat.
pub(super) fn id_candidates(name: &str) -> Vec<String> {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return Vec::new();
    };
    if stem.is_empty() || ext.is_empty() {
        return Vec::new();
    }
    let (stem, original) = match stem.strip_suffix("_o") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let tokens: Vec<&str> = stem.split('_').collect();
    let first = tokens[0];
    let last = tokens[tokens.len() - 1];
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: &str| {
        if all_digits(t) && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    };
    if tokens.len() == 2 && all_digits(first) && all_hex(last) && !all_digits(last) {
        // <id>_<secret>[_o]
        add(first);
    } else if original {
        add(last);
        if tokens.len() == 2 {
            // `2019_53001000001_o` (slug "2019") or an all-digit secret.
            add(first);
        }
    } else {
        add(last);
        if tokens.len() >= 2 {
            add(first);
        }
    }
    out
}

/// Every container under `paths`, in the order given (folders sorted by name).
/// Zips named directly must open and look like a Flickr export; zips found in
/// folders that do not look like one are passed over with a warning.
pub(super) fn gather(
    paths: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<Vec<Container>, FlickrExportError> {
    let mut seen = std::collections::HashSet::new();
    let mut containers = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => FlickrExportError::NotFound { path: path.clone() },
            _ => FlickrExportError::Io {
                path: path.clone(),
                source: e,
            },
        })?;
        if !seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone())) {
            continue;
        }
        if meta.is_dir() {
            let mut zips = Vec::new();
            let mut loose = Vec::new();
            walk(path, 0, &mut zips, &mut loose)?;
            for zip in zips {
                if !seen.insert(std::fs::canonicalize(&zip).unwrap_or_else(|_| zip.clone())) {
                    continue;
                }
                let container = open_zip(&zip)?;
                if container.is_export() {
                    containers.push(container);
                } else {
                    warnings.push(format!(
                        "{} holds no Flickr export files; passed over",
                        zip.display()
                    ));
                }
            }
            let origin = path.display().to_string();
            let files = loose
                .into_iter()
                .filter(|file| {
                    seen.insert(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone()))
                })
                .filter_map(|file| loose_file(&file, &origin))
                .collect();
            let container = Container {
                files,
                archive: None,
            };
            if container.is_export() {
                containers.push(container);
            }
        } else if is_zip(path) {
            let container = open_zip(path)?;
            if !container.is_export() {
                return Err(FlickrExportError::NotAnExport { path: path.clone() });
            }
            containers.push(container);
        } else {
            let origin = path.display().to_string();
            let container = Container {
                files: loose_file(path, &origin).into_iter().collect(),
                archive: None,
            };
            if !container.is_export() {
                return Err(FlickrExportError::NotAnExport { path: path.clone() });
            }
            containers.push(container);
        }
    }
    Ok(containers)
}

fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Zips and other files under `dir`, sorted by name; hidden files and
/// macOS's `__MACOSX` folders skipped.
fn walk(
    dir: &Path,
    depth: usize,
    zips: &mut Vec<PathBuf>,
    loose: &mut Vec<PathBuf>,
) -> Result<(), FlickrExportError> {
    let io = |e| FlickrExportError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "__MACOSX" {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, zips, loose)?;
            }
        } else if is_zip(&path) {
            zips.push(path);
        } else {
            loose.push(path);
        }
    }
    Ok(())
}

fn loose_file(path: &Path, origin: &str) -> Option<Found> {
    let name = path.file_name()?.to_str()?.to_string();
    let kind = classify(&name);
    let json = match kind {
        Kind::PhotoJson(_) | Kind::Albums => Some(read_json_file(path)),
        _ => None,
    };
    (kind != Kind::Other).then(|| Found {
        name,
        location: ItemLocation::File(path.to_path_buf()),
        origin: origin.to_string(),
        kind,
        json,
    })
}

fn read_json_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    read_capped(file)
}

fn read_capped(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_JSON_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_JSON_BYTES {
        return Err(format!("larger than {} MiB", MAX_JSON_BYTES >> 20));
    }
    Ok(bytes)
}

/// Opens a zip, lists its entries and reads its JSON ones.
fn open_zip(path: &Path) -> Result<Container, FlickrExportError> {
    let file = File::open(path).map_err(|e| FlickrExportError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut archive = ZipArchive::new(file).map_err(|e| FlickrExportError::CorruptZip {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let origin = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let names: Vec<Option<String>> = archive
        .file_names()
        .map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let mut files = Vec::new();
    for (index, full) in names.into_iter().enumerate() {
        let Some(full) = full else { continue };
        if full.ends_with('/') || full.contains("__MACOSX/") {
            continue;
        }
        let name = full.rsplit(['/', '\\']).next().unwrap_or(&full).to_string();
        let kind = classify(&name);
        if kind == Kind::Other {
            continue;
        }
        let json = match kind {
            Kind::PhotoJson(_) | Kind::Albums => Some(match archive.by_index(index) {
                Ok(entry) => read_capped(BufReader::new(entry)),
                Err(e) => Err(e.to_string()),
            }),
            _ => None,
        };
        files.push(Found {
            name,
            location: ItemLocation::ZipEntry {
                archive: path.to_path_buf(),
                name: full,
            },
            origin: origin.clone(),
            kind,
            json,
        });
    }
    Ok(Container {
        files,
        archive: Some((path.to_path_buf(), archive)),
    })
}
