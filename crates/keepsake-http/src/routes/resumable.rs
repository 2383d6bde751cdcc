//! `/upload`: resumable uploads, for clients on connections that drop (the
//! web app uses it; `POST /assets` stays for Immich's clients).
//!
//! The wire is the IETF "Resumable Uploads for HTTP" draft, the protocol
//! Immich's own resumable-upload work follows:
//! - `POST /upload` creates an upload. Headers: `Upload-Complete: ?0` (more
//!   to come) or `?1`, `Upload-Length` (optional but checked against quota and
//!   free disk at once), and `X-Keepsake-Asset-Data`: base64 of a JSON object
//!   with the same fields as `POST /assets` (`filename`, `fileCreatedAt`,
//!   `fileModifiedAt`, `isFavorite`, `visibility`, `duration`,
//!   `livePhotoVideoId`). The body may carry the first bytes. The answer is
//!   201 with `Location: /api/upload/<id>` and `Upload-Offset`, or, when the
//!   upload is complete, the same answer as `POST /assets`.
//! - `HEAD /upload/<id>` gives `Upload-Offset`: how much arrived.
//! - `PATCH /upload/<id>` with `Upload-Offset` (must equal the server's, or
//!   409 with the right one) and `Upload-Complete` appends the body. Bytes of a
//!   request cut off midway are kept. Completing answers as `POST /assets`.
//! - `DELETE /upload/<id>` abandons it.
//!
//! An `x-immich-checksum` header on creation short-cuts a file already in the
//! library, as on `POST /assets`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use keepsake_library::{AppendStart, Appender, Caller, UploadState};

use super::upload::{answer, fields_meta};
use crate::auth::Auth;
use crate::{ApiError, AppState};

/// The header carrying the asset's fields.
pub const ASSET_DATA: &str = "x-keepsake-asset-data";

pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let library = &state.library;
    let complete = upload_complete(&headers)?;
    let length = int_header(&headers, "upload-length")?;
    if let Some(sum) = headers
        .get("x-immich-checksum")
        .and_then(|v| v.to_str().ok())
        && let Some(id) = library.find_duplicate(&caller, sum).await?
    {
        return Ok(answer(&id, true));
    }
    let meta = fields_meta(&asset_data(&headers)?, "")?;
    let upload = library.create_upload(&caller, meta, length).await?;
    let AppendStart::Ready(appender) = library.append_upload(&caller, &upload.id, 0, None).await?
    else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the new upload was appended to by another request",
        ));
    };
    let location = format!("/api/upload/{}", upload.id);
    let mut response = receive(&caller, *appender, body, complete).await?;
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("ids are ASCII"),
    );
    if response.status() == StatusCode::NO_CONTENT {
        *response.status_mut() = StatusCode::CREATED;
    }
    Ok(response)
}

pub async fn offset(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let upload = state.library.upload_state(&caller, &id).await?;
    Ok(offset_answer(&upload))
}

