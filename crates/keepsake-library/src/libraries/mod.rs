//! External libraries: folders on the server indexed in place, read only.
//!
//! An admin creates a library for one owner with import paths (absolute
//! folders) and exclusion globs. A scan (`scan.rs`, a job on the `library`
//! queue) walks the import paths and makes the library's assets follow the
//! files: new files become assets, changed ones (size or mtime) are re-hashed
//! and re-read, missing ones go offline (and to the trash) and come back when
//! they reappear. Optionally a watcher (`watch.rs`) queues scans of the paths
//! that changed.
//!
//! Invariants:
//! - an external asset's original stays where it is: Keepsake never writes,
//!   moves or removes a file under an import path (its edits go to a sidecar in
//!   the store; deleting the asset or the library removes derived files only);
//! - an external asset's `original_path` is absolute and a store key never is,
//!   so [`Library::original_path`] knows which is which;
//! - a row of an external asset has its file at its path, or is offline.

pub(crate) mod glob;
pub(crate) mod scan;
pub(crate) mod watch;

use std::path::{Path, PathBuf};

use keepsake_core::Permission;
use keepsake_db::libraries::{LibraryChanges, LibraryStatistics, NewLibrary};
use keepsake_db::{AssetRecord, LibraryRecord};

use crate::{Caller, Library, LibraryError, Result};

pub use keepsake_db::ScanReport;

/// Immich's limit on import paths and exclusion patterns per library.
const MAX_ENTRIES: usize = 128;

/// The settings of a new library.
#[derive(Debug, Clone, Default)]
pub struct NewLibraryInput {
    pub owner_id: String,
    /// Immich's default when none is given: `New External Library`.
    pub name: Option<String>,
    pub import_paths: Vec<String>,
    pub exclusion_patterns: Vec<String>,
}

/// What a validation found for one import path or exclusion pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathCheck {
    pub value: String,
    pub is_valid: bool,
    /// Why it is not valid (empty when it is).
    pub message: String,
}

/// The answer of [`Library::validate_library`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryValidation {
    pub import_paths: Vec<PathCheck>,
    pub exclusion_patterns: Vec<PathCheck>,
}

impl Library {
    /// The file of an asset's original: under the store for uploads and
    /// imports, in place for an external library's asset.
    pub fn original_path(&self, asset: &AssetRecord) -> Result<PathBuf> {
        self.asset_file(asset, &asset.original_path)
    }

    /// [`Library::original_path`] for showing or downloading: an offline
    /// asset's file is missing, which is worth saying.
    pub(crate) fn served_original(&self, asset: &AssetRecord) -> Result<PathBuf> {
        if asset.is_offline {
            return Err(LibraryError::NotFound(
                "Asset is offline: its file was missing at the last scan of its library; put it back and scan again".into(),
            ));
        }
        self.original_path(asset)
    }

    /// Resolves a path the asset's row holds (original or sidecar). Only an
    /// external asset's paths may be absolute; everything else is a store key.
    pub(crate) fn asset_file(&self, asset: &AssetRecord, path: &str) -> Result<PathBuf> {
        if asset.library_id.is_some() && Path::new(path).is_absolute() {
            return Ok(PathBuf::from(path));
        }
        if asset.library_id.is_some() && path == asset.original_path {
            return Err(LibraryError::Internal(format!(
                "the external asset {} has a relative original path {path:?}; delete and rescan its library",
                asset.id
            )));
        }
        Ok(self.blobs().path_of(path)?)
    }

