//! The library: every operation a person can perform on their photos, as plain
//! async functions. HTTP handlers, importers and the CLI all come through here,
//! so permission checks live here and nowhere else.
//!
//! The main type is [`Library`]; you get one from [`Library::open`] with a
//! [`LibraryConfig`]. Every operation takes a [`Caller`] (who is asking, and
//! through which credential) and returns records from `keepsake-db` or a
//! [`LibraryError`]. [`Library::start_workers`] runs the job queue.
//!
//! Invariants:
//! - nothing in this crate knows about HTTP, JSON wire names or Immich's DTOs;
//! - a row in `assets` always has its original on disk: files are written and
//!   fsynced before the row commits, and removed only after the row is gone;
//!   an external library's asset has it at its path in place, or is offline
//!   (and Keepsake never writes or removes a file there).

mod albums;
mod assets;
mod auth;
mod browse;
mod download;
mod error;
mod events;
pub mod imports;
mod libraries;
mod media;
pub mod remote;
mod resumable;
mod secrets;
mod server;
pub mod sync;
mod tags;
mod users;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;

use keepsake_blobs::BlobStore;
use keepsake_core::Permission;
use keepsake_core::permission::grants;
use keepsake_db::{Db, UserRecord};

pub use albums::{AlbumMemberChange, BulkError, BulkResults, NewAlbum};
pub use assets::{BulkCheckItem, BulkCheckResult, DeleteMode, UploadMeta, UploadOutcome};
pub use auth::{LoginOutcome, NewApiKey};
pub use browse::{MapQuery, SearchQuery, SuggestionQuery, TimelineQuery};
pub use download::{DEFAULT_ARCHIVE_SIZE, DownloadFile};
pub use error::{ErrorKind, LibraryError, Result};
pub use events::LibraryEvent;
pub use keepsake_blobs::{FinishedBlob, TempBlob};
pub use keepsake_db as db;
pub use keepsake_db::tags::TagRecord;
pub use keepsake_media::video::{Tools as VideoTools, TranscodeOptions};
pub use libraries::scan::LIBRARY_QUEUE;
pub use libraries::{LibraryValidation, NewLibraryInput, PathCheck, ScanReport};
pub use media::{ENCODED_VIDEO, METADATA_QUEUE, PREVIEW, THUMBNAIL, THUMBNAIL_QUEUE, VIDEO_QUEUE};
pub use resumable::{AppendStart, Appender, UploadState};
pub use server::{ServerStatistics, StorageInfo, UserUsage};
pub use users::{AdminUserChanges, NewUserInput};
pub use worker::{QueueInfo, WorkerHandle};

/// Settings the library needs; the binary builds it from flags, environment and defaults.
#[derive(Debug, Clone)]
pub struct LibraryConfig {
    /// Where originals, temp files and (later) derived files live.
    pub data_dir: PathBuf,
    /// `postgres://…` or a SQLite path; `None` means `<data_dir>/keepsake.db`.
    pub database: Option<String>,
    /// Storage template for originals (see `keepsake_core::template`).
    pub storage_template: String,
    /// Days an asset stays in the trash before it is removed for good.
    pub trash_days: i64,
    /// Days delete records are kept for incremental sync.
    pub change_retention_days: i64,
    /// Background jobs run at once.
    pub worker_concurrency: usize,
    /// Where ffmpeg and ffprobe are, and their time limits.
    pub video_tools: keepsake_media::video::Tools,
    /// When and how videos are re-encoded for browsers.
    pub transcode: keepsake_media::video::TranscodeOptions,
    /// Watch external libraries' import paths and scan what changes (inotify).
    pub watch_libraries: bool,
    /// The key that seals stored sign-ins; `None` means `<data_dir>/secret.key`
    /// (made on first use). Servers sharing one database need the same key.
    pub secret_key_file: Option<PathBuf>,
    /// How often live-update connections are pinged, and how long a pong may take.
    pub live_ping_interval: std::time::Duration,
    pub live_ping_timeout: std::time::Duration,
}

