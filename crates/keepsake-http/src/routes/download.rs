//! `/download/info` and `/download/archive`: many originals as ZIP archives,
//! streamed while they are written.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::extract::{Json, uuid};
use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    asset_ids: Option<Vec<String>>,
    album_id: Option<String>,
    user_id: Option<String>,
    archive_size: Option<u64>,
}

pub async fn info(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Info>,
) -> Result<(StatusCode, axum::Json<serde_json::Value>), ApiError> {
    for id in body.asset_ids.iter().flatten() {
        uuid(id)?;
    }
    let (total, archives) = state
        .library
        .download_info(
            &caller,
            body.asset_ids.as_deref(),
            body.album_id.as_deref().map(uuid).transpose()?,
            body.user_id.as_deref().map(uuid).transpose()?,
            body.archive_size,
        )
        .await?;
    let archives: Vec<_> = archives
        .into_iter()
        .map(|(ids, size)| json!({ "assetIds": ids, "size": size }))
        .collect();
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "totalSize": total, "archives": archives })),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Archive {
    asset_ids: Vec<String>,
}

pub async fn archive(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Archive>,
) -> Result<Response, ApiError> {
    for id in &body.asset_ids {
        uuid(id)?;
    }
    let files = state
        .library
        .download_files(&caller, &body.asset_ids)
        .await?;
    let (mut writer, reader) = tokio::io::duplex(256 * 1024);
    tokio::spawn(async move {
        let entries = files.into_iter().map(|f| {
            std::fs::File::open(&f.path).map(|file| crate::zip::Entry {
                name: f.name,
                size_hint: f.size,
                modified_ms: f.local_date_time,
                reader: tokio::fs::File::from_std(file),
            })
        });
        if let Err(e) = crate::zip::write_archive(entries, &mut writer).await {
            // The client sees the archive end early; the reason is in the log.
            tracing::warn!(error = %e, "an archive download stopped");
        }
    });
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(reader)));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"keepsake-download.zip\""),
    );
    Ok(response)
}
