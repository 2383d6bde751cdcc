//! The iCloud client's session half: configuration, the state that survives
//! between runs, the request plumbing every call goes through (headers per
//! service, the cookie jar, pacing, retries) and the Apple ID sign-in — SRP,
//! two-factor codes, the trust token and `accountLogin` (PROTOCOL.md §1, §7).
//!
//! Decisions follow status codes, never the `authType`/`auth_type` bodies,
//! which differ between recordings (§7.8).

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::cookies::{self, StoredCookie};
use super::download;
use super::error::IcloudError;
use super::model::{Database, ResourceChecksum};
use super::srp::{Protocol, SrpClient};

/// Apple ID authentication (IDMSA).
pub const DEFAULT_AUTH_URL: &str = "https://idmsa.apple.com/appleauth/auth";
/// iCloud setup (accountLogin, logout).
pub const DEFAULT_SETUP_URL: &str = "https://setup.icloud.com/setup/ws/1";

/// The web client's key, sent as widget key and OAuth client id (§1.2).
const WIDGET_KEY: &str = "d39ba9916b7251055b22c7f910e2ea796ee65e98b2ddecea8f5dde8d9d1a815d";
const WEB_ORIGIN: &str = "https://www.icloud.com";
const TRUST_COOKIE: &str = "X-APPLE-WEBAUTH-HSA-TRUST";
/// Apple's current trust window when the cookie does not say (§1.6).
const TRUST_DAYS: i64 = 30;

/// How to reach iCloud and how hard to push.
#[derive(Clone, Debug)]
pub struct IcloudConfig {
    /// IDMSA base, used as given (`/signin/init` etc. are appended).
    pub auth_url: String,
    /// Setup base, used as given (`/accountLogin` etc. are appended).
    pub setup_url: String,
    /// At most `n` non-download requests per window; `None` = unlimited.
    pub metadata_rate: Option<(u32, Duration)>,
    /// Downloads the source may run at once. The source fetches one item at a
    /// time (the `Source` contract), so today this only caps future prefetching.
    pub download_concurrency: usize,
    /// Tries per request or download, the first included.
    pub max_attempts: u32,
    /// Backoff after a 503, a drop or a timeout: `base × 2^(n-1)`, capped at `backoff_max`
    /// (which also caps an honoured `Retry-After`).
    pub backoff_base: Duration,
    /// Cap on any backoff wait.
    pub backoff_max: Duration,
    /// Whole-request limit for non-download calls.
    pub request_timeout: Duration,
    /// Longest silence while downloading before the connection counts as dropped.
    pub download_read_timeout: Duration,
    /// A desktop browser's, as Apple expects.
    pub user_agent: String,
}

impl Default for IcloudConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl IcloudConfig {
    /// Apple's endpoints and defaults like icloud-photos-sync's (§3.2, §4.3).
    pub fn new() -> Self {
        IcloudConfig {
            auth_url: DEFAULT_AUTH_URL.into(),
            setup_url: DEFAULT_SETUP_URL.into(),
            metadata_rate: None,
            download_concurrency: 5,
            max_attempts: 5,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(120),
            request_timeout: Duration::from_secs(120),
            download_read_timeout: Duration::from_secs(120),
            user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3.1 Safari/605.1.15".into(),
        }
    }

    /// The wait before try `failures + 1`.
    pub(crate) fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// Everything that must survive between runs (JSON; the caller stores it encrypted).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionState {
    /// The Apple ID (e-mail or phone) signed in with.
    pub apple_id: String,
    /// `X-Apple-TwoSV-Trust-Token`: spares the next sign-ins a code.
    pub trust_token: Option<String>,
    /// Unix seconds.
    pub trust_token_received_at: Option<i64>,
    /// Unix seconds: the trust cookie's expiry, else received + 30 days.
    pub trust_expires_at: Option<i64>,
    /// The cookie jar (idmsa and iCloud web session).
    pub cookies: Vec<StoredCookie>,
    /// `X-Apple-Session-Token` (accountLogin's `dsWebAuthToken`).
    pub session_token: Option<String>,
    /// IDMSA's `scnt`, echoed on every IDMSA request.
    pub scnt: Option<String>,
    /// `X-Apple-ID-Session-Id`.
    pub session_id: Option<String>,
    /// `X-Apple-Auth-Attributes`, echoed back once received.
    pub auth_attributes: Option<String>,
    /// `auth-<uuid>`, stable per installation.
    pub client_id: String,
    /// `X-Apple-ID-Account-Country`, sent back in accountLogin.
    pub account_country: Option<String>,
    /// From accountLogin.
    pub dsid: Option<String>,
    /// `webservices.ckdatabasews.url` from accountLogin, followed as given.
    pub ckdatabasews_url: Option<String>,
}

