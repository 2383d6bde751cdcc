//! `/users/*` and `/admin/users/*`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keepsake_library::{AdminUserChanges, NewUserInput};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::dto::{UserAdminResponse, UserResponse, double_option};
use crate::extract::{Json, Path, Query, uuid};
use crate::{ApiError, AppState};

async fn admin_view(
    state: &AppState,
    user: &keepsake_library::db::UserRecord,
) -> Result<UserAdminResponse, ApiError> {
    let usage = state.library.usage_bytes(&user.id).await?;
    Ok(UserAdminResponse::new(user, usage))
}

pub async fn me(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<UserAdminResponse>, ApiError> {
    let user = state.library.me(&caller).await?;
    Ok(axum::Json(admin_view(&state, &user).await?))
}

#[derive(Deserialize)]
pub struct UpdateMe {
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

pub async fn update_me(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<UpdateMe>,
) -> Result<axum::Json<UserAdminResponse>, ApiError> {
    let user = state
        .library
        .update_me(
            &caller,
            body.name.as_deref(),
            body.email.as_deref(),
            body.password.as_deref(),
        )
        .await?;
    Ok(axum::Json(admin_view(&state, &user).await?))
}

pub async fn preferences(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    caller.require(keepsake_core::Permission::USER_PREFERENCE_READ)?;
    let _ = &state;
    Ok(axum::Json(json!({
        "albums": { "defaultAssetOrder": "desc" },
        "cast": { "gCastEnabled": false },
        "download": { "archiveSize": 4_294_967_296u64, "includeEmbeddedVideos": false },
        "emailNotifications": { "albumInvite": true, "albumUpdate": true, "enabled": true },
        "folders": { "enabled": false, "sidebarWeb": false },
        "memories": { "duration": 5, "enabled": true },
        "people": { "enabled": true, "sidebarWeb": false },
        "purchase": { "hideBuyButtonUntil": "2100-02-12T00:00:00.000Z", "showSupportBadge": true },
        "ratings": { "enabled": false },
        "recentlyAdded": { "sidebarWeb": false },
        "sharedLinks": { "enabled": true, "sidebarWeb": false },
        "tags": { "enabled": false, "sidebarWeb": false }
    })))
}

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Vec<UserResponse>>, ApiError> {
    let users = state.library.list_users(&caller).await?;
    Ok(axum::Json(users.iter().map(UserResponse::from).collect()))
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<UserResponse>, ApiError> {
    Ok(axum::Json(UserResponse::from(
        &state.library.get_user(&caller, uuid(&id)?).await?,
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminListQuery {
    with_deleted: Option<bool>,
}

pub async fn admin_list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<AdminListQuery>,
) -> Result<axum::Json<Vec<UserAdminResponse>>, ApiError> {
    let users = state
        .library
        .admin_list_users(&caller, q.with_deleted.unwrap_or(false))
        .await?;
    let mut out = Vec::with_capacity(users.len());
    for u in &users {
        out.push(admin_view(&state, u).await?);
    }
    Ok(axum::Json(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminCreate {
    email: String,
    password: String,
    name: String,
    #[serde(default)]
    is_admin: bool,
    #[serde(default)]
    should_change_password: Option<bool>,
    storage_label: Option<String>,
    quota_size_in_bytes: Option<i64>,
}

pub async fn admin_create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<AdminCreate>,
) -> Result<Response, ApiError> {
    let input = NewUserInput {
        email: body.email,
        password: body.password,
        name: body.name,
        is_admin: body.is_admin,
        should_change_password: body.should_change_password.unwrap_or(true),
        storage_label: body.storage_label,
        quota_size_bytes: body.quota_size_in_bytes,
    };
    let user = state.library.create_user(Some(&caller), &input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(admin_view(&state, &user).await?),
    )
        .into_response())
}

pub async fn admin_get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<UserAdminResponse>, ApiError> {
    let user = state.library.admin_get_user(&caller, uuid(&id)?).await?;
    Ok(axum::Json(admin_view(&state, &user).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUpdate {
    email: Option<String>,
    name: Option<String>,
    password: Option<String>,
    is_admin: Option<bool>,
    should_change_password: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    storage_label: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    quota_size_in_bytes: Option<Option<i64>>,
}

pub async fn admin_update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<AdminUpdate>,
) -> Result<axum::Json<UserAdminResponse>, ApiError> {
    let changes = AdminUserChanges {
        email: body.email,
        name: body.name,
        password: body.password,
        is_admin: body.is_admin,
        should_change_password: body.should_change_password,
        storage_label: body.storage_label,
        quota_size_bytes: body.quota_size_in_bytes,
    };
    let user = state
        .library
        .admin_update_user(&caller, uuid(&id)?, &changes)
        .await?;
    Ok(axum::Json(admin_view(&state, &user).await?))
}

pub async fn admin_delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<UserAdminResponse>, ApiError> {
    let user = state.library.admin_delete_user(&caller, uuid(&id)?).await?;
    Ok(axum::Json(admin_view(&state, &user).await?))
}
