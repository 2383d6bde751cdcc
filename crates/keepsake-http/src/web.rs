//! The web app, served from files embedded at build time (see `build.rs`):
//! any path outside `/api` that names a file gets it, with a content type from
//! its extension and an ETag; every other path gets `index.html`, so deep links
//! (`/photos/<id>`, `/albums/<id>`) load the app, which routes on the client.
//!
//! For working on the app, `KEEPSAKE_WEB_DIR=web` serves the files from disk
//! instead, so a change needs a reload, not a rebuild.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "webmanifest") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn from_disk(path: &str) -> Option<(Vec<u8>, String)> {
    let dir = std::env::var_os("KEEPSAKE_WEB_DIR")?;
    if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return None;
    }
    let bytes = std::fs::read(std::path::Path::new(&dir).join(path)).ok()?;
    let tag = format!(
        "\"{:x}-{}\"",
        bytes.len(),
        bytes.iter().map(|b| *b as u64).sum::<u64>()
    );
    Some((bytes, tag))
}

fn lookup(path: &str) -> Option<(Vec<u8>, String)> {
    if std::env::var_os("KEEPSAKE_WEB_DIR").is_some() {
        return from_disk(path);
    }
    WEB_ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, bytes, tag)| (bytes.to_vec(), tag.to_string()))
}

/// Serves the app for a non-API GET.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (name, found) = match lookup(path) {
        Some(f) if !path.is_empty() => (path, Some(f)),
        _ => ("index.html", lookup("index.html")),
    };
    let Some((bytes, tag)) = found else {
        let mut r = Response::new(Body::from(
            "<!doctype html><title>Keepsake</title><p>The web app is not part of this build: \
             its files belong in <code>web/</code> of the source tree. The API is at <code>/api</code>.",
        ));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return r;
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut r = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Body::from(bytes))
    };
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    // File names carry no hash, so browsers revalidate (cheap: 304 by ETag).
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}
