//! Importers: sources that yield items (bytes, metadata, album memberships)
//! for the import engine: folders, Google Takeout, Flickr ([`flickr`]) and
//! iCloud Photos ([`icloud`]); the engine that turns items into assets lives in the library.
//!
//! Invariant: importers only read at the source; no source deletes or
//! changes anything there. The one exception is the explicit remote delete
//! [`icloud::IcloudClient::delete_assets`], which only a user's request calls.

pub mod flickr;
pub mod flickr_export;
pub mod folder;
pub mod icloud;
pub mod takeout;

/// The label a run over these files or folders is known by: their absolute
/// paths, sorted. Starting the same import again (same kind, same label)
/// resumes its unfinished run.
pub fn source_label(paths: &[std::path::PathBuf]) -> String {
    let mut names: Vec<String> = paths
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .collect();
    names.sort();
    names.join(" ")
}
