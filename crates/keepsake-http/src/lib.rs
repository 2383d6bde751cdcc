//! Keepsake's HTTP API: a compatible subset of Immich's, so Immich's own
//! clients (the CLI, the mobile app) work unchanged, and the web app uses it too.
//!
//! The main entry is [`router`], which builds the axum router over a
//! [`keepsake_library::Library`]; [`serve`] runs it on a bound listener.
//! Handlers do four things: extract, authenticate ([`auth::Auth`]), call one
//! library method, and render a wire type from [`dto`].
//!
//! Invariants: Immich's JSON names and quirks live only in this crate; every
//! response, errors included, is `application/json` (except media bytes); no
//! handler checks permissions or touches SQL or files itself.

pub mod auth;
pub mod dto;
mod error;
mod extract;
mod routes;
mod web;
mod zip;

use axum::Router;
use keepsake_library::Library;

pub use error::ApiError;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub library: Library,
    /// The Flickr app key and endpoints, when the server was given them
    /// (imports started through the API need them).
    pub flickr: Option<keepsake_import::flickr::FlickrConfig>,
    /// The server's iCloud scheduler, woken when a sync is asked for.
    pub icloud: Option<keepsake_icloud::scheduler::Scheduler>,
}

/// What the HTTP layer needs besides the library.
#[derive(Clone, Default)]
pub struct HttpOptions {
    pub flickr: Option<keepsake_import::flickr::FlickrConfig>,
    /// A running iCloud scheduler (see `keepsake_icloud::scheduler`).
    pub icloud: Option<keepsake_icloud::scheduler::Scheduler>,
}

/// The whole HTTP surface: `/.well-known/immich`, everything under `/api`, and the web app.
pub fn router(library: Library) -> Router {
    router_with(library, HttpOptions::default())
}

/// [`router`] with options.
pub fn router_with(library: Library, options: HttpOptions) -> Router {
    routes::router(AppState {
        library,
        flickr: options.flickr,
        icloud: options.icloud,
    })
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    library: Library,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, library, HttpOptions::default(), shutdown).await
}

/// [`serve`] with options.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    library: Library,
    options: HttpOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router_with(library, options))
        .with_graceful_shutdown(shutdown)
        .await
}
