//! Resumable uploads: a file sent over several requests, which survives a
//! dropped connection (and a server restart) without sending again what
//! already arrived.
//!
//! The HTTP side speaks the IETF "Resumable Uploads for HTTP" draft (create,
//! ask the offset, append from it, cancel); this module is what it stands on.
//! An upload belongs to the person who started it: to anyone else it does not
//! exist. Its bytes and description live in the file store's `uploads/`
//! folder (see `keepsake_blobs::partial`), so they are on the node that took
//! them; the ingest at the end is the same as for `POST /assets`, so the
//! library's invariants (a row always has its file) hold unchanged.
//!
//! One request appends at a time. A client that lost its connection may come
//! back before the server has noticed; the newcomer then *takes over*: the
//! old request is told to stop, its bytes so far are kept, and the new one
//! continues from the offset they reach.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use keepsake_core::{Permission, Timestamp, Visibility};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::{Caller, ErrorKind, Library, LibraryError, Result, UploadMeta, UploadOutcome};

/// How long an upload nobody appends to is kept.
const UPLOAD_EXPIRY: Duration = Duration::from_secs(24 * 3600);

/// How long a new request waits for the one it takes over to let go.
const TAKEOVER_WAIT: Duration = Duration::from_secs(30);

/// What a client learns about its upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadState {
    pub id: String,
    /// Bytes received so far.
    pub offset: u64,
    /// The whole length, when the client said it.
    pub length: Option<u64>,
}

/// The stored description of an upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Info {
    owner: String,
    length: Option<u64>,
    /// The offset known to be on stable storage.
    settled: u64,
    file_name: String,
    file_created_at: Option<i64>,
    file_modified_at: Option<i64>,
    is_favorite: bool,
    visibility: Option<String>,
    duration_ms: Option<i64>,
    live_photo_video_id: Option<String>,
}

impl Info {
    fn meta(&self) -> UploadMeta {
        UploadMeta {
            file_name: self.file_name.clone(),
            file_created_at: self.file_created_at.map(Timestamp),
            file_modified_at: self.file_modified_at.map(Timestamp),
            is_favorite: self.is_favorite,
            visibility: self.visibility.as_deref().and_then(Visibility::parse),
            duration_ms: self.duration_ms,
            live_photo_video_id: self.live_photo_video_id.clone(),
        }
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("plain data serialises")
    }
}

/// The appenders of uploads in this process, so that one request appends at
/// a time and a newcomer can take over.
#[derive(Default)]
pub(crate) struct Appending {
    slots: std::sync::Mutex<HashMap<String, Arc<Slot>>>,
    /// When uploads were last swept for expiry (ms since the epoch).
    last_sweep: std::sync::atomic::AtomicI64,
}

struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    /// Bumped by each newcomer; the current appender stops when it changes.
    takeover: tokio::sync::watch::Sender<u64>,
    /// The SHA-1 of the bytes so far and how many they were, carried from
    /// one request to the next so completing needs no second read of the
    /// file. Lost with the process (or a failed write): then the file is read.
    hash: std::sync::Mutex<Option<(u64, Sha1)>>,
}

impl Appending {
    fn slot(&self, id: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().expect("not poisoned");
        slots
            .entry(id.to_string())
            .or_insert_with(|| {
                Arc::new(Slot {
                    lock: Arc::new(tokio::sync::Mutex::new(())),
                    takeover: tokio::sync::watch::channel(0).0,
                    hash: std::sync::Mutex::new(None),
                })
            })
            .clone()
    }

