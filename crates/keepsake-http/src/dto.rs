//! Immich's wire types (3.1.0 shapes) and their conversions from library
//! records, written by hand so that the domain never carries Immich's names.

use keepsake_core::{Timestamp, base64_encode};
use keepsake_library::db::{
    AlbumRecord, ApiKeyRecord, AssetRecord, LibraryRecord, SessionRecord, UserRecord,
};
use serde::{Deserialize, Deserializer, Serialize};

pub fn iso(ms: i64) -> String {
    Timestamp(ms).to_iso()
}

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or set.
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAdminResponse {
    pub id: String,
    pub email: String,
    pub name: String,
    pub avatar_color: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    pub is_admin: bool,
    pub license: Option<()>,
    pub oauth_id: String,
    pub profile_changed_at: String,
    pub profile_image_path: String,
    pub quota_size_in_bytes: Option<i64>,
    pub quota_usage_in_bytes: Option<i64>,
    pub should_change_password: bool,
    pub status: &'static str,
    pub storage_label: Option<String>,
}

impl UserAdminResponse {
    pub fn new(u: &UserRecord, usage: i64) -> UserAdminResponse {
        UserAdminResponse {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            avatar_color: u.avatar_color.clone().unwrap_or_else(|| "primary".into()),
            created_at: iso(u.created_at),
            updated_at: iso(u.updated_at),
            deleted_at: u.deleted_at.map(iso),
            is_admin: u.is_admin,
            license: None,
            oauth_id: String::new(),
            profile_changed_at: iso(u.profile_changed_at),
            profile_image_path: String::new(),
            quota_size_in_bytes: u.quota_size_bytes,
            quota_usage_in_bytes: Some(usage),
            should_change_password: u.should_change_password,
            status: if u.deleted_at.is_some() {
                "deleted"
            } else {
                "active"
            },
            storage_label: u.storage_label.clone(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    pub id: String,
    pub email: String,
    pub name: String,
    pub avatar_color: String,
    pub profile_changed_at: String,
    pub profile_image_path: String,
}

impl From<&UserRecord> for UserResponse {
    fn from(u: &UserRecord) -> UserResponse {
        UserResponse {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            avatar_color: u.avatar_color.clone().unwrap_or_else(|| "primary".into()),
            profile_changed_at: iso(u.profile_changed_at),
            profile_image_path: String::new(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyResponse {
    pub id: String,
    pub name: String,
    pub permissions: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&ApiKeyRecord> for ApiKeyResponse {
    fn from(k: &ApiKeyRecord) -> ApiKeyResponse {
        ApiKeyResponse {
            id: k.id.clone(),
            name: k.name.clone(),
            permissions: k.permissions.clone(),
            created_at: iso(k.created_at),
            updated_at: iso(k.updated_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub current: bool,
    #[serde(rename = "deviceOS")]
    pub device_os: String,
    pub device_type: String,
    pub app_version: Option<String>,
    pub is_pending_sync_reset: bool,
}

impl SessionResponse {
    pub fn new(s: &SessionRecord, current: Option<&str>) -> SessionResponse {
        SessionResponse {
            id: s.id.clone(),
            created_at: iso(s.created_at),
            updated_at: iso(s.updated_at),
            expires_at: s.expires_at.map(iso),
            current: current == Some(s.id.as_str()),
            device_os: s.device_os.clone(),
            device_type: s.device_type.clone(),
            app_version: Some(s.app_version.clone()).filter(|v| !v.is_empty()),
            is_pending_sync_reset: s.is_pending_sync_reset,
        }
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExifResponse {
    pub make: Option<String>,
    pub model: Option<String>,
    pub exif_image_width: Option<i64>,
    pub exif_image_height: Option<i64>,
    pub file_size_in_byte: Option<i64>,
    pub orientation: Option<String>,
    pub date_time_original: Option<String>,
    pub modify_date: Option<String>,
    pub time_zone: Option<String>,
    pub lens_model: Option<String>,
    #[serde(rename = "fNumber")]
    pub f_number: Option<f64>,
    pub focal_length: Option<f64>,
    pub iso: Option<i64>,
    pub exposure_time: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub description: Option<String>,
    pub projection_type: Option<String>,
    pub rating: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetResponse {
    pub id: String,
    #[serde(rename = "type")]
    pub asset_type: String,
    pub owner_id: String,
    pub original_path: String,
    pub original_file_name: String,
    pub original_mime_type: String,
    pub checksum: String,
    pub thumbhash: Option<String>,
    pub file_created_at: String,
    pub file_modified_at: String,
    pub local_date_time: String,
    pub created_at: String,
    pub updated_at: String,
    pub is_favorite: bool,
    pub is_archived: bool,
    pub is_trashed: bool,
    pub is_offline: bool,
    /// The external library the asset is indexed from (null for uploads).
    pub library_id: Option<String>,
    pub is_edited: bool,
    pub has_metadata: bool,
    pub visibility: String,
    pub duration: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub live_photo_video_id: Option<String>,
    pub exif_info: ExifResponse,
    pub people: Vec<()>,
    pub tags: Vec<TagResponse>,
    pub duplicate_id: Option<String>,
    pub stack: Option<()>,
}

impl From<&AssetRecord> for AssetResponse {
    fn from(a: &AssetRecord) -> AssetResponse {
        let e = &a.exif;
        AssetResponse {
            id: a.id.clone(),
            asset_type: a.asset_type.clone(),
            owner_id: a.owner_id.clone(),
            original_path: a.original_path.clone(),
            original_file_name: a.original_file_name.clone(),
            original_mime_type: keepsake_core::media::mime_type(&a.original_file_name).to_string(),
            checksum: base64_encode(&a.checksum),
            thumbhash: a.thumbhash.as_deref().map(base64_encode),
            file_created_at: iso(a.file_created_at),
            file_modified_at: iso(a.file_modified_at),
            local_date_time: iso(a.local_date_time),
            created_at: iso(a.created_at),
            updated_at: iso(a.updated_at),
            is_favorite: a.is_favorite,
            is_archived: a.visibility == "archive",
            is_trashed: a.deleted_at.is_some(),
            is_offline: a.is_offline,
            library_id: a.library_id.clone(),
            is_edited: false,
            has_metadata: true,
            visibility: a.visibility.clone(),
            duration: a.duration_ms,
            width: a.width,
            height: a.height,
            live_photo_video_id: a.live_photo_video_id.clone(),
            exif_info: ExifResponse {
                make: e.make.clone(),
                model: e.model.clone(),
                exif_image_width: e.exif_image_width,
                exif_image_height: e.exif_image_height,
                file_size_in_byte: e.file_size.or(Some(a.file_size)),
                orientation: e.orientation.clone(),
                date_time_original: e.date_time_original.map(iso),
                modify_date: e.modify_date.map(iso),
                time_zone: e.time_zone.clone(),
                lens_model: e.lens_model.clone(),
                f_number: e.f_number,
                focal_length: e.focal_length,
                iso: e.iso,
                exposure_time: e.exposure_time.clone(),
                latitude: e.latitude,
                longitude: e.longitude,
                city: e.city.clone(),
                state: e.state.clone(),
                country: e.country.clone(),
                description: Some(e.description.clone()),
                projection_type: e.projection_type.clone(),
                rating: e.rating,
            },
            people: Vec::new(),
            tags: Vec::new(),
            duplicate_id: None,
            stack: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbumUserResponse {
    pub role: String,
    pub user: UserResponse,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbumResponse {
    pub id: String,
    pub album_name: String,
    pub description: String,
    pub album_thumbnail_asset_id: Option<String>,
    pub album_users: Vec<AlbumUserResponse>,
    pub asset_count: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_asset_timestamp: Option<String>,
    pub has_shared_link: bool,
    pub is_activity_enabled: bool,
    pub order: String,
    pub shared: bool,
    pub contributor_counts: Vec<()>,
}

impl AlbumResponse {
    /// `users` resolves member ids to accounts (deleted accounts are left out).
    pub fn new(a: &AlbumRecord, users: &[UserRecord], me: &str) -> AlbumResponse {
        let mut members: Vec<AlbumUserResponse> = Vec::new();
        let owner = a.users.iter().find(|m| m.role == "owner");
        let mut rest: Vec<&keepsake_library::db::AlbumMember> =
            a.users.iter().filter(|m| m.role != "owner").collect();
        rest.sort_by_key(|m| {
            (
                m.user_id != me,
                users
                    .iter()
                    .find(|u| u.id == m.user_id)
                    .map(|u| u.name.to_lowercase()),
            )
        });
        for m in owner.into_iter().chain(rest) {
            if let Some(u) = users.iter().find(|u| u.id == m.user_id) {
                members.push(AlbumUserResponse {
                    role: m.role.clone(),
                    user: UserResponse::from(u),
                });
            }
        }
        AlbumResponse {
            id: a.id.clone(),
            album_name: a.name.clone(),
            description: a.description.clone(),
            album_thumbnail_asset_id: a.thumbnail_asset_id.clone(),
            shared: a.users.len() > 1,
            album_users: members,
            asset_count: a.asset_count,
            created_at: iso(a.created_at),
            updated_at: iso(a.updated_at),
            start_date: a.start_date.map(iso),
            end_date: a.end_date.map(iso),
            last_modified_asset_timestamp: a.last_modified_asset_at.map(iso),
            has_shared_link: false,
            is_activity_enabled: a.is_activity_enabled,
            order: a.sort_order.clone(),
            contributor_counts: Vec::new(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkIdResponse {
    pub id: String,
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

impl BulkIdResponse {
    pub fn from_results(results: keepsake_library::BulkResults) -> Vec<BulkIdResponse> {
        results
            .into_iter()
            .map(|(id, r)| BulkIdResponse {
                id,
                success: r.is_ok(),
                error: r.err().map(|e| match e {
                    keepsake_library::BulkError::Duplicate => "duplicate",
                    keepsake_library::BulkError::NoPermission => "no_permission",
                    keepsake_library::BulkError::NotFound => "not_found",
                }),
            })
            .collect()
    }
}

/// `GET /timeline/bucket`: one array per field, element i describing asset i.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimeBucketAssets {
    pub id: Vec<String>,
    pub owner_id: Vec<String>,
    pub ratio: Vec<f64>,
    pub is_favorite: Vec<bool>,
    pub is_image: Vec<bool>,
    pub is_trashed: Vec<bool>,
    pub visibility: Vec<String>,
    pub file_created_at: Vec<String>,
    pub created_at: Vec<String>,
    pub local_offset_hours: Vec<f64>,
    pub duration: Vec<Option<i64>>,
    pub live_photo_video_id: Vec<Option<String>>,
    pub projection_type: Vec<Option<String>>,
    pub thumbhash: Vec<Option<String>>,
    pub city: Vec<Option<String>>,
    pub country: Vec<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<Vec<Option<f64>>>,
}

impl TimeBucketAssets {
    pub fn new(assets: &[AssetRecord], with_coordinates: bool) -> TimeBucketAssets {
        let mut out = TimeBucketAssets::default();
        let mut lat = Vec::new();
        let mut lon = Vec::new();
        for a in assets {
            out.id.push(a.id.clone());
            out.owner_id.push(a.owner_id.clone());
            out.ratio.push(match (a.width, a.height) {
                (Some(w), Some(h)) if w > 0 && h > 0 => w as f64 / h as f64,
                _ => 1.0,
            });
            out.is_favorite.push(a.is_favorite);
            out.is_image.push(a.asset_type == "IMAGE");
            out.is_trashed.push(a.deleted_at.is_some());
            out.visibility.push(a.visibility.clone());
            out.file_created_at.push(iso(a.file_created_at));
            out.created_at.push(iso(a.created_at));
            out.local_offset_hours
                .push((a.local_date_time - a.file_created_at) as f64 / 3_600_000.0);
            out.duration.push(a.duration_ms);
            out.live_photo_video_id.push(a.live_photo_video_id.clone());
            out.projection_type.push(a.exif.projection_type.clone());
            out.thumbhash
                .push(a.thumbhash.as_deref().map(base64_encode));
            out.city.push(a.exif.city.clone());
            out.country.push(a.exif.country.clone());
            lat.push(a.exif.latitude);
            lon.push(a.exif.longitude);
        }
        if with_coordinates {
            out.latitude = Some(lat);
            out.longitude = Some(lon);
        }
        out
    }
}

/// Human-readable byte counts as Immich's storage endpoint shows them.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_counts_read_like_immichs() {
        assert_eq!(super::human_bytes(512), "512 B");
        assert_eq!(super::human_bytes(1536), "1.5 KiB");
        assert_eq!(super::human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}

/// Immich's `TagResponseDto`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResponse {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub name: String,
    pub value: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

impl From<&keepsake_library::TagRecord> for TagResponse {
    fn from(t: &keepsake_library::TagRecord) -> Self {
        TagResponse {
            id: t.id.clone(),
            parent_id: t.parent_id.clone(),
            name: t.name().to_string(),
            value: t.value.clone(),
            created_at: iso(t.created_at),
            updated_at: iso(t.updated_at),
            color: t.color.clone(),
        }
    }
}

/// Immich's `LibraryResponseDto`, plus `lastScan` (Keepsake's: what the last
/// full scan found).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LibraryResponse {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub import_paths: Vec<String>,
    pub exclusion_patterns: Vec<String>,
    pub asset_count: i64,
    pub created_at: String,
    pub updated_at: String,
    pub refreshed_at: Option<String>,
    pub last_scan: ScanReportResponse,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanReportResponse {
    pub added: i64,
    pub changed: i64,
    pub moved: i64,
    pub unchanged: i64,
    pub offline: i64,
    pub online: i64,
    pub duplicates: i64,
    pub failed: i64,
    pub hashed: i64,
}

impl From<&LibraryRecord> for LibraryResponse {
    fn from(l: &LibraryRecord) -> LibraryResponse {
        let r = &l.last_scan;
        LibraryResponse {
            id: l.id.clone(),
            owner_id: l.owner_id.clone(),
            name: l.name.clone(),
            import_paths: l.import_paths.clone(),
            exclusion_patterns: l.exclusion_patterns.clone(),
            asset_count: l.asset_count,
            created_at: iso(l.created_at),
            updated_at: iso(l.updated_at),
            refreshed_at: l.refreshed_at.map(iso),
            last_scan: ScanReportResponse {
                added: r.added,
                changed: r.changed,
                moved: r.moved,
                unchanged: r.unchanged,
                offline: r.offline,
                online: r.online,
                duplicates: r.duplicates,
                failed: r.failed,
                hashed: r.hashed,
            },
        }
    }
}
