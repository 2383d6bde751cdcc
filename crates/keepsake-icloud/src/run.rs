//! One iCloud run — a login, a sync or an archive — as the person's clients
//! see it: the connection is claimed (one run per account at a time), the
//! sealed session is opened, Apple's sign-in is answered (with a code from the
//! terminal, the API or the web app when Apple asks for one, until a
//! deadline), and the session is sealed again whatever happens, so a trust
//! token Apple just granted is never lost to a later failure.

use std::time::Duration;

use keepsake_import::icloud::{
    IcloudClient, IcloudConfig, IcloudError, MfaMethod, SessionState, SignIn, TrustedPhone,
};
use keepsake_library::{Caller, Library, LibraryError};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::schedule::Schedule;

/// The service name of iCloud connections (credentials and remote accounts).
pub const SERVICE: &str = "icloud";
/// The sealed password, kept so scheduled runs can sign in unattended.
const PASSWORD: &str = "icloud-password";
/// How often a waiting sign-in looks for a code handed in through the API.
const CODE_POLL: Duration = Duration::from_millis(500);

/// The person's choices for their iCloud connection (stored as JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// `original`, `edited` or `both`.
    pub edits: String,
    /// Shared-library items: `include`, `skip`, or `album:<name>`.
    pub shared: String,
    /// Items deleted in iCloud: `keep` them here, or move them to the `trash`.
    pub deleted: String,
    /// Only this album (name, full path or record name).
    pub album: Option<String>,
    /// How long a run waits for a code, in seconds.
    pub mfa_timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            edits: "original".into(),
            shared: "include".into(),
            deleted: "keep".into(),
            album: None,
            mfa_timeout_secs: 600,
        }
    }
}

/// Choices to change, from a command line or an API body; `None` keeps the
/// stored one. An empty `album` means every album again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChanges {
    pub edits: Option<String>,
    pub shared: Option<String>,
    pub deleted: Option<String>,
    pub album: Option<String>,
    pub mfa_timeout_secs: Option<u64>,
}

impl SettingsChanges {
    pub fn is_empty(&self) -> bool {
        *self == SettingsChanges::default()
    }
}

impl Settings {
    /// These settings with `changes` made, checked.
    pub fn changed(mut self, changes: &SettingsChanges) -> Result<Settings, RunError> {
        if let Some(v) = &changes.edits {
            self.edits = v.clone();
        }
        if let Some(v) = &changes.shared {
            self.shared = v.clone();
        }
        if let Some(v) = &changes.deleted {
            self.deleted = v.clone();
        }
        if let Some(v) = &changes.album {
            self.album = Some(v.clone()).filter(|a| !a.is_empty());
        }
        if let Some(v) = changes.mfa_timeout_secs {
            self.mfa_timeout_secs = v;
        }
        self.validate()?;
        Ok(self)
    }

    /// Checks every choice, saying what is allowed.
    pub fn validate(&self) -> Result<(), RunError> {
        if !["original", "edited", "both"].contains(&self.edits.as_str()) {
            return Err(RunError::Invalid(format!(
                "edits must be original, edited or both (not {:?})",
                self.edits
            )));
        }
        if !(self.shared == "include" || self.shared == "skip" || self.shared.starts_with("album:"))
            || self.shared == "album:"
        {
            return Err(RunError::Invalid(format!(
                "shared must be include, skip or album:NAME (not {:?})",
                self.shared
            )));
        }
        if !["keep", "trash"].contains(&self.deleted.as_str()) {
            return Err(RunError::Invalid(format!(
                "deleted must be keep or trash (not {:?})",
                self.deleted
            )));
        }
        Ok(())
    }
}

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Icloud(#[from] IcloudError),
    #[error("{0}")]
    Library(#[from] LibraryError),
    #[error(
        "no code was entered within {0} s; nothing was changed. Run again and enter the code Apple sends \
         (on the terminal, with POST /api/icloud/mfa?code=, or in the web app)"
    )]
    MfaTimeout(u64),
    #[error("{0}")]
    Invalid(String),
}

/// Where codes come from besides the API: lines from the terminal or stdin
/// (a 6-digit code, or `sms N`, `voice N`, `device` to have a new one sent).
pub struct CodeInput {
    pub lines: Option<mpsc::Receiver<String>>,
    /// Told what to do when Apple asks for a code (the CLI prints it).
    pub notify: Box<dyn Fn(&str) + Send + Sync>,
}

