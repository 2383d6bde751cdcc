//! Downloading many originals at once: which files an archive holds (after
//! the same access checks as a single download), split into archives of a
//! size people can handle, with names unique inside each archive.

use std::path::PathBuf;

use keepsake_core::Permission;
use keepsake_db::assets::AssetFilter;

use crate::{Caller, Library, LibraryError, Result};

/// One file going into an archive.
#[derive(Debug, Clone)]
pub struct DownloadFile {
    pub asset_id: String,
    pub path: PathBuf,
    /// Unique within the archive: a second `IMG_1.jpg` becomes `IMG_1+1.jpg`.
    pub name: String,
    pub size: u64,
    /// Wall-clock capture time (ms, as UTC): the entry's date in the archive.
    pub local_date_time: i64,
}

/// Immich's default archive size limit: 4 GiB.
pub const DEFAULT_ARCHIVE_SIZE: u64 = 4 << 30;

/// Most assets one request may put into archives.
const MAX_ASSETS: usize = 100_000;

impl Library {
    /// The assets a download request covers, split into archives of at most
    /// `archive_size` bytes (an asset larger than that gets one of its own).
    /// Returns `(total bytes, [(asset ids, bytes)])`.
    pub async fn download_info(
        &self,
        caller: &Caller,
        asset_ids: Option<&[String]>,
        album_id: Option<&str>,
        user_id: Option<&str>,
        archive_size: Option<u64>,
    ) -> Result<(u64, Vec<(Vec<String>, u64)>)> {
        caller.require(Permission::ASSET_DOWNLOAD)?;
        let limit = archive_size.unwrap_or(DEFAULT_ARCHIVE_SIZE).max(1);
        let mut assets = Vec::new();
        if let Some(ids) = asset_ids {
            for id in ids {
                assets.push(self.readable_asset(caller, id).await?);
            }
        } else if let Some(album) = album_id {
            self.get_album(caller, album).await?;
            let filter = AssetFilter {
                album_id: Some(album.to_string()),
                is_trashed: Some(false),
                ..Default::default()
            };
            assets = self
                .db()
                .find_assets(&filter, true, MAX_ASSETS as i64, 0)
                .await?;
        } else if let Some(user) = user_id {
            if user != caller.user_id() {
                return Err(LibraryError::Forbidden(
                    "Only your own library can be downloaded whole".into(),
                ));
            }
            let filter = AssetFilter {
                owner_ids: vec![user.to_string()],
                is_trashed: Some(false),
                ..Default::default()
            };
            assets = self
                .db()
                .find_assets(&filter, true, MAX_ASSETS as i64, 0)
                .await?;
        } else {
            return Err(LibraryError::Invalid(
                "assetIds, albumId or userId is required".into(),
            ));
        }
        let mut total = 0u64;
        let mut archives: Vec<(Vec<String>, u64)> = Vec::new();
        for a in assets {
            let size = a.file_size.max(0) as u64;
            total += size;
            match archives.last_mut() {
                Some((ids, bytes)) if *bytes + size <= limit || ids.is_empty() => {
                    ids.push(a.id);
                    *bytes += size;
                }
                _ => archives.push((vec![a.id], size)),
            }
        }
        Ok((total, archives))
    }

    /// The originals for one archive, in request order, checked one by one.
    pub async fn download_files(
        &self,
        caller: &Caller,
        asset_ids: &[String],
    ) -> Result<Vec<DownloadFile>> {
        caller.require(Permission::ASSET_DOWNLOAD)?;
        if asset_ids.len() > MAX_ASSETS {
            return Err(LibraryError::Invalid(format!(
                "An archive holds at most {MAX_ASSETS} assets; use /download/info to split it"
            )));
        }
        let mut names: Vec<String> = Vec::new();
        let mut files = Vec::new();
        for id in asset_ids {
            let asset = self.readable_asset(caller, id).await?;
            let mut name = asset.original_file_name.replace(['/', '\\'], "_");
            let mut n = 0;
            while names.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
                n += 1;
                name = keepsake_core::template::with_suffix(
                    &asset.original_file_name.replace(['/', '\\'], "_"),
                    n,
                );
            }
            names.push(name.clone());
            files.push(DownloadFile {
                asset_id: asset.id.clone(),
                path: self.served_original(&asset)?,
                name,
                size: asset.file_size.max(0) as u64,
                local_date_time: asset.local_date_time,
            });
        }
        Ok(files)
    }
}
