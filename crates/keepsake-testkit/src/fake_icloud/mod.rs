//! A fake iCloud speaking real HTTP on `127.0.0.1:<ephemeral>`, for the iCloud
//! importer's tests. One port serves the three hosts a client talks to:
//! Apple ID sign-in (`/appleauth/auth`, SRP-6a, two-factor codes, trust
//! tokens), the iCloud setup service (`/setup/ws/1`, web session cookies) and
//! CloudKit for `com.apple.photos.cloud` (`/database/1/…`), plus pre-signed
//! downloads (`/B/…`). Every URL it hands out is absolute.
//!
//! It models an account and a library a test builds (or [`generated_library`]),
//! keeps Apple's record shapes, paging and status codes (see the protocol notes
//! in the research reference), and offers faults on demand: status codes per
//! endpoint, connections dropped mid-download, expired sessions, trust tokens
//! and download URLs, the 2026 "no code until asked" MFA behaviour.
//!
//! It shares no code with the importer's client on purpose: it recomputes SRP
//! and checksums itself, so a client bug fails here as it would at Apple.

mod auth;
mod cloudkit;
mod content;
mod library;
mod srp;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

pub use content::file_checksum;
pub use library::generated_library;
pub use srp::SrpProtocol;

/// The Apple ID the fake signs in.
#[derive(Debug, Clone)]
pub struct FakeAppleAccount {
    /// The account name `signin/init` and `signin/complete` expect (case-insensitive at init).
    pub apple_id: String,
    /// Never stored by the fake: only the SRP verifier derived from it.
    pub password: String,
    /// The password-key derivation `signin/init` announces.
    pub protocol: SrpProtocol,
    /// PBKDF2 iterations `signin/init` announces (Apple: ~20,000).
    pub iterations: u32,
    /// Trusted phone numbers: (id, number as dialled, e.g. `+49 151 12345678`).
    pub phones: Vec<(u64, String)>,
}

impl FakeAppleAccount {
    /// A plausible account: `s2k`, 20,433 iterations, one trusted phone with id 1.
    pub fn new(apple_id: &str, password: &str) -> FakeAppleAccount {
        FakeAppleAccount {
            apple_id: apple_id.to_string(),
            password: password.to_string(),
            protocol: SrpProtocol::S2k,
            iterations: 20433,
            phones: vec![(1, "+49 151 23456789".to_string())],
        }
    }
}

/// The Shared Library, if the account takes part in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedZone {
    /// The account owns it: `SharedSync-…` sits in the **private** database.
    Owned,
    /// The account joined someone else's: it sits in the **shared** database.
    Joined,
}

/// The library the fake serves.
#[derive(Debug, Clone, Default)]
pub struct FakeLibrary {
    /// Every item, including hidden and Recently Deleted ones.
    pub photos: Vec<FakePhoto>,
    /// Albums and folders, in display order.
    pub albums: Vec<FakeAlbum>,
    /// Items with `shared: true` live in this zone; without it they are ignored.
    pub shared_zone: Option<SharedZone>,
}

/// What an item is.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeKind {
    /// A still image.
    Photo,
    /// `bytes` is the movie.
    Video,
    /// A still (`bytes`) with its paired movie (`resOriginalVidComplRes`).
    Live { video: Vec<u8> },
}