    /// True at most once an hour: listing the folder at every upload would
    /// cost more than the expiry is worth.
    fn sweep_due(&self) -> bool {
        use std::sync::atomic::Ordering;
        let now = keepsake_db::now_ms();
        let last = self.last_sweep.load(Ordering::Relaxed);
        now - last >= 3_600_000
            && self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    fn forget(&self, id: &str) {
        self.slots.lock().expect("not poisoned").remove(id);
    }
}

/// The start of an append: ready, or the client's offset is not ours.
pub enum AppendStart {
    Ready(Box<Appender>),
    /// The client sent an offset other than the upload's; it should ask again.
    Mismatch {
        offset: u64,
    },
}

/// The one request appending to an upload. Bytes written are kept even when
/// it is dropped; [`Appender::pause`] or [`Appender::complete`] make them durable.
pub struct Appender {
    library: Library,
    id: String,
    info: Info,
    writer: keepsake_blobs::PartialWriter,
    hasher: Option<Sha1>,
    slot: Arc<Slot>,
    takeover: tokio::sync::watch::Receiver<u64>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Library {
    /// Starts an upload. `length` is the whole file's size when the client
    /// knows it; it is checked against the quota and the free disk now, before
    /// any bytes travel.
    pub async fn create_upload(
        &self,
        caller: &Caller,
        meta: UploadMeta,
        length: Option<u64>,
    ) -> Result<UploadState> {
        self.check_upload_name(caller, &meta.file_name)?;
        if length == Some(0) {
            return Err(LibraryError::Invalid("File is empty".into()));
        }
        if let Some(len) = length {
            if let Some(quota) = caller.user.quota_size_bytes {
                let used = self.db().usage_bytes(caller.user_id()).await?;
                if used + len as i64 > quota {
                    return Err(LibraryError::Invalid("Quota has been exceeded!".into()));
                }
            }
            if let Ok((available, _)) = self.blobs().disk_space()
                && len > available
            {
                return Err(LibraryError::StorageFull(format!(
                    "the server's disk has {available} bytes free and this file needs {len}; free some space and try again"
                )));
            }
        }
        if self.inner.appending.sweep_due() {
            self.sweep_expired_uploads().await;
        }
        let id = keepsake_db::new_id();
        let info = Info {
            owner: caller.user_id().to_string(),
            length,
            settled: 0,
            file_name: meta.file_name,
            file_created_at: meta.file_created_at.map(|t| t.0),
            file_modified_at: meta.file_modified_at.map(|t| t.0),
            is_favorite: meta.is_favorite,
            visibility: meta.visibility.map(|v| v.as_str().to_string()),
            duration_ms: meta.duration_ms,
            live_photo_video_id: meta.live_photo_video_id,
        };
        self.blobs().create_partial(&id, &info.encode()).await?;
        Ok(UploadState {
            id,
            offset: 0,
            length,
        })
    }

    /// How much of an upload has arrived.
    pub async fn upload_state(&self, caller: &Caller, id: &str) -> Result<UploadState> {
        let (info, offset) = self.upload_info(caller, id).await?;
        Ok(UploadState {
            id: id.to_string(),
            offset,
            length: info.length,
        })
    }

    /// Begins appending at `offset`, taking over from a request still
    /// appending to the same upload.
    pub async fn append_upload(
        &self,
        caller: &Caller,
        id: &str,
        offset: u64,
        length: Option<u64>,
    ) -> Result<AppendStart> {
        // Checked before taking over, so that nobody but the owner can stop a request.
        self.upload_info(caller, id).await?;
        let slot = self.inner.appending.slot(id);
        slot.takeover.send_modify(|n| *n += 1);
        let guard = tokio::time::timeout(TAKEOVER_WAIT, slot.lock.clone().lock_owned())
            .await
            .map_err(|_| {
                LibraryError::Conflict(
                    "another request is still sending this upload; ask for its offset and try again"
                        .into(),
                )
            })?;
        // Subscribed after our own bump, so only a later newcomer stops us.
        let takeover = slot.takeover.subscribe();
        // Read again: the upload may have ended, grown or learnt its length
        // while we waited.
        let (mut info, current) = self.upload_info(caller, id).await?;
        if offset != current {
            return Ok(AppendStart::Mismatch { offset: current });
        }
        match (info.length, length) {
            (Some(a), Some(b)) if a != b => {
                return Err(LibraryError::Invalid(format!(
                    "Upload-Length {b} differs from the {a} this upload was started with"
                )));
            }
            (None, Some(b)) => {
                if b < current {
                    return Err(LibraryError::Invalid(format!(
                        "Upload-Length {b} is less than the {current} bytes already received"
                    )));
                }
                info.length = Some(b);
                self.blobs().write_partial_info(id, &info.encode()).await?;
            }
            _ => {}
        }
        let writer = self.blobs().append_partial(id).await?;
        let hasher = match slot.hash.lock().expect("not poisoned").take() {
            Some((at, h)) if at == writer.len() => Some(h),
            _ if writer.is_empty() => Some(Sha1::new()),
            _ => None,
        };
        Ok(AppendStart::Ready(Box::new(Appender {
            library: self.clone(),
            id: id.to_string(),
            info,
            writer,
            hasher,
            slot,
            takeover,
            _guard: guard,
        })))
    }

    /// Abandons an upload and removes what arrived.
    pub async fn cancel_upload(&self, caller: &Caller, id: &str) -> Result<()> {
        self.upload_info(caller, id).await?;
        let slot = self.inner.appending.slot(id);
        slot.takeover.send_modify(|n| *n += 1);
        let _guard = tokio::time::timeout(TAKEOVER_WAIT, slot.lock.clone().lock_owned())
            .await
            .map_err(|_| LibraryError::Conflict("the upload is still being sent".into()))?;
        self.blobs().delete_partial(id).await?;
        self.inner.appending.forget(id);
        Ok(())
    }

    async fn upload_info(&self, caller: &Caller, id: &str) -> Result<(Info, u64)> {
        caller.require(Permission::ASSET_UPLOAD)?;
        let gone = || {
            LibraryError::NotFound("Upload not found; it ended, expired (uploads untouched for a day are removed) or was never started".into())
        };
        let (bytes, len) = match self.blobs().read_partial(id).await {
            Ok(x) => x,
            Err(keepsake_blobs::BlobError::NotFound(_)) => return Err(gone()),
            Err(e) => return Err(e.into()),
        };
        let info: Info = serde_json::from_slice(&bytes).map_err(|e| {
            LibraryError::Internal(format!("the description of upload {id} is unreadable: {e}"))
        })?;
        if info.owner != caller.user_id() {
            return Err(gone());
        }
        Ok((info, len))
    }

    /// Removes uploads nobody appended to for [`UPLOAD_EXPIRY`]. Called by
    /// housekeeping and, at most hourly, when an upload starts; failures are logged, not raised.
    pub(crate) async fn sweep_expired_uploads(&self) {
        let list = match self.blobs().list_partials().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "could not list partial uploads");
                return;
            }
        };
        for (id, age) in list {
            if age < UPLOAD_EXPIRY {
                continue;
            }
            let slot = self.inner.appending.slot(&id);
            let Ok(_guard) = slot.lock.clone().try_lock_owned() else {
                continue;
            };
            match self.blobs().delete_partial(&id).await {
                Ok(()) => {
                    self.inner.appending.forget(&id);
                    tracing::info!(%id, "removed an upload untouched for a day");
                }
                Err(e) => tracing::warn!(%id, error = %e, "could not remove an expired upload"),
            }
        }
    }

    /// At start-up: cuts every partial upload back to the bytes known to be
    /// on disk (a crash may have left an unsynced tail).
    pub(crate) async fn settle_uploads(&self) -> Result<()> {
        self.blobs().sweep_partial_leftovers().await?;
        for (id, _) in self.blobs().list_partials().await? {
            let Ok((bytes, _)) = self.blobs().read_partial(&id).await else {
                continue;
            };
            match serde_json::from_slice::<Info>(&bytes) {
                Ok(info) => {
                    self.blobs().settle_partial(&id, info.settled).await?;
                }
                Err(e) => {
                    tracing::warn!(%id, error = %e, "removed an upload whose description is unreadable");
                    self.blobs().delete_partial(&id).await?;
                }
            }
        }
        Ok(())
    }
}

