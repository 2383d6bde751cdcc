//! A scan of an external library: walk the import paths (or, for the
//! watcher, only the paths that changed) and make the library's assets follow
//! the files.
//!
//! A file is compared with its asset by size and mtime only; its content is
//! read (SHA-1, streamed) only when it is new or one of them differs, so a
//! rescan of an unchanged folder costs one `stat` per file. Hidden files and
//! folders, Synology's `@eaDir`, Keepsake's own data folder and whatever
//! matches an exclusion pattern are skipped. A file whose content the owner
//! already has is not indexed again (one asset per owner and checksum),
//! except that when that asset is this library's and its own file is gone,
//! the file was moved or renamed: the asset follows it.
//! Assets whose file was not found go offline and to the trash; nothing under
//! an import path is ever written.
//!
//! Scans run as jobs on the `library` queue. The job's subject (the queue's
//! `asset_id` column) is the library's id, so two scans of one library never
//! run at once; a full scan is unique while it waits, so asking again while
//! one is queued adds nothing.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use keepsake_core::AssetType;
use keepsake_db::jobs::NewJob;
use keepsake_db::libraries::LibraryAssetState;
use keepsake_db::{LibraryRecord, NewAsset, ScanReport};
use sha1::Digest;

use super::glob::Glob;
use crate::media::StepError;
use crate::{Library, LibraryError, Result};

/// Immich's queue for library work.
pub const LIBRARY_QUEUE: &str = "library";
pub(crate) const SCAN_KIND: &str = "LibraryScan";

/// A file the walk found, with what the scan compares.
#[derive(Debug)]
struct FoundFile {
    path: String,
    name: String,
    asset_type: AssetType,
    size: i64,
    mtime: i64,
}

#[derive(Debug, Default)]
struct Walked {
    files: Vec<FoundFile>,
    /// Folders or files that could not be read (each logged).
    errors: i64,
}

/// What the walk skips, built from the library's settings.
struct Rules {
    import_paths: Vec<PathBuf>,
    exclusions: Vec<Glob>,
    /// Keepsake's data folder, by device and inode: never indexed, even when
    /// an import path contains it.
    data_dir: Option<(u64, u64)>,
}

impl Rules {
    fn new(library: &LibraryRecord, data_dir: &Path) -> Rules {
        let exclusions = library
            .exclusion_patterns
            .iter()
            .filter_map(|p| match Glob::parse(p) {
                Ok(g) => Some(g),
                Err(e) => {
                    tracing::warn!(library = %library.id, error = %e, "ignored an exclusion pattern");
                    None
                }
            })
            .collect();
        Rules {
            import_paths: library.import_paths.iter().map(PathBuf::from).collect(),
            exclusions,
            data_dir: std::fs::metadata(data_dir).ok().map(|m| (m.dev(), m.ino())),
        }
    }

    /// Names the walk never enters or indexes.
    fn skipped_name(name: &str) -> bool {
        name.starts_with('.') || name == "@eaDir"
    }

    fn excluded(&self, path: &str, is_dir: bool) -> bool {
        let subject = if is_dir {
            format!("{}/", path.trim_end_matches('/'))
        } else {
            path.to_string()
        };
        self.exclusions.iter().any(|g| g.matches(&subject))
    }

    fn is_data_dir(&self, meta: &std::fs::Metadata) -> bool {
        meta.is_dir() && self.data_dir == Some((meta.dev(), meta.ino()))
    }

    /// Whether a changed path (from the watcher) is one a full scan would visit.
    fn in_scope(&self, path: &Path) -> bool {
        let Some(base) = self.import_paths.iter().find(|ip| path.starts_with(ip)) else {
            return false;
        };
        let hidden = path
            .strip_prefix(base)
            .into_iter()
            .flat_map(|rest| rest.components())
            .any(|c| Self::skipped_name(&c.as_os_str().to_string_lossy()));
        let text = path.to_string_lossy();
        !hidden && !self.excluded(&text, false) && !self.excluded(&text, true)
    }
}