/// One library item: a CPLMaster (the original) plus its CPLAsset.
#[derive(Debug, Clone, PartialEq)]
pub struct FakePhoto {
    /// The CPLAsset recordName (Apple: an uppercase UUID).
    pub asset_id: String,
    /// The original's name (`filenameEnc`).
    pub file_name: String,
    /// The original's bytes; the master recordName is their fileChecksum.
    pub bytes: Vec<u8>,
    /// The original's UTI (`public.jpeg`, `com.apple.quicktime-movie`, …).
    pub uti: String,
    /// Still, movie or Live Photo.
    pub kind: FakeKind,
    /// The edited rendering and its UTI (`resJPEGFullRes`, or `resVidFullRes`
    /// for videos), with `adjustmentType: com.apple.photo`.
    pub edited: Option<(Vec<u8>, String)>,
    /// Capture time, UTC milliseconds (`assetDate`).
    pub asset_date_ms: i64,
    /// Seconds east of UTC at capture (`timeZoneOffset`); `None` omits the field.
    pub tz_offset_s: Option<i32>,
    /// `addedDate`, UTC milliseconds.
    pub added_ms: i64,
    /// `isFavorite`.
    pub favorite: bool,
    /// `isHidden`: listed only by the hidden and added-date lists.
    pub hidden: bool,
    /// In Recently Deleted.
    pub deleted: bool,
    /// (latitude, longitude).
    pub location: Option<(f64, f64)>,
    /// `captionEnc`.
    pub caption: Option<String>,
    /// Lives in the Shared Library zone instead of `PrimarySync` (invisible
    /// when the library has no `shared_zone`).
    pub shared: bool,
    /// The CPLAsset `recordChangeTag`; the fake assigns one when empty and
    /// bumps it on every change.
    pub change_tag: String,
}

/// An album (`folder: false`) or a folder of albums.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeAlbum {
    /// The CPLAlbum recordName (Apple: an uppercase UUID).
    pub record_name: String,
    /// The display name (`albumNameEnc`).
    pub name: String,
    /// A folder (`albumType` 3) rather than an album (`albumType` 0).
    pub folder: bool,
    /// The enclosing folder's record name; `None` at the root.
    pub parent: Option<String>,
    /// Asset ids, in album order. Folders have none.
    pub members: Vec<String>,
}

