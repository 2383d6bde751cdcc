//! Ingest and the operations on single assets.
//!
//! Ingest order is what makes it crash safe: the bytes stream into a temp file
//! (hashed on the way) and are fsynced; the final name is recorded in
//! `pending_files`; the file is linked under that name; then the asset row
//! commits and clears the record. A crash before the commit leaves a pending
//! record that start-up resolves by removing the file, so a file in the library
//! always has its row, and a row always has its file.

use keepsake_blobs::FinishedBlob;
use keepsake_core::{AssetType, Permission, Timestamp, Visibility};
use keepsake_db::assets::{AssetChanges, AssetFilter, InsertOutcome};
use keepsake_db::{AssetRecord, NewAsset};

use crate::{Caller, Library, LibraryError, Result};

/// What the client said about an upload, besides the bytes.
#[derive(Debug, Clone, Default)]
pub struct UploadMeta {
    /// The file name the asset keeps (`filename` field, else the part's file name).
    pub file_name: String,
    pub file_created_at: Option<Timestamp>,
    pub file_modified_at: Option<Timestamp>,
    pub is_favorite: bool,
    pub visibility: Option<Visibility>,
    pub duration_ms: Option<i64>,
    pub live_photo_video_id: Option<String>,
}

/// The result of an upload: the asset's id, and whether it already existed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOutcome {
    pub id: String,
    pub duplicate: bool,
}

/// One entry of a bulk upload check.
#[derive(Debug, Clone)]
pub struct BulkCheckItem {
    pub id: String,
    pub checksum: String,
}

/// The answer for one entry: accept, or reject with the existing asset.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkCheckResult {
    Accept {
        id: String,
    },
    Duplicate {
        id: String,
        asset_id: String,
        is_trashed: bool,
    },
    Invalid {
        id: String,
    },
}

/// Trash, or remove for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteMode {
    Trash,
    Force,
}

impl Library {
    /// Checks an upload's file name before any bytes are read.
    pub fn check_upload_name(&self, caller: &Caller, file_name: &str) -> Result<AssetType> {
        caller.require(Permission::ASSET_UPLOAD)?;
        AssetType::from_file_name(file_name)
            .ok_or_else(|| LibraryError::Invalid(format!("Unsupported file type {file_name}")))
    }

    /// A temp file for the bytes of an upload.
    pub async fn begin_upload(&self, caller: &Caller) -> Result<keepsake_blobs::TempBlob> {
        caller.require(Permission::ASSET_UPLOAD)?;
        Ok(self.blobs().create_temp().await?)
    }

    /// An existing asset of the caller with this checksum (the `x-immich-checksum` short cut).
    pub async fn find_duplicate(&self, caller: &Caller, checksum: &str) -> Result<Option<String>> {
        caller.require(Permission::ASSET_UPLOAD)?;
        let Some(sum) = keepsake_core::parse_sha1_checksum(checksum) else {
            return Ok(None);
        };
        Ok(self
            .db()
            .asset_id_by_checksum(caller.user_id(), &sum)
            .await?)
    }

    /// Turns a fully received upload into an asset, or finds the one it duplicates.
    /// The temp files are consumed either way.
    pub async fn finish_upload(
        &self,
        caller: &Caller,
        original: FinishedBlob,
        sidecar: Option<FinishedBlob>,
        meta: UploadMeta,
    ) -> Result<UploadOutcome> {
        let result = self.ingest(caller, &original, sidecar.as_ref(), meta).await;
        self.blobs().discard(original).await;
        if let Some(s) = sidecar {
            self.blobs().discard(s).await;
        }
        result
    }

    pub(crate) async fn ingest(
        &self,
        caller: &Caller,
        original: &FinishedBlob,
        sidecar: Option<&FinishedBlob>,
        meta: UploadMeta,
    ) -> Result<UploadOutcome> {
        self.ingest_as(caller, original, sidecar, meta, keepsake_db::new_id())
            .await
    }

