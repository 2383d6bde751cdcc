//! The job workers: in-process loops that claim jobs from the durable queue
//! and run them, plus an hourly housekeeping job. Job handlers are idempotent
//! (a job may run twice after a lease expires); a handler's error is recorded
//! on the job, retried with exponential backoff, and never stops the worker.
//!
//! Uploads never wait for this queue: ingest commits its row and answers; only
//! follow-up work (file removal now, metadata and thumbnails later) is queued.

use std::time::Duration;

use keepsake_core::Permission;
use keepsake_db::JobRecord;
use keepsake_db::assets::{FILE_DELETE_KIND, FILE_DELETE_QUEUE};
use keepsake_db::jobs::NewJob;

use crate::{Caller, Library, LibraryError, Result};

/// Immich's queue names, which clients show; Keepsake runs jobs in the ones it uses.
pub const QUEUE_NAMES: &[&str] = &[
    "thumbnailGeneration",
    "metadataExtraction",
    "videoConversion",
    "faceDetection",
    "facialRecognition",
    "smartSearch",
    "duplicateDetection",
    "backgroundTask",
    "storageTemplateMigration",
    "migration",
    "search",
    "sidecar",
    "library",
    "notifications",
    "backupDatabase",
    "ocr",
    "workflow",
    "integrityCheck",
    "editor",
];

const HOUSEKEEPING_KIND: &str = "Housekeeping";
const LEASE_MS: i64 = 60_000;

/// A queue's state for the admin views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    pub name: String,
    pub is_paused: bool,
    pub waiting: i64,
    pub delayed: i64,
    pub active: i64,
    pub completed: i64,
    pub failed: i64,
}

