//! `/sync/stream` and `/sync/ack`: Immich's sync-v2 protocol, which the mobile
//! app uses to mirror the library into its own SQLite database.
//!
//! The stream answers JSON lines (`{"type","data","ack"}` each ending in
//! `\n`), written page by page while the library reads them, so the first
//! bytes leave at once and no whole answer is ever held. The `Sync*V1` wire
//! types here carry every field the 3.1.0 app parses, with its names and
//! nullability (`immich-mobile.md` §3.6). An ack is `<entity type>|<position>`;
//! the app only echoes it back.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use keepsake_core::base64_encode;
use keepsake_library::db::sync::{SyncAsset, SyncExif, SyncUser};
use keepsake_library::sync::{SyncCursor, SyncEvent, SyncItem, SyncRequest, SyncStream};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Auth;
use crate::dto::iso;
use crate::extract::Json;
use crate::{ApiError, AppState};

/// The content type Immich answers the stream with.
pub const JSON_LINES: &str = "application/jsonlines+json";

/// Request types the 3.1.0 app sends (§3.2), plus older ones Immich still
/// accepts; `None` means valid but Keepsake has no such rows.
fn request_type(name: &str) -> Result<Option<SyncRequest>, ApiError> {
    Ok(match name {
        "AuthUsersV1" => Some(SyncRequest::AuthUsers),
        "UsersV1" => Some(SyncRequest::Users),
        "AssetsV2" => Some(SyncRequest::Assets),
        "AlbumAssetsV2" => Some(SyncRequest::AlbumAssets),
        "AlbumsV2" => Some(SyncRequest::Albums),
        "AlbumUsersV1" => Some(SyncRequest::AlbumUsers),
        "AlbumToAssetsV1" => Some(SyncRequest::AlbumToAssets),
        "AssetExifsV1" => Some(SyncRequest::AssetExifs),
        "AlbumAssetExifsV1" => Some(SyncRequest::AlbumAssetExifs),
        "AssetEditsV1"
        | "AssetMetadataV1"
        | "PartnersV1"
        | "PartnerAssetsV2"
        | "PartnerAssetExifsV1"
        | "MemoriesV1"
        | "MemoryToAssetsV1"
        | "StacksV1"
        | "PartnerStacksV1"
        | "UserMetadataV1"
        | "PeopleV1"
        | "AssetFacesV2"
        | "AssetOcrV1"
        | "AssetsV1"
        | "PartnerAssetsV1"
        | "AlbumsV1"
        | "AlbumAssetsV1"
        | "AssetFacesV1" => None,
        other => {
            return Err(ApiError::bad_request(format!(
                "Unknown sync request type {other:?}: use the types Immich 3.1 defines, such as AssetsV2 or AlbumsV2"
            )));
        }
    })
}

/// The entity type a cursor's lines and acks carry.
fn cursor_type(cursor: SyncCursor) -> &'static str {
    match cursor {
        SyncCursor::AuthUser => "AuthUserV1",
        SyncCursor::User => "UserV1",
        SyncCursor::UserDelete => "UserDeleteV1",
        SyncCursor::Asset => "AssetV2",
        SyncCursor::AssetDelete => "AssetDeleteV1",
        SyncCursor::AlbumAsset => "AlbumAssetCreateV2",
        SyncCursor::Album => "AlbumV2",
        SyncCursor::AlbumDelete => "AlbumDeleteV1",
        SyncCursor::AlbumUser => "AlbumUserV1",
        SyncCursor::AlbumUserDelete => "AlbumUserDeleteV1",
        SyncCursor::AlbumToAsset => "AlbumToAssetV1",
        SyncCursor::AlbumToAssetDelete => "AlbumToAssetDeleteV1",
        SyncCursor::AssetExif => "AssetExifV1",
        SyncCursor::AlbumAssetExif => "AlbumAssetExifCreateV1",
        SyncCursor::Complete => "SyncCompleteV1",
        SyncCursor::Reset => "SyncResetV1",
    }
}