/// The result of [`IcloudClient::sign_in`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in; the library can be read.
    Ready,
    /// A code was sent to trusted devices; submit it with [`IcloudClient::submit_code`].
    NeedsCode {
        /// Numbers a code can also be sent to (may be empty since 2026).
        phones: Vec<TrustedPhone>,
    },
}

/// A phone number a code can be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedPhone {
    /// Apple's id for the number (for [`MfaMethod::Sms`] / [`MfaMethod::Voice`]).
    pub id: u64,
    /// `numberWithDialCode`, obfuscated by Apple.
    pub number: String,
    /// `sms` or `voice`.
    pub push_mode: String,
}

/// How a verification code reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    /// Pushed to trusted Apple devices.
    Device,
    /// A text message to this trusted phone id.
    Sms(u64),
    /// A call to this trusted phone id.
    Voice(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Idmsa,
    Setup,
    CloudKit,
}

/// A response with its body read.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
            .filter(|v| !v.is_empty())
    }
}

/// At most `n` requests per sliding window.
struct Pacer {
    limit: Option<(u32, Duration)>,
    recent: VecDeque<Instant>,
}

impl Pacer {
    async fn wait(&mut self) {
        let Some((n, window)) = self.limit else {
            return;
        };
        let n = n.max(1) as usize;
        if self.recent.len() >= n
            && let Some(oldest) = self.recent.front()
        {
            let elapsed = oldest.elapsed();
            if elapsed < window {
                tokio::time::sleep(window - elapsed).await;
            }
        }
        while self.recent.len() >= n {
            self.recent.pop_front();
        }
        self.recent.push_back(Instant::now());
    }
}

/// Outcome of accountLogin that matters for the sign-in flow.
struct LoginInfo {
    challenge_required: bool,
}

/// An iCloud session: sign-in, CloudKit Photos calls and downloads.
pub struct IcloudClient {
    pub(crate) config: IcloudConfig,
    pub(crate) state: SessionState,
    http: reqwest::Client,
    download_http: reqwest::Client,
    password: Option<String>,
    mfa_method: MfaMethod,
    pacer: Pacer,
}

impl std::fmt::Debug for IcloudClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcloudClient")
            .field("apple_id", &self.state.apple_id)
            .field("signed_in", &self.state.ckdatabasews_url.is_some())
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The first human message in an IDMSA error body (`serviceErrors` or `service_errors`).
fn service_error_message(body: &Value) -> Option<String> {
    ["serviceErrors", "service_errors"].iter().find_map(|k| {
        body.get(*k)?
            .as_array()?
            .iter()
            .find_map(|e| e.get("message")?.as_str().map(String::from))
    })
}

fn body_text(reply: &Reply) -> String {
    let text = String::from_utf8_lossy(&reply.body);
    text.chars().take(300).collect()
}

/// Seconds to wait from a `Retry-After` header or a CloudKit `retryAfter` field.
fn retry_after(reply: &Reply) -> Option<Duration> {
    reply
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or_else(|| reply.json().get("retryAfter").and_then(Value::as_u64))
        .map(Duration::from_secs)
}

