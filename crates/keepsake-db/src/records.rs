//! Rows as the store hands them out: plain data, one struct per table.

/// An account.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub should_change_password: bool,
    pub storage_label: Option<String>,
    pub quota_size_bytes: Option<i64>,
    pub avatar_color: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub profile_changed_at: i64,
    pub deleted_at: Option<i64>,
}

/// A login session; only the SHA-256 of its token is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
    pub device_type: String,
    pub device_os: String,
    pub app_version: String,
    pub is_pending_sync_reset: bool,
}

/// An API key; only the SHA-256 of its secret is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// Permission names, as stored.
    pub permissions: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An asset (photo or video) and the exif fields the foundation reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetRecord {
    pub id: String,
    pub owner_id: String,
    pub asset_type: String,
    /// Store key of the original, relative to the file store's root; for an
    /// asset of an external library, the absolute path of the file in place.
    pub original_path: String,
    pub original_file_name: String,
    /// A store key, or for an external asset an absolute path next to its
    /// original (read, never written: Keepsake's edits go to a store key).
    pub sidecar_path: Option<String>,
    pub checksum: Vec<u8>,
    pub file_size: i64,
    pub file_created_at: i64,
    /// For an external asset, the file's mtime as the last scan saw it.
    pub file_modified_at: i64,
    pub local_date_time: i64,
    pub is_favorite: bool,
    pub visibility: String,
    pub deleted_at: Option<i64>,
    /// The external library the asset belongs to; `None` for uploads and imports.
    pub library_id: Option<String>,
    /// An external asset whose file was missing or unreadable at the last scan.
    pub is_offline: bool,
    pub duration_ms: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbhash: Option<Vec<u8>>,
    pub live_photo_video_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub exif: ExifRecord,
}

/// The `asset_exif` row (always present for an asset; fields the media
/// pipeline has not filled yet are `None`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExifRecord {
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens_model: Option<String>,
    pub exif_image_width: Option<i64>,
    pub exif_image_height: Option<i64>,
    pub file_size: Option<i64>,
    pub orientation: Option<String>,
    pub date_time_original: Option<i64>,
    pub modify_date: Option<i64>,
    pub time_zone: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub description: String,
    pub rating: Option<i64>,
    pub f_number: Option<f64>,
    pub focal_length: Option<f64>,
    pub iso: Option<i64>,
    pub exposure_time: Option<String>,
    pub fps: Option<f64>,
    pub projection_type: Option<String>,
    pub profile_description: Option<String>,
    pub colorspace: Option<String>,
    pub bits_per_sample: Option<i64>,
    pub live_photo_cid: Option<String>,
}

/// A new asset to insert.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub id: String,
    pub owner_id: String,
    pub asset_type: String,
    pub original_path: String,
    pub original_file_name: String,
    pub sidecar_path: Option<String>,
    pub checksum: Vec<u8>,
    pub file_size: i64,
    pub file_created_at: i64,
    pub file_modified_at: i64,
    pub local_date_time: i64,
    pub is_favorite: bool,
    pub visibility: String,
    pub duration_ms: Option<i64>,
    pub live_photo_video_id: Option<String>,
    /// Set for an asset of an external library: `original_path` is then the
    /// absolute path of the file, which stays where it is.
    pub library_id: Option<String>,
}

/// An album with the counts and dates its listing shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbumRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub thumbnail_asset_id: Option<String>,
    pub is_activity_enabled: bool,
    pub sort_order: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Assets in the album that are not trashed.
    pub asset_count: i64,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub last_modified_asset_at: Option<i64>,
    /// Members with their roles; the owner comes first.
    pub users: Vec<AlbumMember>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlbumMember {
    pub user_id: String,
    pub role: String,
}

/// One job in the durable queue.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: String,
    pub asset_id: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// An external library: folders indexed in place, belonging to one owner.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryRecord {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    /// Absolute folder paths, in the order given.
    pub import_paths: Vec<String>,
    /// Globs (`**`, `*`, `?`) matched against absolute file paths.
    pub exclusion_patterns: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the last full scan finished.
    pub refreshed_at: Option<i64>,
    /// Assets of the library that are not in the trash.
    pub asset_count: i64,
    /// What the last full scan found (all zero before the first one).
    pub last_scan: ScanReport,
}

/// What a scan of an external library found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// New files indexed as assets.
    pub added: i64,
    /// Files whose size or mtime changed: re-hashed and re-read.
    pub changed: i64,
    /// Assets whose file was found under another path of the library (moved
    /// or renamed): they follow it, keeping their edits and albums.
    pub moved: i64,
    /// Files whose size and mtime were as recorded (not read).
    pub unchanged: i64,
    /// Assets whose file was gone or unreadable, now offline.
    pub offline: i64,
    /// Offline assets whose file was found again.
    pub online: i64,
    /// Files whose content the owner already has as another asset (not indexed).
    pub duplicates: i64,
    /// Files that could not be indexed (see the log).
    pub failed: i64,
    /// Files whose content was read to compute a checksum.
    pub hashed: i64,
}
