//! `/queues/*` (Immich 3) and the legacy `/jobs` views of the job queue.

use axum::extract::State;
use keepsake_library::QueueInfo;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Auth;
use crate::dto::iso;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState};

fn statistics(q: &QueueInfo) -> Value {
    json!({ "active": q.active, "completed": q.completed, "delayed": q.delayed, "failed": q.failed, "paused": if q.is_paused { q.waiting } else { 0 }, "waiting": q.waiting })
}

fn queue(q: &QueueInfo) -> Value {
    json!({ "name": q.name, "isPaused": q.is_paused, "statistics": statistics(q) })
}

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Value>, ApiError> {
    let queues = state.library.queues(&caller).await?;
    Ok(axum::Json(Value::Array(queues.iter().map(queue).collect())))
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(queue(
        &state.library.queue(&caller, &name).await?,
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Update {
    is_paused: Option<bool>,
}

pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
    Json(body): Json<Update>,
) -> Result<axum::Json<Value>, ApiError> {
    let q = match body.is_paused {
        Some(p) => state.library.set_queue_paused(&caller, &name, p).await?,
        None => state.library.queue(&caller, &name).await?,
    };
    Ok(axum::Json(queue(&q)))
}

#[derive(Deserialize)]
pub struct JobsQuery {
    status: Option<String>,
}

/// Jobs of a queue; `?status=failed` (the default) shows what went wrong, per asset.
pub async fn jobs(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
    Query(q): Query<JobsQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let state_name = match q.status.as_deref().unwrap_or("failed") {
        "failed" => "failed",
        "waiting" => "queued",
        "active" => "running",
        "completed" => "done",
        other => {
            return Err(ApiError::bad_request(format!(
                "Validation failed: unknown status {other}"
            )));
        }
    };
    let jobs = state
        .library
        .queue_jobs(&caller, &name, &[state_name])
        .await?;
    let out: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({
                "id": j.id.to_string(), "name": j.kind, "queue": j.queue, "assetId": j.asset_id,
                "attempts": j.attempts, "maxAttempts": j.max_attempts, "error": j.last_error,
                "timestamp": iso(j.created_at), "finishedAt": j.finished_at.map(iso)
            })
        })
        .collect();
    Ok(axum::Json(Value::Array(out)))
}

pub async fn legacy_list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Value>, ApiError> {
    let mut out = serde_json::Map::new();
    for q in state.library.queues(&caller).await? {
        out.insert(q.name.clone(), json!({ "jobCounts": statistics(&q), "queueStatus": { "isActive": q.active > 0, "isPaused": q.is_paused } }));
    }
    Ok(axum::Json(Value::Object(out)))
}

#[derive(Deserialize)]
pub struct Command {
    command: String,
    /// With `start`: every asset, not only those that never had the step.
    #[serde(default)]
    force: bool,
}

pub async fn legacy_command(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
    Json(body): Json<Command>,
) -> Result<axum::Json<Value>, ApiError> {
    let q = state
        .library
        .queue_command(&caller, &name, &body.command, body.force)
        .await?;
    Ok(axum::Json(
        json!({ "jobCounts": statistics(&q), "queueStatus": { "isActive": q.active > 0, "isPaused": q.is_paused } }),
    ))
}
