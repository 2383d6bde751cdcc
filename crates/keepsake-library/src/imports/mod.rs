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
    /// Stores the caller's sign-in to an outside service (`flickr`, `icloud`),
    /// sealed with the library's secret key.
    pub async fn set_service_credential(
        &self,
        caller: &Caller,
        service: &str,
        secret: &str,
    ) -> Result<()> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        Ok(self
            .db()
            .set_service_credential(
                caller.user_id(),
                service,
                &self
                    .inner
                    .secret
                    .seal(&secret_context(caller, service), secret),
            )
            .await?)
    }

    /// The caller's stored sign-in to an outside service.
    pub async fn service_credential(
        &self,
        caller: &Caller,
        service: &str,
    ) -> Result<Option<String>> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        match self
            .db()
            .service_credential(caller.user_id(), service)
            .await?
        {
            Some(stored) => Ok(Some(
                self.inner
                    .secret
                    .open(&secret_context(caller, service), &stored)?,
            )),
            None => Ok(None),
        }
    }
}

impl Library {
    /// The caller's items from a source kind that are here and not in the
    /// trash, as (item key, asset id).
    pub async fn imported_items(
        &self,
        caller: &Caller,
        kind: &str,
    ) -> Result<Vec<(String, String)>> {
        caller.require(keepsake_core::Permission::ASSET_READ)?;
        Ok(self.db().imported_items(caller.user_id(), kind).await?)
    }

    /// Moves the assets of source items deleted at the source to the trash
    /// (from where the person can restore them for the trash's days);
    /// returns the asset ids moved.
    pub async fn trash_source_items(
        &self,
        caller: &Caller,
        kind: &str,
        keys: &[String],
    ) -> Result<Vec<String>> {
        caller.require(keepsake_core::Permission::ASSET_DELETE)?;
        let wanted: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        let ids: Vec<String> = self
            .db()
            .imported_items(caller.user_id(), kind)
            .await?
            .into_iter()
            .filter(|(k, _)| wanted.contains(k.as_str()))
            .map(|(_, id)| id)
            .collect();
        if !ids.is_empty() {
            self.delete_assets(caller, &ids, crate::DeleteMode::Trash)
                .await?;
        }
        Ok(ids)
    }
}

/// What a sealed credential is bound to: its row.
fn secret_context(caller: &Caller, service: &str) -> String {
    format!("{}/{service}", caller.user_id())
}