impl Appender {
    /// Appends bytes; refuses to go past the length the client announced.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(len) = self.info.length
            && self.writer.len() + bytes.len() as u64 > len
        {
            return Err(LibraryError::Invalid(format!(
                "more bytes than the Upload-Length of {len}; the upload keeps the first {}",
                self.writer.len()
            )));
        }
        match self.writer.write(bytes).await {
            Ok(()) => {
                if let Some(h) = &mut self.hasher {
                    h.update(bytes);
                }
                Ok(())
            }
            Err(e) => {
                // Part of the bytes may be in the file: the hash no longer fits.
                self.hasher = None;
                Err(e.into())
            }
        }
    }

    /// Resolves when a newer request has come to take over this upload.
    pub async fn superseded(&mut self) {
        if self.takeover.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Makes what arrived durable and lets go; returns the offset.
    pub async fn pause(mut self) -> Result<u64> {
        let offset = self.writer.sync().await?;
        if let Some(h) = self.hasher.take() {
            *self.slot.hash.lock().expect("not poisoned") = Some((offset, h));
        }
        if offset != self.info.settled {
            self.info.settled = offset;
            self.library
                .blobs()
                .write_partial_info(&self.id, &self.info.encode())
                .await?;
        }
        Ok(offset)
    }

    /// Ends the upload: the file is complete, so it becomes an asset (or is
    /// found to duplicate one). A refused file (wrong type, over quota) ends
    /// the upload; a full disk or an unavailable database keeps it, so the
    /// client can complete it again later without sending the bytes again.
    pub async fn complete(mut self, caller: &Caller) -> Result<UploadOutcome> {
        let offset = self.writer.sync().await?;
        if let Some(len) = self.info.length
            && offset != len
        {
            let settled = self.pause().await?;
            return Err(LibraryError::Invalid(format!(
                "the upload ended at byte {settled} of the {len} announced; send the rest"
            )));
        }
        self.info.settled = offset;
        let library = self.library.clone();
        let id = self.id.clone();
        let known = self.hasher.take().map(|h| (h.finalize().into(), offset));
        let blob = library.blobs().finish_partial(&id, known).await?;
        let result = library.ingest(caller, &blob, None, self.info.meta()).await;
        match &result {
            Err(e) if matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::Unavailable) => {
                // Put the bytes back where the client can complete them again.
                if let Err(e) = library
                    .blobs()
                    .return_partial(&id, &self.info.encode(), &blob)
                    .await
                {
                    tracing::warn!(%id, error = %e, "could not keep a refused upload for another try");
                }
            }
            _ => library.inner.appending.forget(&id),
        }
        library.blobs().discard(blob).await;
        result
    }
}
