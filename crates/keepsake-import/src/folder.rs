//! Folders copied in (`keepsake import folder DIR…`): every photo and video
//! under the given folders, with its XMP sidecar when one sits next to it,
//! and optionally an album per folder.
//!
//! Keys are absolute paths, so importing the same folder again finds what
//! it already brought in. Hidden files and folders and NAS thumbnail folders
//! (`@eaDir`, `.thumbnails`) are left out; other non-media files are
//! reported as skipped.

use std::path::{Path, PathBuf};

use keepsake_core::import::{ItemLocation, ItemMeta, Source, SourceAlbum, SourceError, SourceItem};

/// A folder tree to copy in.
#[derive(Debug)]
pub struct FolderSource {
    items: std::vec::IntoIter<SourceItem>,
    total: u64,
}

/// Why a folder cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot read {path}: {source}; check that it exists and that Keepsake may read it")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a folder; give the folder that holds the photos")]
    NotAFolder(PathBuf),
}

/// Folders whose content is never a person's photos.
const IGNORED_DIRS: &[&str] = &["@eaDir", "#recycle", "$RECYCLE.BIN", "lost+found"];

impl FolderSource {
    /// Lists `roots` (walked in name order). With `album_from_folder`, each
    /// folder holding media becomes an album named by its path relative to
    /// the root's parent, joined with `/` (`Trips/2019/Paris`).
    pub fn open(roots: &[PathBuf], album_from_folder: bool) -> Result<FolderSource, FolderError> {
        let mut items = Vec::new();
        for root in roots {
            let root = std::fs::canonicalize(root).map_err(|source| FolderError::Read {
                path: root.clone(),
                source,
            })?;
            if !root.is_dir() {
                return Err(FolderError::NotAFolder(root));
            }
            let base = root.parent().unwrap_or(&root).to_path_buf();
            walk(&root, &base, album_from_folder, &mut items)?;
        }
        items.sort_by(|a, b| a.key.cmp(&b.key));
        items.dedup_by(|a, b| a.key == b.key);
        let total = items.len() as u64;
        Ok(FolderSource {
            items: items.into_iter(),
            total,
        })
    }
}

fn walk(
    dir: &Path,
    base: &Path,
    album_from_folder: bool,
    out: &mut Vec<SourceItem>,
) -> Result<(), FolderError> {
    let read = std::fs::read_dir(dir).map_err(|source| FolderError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<_> = read.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    let names: Vec<String> = entries
        .iter()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for (entry, name) in entries.iter().zip(&names) {
        if name.starts_with('.') || IGNORED_DIRS.contains(&name.as_str()) {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        // Symlinks are followed for files only: a linked folder could loop.
        if kind.is_dir() {
            walk(&path, base, album_from_folder, out)?;
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xmp") {
            continue;
        }
        let mut item = SourceItem {
            key: path.display().to_string(),
            file_name: name.clone(),
            location: ItemLocation::File(path.clone()),
            meta: ItemMeta {
                file_modified_at: meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_millis() as i64),
                ..Default::default()
            },
            ..Default::default()
        };
        if keepsake_core::AssetType::from_file_name(name).is_none() {
            item.skip_reason = Some(format!("not a photo or video Keepsake stores ({name})"));
            out.push(item);
            continue;
        }
        item.sidecar = sidecar_for(name, &names).map(|n| dir.join(n));
        if album_from_folder {
            let relative = dir.strip_prefix(base).unwrap_or(dir);
            let album = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            item.albums.push(SourceAlbum {
                key: dir.display().to_string(),
                name: album,
                description: None,
            });
        }
        out.push(item);
    }
    Ok(())
}

/// `IMG_1.jpg.xmp`, else `IMG_1.xmp` (any case), among the folder's names.
fn sidecar_for<'a>(name: &str, names: &'a [String]) -> Option<&'a String> {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let full = format!("{name}.xmp").to_ascii_lowercase();
    let short = format!("{stem}.xmp").to_ascii_lowercase();
    names
        .iter()
        .find(|n| n.to_ascii_lowercase() == full)
        .or_else(|| names.iter().find(|n| n.to_ascii_lowercase() == short))
}

impl Source for FolderSource {
    fn kind(&self) -> &'static str {
        "folder"
    }

    async fn next_item(&mut self) -> Result<Option<SourceItem>, SourceError> {
        Ok(self.items.next())
    }

    async fn fetch(&mut self, item: &SourceItem, dest: &Path) -> Result<(), SourceError> {
        let ItemLocation::File(path) = &item.location else {
            return Err(SourceError::Item(format!("{} has no file", item.key)));
        };
        tokio::fs::copy(path, dest).await.map(|_| ()).map_err(|e| {
            if e.kind() == std::io::ErrorKind::StorageFull {
                SourceError::Fatal(format!(
                    "the disk holding the library is full ({e}); free space and run the same import again to resume"
                ))
            } else {
                SourceError::Item(format!("cannot read {}: {e}", path.display()))
            }
        })
    }

    fn total(&self) -> Option<u64> {
        Some(self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sidecar_is_found_by_full_name_first_then_by_stem() {
        let names: Vec<String> = ["a.jpg", "a.xmp", "a.jpg.XMP", "b.jpg", "b.xmp"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            sidecar_for("a.jpg", &names).map(String::as_str),
            Some("a.jpg.XMP")
        );
        assert_eq!(
            sidecar_for("b.jpg", &names).map(String::as_str),
            Some("b.xmp")
        );
        assert_eq!(sidecar_for("c.jpg", &names), None);
    }
}
