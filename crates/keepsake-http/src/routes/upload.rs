//! `POST /assets`: the streaming multipart upload every Immich client uses.
//!
//! The body is never held in memory: each file part streams into a temp file
//! (hashed on the way) as it arrives. Text fields may come before or after the
//! file, so the upload is judged only once the whole body is in; a body cut
//! off anywhere leaves nothing behind.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use keepsake_core::{Timestamp, Visibility};
use keepsake_library::{Caller, FinishedBlob, Library, TempBlob, UploadMeta};
use serde_json::json;

use crate::auth::Auth;
use crate::{ApiError, AppState};

/// Text fields are small; anything longer is a client bug, not a photo.
const MAX_FIELD_BYTES: usize = 1 << 20;

pub async fn upload(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let library = &state.library;
    caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
    if let Some(sum) = headers
        .get("x-immich-checksum")
        .and_then(|v| v.to_str().ok())
        && let Some(id) = library.find_duplicate(&caller, sum).await?
    {
        return Ok(answer(&id, true));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::bad_request("Expected a multipart/form-data body with a boundary")
    })?;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let mut multipart = multer::Multipart::new(stream, boundary);

    let mut parts = Parts::default();
    let result = read_parts(library, &caller, &mut multipart, &mut parts).await;
    if let Err(e) = result {
        parts.discard(library).await;
        drain(&mut multipart).await;
        return Err(e);
    }
    let Some((original, part_name)) = parts.original.take() else {
        parts.discard(library).await;
        return Err(ApiError::bad_request(
            "assetData is required: send the file in a part named assetData",
        ));
    };
    let meta = match parts.meta(&part_name) {
        Ok(m) => m,
        Err(e) => {
            library.blobs().discard(original).await;
            parts.discard(library).await;
            return Err(e);
        }
    };
    let sidecar = parts.sidecar.take();
    let outcome = library
        .finish_upload(&caller, original, sidecar, meta)
        .await?;
    Ok(answer(&outcome.id, outcome.duplicate))
}

pub(super) fn answer(id: &str, duplicate: bool) -> Response {
    if duplicate {
        (
            StatusCode::OK,
            axum::Json(json!({ "id": id, "status": "duplicate" })),
        )
            .into_response()
    } else {
        (
            StatusCode::CREATED,
            axum::Json(json!({ "id": id, "status": "created" })),
        )
            .into_response()
    }
}

#[derive(Default)]
struct Parts {
    original: Option<(FinishedBlob, String)>,
    sidecar: Option<FinishedBlob>,
    fields: Vec<(String, String)>,
}

impl Parts {
    async fn discard(&mut self, library: &Library) {
        if let Some((b, _)) = self.original.take() {
            library.blobs().discard(b).await;
        }
        if let Some(b) = self.sidecar.take() {
            library.blobs().discard(b).await;
        }
    }

    fn meta(&self, part_name: &str) -> Result<UploadMeta, ApiError> {
        fields_meta(&self.fields, part_name)
    }
}

/// The upload's text fields as the library's [`UploadMeta`]; `part_name` is the
/// file part's own name, used when there is no `filename` field. Shared with
/// the resumable uploads, whose fields arrive in a header.
pub(super) fn fields_meta(
    fields: &[(String, String)],
    part_name: &str,
) -> Result<UploadMeta, ApiError> {
    let field = |name: &str| -> Option<&str> {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let date = |name: &str| -> Result<Option<Timestamp>, ApiError> {
        match field(name) {
            None => Ok(None),
            Some(v) => Timestamp::parse_iso(v).map(Some).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Validation failed: {name} must be an ISO 8601 date"
                ))
            }),
        }
    };
    let is_favorite = match field("isFavorite") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "Validation failed: isFavorite must be a boolean",
            ));
        }
    };
    let visibility = match field("visibility") {
        None => None,
        Some(v) => Some(Visibility::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "Validation failed: visibility must be one of archive, timeline, hidden, locked",
            )
        })?),
    };
    let duration_ms = match field("duration") {
        None => None,
        Some(v) => Some(parse_duration(v).ok_or_else(|| {
            ApiError::bad_request("Validation failed: duration must be milliseconds")
        })?),
    };
    let file_name = field("filename").unwrap_or(part_name).to_string();
    if file_name.is_empty() {
        return Err(ApiError::bad_request(
            "Validation failed: the file needs a name",
        ));
    }
    Ok(UploadMeta {
        file_name,
        file_created_at: date("fileCreatedAt")?,
        file_modified_at: date("fileModifiedAt")?,
        is_favorite,
        visibility,
        duration_ms,
        live_photo_video_id: field("livePhotoVideoId").map(str::to_string),
    })
}

/// Reads and drops what is left of a refused upload (up to a bound), so that
/// the client, still sending, receives the error instead of a reset connection.
async fn drain(multipart: &mut multer::Multipart<'_>) {
    const BUDGET: usize = 256 * 1024 * 1024;
    let mut seen = 0;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            seen += chunk.len();
            if seen > BUDGET {
                return;
            }
        }
    }
}

/// Milliseconds as a number, or the older `H:MM:SS.ffffff` form.
fn parse_duration(v: &str) -> Option<i64> {
    if let Ok(ms) = v.parse::<f64>() {
        return (ms.is_finite() && ms >= 0.0).then_some(ms.round() as i64);
    }
    let mut parts = v.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let total =
        h.parse::<f64>().ok()? * 3600.0 + m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?;
    Some((total * 1000.0).round() as i64)
}

async fn read_parts(
    library: &Library,
    caller: &Caller,
    multipart: &mut multer::Multipart<'_>,
    parts: &mut Parts,
) -> Result<(), ApiError> {
    let cut_off = |e: multer::Error| -> ApiError {
        tracing::warn!(error = %e, "upload body ended early or was malformed; nothing was stored");
        ApiError::bad_request(format!(
            "The upload did not arrive whole ({e}); nothing was stored, please retry"
        ))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(cut_off)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "assetData" | "sidecarData" => {
                let part_name = field.file_name().unwrap_or("").to_string();
                let mut temp: TempBlob = library.begin_upload(caller).await?;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if let Err(e) = temp.write(&chunk).await {
                                temp.abort().await;
                                return Err(keepsake_library::LibraryError::from(e).into());
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            temp.abort().await;
                            return Err(cut_off(e));
                        }
                    }
                }
                let done = temp
                    .finish()
                    .await
                    .map_err(keepsake_library::LibraryError::from)?;
                if name == "assetData" {
                    if let Some((old, _)) = parts.original.replace((done, part_name)) {
                        library.blobs().discard(old).await;
                    }
                } else if let Some(old) = parts.sidecar.replace(done) {
                    library.blobs().discard(old).await;
                }
            }
            _ => {
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(cut_off)? {
                    if value.len() + chunk.len() > MAX_FIELD_BYTES {
                        return Err(ApiError::bad_request(format!(
                            "Validation failed: field {name} is too long"
                        )));
                    }
                    value.extend_from_slice(&chunk);
                }
                parts
                    .fields
                    .push((name, String::from_utf8_lossy(&value).into_owned()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_in_both_forms() {
        assert_eq!(super::parse_duration("1500"), Some(1500));
        assert_eq!(super::parse_duration("0:00:01.500000"), Some(1500));
        assert_eq!(super::parse_duration("-1"), None);
        assert_eq!(super::parse_duration("soon"), None);
    }
}
