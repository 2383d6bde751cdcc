//! The media pipeline as jobs: upload → metadata → derived media (→ video
//! encoding), plus sidecar write-back after a user's edits.
//!
//! Each step is an idempotent job on the durable queue, enqueued in the same
//! transaction as the step before it, so a committed step always has its
//! follow-up. Work that burns CPU or runs ffmpeg happens on the blocking pool,
//! never on the async workers that serve uploads. A file that cannot be read
//! fails its own job with the reason recorded (visible in the queue API); the
//! worker goes on.

use std::path::{Path, PathBuf};

use keepsake_core::{AssetType, Permission, Timestamp, Visibility};
use keepsake_db::AssetRecord;
use keepsake_db::jobs::NewJob;
use keepsake_db::media::{AssetFile, MediaStep, MetadataUpdate};
use keepsake_media::metadata::dates::{self, DateInputs};
use keepsake_media::metadata::{self as meta, CaptureDate, MediaMetadata, xmp};
use keepsake_media::{MediaError, derive, geocode, video};

use crate::assets::UploadMeta;
use crate::{Caller, Library, LibraryError, Result};

pub const METADATA_QUEUE: &str = "metadataExtraction";
pub const THUMBNAIL_QUEUE: &str = "thumbnailGeneration";
pub const VIDEO_QUEUE: &str = "videoConversion";
pub const SIDECAR_QUEUE: &str = "sidecar";

pub(crate) const EXTRACT_KIND: &str = "AssetExtractMetadata";
pub(crate) const THUMBNAIL_KIND: &str = "AssetGenerateThumbnails";
pub(crate) const ENCODE_KIND: &str = "AssetEncodeVideo";
pub(crate) const SIDECAR_KIND: &str = "SidecarWrite";

/// The queues the pipeline runs in, in the order a worker prefers them.
pub(crate) const MEDIA_QUEUES: &[&str] =
    &[METADATA_QUEUE, THUMBNAIL_QUEUE, SIDECAR_QUEUE, VIDEO_QUEUE];

/// Kinds of derived file, as `asset_files.kind` and Immich's `size` names them.
pub const PREVIEW: &str = "preview";
pub const THUMBNAIL: &str = "thumbnail";
pub const ENCODED_VIDEO: &str = "encoded_video";

/// Why a step failed, and whether trying again could help.
pub(crate) enum StepError {
    Retry(String),
    Abort(String),
}

impl From<LibraryError> for StepError {
    fn from(e: LibraryError) -> Self {
        match e {
            LibraryError::NotFound(m) | LibraryError::Invalid(m) => StepError::Abort(m),
            other => StepError::Retry(other.to_string()),
        }
    }
}

impl From<keepsake_db::DbError> for StepError {
    fn from(e: keepsake_db::DbError) -> Self {
        StepError::Retry(e.to_string())
    }
}

impl From<keepsake_blobs::BlobError> for StepError {
    fn from(e: keepsake_blobs::BlobError) -> Self {
        StepError::from(LibraryError::from(e))
    }
}

fn media_error(e: MediaError) -> StepError {
    match e {
        // A file that is gone now may be back (a remounted disk); the rest
        // fails the same way every time.
        MediaError::Io { .. } => StepError::Retry(e.to_string()),
        other => StepError::Abort(other.to_string()),
    }
}

pub(crate) fn job(queue: &str, kind: &str, asset_id: &str) -> NewJob {
    NewJob::new(queue, kind, format!("{{\"id\":\"{asset_id}\"}}"))
        .for_asset(asset_id)
        .unique(format!("{kind}:{asset_id}"))
}

pub(crate) fn extract_job(asset_id: &str) -> NewJob {
    job(METADATA_QUEUE, EXTRACT_KIND, asset_id)
}

/// Threads that run the pipeline's CPU work and ffmpeg calls, one per worker.
///
/// Not tokio's blocking pool: its threads come and go, and each new thread gets
/// a fresh malloc arena that keeps the ~100 MB a decode needed. On a fixed set
/// of threads the same memory is reused, so the pipeline's footprint stays at
/// about one decode per worker (measured with 2 workers on 40 corpus JPEGs:
/// 280 MB peak and 207 MB after, against 522 MB and growing on the blocking pool).
pub(crate) struct MediaThreads {
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>>,
}

impl MediaThreads {
    pub(crate) fn start(n: usize) -> MediaThreads {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..n.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("keepsake-media-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let next = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a media thread");
            }
        }
        MediaThreads {
            jobs: std::sync::Mutex::new(tx),
        }
    }
}

