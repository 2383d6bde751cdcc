//! `/assets/*` (but the upload) and `/trash/*`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use keepsake_core::{Timestamp, Visibility};
use keepsake_library::db::assets::AssetChanges;
use keepsake_library::{BulkCheckItem, BulkCheckResult, DeleteMode};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::auth::Auth;
use crate::dto::{AssetResponse, double_option};
use crate::extract::{Json, Path, Query, uuid};
use crate::{ApiError, AppState};

#[derive(Deserialize)]
pub struct BulkCheck {
    assets: Vec<BulkCheckEntry>,
}

#[derive(Deserialize)]
pub struct BulkCheckEntry {
    id: String,
    checksum: String,
}

pub async fn bulk_upload_check(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<BulkCheck>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let items: Vec<BulkCheckItem> = body
        .assets
        .into_iter()
        .map(|a| BulkCheckItem {
            id: a.id,
            checksum: a.checksum,
        })
        .collect();
    let results = state.library.bulk_upload_check(&caller, &items).await?;
    let results: Vec<serde_json::Value> = results
        .into_iter()
        .map(|r| match r {
            BulkCheckResult::Accept { id } => json!({ "id": id, "action": "accept" }),
            BulkCheckResult::Duplicate { id, asset_id, is_trashed } => {
                json!({ "id": id, "action": "reject", "reason": "duplicate", "assetId": asset_id, "isTrashed": is_trashed })
            }
            BulkCheckResult::Invalid { id } => json!({ "id": id, "action": "reject", "reason": "unsupported-format" }),
        })
        .collect();
    Ok(axum::Json(json!({ "results": results })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsQuery {
    is_favorite: Option<bool>,
    is_trashed: Option<bool>,
    visibility: Option<String>,
}

fn visibility(v: Option<&str>) -> Result<Option<Visibility>, ApiError> {
    match v {
        None => Ok(None),
        Some(v) => Visibility::parse(v).map(Some).ok_or_else(|| {
            ApiError::bad_request(
                "Validation failed: visibility must be one of archive, timeline, hidden, locked",
            )
        }),
    }
}

pub async fn statistics(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<StatsQuery>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let vis = visibility(q.visibility.as_deref())?;
    let (images, videos) = state
        .library
        .asset_statistics(&caller, q.is_favorite, q.is_trashed, vis)
        .await?;
    Ok(axum::Json(
        json!({ "images": images, "videos": videos, "total": images + videos }),
    ))
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<AssetResponse>, ApiError> {
    let asset = state.library.get_asset(&caller, uuid(&id)?).await?;
    let mut response = AssetResponse::from(&asset);
    response.tags = state
        .library
        .asset_tags(&caller, &asset.id)
        .await?
        .iter()
        .map(crate::dto::TagResponse::from)
        .collect();
    Ok(axum::Json(response))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Update {
    is_favorite: Option<bool>,
    visibility: Option<String>,
    description: Option<String>,
    date_time_original: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    rating: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    live_photo_video_id: Option<Option<String>>,
}

fn changes(u: Update) -> Result<AssetChanges, ApiError> {
    let date_time_original = match u.date_time_original {
        None => None,
        Some(text) => {
            let (instant, offset) = Timestamp::parse_iso_with_offset(&text).ok_or_else(|| {
                ApiError::bad_request(
                    "Validation failed: dateTimeOriginal must be an ISO 8601 date",
                )
            })?;
            let offset = offset.unwrap_or(0);
            let zone = if offset == 0 {
                "UTC".to_string()
            } else {
                format!(
                    "UTC{}{:02}:{:02}",
                    if offset < 0 { '-' } else { '+' },
                    offset.abs() / 60,
                    offset.abs() % 60
                )
            };
            Some((instant.0, instant.0 + offset as i64 * 60_000, Some(zone)))
        }
    };
    Ok(AssetChanges {
        is_favorite: u.is_favorite,
        visibility: visibility(u.visibility.as_deref())?.map(|v| v.as_str().to_string()),
        description: u.description,
        date_time_original,
        latitude: u.latitude,
        longitude: u.longitude,
        place: Default::default(),
        rating: u.rating.map(|r| r.filter(|v| *v != 0)),
        live_photo_video_id: u.live_photo_video_id,
    })
}

pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Update>,
) -> Result<axum::Json<AssetResponse>, ApiError> {
    let id = uuid(&id)?.to_string();
    let updated = state
        .library
        .update_assets(&caller, std::slice::from_ref(&id), &changes(body)?)
        .await?;
    Ok(axum::Json(AssetResponse::from(&updated[0])))
}

#[derive(Deserialize)]
pub struct BulkUpdate {
    ids: Vec<String>,
    #[serde(flatten)]
    update: Update,
}

pub async fn bulk_update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<BulkUpdate>,
) -> Result<StatusCode, ApiError> {
    for id in &body.ids {
        uuid(id)?;
    }
    state
        .library
        .update_assets(&caller, &body.ids, &changes(body.update)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Delete {
    ids: Vec<String>,
    #[serde(default)]
    force: bool,
}

pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Delete>,
) -> Result<StatusCode, ApiError> {
    for id in &body.ids {
        uuid(id)?;
    }
    let mode = if body.force {
        DeleteMode::Force
    } else {
        DeleteMode::Trash
    };
    state
        .library
        .delete_assets(&caller, &body.ids, mode)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn empty_trash(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let n = state.library.empty_trash(&caller).await?;
    Ok(axum::Json(json!({ "count": n })))
}

pub async fn restore_trash(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let n = state.library.restore_trash(&caller, None).await?;
    Ok(axum::Json(json!({ "count": n })))
}

#[derive(Deserialize)]
pub struct Ids {
    ids: Vec<String>,
}

pub async fn restore_assets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Ids>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    for id in &body.ids {
        uuid(id)?;
    }
    let n = state
        .library
        .restore_trash(&caller, Some(&body.ids))
        .await?;
    Ok(axum::Json(json!({ "count": n })))
}

/// A parsed `Range: bytes=…` header against a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum ByteRange {
    Whole,
    Part { start: u64, end: u64 },
    Unsatisfiable,
}

pub fn parse_range(header: Option<&str>, len: u64) -> ByteRange {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return ByteRange::Whole;
    };
    // Several ranges would need multipart/byteranges; clients ask for one, so serve the first.
    let first = spec.split(',').next().unwrap_or("").trim();
    let Some((a, b)) = first.split_once('-') else {
        return ByteRange::Whole;
    };
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => match suffix.parse::<u64>() {
            Ok(0) | Err(_) => return ByteRange::Unsatisfiable,
            Ok(n) => (len.saturating_sub(n), len.saturating_sub(1)),
        },
        (s, "") => match s.parse::<u64>() {
            Ok(s) => (s, len.saturating_sub(1)),
            Err(_) => return ByteRange::Whole,
        },
        (s, e) => match (s.parse::<u64>(), e.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => (s, e.min(len.saturating_sub(1))),
            _ => return ByteRange::Unsatisfiable,
        },
    };
    if len == 0 || start >= len {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Part { start, end }
}

pub async fn original(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (path, asset) = state.library.original_file(&caller, uuid(&id)?).await?;
    let mime = keepsake_core::media::mime_type(&asset.original_file_name);
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    serve_cached(&path, mime, &asset.original_file_name, &headers, range).await
}

/// Immich's cache policy for asset media (originals, thumbnails, playback):
/// private to the user, a day fresh, then served stale while revalidating or
/// when the server is unreachable, for 30 days. Phones keep 1 GiB image caches
/// and rely on it.
pub const MEDIA_CACHE_CONTROL: &str =
    "private, max-age=86400, no-transform, stale-while-revalidate=2592000, stale-if-error=2592000";

/// Streams a file with `Accept-Ranges`, answering `206` for a satisfiable `Range`.
async fn serve_file(
    path: &std::path::Path,
    mime: &str,
    file_name: &str,
    range: Option<&str>,
) -> Result<Response, ApiError> {
    let mut file = tokio::fs::File::open(path).await.map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "an asset's original is missing");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    })?;
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let (status, start, count) = match parse_range(range, len) {
        ByteRange::Whole => (StatusCode::OK, 0, len),
        ByteRange::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        ByteRange::Unsatisfiable => {
            let mut r = crate::error::json_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "Range not satisfiable",
            );
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("ascii"),
            );
            return Ok(r);
        }
    };
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|_| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            })?;
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(count), 256 * 1024);
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).expect("ascii mime"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(MEDIA_CACHE_CONTROL),
    );
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{ascii}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        let v = format!("bytes {start}-{}/{len}", start + count - 1);
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&v).expect("ascii"),
        );
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct ThumbnailQuery {
    size: Option<String>,
}

