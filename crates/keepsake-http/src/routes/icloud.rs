//! `/icloud`: Keepsake's own routes (Immich has none) for a person's iCloud
//! Photos connection: its state, and the code Apple sends when a sync — run
//! by the server's schedule or by `keepsake icloud sync` in another process —
//! waits at the sign-in. The code routes answer as icloud-photos-sync's
//! (`/api/mfa?code=`, `/api/resend_mfa?method=&phoneNumberId=`), with the same
//! messages, so scripts and habits carry over.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use keepsake_library::LibraryError;
use keepsake_library::remote::MfaInput;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Auth;
use crate::{ApiError, AppState};

/// The service name of iCloud connections.
pub use keepsake_icloud::run::SERVICE;

fn message(status: StatusCode, text: impl Into<String>) -> (StatusCode, axum::Json<Value>) {
    (status, axum::Json(json!({ "message": text.into() })))
}

/// `GET /icloud/state`: ready, running or blocked (waiting for a code), with
/// the last run's report and the schedule.
pub async fn state(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<axum::Json<Value>, ApiError> {
    let Some(a) = state.library.remote_account(&caller, SERVICE).await? else {
        return Err(LibraryError::NotFound(
            "no iCloud account is connected; run `keepsake icloud login --user EMAIL --apple-id ID`"
                .into(),
        )
        .into());
    };
    let mut out = json!({
        "appleId": a.account,
        "state": a.state,
        "timestamp": a.state_at,
        "schedule": a.schedule,
        "nextSync": a.next_run_at,
        "lastRunId": a.last_run_id,
        "lastFinishedAt": a.last_finished_at,
        "trustExpiresAt": a.trust_expires_at,
    });
    if let Some(m) = &a.state_message {
        out["progressMsg"] = json!(m);
    }
    if let Some(e) = &a.last_error {
        out["prevError"] = json!({ "message": e });
    }
    if a.state == "blocked" {
        out["mfaDeadline"] = json!(a.mfa_deadline);
        out["trustedPhoneNumbers"] = a
            .mfa_phones
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_else(|| json!([]));
    }
    Ok(axum::Json(out))
}

#[derive(Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
}

/// `POST /icloud/mfa?code=123456`: hands the code to the waiting sign-in.
pub async fn mfa(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<CodeQuery>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let Some(code) = q
        .code
        .filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            "Unexpected MFA code format! Expecting 6 digits",
        ));
    };
    let input = MfaInput {
        code: Some(code.clone()),
        resend: None,
    };
    match state.library.hand_in_mfa(&caller, SERVICE, &input).await {
        Ok(()) => Ok(message(StatusCode::OK, format!("Read MFA code: {code}"))),
        Err(LibraryError::Conflict(m)) => Ok(message(StatusCode::PRECONDITION_FAILED, m)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResendQuery {
    method: Option<String>,
    phone_number_id: Option<String>,
}

/// `POST /icloud/resend_mfa?method=sms|voice|device[&phoneNumberId=N]`: asks
/// Apple for a new code, by that way.
pub async fn resend_mfa(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<ResendQuery>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let bad = || {
        message(
            StatusCode::BAD_REQUEST,
            "Resend method does not match expected format",
        )
    };
    let id = match q.phone_number_id.as_deref() {
        None => 1,
        Some(n) => match n.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return Ok(bad()),
        },
    };
    let (resend, said) = match q.method.as_deref() {
        Some("device") => ("device".to_string(), "'Device'".to_string()),
        Some("sms") => (format!("sms:{id}"), format!("'SMS' (Number ID: {id})")),
        Some("voice") => (format!("voice:{id}"), format!("'Voice' (Number ID: {id})")),
        _ => return Ok(bad()),
    };
    let input = MfaInput {
        code: None,
        resend: Some(resend),
    };
    match state.library.hand_in_mfa(&caller, SERVICE, &input).await {
        Ok(()) => Ok(message(
            StatusCode::OK,
            format!("Requesting MFA resend with method {said}"),
        )),
        Err(LibraryError::Conflict(m)) => Ok(message(StatusCode::PRECONDITION_FAILED, m)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /icloud/sync`: asks the server to sync the caller's iCloud account now.
pub async fn sync(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let Some(scheduler) = &state.icloud else {
        return Err(LibraryError::Unavailable(
            "this server runs no iCloud syncs; use `keepsake icloud sync`".into(),
        )
        .into());
    };
    match state.library.request_remote_run(&caller, SERVICE).await {
        Ok(()) => {
            scheduler.wake();
            Ok(message(StatusCode::OK, "Sync requested"))
        }
        Err(LibraryError::Conflict(m)) => Ok(message(StatusCode::PRECONDITION_FAILED, m)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsBody {
    /// A cron schedule; `null` or empty for none.
    schedule: Option<String>,
    edits: Option<String>,
    shared: Option<String>,
    deleted: Option<String>,
    album: Option<String>,
    mfa_timeout_secs: Option<u64>,
}

/// `PUT /icloud/settings`: the caller's choices and schedule.
pub async fn settings(
    State(state): State<AppState>,
    Auth(caller): Auth,
    crate::extract::Json(body): crate::extract::Json<SettingsBody>,
) -> Result<axum::Json<Value>, ApiError> {
    use keepsake_icloud::run::{Settings, SettingsChanges, next_run_at};
    let Some(a) = state.library.remote_account(&caller, SERVICE).await? else {
        return Err(LibraryError::NotFound(
            "no iCloud account is connected; run `keepsake icloud login` first".into(),
        )
        .into());
    };
    let stored: Settings = serde_json::from_str(&a.settings).unwrap_or_default();
    let changes = SettingsChanges {
        edits: body.edits,
        shared: body.shared,
        deleted: body.deleted,
        album: body.album,
        mfa_timeout_secs: body.mfa_timeout_secs,
    };
    let s = stored
        .changed(&changes)
        .map_err(|e| LibraryError::Invalid(e.to_string()))?;
    let schedule = body.schedule.filter(|c| !c.trim().is_empty());
    let next =
        next_run_at(schedule.as_deref()).map_err(|e| LibraryError::Invalid(e.to_string()))?;
    let json = serde_json::to_string(&s).expect("settings serialise");
    state
        .library
        .connect_remote_account(
            &caller,
            SERVICE,
            &a.account,
            &json,
            schedule.as_deref(),
            next,
        )
        .await?;
    Ok(axum::Json(json!({
        "schedule": schedule,
        "nextSync": next,
        "settings": serde_json::to_value(&s).unwrap_or_default(),
    })))
}
