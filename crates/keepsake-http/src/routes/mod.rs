//! The route table: one module per Immich resource.

mod albums;
mod assets;
mod auth;
mod download;
mod icloud;
mod imports;
mod libraries;
mod queues;
mod resumable;
mod search;
mod server;
mod socket;
mod sync;
mod tags;
mod upload;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post, put};

use crate::AppState;
use crate::error::json_error;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        // server
        .route("/server/ping", get(server::ping))
        .route("/server/version", get(server::version))
        .route("/server/version-history", get(server::version_history))
        .route("/server/media-types", get(server::media_types))
        .route("/server/features", get(server::features))
        .route("/server/config", get(server::config))
        .route("/server/about", get(server::about))
        .route("/server/statistics", get(server::statistics))
        .route("/server/storage", get(server::storage))
        // auth
        .route("/auth/admin-sign-up", post(auth::admin_sign_up))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/validateToken", post(auth::validate_token))
        .route("/auth/change-password", post(auth::change_password))
        .route("/auth/status", get(auth::status))
        .route("/api-keys", get(auth::list_keys).post(auth::create_key))
        .route("/api-keys/me", get(auth::my_key))
        .route(
            "/api-keys/{id}",
            get(auth::get_key)
                .put(auth::update_key)
                .delete(auth::delete_key),
        )
        .route(
            "/sessions",
            get(auth::list_sessions).delete(auth::delete_sessions),
        )
        .route("/sessions/{id}", delete(auth::delete_session))
        // users
        .route("/users", get(users::list))
        .route("/users/me", get(users::me).put(users::update_me))
        .route("/users/me/preferences", get(users::preferences))
        .route("/users/{id}", get(users::get))
        .route(
            "/admin/users",
            get(users::admin_list).post(users::admin_create),
        )
        .route(
            "/admin/users/{id}",
            get(users::admin_get)
                .put(users::admin_update)
                .delete(users::admin_delete),
        )
        // assets
        .route(
            "/assets",
            post(upload::upload)
                .put(assets::bulk_update)
                .delete(assets::delete),
        )
        .route("/upload", post(resumable::create))
        .route(
            "/upload/{id}",
            axum::routing::head(resumable::offset)
                .patch(resumable::append)
                .delete(resumable::cancel),
        )
        .route("/assets/bulk-upload-check", post(assets::bulk_upload_check))
        .route("/assets/statistics", get(assets::statistics))
        .route("/assets/{id}", get(assets::get).put(assets::update))
        .route("/assets/{id}/original", get(assets::original))
        .route("/assets/{id}/thumbnail", get(assets::thumbnail))
        .route("/assets/{id}/video/playback", get(assets::playback))
        .route("/trash/empty", post(assets::empty_trash))
        .route("/trash/restore", post(assets::restore_trash))
        .route("/trash/restore/assets", post(assets::restore_assets))
        // albums
        .route("/albums", get(albums::list).post(albums::create))
        .route("/albums/statistics", get(albums::statistics))
        .route(
            "/albums/{id}",
            get(albums::get)
                .patch(albums::update)
                .delete(albums::delete),
        )
        .route(
            "/albums/{id}/assets",
            put(albums::add_assets).delete(albums::remove_assets),
        )
        .route("/albums/{id}/users", put(albums::add_users))
        .route(
            "/albums/{id}/user/{user_id}",
            put(albums::update_user).delete(albums::remove_user),
        )
        // browsing
        .route("/timeline/buckets", get(search::buckets))
        .route("/timeline/bucket", get(search::bucket))
        .route("/search/metadata", post(search::metadata))
        .route("/search/suggestions", get(search::suggestions))
        .route("/download/info", post(download::info))
        .route("/download/archive", post(download::archive))
        .route("/map/markers", get(search::map_markers))
        // tags
        .route(
            "/tags",
            get(tags::list).post(tags::create).put(tags::upsert),
        )
        .route("/tags/assets", put(tags::bulk_assets))
        // imports (Keepsake's own)
        .route("/imports", get(imports::list).post(imports::start))
        .route("/imports/{id}", get(imports::get))
        .route("/imports/{id}/items", get(imports::items))
        .route("/assets/{id}/sources", get(imports::asset_sources))
        .route(
            "/tags/{id}",
            get(tags::get).put(tags::update).delete(tags::delete),
        )
        .route(
            "/tags/{id}/assets",
            put(tags::tag_assets).delete(tags::untag_assets),
        )
        // iCloud Photos connection (Keepsake's own; code routes as icloud-photos-sync's)
        .route("/icloud/state", get(icloud::state))
        .route("/icloud/mfa", post(icloud::mfa))
        .route("/icloud/resend_mfa", post(icloud::resend_mfa))
        .route("/icloud/sync", post(icloud::sync))
        .route("/icloud/settings", put(icloud::settings))
        // external libraries
        .route("/libraries", get(libraries::list).post(libraries::create))
        .route(
            "/libraries/{id}",
            get(libraries::get)
                .put(libraries::update)
                .delete(libraries::delete),
        )
        .route("/libraries/{id}/scan", post(libraries::scan))
        .route("/libraries/{id}/statistics", get(libraries::statistics))
        .route("/libraries/{id}/validate", post(libraries::validate))
        // mobile sync
        .route("/sync/stream", post(sync::stream))
        .route(
            "/sync/ack",
            get(sync::list_acks)
                .post(sync::ack)
                .delete(sync::delete_acks),
        )
        // live updates (socket.io)
        .route("/socket.io/", get(socket::connect))
        .route("/socket.io", get(socket::connect))
        // jobs
        .route("/queues", get(queues::list))
        .route("/queues/{name}", get(queues::get).put(queues::update))
        .route("/queues/{name}/jobs", get(queues::jobs))
        .route("/jobs", get(queues::legacy_list))
        .route("/jobs/{name}", put(queues::legacy_command))
        .fallback(not_found);
    Router::new()
        .route("/.well-known/immich", get(server::well_known))
        .nest("/api", api)
        .fallback(web_or_not_found)
        .layer(axum::middleware::from_fn(limit_headers))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// GET and HEAD outside `/api` load the web app; anything else is an unknown route.
async fn web_or_not_found(
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        crate::web::serve(uri, headers).await
    } else {
        not_found().await
    }
}

/// Headers beyond this many bytes in total are refused before any handler runs.
const MAX_HEADER_BYTES: usize = 64 * 1024;

async fn limit_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        return json_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request headers are too large (over 64 KiB)",
        );
    }
    next.run(request).await
}

async fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "Not found")
}