/// Previews and thumbnails come from the media pipeline. `fullsize` is the
/// original when browsers can show it, else the preview. Until a derived file
/// exists (the pipeline has not reached the asset, or its file could not be
/// read), the answer is 404, as Immich's is for a missing thumbnail file.
pub async fn thumbnail(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(q): Query<ThumbnailQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let size = q.size.as_deref().unwrap_or("thumbnail");
    if !["thumbnail", "preview", "fullsize"].contains(&size) {
        return Err(ApiError::bad_request(
            "Validation failed: size must be one of thumbnail, preview, fullsize",
        ));
    }
    let (kind, mime, ext) = if size == "thumbnail" {
        (keepsake_library::THUMBNAIL, "image/webp", "webp")
    } else {
        (keepsake_library::PREVIEW, "image/jpeg", "jpeg")
    };
    let (path, asset) = state
        .library
        .derived_file(&caller, uuid(&id)?, kind)
        .await?;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let original_mime = keepsake_core::media::mime_type(&asset.original_file_name);
    let web_friendly = [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/avif",
    ]
    .contains(&original_mime);
    if size == "fullsize" && web_friendly && asset.asset_type == "IMAGE" {
        let original = state.library.viewable_original(&caller, &asset.id).await?;
        return serve_cached(
            &original,
            original_mime,
            &asset.original_file_name,
            &headers,
            range,
        )
        .await;
    }
    let Some(path) = path else {
        return Err(ApiError::not_found("Asset media not found"));
    };
    let stem = asset
        .original_file_name
        .rsplit_once('.')
        .map_or(asset.original_file_name.as_str(), |(s, _)| s);
    serve_cached(&path, mime, &format!("{stem}.{ext}"), &headers, range).await
}

