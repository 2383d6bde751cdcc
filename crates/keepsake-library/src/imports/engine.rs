//! The import engine: walks a [`Source`], and for each item decides, records
//! and applies. One item at a time, in the source's order, so a run's report
//! reads like the source and a crash stops at a clear point.
//!
//! Per item: known to this run already → nothing; known to an earlier run →
//! its albums only (or skipped, when the person deleted it here: tombstone);
//! else fetch into `tmp/`, hash, and then skip (tombstoned checksum, in the
//! trash), merge (a duplicate by SHA-1: albums and unlocked metadata), or
//! ingest as a new asset with the source's metadata. The run item is written
//! `pending` with the new asset's id *before* the asset exists, so a resumed
//! run finishes an item a crash cut short instead of calling it a duplicate.
//!
//! Metadata precedence, per field:
//! - a property the person edited in Keepsake (locked) is never overwritten;
//! - date: the source's, with the file's zone when they agree
//!   (`keepsake_media::metadata::dates::reconcile`); the file's when the
//!   source has none;
//! - place: the source's, else the file's;
//! - description: the source's title and description (joined by a blank line);
//! - favourite, archived, hidden, tags and albums: the source's, added to
//!   what is there (an import never un-favourites or removes anything).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use keepsake_core::{AssetType, Permission, Timestamp, Visibility};
use keepsake_db::imports::{ImportMetadata, ImportRunRecord, RunItemRecord};
use keepsake_media::metadata::{self as meta, dates};

use crate::{Caller, Library, LibraryError, Result, UploadMeta};
use keepsake_core::import::{Granularity, ItemMeta, Source, SourceDate, SourceError, SourceItem};

/// How a run is started.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// What the person named as the source (paths, a Flickr user); a run
    /// started again with the same source kind and label resumes.
    pub label: String,
    /// Decide and report everything, store nothing.
    pub dry_run: bool,
}

/// Progress, reported after every item.
#[derive(Debug, Clone)]
pub struct ImportProgress {
    pub run_id: String,
    pub seen: u64,
    /// How many items the source holds, when it knows.
    pub total: Option<u64>,
    pub imported: u64,
    pub duplicate: u64,
    pub skipped: u64,
    pub failed: u64,
    /// The last item's file name and what became of it.
    pub last: String,
    pub last_outcome: &'static str,
}

