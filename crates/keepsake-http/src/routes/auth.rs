//! `/auth/*`, `/api-keys/*` and `/sessions/*`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Auth, device};
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

/// Whether the client reached us over HTTPS. Keepsake speaks plain HTTP itself,
/// so only a TLS-terminating reverse proxy can say so, with the first value of
/// `X-Forwarded-Proto` (several proxies in a row append theirs).
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// The three cookies Immich sets at login (`Max-Age` 0 clears them). The token
/// cookie authenticates the mobile app; `Secure` only over HTTPS, or phones on
/// plain HTTP would never send it back.
fn auth_cookies(token: &str, auth_type: &str, max_age: u64, https: bool) -> [String; 3] {
    let secure = if https { "; Secure" } else { "" };
    let attrs = format!("Max-Age={max_age}; Path=/; SameSite=Lax{secure}");
    [
        format!("immich_access_token={token}; {attrs}; HttpOnly"),
        format!("immich_auth_type={auth_type}; {attrs}; HttpOnly"),
        format!(
            "immich_is_authenticated={}; {attrs}",
            if max_age == 0 { "" } else { "true" }
        ),
    ]
}

fn with_cookies(mut response: Response, cookies: [String; 3]) -> Response {
    for c in cookies {
        response
            .headers_mut()
            .append(header::SET_COOKIE, c.parse().expect("cookie is ASCII"));
    }
    response
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
    let u = &outcome.user;
    let body = json!({
        "accessToken": outcome.token, "userId": u.id, "userEmail": u.email, "name": u.name, "isAdmin": u.is_admin,
        "isOnboarded": true, "profileImagePath": "", "shouldChangePassword": u.should_change_password
    });
    let response = (StatusCode::CREATED, axum::Json(body)).into_response();
    let cookies = auth_cookies(
        &outcome.token,
        "password",
        400 * 24 * 3600,
        is_https(&headers),
    );
    Ok(with_cookies(response, cookies))
}

pub async fn logout(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.library.logout(&caller).await?;
    let response =
        axum::Json(json!({ "successful": true, "redirectUri": "/auth/login?autoLaunch=0" }))
            .into_response();
    Ok(with_cookies(
        response,
        auth_cookies("", "", 0, is_https(&headers)),
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_taken_from_the_first_forwarded_proto() {
        let h = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-proto", v.parse().unwrap());
            h
        };
        assert!(is_https(&h("https")));
        assert!(is_https(&h("HTTPS, http")));
        assert!(!is_https(&h("http, https")));
        assert!(!is_https(&HeaderMap::new()));
    }
}