/// A video for playing: its browser-playable encoding if one was made, else
/// the original; with Range, for seeking.
pub async fn playback(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (path, asset) = state.library.playback_file(&caller, uuid(&id)?).await?;
    let encoded = !path.ends_with(&asset.original_path);
    let mime = if encoded {
        "video/mp4"
    } else {
        keepsake_core::media::mime_type(&asset.original_file_name)
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    serve_cached(&path, mime, &asset.original_file_name, &headers, range).await
}

/// [`serve_file`] with a validator: files under a key never change in place
/// except when rebuilt, so size and modification time make a strong enough ETag.
async fn serve_cached(
    path: &std::path::Path,
    mime: &str,
    file_name: &str,
    headers: &HeaderMap,
    range: Option<&str>,
) -> Result<Response, ApiError> {
    let etag = tokio::fs::metadata(path).await.ok().map(|m| {
        let modified = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!("\"{:x}-{:x}\"", m.len(), modified)
    });
    if let (Some(tag), Some(sent)) = (&etag, headers.get(header::IF_NONE_MATCH))
        && sent
            .to_str()
            .is_ok_and(|s| s.split(',').any(|t| t.trim() == tag))
    {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        if let Ok(v) = HeaderValue::from_str(tag) {
            r.headers_mut().insert(header::ETAG, v);
        }
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(MEDIA_CACHE_CONTROL),
        );
        return Ok(r);
    }
    let mut response = serve_file(path, mime, file_name, range).await?;
    if let Some(v) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{ByteRange, parse_range};

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(None, 10), ByteRange::Whole);
        assert_eq!(
            parse_range(Some("bytes=0-4"), 10),
            ByteRange::Part { start: 0, end: 4 }
        );
        assert_eq!(
            parse_range(Some("bytes=5-"), 10),
            ByteRange::Part { start: 5, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10),
            ByteRange::Part { start: 7, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=8-100"), 10),
            ByteRange::Part { start: 8, end: 9 }
        );
        assert_eq!(parse_range(Some("bytes=10-"), 10), ByteRange::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=5-2"), 10), ByteRange::Unsatisfiable);
        assert_eq!(parse_range(Some("items=0-1"), 10), ByteRange::Whole);
    }
}