    /// Admin: creates a library for `input.owner_id`. Import paths must be
    /// absolute; whether they exist is checked at each scan (a disk may be
    /// mounted later), and by [`Library::validate_library`].
    pub async fn create_library(
        &self,
        caller: &Caller,
        input: NewLibraryInput,
    ) -> Result<LibraryRecord> {
        caller.require(Permission::LIBRARY_CREATE)?;
        caller.require_admin()?;
        match self.db().user_by_id(&input.owner_id).await? {
            Some(u) if u.deleted_at.is_none() => {}
            _ => {
                return Err(LibraryError::Invalid(format!(
                    "ownerId {} is not an account; pass the id of an existing user",
                    input.owner_id
                )));
            }
        }
        let name = input
            .name
            .unwrap_or_else(|| "New External Library".to_string());
        check_name(&name)?;
        check_import_paths(&input.import_paths)?;
        check_patterns(&input.exclusion_patterns)?;
        let library = self
            .db()
            .insert_library(&NewLibrary {
                id: keepsake_db::new_id(),
                owner_id: input.owner_id,
                name,
                import_paths: input.import_paths,
                exclusion_patterns: input.exclusion_patterns,
            })
            .await?;
        tracing::info!(library = %library.id, owner = %library.owner_id, "created an external library");
        self.rewatch().await;
        Ok(library)
    }

    /// Admin: every library.
    pub async fn list_libraries(&self, caller: &Caller) -> Result<Vec<LibraryRecord>> {
        caller.require(Permission::LIBRARY_READ)?;
        caller.require_admin()?;
        Ok(self.db().list_libraries().await?)
    }

    /// Admin: one library.
    pub async fn get_library(&self, caller: &Caller, id: &str) -> Result<LibraryRecord> {
        caller.require(Permission::LIBRARY_READ)?;
        caller.require_admin()?;
        self.library_record(id).await
    }

    async fn library_record(&self, id: &str) -> Result<LibraryRecord> {
        self.db()
            .library_by_id(id)
            .await?
            .ok_or_else(|| LibraryError::NotFound("Library not found".into()))
    }

    /// Admin: renames a library or replaces its paths or patterns. Assets that
    /// fall outside the new settings go offline at the next scan.
    pub async fn update_library(
        &self,
        caller: &Caller,
        id: &str,
        changes: LibraryChanges,
    ) -> Result<LibraryRecord> {
        caller.require(Permission::LIBRARY_UPDATE)?;
        caller.require_admin()?;
        if let Some(name) = &changes.name {
            check_name(name)?;
        }
        if let Some(paths) = &changes.import_paths {
            check_import_paths(paths)?;
        }
        if let Some(patterns) = &changes.exclusion_patterns {
            check_patterns(patterns)?;
        }
        let library = self
            .db()
            .update_library(id, &changes)
            .await?
            .ok_or_else(|| LibraryError::NotFound("Library not found".into()))?;
        self.rewatch().await;
        Ok(library)
    }

    /// Admin: removes a library and its assets from Keepsake (rows, previews,
    /// thumbnails, encoded videos); the files in its import paths stay.
    pub async fn delete_library(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::LIBRARY_DELETE)?;
        caller.require_admin()?;
        let removed = self
            .db()
            .delete_library(id)
            .await?
            .ok_or_else(|| LibraryError::NotFound("Library not found".into()))?;
        self.inner.jobs_ready.notify_waiters();
        tracing::info!(library = %id, assets = removed.len(), "deleted an external library; its files were left in place");
        self.rewatch().await;
        Ok(())
    }

    /// Admin: queues a scan of the whole library (Immich answers at once too).
    pub async fn scan_library(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::LIBRARY_UPDATE)?;
        caller.require_admin()?;
        self.library_record(id).await?;
        self.queue_library_scan(id, None).await
    }

    /// Admin: photos, videos and bytes of a library's assets (trash excluded).
    pub async fn library_statistics(&self, caller: &Caller, id: &str) -> Result<LibraryStatistics> {
        caller.require(Permission::LIBRARY_STATISTICS)?;
        caller.require_admin()?;
        self.library_record(id).await?;
        Ok(self.db().library_statistics(id).await?)
    }

    /// Admin: checks import paths (absolute, an existing readable folder,
    /// outside Keepsake's data folder) and exclusion patterns (parseable).
    pub async fn validate_library(
        &self,
        caller: &Caller,
        id: &str,
        import_paths: Vec<String>,
        exclusion_patterns: Vec<String>,
    ) -> Result<LibraryValidation> {
        caller.require_admin()?;
        self.library_record(id).await?;
        let data_dir = self.config().data_dir.clone();
        let import_paths = tokio::task::spawn_blocking(move || {
            import_paths
                .into_iter()
                .map(|p| {
                    let message = import_path_problem(&p, &data_dir).unwrap_or_default();
                    PathCheck {
                        is_valid: message.is_empty(),
                        value: p,
                        message,
                    }
                })
                .collect()
        })
        .await
        .map_err(|e| LibraryError::Internal(format!("validation crashed: {e}")))?;
        let exclusion_patterns = exclusion_patterns
            .into_iter()
            .map(|p| {
                let message = glob::Glob::parse(&p).err().unwrap_or_default();
                PathCheck {
                    is_valid: message.is_empty(),
                    value: p,
                    message,
                }
            })
            .collect();
        Ok(LibraryValidation {
            import_paths,
            exclusion_patterns,
        })
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(LibraryError::Invalid(
            "name must not be empty; give the library a name".into(),
        ));
    }
    Ok(())
}