impl Library {
    /// Runs `f` on a media thread; a panic in it fails only this step.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, StepError> + Send + 'static,
    ) -> std::result::Result<T, StepError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Box::new(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                .unwrap_or_else(|_| Err(StepError::Abort("the media task crashed".into())));
            let _ = tx.send(result);
        });
        self.inner
            .media_threads
            .jobs
            .lock()
            .map_err(|_| StepError::Retry("the media threads are gone".into()))?
            .send(job)
            .map_err(|_| StepError::Retry("the media threads are gone".into()))?;
        rx.await
            .map_err(|_| StepError::Abort("the media task crashed".into()))?
    }
}

/// Where derived files of an asset live, fanned out so no folder grows huge.
fn derived_key(folder: &str, asset: &AssetRecord, suffix: &str) -> String {
    let id = &asset.id;
    format!(
        "{folder}/{}/{}/{}/{id}{suffix}",
        asset.owner_id,
        &id[0..2],
        &id[2..4]
    )
}

impl Library {
    pub(crate) async fn run_media_job(
        &self,
        kind: &str,
        payload: &str,
    ) -> std::result::Result<(), StepError> {
        let value: serde_json::Value = serde_json::from_str(payload)
            .map_err(|e| StepError::Abort(format!("bad payload: {e}")))?;
        let id = value["id"]
            .as_str()
            .ok_or_else(|| StepError::Abort("payload has no asset id".into()))?;
        // An asset removed since the job was queued has nothing left to do.
        let Some(asset) = self.db().asset_by_id(id).await? else {
            return Ok(());
        };
        match kind {
            EXTRACT_KIND => self.extract_metadata(asset).await,
            THUMBNAIL_KIND => self.generate_thumbnails(asset).await,
            ENCODE_KIND => self.encode_video(asset).await,
            SIDECAR_KIND => self.write_sidecar(asset).await,
            other => Err(StepError::Abort(format!("unknown job kind {other}"))),
        }
    }

    async fn extract_metadata(&self, asset: AssetRecord) -> std::result::Result<(), StepError> {
        let original = self.original_path(&asset)?;
        let sidecar = match &asset.sidecar_path {
            Some(key) => Some(self.asset_file(&asset, key)?),
            // A sidecar someone put next to the original (`IMG_1.jpg.xmp`, then
            // `IMG_1.xmp`) counts too, and becomes the asset's sidecar.
            None => {
                let found = xmp::sidecar_candidates(Path::new(&asset.original_path))
                    .into_iter()
                    .filter_map(|p| p.to_str().map(String::from))
                    .find(|key| self.asset_file(&asset, key).is_ok_and(|p| p.is_file()));
                match found {
                    Some(key) => {
                        self.db().set_sidecar_path(&asset.id, &key).await?;
                        Some(self.asset_file(&asset, &key)?)
                    }
                    None => None,
                }
            }
        };
        let is_video = asset.asset_type == AssetType::Video.as_str();
        let tools = self.config().video_tools.clone();
        let file_name = asset.original_file_name.clone();
        let (created, modified) = (
            Timestamp(asset.file_created_at),
            Timestamp(asset.file_modified_at),
        );
        let (update, motion) = self
            .blocking(move || {
                let m = match meta::read_metadata(&original) {
                    Ok(m) => m,
                    // Videos in containers the native reader does not parse
                    // (Matroska, AVI) still get everything ffprobe knows.
                    Err(MediaError::Unsupported(_)) if is_video => MediaMetadata::default(),
                    Err(e) => return Err(media_error(e)),
                };
                let probed = if is_video {
                    Some(video::probe(&tools, &original).map_err(media_error)?)
                } else {
                    None
                };
                let side = match sidecar {
                    Some(path) => read_sidecar(&path)?,
                    None => None,
                };
                let update = metadata_update(
                    &m,
                    side.as_ref(),
                    probed.as_ref(),
                    &file_name,
                    created,
                    modified,
                );
                Ok((update, m.motion_photo_video))
            })
            .await?;

        let mut next = vec![job(THUMBNAIL_QUEUE, THUMBNAIL_KIND, &asset.id)];
        if is_video {
            next.push(job(VIDEO_QUEUE, ENCODE_KIND, &asset.id));
        }
        if !self.db().apply_metadata(&asset.id, &update, &next).await? {
            return Ok(());
        }
        if let Some(cid) = &update.live_photo_cid {
            self.pair_live_photo(&asset, cid).await?;
        }
        if let Some(range) = motion
            && asset.live_photo_video_id.is_none()
        {
            self.extract_motion_video(&asset, range, &update).await?;
        }
        self.inner.jobs_ready.notify_waiters();
        Ok(())
    }