impl IcloudClient {
    /// A client for `state` (fresh or restored). Nothing is sent yet.
    pub fn new(config: IcloudConfig, mut state: SessionState) -> Self {
        if state.client_id.is_empty() {
            state.client_id = format!("auth-{}", uuid::Uuid::new_v4());
        }
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .build()
            .unwrap_or_default();
        let download_http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout)
            .build()
            .unwrap_or_default();
        IcloudClient {
            pacer: Pacer {
                limit: config.metadata_rate,
                recent: VecDeque::new(),
            },
            config,
            state,
            http,
            download_http,
            password: None,
            mfa_method: MfaMethod::Device,
        }
    }

    /// The state to persist after any call (cookies and tokens change often).
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// The configuration in use.
    pub fn config(&self) -> &IcloudConfig {
        &self.config
    }

    /// Lets the client sign in again by itself (with the stored trust token,
    /// never asking for a code) when the web session expires mid-run.
    pub fn set_password(&mut self, password: Option<String>) {
        self.password = password;
    }

    /// True when a trust token is stored and not past its expiry.
    pub fn trust_valid(&self) -> bool {
        self.state.trust_token.is_some()
            && self.state.trust_expires_at.is_none_or(|e| e > now_secs())
    }

    fn auth_endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.config.auth_url.trim_end_matches('/'))
    }

    fn setup_endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.config.setup_url.trim_end_matches('/'))
    }

    fn headers(&self, service: Service, accept: &str) -> header::HeaderMap {
        let mut h = header::HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = header::HeaderValue::from_str(value) {
                h.insert(name, v);
            }
        };
        put("user-agent", &self.config.user_agent);
        put("accept", accept);
        put("content-type", "application/json");
        match service {
            Service::Idmsa => {
                put("origin", "https://idmsa.apple.com");
                put("referer", "https://idmsa.apple.com/");
                put("x-apple-widget-key", WIDGET_KEY);
                put("x-apple-oauth-client-id", WIDGET_KEY);
                put("x-apple-oauth-client-type", "firstPartyAuth");
                put("x-apple-oauth-response-type", "code");
                put("x-apple-oauth-response-mode", "web_message");
                put("x-apple-oauth-redirect-uri", WEB_ORIGIN);
                put("x-apple-oauth-require-grant-code", "true");
                put("x-apple-oauth-state", &self.state.client_id);
                put("x-apple-frame-id", &self.state.client_id);
                let info = json!({"U": self.config.user_agent, "L": "en-US", "Z": "GMT+00:00", "V": "1.1", "F": ""});
                put("x-apple-i-fd-client-info", &info.to_string());
                if let Some(v) = &self.state.scnt {
                    put("scnt", v);
                }
                if let Some(v) = &self.state.session_id {
                    put("x-apple-id-session-id", v);
                }
                if let Some(v) = &self.state.auth_attributes {
                    put("x-apple-auth-attributes", v);
                }
            }
            Service::Setup | Service::CloudKit => {
                put("origin", WEB_ORIGIN);
                put("referer", "https://www.icloud.com/");
            }
        }
        h
    }

    /// Keeps what Apple hands out on any response: cookies, and on IDMSA the
    /// `scnt`, session id and tokens that later calls must echo.
    fn absorb(&mut self, service: Service, host: &str, reply: &Reply) {
        let now = now_secs();
        for value in reply.headers.get_all(header::SET_COOKIE) {
            if let Ok(v) = value.to_str() {
                cookies::apply_set_cookie(&mut self.state.cookies, host, v, now);
            }
        }
        if service == Service::Idmsa {
            if let Some(v) = reply.header("scnt") {
                self.state.scnt = Some(v);
            }
            if let Some(v) = reply.header("x-apple-session-token") {
                self.state.session_token = Some(v);
            }
            if let Some(v) = reply.header("x-apple-id-session-id") {
                self.state.session_id = Some(v);
            }
            if let Some(v) = reply.header("x-apple-auth-attributes") {
                self.state.auth_attributes = Some(v);
            }
            if let Some(v) = reply.header("x-apple-id-account-country") {
                self.state.account_country = Some(v);
            }
            // icps sends the session token as the session id when Apple gave
            // none; Apple accepts either.
            if self.state.session_id.is_none() {
                self.state.session_id = self.state.session_token.clone();
            }
        }
    }

    /// One request with pacing, retries on 503/429/drops/timeouts and the
    /// jar applied. Other statuses are the caller's to interpret.
    pub(crate) async fn send(
        &mut self,
        service: Service,
        method: Method,
        url: &str,
        body: Option<&Value>,
        accept: &str,
    ) -> Result<Reply, IcloudError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| IcloudError::BadUrl {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        let host = parsed.host_str().unwrap_or_default().to_string();
        let mut failures = 0u32;
        loop {
            self.pacer.wait().await;
            let mut request = self
                .http
                .request(method.clone(), parsed.clone())
                .headers(self.headers(service, accept));
            if let Some(c) = cookies::cookie_header(&self.state.cookies, &host, now_secs()) {
                request = request.header(header::COOKIE, c);
            }
            if let Some(b) = body {
                request = request.body(b.to_string());
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(bytes) => Ok(Reply {
                            status,
                            headers,
                            body: bytes.to_vec(),
                        }),
                        Err(e) => Err(format!("reading the answer failed: {e}")),
                    }
                }
                Err(e) if e.is_timeout() => Err("no answer in time".to_string()),
                Err(e) if e.is_builder() => {
                    return Err(IcloudError::BadUrl {
                        url: url.to_string(),
                        detail: e.to_string(),
                    });
                }
                Err(e) => Err(format!("connection failed: {e}")),
            };
            let (reason, wait, throttled) = match outcome {
                Ok(reply) => {
                    self.absorb(service, &host, &reply);
                    let code = reply
                        .json()
                        .get("serverErrorCode")
                        .and_then(Value::as_str)
                        .map(String::from);
                    let throttled = reply.status == 429 || code.as_deref() == Some("THROTTLED");
                    if reply.status != 503 && !throttled {
                        return Ok(reply);
                    }
                    (
                        format!("HTTP {}", reply.status),
                        retry_after(&reply),
                        throttled,
                    )
                }
                Err(reason) => (reason, None, false),
            };
            failures += 1;
            if failures >= self.config.max_attempts.max(1) {
                return Err(if throttled {
                    IcloudError::RateLimited { retry_after: wait }
                } else {
                    IcloudError::Unavailable {
                        attempts: failures,
                        last: reason,
                    }
                });
            }
            let wait = wait
                .map(|w| w.min(self.config.backoff_max))
                .unwrap_or_else(|| self.config.backoff(failures));
            tracing::debug!(%url, %reason, ?wait, "iCloud request failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// Signs in with SRP, sending the stored trust token. `Ready` when Apple
    /// trusts this client; `NeedsCode` after a code was sent to trusted devices.
    pub async fn sign_in(&mut self, password: &str) -> Result<SignIn, IcloudError> {
        self.sign_in_inner(password, true).await
    }

    async fn sign_in_inner(
        &mut self,
        password: &str,
        interactive: bool,
    ) -> Result<SignIn, IcloudError> {
        let srp = SrpClient::random();
        let account = self.state.apple_id.clone();
        let init = self
            .send(
                Service::Idmsa,
                Method::POST,
                &self.auth_endpoint("/signin/init"),
                Some(&json!({
                    "a": STANDARD.encode(srp.public_a()),
                    "accountName": account,
                    "protocols": ["s2k", "s2k_fo"],
                })),
                "application/json",
            )
            .await?;
        match init.status {
            200 => {}
            401 => {
                return Err(IcloudError::WrongPassword {
                    message: service_error_message(&init.json())
                        .unwrap_or_else(|| "sign-in refused".into()),
                });
            }
            403 => return Err(IcloudError::UnknownAccount { apple_id: account }),
            s => {
                return Err(IcloudError::Http {
                    status: s,
                    what: "signin/init".into(),
                    detail: body_text(&init),
                });
            }
        }
        let body = init.json();
        let decode = |what: &str| IcloudError::Decode {
            what: "signin/init".into(),
            detail: format!("missing or bad {what}"),
        };
        let salt = body
            .get("salt")
            .and_then(Value::as_str)
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or_else(|| decode("salt"))?;
        let b_pub = body
            .get("b")
            .and_then(Value::as_str)
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or_else(|| decode("b"))?;
        let iterations = body
            .get("iteration")
            .and_then(Value::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .filter(|i| *i > 0)
            .ok_or_else(|| decode("iteration"))?;
        let protocol_name = body
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("s2k");
        let protocol = Protocol::parse(protocol_name)
            .ok_or_else(|| IcloudError::Srp(format!("unknown protocol {protocol_name:?}")))?;
        let c = body.get("c").cloned().unwrap_or(Value::Null);
        let proofs = srp
            .proofs(&account, password, protocol, &salt, iterations, &b_pub)
            .map_err(IcloudError::Srp)?;
        let trust_tokens: Vec<String> = self.state.trust_token.iter().cloned().collect();
        let complete = self
            .send(
                Service::Idmsa,
                Method::POST,
                &self.auth_endpoint("/signin/complete?isRememberMeEnabled=true"),
                Some(&json!({
                    "accountName": account,
                    "c": c,
                    "m1": STANDARD.encode(proofs.m1),
                    "m2": STANDARD.encode(proofs.m2),
                    "rememberMe": true,
                    "trustTokens": trust_tokens,
                })),
                "application/json",
            )
            .await?;
        match complete.status {
            200 => self.after_login(interactive).await,
            409 => self.start_mfa(interactive).await,
            401 => Err(IcloudError::WrongPassword {
                message: service_error_message(&complete.json())
                    .unwrap_or_else(|| "sign-in refused".into()),
            }),
            403 => Err(IcloudError::UnknownAccount { apple_id: account }),
            412 => {
                // Non-2FA accounts are let through by the repair step; anything
                // else behind a 412 needs the user in a browser.
                let repair = self
                    .send(
                        Service::Idmsa,
                        Method::POST,
                        &self.auth_endpoint("/repair/complete"),
                        Some(&json!({})),
                        "application/json",
                    )
                    .await?;
                if (200..300).contains(&repair.status) {
                    self.after_login(interactive).await
                } else {
                    Err(IcloudError::AccountNeedsAttention)
                }
            }
            s => Err(IcloudError::Http {
                status: s,
                what: "signin/complete".into(),
                detail: body_text(&complete),
            }),
        }
    }

    async fn after_login(&mut self, interactive: bool) -> Result<SignIn, IcloudError> {
        let info = self.account_login().await?;
        if info.challenge_required {
            return self.start_mfa(interactive).await;
        }
        Ok(SignIn::Ready)
    }

    async fn start_mfa(&mut self, interactive: bool) -> Result<SignIn, IcloudError> {
        if !interactive {
            return Err(IcloudError::MfaRequired);
        }
        let phones = match self.trusted_phones().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the trusted phone numbers");
                Vec::new()
            }
        };
        self.mfa_method = MfaMethod::Device;
        // Since 2026 Apple no longer pushes codes by itself to non-browser
        // sessions; asking explicitly is harmless where it still does.
        if let Err(e) = self.request_device_code().await {
            tracing::warn!(error = %e, "could not trigger a code on trusted devices; SMS or voice may still work");
        }
        Ok(SignIn::NeedsCode { phones })
    }

    /// The trusted phone numbers (§1.4 A3, §7.2): the JSON answer, else the
    /// sign-in page's `boot_args` (old and 2026 paths).
    pub async fn trusted_phones(&mut self) -> Result<Vec<TrustedPhone>, IcloudError> {
        let url = self.auth_endpoint("");
        let reply = self
            .send(Service::Idmsa, Method::GET, &url, None, "application/json")
            .await?;
        let mut phones = if (200..300).contains(&reply.status) {
            phones_from_reply(&reply.body)
        } else {
            Vec::new()
        };
        if phones.is_empty() {
            let page = self
                .send(Service::Idmsa, Method::GET, &url, None, "text/html")
                .await?;
            if (200..300).contains(&page.status) {
                phones = phones_from_reply(&page.body);
            }
        }
        Ok(phones)
    }

    async fn request_device_code(&mut self) -> Result<(), IcloudError> {
        for path in [
            "/verify/trusteddevice/securitycode",
            "/verify/trusteddevice",
        ] {
            let reply = self
                .send(
                    Service::Idmsa,
                    Method::PUT,
                    &self.auth_endpoint(path),
                    None,
                    "application/json",
                )
                .await?;
            if (200..300).contains(&reply.status) {
                return Ok(());
            }
            tracing::debug!(path, status = reply.status, "device code request refused");
            if path == "/verify/trusteddevice" {
                return Err(IcloudError::CodeNotSent {
                    method: "trusted device".into(),
                    status: reply.status,
                });
            }
        }
        Ok(())
    }

    /// Sends a (new) code by `method`; the next [`Self::submit_code`] uses it.
    pub async fn resend_code(&mut self, method: MfaMethod) -> Result<(), IcloudError> {
        match method {
            MfaMethod::Device => self.request_device_code().await?,
            MfaMethod::Sms(id) | MfaMethod::Voice(id) => {
                let mode = if matches!(method, MfaMethod::Sms(_)) {
                    "sms"
                } else {
                    "voice"
                };
                let reply = self
                    .send(
                        Service::Idmsa,
                        Method::PUT,
                        &self.auth_endpoint("/verify/phone"),
                        Some(&json!({"phoneNumber": {"id": id}, "mode": mode})),
                        "application/json",
                    )
                    .await?;
                if !(200..300).contains(&reply.status) {
                    return Err(IcloudError::CodeNotSent {
                        method: mode.into(),
                        status: reply.status,
                    });
                }
            }
        }
        self.mfa_method = method;
        Ok(())
    }

    /// Submits the code, then asks Apple to trust this client (storing the
    /// trust token) and signs in to iCloud. A wrong code leaves the session
    /// as it was, so the user can try again.
    pub async fn submit_code(&mut self, code: &str) -> Result<(), IcloudError> {
        let code = code.trim();
        let (path, body) = match self.mfa_method {
            MfaMethod::Device => (
                "/verify/trusteddevice/securitycode",
                json!({"securityCode": {"code": code}}),
            ),
            MfaMethod::Sms(id) | MfaMethod::Voice(id) => (
                "/verify/phone/securitycode",
                json!({
                    "securityCode": {"code": code},
                    "phoneNumber": {"id": id},
                    "mode": if matches!(self.mfa_method, MfaMethod::Sms(_)) { "sms" } else { "voice" },
                }),
            ),
        };
        let reply = self
            .send(
                Service::Idmsa,
                Method::POST,
                &self.auth_endpoint(path),
                Some(&body),
                "application/json",
            )
            .await?;
        match reply.status {
            200..=299 => {}
            400 => {
                return Err(IcloudError::WrongCode {
                    message: service_error_message(&reply.json())
                        .unwrap_or_else(|| "Incorrect verification code.".into()),
                });
            }
            401 | 421 => return Err(IcloudError::SessionExpired),
            s => {
                return Err(IcloudError::Http {
                    status: s,
                    what: "verify securitycode".into(),
                    detail: body_text(&reply),
                });
            }
        }
        self.trust().await?;
        self.account_login().await?;
        self.update_trust_expiry();
        Ok(())
    }

    /// `GET 2sv/trust`: mints the long-lived trust token (also on a live
    /// session, to renew it before it runs out, §7.7).
    pub async fn trust(&mut self) -> Result<(), IcloudError> {
        let reply = self
            .send(
                Service::Idmsa,
                Method::GET,
                &self.auth_endpoint("/2sv/trust"),
                None,
                "application/json",
            )
            .await?;
        if !(200..300).contains(&reply.status) {
            return Err(IcloudError::Http {
                status: reply.status,
                what: "2sv/trust".into(),
                detail: body_text(&reply),
            });
        }
        match reply.header("x-apple-twosv-trust-token") {
            Some(token) => {
                let now = now_secs();
                self.state.trust_token = Some(token);
                self.state.trust_token_received_at = Some(now);
                self.state.trust_expires_at = Some(now + TRUST_DAYS * 86_400);
            }
            None => tracing::warn!("Apple sent no trust token; the next sign-in will need a code"),
        }
        Ok(())
    }

    fn update_trust_expiry(&mut self) {
        if self.state.trust_token.is_none() {
            return;
        }
        if let Some(exp) = self
            .state
            .cookies
            .iter()
            .find(|c| c.name == TRUST_COOKIE)
            .and_then(|c| c.expires)
        {
            self.state.trust_expires_at = Some(exp);
        }
    }

    /// `accountLogin` with the session token: the iCloud web session and the
    /// CloudKit URL.
    async fn account_login(&mut self) -> Result<LoginInfo, IcloudError> {
        let Some(token) = self.state.session_token.clone() else {
            return Err(IcloudError::NotSignedIn);
        };
        let body = json!({
            "accountCountryCode": self.state.account_country.clone().unwrap_or_default(),
            "dsWebAuthToken": token,
            "extended_login": true,
            "trustToken": self.state.trust_token.clone().unwrap_or_default(),
        });
        let reply = self
            .send(
                Service::Setup,
                Method::POST,
                &self.setup_endpoint("/accountLogin"),
                Some(&body),
                "application/json",
            )
            .await?;
        match reply.status {
            200..=299 => {}
            401 | 421 | 450 => return Err(IcloudError::SessionExpired),
            s => {
                return Err(IcloudError::Http {
                    status: s,
                    what: "accountLogin".into(),
                    detail: body_text(&reply),
                });
            }
        }
        let v = reply.json();
        let ds = v.get("dsInfo").unwrap_or(&Value::Null);
        if ds.get("isWebAccessAllowed").and_then(Value::as_bool) == Some(false) {
            return Err(IcloudError::WebAccessDisabled);
        }
        self.state.dsid = ds
            .get("dsid")
            .map(|d| {
                d.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| d.to_string())
            })
            .filter(|d| d != "null");
        let ck = v.get("webservices").and_then(|w| w.get("ckdatabasews"));
        let url = ck
            .and_then(|c| c.get("url"))
            .and_then(Value::as_str)
            .ok_or_else(|| IcloudError::Decode {
                what: "accountLogin".into(),
                detail: "no webservices.ckdatabasews.url (is iCloud Photos on for this account?)"
                    .into(),
            })?;
        self.state.ckdatabasews_url = Some(url.trim_end_matches('/').to_string());
        self.update_trust_expiry();
        let pcs_required = ck
            .and_then(|c| c.get("pcsRequired"))
            .and_then(Value::as_bool)
            == Some(true);
        let has_pcs = self
            .state
            .cookies
            .iter()
            .any(|c| c.name.starts_with("X-APPLE-WEBAUTH-PCS-"));
        if pcs_required && !has_pcs {
            self.request_pcs().await?;
        }
        let flag = |k: &str| v.get(k).and_then(Value::as_bool);
        Ok(LoginInfo {
            challenge_required: flag("hsaChallengeRequired") == Some(true)
                && flag("hsaTrustedBrowser") != Some(true),
        })
    }

    /// ADP accounts: ask a trusted device to release the Photos keys (§1.4 A8).
    async fn request_pcs(&mut self) -> Result<(), IcloudError> {
        let reply = self
            .send(
                Service::Setup,
                Method::POST,
                &self.setup_endpoint("/requestPCS"),
                Some(&json!({"appName": "photos", "derivedFromUserAction": true})),
                "application/json",
            )
            .await?;
        let v = reply.json();
        if v.get("isWebAccessAllowed").and_then(Value::as_bool) == Some(false) {
            return Err(IcloudError::WebAccessDisabled);
        }
        if v.get("status").and_then(Value::as_str) == Some("success") {
            return Ok(());
        }
        Err(IcloudError::PcsApprovalPending {
            message: v
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no answer yet")
                .to_string(),
        })
    }

    /// Renews the web session mid-run: accountLogin again, else (with a
    /// password and a valid trust token) the whole SRP sign-in, never
    /// asking for a code.
    pub(crate) async fn reauthenticate(&mut self) -> Result<(), IcloudError> {
        match self.account_login().await {
            Ok(_) => return Ok(()),
            Err(IcloudError::SessionExpired | IcloudError::NotSignedIn) => {}
            Err(e) => return Err(e),
        }
        let Some(password) = self.password.clone() else {
            return Err(IcloudError::SessionExpired);
        };
        if !self.trust_valid() {
            return Err(IcloudError::MfaRequired);
        }
        match self.sign_in_inner(&password, false).await? {
            SignIn::Ready => Ok(()),
            SignIn::NeedsCode { .. } => Err(IcloudError::MfaRequired),
        }
    }

    /// Ends the web session, keeping the trust token (the next run needs no code).
    pub async fn logout(&mut self) -> Result<(), IcloudError> {
        let reply = self
            .send(
                Service::Setup,
                Method::POST,
                &self.setup_endpoint("/logout"),
                Some(&json!({"trustBrowser": true, "allBrowsers": false})),
                "application/json",
            )
            .await?;
        if !(200..300).contains(&reply.status) && reply.status != 421 {
            return Err(IcloudError::Http {
                status: reply.status,
                what: "logout".into(),
                detail: body_text(&reply),
            });
        }
        self.state.ckdatabasews_url = None;
        Ok(())
    }

    /// The CloudKit URL for `path` in `db`.
    pub(crate) fn ck_endpoint(&self, db: Database, path: &str) -> Result<String, IcloudError> {
        let base = self
            .state
            .ckdatabasews_url
            .as_deref()
            .ok_or(IcloudError::NotSignedIn)?;
        let mut url = format!(
            "{base}/database/1/com.apple.photos.cloud/production/{}/{path}?remapEnums=true&getCurrentSyncToken=true&clientId={}",
            db.path(),
            self.state.client_id
        );
        if let Some(dsid) = &self.state.dsid {
            url.push_str("&dsid=");
            url.push_str(dsid);
        }
        Ok(url)
    }

    /// What a download needs, to run one away from the client (prefetching).
    pub(crate) fn downloader(&self) -> (reqwest::Client, IcloudConfig) {
        (self.download_http.clone(), self.config.clone())
    }

    /// Downloads a pre-signed URL to `dest` (no cookies or auth headers),
    /// resuming after drops, and checks size and `fileChecksum`. A failed
    /// download leaves no file behind.
    pub async fn download(
        &self,
        url: &str,
        expected: Option<&ResourceChecksum>,
        dest: &Path,
    ) -> Result<u64, IcloudError> {
        download::download(&self.download_http, &self.config, url, expected, dest).await
    }
}