/// The cursors an entity type names (in acks and in `DELETE /sync/ack`).
/// Types Keepsake never sends name none; unknown names are an error.
fn entity_cursors(name: &str) -> Result<Vec<SyncCursor>, ApiError> {
    use SyncCursor as C;
    Ok(match name {
        "AuthUserV1" => vec![C::AuthUser],
        "UserV1" => vec![C::User],
        "UserDeleteV1" => vec![C::UserDelete],
        "AssetV1" | "AssetV2" => vec![C::Asset],
        "AssetDeleteV1" => vec![C::AssetDelete],
        "AlbumAssetCreateV1"
        | "AlbumAssetUpdateV1"
        | "AlbumAssetBackfillV1"
        | "AlbumAssetCreateV2"
        | "AlbumAssetUpdateV2"
        | "AlbumAssetBackfillV2" => {
            vec![C::AlbumAsset]
        }
        "AlbumV1" | "AlbumV2" => vec![C::Album],
        "AlbumDeleteV1" => vec![C::AlbumDelete],
        "AlbumUserV1" | "AlbumUserBackfillV1" => vec![C::AlbumUser],
        "AlbumUserDeleteV1" => vec![C::AlbumUserDelete],
        "AlbumToAssetV1" | "AlbumToAssetBackfillV1" => vec![C::AlbumToAsset],
        "AlbumToAssetDeleteV1" => vec![C::AlbumToAssetDelete],
        "AssetExifV1" => vec![C::AssetExif],
        "AlbumAssetExifCreateV1" | "AlbumAssetExifUpdateV1" | "AlbumAssetExifBackfillV1" => {
            vec![C::AlbumAssetExif]
        }
        "SyncCompleteV1" => vec![C::Complete],
        "SyncResetV1" => vec![C::Reset],
        "SyncAckV1"
        | "PartnerV1"
        | "PartnerDeleteV1"
        | "PartnerAssetV1"
        | "PartnerAssetV2"
        | "PartnerAssetBackfillV1"
        | "PartnerAssetBackfillV2"
        | "PartnerAssetDeleteV1"
        | "PartnerAssetExifV1"
        | "PartnerAssetExifBackfillV1"
        | "StackV1"
        | "StackDeleteV1"
        | "PartnerStackV1"
        | "PartnerStackBackfillV1"
        | "PartnerStackDeleteV1"
        | "PersonV1"
        | "PersonDeleteV1"
        | "AssetFaceV1"
        | "AssetFaceV2"
        | "AssetFaceDeleteV1"
        | "MemoryV1"
        | "MemoryDeleteV1"
        | "MemoryToAssetV1"
        | "MemoryToAssetDeleteV1"
        | "UserMetadataV1"
        | "UserMetadataDeleteV1"
        | "AssetMetadataV1"
        | "AssetMetadataDeleteV1"
        | "AssetEditV1"
        | "AssetEditDeleteV1"
        | "AssetOcrV1"
        | "AssetOcrDeleteV1" => vec![],
        other => {
            return Err(ApiError::bad_request(format!(
                "Unknown sync entity type {other:?}: send back the ack strings the sync stream gave"
            )));
        }
    })
}

#[derive(Deserialize)]
pub struct StreamBody {
    types: Vec<String>,
    #[serde(default)]
    reset: Option<bool>,
}

pub async fn stream(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<StreamBody>,
) -> Result<Response, ApiError> {
    let mut requests = Vec::new();
    for name in &body.types {
        if let Some(r) = request_type(name)? {
            requests.push(r);
        }
    }
    let stream = state
        .library
        .sync_stream(&caller, &requests, body.reset.unwrap_or(false))
        .await?;
    let pages = futures_util::stream::unfold(Some(stream), next_chunk);
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, JSON_LINES)],
        Body::from_stream(pages),
    )
        .into_response())
}

/// The next chunk of lines; an error ends the body early, so the phone sees
/// no `SyncCompleteV1` and keeps its checkpoints.
async fn next_chunk(
    stream: Option<SyncStream>,
) -> Option<(Result<Bytes, std::io::Error>, Option<SyncStream>)> {
    let mut stream = stream?;
    loop {
        match stream.next_page().await {
            Ok(None) => return None,
            Ok(Some(events)) if events.is_empty() => continue,
            Ok(Some(events)) => {
                let mut out = Vec::with_capacity(events.len() * 400);
                for event in &events {
                    if let Err(e) = serde_json::to_writer(&mut out, &line(event)) {
                        return Some((Err(std::io::Error::other(e)), None));
                    }
                    out.push(b'\n');
                }
                return Some((Ok(Bytes::from(out)), Some(stream)));
            }
            Err(e) => {
                tracing::error!(error = %e, "sync stream failed part-way");
                return Some((Err(std::io::Error::other(e.to_string())), None));
            }
        }
    }
}