pub async fn append(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let complete = upload_complete(&headers)?;
    let Some(offset) = int_header(&headers, "upload-offset")? else {
        return Err(ApiError::bad_request(
            "Upload-Offset is required: ask for it with HEAD first",
        ));
    };
    let length = int_header(&headers, "upload-length")?;
    let start = match state
        .library
        .append_upload(&caller, &id, offset, length)
        .await
    {
        Ok(start) => start,
        Err(e) => {
            drain(body).await;
            return Err(e.into());
        }
    };
    match start {
        AppendStart::Ready(appender) => receive(&caller, *appender, body, complete).await,
        AppendStart::Mismatch { offset: expected } => {
            drain(body).await;
            let body = serde_json::json!({
                "type": "https://iana.org/assignments/http-problem-types#mismatching-upload-offset",
                "title": "the offset sent is not the upload's",
                "message": format!("This upload is at byte {expected}, not {offset}; send from there"),
                "expected-offset": expected,
                "provided-offset": offset,
            });
            let mut response = (StatusCode::CONFLICT, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert("upload-offset", HeaderValue::from(expected));
            Ok(response)
        }
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.library.cancel_upload(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reads and drops a refused request's body (up to a bound), so the client,
/// still sending, receives the answer instead of a reset connection.
async fn drain(body: Body) {
    drain_stream(body.into_data_stream()).await
}

async fn drain_stream(mut stream: axum::body::BodyDataStream) {
    const BUDGET: usize = 64 * 1024 * 1024;
    let mut seen = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > BUDGET {
            return;
        }
    }
}

/// Streams a request body into the upload, then pauses it or completes it.
async fn receive(
    caller: &Caller,
    mut appender: Appender,
    body: Body,
    complete: bool,
) -> Result<Response, ApiError> {
    let mut stream = body.into_data_stream();
    loop {
        let next = tokio::select! {
            chunk = stream.next() => chunk,
            () = appender.superseded() => {
                let at = appender.pause().await?;
                tracing::info!(offset = at, "an upload was taken over by a newer request");
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("a newer request took over this upload at byte {at}"),
                ));
            }
        };
        match next {
            Some(Ok(bytes)) => {
                if let Err(e) = appender.write(&bytes).await {
                    appender.pause().await?;
                    drain_stream(stream).await;
                    return Err(e.into());
                }
            }
            Some(Err(e)) => {
                let at = appender.pause().await?;
                tracing::info!(offset = at, error = %e, "an upload request was cut off; its bytes so far are kept");
                return Err(ApiError::bad_request(format!(
                    "the request was cut off at byte {at}; ask for the offset (HEAD) and send the rest"
                )));
            }
            None => break,
        }
    }
    if complete {
        let outcome = appender.complete(caller).await?;
        let mut response = answer(&outcome.id, outcome.duplicate);
        response
            .headers_mut()
            .insert("upload-complete", HeaderValue::from_static("?1"));
        Ok(response)
    } else {
        let offset = appender.pause().await?;
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        h.insert("upload-offset", HeaderValue::from(offset));
        h.insert("upload-complete", HeaderValue::from_static("?0"));
        Ok(response)
    }
}

/// The answer to `HEAD`: how much of the upload has arrived.
fn offset_answer(upload: &UploadState) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert("upload-offset", HeaderValue::from(upload.offset));
    h.insert("upload-complete", HeaderValue::from_static("?0"));
    if let Some(len) = upload.length {
        h.insert("upload-length", HeaderValue::from(len));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `Upload-Complete`, a structured-field boolean.
fn upload_complete(headers: &HeaderMap) -> Result<bool, ApiError> {
    match headers.get("upload-complete").map(|v| v.as_bytes()) {
        Some(b"?1") => Ok(true),
        Some(b"?0") => Ok(false),
        Some(_) => Err(ApiError::bad_request(
            "Upload-Complete must be ?1 (this request ends the file) or ?0 (more follows)",
        )),
        None => Err(ApiError::bad_request(
            "Upload-Complete is required: ?1 when this request ends the file, ?0 when more follows",
        )),
    }
}

/// A structured-field integer header, if present.
fn int_header(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ApiError> {
    let Some(v) = headers.get(name) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_request(format!("{name} must be a non-negative integer")))
}

/// The asset's fields from `X-Keepsake-Asset-Data`, as `POST /assets` form fields.
fn asset_data(headers: &HeaderMap) -> Result<Vec<(String, String)>, ApiError> {
    let missing = || {
        ApiError::bad_request(format!(
            "{ASSET_DATA} is required: base64 of a JSON object with at least \"filename\""
        ))
    };
    let raw = headers
        .get(ASSET_DATA)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let json = keepsake_core::base64_decode(raw.trim())
        .ok_or_else(|| ApiError::bad_request(format!("{ASSET_DATA} is not base64")))?;
    let serde_json::Value::Object(map) = serde_json::from_slice(&json)
        .map_err(|e| ApiError::bad_request(format!("{ASSET_DATA} is not a JSON object: {e}")))?
    else {
        return Err(ApiError::bad_request(format!(
            "{ASSET_DATA} is not a JSON object"
        )));
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k, text))
        })
        .collect())
}