    /// Links a Live Photo's still and video once both are in, whichever came first.
    async fn pair_live_photo(
        &self,
        asset: &AssetRecord,
        cid: &str,
    ) -> std::result::Result<(), StepError> {
        let is_video = asset.asset_type == AssetType::Video.as_str();
        let want = if is_video {
            AssetType::Image
        } else {
            AssetType::Video
        };
        let Some(partner) = self
            .db()
            .live_photo_partner(&asset.owner_id, cid, want.as_str(), &asset.id)
            .await?
        else {
            return Ok(());
        };
        let (still, video) = if is_video {
            (partner, asset.id.clone())
        } else {
            (asset.id.clone(), partner)
        };
        self.db().link_live_photo(&still, &video).await?;
        tracing::info!(%still, %video, "paired a Live Photo");
        Ok(())
    }

    /// Stores the video inside a Google/Samsung motion photo as a hidden asset
    /// linked to the still, as Immich does.
    async fn extract_motion_video(
        &self,
        asset: &AssetRecord,
        range: meta::ByteRange,
        update: &MetadataUpdate,
    ) -> std::result::Result<(), StepError> {
        let original = self.original_path(asset)?;
        let bytes = self.blocking(move || read_range(&original, range)).await?;
        let Some(owner) = self.db().user_by_id(&asset.owner_id).await? else {
            return Ok(());
        };
        let mut temp = self.blobs().create_temp().await?;
        temp.write(&bytes).await?;
        let finished = temp.finish().await?;
        let stem = asset
            .original_file_name
            .rsplit_once('.')
            .map_or(asset.original_file_name.as_str(), |(s, _)| s);
        let taken = update.date_time_original.map(Timestamp);
        let upload = UploadMeta {
            file_name: format!("{stem}.mp4"),
            file_created_at: taken.or(Some(Timestamp(asset.file_created_at))),
            file_modified_at: Some(Timestamp(asset.file_modified_at)),
            visibility: Some(Visibility::Hidden),
            ..Default::default()
        };
        let outcome = self
            .finish_upload(&Caller::local(owner), finished, None, upload)
            .await?;
        let changes = keepsake_db::assets::AssetChanges {
            live_photo_video_id: Some(Some(outcome.id.clone())),
            ..Default::default()
        };
        self.db()
            .update_assets(std::slice::from_ref(&asset.id), &changes)
            .await?;
        tracing::info!(still = %asset.id, video = %outcome.id, "stored the video of a motion photo");
        Ok(())
    }

    async fn generate_thumbnails(&self, asset: AssetRecord) -> std::result::Result<(), StepError> {
        let original = self.original_path(&asset)?;
        let is_video = asset.asset_type == AssetType::Video.as_str();
        let tools = self.config().video_tools.clone();
        let derived = self
            .blocking(move || {
                let options = derive::DeriveOptions::default();
                if is_video {
                    let info = video::probe(&tools, &original).map_err(media_error)?;
                    let (rgba, w, h) =
                        video::poster_frame(&tools, &original, &info, options.preview_size)
                            .map_err(media_error)?;
                    return derive::derive_from_rgba(&rgba, w, h, &options).map_err(media_error);
                }
                let m = meta::read_metadata(&original).map_err(media_error)?;
                match m.embedded_preview {
                    // RAW files: the camera's own JPEG rendering, as Immich uses.
                    Some(range) if is_raw(m.format) => {
                        let bytes = read_range(&original, range)?;
                        derive::derive_image(
                            derive::ImageInput::Bytes(&bytes),
                            m.orientation,
                            &options,
                        )
                    }
                    _ => derive::derive_image(
                        derive::ImageInput::File(&original),
                        m.orientation,
                        &options,
                    ),
                }
                .map_err(media_error)
            })
            .await?;

        let files = [
            (
                AssetFile {
                    kind: PREVIEW.into(),
                    path: derived_key("thumbs", &asset, "_preview.jpeg"),
                },
                &derived.preview_jpeg,
            ),
            (
                AssetFile {
                    kind: THUMBNAIL.into(),
                    path: derived_key("thumbs", &asset, "_thumbnail.webp"),
                },
                &derived.thumbnail_webp,
            ),
        ];
        for (file, bytes) in &files {
            self.blobs().put_replacing(&file.path, bytes).await?;
        }
        let records: Vec<AssetFile> = files.iter().map(|(f, _)| f.clone()).collect();
        if !self
            .db()
            .set_thumbnails(&asset.id, Some(&derived.thumbhash), &records)
            .await?
        {
            // Removed while we worked: take the files back out.
            for f in &records {
                self.blobs().delete(&f.path).await?;
            }
        } else if matches!(asset.visibility.as_str(), "timeline" | "archive") {
            self.emit(crate::LibraryEvent::AssetReady {
                owner_id: asset.owner_id.clone(),
                asset_id: asset.id.clone(),
            });
        }
        Ok(())
    }