impl LibraryConfig {
    pub fn new(data_dir: PathBuf) -> LibraryConfig {
        LibraryConfig {
            data_dir,
            database: None,
            storage_template: keepsake_core::template::DEFAULT_TEMPLATE.to_string(),
            trash_days: 30,
            change_retention_days: 30,
            worker_concurrency: 2,
            video_tools: Default::default(),
            transcode: Default::default(),
            watch_libraries: false,
            secret_key_file: None,
            live_ping_interval: std::time::Duration::from_secs(25),
            live_ping_timeout: std::time::Duration::from_secs(20),
        }
    }

    /// The database target this config resolves to.
    pub fn database_target(&self) -> String {
        match &self.database {
            Some(url) => url.clone(),
            None => self
                .data_dir
                .join("keepsake.db")
                .to_string_lossy()
                .into_owned(),
        }
    }
}

/// The library: metadata store, file store and queue, cheap to clone.
#[derive(Clone)]
pub struct Library {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    blobs: BlobStore,
    config: LibraryConfig,
    jobs_ready: tokio::sync::Notify,
    started_at: std::time::Instant,
    media_threads: media::MediaThreads,
    /// The external libraries' watcher, while workers run with watching on.
    watcher: std::sync::Mutex<Option<libraries::watch::WatchState>>,
    /// Live-update events (see `events`).
    events: tokio::sync::broadcast::Sender<LibraryEvent>,
    /// Seals what outside services gave a person (see `secrets`).
    secret: secrets::SecretKey,
    /// Resumable uploads being appended to in this process.
    appending: resumable::Appending,
    /// A shared lock on `<data dir>/keepsake.lock`, held while the library is
    /// open, so start-up clean-up never runs under another process's feet.
    _data_dir_lock: std::fs::File,
}

/// Who is calling, and through which credential.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRecord,
    pub credential: Credential,
}

#[derive(Debug, Clone)]
pub enum Credential {
    /// A login session (web app, mobile app): everything the account may do.
    Session { session_id: String },
    /// An API key, limited to its permissions.
    ApiKey {
        key_id: String,
        permissions: Vec<Permission>,
    },
    /// The `keepsake` command on the host itself, acting for a user.
    Local,
}

impl Caller {
    /// Fails with Immich's `Missing required permission: <perm>` unless the
    /// credential holds `permission` (sessions and local callers hold all).
    pub fn require(&self, permission: Permission) -> Result<()> {
        match &self.credential {
            Credential::ApiKey { permissions, .. } if !grants(permissions, permission) => Err(
                LibraryError::Forbidden(format!("Missing required permission: {permission}")),
            ),
            _ => Ok(()),
        }
    }

    /// Fails unless the caller is an admin.
    pub fn require_admin(&self) -> Result<()> {
        if self.user.is_admin {
            Ok(())
        } else {
            Err(LibraryError::Forbidden("Forbidden".into()))
        }
    }

    pub fn user_id(&self) -> &str {
        &self.user.id
    }

    /// The caller as the command line acts for `user`.
    pub fn local(user: UserRecord) -> Caller {
        Caller {
            user,
            credential: Credential::Local,
        }
    }
}