/// Running workers; [`WorkerHandle::stop`] lets the current jobs finish.
pub struct WorkerHandle {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl WorkerHandle {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

enum JobError {
    /// Worth another try later (I/O hiccup, database busy).
    Retry(String),
    /// Will fail the same way every time (corrupt input).
    Abort(String),
}

impl Library {
    /// Starts `worker_concurrency` workers and the housekeeping timer.
    pub fn start_workers(&self) -> WorkerHandle {
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for n in 0..self.config().worker_concurrency.max(1) {
            let library = self.clone();
            let mut stop_rx = stop_rx.clone();
            let name = format!("{}-{}-{n}", hostname(), std::process::id());
            tasks.push(tokio::spawn(async move {
                library.worker_loop(&name, &mut stop_rx).await
            }));
        }
        if self.config().watch_libraries
            && let Some(task) = self.start_watching(stop_rx.clone())
        {
            tasks.push(task);
        }
        let library = self.clone();
        let mut stop_rx = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let job =
                    NewJob::new(FILE_DELETE_QUEUE, HOUSEKEEPING_KIND, "{}").unique("housekeeping");
                if let Err(e) = library.db().enqueue(&job).await {
                    tracing::warn!(error = %e, "could not schedule housekeeping");
                }
                library.inner.jobs_ready.notify_waiters();
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                    _ = stop_rx.changed() => return,
                }
            }
        }));
        WorkerHandle { stop, tasks }
    }

    async fn worker_loop(&self, name: &str, stop: &mut tokio::sync::watch::Receiver<bool>) {
        // Removing files first keeps the disk honest; then the media pipeline in order.
        let mut queues = vec![FILE_DELETE_QUEUE.to_string()];
        queues.extend(crate::media::MEDIA_QUEUES.iter().map(|q| q.to_string()));
        queues.push(crate::LIBRARY_QUEUE.to_string());
        loop {
            if *stop.borrow() {
                return;
            }
            let notified = self.inner.jobs_ready.notified();
            match self.db().claim_job(&queues, name, LEASE_MS).await {
                Ok(Some(job)) => {
                    self.run_job(name, job).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not claim a job; retrying"),
            }
            // Other processes (the CLI, other servers) enqueue too, so poll as well as wait.
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.changed() => return,
            }
        }
    }

    async fn run_job(&self, worker: &str, job: JobRecord) {
        use tracing::Instrument;
        // A span entered across an await point corrupts the subscriber's span
        // stack on a multi-threaded runtime (it panicked the worker under load),
        // so the span is attached with `instrument` instead.
        let span =
            tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
        self.run_job_inner(worker, job).instrument(span).await
    }

    async fn run_job_inner(&self, worker: &str, job: JobRecord) {
        let heartbeat = {
            let library = self.clone();
            let worker = worker.to_string();
            let id = job.id;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis((LEASE_MS / 3) as u64)).await;
                    if !library
                        .db()
                        .heartbeat_job(id, &worker, LEASE_MS)
                        .await
                        .unwrap_or(false)
                    {
                        return;
                    }
                }
            })
        };
        // The handler runs in its own task: if it panics, this job fails with
        // that reason and the worker goes on.
        let result = {
            let library = self.clone();
            let job = job.clone();
            match tokio::spawn(async move { library.handle(&job).await }).await {
                Ok(result) => result,
                Err(e) => Err(JobError::Abort(format!("the job crashed: {e}"))),
            }
        };
        heartbeat.abort();
        let recorded = match result {
            Ok(()) => self.db().complete_job(job.id, worker).await.map(|_| ()),
            Err(JobError::Retry(msg)) => {
                let backoff = 1000i64 << job.attempts.clamp(0, 12);
                tracing::warn!(error = %msg, backoff_ms = backoff, "job failed; will retry");
                self.db()
                    .fail_job(
                        job.id,
                        worker,
                        &msg,
                        Some(keepsake_db::now_ms() + backoff.min(3_600_000)),
                    )
                    .await
            }
            Err(JobError::Abort(msg)) => {
                tracing::error!(error = %msg, "job failed for good");
                self.db().fail_job(job.id, worker, &msg, None).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record a job's outcome; its lease will expire and it runs again");
        }
    }

    async fn handle(&self, job: &JobRecord) -> std::result::Result<(), JobError> {
        match job.kind.as_str() {
            FILE_DELETE_KIND => self.delete_files_job(&job.payload).await,
            HOUSEKEEPING_KIND => self
                .housekeeping()
                .await
                .map_err(|e| JobError::Retry(e.to_string())),
            crate::media::EXTRACT_KIND
            | crate::media::THUMBNAIL_KIND
            | crate::media::ENCODE_KIND
            | crate::media::SIDECAR_KIND => self
                .run_media_job(&job.kind, &job.payload)
                .await
                .map_err(|e| match e {
                    crate::media::StepError::Retry(m) => JobError::Retry(m),
                    crate::media::StepError::Abort(m) => JobError::Abort(m),
                }),
            crate::libraries::scan::SCAN_KIND => {
                self.run_library_scan(&job.payload)
                    .await
                    .map_err(|e| match e {
                        crate::media::StepError::Retry(m) => JobError::Retry(m),
                        crate::media::StepError::Abort(m) => JobError::Abort(m),
                    })
            }
            other => Err(JobError::Abort(format!("unknown job kind {other}"))),
        }
    }

    async fn delete_files_job(&self, payload: &str) -> std::result::Result<(), JobError> {
        let value: serde_json::Value = serde_json::from_str(payload)
            .map_err(|e| JobError::Abort(format!("bad payload: {e}")))?;
        let paths = value["paths"]
            .as_array()
            .ok_or_else(|| JobError::Abort("payload has no paths".into()))?;
        for path in paths.iter().filter_map(|p| p.as_str()) {
            // A new asset may have been stored under the same name since; never remove its file.
            if self
                .db()
                .path_in_use(path)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?
            {
                continue;
            }
            self.blobs().delete(path).await.map_err(|e| match e {
                keepsake_blobs::BlobError::InvalidKey(_) => JobError::Abort(e.to_string()),
                other => JobError::Retry(other.to_string()),
            })?;
        }
        Ok(())
    }

    /// Empties trash past its time, drops old delete records and finished jobs.
    async fn housekeeping(&self) -> Result<()> {
        let now = keepsake_db::now_ms();
        let day = 86_400_000;
        let expired = self
            .db()
            .expired_trash(now - self.config().trash_days * day)
            .await?;
        if !expired.is_empty() {
            self.db().delete_assets(&expired).await?;
            tracing::info!(
                n = expired.len(),
                "removed assets whose time in the trash ran out"
            );
        }
        self.db()
            .prune_deletes(now - self.config().change_retention_days * day)
            .await?;
        self.db().prune_done_jobs(now - day).await?;
        self.sweep_expired_uploads().await;
        Ok(())
    }

    /// Admin: every queue with its counts.
    pub async fn queues(&self, caller: &Caller) -> Result<Vec<QueueInfo>> {
        caller.require(Permission::QUEUE_READ)?;
        caller.require_admin()?;
        let counts = self.db().queue_counts().await?;
        Ok(QUEUE_NAMES
            .iter()
            .map(|name| {
                let c = counts
                    .iter()
                    .find(|c| c.queue == *name)
                    .cloned()
                    .unwrap_or_default();
                QueueInfo {
                    name: name.to_string(),
                    is_paused: c.is_paused,
                    waiting: c.waiting,
                    delayed: c.delayed,
                    active: c.active,
                    completed: c.completed,
                    failed: c.failed,
                }
            })
            .collect())
    }

    /// Admin: one queue.
    pub async fn queue(&self, caller: &Caller, name: &str) -> Result<QueueInfo> {
        self.queues(caller)
            .await?
            .into_iter()
            .find(|q| q.name == name)
            .ok_or_else(|| LibraryError::NotFound(format!("no queue named {name}")))
    }

    /// Admin: pause or resume a queue.
    pub async fn set_queue_paused(
        &self,
        caller: &Caller,
        name: &str,
        paused: bool,
    ) -> Result<QueueInfo> {
        caller.require(Permission::QUEUE_UPDATE)?;
        self.queue(caller, name).await?;
        self.db().set_queue_paused(name, paused).await?;
        self.inner.jobs_ready.notify_waiters();
        self.queue(caller, name).await
    }

    /// Admin: Immich's queue commands (`start`, `pause`, `resume`, `empty`, `clear-failed`).
    /// `start` re-runs the queue's failed jobs (and housekeeping, for `backgroundTask`);
    /// for the media queues it also queues assets that never had the step, or
    /// every asset with `force`.
    pub async fn queue_command(
        &self,
        caller: &Caller,
        name: &str,
        command: &str,
        force: bool,
    ) -> Result<QueueInfo> {
        caller.require(Permission::QUEUE_JOB_CREATE)?;
        self.queue(caller, name).await?;
        match command {
            "start" => {
                self.db().retry_failed_jobs(name).await?;
                self.queue_media_step(caller, name, force).await?;
                if name == FILE_DELETE_QUEUE {
                    self.db()
                        .enqueue(
                            &NewJob::new(FILE_DELETE_QUEUE, HOUSEKEEPING_KIND, "{}")
                                .unique("housekeeping"),
                        )
                        .await?;
                }
            }
            "pause" => self.db().set_queue_paused(name, true).await?,
            "resume" => self.db().set_queue_paused(name, false).await?,
            "empty" => {
                self.db().empty_queue(name).await?;
            }
            "clear-failed" => {
                self.db().clear_failed_jobs(name).await?;
            }
            other => {
                return Err(LibraryError::Invalid(format!(
                    "unknown queue command {other:?}"
                )));
            }
        }
        self.inner.jobs_ready.notify_waiters();
        self.queue(caller, name).await
    }

    /// Admin: a queue's jobs in some states (failed ones carry their asset and error).
    pub async fn queue_jobs(
        &self,
        caller: &Caller,
        name: &str,
        states: &[&str],
    ) -> Result<Vec<JobRecord>> {
        caller.require(Permission::QUEUE_JOB_READ)?;
        self.queue(caller, name).await?;
        Ok(self.db().list_jobs(name, states, 1000).await?)
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "keepsake".into())
}
