//! `/libraries/*`: Immich's external libraries (admin only).

use axum::extract::State;
use axum::http::StatusCode;
use keepsake_library::db::libraries::LibraryChanges;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Auth;
use crate::dto::LibraryResponse;
use crate::extract::{Json, Path, uuid};
use crate::{ApiError, AppState};

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Vec<LibraryResponse>>, ApiError> {
    let libraries = state.library.list_libraries(&caller).await?;
    Ok(axum::Json(
        libraries.iter().map(LibraryResponse::from).collect(),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Create {
    owner_id: String,
    name: Option<String>,
    #[serde(default)]
    import_paths: Vec<String>,
    #[serde(default)]
    exclusion_patterns: Vec<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<Create>,
) -> Result<(StatusCode, axum::Json<LibraryResponse>), ApiError> {
    let input = keepsake_library::NewLibraryInput {
        owner_id: uuid(&body.owner_id)?.to_string(),
        name: body.name,
        import_paths: body.import_paths,
        exclusion_patterns: body.exclusion_patterns,
    };
    let library = state.library.create_library(&caller, input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(LibraryResponse::from(&library)),
    ))
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<LibraryResponse>, ApiError> {
    let library = state.library.get_library(&caller, uuid(&id)?).await?;
    Ok(axum::Json(LibraryResponse::from(&library)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Update {
    name: Option<String>,
    import_paths: Option<Vec<String>>,
    exclusion_patterns: Option<Vec<String>>,
}

pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Update>,
) -> Result<axum::Json<LibraryResponse>, ApiError> {
    let changes = LibraryChanges {
        name: body.name,
        import_paths: body.import_paths,
        exclusion_patterns: body.exclusion_patterns,
    };
    let library = state
        .library
        .update_library(&caller, uuid(&id)?, changes)
        .await?;
    Ok(axum::Json(LibraryResponse::from(&library)))
}

pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.library.delete_library(&caller, uuid(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn scan(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.library.scan_library(&caller, uuid(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn statistics(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let s = state
        .library
        .library_statistics(&caller, uuid(&id)?)
        .await?;
    Ok(axum::Json(json!({
        "photos": s.photos,
        "videos": s.videos,
        "total": s.photos + s.videos,
        "usage": s.usage,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validate {
    #[serde(default)]
    import_paths: Vec<String>,
    #[serde(default)]
    exclusion_patterns: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportPathCheck {
    import_path: String,
    is_valid: bool,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatternCheck {
    exclusion_pattern: String,
    is_valid: bool,
    message: String,
}

/// Immich's `ValidateLibraryResponseDto`, plus the same for each exclusion pattern.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateResponse {
    import_paths: Vec<ImportPathCheck>,
    exclusion_patterns: Vec<PatternCheck>,
}

pub async fn validate(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<Validate>,
) -> Result<axum::Json<ValidateResponse>, ApiError> {
    let v = state
        .library
        .validate_library(
            &caller,
            uuid(&id)?,
            body.import_paths,
            body.exclusion_patterns,
        )
        .await?;
    Ok(axum::Json(ValidateResponse {
        import_paths: v
            .import_paths
            .into_iter()
            .map(|c| ImportPathCheck {
                import_path: c.value,
                is_valid: c.is_valid,
                message: c.message,
            })
            .collect(),
        exclusion_patterns: v
            .exclusion_patterns
            .into_iter()
            .map(|c| PatternCheck {
                exclusion_pattern: c.value,
                is_valid: c.is_valid,
                message: c.message,
            })
            .collect(),
    }))
}