impl Library {
    /// Opens the library: creates the data directory, connects and migrates the
    /// database, and cleans up what a crash may have left (temp files, files
    /// linked for an upload whose row never committed).
    pub async fn open(config: LibraryConfig) -> Result<Library> {
        tokio::fs::create_dir_all(&config.data_dir).await.map_err(|e| {
            LibraryError::Unavailable(format!(
                "cannot create the data directory {}: {e}; pass --data-dir with a writable folder",
                config.data_dir.display()
            ))
        })?;
        let lock_path = config.data_dir.join("keepsake.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| {
                LibraryError::Unavailable(format!(
                    "cannot open {}: {e}; check the data directory's permissions",
                    lock_path.display()
                ))
            })?;
        // Alone (nobody else holds the lock): clean up after a crash. Another
        // process (the server, or a CLI import next to it) may be mid-upload,
        // and its temp and pending files are not leftovers.
        let alone = lock.try_lock().is_ok();
        let secret = secrets::SecretKey::load_or_create(
            &config
                .secret_key_file
                .clone()
                .unwrap_or_else(|| secrets::key_path(&config.data_dir)),
        )?;
        let db = Db::connect(&config.database_target()).await?;
        let blobs = BlobStore::open_local(&config.data_dir).await?;
        let media_threads = media::MediaThreads::start(config.worker_concurrency);
        let library = Library {
            inner: Arc::new(Inner {
                db,
                blobs,
                config,
                jobs_ready: tokio::sync::Notify::new(),
                started_at: std::time::Instant::now(),
                media_threads,
                watcher: std::sync::Mutex::new(None),
                events: tokio::sync::broadcast::channel(events::EVENT_CAPACITY).0,
                secret,
                appending: resumable::Appending::default(),
                _data_dir_lock: lock,
            }),
        };
        if alone {
            library.recover().await?;
            let lock = &library.inner._data_dir_lock;
            lock.unlock()
                .and_then(|()| lock.lock_shared())
                .map_err(|e| {
                    LibraryError::Internal(format!("cannot share the data directory lock: {e}"))
                })?;
        } else {
            library.inner._data_dir_lock.lock_shared().map_err(|e| {
                LibraryError::Internal(format!("cannot share the data directory lock: {e}"))
            })?;
            tracing::info!(
                "another Keepsake process has this data directory open; start-up clean-up left to it"
            );
        }
        Ok(library)
    }

    /// Takes `<data>/locks/NAME.lock` without waiting: `None` when another
    /// process (or another open of it here) holds it. The lock goes with its
    /// process, so a killed holder never leaves it stale.
    pub(crate) fn try_lock_file(&self, name: &str) -> Result<Option<std::fs::File>> {
        let dir = self.config().data_dir.join("locks");
        std::fs::create_dir_all(&dir).map_err(|e| {
            LibraryError::Unavailable(format!("cannot create {}: {e}", dir.display()))
        })?;
        let path = dir.join(format!("{name}.lock"));
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                LibraryError::Unavailable(format!("cannot open {}: {e}", path.display()))
            })?;
        Ok(lock.try_lock().is_ok().then_some(lock))
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    pub fn config(&self) -> &LibraryConfig {
        &self.inner.config
    }

    /// Removes leftovers of an interrupted run; safe to call at any start.
    async fn recover(&self) -> Result<()> {
        let temps = self.blobs().sweep_temp().await?;
        self.settle_uploads().await?;
        let orphans = self.db().orphaned_pending_files().await?;
        let mut cleared = Vec::new();
        for (path, checksum) in orphans {
            match self.blobs().sha1_of(&path).await {
                Ok(actual) if actual.as_slice() == checksum.as_slice() => {
                    self.blobs().delete(&path).await?;
                    tracing::warn!(%path, "removed a file left by an upload that did not finish");
                }
                Ok(_) => {
                    tracing::warn!(%path, "kept a file whose content is not the interrupted upload's")
                }
                Err(keepsake_blobs::BlobError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
            cleared.push(path);
        }
        self.db().clear_pending_files(&cleared).await?;
        let runs = self.db().interrupt_running_imports().await?;
        if runs > 0 {
            tracing::warn!(
                runs,
                "import runs were cut off; starting the same import again resumes them"
            );
        }
        if temps > 0 || !cleared.is_empty() {
            tracing::info!(
                temps,
                pending = cleared.len(),
                "cleaned up after an interrupted run"
            );
        }
        Ok(())
    }

    /// Closes the database pool (tests; the server just exits).
    pub async fn close(&self) {
        self.inner.db.close().await;
    }
}