/// Walks `roots` (folders or files), returning every photo and video the
/// rules let through. Runs on a blocking thread.
fn walk(roots: &[PathBuf], rules: &Rules, partial: bool) -> Walked {
    let mut out = Walked::default();
    for root in roots {
        let entries = walkdir::WalkDir::new(root)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                if e.depth() > 0 && Rules::skipped_name(&name) {
                    return false;
                }
                if !e.file_type().is_dir() {
                    return true;
                }
                let data_dir = e.metadata().is_ok_and(|m| rules.is_data_dir(&m));
                !data_dir && (e.depth() == 0 || !rules.excluded(&e.path().to_string_lossy(), true))
            });
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let missing_root = e.depth() == 0
                        && e.io_error()
                            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound);
                    // A watched path that is gone is the news, not a failure.
                    if !(partial && missing_root) {
                        tracing::warn!(root = %root.display(), error = %e, "cannot read part of an external library; its assets there go offline");
                        out.errors += 1;
                    }
                    continue;
                }
            };
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(path = %entry.path().display(), error = %e, "cannot read a file's size and time");
                    out.errors += 1;
                    continue;
                }
            };
            if !meta.is_file() {
                continue;
            }
            let Some(path) = entry.path().to_str() else {
                tracing::warn!(path = %entry.path().display(), "skipped a file whose path is not UTF-8; rename it to index it");
                out.errors += 1;
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(asset_type) = AssetType::from_file_name(&name) else {
                continue;
            };
            if rules.excluded(path, false) {
                continue;
            }
            if meta.len() == 0 {
                tracing::debug!(%path, "skipped an empty file");
                continue;
            }
            out.files.push(FoundFile {
                path: path.to_string(),
                name,
                asset_type,
                size: meta.len() as i64,
                mtime: mtime_ms(&meta),
            });
        }
    }
    out
}

fn mtime_ms(meta: &std::fs::Metadata) -> i64 {
    match meta.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_millis() as i64,
            Err(e) => -(e.duration().as_millis() as i64),
        },
        Err(_) => 0,
    }
}

/// SHA-1 of a file, read in 1 MiB pieces.
fn sha1_file(path: &Path) -> std::io::Result<[u8; 20]> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha1::Sha1::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

impl Library {
    /// Queues a scan of a library: of everything (`paths: None`), or only of
    /// the listed paths (the watcher's).
    pub(crate) async fn queue_library_scan(
        &self,
        id: &str,
        paths: Option<Vec<String>>,
    ) -> Result<()> {
        let full = paths.is_none();
        let payload = serde_json::json!({ "id": id, "paths": paths }).to_string();
        let mut job = NewJob::new(LIBRARY_QUEUE, SCAN_KIND, payload).for_asset(id);
        if full {
            job = job.unique(format!("{SCAN_KIND}:{id}"));
        }
        self.db().enqueue(&job).await?;
        self.inner.jobs_ready.notify_waiters();
        Ok(())
    }

