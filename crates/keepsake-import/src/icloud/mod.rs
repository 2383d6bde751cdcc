//! iCloud Photos as an import source: Apple ID sign-in (SRP-6a, two-factor
//! codes, the long-lived trust token), the CloudKit Photos queries that list a
//! library, its albums and its Recently Deleted, and pre-signed downloads that
//! are checked against Apple's own file checksum.
//!
//! The protocol facts come from `PROTOCOL.md` of the iCloud research (§1 auth,
//! §2 CloudKit, §3 downloads, §7 corrections). Everything that must survive a
//! restart lives in [`SessionState`], which the caller persists (encrypted).

mod auth;
mod cloudkit;
mod cookies;
mod download;
mod error;
mod model;
mod source;
pub mod srp;

pub use auth::{
    DEFAULT_AUTH_URL, DEFAULT_SETUP_URL, IcloudClient, IcloudConfig, MfaMethod, SessionState,
    SignIn, TrustedPhone,
};
pub use cloudkit::{DeleteResult, PhotoList};
pub use cookies::StoredCookie;
pub use download::{CHECKSUM_SALT, ChecksumHasher, file_checksum};
pub use error::IcloudError;
pub use model::{
    Album, Database, Photo, Resource, ResourceChecksum, Zone, extension_for_uti,
    location_from_bplist, parse_album, parse_photos,
};
pub use source::{EditPolicy, IcloudOptions, IcloudSource, SharedPolicy};