/// One line: `{"type", "data", "ack"}`.
fn line(event: &SyncEvent) -> Value {
    let kind = match &event.item {
        SyncItem::AlbumAsset(_) => "AlbumAssetCreateV2",
        SyncItem::AlbumAssetExif(_) => "AlbumAssetExifCreateV1",
        _ => cursor_type(event.cursor),
    };
    let data = match &event.item {
        SyncItem::AuthUser(u) => serde_json::to_value(AuthUserV1::from(u)),
        SyncItem::User(u) => serde_json::to_value(UserV1::from(u)),
        SyncItem::UserDelete { user_id } => Ok(json!({ "userId": user_id })),
        SyncItem::Asset(a) | SyncItem::AlbumAsset(a) => serde_json::to_value(AssetV2::from(a)),
        SyncItem::AssetDelete { asset_id } => Ok(json!({ "assetId": asset_id })),
        SyncItem::Album(a) => serde_json::to_value(AlbumV2 {
            id: a.id.clone(),
            name: a.name.clone(),
            description: a.description.clone(),
            created_at: iso(a.created_at),
            updated_at: iso(a.updated_at),
            thumbnail_asset_id: a.thumbnail_asset_id.clone(),
            is_activity_enabled: a.is_activity_enabled,
            order: if a.sort_order == "asc" { "asc" } else { "desc" },
        }),
        SyncItem::AlbumDelete { album_id } => Ok(json!({ "albumId": album_id })),
        SyncItem::AlbumUser {
            album_id,
            user_id,
            role,
        } => Ok(json!({ "albumId": album_id, "userId": user_id, "role": role })),
        SyncItem::AlbumUserDelete { album_id, user_id } => {
            Ok(json!({ "albumId": album_id, "userId": user_id }))
        }
        SyncItem::AlbumToAsset { album_id, asset_id }
        | SyncItem::AlbumToAssetDelete { album_id, asset_id } => {
            Ok(json!({ "albumId": album_id, "assetId": asset_id }))
        }
        SyncItem::AssetExif(e) | SyncItem::AlbumAssetExif(e) => {
            serde_json::to_value(AssetExifV1::from(e))
        }
        SyncItem::Complete | SyncItem::Reset => Ok(json!({})),
    }
    .unwrap_or_else(|_| json!({}));
    json!({
        "type": kind,
        "data": data,
        "ack": format!("{}|{}", cursor_type(event.cursor), event.position),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserV1 {
    pub id: String,
    pub name: String,
    pub email: String,
    pub avatar_color: Option<String>,
    pub deleted_at: Option<String>,
    pub has_profile_image: bool,
    pub profile_changed_at: String,
}

impl From<&SyncUser> for UserV1 {
    fn from(u: &SyncUser) -> UserV1 {
        UserV1 {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            avatar_color: u.avatar_color.clone(),
            deleted_at: u.deleted_at.map(iso),
            has_profile_image: false,
            profile_changed_at: iso(u.profile_changed_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthUserV1 {
    pub id: String,
    pub name: String,
    pub email: String,
    pub avatar_color: Option<String>,
    pub deleted_at: Option<String>,
    pub has_profile_image: bool,
    pub profile_changed_at: String,
    pub is_admin: bool,
    pub oauth_id: String,
    pub pin_code: Option<String>,
    pub storage_label: Option<String>,
    pub quota_size_in_bytes: Option<i64>,
    pub quota_usage_in_bytes: i64,
}

impl From<&SyncUser> for AuthUserV1 {
    fn from(u: &SyncUser) -> AuthUserV1 {
        AuthUserV1 {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            avatar_color: u.avatar_color.clone(),
            deleted_at: u.deleted_at.map(iso),
            has_profile_image: false,
            profile_changed_at: iso(u.profile_changed_at),
            is_admin: u.is_admin,
            oauth_id: String::new(),
            pin_code: None,
            storage_label: u.storage_label.clone(),
            quota_size_in_bytes: u.quota_size_bytes,
            quota_usage_in_bytes: u.quota_usage_bytes,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetV2 {
    pub id: String,
    pub owner_id: String,
    pub original_file_name: String,
    pub checksum: String,
    #[serde(rename = "type")]
    pub asset_type: String,
    pub visibility: String,
    pub is_favorite: bool,
    pub is_edited: bool,
    pub thumbhash: Option<String>,
    pub file_created_at: Option<String>,
    pub file_modified_at: Option<String>,
    pub created_at: Option<String>,
    pub local_date_time: Option<String>,
    pub duration: Option<i64>,
    pub deleted_at: Option<String>,
    pub live_photo_video_id: Option<String>,
    pub stack_id: Option<String>,
    pub library_id: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

impl From<&SyncAsset> for AssetV2 {
    fn from(a: &SyncAsset) -> AssetV2 {
        let visibility = match a.visibility.as_str() {
            v @ ("archive" | "timeline" | "hidden" | "locked") => v.to_string(),
            _ => "timeline".to_string(),
        };
        let asset_type = match a.asset_type.as_str() {
            t @ ("IMAGE" | "VIDEO" | "AUDIO") => t.to_string(),
            _ => "OTHER".to_string(),
        };
        AssetV2 {
            id: a.id.clone(),
            owner_id: a.owner_id.clone(),
            original_file_name: a.original_file_name.clone(),
            checksum: base64_encode(&a.checksum),
            asset_type,
            visibility,
            is_favorite: a.is_favorite,
            is_edited: false,
            thumbhash: a.thumbhash.as_deref().map(base64_encode),
            file_created_at: Some(iso(a.file_created_at)),
            file_modified_at: Some(iso(a.file_modified_at)),
            created_at: Some(iso(a.created_at)),
            local_date_time: Some(iso(a.local_date_time)),
            duration: a.duration_ms,
            deleted_at: a.deleted_at.map(iso),
            live_photo_video_id: a.live_photo_video_id.clone(),
            stack_id: None,
            library_id: a.library_id.clone(),
            width: a.width,
            height: a.height,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbumV2 {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub thumbnail_asset_id: Option<String>,
    pub is_activity_enabled: bool,
    pub order: &'static str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AssetExifV1 {
    pub asset_id: String,
    pub description: Option<String>,
    pub exif_image_width: Option<i64>,
    pub exif_image_height: Option<i64>,
    pub file_size_in_byte: Option<i64>,
    pub orientation: Option<String>,
    pub date_time_original: Option<String>,
    pub modify_date: Option<String>,
    pub time_zone: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub projection_type: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens_model: Option<String>,
    pub f_number: Option<f64>,
    pub focal_length: Option<f64>,
    pub iso: Option<i64>,
    pub exposure_time: Option<String>,
    pub profile_description: Option<String>,
    pub rating: Option<i64>,
    pub fps: Option<f64>,
}

impl From<&SyncExif> for AssetExifV1 {
    fn from(e: &SyncExif) -> AssetExifV1 {
        AssetExifV1 {
            asset_id: e.asset_id.clone(),
            description: Some(e.description.clone()),
            exif_image_width: e.exif_image_width,
            exif_image_height: e.exif_image_height,
            file_size_in_byte: e.file_size,
            orientation: e.orientation.clone(),
            date_time_original: e.date_time_original.map(iso),
            modify_date: e.modify_date.map(iso),
            time_zone: e.time_zone.clone(),
            latitude: e.latitude,
            longitude: e.longitude,
            projection_type: e.projection_type.clone(),
            city: e.city.clone(),
            state: e.state.clone(),
            country: e.country.clone(),
            make: e.make.clone(),
            model: e.model.clone(),
            lens_model: e.lens_model.clone(),
            f_number: e.f_number,
            focal_length: e.focal_length,
            iso: e.iso,
            exposure_time: e.exposure_time.clone(),
            profile_description: e.profile_description.clone(),
            rating: e.rating,
            fps: e.fps,
        }
    }
}

#[derive(Deserialize)]
pub struct AckBody {
    acks: Vec<String>,
}

/// Splits `<entity type>|<position>` into cursors and the position.
fn parse_ack(ack: &str) -> Result<Vec<(SyncCursor, String)>, ApiError> {
    let (kind, position) = ack.split_once('|').ok_or_else(|| {
        ApiError::bad_request(format!(
            "Invalid ack {ack:?}: an ack is <type>|<position>, as the sync stream gave it"
        ))
    })?;
    Ok(entity_cursors(kind)?
        .into_iter()
        .map(|c| (c, position.to_string()))
        .collect())
}

pub async fn ack(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<AckBody>,
) -> Result<StatusCode, ApiError> {
    let mut acks = Vec::new();
    for a in &body.acks {
        acks.extend(parse_ack(a)?);
    }
    state.library.sync_ack(&caller, &acks).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct AckResponse {
    #[serde(rename = "type")]
    kind: &'static str,
    ack: String,
}

pub async fn list_acks(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Vec<AckResponse>>, ApiError> {
    let acks = state.library.sync_checkpoints(&caller).await?;
    Ok(axum::Json(
        acks.into_iter()
            .map(|(cursor, position)| AckResponse {
                kind: cursor_type(cursor),
                ack: format!("{}|{position}", cursor_type(cursor)),
            })
            .collect(),
    ))
}

#[derive(Deserialize, Default)]
pub struct DeleteAcksBody {
    types: Option<Vec<String>>,
}

pub async fn delete_acks(
    State(state): State<AppState>,
    Auth(caller): Auth,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let body: DeleteAcksBody = if body.iter().all(u8::is_ascii_whitespace) {
        DeleteAcksBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(format!(
                "Invalid body: {e}. Send {{\"types\": [\"AssetV2\", …]}} or nothing"
            ))
        })?
    };
    let cursors = match &body.types {
        None => None,
        Some(types) => {
            let mut cursors = Vec::new();
            for t in types {
                cursors.extend(entity_cursors(t)?);
            }
            Some(cursors)
        }
    };
    state
        .library
        .sync_forget(&caller, cursors.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