/// What happened to one item.
enum Outcome {
    Imported(String),
    Duplicate(String, &'static str),
    Skipped(String),
    Failed(String),
}

impl Outcome {
    fn name(&self) -> &'static str {
        match self {
            Outcome::Imported(_) => "imported",
            Outcome::Duplicate(..) => "duplicate",
            Outcome::Skipped(_) => "skipped",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// How often the run's counts and cursor are written.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// A run that has begun: its record, and the lock that says a process is
/// working on it (released when this is dropped, or when the process dies).
#[derive(Debug)]
pub struct StartedImport {
    pub run: ImportRunRecord,
    _lock: std::fs::File,
}

impl Library {
    /// Starts an import: creates the run record (or reopens the unfinished run of the same
    /// source), so a caller can answer with it before the items are walked.
    pub async fn begin_import(
        &self,
        caller: &Caller,
        kind: &str,
        options: &ImportOptions,
    ) -> Result<StartedImport> {
        caller.require(Permission::ASSET_UPLOAD)?;
        // One process per source at a time. The lock is a file lock, so a
        // killed run's lock goes with its process and the next start resumes.
        let digest = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            h.update(format!("{}\n{kind}\n{}", caller.user_id(), options.label));
            h.finalize()
        };
        let name = format!("import-{}", keepsake_core::hex_encode(&digest[..12]));
        let Some(lock) = self.try_lock_file(&name)? else {
            return Err(LibraryError::Conflict(format!(
                "another import of this {kind} source is running for this user; wait for it to finish (GET /api/imports shows its progress)"
            )));
        };
        let run = self.start_run(caller.user_id(), kind, options).await?;
        Ok(StartedImport { run, _lock: lock })
    }

    /// Walks `source` for a run from [`Library::begin_import`].
    pub async fn continue_import<S: Source>(
        &self,
        caller: &Caller,
        started: StartedImport,
        source: &mut S,
        options: &ImportOptions,
        progress: &(dyn Fn(&ImportProgress) + Send + Sync),
    ) -> Result<ImportRunRecord> {
        let run = &started.run;
        let owner = caller.user_id().to_string();
        let kind = source.kind();
        let mut state = RunState {
            run_id: run.id.clone(),
            seq: 0,
            counts: [0; 4],
            live_pairs: Vec::new(),
            last_checkpoint: Instant::now(),
        };
        // A resumed run keeps its numbering and counts.
        let earlier = self.db().run_items(&run.id, None, 0, i64::MAX / 2).await?;
        for item in &earlier {
            state.seq = state.seq.max(item.seq);
            if let Some(i) = outcome_index(&item.outcome) {
                state.counts[i] += 1;
            }
        }
        tracing::info!(run = %run.id, kind, label = %options.label, dry_run = options.dry_run, resumed = !earlier.is_empty(), "import run started");

        let result = self
            .run_items_loop(caller, source, options, &mut state, progress)
            .await;
        let cursor = source.cursor();
        match result {
            Ok(()) => {
                if !options.dry_run {
                    self.pair_live_photos(&owner, kind, &state.live_pairs)
                        .await?;
                }
                self.db()
                    .finish_import_run(&run.id, "completed", &cursor, None)
                    .await?;
            }
            Err(e) => {
                let state_name = match &e {
                    LibraryError::Unavailable(_) | LibraryError::RateLimited(_) => "interrupted",
                    _ => "failed",
                };
                self.db()
                    .finish_import_run(&run.id, state_name, &cursor, Some(&e.to_string()))
                    .await?;
                tracing::warn!(run = %run.id, error = %e, "import run stopped");
                return Err(e);
            }
        }
        let done = self
            .db()
            .import_run(&run.id)
            .await?
            .ok_or_else(|| LibraryError::Internal("the import run vanished".into()))?;
        tracing::info!(run = %done.id, imported = done.imported, duplicate = done.duplicate, skipped = done.skipped, failed = done.failed, "import run finished");
        Ok(done)
    }

    async fn start_run(
        &self,
        owner: &str,
        kind: &str,
        options: &ImportOptions,
    ) -> Result<ImportRunRecord> {
        if !options.dry_run
            && let Some(run) = self
                .db()
                .resumable_import_run(owner, kind, &options.label)
                .await?
        {
            self.db().reopen_import_run(&run.id).await?;
            tracing::info!(run = %run.id, "resuming an unfinished import run");
            return Ok(run);
        }
        Ok(self
            .db()
            .create_import_run(owner, kind, &options.label, options.dry_run)
            .await?)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_items_loop<S: Source>(
        &self,
        caller: &Caller,
        source: &mut S,
        options: &ImportOptions,
        state: &mut RunState,
        progress: &(dyn Fn(&ImportProgress) + Send + Sync),
    ) -> Result<()> {
        let mut memory = RunMemory::default();
        loop {
            let item = match source.next_item().await {
                Ok(Some(item)) => item,
                Ok(None) => return Ok(()),
                Err(e) => return Err(source_failure(e)),
            };
            if let Some(video) = &item.meta.live_video_key {
                state.live_pairs.push((item.key.clone(), video.clone()));
            }
            let known = self.db().run_item(&state.run_id, &item.key).await?;
            let planned = match known {
                Some(done) if done.outcome != "pending" => continue,
                Some(pending) => pending.asset_id,
                None => None,
            };
            let outcome = match self
                .import_one(
                    caller,
                    source,
                    options,
                    &mut memory,
                    &state.run_id,
                    &item,
                    planned,
                )
                .await
            {
                Ok(o) => o,
                // Failures that would fail every next item too stop the run.
                Err(
                    e @ (LibraryError::StorageFull(_)
                    | LibraryError::Unavailable(_)
                    | LibraryError::RateLimited(_)),
                ) => {
                    return Err(e);
                }
                Err(e) => Outcome::Failed(e.to_string()),
            };
            self.record_outcome(state, &item, &outcome).await?;
            if let Outcome::Failed(reason) = &outcome {
                tracing::warn!(key = %item.key, file = %item.file_name, %reason, "import item failed");
            }
            progress(&ImportProgress {
                run_id: state.run_id.clone(),
                seen: state.counts.iter().sum(),
                total: source.total(),
                imported: state.counts[0],
                duplicate: state.counts[1],
                skipped: state.counts[2],
                failed: state.counts[3],
                last: item.file_name.clone(),
                last_outcome: outcome.name(),
            });
            if state.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                self.db()
                    .checkpoint_import_run(&state.run_id, &source.cursor())
                    .await?;
                state.last_checkpoint = Instant::now();
            }
        }
    }

    async fn record_outcome(
        &self,
        state: &mut RunState,
        item: &SourceItem,
        outcome: &Outcome,
    ) -> Result<()> {
        state.seq += 1;
        let (asset_id, reason) = match outcome {
            Outcome::Imported(id) => (Some(id.clone()), None),
            Outcome::Duplicate(id, why) => (Some(id.clone()), Some(why.to_string())),
            Outcome::Skipped(why) | Outcome::Failed(why) => (None, Some(why.clone())),
        };
        self.db()
            .set_run_item(
                &state.run_id,
                &RunItemRecord {
                    source_key: item.key.clone(),
                    seq: state.seq,
                    file_name: item.file_name.clone(),
                    outcome: outcome.name().to_string(),
                    reason,
                    asset_id,
                },
            )
            .await?;
        if let Some(i) = outcome_index(outcome.name()) {
            state.counts[i] += 1;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn import_one<S: Source>(
        &self,
        caller: &Caller,
        source: &mut S,
        options: &ImportOptions,
        memory: &mut RunMemory,
        run_id: &str,
        item: &SourceItem,
        planned: Option<String>,
    ) -> Result<Outcome> {
        let owner = caller.user_id();
        let kind = source.kind();
        if let Some(reason) = &item.skip_reason {
            return Ok(Outcome::Skipped(reason.clone()));
        }
        if item.meta.trashed {
            return Ok(Outcome::Skipped("in the source's trash".into()));
        }
        if AssetType::from_file_name(&item.file_name).is_none() {
            return Ok(Outcome::Skipped(format!(
                "not a photo or video Keepsake stores ({})",
                item.file_name
            )));
        }
        // A crash after the asset was written: finish what the run started.
        if let Some(id) = &planned
            && let Some(asset) = self.db().asset_by_id(id).await?
        {
            let file = self.file_facts(&asset.original_path, item).await;
            self.apply_source(caller, kind, memory, &asset.id, item, &file, options)
                .await?;
            self.db()
                .record_import_item(
                    owner,
                    kind,
                    &item.key,
                    &asset.id,
                    &asset.checksum,
                    run_id,
                    &extra_json(&item.meta),
                    &meta_hash(item),
                )
                .await?;
            return Ok(Outcome::Imported(asset.id));
        }
        if let Some(known) = self.db().import_item(owner, kind, &item.key).await? {
            if !known.asset_exists {
                return Ok(Outcome::Skipped(
                    "deleted in Keepsake after an earlier import; not brought back".into(),
                ));
            }
            if known.asset_trashed {
                return Ok(Outcome::Skipped("in Keepsake's trash".into()));
            }
            if !options.dry_run {
                // What the source says changed since it was applied (a source
                // synced again: a favourite made there): apply it, additively
                // as ever; else only albums can be new.
                let hash = meta_hash(item);
                if known.meta_hash.as_deref() != Some(hash.as_str())
                    && let Some(asset) = self.db().asset_by_id(&known.asset_id).await?
                {
                    let file = self.file_facts(&asset.original_path, item).await;
                    self.apply_source(caller, kind, memory, &asset.id, item, &file, options)
                        .await?;
                    self.db()
                        .set_import_meta(owner, kind, &item.key, &extra_json(&item.meta), &hash)
                        .await?;
                } else {
                    self.add_to_albums(caller, kind, memory, &known.asset_id, item)
                        .await?;
                }
            }
            return Ok(Outcome::Duplicate(
                known.asset_id,
                "imported by an earlier run",
            ));
        }

        let extension = Path::new(&item.file_name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("bin")
            .to_ascii_lowercase();
        let dest = self.blobs().temp_path(&extension);
        if let Err(e) = source.fetch(item, &dest).await {
            let _ = tokio::fs::remove_file(&dest).await;
            return match e {
                SourceError::Item(m) => Ok(Outcome::Failed(m)),
                other => Err(source_failure(other)),
            };
        }
        let blob = self.blobs().adopt_temp(dest).await?;
        let outcome = self
            .place_blob(caller, kind, options, memory, run_id, item, &blob, planned)
            .await;
        self.blobs().discard(blob).await;
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    async fn place_blob(
        &self,
        caller: &Caller,
        kind: &str,
        options: &ImportOptions,
        memory: &mut RunMemory,
        run_id: &str,
        item: &SourceItem,
        blob: &crate::FinishedBlob,
        planned: Option<String>,
    ) -> Result<Outcome> {
        let owner = caller.user_id();
        if blob.size == 0 {
            return Ok(Outcome::Failed("the source gave an empty file".into()));
        }
        if self.db().import_tombstone(owner, &blob.sha1).await? {
            return Ok(Outcome::Skipped(
                "the same photo was deleted in Keepsake after an earlier import; not brought back"
                    .into(),
            ));
        }
        if let Some(existing) = self.db().asset_id_by_checksum(owner, &blob.sha1).await? {
            let asset = self.db().asset_by_id(&existing).await?;
            if asset.as_ref().is_some_and(|a| a.deleted_at.is_some()) {
                return Ok(Outcome::Skipped("in Keepsake's trash".into()));
            }
            if !options.dry_run {
                let file = self.file_facts_at(blob.path(), item).await;
                self.apply_source(caller, kind, memory, &existing, item, &file, options)
                    .await?;
                self.db()
                    .record_import_item(
                        owner,
                        kind,
                        &item.key,
                        &existing,
                        &blob.sha1,
                        run_id,
                        &extra_json(&item.meta),
                        &meta_hash(item),
                    )
                    .await?;
            }
            return Ok(Outcome::Duplicate(existing, "already in the library"));
        }
        if options.dry_run {
            if !memory.dry_checksums.insert(blob.sha1) {
                return Ok(Outcome::Duplicate(
                    String::new(),
                    "the same file as an earlier item",
                ));
            }
            return Ok(Outcome::Imported(String::new()));
        }
        let id = planned.unwrap_or_else(keepsake_db::new_id);
        self.db()
            .set_run_item(
                run_id,
                &RunItemRecord {
                    source_key: item.key.clone(),
                    seq: 0,
                    file_name: item.file_name.clone(),
                    outcome: "pending".into(),
                    reason: None,
                    asset_id: Some(id.clone()),
                },
            )
            .await?;
        let file = self.file_facts_at(blob.path(), item).await;
        let sidecar = match &item.sidecar {
            Some(path) => self.sidecar_blob(path).await,
            None => None,
        };
        let upload = UploadMeta {
            file_name: item.file_name.clone(),
            file_created_at: file.created.or(item.meta.file_modified_at.map(Timestamp)),
            file_modified_at: item.meta.file_modified_at.map(Timestamp),
            is_favorite: item.meta.favorite,
            visibility: None,
            duration_ms: None,
            live_photo_video_id: None,
        };
        let stored = self
            .ingest_as(caller, blob, sidecar.as_ref(), upload, id)
            .await;
        if let Some(s) = sidecar {
            self.blobs().discard(s).await;
        }
        let stored = stored?;
        self.apply_source(caller, kind, memory, &stored.id, item, &file, options)
            .await?;
        self.db()
            .record_import_item(
                owner,
                kind,
                &item.key,
                &stored.id,
                &blob.sha1,
                run_id,
                &extra_json(&item.meta),
                &meta_hash(item),
            )
            .await?;
        if stored.duplicate {
            return Ok(Outcome::Duplicate(stored.id, "already in the library"));
        }
        Ok(Outcome::Imported(stored.id))
    }

    /// Reads what the file itself (and its sidecar) says about its date and place.
    async fn file_facts(&self, key: &str, item: &SourceItem) -> FileFacts {
        match self.blobs().path_of(key) {
            Ok(path) => self.file_facts_at(&path, item).await,
            Err(_) => FileFacts::default(),
        }
    }

    async fn file_facts_at(&self, path: &Path, item: &SourceItem) -> FileFacts {
        let path = path.to_path_buf();
        let name = item.file_name.clone();
        let sidecar = item.sidecar.clone();
        // The copy in tmp/ is new; the source's own file time is the fallback.
        let file_time = Timestamp(
            item.meta
                .file_modified_at
                .unwrap_or_else(keepsake_db::now_ms),
        );
        tokio::task::spawn_blocking(move || {
            let m = meta::read_metadata(&path).unwrap_or_default();
            let side = sidecar
                .and_then(|p| std::fs::read(p).ok())
                .and_then(|bytes| meta::xmp::parse(&String::from_utf8_lossy(&bytes)).ok());
            let date = dates::resolve(&dates::DateInputs {
                sidecar: side.as_ref(),
                metadata: Some(&m),
                file_name: &name,
                file_created_at: file_time,
                file_modified_at: file_time,
            });
            FileFacts {
                created: (date.source != dates::DateSource::FileTime).then_some(date.instant),
                date: Some(date),
                gps: side.and_then(|s| s.gps).or(m.gps),
            }
        })
        .await
        .unwrap_or_default()
    }

    /// Copies a sidecar into a temp blob, to store next to the original.
    async fn sidecar_blob(&self, path: &Path) -> Option<crate::FinishedBlob> {
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not read a sidecar; importing without it");
                return None;
            }
        };
        let mut temp = self.blobs().create_temp().await.ok()?;
        if temp.write(&bytes).await.is_err() {
            temp.abort().await;
            return None;
        }
        temp.finish().await.ok()
    }

    /// Applies the item's metadata and albums to an asset (new or existing).
    #[allow(clippy::too_many_arguments)]
    async fn apply_source(
        &self,
        caller: &Caller,
        kind: &str,
        memory: &mut RunMemory,
        asset_id: &str,
        item: &SourceItem,
        file: &FileFacts,
        options: &ImportOptions,
    ) -> Result<()> {
        if options.dry_run {
            return Ok(());
        }
        let m = &item.meta;
        let gps = m
            .location
            .map(|(latitude, longitude)| meta::Gps {
                latitude,
                longitude,
                altitude: None,
            })
            .or(file.gps);
        let date = match (m.taken, &file.date) {
            (Some(stated), Some(f)) => Some(dates::reconcile(stated_date(stated), f, gps)),
            (None, Some(f)) if f.source != dates::DateSource::FileTime => Some(f.clone()),
            // Neither says: keep what ingest chose from the file times.
            _ => None,
        };
        // The source's place, else the file's, so places are in place when the command returns.
        let position = m.location.or(file.gps.map(|g| (g.latitude, g.longitude)));
        let location = match position {
            Some((lat, lon)) if valid_position(lat, lon) => {
                let place = tokio::task::spawn_blocking(move || {
                    keepsake_media::geocode::reverse_geocode(lat, lon)
                })
                .await
                .ok()
                .flatten();
                Some((
                    lat,
                    lon,
                    match place {
                        Some(p) => [Some(p.city), p.state, Some(p.country)],
                        None => [None, None, None],
                    },
                ))
            }
            _ => None,
        };
        let visibility = if m.hidden {
            Some(Visibility::Hidden.as_str().to_string())
        } else if m.archived {
            Some(Visibility::Archive.as_str().to_string())
        } else {
            None
        };
        let update = ImportMetadata {
            description: description_of(m),
            date: date.map(|d| (d.instant.0, d.local.0, d.time_zone)),
            location,
            favorite: m.favorite,
            visibility,
            tags: m.tags.clone(),
        };
        self.db()
            .apply_import_metadata(caller.user_id(), asset_id, &update)
            .await?;
        if update.description.is_some() || update.location.is_some() || update.date.is_some() {
            self.queue_sidecar_writes(&[asset_id.to_string()]).await?;
        }
        self.add_to_albums(caller, kind, memory, asset_id, item)
            .await
    }

    /// Puts the asset in the albums the item is in at the source, making each
    /// album on first use (and never again once the person deleted it); an
    /// archived album keeps its snapshot.
    async fn add_to_albums(
        &self,
        caller: &Caller,
        kind: &str,
        memory: &mut RunMemory,
        asset_id: &str,
        item: &SourceItem,
    ) -> Result<()> {
        let owner = caller.user_id();
        for album in &item.albums {
            let id = match memory.ids.get(&album.key) {
                Some(id) => id.clone(),
                None => {
                    let id = match self.db().import_album(owner, kind, &album.key).await? {
                        Some(a) if a.present && !a.frozen => Some(a.album_id),
                        Some(_) => None,
                        None => {
                            let id = self
                                .db()
                                .create_album(
                                    owner,
                                    &album.name,
                                    album.description.as_deref().unwrap_or(""),
                                    "desc",
                                    &[],
                                    &[],
                                )
                                .await?;
                            self.db()
                                .record_import_album(owner, kind, &album.key, &id)
                                .await?;
                            Some(id)
                        }
                    };
                    memory.ids.insert(album.key.clone(), id.clone());
                    id
                }
            };
            if let Some(id) = id {
                self.db()
                    .add_album_assets(&id, &[asset_id.to_string()])
                    .await?;
            }
        }
        Ok(())
    }

    /// Links Live Photo stills to their videos once both are in (the video
    /// becomes hidden, as Immich has it).
    async fn pair_live_photos(
        &self,
        owner: &str,
        kind: &str,
        pairs: &[(String, String)],
    ) -> Result<()> {
        for (still_key, video_key) in pairs {
            let still = self.db().imported_asset_id(owner, kind, still_key).await?;
            let video = self.db().imported_asset_id(owner, kind, video_key).await?;
            if let (Some(still), Some(video)) = (still, video)
                && still != video
            {
                self.db().link_live_photo(&still, &video).await?;
            }
        }
        Ok(())
    }

    /// Where one of the caller's assets came from, with the facts the source
    /// gave that have no field of their own (Flickr privacy, page URL, …).
    pub async fn asset_import_sources(
        &self,
        caller: &Caller,
        asset_id: &str,
    ) -> Result<Vec<(String, String, String)>> {
        caller.require(Permission::ASSET_READ)?;
        self.owned_asset(caller, asset_id).await?;
        Ok(self.db().import_sources_of(asset_id).await?)
    }

    /// The owner's import runs, newest first.
    pub async fn import_runs(&self, caller: &Caller) -> Result<Vec<ImportRunRecord>> {
        caller.require(Permission::ASSET_READ)?;
        Ok(self.db().list_import_runs(caller.user_id()).await?)
    }

    /// One run of the caller's.
    pub async fn import_run(&self, caller: &Caller, id: &str) -> Result<ImportRunRecord> {
        caller.require(Permission::ASSET_READ)?;
        match self.db().import_run(id).await? {
            Some(run) if run.owner_id == caller.user_id() => Ok(run),
            _ => Err(LibraryError::NotFound("Import run not found".into())),
        }
    }

    /// A page of a run's per-item report; `outcome` narrows.
    pub async fn import_run_items(
        &self,
        caller: &Caller,
        id: &str,
        outcome: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<RunItemRecord>> {
        self.import_run(caller, id).await?;
        Ok(self
            .db()
            .run_items(id, outcome, offset.max(0), limit.clamp(1, 1000))
            .await?)
    }
}

struct RunState {
    run_id: String,
    seq: i64,
    /// imported, duplicate, skipped, failed.
    counts: [u64; 4],
    live_pairs: Vec<(String, String)>,
    last_checkpoint: Instant,
}

/// What one run remembers while it walks: albums made so far, and for a dry
/// run the checksums it would have stored.
#[derive(Default)]
struct RunMemory {
    /// Source album key → album id (`None`: the person deleted it).
    ids: HashMap<String, Option<String>>,
    /// A dry run stores nothing, so it remembers what it would have stored
    /// to report repeats within the run as duplicates.
    dry_checksums: std::collections::HashSet<[u8; 20]>,
}

#[derive(Debug, Clone, Default)]
struct FileFacts {
    /// The capture instant the file states (not file times).
    created: Option<Timestamp>,
    date: Option<dates::ResolvedDate>,
    gps: Option<meta::Gps>,
}

fn outcome_index(outcome: &str) -> Option<usize> {
    match outcome {
        "imported" => Some(0),
        "duplicate" => Some(1),
        "skipped" => Some(2),
        "failed" => Some(3),
        _ => None,
    }
}

fn source_failure(e: SourceError) -> LibraryError {
    match e {
        SourceError::RateLimited(m) => LibraryError::RateLimited(m),
        SourceError::Fatal(m) | SourceError::Item(m) => LibraryError::Invalid(m),
    }
}

fn stated_date(d: SourceDate) -> dates::StatedDate {
    match d {
        SourceDate::Instant(t) => dates::StatedDate::Instant(Timestamp(t)),
        SourceDate::Local(t, _) => dates::StatedDate::Local(Timestamp(t)),
        SourceDate::Zoned(t, offset_seconds) => {
            dates::StatedDate::Zoned(Timestamp(t), offset_seconds / 60)
        }
    }
}

fn valid_position(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
        && !(lat == 0.0 && lon == 0.0)
}

/// Title and description as one description: Immich has no title field.
fn description_of(m: &ItemMeta) -> Option<String> {
    let title = m.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let text = m
        .description
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match (title, text) {
        (Some(t), Some(d)) if d.starts_with(t) => Some(d.to_string()),
        (Some(t), Some(d)) => Some(format!("{t}\n\n{d}")),
        (Some(t), None) => Some(t.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    }
}

/// A fingerprint of everything the source says about an item besides its
/// bytes: when it changes, the item's metadata is applied again.
fn meta_hash(item: &SourceItem) -> String {
    use sha2::Digest;
    let said = format!("{:?}|{:?}", item.meta, item.albums);
    keepsake_core::hex_encode(&sha2::Sha256::digest(said.as_bytes()))
}

/// The facts kept as metadata only, as a JSON object.
fn extra_json(m: &ItemMeta) -> String {
    let mut map = serde_json::Map::new();
    for (k, v) in &m.extra {
        map.insert(k.clone(), serde_json::Value::String(v.clone()));
    }
    if let Some(SourceDate::Local(_, g)) = m.taken
        && g != Granularity::Second
    {
        map.insert(
            "date_granularity".into(),
            serde_json::Value::String(format!("{g:?}").to_lowercase()),
        );
    }
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_and_description_become_one_description() {
        let mut m = ItemMeta {
            title: Some("Eiffel".into()),
            description: Some("From the top".into()),
            ..Default::default()
        };
        assert_eq!(
            description_of(&m).as_deref(),
            Some("Eiffel\n\nFrom the top")
        );
        m.description = None;
        assert_eq!(description_of(&m).as_deref(), Some("Eiffel"));
        m.title = Some("  ".into());
        assert_eq!(description_of(&m), None);
    }

    #[test]
    fn null_island_and_out_of_range_positions_are_no_position() {
        assert!(!valid_position(0.0, 0.0));
        assert!(!valid_position(91.0, 0.0));
        assert!(valid_position(48.85, 2.29));
    }
}