    /// [`Library::ingest`] with the new asset's id chosen by the caller (the
    /// import engine records it before the asset exists, to resume safely).
    pub(crate) async fn ingest_as(
        &self,
        caller: &Caller,
        original: &FinishedBlob,
        sidecar: Option<&FinishedBlob>,
        meta: UploadMeta,
        id: String,
    ) -> Result<UploadOutcome> {
        let asset_type = self.check_upload_name(caller, &meta.file_name)?;
        if original.size == 0 {
            return Err(LibraryError::Invalid("File is empty".into()));
        }
        let owner = &caller.user;
        if let Some(existing) = self
            .db()
            .asset_id_by_checksum(&owner.id, &original.sha1)
            .await?
        {
            return Ok(UploadOutcome {
                id: existing,
                duplicate: true,
            });
        }
        if let Some(quota) = owner.quota_size_bytes {
            let used = self.db().usage_bytes(&owner.id).await?;
            if used + original.size as i64 > quota {
                return Err(LibraryError::Invalid("Quota has been exceeded!".into()));
            }
        }
        if let Some(video) = &meta.live_photo_video_id {
            let linked = self.db().asset_by_id(video).await?;
            if !linked.is_some_and(|v| {
                v.owner_id == owner.id && v.asset_type == AssetType::Video.as_str()
            }) {
                return Err(LibraryError::Invalid("Live photo video not found".into()));
            }
        }
        let now = Timestamp(keepsake_db::now_ms());
        let created = meta
            .file_created_at
            .or(meta.file_modified_at)
            .unwrap_or(now);
        let modified = meta.file_modified_at.unwrap_or(created);
        let user_dir = owner
            .storage_label
            .clone()
            .unwrap_or_else(|| owner.id.clone());
        let desired = keepsake_core::template::render(
            &self.config().storage_template,
            &user_dir,
            created,
            &meta.file_name,
            &id,
        );
        let original_key = self.link_new(original, &desired).await?;
        let sidecar_key = match sidecar {
            Some(s) if s.size > 0 => match self.link_new(s, &format!("{original_key}.xmp")).await {
                Ok(k) => Some(k),
                Err(e) => {
                    self.unlink_pending(&original_key).await;
                    return Err(e);
                }
            },
            _ => None,
        };
        let new = NewAsset {
            id: id.clone(),
            owner_id: owner.id.clone(),
            asset_type: asset_type.as_str().to_string(),
            original_path: original_key.clone(),
            original_file_name: meta.file_name.clone(),
            sidecar_path: sidecar_key.clone(),
            checksum: original.sha1.to_vec(),
            file_size: original.size as i64,
            file_created_at: created.0,
            file_modified_at: modified.0,
            local_date_time: created.0,
            is_favorite: meta.is_favorite,
            visibility: meta
                .visibility
                .unwrap_or(Visibility::Timeline)
                .as_str()
                .to_string(),
            duration_ms: meta.duration_ms,
            live_photo_video_id: meta.live_photo_video_id.clone(),
            library_id: None,
        };
        let outcome = self
            .db()
            .insert_asset(&new, &[crate::media::extract_job(&id)])
            .await;
        match outcome {
            Ok(InsertOutcome::Created(id)) => {
                self.inner.jobs_ready.notify_waiters();
                tracing::info!(asset = %id, path = %original_key, size = original.size, "stored a new asset");
                Ok(UploadOutcome {
                    id,
                    duplicate: false,
                })
            }
            Ok(InsertOutcome::Duplicate(existing)) => {
                self.unlink_pending(&original_key).await;
                if let Some(s) = &sidecar_key {
                    self.unlink_pending(s).await;
                }
                Ok(UploadOutcome {
                    id: existing,
                    duplicate: true,
                })
            }
            Err(e) => {
                self.unlink_pending(&original_key).await;
                if let Some(s) = &sidecar_key {
                    self.unlink_pending(s).await;
                }
                Err(e.into())
            }
        }
    }

    /// Links a finished blob under `desired` or the first free `+N` variant,
    /// recording each name in `pending_files` before the link exists.
    async fn link_new(&self, blob: &FinishedBlob, desired: &str) -> Result<String> {
        for n in 0..10_000u32 {
            let candidate = if n == 0 {
                desired.to_string()
            } else {
                keepsake_core::template::with_suffix(desired, n)
            };
            self.db().add_pending_file(&candidate, &blob.sha1).await?;
            match self.blobs().try_link(blob, &candidate).await {
                Ok(true) => return Ok(candidate),
                Ok(false) => self.db().remove_pending_file(&candidate).await?,
                Err(e) => {
                    self.db().remove_pending_file(&candidate).await?;
                    return Err(e.into());
                }
            }
        }
        Err(LibraryError::Internal(format!(
            "no free file name for {desired}"
        )))
    }