    async fn encode_video(&self, asset: AssetRecord) -> std::result::Result<(), StepError> {
        let original = self.original_path(&asset)?;
        let tools = self.config().video_tools.clone();
        let options = self.config().transcode.clone();
        let tmp = self.blobs().temp_path("mp4");
        let tmp_for_task = tmp.clone();
        let encoded = self
            .blocking(move || {
                let info = video::probe(&tools, &original).map_err(media_error)?;
                if !video::transcode_needed(&info, &options) {
                    return Ok(false);
                }
                let result = video::transcode(&tools, &original, &tmp_for_task, &info, &options);
                if result.is_err() {
                    let _ = std::fs::remove_file(&tmp_for_task);
                }
                result.map_err(media_error).map(|_| true)
            })
            .await?;
        if !encoded {
            self.db().set_encoded_video(&asset.id, None).await?;
            return Ok(());
        }
        let file = AssetFile {
            kind: ENCODED_VIDEO.into(),
            path: derived_key("encoded-video", &asset, ".mp4"),
        };
        self.blobs().replace_from(&tmp, &file.path).await?;
        if !self.db().set_encoded_video(&asset.id, Some(&file)).await? {
            self.blobs().delete(&file.path).await?;
        }
        Ok(())
    }

    /// Writes the user's edits (description, rating, date, place, tags) into
    /// the asset's XMP sidecar, keeping whatever else other tools put there.
    async fn write_sidecar(&self, asset: AssetRecord) -> std::result::Result<(), StepError> {
        // What the sidecar says now: the asset's own, or (before the first
        // write) one next to the original.
        let current = asset
            .sidecar_path
            .clone()
            .unwrap_or_else(|| format!("{}.xmp", asset.original_path));
        // Where the edits go: next to the original, except for an external
        // asset, whose folder Keepsake never writes to; its sidecar lives in
        // the store, starting from what the one beside the file said.
        let key = match &asset.sidecar_path {
            Some(k) if !Path::new(k).is_absolute() => k.clone(),
            _ if asset.library_id.is_some() => derived_key("sidecars", &asset, ".xmp"),
            _ => current.clone(),
        };
        let existing = match self.asset_file(&asset, &current) {
            Ok(path) => match tokio::fs::read_to_string(&path).await {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(StepError::Retry(format!("cannot read {current}: {e}"))),
            },
            Err(e) => return Err(e.into()),
        };
        // A sidecar another tool wrote badly is left alone rather than replaced:
        // what is in it may be all someone has of those edits.
        if let Some(text) = &existing
            && let Err(e) = xmp::parse(text)
        {
            return Err(StepError::Abort(format!(
                "the sidecar {key} is not valid XMP ({e}); it was left as it is, so the edit is only in the database"
            )));
        }
        let tags = self
            .db()
            .asset_tags(&asset.id)
            .await?
            .into_iter()
            .map(|t| t.value)
            .collect();
        let fields = sidecar_fields(&asset, tags);
        let text = xmp::write(existing.as_deref(), &fields);
        self.blobs().put_replacing(&key, text.as_bytes()).await?;
        if asset.sidecar_path.as_deref() != Some(key.as_str()) {
            self.db()
                .replace_sidecar_path(&asset.id, asset.sidecar_path.as_deref(), &key)
                .await?;
        }
        Ok(())
    }

    /// Queues a sidecar rewrite for each asset (after an edit of what sidecars hold).
    /// Not deduplicated: a write already running may have read the state from
    /// before this edit, so every edit gets its own (cheap) write, run in order.
    pub(crate) async fn queue_sidecar_writes(&self, asset_ids: &[String]) -> Result<()> {
        for id in asset_ids {
            let write = NewJob::new(SIDECAR_QUEUE, SIDECAR_KIND, format!("{{\"id\":\"{id}\"}}"))
                .for_asset(id);
            self.db().enqueue(&write).await?;
        }
        if !asset_ids.is_empty() {
            self.inner.jobs_ready.notify_waiters();
        }
        Ok(())
    }