impl CodeInput {
    /// Codes only through the API (the server's scheduled runs).
    pub fn api_only() -> CodeInput {
        CodeInput {
            lines: None,
            notify: Box::new(|m| tracing::info!("{m}")),
        }
    }
}

/// The caller's connection and its stored choices, or an error saying how to make one.
pub async fn connected(
    library: &Library,
    caller: &Caller,
) -> Result<(keepsake_library::remote::RemoteAccount, Settings), RunError> {
    let account = library
        .remote_account(caller, SERVICE)
        .await?
        .ok_or_else(|| {
            RunError::Invalid(
                "no iCloud account is connected for this user; run `keepsake icloud login --user EMAIL --apple-id ID` first"
                    .into(),
            )
        })?;
    let settings = serde_json::from_str(&account.settings).unwrap_or_default();
    Ok((account, settings))
}

/// The sealed session of the caller's connection (empty for a new one).
pub async fn load_session(library: &Library, caller: &Caller) -> Result<SessionState, RunError> {
    match library.service_credential(caller, SERVICE).await? {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            RunError::Invalid(format!(
                "the stored iCloud session cannot be read ({e}); run `keepsake icloud login` again"
            ))
        }),
        None => Ok(SessionState::default()),
    }
}

/// Seals the client's session (trust token, cookies) for the next run.
pub async fn save_session(
    library: &Library,
    caller: &Caller,
    client: &IcloudClient,
) -> Result<(), RunError> {
    let json = serde_json::to_string(client.state())
        .map_err(|e| RunError::Invalid(format!("cannot store the iCloud session: {e}")))?;
    library
        .set_service_credential(caller, SERVICE, &json)
        .await?;
    Ok(())
}

/// The password for unattended runs: the one given, else the sealed one.
pub async fn password(
    library: &Library,
    caller: &Caller,
    given: Option<String>,
) -> Result<String, RunError> {
    if let Some(p) = given {
        return Ok(p);
    }
    library
        .service_credential(caller, PASSWORD)
        .await?
        .ok_or_else(|| {
            RunError::Invalid(
                "no Apple ID password is stored for this account; run `keepsake icloud login` \
                 (or set KEEPSAKE_ICLOUD_PASSWORD)"
                    .into(),
            )
        })
}

/// Keeps the password sealed for scheduled runs.
pub async fn remember_password(
    library: &Library,
    caller: &Caller,
    password: &str,
) -> Result<(), RunError> {
    library
        .set_service_credential(caller, PASSWORD, password)
        .await?;
    Ok(())
}

/// Signs in, answering Apple's request for a code from `input` or the API
/// until `timeout`. Wrong codes may be retried within the same deadline.
pub async fn sign_in(
    library: &Library,
    caller: &Caller,
    client: &mut IcloudClient,
    password: &str,
    timeout: Duration,
    input: &mut CodeInput,
) -> Result<(), RunError> {
    let phones = match client.sign_in(password).await? {
        SignIn::Ready => return Ok(()),
        SignIn::NeedsCode { phones } => phones,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let deadline_ms = jiff::Timestamp::now().as_millisecond() + timeout.as_millis() as i64;
    let phones_json = phones_json(&phones);
    let mut waiting = "Apple sent a code to your trusted devices: enter it in the web app \
                       (Settings, iCloud Photos), on the terminal that runs the sync, or with \
                       POST /api/icloud/mfa?code=NNNNNN"
        .to_string();
    loop {
        library
            .remote_blocked(caller, SERVICE, &waiting, &phones_json, deadline_ms)
            .await?;
        (input.notify)(&waiting);
        let code = loop {
            let line = tokio::select! {
                l = next_line(&mut input.lines) => l,
                _ = tokio::time::sleep(CODE_POLL) => None,
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(RunError::MfaTimeout(timeout.as_secs()));
                }
            };
            if let Some(line) = line {
                let line = line.trim().to_string();
                if is_code(&line) {
                    break line;
                }
                if let Some(method) = resend_method(&line) {
                    client.resend_code(method).await?;
                    (input.notify)("a new code is on its way");
                } else if !line.is_empty() {
                    (input.notify)(
                        "enter the 6-digit code, or `sms N`, `voice N` or `device` for a new one",
                    );
                }
                continue;
            }
            let handed = library.take_mfa_input(caller, SERVICE).await?;
            if let Some(method) = handed.resend.as_deref().and_then(resend_method) {
                client.resend_code(method).await?;
            }
            if let Some(code) = handed.code {
                break code;
            }
        };
        match client.submit_code(&code).await {
            Ok(()) => {
                library
                    .remote_running(caller, SERVICE, Some("signed in"))
                    .await?;
                return Ok(());
            }
            Err(IcloudError::WrongCode { .. }) => {
                waiting = "that code was not accepted; enter the code again (or ask for a new one)"
                    .to_string();
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The next line typed, if any. Once stdin is closed it stops listening
/// (the API may still hand in a code) instead of waking at once for ever.
async fn next_line(lines: &mut Option<mpsc::Receiver<String>>) -> Option<String> {
    let Some(rx) = lines else {
        return std::future::pending().await;
    };
    let line = rx.recv().await;
    if line.is_none() {
        *lines = None;
    }
    line
}

fn phones_json(phones: &[TrustedPhone]) -> String {
    serde_json::Value::Array(
        phones
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id,
                    "numberWithDialCode": p.number,
                    "pushMode": p.push_mode,
                })
            })
            .collect(),
    )
    .to_string()
}

