//! Server-wide views for admins: statistics per user and disk usage.

use keepsake_core::Permission;
use keepsake_db::assets::AssetFilter;

use crate::{Caller, Library, Result};

/// Usage of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct UserUsage {
    pub user_id: String,
    pub user_name: String,
    pub photos: i64,
    pub videos: i64,
    pub usage: i64,
    pub usage_photos: i64,
    pub usage_videos: i64,
    pub quota_size_bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerStatistics {
    pub photos: i64,
    pub videos: i64,
    pub usage: i64,
    pub usage_photos: i64,
    pub usage_videos: i64,
    pub by_user: Vec<UserUsage>,
}

/// Disk space where the library lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageInfo {
    pub available: u64,
    pub total: u64,
}

impl Library {
    /// Admin: assets and bytes per user.
    pub async fn server_statistics(&self, caller: &Caller) -> Result<ServerStatistics> {
        caller.require(Permission::SERVER_STATISTICS)?;
        caller.require_admin()?;
        let mut stats = ServerStatistics {
            photos: 0,
            videos: 0,
            usage: 0,
            usage_photos: 0,
            usage_videos: 0,
            by_user: Vec::new(),
        };
        for user in self.db().list_users(false).await? {
            let filter = AssetFilter {
                owner_ids: vec![user.id.clone()],
                ..Default::default()
            };
            let counts = self.db().count_assets(&filter).await?;
            let (usage_photos, usage_videos) = self.db().usage_by_type(&user.id).await?;
            let usage = usage_photos + usage_videos;
            stats.photos += counts.images;
            stats.videos += counts.videos;
            stats.usage += usage;
            stats.usage_photos += usage_photos;
            stats.usage_videos += usage_videos;
            stats.by_user.push(UserUsage {
                user_id: user.id,
                user_name: user.name,
                photos: counts.images,
                videos: counts.videos,
                usage,
                usage_photos,
                usage_videos,
                quota_size_bytes: user.quota_size_bytes,
            });
        }
        Ok(stats)
    }

    /// Disk space of the data directory's file system.
    pub async fn storage_info(&self, caller: &Caller) -> Result<StorageInfo> {
        caller.require(Permission::SERVER_STORAGE)?;
        let (available, total) = self.blobs().disk_space()?;
        Ok(StorageInfo { available, total })
    }

    /// Seconds since this library was opened.
    pub fn uptime_seconds(&self) -> u64 {
        self.inner.started_at.elapsed().as_secs()
    }
}
