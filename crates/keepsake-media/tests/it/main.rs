//! Integration tests for the media pipeline: generated fixtures with known truth.

mod derive;
mod metadata;
