//! Keepsake's media pipeline: what a file says about itself (metadata, dates,
//! sidecars) and what people look at (previews, thumbnails, thumbhash, video).
//!
//! Two halves with one error type:
//! - [`metadata`]: reads metadata from images and videos in Rust (no exiftool),
//!   reads and writes XMP sidecars, and decides an asset's date.
//! - [`derive`]: decodes an image once and produces the preview JPEG, the
//!   thumbnail WebP and the thumbhash.
//! - [`video`]: probe, poster frame and transcode with the real ffprobe/ffmpeg.
//! - [`geocode`]: city, state and country for coordinates, offline.
//!
//! Invariant: a corrupt or hostile file is an `Err` for that file, never a
//! panic, an unbounded allocation or a hang.

pub mod derive;
pub mod geocode;
pub mod metadata;
pub mod video;

/// An error from reading or deriving media. Messages name the file's problem.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("unsupported or unrecognised file format: {0}")]
    Unsupported(String),
    #[error("corrupt file: {0}")]
    Corrupt(String),
    #[error("{tool} failed: {message}")]
    Tool { tool: &'static str, message: String },
}

pub type Result<T> = std::result::Result<T, MediaError>;
