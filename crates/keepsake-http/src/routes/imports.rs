//! `/imports`: Keepsake's own routes (Immich has none) for import runs:
//! list them, follow one's progress and per-item report, and start one in
//! the background for the web app.
//!
//! Sources that read the server's disk (folders, Takeout and Flickr-export
//! files) may only be started by an admin: they can read anything the server
//! process can. A Flickr import needs the user's stored Flickr login.

use std::path::PathBuf;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use keepsake_import::flickr::{FlickrClient, FlickrSource};
use keepsake_import::flickr_export::FlickrExportSource;
use keepsake_import::folder::FolderSource;
use keepsake_import::takeout::TakeoutSource;
use keepsake_library::imports::{ImportOptions, ImportRunRecord, RunItemRecord, Source};
use keepsake_library::{Caller, Library, LibraryError};
use serde::{Deserialize, Serialize};

use crate::auth::Auth;
use crate::dto::iso;
use crate::extract::{Json, uuid};
use crate::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRunResponse {
    id: String,
    source: String,
    label: String,
    dry_run: bool,
    state: String,
    seen: i64,
    imported: i64,
    duplicate: i64,
    skipped: i64,
    failed: i64,
    error: Option<String>,
    created_at: String,
    updated_at: String,
    finished_at: Option<String>,
}

