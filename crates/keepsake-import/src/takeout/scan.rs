//! Listing what the user gave: zip parts (their central directories only)
//! and extracted folders (walked), as one list of files.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use keepsake_core::import::ItemLocation;
use zip::ZipArchive;

use super::TakeoutError;
use super::plan::Listed;

/// JSON files larger than this are not sidecars; they are not read.
pub const MAX_JSON_BYTES: u64 = 16 << 20;

/// An open zip part, shared with fetches on the blocking pool.
pub type Archive = Arc<Mutex<ZipArchive<File>>>;

#[derive(Default)]
pub struct Inputs {
    pub files: Vec<Listed>,
    pub parts: Vec<(PathBuf, Archive)>,
}

pub fn scan(paths: &[PathBuf]) -> Result<Inputs, TakeoutError> {
    if paths.is_empty() {
        return Err(TakeoutError::NoPaths);
    }
    let mut inputs = Inputs::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => TakeoutError::NotFound { path: path.clone() },
            _ => TakeoutError::Io {
                path: path.clone(),
                source,
            },
        })?;
        if meta.is_dir() {
            walk(path, &mut inputs)?;
        } else {
            check_not_tarball(path)?;
            add_zip(path, &mut inputs)?;
        }
    }
    Ok(inputs)
}

fn lower_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn check_not_tarball(path: &Path) -> Result<(), TakeoutError> {
    let name = lower_name(path);
    if name.ends_with(".tgz") || name.ends_with(".tar.gz") || name.ends_with(".tar") {
        return Err(TakeoutError::Tarball {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn add_zip(path: &Path, inputs: &mut Inputs) -> Result<(), TakeoutError> {
    if inputs.parts.iter().any(|(p, _)| p == path) {
        return Ok(());
    }
    let file = File::open(path).map_err(|source| TakeoutError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let archive = ZipArchive::new(file).map_err(|source| TakeoutError::Zip {
        path: path.to_path_buf(),
        source,
    })?;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|source| TakeoutError::Zip {
                path: path.to_path_buf(),
                source,
            })?;
        if !entry.is_file() {
            continue;
        }
        let Ok(name) = entry.name() else { continue };
        let name = name.into_owned();
        let mut parts: Vec<String> = name
            .split(['/', '\\'])
            .filter(|p| !p.is_empty() && *p != ".")
            .map(str::to_string)
            .collect();
        if parts.iter().any(|p| p == "..") {
            continue;
        }
        let Some(file_name) = parts.pop() else {
            continue;
        };
        inputs.files.push(Listed {
            dirs: parts,
            name: file_name,
            size: entry.size(),
            location: ItemLocation::ZipEntry {
                archive: path.to_path_buf(),
                name,
            },
        });
    }
    inputs
        .parts
        .push((path.to_path_buf(), Arc::new(Mutex::new(archive))));
    Ok(())
}

/// Walks a folder; paths inside start with the folder's own name, so a
/// folder given at any level (the `Takeout` folder, `Google Photos`, one
/// album) keeps the album and year folder names. Zips found are parts.
fn walk(root: &Path, inputs: &mut Inputs) -> Result<(), TakeoutError> {
    let top = std::fs::canonicalize(root)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut stack = vec![(root.to_path_buf(), vec![top])];
    while let Some((dir, dirs)) = stack.pop() {
        let io_err = |source| TakeoutError::Io {
            path: dir.clone(),
            source,
        };
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(io_err)?
            .collect::<Result<_, _>>()
            .map_err(io_err)?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let file_type = entry.file_type().map_err(|source| TakeoutError::Io {
                path: path.clone(),
                source,
            })?;
            if file_type.is_dir() {
                let mut sub = dirs.clone();
                sub.push(name);
                stack.push((path, sub));
                continue;
            }
            // Symbolic links to files are followed; to folders, not (no loops).
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let lower = name.to_lowercase();
            if lower.ends_with(".zip") {
                add_zip(&path, inputs)?;
                continue;
            }
            check_not_tarball(&path)?;
            inputs.files.push(Listed {
                dirs: dirs.clone(),
                name,
                size: meta.len(),
                location: ItemLocation::File(path),
            });
        }
    }
    Ok(())
}

/// A JSON file's bytes (bounded).
pub fn read_json(inputs: &Inputs, file: &Listed) -> io::Result<Vec<u8>> {
    if file.size > MAX_JSON_BYTES {
        return Err(io::Error::other(format!(
            "{} bytes is too large for a sidecar",
            file.size
        )));
    }
    match &file.location {
        ItemLocation::File(path) => {
            let mut out = Vec::with_capacity(file.size as usize);
            File::open(path)?
                .take(MAX_JSON_BYTES)
                .read_to_end(&mut out)?;
            Ok(out)
        }
        ItemLocation::ZipEntry { archive, name } => {
            let part = inputs
                .parts
                .iter()
                .find(|(p, _)| p == archive)
                .ok_or_else(|| io::Error::other("zip part not open"))?;
            let mut zip = part
                .1
                .lock()
                .map_err(|_| io::Error::other("zip part lock poisoned"))?;
            let mut entry = zip.by_name(name).map_err(io::Error::other)?;
            let mut out = Vec::with_capacity(file.size as usize);
            (&mut entry).take(MAX_JSON_BYTES).read_to_end(&mut out)?;
            Ok(out)
        }
        other => Err(io::Error::other(format!(
            "not a Takeout location: {other:?}"
        ))),
    }
}
