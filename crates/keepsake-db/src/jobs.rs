//! The durable job queue: rows in `jobs`, claimed with a lease.
//!
//! A job is enqueued in the same transaction as the change that causes it, so a
//! committed change always has its follow-up work. A claim sets a lease; a
//! worker that dies loses it when the lease runs out and another worker takes
//! the job again (handlers are idempotent). Completion is fenced on the lease
//! owner, so a worker whose lease was taken back cannot mark the job done.
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a
//! time and needs no more than its write transaction. A unique key holds only
//! while a job waits: once claimed, the same work can be queued again (a change
//! made while it runs gets its own run, after it). Jobs of one kind for one
//! asset never run at once: a job waits while its twin runs, so work queued
//! after a change always sees that change (a sidecar write queued during
//! another write of the same sidecar runs after it).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::assets::{Param, bind_all};
use crate::{Db, Engine, JobRecord, Result, get_opt_i64, now_ms};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: String,
    pub kind: String,
    pub payload: String,
    pub asset_id: Option<String>,
    /// At most one queued or running job per key (re-enqueueing is then a no-op).
    pub unique_key: Option<String>,
    pub priority: i64,
    pub max_attempts: i64,
    pub run_at: Option<i64>,
}

impl NewJob {
    pub fn new(queue: &str, kind: &str, payload: impl Into<String>) -> NewJob {
        NewJob {
            queue: queue.to_string(),
            kind: kind.to_string(),
            payload: payload.into(),
            asset_id: None,
            unique_key: None,
            priority: 0,
            max_attempts: 5,
            run_at: None,
        }
    }

    pub fn for_asset(mut self, asset_id: &str) -> NewJob {
        self.asset_id = Some(asset_id.to_string());
        self
    }

    pub fn unique(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }
}

const JOB_COLUMNS: &str = "id, queue, kind, payload, asset_id, state, attempts, max_attempts, run_at, last_error, created_at, finished_at";

fn job_from_row(row: &AnyRow) -> Result<JobRecord> {
    Ok(JobRecord {
        id: row.try_get("id")?,
        queue: row.try_get("queue")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        asset_id: row.try_get("asset_id")?,
        state: row.try_get("state")?,
        attempts: get_opt_i64(row, "attempts")?.unwrap_or(0),
        max_attempts: get_opt_i64(row, "max_attempts")?.unwrap_or(0),
        run_at: row.try_get("run_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        finished_at: get_opt_i64(row, "finished_at")?,
    })
}

/// Enqueues inside an open transaction.
pub(crate) async fn enqueue_in(conn: &mut sqlx::AnyConnection, job: &NewJob) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO jobs (queue, kind, payload, asset_id, unique_key, priority, max_attempts, run_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (unique_key) DO NOTHING",
    )
    .bind(&job.queue)
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(job.asset_id.clone())
    .bind(job.unique_key.clone())
    .bind(job.priority)
    .bind(job.max_attempts)
    .bind(job.run_at.unwrap_or(now))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Per-queue counts by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub queue: String,
    pub waiting: i64,
    pub delayed: i64,
    pub active: i64,
    pub completed: i64,
    pub failed: i64,
    pub is_paused: bool,
}

impl Db {
    pub async fn enqueue(&self, job: &NewJob) -> Result<()> {
        let mut tx = self.begin_write().await?;
        enqueue_in(tx.conn(), job).await?;
        tx.commit().await
    }

    /// Claims the next ready job from `queues` (paused queues skipped), taking
    /// back expired leases first.
    pub async fn claim_job(
        &self,
        queues: &[String],
        worker: &str,
        lease_ms: i64,
    ) -> Result<Option<JobRecord>> {
        if queues.is_empty() {
            return Ok(None);
        }
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL WHERE state = 'running' AND lease_until < $1")
            .bind(now)
            .execute(tx.conn())
            .await?;
        let mut params = vec![
            Param::Text(worker.to_string()),
            Param::Int(now + lease_ms),
            Param::Int(now),
        ];
        let list: Vec<String> = queues
            .iter()
            .map(|q| {
                params.push(Param::Text(q.clone()));
                format!("${}", params.len())
            })
            .collect();
        let lock = match self.engine {
            Engine::Postgres => "FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1, unique_key = NULL \
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 AND queue IN ({}) \
               AND queue NOT IN (SELECT queue FROM queue_state WHERE is_paused = TRUE) \
               AND (asset_id IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.asset_id = jobs.asset_id \
                    AND r.kind = jobs.kind AND r.state = 'running')) \
               ORDER BY priority DESC, run_at, id LIMIT 1 {lock}) \
             RETURNING {JOB_COLUMNS}",
            list.join(", ")
        );
        let row = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_optional(tx.conn())
            .await?;
        let job = row.as_ref().map(job_from_row).transpose()?;
        tx.commit().await?;
        Ok(job)
    }

