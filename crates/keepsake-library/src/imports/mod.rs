//! Imports: one engine that turns items from any source (folders, Google
//! Takeout, Flickr, a Flickr export) into assets and albums, with a recorded
//! run, a per-item outcome, resumable checkpoints and respect for what the
//! user deleted. Sources implement [`Source`] in `keepsake-import`.

mod engine;

pub use engine::{ImportOptions, ImportProgress, StartedImport};
pub use keepsake_db::imports::{ImportRunRecord, RunItemRecord};

pub use keepsake_core::import::{
    Granularity, ItemLocation, ItemMeta, Source, SourceAlbum, SourceDate, SourceError, SourceItem,
};

use crate::{Caller, Library, Result};

impl Library {
    /// Stores the caller's sign-in to an outside service (`flickr`).
    pub async fn set_service_credential(
        &self,
        caller: &Caller,
        service: &str,
        secret: &str,
    ) -> Result<()> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        Ok(self
            .db()
            .set_service_credential(caller.user_id(), service, secret)
            .await?)
    }

    /// The caller's stored sign-in to an outside service.
    pub async fn service_credential(
        &self,
        caller: &Caller,
        service: &str,
    ) -> Result<Option<String>> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        Ok(self
            .db()
            .service_credential(caller.user_id(), service)
            .await?)
    }
}
