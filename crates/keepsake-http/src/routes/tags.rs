//! `/tags`: Immich's tag routes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::dto::{BulkIdResponse, TagResponse};
use crate::extract::{Json, uuid};
use crate::{ApiError, AppState};

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Vec<TagResponse>>, ApiError> {
    let tags = state.library.list_tags(&caller).await?;
    Ok(axum::Json(tags.iter().map(TagResponse::from).collect()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Create {
    name: String,
    parent_id: Option<String>,
    color: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Create>,
) -> Result<(StatusCode, axum::Json<TagResponse>), ApiError> {
    let parent = body.parent_id.as_deref().map(uuid).transpose()?;
    let tag = state
        .library
        .create_tag(&caller, &body.name, parent, body.color.as_deref())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(TagResponse::from(&tag))))
}

#[derive(Deserialize)]
pub struct Upsert {
    tags: Vec<String>,
}

pub async fn upsert(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Upsert>,
) -> Result<axum::Json<Vec<TagResponse>>, ApiError> {
    let tags = state.library.upsert_tags(&caller, &body.tags).await?;
    Ok(axum::Json(tags.iter().map(TagResponse::from).collect()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkAssets {
    tag_ids: Vec<String>,
    asset_ids: Vec<String>,
}

pub async fn bulk_assets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<BulkAssets>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    for id in body.tag_ids.iter().chain(&body.asset_ids) {
        uuid(id)?;
    }
    let count = state
        .library
        .tag_assets_bulk(&caller, &body.tag_ids, &body.asset_ids)
        .await?;
    Ok(axum::Json(json!({ "count": count })))
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<TagResponse>, ApiError> {
    let tag = state.library.get_tag(&caller, uuid(&id)?).await?;
    Ok(axum::Json(TagResponse::from(&tag)))
}

#[derive(Deserialize)]
pub struct Update {
    color: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Update>,
) -> Result<axum::Json<TagResponse>, ApiError> {
    let tag = state
        .library
        .set_tag_color(&caller, uuid(&id)?, body.color.as_deref())
        .await?;
    Ok(axum::Json(TagResponse::from(&tag)))
}

pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.library.delete_tag(&caller, uuid(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Ids {
    ids: Vec<String>,
}

pub async fn tag_assets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Ids>,
) -> Result<axum::Json<Vec<BulkIdResponse>>, ApiError> {
    let results = state
        .library
        .tag_assets(&caller, uuid(&id)?, &body.ids)
        .await?;
    Ok(axum::Json(BulkIdResponse::from_results(results)))
}

pub async fn untag_assets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Ids>,
) -> Result<axum::Json<Vec<BulkIdResponse>>, ApiError> {
    let results = state
        .library
        .untag_assets(&caller, uuid(&id)?, &body.ids)
        .await?;
    Ok(axum::Json(BulkIdResponse::from_results(results)))
}
