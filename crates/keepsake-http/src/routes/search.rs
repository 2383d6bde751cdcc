//! `/timeline/*`, `/search/metadata` and `/map/markers`.

use axum::extract::State;
use keepsake_core::{Timestamp, Visibility};
use keepsake_library::{MapQuery, SearchQuery, SuggestionQuery, TimelineQuery};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::dto::{AssetResponse, TimeBucketAssets};
use crate::extract::{Json, Query, uuid};
use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineParams {
    album_id: Option<String>,
    is_favorite: Option<bool>,
    is_trashed: Option<bool>,
    visibility: Option<String>,
    user_id: Option<String>,
    order: Option<String>,
    time_bucket: Option<String>,
    with_coordinates: Option<bool>,
    person_id: Option<String>,
    tag_id: Option<String>,
}

fn visibility(v: Option<&str>) -> Result<Option<Visibility>, ApiError> {
    v.map(|v| {
        Visibility::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "Validation failed: visibility must be one of archive, timeline, hidden, locked",
            )
        })
    })
    .transpose()
}

fn order(o: Option<&str>) -> Result<bool, ApiError> {
    match o {
        None | Some("desc") => Ok(false),
        Some("asc") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            "Validation failed: order must be asc or desc",
        )),
    }
}

fn timeline_query(p: &TimelineParams) -> Result<TimelineQuery, ApiError> {
    if p.person_id.is_some() || p.tag_id.is_some() {
        return Err(ApiError::bad_request(
            "Filtering by person or tag is not available on this server yet",
        ));
    }
    if let Some(a) = &p.album_id {
        uuid(a)?;
    }
    Ok(TimelineQuery {
        album_id: p.album_id.clone(),
        is_favorite: p.is_favorite,
        is_trashed: p.is_trashed,
        visibility: visibility(p.visibility.as_deref())?,
        user_id: p.user_id.clone(),
        ascending: order(p.order.as_deref())?,
    })
}

pub async fn buckets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Query<TimelineParams>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let buckets = state
        .library
        .time_buckets(&caller, &timeline_query(&p)?)
        .await?;
    let out: Vec<serde_json::Value> = buckets
        .into_iter()
        .map(|(b, n)| json!({ "timeBucket": b, "count": n }))
        .collect();
    Ok(axum::Json(json!(out)))
}

pub async fn bucket(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Query<TimelineParams>,
) -> Result<axum::Json<TimeBucketAssets>, ApiError> {
    let bucket = p
        .time_bucket
        .clone()
        .ok_or_else(|| ApiError::bad_request("Validation failed: timeBucket is required"))?;
    let assets = state
        .library
        .time_bucket(&caller, &timeline_query(&p)?, &bucket)
        .await?;
    Ok(axum::Json(TimeBucketAssets::new(
        &assets,
        p.with_coordinates.unwrap_or(false),
    )))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MetadataSearch {
    id: Option<String>,
    checksum: Option<String>,
    original_file_name: Option<String>,
    original_path: Option<String>,
    description: Option<String>,
    make: Option<String>,
    model: Option<String>,
    lens_model: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    #[serde(rename = "type")]
    asset_type: Option<String>,
    is_favorite: Option<bool>,
    visibility: Option<String>,
    with_deleted: Option<bool>,
    taken_after: Option<String>,
    taken_before: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
    updated_after: Option<String>,
    updated_before: Option<String>,
    rating: Option<i64>,
    album_ids: Option<Vec<String>>,
    order: Option<String>,
    page: Option<i64>,
    size: Option<i64>,
}

fn date(name: &str, v: &Option<String>) -> Result<Option<Timestamp>, ApiError> {
    v.as_deref()
        .map(|t| {
            Timestamp::parse_iso(t).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Validation failed: {name} must be an ISO 8601 date"
                ))
            })
        })
        .transpose()
}

pub async fn metadata(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(b): Json<MetadataSearch>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    if let Some(t) = &b.asset_type
        && t != "IMAGE"
        && t != "VIDEO"
    {
        return Err(ApiError::bad_request(
            "Validation failed: type must be IMAGE or VIDEO",
        ));
    }
    let page = b.page.unwrap_or(1);
    let q = SearchQuery {
        id: b.id.clone(),
        checksum: b.checksum.clone(),
        original_file_name: b.original_file_name.clone(),
        original_path: b.original_path.clone(),
        description: b.description.clone(),
        make: b.make.clone(),
        model: b.model.clone(),
        lens_model: b.lens_model.clone(),
        city: b.city.clone(),
        state: b.state.clone(),
        country: b.country.clone(),
        asset_type: b.asset_type.clone(),
        is_favorite: b.is_favorite,
        visibility: visibility(b.visibility.as_deref())?,
        with_deleted: b.with_deleted.unwrap_or(false),
        taken_after: date("takenAfter", &b.taken_after)?,
        taken_before: date("takenBefore", &b.taken_before)?,
        created_after: date("createdAfter", &b.created_after)?,
        created_before: date("createdBefore", &b.created_before)?,
        updated_after: date("updatedAfter", &b.updated_after)?,
        updated_before: date("updatedBefore", &b.updated_before)?,
        rating: b.rating,
        album_ids: b.album_ids.clone().unwrap_or_default(),
        ascending: order(b.order.as_deref())?,
        page,
        size: b.size.unwrap_or(250),
    };
    let (assets, more) = state.library.search_metadata(&caller, &q).await?;
    let items: Vec<AssetResponse> = assets.iter().map(AssetResponse::from).collect();
    Ok(axum::Json(json!({
        "albums": { "count": 0, "total": 0, "facets": [], "items": [] },
        "assets": {
            "count": items.len(), "total": items.len(), "facets": [], "items": items,
            "nextPage": if more { Some((page.max(1) + 1).to_string()) } else { None }
        }
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapParams {
    is_archived: Option<bool>,
    is_favorite: Option<bool>,
    file_created_after: Option<String>,
    file_created_before: Option<String>,
    /// Partners and shared albums are not in Keepsake yet: accepted, no effect.
    #[allow(dead_code)]
    with_partners: Option<bool>,
    #[allow(dead_code)]
    with_shared_albums: Option<bool>,
}

/// Immich's `MapMarkerResponseDto[]`.
pub async fn map_markers(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Query<MapParams>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let q = MapQuery {
        is_archived: p.is_archived,
        is_favorite: p.is_favorite,
        taken_after: date("fileCreatedAfter", &p.file_created_after)?,
        taken_before: date("fileCreatedBefore", &p.file_created_before)?,
    };
    let markers = state.library.map_markers(&caller, &q).await?;
    Ok(axum::Json(serde_json::Value::Array(
        markers
            .iter()
            .map(|m| {
                json!({ "id": m.id, "lat": m.latitude, "lon": m.longitude,
                        "city": m.city, "state": m.state, "country": m.country })
            })
            .collect(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionParams {
    #[serde(rename = "type")]
    kind: String,
    country: Option<String>,
    state: Option<String>,
    make: Option<String>,
    model: Option<String>,
}

/// Immich's `GET /search/suggestions`: the values a search field can take.
pub async fn suggestions(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Query<SuggestionParams>,
) -> Result<axum::Json<Vec<String>>, ApiError> {
    let q = SuggestionQuery {
        kind: p.kind,
        country: p.country,
        state: p.state,
        make: p.make,
        model: p.model,
    };
    Ok(axum::Json(
        state.library.search_suggestions(&caller, &q).await?,
    ))
}