    /// Enqueues a pipeline step for assets: those that never had it, or all
    /// (`force`). Returns how many were queued. Admin only.
    pub async fn queue_media_step(
        &self,
        caller: &Caller,
        queue: &str,
        force: bool,
    ) -> Result<usize> {
        caller.require(Permission::QUEUE_JOB_CREATE)?;
        caller.require_admin()?;
        let (step, kind) = match queue {
            METADATA_QUEUE => (MediaStep::Metadata, EXTRACT_KIND),
            THUMBNAIL_QUEUE => (MediaStep::Thumbnails, THUMBNAIL_KIND),
            VIDEO_QUEUE => (MediaStep::VideoEncode, ENCODE_KIND),
            _ => return Ok(0),
        };
        let mut n = 0;
        for (id, asset_type) in self.db().assets_for_step(step, force).await? {
            if step == MediaStep::VideoEncode && asset_type != AssetType::Video.as_str() {
                continue;
            }
            self.db().enqueue(&job(queue, kind, &id)).await?;
            n += 1;
        }
        self.inner.jobs_ready.notify_waiters();
        Ok(n)
    }

    /// A derived file of an asset the caller may see: `(absolute path, asset)`,
    /// or `None` when it has not been made (yet).
    pub async fn derived_file(
        &self,
        caller: &Caller,
        id: &str,
        kind: &str,
    ) -> Result<(Option<PathBuf>, AssetRecord)> {
        caller.require(Permission::ASSET_VIEW)?;
        let asset = self.readable_asset(caller, id).await?;
        let file = self
            .db()
            .asset_files(&asset.id)
            .await?
            .into_iter()
            .find(|f| f.kind == kind);
        let path = match file {
            Some(f) => Some(self.blobs().path_of(&f.path)?),
            None => None,
        };
        Ok((path, asset))
    }

    /// The original of an asset the caller may view, for showing it in full
    /// size (Immich's `size=fullsize` of a browser-displayable image).
    pub async fn viewable_original(&self, caller: &Caller, id: &str) -> Result<PathBuf> {
        caller.require(Permission::ASSET_VIEW)?;
        let asset = self.readable_asset(caller, id).await?;
        self.served_original(&asset)
    }

    /// The file to play for a video: its browser-playable encoding when one
    /// was made, else the original.
    pub async fn playback_file(&self, caller: &Caller, id: &str) -> Result<(PathBuf, AssetRecord)> {
        caller.require(Permission::ASSET_VIEW)?;
        let asset = self.readable_asset(caller, id).await?;
        if asset.asset_type != AssetType::Video.as_str() {
            return Err(LibraryError::Invalid("Asset is not a video".into()));
        }
        let encoded = self
            .db()
            .asset_files(&asset.id)
            .await?
            .into_iter()
            .find(|f| f.kind == ENCODED_VIDEO);
        let path = match encoded {
            Some(f) => self.blobs().path_of(&f.path)?,
            None => self.served_original(&asset)?,
        };
        Ok((path, asset))
    }
}

fn is_raw(format: Option<&str>) -> bool {
    matches!(
        format,
        Some("dng" | "cr2" | "cr3" | "nef" | "arw" | "raf" | "rw2" | "orf")
    )
}

fn read_range(path: &Path, range: meta::ByteRange) -> std::result::Result<Vec<u8>, StepError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)
        .map_err(|e| StepError::Retry(format!("cannot open {}: {e}", path.display())))?;
    let len = f
        .metadata()
        .map_err(|e| StepError::Retry(e.to_string()))?
        .len();
    if range
        .offset
        .checked_add(range.len)
        .is_none_or(|end| end > len)
        || range.len > 1 << 30
    {
        return Err(StepError::Abort(format!(
            "embedded data at {}+{} lies outside the file",
            range.offset, range.len
        )));
    }
    f.seek(SeekFrom::Start(range.offset))
        .map_err(|e| StepError::Retry(e.to_string()))?;
    let mut buf = vec![0; range.len as usize];
    f.read_exact(&mut buf)
        .map_err(|e| StepError::Retry(e.to_string()))?;
    Ok(buf)
}

fn read_sidecar(path: &Path) -> std::result::Result<Option<xmp::Sidecar>, StepError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StepError::Retry(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    // A broken sidecar must not hide the photo's own metadata.
    match xmp::parse(&text) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignored an unreadable XMP sidecar");
            Ok(None)
        }
    }
}

