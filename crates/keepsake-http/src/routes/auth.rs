//! `/auth/*`, `/api-keys/*` and `/sessions/*`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keepsake_library::db::auth::DeviceInfo;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::dto::{ApiKeyResponse, SessionResponse, UserAdminResponse};
use crate::extract::{Json, Path, uuid};
use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUp {
    email: String,
    password: String,
    name: String,
}

pub async fn admin_sign_up(
    State(state): State<AppState>,
    Json(body): Json<SignUp>,
) -> Result<Response, ApiError> {
    let user = state
        .library
        .admin_sign_up(&body.email, &body.password, &body.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(UserAdminResponse::new(&user, 0)),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Login {
    email: String,
    password: String,
}

/// Device details from the User-Agent, as the session list shows them.
fn device(headers: &HeaderMap) -> DeviceInfo {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let os = ["Android", "iPhone", "iPad", "Mac OS", "Windows", "Linux"]
        .iter()
        .find(|o| ua.contains(*o))
        .map(|o| o.to_string())
        .unwrap_or_default();
    let (device_type, app_version) = if let Some(rest) = ua.strip_prefix("Immich_") {
        let mut parts = rest.split('_');
        (
            format!("Immich {}", parts.next().unwrap_or("")),
            parts.next().unwrap_or("").to_string(),
        )
    } else if ua.contains("Firefox") {
        ("Firefox".into(), String::new())
    } else if ua.contains("Chrome") || ua.contains("Chromium") {
        ("Chrome".into(), String::new())
    } else if ua.contains("Safari") {
        ("Safari".into(), String::new())
    } else {
        (
            ua.split('/').next().unwrap_or("").to_string(),
            String::new(),
        )
    };
    DeviceInfo {
        device_type,
        device_os: os,
        app_version,
    }
}

fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https")
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<Login>,
) -> Result<Response, ApiError> {
    let outcome = state
        .library
        .login(&body.email, &body.password, &device(&headers))
        .await?;
    let secure = if is_https(&headers) { "; Secure" } else { "" };
    let max_age = 400 * 24 * 3600;
    let cookies = [
        format!(
            "immich_access_token={}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}",
            outcome.token
        ),
        format!(
            "immich_auth_type=password; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"
        ),
        format!("immich_is_authenticated=true; Max-Age={max_age}; Path=/; SameSite=Lax{secure}"),
    ];
    let u = &outcome.user;
    let body = json!({
        "accessToken": outcome.token, "userId": u.id, "userEmail": u.email, "name": u.name, "isAdmin": u.is_admin,
        "isOnboarded": true, "profileImagePath": "", "shouldChangePassword": u.should_change_password
    });
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    for c in cookies {
        response
            .headers_mut()
            .append(header::SET_COOKIE, c.parse().expect("cookie is ASCII"));
    }
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Response, ApiError> {
    state.library.logout(&caller).await?;
    let mut response =
        axum::Json(json!({ "successful": true, "redirectUri": "/auth/login?autoLaunch=0" }))
            .into_response();
    for name in [
        "immich_access_token",
        "immich_auth_type",
        "immich_is_authenticated",
    ] {
        let c = format!("{name}=; Max-Age=0; Path=/; SameSite=Lax");
        response
            .headers_mut()
            .append(header::SET_COOKIE, c.parse().expect("cookie is ASCII"));
    }
    Ok(response)
}

pub async fn validate_token(Auth(_caller): Auth) -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "authStatus": true }))
}

pub async fn status(Auth(_caller): Auth) -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "password": true, "pinCode": false, "isElevated": false }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePassword {
    password: String,
    new_password: String,
    #[serde(default)]
    invalidate_sessions: bool,
}

pub async fn change_password(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<ChangePassword>,
) -> Result<Response, ApiError> {
    let user = state
        .library
        .change_password(
            &caller,
            &body.password,
            &body.new_password,
            body.invalidate_sessions,
        )
        .await?;
    let usage = state.library.usage_bytes(&user.id).await?;
    Ok(axum::Json(UserAdminResponse::new(&user, usage)).into_response())
}

#[derive(Deserialize)]
pub struct CreateKey {
    name: Option<String>,
    permissions: Vec<String>,
}

pub async fn create_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Json(body): Json<CreateKey>,
) -> Result<Response, ApiError> {
    let created = state
        .library
        .create_api_key(&caller, body.name.as_deref(), &body.permissions)
        .await?;
    let body = json!({ "secret": created.secret, "apiKey": ApiKeyResponse::from(&created.key) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn list_keys(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Vec<ApiKeyResponse>>, ApiError> {
    let keys = state.library.list_api_keys(&caller).await?;
    Ok(axum::Json(keys.iter().map(ApiKeyResponse::from).collect()))
}

pub async fn my_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<ApiKeyResponse>, ApiError> {
    Ok(axum::Json(ApiKeyResponse::from(
        &state.library.current_api_key(&caller).await?,
    )))
}

pub async fn get_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<ApiKeyResponse>, ApiError> {
    Ok(axum::Json(ApiKeyResponse::from(
        &state.library.get_api_key(&caller, uuid(&id)?).await?,
    )))
}

#[derive(Deserialize)]
pub struct UpdateKey {
    name: Option<String>,
    permissions: Option<Vec<String>>,
}

pub async fn update_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Json(body): Json<UpdateKey>,
) -> Result<axum::Json<ApiKeyResponse>, ApiError> {
    let key = state
        .library
        .update_api_key(
            &caller,
            uuid(&id)?,
            body.name.as_deref(),
            body.permissions.as_deref(),
        )
        .await?;
    Ok(axum::Json(ApiKeyResponse::from(&key)))
}

pub async fn delete_key(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.library.delete_api_key(&caller, uuid(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_sessions(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Vec<SessionResponse>>, ApiError> {
    let (sessions, current) = state.library.list_sessions(&caller).await?;
    Ok(axum::Json(
        sessions
            .iter()
            .map(|s| SessionResponse::new(s, current.as_deref()))
            .collect(),
    ))
}

pub async fn delete_sessions(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<StatusCode, ApiError> {
    state.library.delete_other_sessions(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_session(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.library.delete_session(&caller, uuid(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
