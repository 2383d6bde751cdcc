//! iCloud Photos in Keepsake. The protocol (sign-in, CloudKit, downloads)
//! lives in `keepsake_import::icloud`; this crate is the service around it:
//! runs that sign in with a code handed in from any client, sync through the
//! library's import engine, keep the session sealed between runs, run on a
//! schedule, and archive albums.

pub mod archive;
pub mod run;
pub mod schedule;
pub mod scheduler;
pub mod sync;