fn check_unique(what: &str, values: &[String]) -> Result<()> {
    if values.len() > MAX_ENTRIES {
        return Err(LibraryError::Invalid(format!(
            "{what} has {} entries; at most {MAX_ENTRIES} are allowed",
            values.len()
        )));
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(LibraryError::Invalid(format!(
                "{what} lists {v:?} twice; give each once"
            )));
        }
    }
    Ok(())
}

fn check_import_paths(paths: &[String]) -> Result<()> {
    check_unique("importPaths", paths)?;
    for p in paths {
        if !Path::new(p).is_absolute() {
            return Err(LibraryError::Invalid(format!(
                "import path {p:?} is not absolute; give the full path of a folder on the server, e.g. /mnt/photos"
            )));
        }
    }
    Ok(())
}

fn check_patterns(patterns: &[String]) -> Result<()> {
    check_unique("exclusionPatterns", patterns)?;
    for p in patterns {
        glob::Glob::parse(p).map_err(LibraryError::Invalid)?;
    }
    Ok(())
}

/// Why `path` cannot be an import path, in Immich's words where it has them.
fn import_path_problem(path: &str, data_dir: &Path) -> Option<String> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return Some(format!(
            "Import path must be absolute, try /{}",
            path.trim_start_matches("./")
        ));
    }
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some("Path does not exist (ENOENT)".into());
        }
        Err(e) => return Some(format!("Cannot read the path: {e}")),
    };
    if !meta.is_dir() {
        return Some("Not a directory".into());
    }
    if let Err(e) = std::fs::read_dir(p) {
        return Some(format!("Lacking read permission for folder ({e})"));
    }
    let inside_data = match (p.canonicalize(), data_dir.canonicalize()) {
        (Ok(path), Ok(data)) => path.starts_with(&data),
        _ => false,
    };
    if inside_data {
        return Some(
            "Cannot use Keepsake's data folder (where it keeps uploads and previews) as an external library; pick a folder outside it"
                .into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::import_path_problem;

    #[test]
    fn import_paths_must_be_absolute_existing_folders_outside_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("library")).unwrap();
        let photos = dir.path().join("photos");
        std::fs::create_dir_all(&photos).unwrap();
        std::fs::write(photos.join("a.jpg"), b"x").unwrap();
        let s = |p: &std::path::Path| p.to_string_lossy().into_owned();

        assert_eq!(import_path_problem(&s(&photos), &data), None);
        assert!(
            import_path_problem("photos", &data)
                .unwrap()
                .contains("must be absolute")
        );
        assert_eq!(
            import_path_problem(&s(&dir.path().join("nope")), &data).as_deref(),
            Some("Path does not exist (ENOENT)")
        );
        assert_eq!(
            import_path_problem(&s(&photos.join("a.jpg")), &data).as_deref(),
            Some("Not a directory")
        );
        assert!(
            import_path_problem(&s(&data.join("library")), &data)
                .unwrap()
                .contains("data folder")
        );
    }
}