impl From<&ImportRunRecord> for ImportRunResponse {
    fn from(r: &ImportRunRecord) -> Self {
        ImportRunResponse {
            id: r.id.clone(),
            source: r.source_kind.clone(),
            label: r.source_label.clone(),
            dry_run: r.dry_run,
            state: r.state.clone(),
            seen: r.seen,
            imported: r.imported,
            duplicate: r.duplicate,
            skipped: r.skipped,
            failed: r.failed,
            error: r.error.clone(),
            created_at: iso(r.created_at),
            updated_at: iso(r.updated_at),
            finished_at: r.finished_at.map(iso),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportItemResponse {
    key: String,
    file_name: String,
    outcome: String,
    reason: Option<String>,
    asset_id: Option<String>,
}

impl From<&RunItemRecord> for ImportItemResponse {
    fn from(r: &RunItemRecord) -> Self {
        ImportItemResponse {
            key: r.source_key.clone(),
            file_name: r.file_name.clone(),
            outcome: r.outcome.clone(),
            reason: r.reason.clone(),
            asset_id: r.asset_id.clone().filter(|a| !a.is_empty()),
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Vec<ImportRunResponse>>, ApiError> {
    let runs = state.library.import_runs(&caller).await?;
    Ok(axum::Json(
        runs.iter().map(ImportRunResponse::from).collect(),
    ))
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<ImportRunResponse>, ApiError> {
    uuid(&id)?;
    let run = state.library.import_run(&caller, &id).await?;
    Ok(axum::Json(ImportRunResponse::from(&run)))
}

/// `GET /assets/{id}/sources`: where an asset was imported from, and the facts kept from there.
pub async fn asset_sources(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<serde_json::Value>>, ApiError> {
    uuid(&id)?;
    let sources = state.library.asset_import_sources(&caller, &id).await?;
    Ok(axum::Json(
        sources
            .into_iter()
            .map(|(source, key, facts)| {
                let facts: serde_json::Value =
                    serde_json::from_str(&facts).unwrap_or_else(|_| serde_json::json!({}));
                serde_json::json!({ "source": source, "key": key, "facts": facts })
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct ItemsQuery {
    outcome: Option<String>,
    #[serde(default)]
    offset: i64,
    limit: Option<i64>,
}

pub async fn items(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(q): Query<ItemsQuery>,
) -> Result<axum::Json<Vec<ImportItemResponse>>, ApiError> {
    uuid(&id)?;
    if let Some(o) = &q.outcome
        && !["pending", "imported", "duplicate", "skipped", "failed"].contains(&o.as_str())
    {
        return Err(LibraryError::Invalid(
            "outcome must be one of imported, duplicate, skipped, failed, pending".into(),
        )
        .into());
    }
    let items = state
        .library
        .import_run_items(
            &caller,
            &id,
            q.outcome.as_deref(),
            q.offset,
            q.limit.unwrap_or(100),
        )
        .await?;
    Ok(axum::Json(
        items.iter().map(ImportItemResponse::from).collect(),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Start {
    /// `folder`, `takeout`, `flickr-export` or `flickr`.
    source: String,
    /// Server-side paths (folder, takeout, flickr-export).
    #[serde(default)]
    paths: Vec<PathBuf>,
    #[serde(default)]
    album_from_folder: bool,
    #[serde(default)]
    dry_run: bool,
    /// Flickr: the account (`me`, a username, an NSID or a URL).
    user: Option<String>,
    /// Flickr: only this album.
    album: Option<String>,
}

/// Starts a run in the background and answers with it at once.
pub async fn start(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Start>,
) -> Result<(StatusCode, axum::Json<ImportRunResponse>), ApiError> {
    let library = state.library.clone();
    let run = match body.source.as_str() {
        "folder" | "takeout" | "flickr-export" => {
            caller.require_admin()?;
            if body.paths.is_empty() {
                return Err(LibraryError::Invalid(
                    "paths must name at least one file or folder on the server".into(),
                )
                .into());
            }
            let paths = body.paths.clone();
            let kind = body.source.clone();
            let album_from_folder = body.album_from_folder;
            let opened = tokio::task::spawn_blocking(move || -> Result<AnySource, String> {
                Ok(match kind.as_str() {
                    "folder" => AnySource::Folder(
                        FolderSource::open(&paths, album_from_folder).map_err(|e| e.to_string())?,
                    ),
                    "takeout" => {
                        AnySource::Takeout(TakeoutSource::open(&paths).map_err(|e| e.to_string())?)
                    }
                    _ => AnySource::FlickrExport(
                        FlickrExportSource::open(&paths).map_err(|e| e.to_string())?,
                    ),
                })
            })
            .await
            .map_err(|e| LibraryError::Internal(e.to_string()))?
            .map_err(LibraryError::Invalid)?;
            let label = keepsake_import::source_label(&body.paths);
            let options = ImportOptions {
                label,
                dry_run: body.dry_run,
            };
            match opened {
                AnySource::Folder(s) => spawn_run(library, caller, s, options).await?,
                AnySource::Takeout(s) => spawn_run(library, caller, s, options).await?,
                AnySource::FlickrExport(s) => spawn_run(library, caller, s, options).await?,
            }
        }
        "flickr" => {
            let Some(config) = state.flickr.clone() else {
                return Err(LibraryError::Unavailable(
                    "this server has no Flickr API key; start it with KEEPSAKE_FLICKR_API_KEY and KEEPSAKE_FLICKR_API_SECRET".into(),
                )
                .into());
            };
            let account = body.user.clone().unwrap_or_else(|| "me".into());
            let stored = library
                .service_credential(&caller, "flickr")
                .await?
                .ok_or_else(|| {
                    LibraryError::Invalid(
                        "you have not signed in to Flickr; run `keepsake flickr login --user <your e-mail>` on the server".into(),
                    )
                })?;
            let token: serde_json::Value = serde_json::from_str(&stored).map_err(|_| {
                LibraryError::Invalid("the stored Flickr login is unreadable; sign in again".into())
            })?;
            let client = FlickrClient::new(config)
                .map_err(|e| LibraryError::Invalid(e.to_string()))?
                .with_token(
                    token["token"].as_str().unwrap_or_default(),
                    token["secret"].as_str().unwrap_or_default(),
                );
            let source = FlickrSource::open(client, &account, body.album.as_deref())
                .await
                .map_err(|e| LibraryError::Unavailable(e.to_string()))?;
            let label = match &body.album {
                Some(a) => format!("{account} album {a}"),
                None => account,
            };
            let options = ImportOptions {
                label,
                dry_run: body.dry_run,
            };
            spawn_run(library, caller, source, options).await?
        }
        other => {
            return Err(LibraryError::Invalid(format!(
                "unknown import source {other:?}; use folder, takeout, flickr-export or flickr"
            ))
            .into());
        }
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportRunResponse::from(&run)),
    ))
}

enum AnySource {
    Folder(FolderSource),
    Takeout(TakeoutSource),
    FlickrExport(FlickrExportSource),
}

async fn spawn_run<S: Source + 'static>(
    library: Library,
    caller: Caller,
    mut source: S,
    options: ImportOptions,
) -> Result<ImportRunRecord, LibraryError> {
    let started = library
        .begin_import(&caller, source.kind(), &options)
        .await?;
    let run = started.run.clone();
    tokio::spawn(async move {
        if let Err(e) = library
            .continue_import(&caller, started, &mut source, &options, &|_| {})
            .await
        {
            tracing::warn!(error = %e, "an import started through the API stopped");
        }
    });
    Ok(run)
}
