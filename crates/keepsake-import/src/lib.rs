//! Importers: sources that yield items (bytes, metadata, album memberships)
//! for the import engine. Today this is the Flickr API's protocol layer
//! ([`flickr`]); the engine that turns items into assets lives in the library.
//!
//! Invariant: importers only read at the source; nothing here deletes or
//! changes anything there.

pub mod flickr;