/// The instant of a date as written in a file: with its offset when it has
/// one, else the wall clock read as UTC.
fn instant_of(d: &CaptureDate) -> i64 {
    Timestamp::from_civil(d.local).0 - d.offset_minutes.unwrap_or(0) as i64 * 60_000
}

/// Combines what the file, its sidecar and ffprobe say into what the store keeps.
pub(crate) fn metadata_update(
    m: &MediaMetadata,
    sidecar: Option<&xmp::Sidecar>,
    probed: Option<&video::VideoInfo>,
    file_name: &str,
    file_created_at: Timestamp,
    file_modified_at: Timestamp,
) -> MetadataUpdate {
    let date = dates::resolve(&DateInputs {
        sidecar,
        metadata: Some(m),
        file_name,
        file_created_at,
        file_modified_at,
    });
    let gps = sidecar.and_then(|s| s.gps).or(m.gps);
    let place = gps.and_then(|g| geocode::reverse_geocode(g.latitude, g.longitude));
    let stream = probed.and_then(|p| p.video.as_ref());
    let (width, height) = match stream {
        Some(s) => {
            let (w, h) = s.display_size();
            (Some(w as i64), Some(h as i64))
        }
        None => match (m.width, m.height) {
            (Some(w), Some(h)) if matches!(m.orientation, Some(5..=8)) => {
                (Some(h as i64), Some(w as i64))
            }
            (w, h) => (w.map(i64::from), h.map(i64::from)),
        },
    };
    let tags = match sidecar {
        Some(s) if !s.tags.is_empty() => s.tags.clone(),
        _ => m.tags.clone(),
    };
    MetadataUpdate {
        make: m.make.clone(),
        model: m.model.clone(),
        lens_model: m.lens_model.clone(),
        exif_image_width: m.width.map(i64::from).or(stream.map(|s| s.width as i64)),
        exif_image_height: m.height.map(i64::from).or(stream.map(|s| s.height as i64)),
        orientation: m.orientation.map(|o| o.to_string()),
        date_time_original: Some(date.instant.0),
        local_date_time: Some(date.local.0),
        time_zone: date.time_zone,
        modify_date: m.modify_date.as_ref().map(instant_of),
        latitude: gps.map(|g| g.latitude),
        longitude: gps.map(|g| g.longitude),
        city: place.as_ref().map(|p| p.city.clone()),
        state: place.as_ref().and_then(|p| p.state.clone()),
        country: place.as_ref().map(|p| p.country.clone()),
        description: sidecar
            .and_then(|s| s.description.clone())
            .or_else(|| m.description.clone()),
        rating: sidecar.and_then(|s| s.rating).or(m.rating).map(i64::from),
        tags,
        f_number: m.f_number,
        focal_length: m.focal_length,
        iso: m.iso.map(i64::from),
        exposure_time: m.exposure_time.clone(),
        fps: stream.and_then(|s| s.fps).or(m.fps),
        projection_type: m.projection_type.clone(),
        profile_description: m.profile_description.clone(),
        colorspace: m.colorspace.clone(),
        bits_per_sample: m.bits_per_sample.map(i64::from),
        live_photo_cid: m.live_photo_cid.clone(),
        width,
        height,
        duration_ms: probed
            .and_then(|p| p.duration_ms)
            .or(m.duration_ms)
            .map(|d| d as i64),
    }
}

/// What Keepsake writes to a sidecar, from the asset as the store has it.
fn sidecar_fields(asset: &AssetRecord, tags: Vec<String>) -> xmp::Sidecar {
    let e = &asset.exif;
    let date = e.date_time_original.map(|instant| {
        // A known zone means the wall clock differs from the instant by its offset.
        let offset = e
            .time_zone
            .as_ref()
            .map(|_| ((asset.local_date_time - instant) / 60_000) as i32);
        CaptureDate {
            local: Timestamp(asset.local_date_time).civil(),
            offset_minutes: offset,
        }
    });
    xmp::Sidecar {
        description: Some(e.description.clone()).filter(|d| !d.is_empty()),
        rating: e.rating.and_then(|r| i8::try_from(r).ok()),
        tags,
        date_time_original: date,
        gps: match (e.latitude, e.longitude) {
            (Some(latitude), Some(longitude)) => Some(meta::Gps {
                latitude,
                longitude,
                altitude: None,
            }),
            _ => None,
        },
    }
}
