//! `/server/*` and `/.well-known/immich`: what a client asks before logging in.

use axum::Json;
use axum::extract::State;
use keepsake_core::Permission;
use keepsake_core::media::{IMAGE_EXTENSIONS, SIDECAR_EXTENSIONS, VIDEO_EXTENSIONS};
use serde_json::{Value, json};

use crate::auth::Auth;
use crate::dto::human_bytes;
use crate::{ApiError, AppState};

/// The Immich version Keepsake speaks; clients compare against it.
pub const IMMICH_VERSION: (u32, u32, u32) = (3, 1, 0);

pub async fn well_known() -> Json<Value> {
    Json(json!({ "api": { "endpoint": "/api" } }))
}

pub async fn ping() -> Json<Value> {
    Json(json!({ "res": "pong" }))
}

pub async fn version() -> Json<Value> {
    let (major, minor, patch) = IMMICH_VERSION;
    Json(json!({ "major": major, "minor": minor, "patch": patch, "prerelease": null }))
}

pub async fn version_history() -> Json<Value> {
    Json(json!([]))
}

pub async fn media_types() -> Json<Value> {
    Json(
        json!({ "image": IMAGE_EXTENSIONS, "video": VIDEO_EXTENSIONS, "sidecar": SIDECAR_EXTENSIONS }),
    )
}

pub async fn features() -> Json<Value> {
    Json(json!({
        "configFile": false, "duplicateDetection": false, "email": false, "facialRecognition": false,
        "importFaces": false, "map": true, "oauth": false, "oauthAutoLaunch": false, "ocr": false,
        "passwordLogin": true, "realtimeTranscoding": false, "reverseGeocoding": false, "search": true,
        "sidecar": true, "smartSearch": false, "trash": true
    }))
}

pub async fn config(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let initialized = state.library.is_initialized().await?;
    Ok(Json(json!({
        "externalDomain": "", "isInitialized": initialized, "isOnboarded": initialized, "loginPageMessage": "",
        "maintenanceMode": false, "mapDarkStyleUrl": "", "mapLightStyleUrl": "", "minFaces": 3,
        "oauthButtonText": "Login with OAuth", "publicUsers": true,
        "trashDays": state.library.config().trash_days, "userDeleteDelay": 7
    })))
}

pub async fn about(
    State(_state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::SERVER_ABOUT)?;
    let (major, minor, patch) = IMMICH_VERSION;
    Ok(Json(json!({
        "version": format!("v{major}.{minor}.{patch}"),
        "versionUrl": "",
        "licensed": false,
        "repository": "keepsake",
        "build": env!("CARGO_PKG_VERSION"),
        "sourceRef": format!("keepsake {}", env!("CARGO_PKG_VERSION")),
    })))
}

pub async fn statistics(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let stats = state.library.server_statistics(&caller).await?;
    let by_user: Vec<Value> = stats
        .by_user
        .iter()
        .map(|u| {
            json!({
                "userId": u.user_id, "userName": u.user_name, "photos": u.photos, "videos": u.videos,
                "usage": u.usage, "usagePhotos": u.usage_photos, "usageVideos": u.usage_videos, "quotaSizeInBytes": u.quota_size_bytes
            })
        })
        .collect();
    Ok(Json(json!({
        "photos": stats.photos, "videos": stats.videos, "usage": stats.usage,
        "usagePhotos": stats.usage_photos, "usageVideos": stats.usage_videos, "usageByUser": by_user
    })))
}

pub async fn storage(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let s = state.library.storage_info(&caller).await?;
    let used = s.total.saturating_sub(s.available);
    let pct = if s.total == 0 {
        0.0
    } else {
        (used as f64 * 10_000.0 / s.total as f64).round() / 100.0
    };
    Ok(Json(json!({
        "diskAvailable": human_bytes(s.available), "diskAvailableRaw": s.available,
        "diskSize": human_bytes(s.total), "diskSizeRaw": s.total,
        "diskUse": human_bytes(used), "diskUseRaw": used, "diskUsagePercentage": pct
    })))
}