/// Trusted numbers from a JSON answer or an HTML page with `boot_args`.
fn phones_from_reply(body: &[u8]) -> Vec<TrustedPhone> {
    let text = String::from_utf8_lossy(body);
    let json: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => match boot_args(&text) {
            Some(v) => v,
            None => return Vec::new(),
        },
    };
    let candidates = [
        json.get("trustedPhoneNumbers"),
        json.pointer("/direct/twoSV/phoneNumberVerification/trustedPhoneNumbers"),
        json.pointer(
            "/direct/twoSV/bridgeInitiateData/phoneNumberVerification/trustedPhoneNumbers",
        ),
        json.pointer("/phoneNumberVerification/trustedPhoneNumbers"),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .find(|a| !a.is_empty())
        .map(|list| {
            list.iter()
                .filter_map(|p| {
                    Some(TrustedPhone {
                        id: p.get("id")?.as_u64()?,
                        number: p
                            .get("numberWithDialCode")
                            .or_else(|| p.get("obfuscatedNumber"))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        push_mode: p
                            .get("pushMode")
                            .and_then(Value::as_str)
                            .unwrap_or("sms")
                            .to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The JSON inside `<script type="application/json" class="boot_args">`.
fn boot_args(html: &str) -> Option<Value> {
    let marker = html.find("boot_args")?;
    let start = marker + html[marker..].find('>')? + 1;
    let end = start + html[start..].find("</script>")?;
    serde_json::from_str(html[start..end].trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_read_from_both_boot_args_paths_and_plain_json() {
        let old = r#"<html><script type="application/json" class="boot_args">{"direct":{"twoSV":{"phoneNumberVerification":{"trustedPhoneNumbers":[{"id":2,"numberWithDialCode":"+49 •• 12","pushMode":"sms"}]}}}}</script></html>"#;
        let new = r#"<script type="application/json" class="boot_args">
        {"direct":{"authInitialRoute":"auth/bridge/step","twoSV":{"bridgeInitiateData":{"phoneNumberVerification":{"trustedPhoneNumbers":[{"id":3,"numberWithDialCode":"+1 •• 34","pushMode":"voice"}]}}}}}
        </script>"#;
        let plain = r#"{"trustedPhoneNumbers":[{"id":1,"numberWithDialCode":"+33 •• 56"}]}"#;
        assert_eq!(phones_from_reply(old.as_bytes())[0].id, 2);
        let p = &phones_from_reply(new.as_bytes())[0];
        assert_eq!((p.id, p.push_mode.as_str()), (3, "voice"));
        let p = &phones_from_reply(plain.as_bytes())[0];
        assert_eq!(
            (p.number.as_str(), p.push_mode.as_str()),
            ("+33 •• 56", "sms")
        );
        assert!(phones_from_reply(b"{}").is_empty());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut c = IcloudConfig::new();
        c.backoff_base = Duration::from_millis(10);
        c.backoff_max = Duration::from_millis(50);
        assert_eq!(c.backoff(1), Duration::from_millis(10));
        assert_eq!(c.backoff(2), Duration::from_millis(20));
        assert_eq!(c.backoff(4), Duration::from_millis(50));
    }
}
