//! `/albums/*`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keepsake_core::AlbumRole;
use keepsake_library::db::AlbumRecord;
use keepsake_library::db::albums::{AlbumChanges, AlbumFilter};
use keepsake_library::{AlbumMemberChange, Caller, NewAlbum};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::dto::{AlbumResponse, BulkIdResponse};
use crate::extract::{Json, Path, Query, uuid};
use crate::{ApiError, AppState};

async fn render(
    state: &AppState,
    caller: &Caller,
    albums: &[AlbumRecord],
) -> Result<Vec<AlbumResponse>, ApiError> {
    let users = state
        .library
        .db()
        .list_users(false)
        .await
        .map_err(keepsake_library::LibraryError::from)?;
    Ok(albums
        .iter()
        .map(|a| AlbumResponse::new(a, &users, caller.user_id()))
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    asset_id: Option<String>,
    id: Option<String>,
    is_owned: Option<bool>,
    is_shared: Option<bool>,
    name: Option<String>,
    /// Immich 2.x's name for `isShared`.
    shared: Option<bool>,
}

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Vec<AlbumResponse>>, ApiError> {
    let filter = AlbumFilter {
        // Immich: assetId "ignores other parameters".
        is_owned: if q.asset_id.is_some() {
            None
        } else {
            q.is_owned
        },
        is_shared: if q.asset_id.is_some() {
            None
        } else {
            q.is_shared.or(q.shared)
        },
        name: if q.asset_id.is_some() { None } else { q.name },
        id: if q.asset_id.is_some() { None } else { q.id },
        asset_id: q.asset_id,
    };
    let albums = state.library.list_albums(&caller, &filter).await?;
    Ok(axum::Json(render(&state, &caller, &albums).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberDto {
    user_id: String,
    role: Option<String>,
}

fn role(r: Option<&str>) -> Result<AlbumRole, ApiError> {
    match r {
        None => Ok(AlbumRole::Editor),
        Some(r) => AlbumRole::parse(r).ok_or_else(|| {
            ApiError::bad_request("Validation failed: role must be editor or viewer")
        }),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Create {
    album_name: String,
    description: Option<String>,
    #[serde(default)]
    album_users: Vec<MemberDto>,
    #[serde(default)]
    asset_ids: Vec<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Create>,
) -> Result<Response, ApiError> {
    let mut members = Vec::new();
    for m in &body.album_users {
        members.push((uuid(&m.user_id)?.to_string(), role(m.role.as_deref())?));
    }
    for id in &body.asset_ids {
        uuid(id)?;
    }
    let new = NewAlbum {
        name: body.album_name,
        description: body.description.unwrap_or_default(),
        members,
        asset_ids: body.asset_ids,
    };
    let album = state.library.create_album(&caller, &new).await?;
    let rendered = render(&state, &caller, std::slice::from_ref(&album))
        .await?
        .remove(0);
    Ok((StatusCode::CREATED, axum::Json(rendered)).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<AlbumResponse>, ApiError> {
    let album = state.library.get_album(&caller, uuid(&id)?).await?;
    Ok(axum::Json(
        render(&state, &caller, std::slice::from_ref(&album))
            .await?
            .remove(0),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Update {
    album_name: Option<String>,
    description: Option<String>,
    album_thumbnail_asset_id: Option<String>,
    is_activity_enabled: Option<bool>,
    order: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Update>,
) -> Result<axum::Json<AlbumResponse>, ApiError> {
    if let Some(t) = &body.album_thumbnail_asset_id {
        uuid(t)?;
    }
    let changes = AlbumChanges {
        name: body.album_name,
        description: body.description,
        thumbnail_asset_id: body.album_thumbnail_asset_id,
        is_activity_enabled: body.is_activity_enabled,
        sort_order: body.order,
    };
    let album = state
        .library
        .update_album(&caller, uuid(&id)?, &changes)
        .await?;
    Ok(axum::Json(
        render(&state, &caller, std::slice::from_ref(&album))
            .await?
            .remove(0),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.library.delete_album(&caller, uuid(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Ids {
    ids: Vec<String>,
}

pub async fn add_assets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Ids>,
) -> Result<axum::Json<Vec<BulkIdResponse>>, ApiError> {
    for a in &body.ids {
        uuid(a)?;
    }
    let results = state
        .library
        .add_album_assets(&caller, uuid(&id)?, &body.ids)
        .await?;
    Ok(axum::Json(BulkIdResponse::from_results(results)))
}

pub async fn remove_assets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Ids>,
) -> Result<axum::Json<Vec<BulkIdResponse>>, ApiError> {
    for a in &body.ids {
        uuid(a)?;
    }
    let results = state
        .library
        .remove_album_assets(&caller, uuid(&id)?, &body.ids)
        .await?;
    Ok(axum::Json(BulkIdResponse::from_results(results)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddUsers {
    album_users: Vec<MemberDto>,
}

pub async fn add_users(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<AddUsers>,
) -> Result<axum::Json<AlbumResponse>, ApiError> {
    let mut members = Vec::new();
    for m in &body.album_users {
        members.push(AlbumMemberChange {
            user_id: uuid(&m.user_id)?.to_string(),
            role: role(m.role.as_deref())?,
        });
    }
    let album = state
        .library
        .add_album_users(&caller, uuid(&id)?, &members)
        .await?;
    Ok(axum::Json(
        render(&state, &caller, std::slice::from_ref(&album))
            .await?
            .remove(0),
    ))
}

#[derive(Deserialize)]
pub struct RoleBody {
    role: String,
}

pub async fn update_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, user_id)): Path<(String, String)>,
    Json(body): Json<RoleBody>,
) -> Result<StatusCode, ApiError> {
    let change = AlbumMemberChange {
        user_id: uuid(&user_id)?.to_string(),
        role: role(Some(&body.role))?,
    };
    state
        .library
        .update_album_user(&caller, uuid(&id)?, &change)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let target = if user_id == "me" {
        "me"
    } else {
        uuid(&user_id)?
    };
    state
        .library
        .remove_album_user(&caller, uuid(&id)?, target)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn statistics(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let (owned, shared, not_shared) = state.library.album_statistics(&caller).await?;
    Ok(axum::Json(
        json!({ "owned": owned, "shared": shared, "notShared": not_shared }),
    ))
}