    /// Extends a lease; false means the lease was lost and the worker must stop.
    pub async fn heartbeat_job(&self, id: i64, worker: &str, lease_ms: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'")
            .bind(id)
            .bind(worker)
            .bind(now_ms() + lease_ms)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Marks a job done if this worker still holds it.
    pub async fn complete_job(&self, id: i64, worker: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at = $3, lease_owner = NULL, lease_until = NULL, unique_key = NULL \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(now_ms())
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Records a failure: back to the queue at `retry_at`, or `failed` for good
    /// when `retry_at` is `None` or the attempts are used up.
    pub async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        match retry_at {
            Some(at) => {
                sqlx::query(
                    "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                     finished_at = CASE WHEN attempts >= max_attempts THEN $5 ELSE NULL END, \
                     unique_key = CASE WHEN attempts >= max_attempts THEN NULL ELSE unique_key END, \
                     run_at = $4, last_error = $3, lease_owner = NULL, lease_until = NULL \
                     WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
                )
                .bind(id)
                .bind(worker)
                .bind(error)
                .bind(at)
                .bind(now)
                .execute(tx.conn())
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', finished_at = $4, last_error = $3, lease_owner = NULL, lease_until = NULL, unique_key = NULL \
                     WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
                )
                .bind(id)
                .bind(worker)
                .bind(error)
                .bind(now)
                .execute(tx.conn())
                .await?;
            }
        }
        tx.commit().await
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Jobs of a queue in the given states, newest first.
    pub async fn list_jobs(
        &self,
        queue: &str,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<JobRecord>> {
        let mut params = vec![Param::Text(queue.to_string())];
        let list: Vec<String> = states
            .iter()
            .map(|s| {
                params.push(Param::Text(s.to_string()));
                format!("${}", params.len())
            })
            .collect();
        params.push(Param::Int(limit));
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE queue = $1 AND state IN ({}) ORDER BY id DESC LIMIT ${}",
            list.join(", "),
            params.len()
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Counts per queue and state, for the admin queue views.
    pub async fn queue_counts(&self) -> Result<Vec<QueueCounts>> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT queue, CASE WHEN state = 'queued' AND run_at > $1 THEN 'delayed' ELSE state END AS st, COUNT(*) AS n \
             FROM jobs GROUP BY queue, st ORDER BY queue",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let paused = self.paused_queues().await?;
        let mut out: Vec<QueueCounts> = Vec::new();
        for r in rows {
            let queue: String = r.try_get("queue")?;
            let state: String = r.try_get("st")?;
            let n: i64 = r.try_get("n")?;
            if out.last().map(|c| c.queue != queue).unwrap_or(true) {
                out.push(QueueCounts {
                    queue: queue.clone(),
                    is_paused: paused.contains(&queue),
                    ..Default::default()
                });
            }
            let c = out.last_mut().expect("pushed above");
            match state.as_str() {
                "queued" => c.waiting += n,
                "delayed" => c.delayed += n,
                "running" => c.active += n,
                "done" => c.completed += n,
                "failed" => c.failed += n,
                _ => {}
            }
        }
        for q in paused {
            if !out.iter().any(|c| c.queue == q) {
                out.push(QueueCounts {
                    queue: q,
                    is_paused: true,
                    ..Default::default()
                });
            }
        }
        Ok(out)
    }

    pub async fn paused_queues(&self) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT queue FROM queue_state WHERE is_paused = TRUE ORDER BY queue")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok(r.try_get("queue")?)).collect()
    }

    pub async fn set_queue_paused(&self, queue: &str, paused: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO queue_state (queue, is_paused) VALUES ($1, $2) ON CONFLICT (queue) DO UPDATE SET is_paused = excluded.is_paused")
            .bind(queue)
            .bind(paused)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Puts a queue's failed jobs back in line with fresh attempts.
    pub async fn retry_failed_jobs(&self, queue: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, finished_at = NULL WHERE queue = $1 AND state = 'failed'",
        )
        .bind(queue)
        .bind(now_ms())
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Removes a queue's waiting jobs (Immich's "empty").
    pub async fn empty_queue(&self, queue: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM jobs WHERE queue = $1 AND state = 'queued'")
            .bind(queue)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Forgets a queue's failed jobs (Immich's "clear-failed").
    pub async fn clear_failed_jobs(&self, queue: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM jobs WHERE queue = $1 AND state = 'failed'")
            .bind(queue)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Whether any asset row still points at `path` (as original or sidecar).
    pub async fn path_in_use(&self, path: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM assets WHERE original_path = $1 OR sidecar_path = $1",
        )
        .bind(path)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Trashed assets whose time in the trash ran out before `before`.
    pub async fn expired_trash(&self, before: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM assets WHERE deleted_at IS NOT NULL AND deleted_at < $1 ORDER BY deleted_at LIMIT 1000")
            .bind(before)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Forgets finished jobs older than `before` (failed ones stay visible).
    pub async fn prune_done_jobs(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
            .bind(before)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}