fn is_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `device`, `sms N` / `sms:N`, `voice N` / `voice:N`.
pub fn resend_method(s: &str) -> Option<MfaMethod> {
    let s = s.trim().to_ascii_lowercase();
    if s == "device" {
        return Some(MfaMethod::Device);
    }
    let (kind, id) = s.split_once([' ', ':'])?;
    let id: u64 = id.trim().parse().ok()?;
    match kind {
        "sms" => Some(MfaMethod::Sms(id)),
        "voice" => Some(MfaMethod::Voice(id)),
        _ => None,
    }
}

/// The next time a schedule names, in the server's zone, as ms since the epoch.
pub fn next_run_at(schedule: Option<&str>) -> Result<Option<i64>, RunError> {
    let Some(text) = schedule else {
        return Ok(None);
    };
    let s = Schedule::parse(text).map_err(RunError::Invalid)?;
    Ok(
        s.next_after(jiff::Timestamp::now(), &jiff::tz::TimeZone::system())
            .map(|t| t.as_millisecond()),
    )
}

/// The trust token's end, in ms since the epoch, if known.
pub fn trust_expires_ms(state: &SessionState) -> Option<i64> {
    state.trust_expires_at.map(|s| s * 1000)
}

/// Connects (or re-connects) the caller's iCloud account: signs in, with a
/// code when Apple asks, and keeps the session and password sealed.
#[allow(clippy::too_many_arguments)]
pub async fn login(
    library: &Library,
    caller: &Caller,
    config: IcloudConfig,
    apple_id: &str,
    password: &str,
    settings: &Settings,
    schedule: Option<&str>,
    input: &mut CodeInput,
) -> Result<SessionState, RunError> {
    settings.validate()?;
    let next = next_run_at(schedule)?;
    let settings_json = serde_json::to_string(settings).expect("settings serialise");
    library
        .connect_remote_account(caller, SERVICE, apple_id, &settings_json, schedule, next)
        .await?;
    let _claim = library.claim_remote_run(caller, SERVICE, false).await?;
    let mut state = load_session(library, caller).await?;
    if state.apple_id != apple_id {
        // Another Apple ID: its trust token and cookies mean nothing here.
        state = SessionState {
            apple_id: apple_id.to_string(),
            ..SessionState::default()
        };
    }
    let mut client = IcloudClient::new(config, state);
    let result = sign_in(
        library,
        caller,
        &mut client,
        password,
        Duration::from_secs(settings.mfa_timeout_secs),
        input,
    )
    .await;
    save_session(library, caller, &client).await?;
    let error = result.as_ref().err().map(|e| e.to_string());
    if result.is_ok() {
        remember_password(library, caller, password).await?;
        let _ = client.logout().await;
        save_session(library, caller, &client).await?;
    }
    library
        .finish_remote_run(
            caller,
            SERVICE,
            None,
            error.as_deref(),
            next,
            trust_expires_ms(client.state()),
        )
        .await?;
    result.map(|()| client.state().clone())
}
