//! Integration tests: the real server on an ephemeral port with a temp data
//! directory, once per database engine (SQLite always; PostgreSQL when
//! `KEEPSAKE_TEST_POSTGRES_URL` is set). One test binary for the whole crate.

mod api;
mod authz;
mod commands;
mod icloud;
mod immich_cli;
mod import_sources;
mod imports;
mod libraries;
mod live;
mod media;
mod mobile;
mod phone_db;
mod resumable;
mod safety;
mod sync;
mod sync_safety;
mod web;

/// Runs an async test body once per engine, each on a fresh server.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, |$server:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for engine in keepsake_testkit::engines() {
                let $server = keepsake_testkit::TestServer::start(engine).await;
                $body
            }
        }
    };
}