    /// Removes a linked file whose row was not written, and its pending record.
    async fn unlink_pending(&self, key: &str) {
        if let Err(e) = self.blobs().delete(key).await {
            tracing::error!(%key, error = %e, "could not remove a file of a failed upload; it is removed at the next start");
            return;
        }
        if let Err(e) = self.db().remove_pending_file(key).await {
            tracing::warn!(%key, error = %e, "could not clear a pending-file record");
        }
    }

    /// Which of the client's files the server already has (by SHA-1, hex or base64).
    pub async fn bulk_upload_check(
        &self,
        caller: &Caller,
        items: &[BulkCheckItem],
    ) -> Result<Vec<BulkCheckResult>> {
        caller.require(Permission::ASSET_UPLOAD)?;
        let parsed: Vec<Option<[u8; 20]>> = items
            .iter()
            .map(|i| keepsake_core::parse_sha1_checksum(&i.checksum))
            .collect();
        let sums: Vec<Vec<u8>> = parsed.iter().flatten().map(|s| s.to_vec()).collect();
        let found = self
            .db()
            .assets_by_checksums(caller.user_id(), &sums)
            .await?;
        Ok(items
            .iter()
            .zip(parsed)
            .map(|(item, sum)| match sum {
                None => BulkCheckResult::Invalid {
                    id: item.id.clone(),
                },
                Some(sum) => match found
                    .iter()
                    .find(|(c, _, _)| c.as_slice() == sum.as_slice())
                {
                    Some((_, asset_id, trashed)) => BulkCheckResult::Duplicate {
                        id: item.id.clone(),
                        asset_id: asset_id.clone(),
                        is_trashed: *trashed,
                    },
                    None => BulkCheckResult::Accept {
                        id: item.id.clone(),
                    },
                },
            })
            .collect())
    }

    /// An asset the caller may see: their own, or one in an album shared with them.
    pub async fn get_asset(&self, caller: &Caller, id: &str) -> Result<AssetRecord> {
        caller.require(Permission::ASSET_READ)?;
        self.readable_asset(caller, id).await
    }

    pub(crate) async fn readable_asset(&self, caller: &Caller, id: &str) -> Result<AssetRecord> {
        let not_found = || LibraryError::NotFound("Asset not found or no access".into());
        let asset = self.db().asset_by_id(id).await?.ok_or_else(not_found)?;
        if asset.owner_id == caller.user.id {
            return Ok(asset);
        }
        for album in self.db().album_ids_for_asset(id).await? {
            if self
                .db()
                .album_role(&album, caller.user_id())
                .await?
                .is_some()
            {
                return Ok(asset);
            }
        }
        Err(not_found())
    }

    /// An asset the caller owns (for changes and deletes).
    pub(crate) async fn owned_asset(&self, caller: &Caller, id: &str) -> Result<AssetRecord> {
        match self.db().asset_by_id(id).await? {
            Some(a) if a.owner_id == caller.user.id => Ok(a),
            _ => Err(LibraryError::NotFound(
                "Asset not found or no access".into(),
            )),
        }
    }