/// A running fake iCloud; the server stops when this is dropped.
pub struct FakeIcloud {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeIcloud {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) struct Shared {
    pub(crate) base: String,
    /// Signs download URLs, so a client cannot stretch their expiry.
    pub(crate) url_key: [u8; 32],
    inner: Mutex<Inner>,
}

/// The account as the server stores it: a verifier, never the password.
pub(crate) struct StoredAccount {
    pub apple_id: String,
    pub protocol: SrpProtocol,
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub verifier: num_bigint::BigUint,
    pub phones: Vec<(u64, String)>,
    pub dsid: String,
    pub first_name: String,
}

pub(crate) struct Inner {
    pub account: StoredAccount,
    pub library: FakeLibrary,
    pub derived: HashMap<String, content::Derived>,
    /// Download bodies by base64url fileChecksum.
    pub blobs: HashMap<String, Bytes>,
    pub auth: auth::AuthState,
    pub calls: HashMap<String, u32>,
    pub faults: Vec<(String, u16, u32)>,
    pub drop_downloads: u32,
    /// Good downloads left before every link issued so far expires.
    pub expire_urls_after: Option<u32>,
    pub deleted_remotely: Vec<String>,
    pub url_lifetime: Duration,
    /// URLs with a serial below this were expired by `expire_download_urls`.
    pub url_valid_from: u64,
    pub url_serial: u64,
    pub indexing_finished: bool,
    pub album_page_size: usize,
    pub change_counter: u64,
    pub owner: String,
    pub shared_owner: String,
    pub shared_zone_name: String,
    pub rng: StdRng,
}

impl FakeIcloud {
    /// Starts the fake on an ephemeral loopback port.
    pub async fn start(account: FakeAppleAccount, library: FakeLibrary) -> FakeIcloud {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let mut rng = StdRng::from_entropy();
        let mut salt = [0u8; 16];
        rng.fill(&mut salt);
        // pysrp-style clients hash the salt as an integer, which drops leading
        // zero bytes; a salt starting with 0 would make them disagree with Apple.
        salt[0] |= 0x80;
        let verifier = srp::verifier(
            account.protocol,
            &account.password,
            &salt,
            account.iterations,
        );
        let stored = StoredAccount {
            apple_id: account.apple_id.clone(),
            protocol: account.protocol,
            iterations: account.iterations,
            salt: salt.to_vec(),
            verifier,
            phones: account.phones.clone(),
            dsid: format!("{}", 10_000_000_000u64 + rng.gen_range(0..9_000_000_000u64)),
            first_name: account
                .apple_id
                .split('@')
                .next()
                .unwrap_or("user")
                .to_string(),
        };
        let owner = format!("_{}", hex(&rng.r#gen::<[u8; 16]>()));
        let shared_owner = format!("_{}", hex(&rng.r#gen::<[u8; 16]>()));
        let shared_zone_name = format!("SharedSync-{}", uuid_upper(&mut rng));
        let mut url_key = [0u8; 32];
        rng.fill(&mut url_key);
        let mut inner = Inner {
            account: stored,
            library: FakeLibrary {
                photos: Vec::new(),
                albums: library.albums.clone(),
                shared_zone: library.shared_zone,
            },
            derived: HashMap::new(),
            blobs: HashMap::new(),
            auth: auth::AuthState::new(),
            calls: HashMap::new(),
            faults: Vec::new(),
            drop_downloads: 0,
            expire_urls_after: None,
            deleted_remotely: Vec::new(),
            url_lifetime: Duration::from_secs(3600),
            url_valid_from: 0,
            url_serial: 0,
            indexing_finished: true,
            album_page_size: 200,
            change_counter: 46_000,
            owner,
            shared_owner,
            shared_zone_name,
            rng,
        };
        for photo in library.photos {
            inner.insert_photo(photo);
        }
        let state = Arc::new(Shared {
            base: url.clone(),
            url_key,
            inner: Mutex::new(inner),
        });
        let app = Router::new().fallback(dispatch).with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeIcloud { url, state, task }
    }

    /// The Apple ID sign-in base, `http://127.0.0.1:<port>/appleauth/auth`.
    pub fn auth_url(&self) -> String {
        format!("{}/appleauth/auth", self.url)
    }

    /// The setup service base, `http://127.0.0.1:<port>/setup/ws/1`.
    pub fn setup_url(&self) -> String {
        format!("{}/setup/ws/1", self.url)
    }

    /// The 6-digit code most recently "sent" (device or phone), `None` if none.
    pub fn last_code(&self) -> Option<String> {
        self.lock().auth.codes_sent.last().map(|(_, c)| c.clone())
    }

    /// Every code sent, oldest first: (`device` | `sms:<id>` | `voice:<id>`, code).
    pub fn codes_sent(&self) -> Vec<(String, String)> {
        self.lock().auth.codes_sent.clone()
    }

    /// Lifetime of trust tokens minted from now on (default 30 days).
    pub fn set_trust_lifetime(&self, d: Duration) {
        self.lock().auth.trust_lifetime = d;
    }

    /// Every trust token issued so far stops being accepted (MFA is due again).
    pub fn expire_trust_tokens(&self) {
        self.lock().auth.expire_trust_tokens();
    }

    /// Ends every web session and session token (trust tokens stay valid):
    /// CloudKit and `accountLogin` answer 421 until the client signs in again.
    pub fn expire_sessions(&self) {
        self.lock().auth.expire_sessions();
    }

    /// Every download URL handed out so far answers 410 Gone from now on.
    pub fn expire_download_urls(&self) {
        let mut inner = self.lock();
        inner.url_valid_from = inner.url_serial + 1;
    }

    /// After `n` more downloads, every download URL issued so far expires
    /// (the next download answers 410), as Apple's do during a long sync.
    pub fn expire_download_urls_after(&self, n: u32) {
        self.lock().expire_urls_after = Some(n);
    }

    /// Lifetime of download URLs issued from now on (default 3600 s).
    pub fn set_url_lifetime(&self, d: Duration) {
        self.lock().url_lifetime = d;
    }

    /// 2026 behaviour: `PUT /verify/trusteddevice` answers 405 and no device
    /// code is pushed until `PUT /verify/trusteddevice/securitycode`.
    pub fn set_2026_mode(&self, on: bool) {
        self.lock().auth.mode_2026 = on;
    }

    /// `CheckIndexingState` answers `FINISHED` (true, the default) or `RUNNING`.
    pub fn set_indexing(&self, finished: bool) {
        self.lock().indexing_finished = finished;
    }

    /// Albums per `CPLAlbumByPositionLive` page before a `continuationMarker`
    /// (default 200, Apple's record limit).
    pub fn set_album_page_size(&self, n: usize) {
        self.lock().album_page_size = n.max(1);
    }

    /// The next `times` requests to `endpoint` answer `status` instead.
    /// Endpoints are the names [`FakeIcloud::calls`] counts (`signin/init`,
    /// `accountLogin`, `records/query`, `records/query:<recordType>`,
    /// `download`, …). 429 comes with `Retry-After: 1` and a CloudKit
    /// `THROTTLED` body with `retryAfter`; 503 with `TRY_AGAIN_LATER` on
    /// CloudKit and Apple's plain "Service Temporary Unavailable" elsewhere.
    pub fn fail_next(&self, endpoint: &str, status: u16, times: u32) {
        self.lock()
            .faults
            .push((endpoint.to_string(), status, times));
    }

    /// The next `times` downloads send half the body, then close the connection.
    pub fn drop_next_downloads(&self, times: u32) {
        self.lock().drop_downloads += times;
    }

    /// Requests seen (faulted ones included) for an endpoint: `signin/init`,
    /// `signin/complete`, `auth` (GET `/appleauth/auth`), `verify/trusteddevice`,
    /// `verify/trusteddevice/securitycode`, `verify/phone`,
    /// `verify/phone/securitycode`, `2sv/trust`, `accountLogin`, `validate`,
    /// `logout`, `zones/list`, `changes/database`, `records/query`,
    /// `records/query/batch`, `records/lookup`, `records/modify`, `download`.
    /// IDMSA endpoints are also counted as `<METHOD> <name>` (e.g.
    /// `PUT verify/trusteddevice/securitycode`), queries also as
    /// `records/query:<recordType>`.
    pub fn calls(&self, endpoint: &str) -> u32 {
        self.lock().calls.get(endpoint).copied().unwrap_or(0)
    }

    /// CPLAsset recordNames deleted through `records/modify`, in order.
    pub fn deleted_remotely(&self) -> Vec<String> {
        self.lock().deleted_remotely.clone()
    }

    /// Adds an item (as if uploaded from a device).
    pub fn add_photo(&self, p: FakePhoto) {
        let mut inner = self.lock();
        inner.insert_photo(p);
        inner.change_counter += 1;
    }

    /// Changes an item; its change tag and `modified` time move on, and its
    /// checksums follow new bytes. Panics when `asset_id` is unknown.
    pub fn edit_photo(&self, asset_id: &str, f: impl FnOnce(&mut FakePhoto)) {
        let mut inner = self.lock();
        let idx = inner
            .photo_index(asset_id)
            .unwrap_or_else(|| panic!("no photo {asset_id}"));
        let before = inner.library.photos[idx].clone();
        f(&mut inner.library.photos[idx]);
        let was_deleted = before.deleted;
        let tag_set_by_test = inner.library.photos[idx].change_tag != before.change_tag;
        if !tag_set_by_test {
            let tag = inner.next_tag();
            inner.library.photos[idx].change_tag = tag;
        }
        let now = now_ms();
        let deleted = inner.library.photos[idx].deleted;
        let photo = inner.library.photos[idx].clone();
        inner.refresh_derived(
            &photo,
            before.bytes != photo.bytes
                || before.edited != photo.edited
                || before.kind != photo.kind,
        );
        let d = inner.derived.get_mut(asset_id).expect("derived");
        d.modified_ms = now;
        if deleted && !was_deleted {
            d.date_expunged_ms = Some(now + THIRTY_DAYS_MS);
        } else if !deleted {
            d.date_expunged_ms = None;
        }
        inner.change_counter += 1;
    }

    /// Moves an item to Recently Deleted (expunged in 30 days).
    pub fn delete_photo(&self, asset_id: &str) {
        self.edit_photo(asset_id, |p| p.deleted = true);
    }

    /// Removes an item entirely, from the library and every album.
    pub fn expunge_photo(&self, asset_id: &str) {
        let mut inner = self.lock();
        inner.library.photos.retain(|p| p.asset_id != asset_id);
        inner.derived.remove(asset_id);
        for album in &mut inner.library.albums {
            album.members.retain(|m| m != asset_id);
        }
        inner.change_counter += 1;
    }

    /// A snapshot of the library as the fake now holds it.
    pub fn library(&self) -> FakeLibrary {
        self.lock().library.clone()
    }

    /// The CPLMaster recordName (base64 fileChecksum of the original) of an item.
    pub fn master_record_name(&self, asset_id: &str) -> Option<String> {
        self.lock()
            .derived
            .get(asset_id)
            .map(|d| d.original.checksum.clone())
    }

    /// A `Cookie` header value for a fresh, fully signed-in web session, as
    /// if the client had gone through sign-in, MFA and `accountLogin`: lets
    /// CloudKit-level tests skip authentication.
    pub fn web_session_cookie(&self) -> String {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let (web, dsid) = inner
            .auth
            .direct_web_session(&mut inner.rng, &inner.account.dsid);
        format!("X-APPLE-WEBAUTH-TOKEN=\"{web}\"; X-APPLE-WEBAUTH-USER=\"v=1:s=1:d={dsid}\"")
    }

    /// The CloudKit database base for `area` (`private` or `shared`), as a
    /// client builds it from `webservices.ckdatabasews.url`.
    pub fn database_url(&self, area: &str) -> String {
        format!(
            "{}/database/1/com.apple.photos.cloud/production/{area}",
            self.url
        )
    }

    /// The Shared Library zone's name (`SharedSync-<UUID>`).
    pub fn shared_zone_name(&self) -> String {
        self.lock().shared_zone_name.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock()
    }
}

pub(crate) const THIRTY_DAYS_MS: i64 = 30 * 24 * 3600 * 1000;

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    pub(crate) fn photo_index(&self, asset_id: &str) -> Option<usize> {
        self.library
            .photos
            .iter()
            .position(|p| p.asset_id == asset_id)
    }

    /// A fresh base-36 change tag, as CloudKit's look.
    pub(crate) fn next_tag(&mut self) -> String {
        self.change_counter += 1;
        base36(self.change_counter)
    }

    fn insert_photo(&mut self, mut photo: FakePhoto) {
        if photo.change_tag.is_empty() {
            photo.change_tag = self.next_tag();
        }
        self.refresh_derived(&photo, true);
        if photo.deleted {
            let d = self.derived.get_mut(&photo.asset_id).expect("derived");
            d.date_expunged_ms = Some(now_ms() + THIRTY_DAYS_MS);
        }
        if let Some(idx) = self.photo_index(&photo.asset_id) {
            self.library.photos[idx] = photo;
        } else {
            self.library.photos.push(photo);
        }
    }

    /// Recomputes checksums and registers download bodies for `photo`.
    fn refresh_derived(&mut self, photo: &FakePhoto, bytes_changed: bool) {
        let previous = self.derived.remove(&photo.asset_id);
        let d = match previous {
            Some(d) if !bytes_changed => d,
            prev => {
                let created = prev
                    .as_ref()
                    .map(|p| p.created_ms)
                    .unwrap_or(photo.added_ms + 3_588);
                let mut d = content::Derived::compute(photo, &mut self.rng, created);
                if let Some(p) = prev {
                    d.date_expunged_ms = p.date_expunged_ms;
                }
                for (key, bytes) in d.blobs(photo) {
                    self.blobs.insert(key, bytes);
                }
                d
            }
        };
        self.derived.insert(photo.asset_id.clone(), d);
    }
}

/// The one handler: routes by path so that `${f}` and friends reach us as sent.
async fn dispatch(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    if let Some(rest) = path.strip_prefix("/appleauth/auth") {
        let name = rest.trim_start_matches('/');
        let name = if name.is_empty() { "auth" } else { name };
        if let Some(r) = shared.arrive(name, &[format!("{method} {name}")], Area::Idmsa) {
            return r;
        }
        return auth::idmsa(&shared, &method, name, &headers, &body);
    }
    if let Some(rest) = path.strip_prefix("/setup/ws/1/") {
        if let Some(r) = shared.arrive(rest, &[], Area::Setup) {
            return r;
        }
        return auth::setup(&shared, &method, rest, &headers, &body);
    }
    if let Some(rest) = path.strip_prefix("/database/1/com.apple.photos.cloud/production/") {
        let (area, op) = rest.split_once('/').unwrap_or((rest, ""));
        let name = match op {
            "internal/records/query/batch" => "records/query/batch",
            other => other,
        };
        let mut extra = Vec::new();
        if name == "records/query"
            && let Ok(v) = serde_json::from_slice::<Value>(&body)
            && let Some(t) = v["query"]["recordType"].as_str()
        {
            extra.push(format!("records/query:{t}"));
        }
        if let Some(r) = shared.arrive(name, &extra, Area::CloudKit) {
            return r;
        }
        return cloudkit::handle(&shared, &method, area, name, &headers, &body);
    }
    if path.starts_with("/B/") {
        if let Some(r) = shared.arrive("download", &[], Area::Content) {
            return r;
        }
        return content::download(&shared, &method, &path, &query, &headers);
    }
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": "no such endpoint", "path": path}),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    Idmsa,
    Setup,
    CloudKit,
    Content,
}

impl Shared {
    /// Counts the request and answers the injected fault due for it, if any.
    fn arrive(&self, name: &str, extra: &[String], area: Area) -> Option<Response> {
        let mut inner = self.lock();
        *inner.calls.entry(name.to_string()).or_default() += 1;
        for e in extra {
            *inner.calls.entry(e.clone()).or_default() += 1;
        }
        let slot = inner.faults.iter_mut().find(|(endpoint, _, left)| {
            *left > 0 && (endpoint == name || extra.iter().any(|e| e == endpoint))
        })?;
        slot.2 -= 1;
        let status = slot.1;
        drop(inner);
        Some(fault_response(status, area))
    }
}

fn fault_response(status: u16, area: Area) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    if status == 429 {
        let mut r = json_response(
            code,
            &json!({"uuid": pseudo_uuid(), "serverErrorCode": "THROTTLED", "reason": "Request throttled", "retryAfter": 1}),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, "1".parse().expect("header"));
        return r;
    }
    match area {
        Area::CloudKit => {
            let (error, reason) = match status {
                400 => ("BAD_REQUEST", "Bad request"),
                401 => ("AUTHENTICATION_FAILED", "Authentication failed"),
                403 => (
                    "ACCESS_DENIED",
                    "private db access disabled for this account",
                ),
                404 => ("ZONE_NOT_FOUND", "Zone not found"),
                409 => ("CONFLICT", "Conflict"),
                421 => (
                    "AUTHENTICATION_REQUIRED",
                    "Authentication required for Account",
                ),
                500 => ("INTERNAL_ERROR", "Internal error"),
                _ => ("TRY_AGAIN_LATER", "Service unavailable, try again later"),
            };
            json_response(
                code,
                &json!({"uuid": pseudo_uuid(), "serverErrorCode": error, "reason": reason}),
            )
        }
        Area::Setup if status == 421 => json_response(code, &json!({"success": false, "error": 1})),
        Area::Content => Response::builder()
            .status(code)
            .body(Body::empty())
            .expect("response"),
        _ if status == 503 => Response::builder()
            .status(code)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from("Service Temporary Unavailable"))
            .expect("response"),
        _ => json_response(
            code,
            &json!({"serviceErrors": [{"code": format!("-{status}"), "message": "Injected failure", "suppressDismissal": false}], "hasError": true}),
        ),
    }
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
        .body(Body::from(body.to_string()))
        .expect("response")
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

pub(crate) fn uuid_upper(rng: &mut impl Rng) -> String {
    let b: [u8; 16] = rng.r#gen();
    let h = hex(&b).to_uppercase();
    format!(
        "{}-{}-4{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

pub(crate) fn pseudo_uuid() -> String {
    uuid_upper(&mut rand::thread_rng()).to_lowercase()
}

/// Cookies the client sent, unquoted (Apple quotes its values).
pub(crate) fn request_cookies(headers: &HeaderMap) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for value in headers.get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                out.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
            }
        }
    }
    out
}

/// An RFC 7231 date (`Tue, 16 Jan 2024 02:07:19 GMT`) for cookie expiries.
pub(crate) fn http_date(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let secs = unix_s.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WD[days.rem_euclid(7) as usize],
        d,
        MON[(m - 1) as usize],
        y,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests;