    /// The scan job.
    pub(crate) async fn run_library_scan(
        &self,
        payload: &str,
    ) -> std::result::Result<(), StepError> {
        let value: serde_json::Value = serde_json::from_str(payload)
            .map_err(|e| StepError::Abort(format!("bad payload: {e}")))?;
        let id = value["id"]
            .as_str()
            .ok_or_else(|| StepError::Abort("payload has no library id".into()))?;
        let paths: Option<Vec<PathBuf>> = value["paths"].as_array().map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(PathBuf::from))
                .collect()
        });
        // A library deleted since the scan was queued has nothing left to scan.
        let Some(library) = self.db().library_by_id(id).await? else {
            return Ok(());
        };
        let report = self.scan(&library, paths).await?;
        tracing::info!(
            library = %library.id,
            added = report.added,
            changed = report.changed,
            unchanged = report.unchanged,
            offline = report.offline,
            online = report.online,
            duplicates = report.duplicates,
            failed = report.failed,
            hashed = report.hashed,
            "scanned an external library"
        );
        Ok(())
    }

    /// Scans `library` (all of it, or the `roots` that changed) and returns what it found.
    async fn scan(
        &self,
        library: &LibraryRecord,
        roots: Option<Vec<PathBuf>>,
    ) -> Result<ScanReport> {
        let rules = Rules::new(library, &self.config().data_dir);
        let full = roots.is_none();
        let roots: Vec<PathBuf> = match roots {
            None => rules.import_paths.clone(),
            Some(r) => r.into_iter().filter(|p| rules.in_scope(p)).collect(),
        };
        if roots.is_empty() && !full {
            return Ok(ScanReport::default());
        }
        let known: HashMap<String, LibraryAssetState> = self
            .db()
            .library_assets(&library.id)
            .await?
            .into_iter()
            .map(|a| (a.original_path.clone(), a))
            .collect();
        let (walked, roots) = {
            tokio::task::spawn_blocking(move || {
                let walked = walk(&roots, &rules, !full);
                (walked, roots)
            })
            .await
            .map_err(|e| LibraryError::Internal(format!("the library walk crashed: {e}")))?
        };

        let mut report = ScanReport {
            failed: walked.errors,
            ..Default::default()
        };
        let mut seen: HashSet<String> = HashSet::with_capacity(walked.files.len());
        let mut online = Vec::new();
        let mut offline = Vec::new();
        let mut relocated = HashSet::new();
        for file in walked.files {
            seen.insert(file.path.clone());
            match known.get(&file.path) {
                Some(state)
                    if state.file_size == file.size && state.file_modified_at == file.mtime =>
                {
                    if state.is_offline {
                        online.push(state.id.clone());
                    } else {
                        report.unchanged += 1;
                    }
                }
                Some(state) => {
                    if !self.rehash_changed(state, &file, &mut report).await? {
                        offline.push(state.id.clone());
                    }
                }
                None => {
                    self.index_new(library, &file, &mut report, &mut relocated)
                        .await?
                }
            }
        }
        for (path, state) in &known {
            let in_scope = full || roots.iter().any(|r| Path::new(path).starts_with(r));
            if in_scope && !seen.contains(path) && !relocated.contains(&state.id) {
                offline.push(state.id.clone());
            }
        }
        report.offline = self.db().set_assets_offline(&offline).await? as i64;
        report.online = self.db().set_assets_online(&online).await? as i64;
        if full {
            self.db().finish_library_scan(&library.id, &report).await?;
            // An import path that appeared since (a disk mounted) gets watched now.
            self.rewatch().await;
        }
        self.inner.jobs_ready.notify_waiters();
        Ok(report)
    }

    /// Hashes a file on a blocking thread, counting it in the report.
    async fn hash(&self, file: &FoundFile, report: &mut ScanReport) -> Option<[u8; 20]> {
        report.hashed += 1;
        let path = PathBuf::from(&file.path);
        match tokio::task::spawn_blocking(move || sha1_file(&path)).await {
            Ok(Ok(sum)) => Some(sum),
            Ok(Err(e)) => {
                tracing::warn!(path = %file.path, error = %e, "cannot read a file of an external library");
                report.failed += 1;
                None
            }
            Err(e) => {
                tracing::error!(path = %file.path, error = %e, "hashing a file crashed");
                report.failed += 1;
                None
            }
        }
    }

    /// A file whose size or mtime changed: new checksum, metadata and
    /// previews. False when the asset must go offline instead (unreadable, or
    /// its new content is another asset's).
    async fn rehash_changed(
        &self,
        state: &LibraryAssetState,
        file: &FoundFile,
        report: &mut ScanReport,
    ) -> Result<bool> {
        let Some(sum) = self.hash(file, report).await else {
            return Ok(false);
        };
        let jobs = [crate::media::extract_job(&state.id)];
        match self
            .db()
            .update_external_file(&state.id, &sum, file.size, file.mtime, &jobs)
            .await
        {
            Ok(_) => {
                report.changed += 1;
                tracing::info!(asset = %state.id, path = %file.path, "an external file changed; reading it again");
                Ok(true)
            }
            Err(e) if e.is_unique_violation() => {
                report.duplicates += 1;
                tracing::warn!(asset = %state.id, path = %file.path, "an external file now has the content of another asset of its owner; this asset goes offline");
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A file the library has no asset for: hash it and index it in place
    /// (or, when it is one of the library's assets moved here, relocate that).
    async fn index_new(
        &self,
        library: &LibraryRecord,
        file: &FoundFile,
        report: &mut ScanReport,
        relocated: &mut HashSet<String>,
    ) -> Result<()> {
        let Some(sum) = self.hash(file, report).await else {
            return Ok(());
        };
        let id = keepsake_db::new_id();
        let new = NewAsset {
            id: id.clone(),
            owner_id: library.owner_id.clone(),
            asset_type: file.asset_type.as_str().to_string(),
            original_path: file.path.clone(),
            original_file_name: file.name.clone(),
            sidecar_path: None,
            checksum: sum.to_vec(),
            file_size: file.size,
            // The metadata step puts the capture date here.
            file_created_at: file.mtime,
            file_modified_at: file.mtime,
            local_date_time: file.mtime,
            is_favorite: false,
            visibility: keepsake_core::Visibility::Timeline.as_str().to_string(),
            duration_ms: None,
            live_photo_video_id: None,
            library_id: Some(library.id.clone()),
        };
        match self
            .db()
            .insert_asset(&new, &[crate::media::extract_job(&id)])
            .await
        {
            Ok(keepsake_db::assets::InsertOutcome::Created(_)) => report.added += 1,
            Ok(keepsake_db::assets::InsertOutcome::Duplicate(existing)) => {
                if self.moved_here(library, &existing, file).await? {
                    relocated.insert(existing);
                    report.moved += 1;
                } else {
                    report.duplicates += 1;
                    tracing::info!(path = %file.path, %existing, "not indexed: its owner already has this content as another asset");
                }
            }
            Err(e) if e.is_unique_violation() => {
                report.failed += 1;
                tracing::warn!(path = %file.path, "not indexed: another library already indexes this file; give each library its own folders");
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

impl Library {
    /// Relocates `existing` to `file` when it is an asset of this library
    /// whose own file is gone: the same content moved or renamed. True when
    /// it did.
    async fn moved_here(
        &self,
        library: &LibraryRecord,
        existing: &str,
        file: &FoundFile,
    ) -> Result<bool> {
        let Some(asset) = self.db().asset_by_id(existing).await? else {
            return Ok(false);
        };
        if asset.library_id.as_deref() != Some(library.id.as_str()) {
            return Ok(false);
        }
        let old = asset.original_path.clone();
        if tokio::fs::try_exists(&old).await.unwrap_or(true) {
            return Ok(false);
        }
        let jobs = [crate::media::extract_job(&asset.id)];
        let moved = match self
            .db()
            .relocate_external_asset(
                &asset.id, &file.path, &file.name, file.size, file.mtime, &jobs,
            )
            .await
        {
            Ok(moved) => moved,
            // Another library indexes the new path already.
            Err(e) if e.is_unique_violation() => false,
            Err(e) => return Err(e.into()),
        };
        if moved {
            tracing::info!(asset = %asset.id, from = %old, to = %file.path, "an external file moved; its asset follows it");
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(root: &Path, patterns: &[&str]) -> LibraryRecord {
        LibraryRecord {
            id: "lib".into(),
            owner_id: "owner".into(),
            name: "test".into(),
            import_paths: vec![root.to_string_lossy().into_owned()],
            exclusion_patterns: patterns.iter().map(|p| p.to_string()).collect(),
            created_at: 0,
            updated_at: 0,
            refreshed_at: None,
            asset_count: 0,
            last_scan: ScanReport::default(),
        }
    }

    fn names(walked: &Walked, root: &Path) -> Vec<String> {
        let mut n: Vec<String> = walked
            .files
            .iter()
            .map(|f| {
                Path::new(&f.path)
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        n.sort();
        n
    }

    #[test]
    fn the_walk_skips_hidden_synology_excluded_unsupported_and_data_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("photos");
        let data = root.join("keepsake-data");
        for (p, body) in [
            ("a.jpg", "a"),
            ("2019/b.mp4", "b"),
            ("2019/.hidden.jpg", "c"),
            (".trash/c.jpg", "d"),
            ("@eaDir/a.jpg/thumb.jpg", "e"),
            ("2019/notes.txt", "f"),
            ("2019/scratch.tmp.jpg", "g"),
            ("raw/d.jpg", "h"),
            ("2019/empty.jpg", ""),
            ("keepsake-data/library/x.jpg", "i"),
        ] {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        let rules = Rules::new(&library(&root, &["**/*.tmp.jpg", "**/raw/**"]), &data);
        let walked = walk(std::slice::from_ref(&root), &rules, false);
        assert_eq!(names(&walked, &root), vec!["2019/b.mp4", "a.jpg"]);
        assert_eq!(walked.errors, 0);
        assert!(rules.in_scope(&root.join("2019/new.jpg")));
        assert!(!rules.in_scope(&root.join("2019/.new.jpg")));
        assert!(!rules.in_scope(&root.join("raw/new.jpg")));
        assert!(!rules.in_scope(&dir.path().join("elsewhere/new.jpg")));
    }

    #[test]
    fn a_missing_watched_path_is_news_but_a_missing_import_path_is_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("photos");
        let rules = Rules::new(&library(&root, &[]), dir.path());
        let gone = [root.join("gone.jpg")];
        assert_eq!(walk(&gone, &rules, true).errors, 0);
        assert_eq!(walk(std::slice::from_ref(&root), &rules, false).errors, 1);
    }

    #[test]
    fn files_are_hashed_as_sha1() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jpg");
        std::fs::write(&path, b"abc").unwrap();
        let sum = sha1_file(&path).unwrap();
        assert_eq!(
            sum.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