    /// The original file of an asset the caller may see: `(absolute path, asset)`.
    pub async fn original_file(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(std::path::PathBuf, AssetRecord)> {
        caller.require(Permission::ASSET_DOWNLOAD)?;
        let asset = self.readable_asset(caller, id).await?;
        let path = self.served_original(&asset)?;
        Ok((path, asset))
    }

    /// Checks and applies `changes` to assets the caller owns; all or nothing.
    pub async fn update_assets(
        &self,
        caller: &Caller,
        ids: &[String],
        changes: &AssetChanges,
    ) -> Result<Vec<AssetRecord>> {
        caller.require(Permission::ASSET_UPDATE)?;
        if let Some(Some(r)) = changes.rating
            && !(-1..=5).contains(&r)
        {
            return Err(LibraryError::Invalid(
                "rating must be between -1 and 5".into(),
            ));
        }
        if changes.latitude.is_some() != changes.longitude.is_some() {
            return Err(LibraryError::Invalid(
                "latitude and longitude must be given together".into(),
            ));
        }
        if let (Some(lat), Some(lon)) = (changes.latitude, changes.longitude)
            && (!(-90.0..=90.0).contains(&lat)
                || !(-180.0..=180.0).contains(&lon)
                || !lat.is_finite()
                || !lon.is_finite())
        {
            return Err(LibraryError::Invalid(
                "latitude must be within ±90 and longitude within ±180".into(),
            ));
        }
        for id in ids {
            self.owned_asset(caller, id).await?;
        }
        if let Some(Some(video)) = &changes.live_photo_video_id {
            let v = self.owned_asset(caller, video).await?;
            if v.asset_type != AssetType::Video.as_str() {
                return Err(LibraryError::Invalid(
                    "livePhotoVideoId must be a video".into(),
                ));
            }
        }
        let mut changes = changes.clone();
        if let (Some(lat), Some(lon)) = (changes.latitude, changes.longitude) {
            let place = tokio::task::spawn_blocking(move || {
                keepsake_media::geocode::reverse_geocode(lat, lon)
            })
            .await
            .map_err(|e| LibraryError::Internal(e.to_string()))?;
            changes.place = match place {
                Some(p) => [Some(p.city), p.state, Some(p.country)],
                None => [None, None, None],
            };
        }
        self.db().update_assets(ids, &changes).await?;
        // Edits the library keeps in its files, too: written to the XMP sidecar.
        if changes.description.is_some()
            || changes.rating.is_some()
            || changes.date_time_original.is_some()
            || changes.latitude.is_some()
        {
            self.queue_sidecar_writes(ids).await?;
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.owned_asset(caller, id).await?);
        }
        Ok(out)
    }

    /// Moves owned assets to the trash, or removes them for good.
    pub async fn delete_assets(
        &self,
        caller: &Caller,
        ids: &[String],
        mode: DeleteMode,
    ) -> Result<()> {
        caller.require(Permission::ASSET_DELETE)?;
        for id in ids {
            self.owned_asset(caller, id).await?;
        }
        match mode {
            DeleteMode::Trash => {
                self.db().trash_assets(ids).await?;
            }
            DeleteMode::Force => {
                self.db().delete_assets(ids).await?;
                self.inner.jobs_ready.notify_waiters();
            }
        }
        Ok(())
    }

    /// Removes every trashed asset of the caller for good; returns how many.
    pub async fn empty_trash(&self, caller: &Caller) -> Result<usize> {
        caller.require(Permission::ASSET_DELETE)?;
        let ids = self.db().trashed_asset_ids(caller.user_id()).await?;
        self.db().delete_assets(&ids).await?;
        self.inner.jobs_ready.notify_waiters();
        Ok(ids.len())
    }

    /// Takes assets out of the trash (all of them with `None`); returns how many.
    pub async fn restore_trash(&self, caller: &Caller, ids: Option<&[String]>) -> Result<u64> {
        caller.require(Permission::ASSET_DELETE)?;
        if let Some(ids) = ids {
            for id in ids {
                self.owned_asset(caller, id).await?;
            }
        }
        Ok(self.db().restore_assets(caller.user_id(), ids).await?)
    }

    /// Image and video counts of the caller's assets.
    pub async fn asset_statistics(
        &self,
        caller: &Caller,
        is_favorite: Option<bool>,
        is_trashed: Option<bool>,
        visibility: Option<Visibility>,
    ) -> Result<(i64, i64)> {
        caller.require(Permission::ASSET_STATISTICS)?;
        let filter = AssetFilter {
            owner_ids: vec![caller.user.id.clone()],
            is_favorite,
            is_trashed: Some(is_trashed.unwrap_or(false)),
            visibility: visibility.map(|v| v.as_str().to_string()),
            exclude_visibilities: vec![
                Visibility::Hidden.as_str().into(),
                Visibility::Locked.as_str().into(),
            ],
            ..Default::default()
        };
        let counts = self.db().count_assets(&filter).await?;
        Ok((counts.images, counts.videos))
    }
}
