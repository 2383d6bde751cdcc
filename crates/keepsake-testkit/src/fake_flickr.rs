//! A fake Flickr speaking real HTTP on `127.0.0.1:<ephemeral>`, for the
//! importer's tests: the REST methods the importer calls, over an in-memory
//! account a test builds; the three OAuth endpoints (authorize auto-approves);
//! originals, thumbnails and video `/play/` redirects with `Range`; and faults
//! on demand (429 with or without `Retry-After`, 5xx, Flickr error codes,
//! connections dropped mid-body, slow answers). It counts calls per method.
//!
//! It shares no code with the client on purpose: it recomputes every OAuth
//! signature itself, so a signing bug in the client fails here as it would
//! at Flickr (401 `oauth_problem=signature_invalid&debug_sbs=…`). Its JSON
//! reproduces the recorded responses' quirks: numbers as strings next to
//! numbers, `{"_content": …}` wrappers, `latitude: 0` for "no place",
//! `total` sometimes a string.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{any, get};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

/// The app key and secret the fake accepts.
pub const API_KEY: &str = "0123456789abcdef0123456789abcdef";
pub const API_SECRET: &str = "fedcba9876543210";

/// Flickr's 429 body (flickrapi #135).
const BODY_429: &str = "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>";

/// The account the fake serves.
#[derive(Debug, Clone)]
pub struct FakeAccount {
    pub nsid: String,
    pub username: String,
    pub realname: String,
    pub path_alias: String,
    /// In upload order; listings answer newest upload first, as Flickr does.
    pub photos: Vec<FakePhoto>,
    /// In the user's order.
    pub sets: Vec<FakeSet>,
    /// Collections (folders of albums), nested; `collections.getTree` answers them.
    pub collections: Vec<FakeCollection>,
}

/// A collection: a named folder holding albums and other collections.
#[derive(Debug, Clone)]
pub struct FakeCollection {
    pub id: String,
    pub title: String,
    pub collections: Vec<FakeCollection>,
    pub set_ids: Vec<String>,
}

impl FakeCollection {
    fn to_json(&self, account: &FakeAccount) -> Value {
        let sets: Vec<Value> = self
            .set_ids
            .iter()
            .filter_map(|id| account.sets.iter().find(|s| &s.id == id))
            .map(|s| json!({"id": s.id, "title": s.title, "description": s.description}))
            .collect();
        let mut out = json!({
            "id": self.id, "title": self.title, "description": "",
            "iconlarge": "/images/collection_default_l.gif", "iconsmall": "/images/collection_default_s.gif",
        });
        // Flickr sends `collection` or `set`, never both, and omits empty lists.
        if !self.collections.is_empty() {
            out["collection"] = Value::Array(
                self.collections
                    .iter()
                    .map(|c| c.to_json(account))
                    .collect(),
            );
        } else if !sets.is_empty() {
            out["set"] = Value::Array(sets);
        }
        out
    }
}

/// One item. For a video, `original` is the poster frame and `video` holds
/// the video files.
#[derive(Debug, Clone)]
pub struct FakePhoto {
    pub id: String,
    pub secret: String,
    pub original_secret: String,
    pub server: String,
    pub farm: u32,
    pub title: String,
    /// HTML.
    pub description: String,
    pub is_public: bool,
    pub is_friend: bool,
    pub is_family: bool,
    pub license: String,
    pub date_upload: i64,
    pub last_update: i64,
    /// `YYYY-MM-DD HH:MM:SS`, naive local time; may be `0000-00-00 00:00:00`.
    pub date_taken: String,
    pub granularity: u8,
    pub taken_unknown: bool,
    pub views: u64,
    /// As the user typed them (`New York`); the fake normalizes them for `tags`.
    pub tags: Vec<String>,
    /// `namespace:predicate=value`.
    pub machine_tags: Vec<String>,
    pub original_format: String,
    pub geo: Option<FakeGeo>,
    pub width: u32,
    pub height: u32,
    pub rotation: u32,
    pub original: Bytes,
    pub video: Option<FakeVideo>,
}

#[derive(Debug, Clone)]
pub struct FakeVideo {
    /// The uploaded file, served at `/play/orig/…` after a 302.
    pub original: Bytes,
    pub content_type: String,
    /// getSizes lists `Video Original` (the owner's view).
    pub original_in_sizes: bool,
    /// `flickr.video.getStreamInfo` lists an `orig` stream.
    pub original_in_streams: bool,
    /// The `1080p` transcode (also `Site MP4`).
    pub rendition: Bytes,
    pub duration: u32,
}

#[derive(Debug, Clone)]
pub struct FakeGeo {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy: u8,
    pub place_id: String,
    pub woeid: String,
    pub locality: String,
    pub country: String,
}

#[derive(Debug, Clone)]
pub struct FakeSet {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Album order.
    pub photo_ids: Vec<String>,
    pub date_create: i64,
    pub date_update: i64,
}

impl FakeSet {
    pub fn new(id: &str, title: &str, photo_ids: &[&str]) -> FakeSet {
        FakeSet {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            photo_ids: photo_ids.iter().map(|s| s.to_string()).collect(),
            date_create: 1_562_400_000,
            date_update: 1_562_400_500,
        }
    }
}

fn mix(seed: u64) -> u64 {
    let mut x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x632B_E59B_D9B4_E019);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

fn hex10(seed: u64) -> String {
    format!("{:010x}", mix(seed) & 0xFF_FFFF_FFFF)
}

/// Deterministic bytes that start like an MP4 (`ftyp`) or a QuickTime file.
pub fn fake_video(seed: u64, len: usize, brand: &[u8; 4]) -> Vec<u8> {
    let mut out = vec![0, 0, 0, 0x18, b'f', b't', b'y', b'p'];
    out.extend_from_slice(brand);
    let mut body = crate::fake_jpeg(seed, len.max(16));
    body.drain(..4);
    out.extend_from_slice(&body);
    out.truncate(len.max(16));
    out
}

impl FakePhoto {
    /// A public JPEG photo with an exact taken date and no place, 4 KB.
    pub fn photo(id: u64) -> FakePhoto {
        FakePhoto {
            id: id.to_string(),
            secret: hex10(id),
            original_secret: hex10(id ^ 0xABCD),
            server: "65535".into(),
            farm: 66,
            title: format!("IMG_{:04}", id % 10_000),
            description: String::new(),
            is_public: true,
            is_friend: false,
            is_family: false,
            license: "0".into(),
            date_upload: 1_500_000_000 + (id % 1_000_000) as i64 * 60,
            last_update: 1_600_000_000 + (id % 1_000_000) as i64,
            date_taken: "2019-07-04 18:30:00".into(),
            granularity: 0,
            taken_unknown: false,
            views: id % 1000,
            tags: Vec::new(),
            machine_tags: Vec::new(),
            original_format: "jpg".into(),
            geo: None,
            width: 4000,
            height: 3000,
            rotation: 0,
            original: Bytes::from(crate::fake_jpeg(id, 4096)),
            video: None,
        }
    }

    /// A video with `Video Original` listed (owner's view): a QuickTime original and an MP4 transcode.
    pub fn video(id: u64) -> FakePhoto {
        FakePhoto {
            original_format: "jpg".into(),
            width: 1920,
            height: 1080,
            video: Some(FakeVideo {
                original: Bytes::from(fake_video(id, 8192, b"qt  ")),
                content_type: "video/quicktime".into(),
                original_in_sizes: true,
                original_in_streams: true,
                rendition: Bytes::from(fake_video(id ^ 0x1080, 4096, b"mp42")),
                duration: 23,
            }),
            ..FakePhoto::photo(id)
        }
    }

    pub fn is_video(&self) -> bool {
        self.video.is_some()
    }
}

impl FakeAccount {
    /// `jdoe` (`12345678@N00`) with no photos.
    pub fn empty() -> FakeAccount {
        FakeAccount {
            nsid: "12345678@N00".into(),
            username: "jdoe".into(),
            realname: "Jane Doe".into(),
            path_alias: "jdoe".into(),
            photos: Vec::new(),
            sets: Vec::new(),
            collections: Vec::new(),
        }
    }

    /// The three items of the recorded `people.getPhotos` fixture, rebuilt
    /// here (the repository holds no copy): a geotagged public photo with a
    /// described link and tags; a private video without a place; a
    /// friends-and-family PNG scan with an unknown taken date and a machine
    /// tag. One album holds the first two.
    pub fn like_recorded_fixtures() -> FakeAccount {
        let mut sunset = FakePhoto::photo(53_001_000_001);
        sunset.secret = "a1b2c3d4e5".into();
        sunset.original_secret = "0f9e8d7c6b".into();
        sunset.title = "Sunset at the park".into();
        sunset.description =
            "Golden hour <a href=\"https://example.org\" rel=\"noreferrer nofollow\">link</a>"
                .into();
        sunset.license = "4".into();
        sunset.width = 4000;
        sunset.height = 2667;
        sunset.date_upload = 1_562_290_200;
        sunset.last_update = 1_562_300_000;
        sunset.date_taken = "2019-07-04 18:30:00".into();
        sunset.views = 142;
        sunset.tags = vec!["Sunset".into(), "park".into(), "New York".into()];
        sunset.geo = Some(FakeGeo {
            latitude: 40.748440,
            longitude: -73.985664,
            accuracy: 16,
            place_id: "ZcQ2vfxQUL8kSeUIKg".into(),
            woeid: "2459115".into(),
            locality: "New York".into(),
            country: "United States".into(),
        });

        let mut clip = FakePhoto::video(53_001_000_002);
        clip.secret = "b2c3d4e5f6".into();
        clip.original_secret = "1a2b3c4d5e".into();
        clip.title = "IMG_0042".into();
        clip.is_public = false;
        clip.date_upload = 1_562_380_000;
        clip.last_update = 1_562_381_000;
        clip.date_taken = "2019-07-05 10:00:00".into();
        clip.views = 3;

        let mut scan = FakePhoto::photo(53_001_000_003);
        scan.secret = "c3d4e5f6a7".into();
        scan.original_secret = "2b3c4d5e6f".into();
        scan.title = String::new();
        scan.is_public = false;
        scan.is_friend = true;
        scan.is_family = true;
        scan.width = 2048;
        scan.height = 1536;
        scan.date_upload = 1_458_576_973;
        scan.last_update = 1_681_933_352;
        scan.date_taken = "2016-03-21 16:15:39".into();
        scan.taken_unknown = true;
        scan.views = 0;
        scan.tags = vec!["scan".into(), "family".into()];
        scan.machine_tags = vec!["dc:year=1950".into()];
        scan.original_format = "png".into();

        let mut set = FakeSet::new(
            "72157709000000001",
            "Summer 2019",
            &["53001000001", "53001000002"],
        );
        set.description = "Trip to NYC".into();
        FakeAccount {
            photos: vec![scan, sunset, clip],
            sets: vec![set],
            ..FakeAccount::empty()
        }
    }

    /// `n` items with every quirk spread over them: every 7th a video (every
    /// 14th of those without `Video Original`), every 5th geotagged, every
    /// 11th with an unknown date, every 13th with year granularity, every
    /// 17th untitled, one `0000-00-00` date, privacy cycling through all five.
    pub fn generated(n: usize) -> FakeAccount {
        let mut photos = Vec::with_capacity(n);
        for i in 0..n {
            let id = 52_000_000_000 + i as u64;
            let mut p = if i % 7 == 3 {
                FakePhoto::video(id)
            } else {
                FakePhoto::photo(id)
            };
            if let Some(video) = p.video.as_mut()
                && i % 14 == 10
            {
                video.original_in_sizes = false;
                video.original_in_streams = false;
            }
            p.original = Bytes::from(crate::fake_jpeg(id, 1024 + i % 512));
            p.date_upload = 1_400_000_000 + i as i64 * 3600;
            p.last_update = p.date_upload + 100;
            p.title = match i % 17 {
                0 => String::new(),
                5 => "Trip: a/b?".into(),
                _ => format!("Photo {i}"),
            };
            (p.is_public, p.is_friend, p.is_family) = match i % 5 {
                0 | 1 => (true, false, false),
                2 => (false, false, false),
                3 => (false, true, false),
                _ => (false, true, true),
            };
            if i % 5 == 4 {
                p.geo = Some(FakeGeo {
                    latitude: -33.856784 + i as f64 * 1e-4,
                    longitude: 151.215297,
                    accuracy: 16,
                    place_id: format!("place{i}"),
                    woeid: "1105779".into(),
                    locality: "Sydney".into(),
                    country: "Australia".into(),
                });
            }
            if i % 11 == 6 {
                p.taken_unknown = true;
            }
            if i % 13 == 9 {
                p.granularity = 6;
                p.date_taken = "1950-01-01 00:00:00".into();
            }
            if i == 2 {
                p.date_taken = "0000-00-00 00:00:00".into();
            }
            if i % 3 == 0 {
                p.tags = vec![format!("Tag {}", i % 4), "Holiday".into()];
            }
            photos.push(p);
        }
        FakeAccount {
            photos,
            ..FakeAccount::empty()
        }
    }

    pub fn photo(&self, id: &str) -> Option<&FakePhoto> {
        self.photos.iter().find(|p| p.id == id)
    }
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Every REST call.
    Rest,
    /// REST calls of one method, e.g. `flickr.people.getPhotos`.
    Method(String),
    /// The OAuth endpoints.
    OAuth,
    /// Originals, thumbnails and video files (not the `/play/` redirects).
    Media,
}

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with Flickr's HTML body and, if given, this `Retry-After` value.
    TooManyRequests { retry_after: Option<String> },
    /// This HTTP status (500, 502, 503…) with an HTML body.
    Status(u16),
    /// HTTP 200 `{"stat":"fail","code":…}`.
    FlickrError { code: i64, message: String },
    /// Sends the headers and the first `after_bytes` bytes of the real answer,
    /// then closes the connection.
    Drop { after_bytes: usize },
    /// Waits this long, then answers normally.
    Slow(Duration),
}

/// The running fake. Stopped when dropped.
pub struct FakeFlickr {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeFlickr {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    base: String,
    inner: Mutex<Inner>,
}

struct Inner {
    account: FakeAccount,
    request_tokens: HashMap<String, RequestTokenRecord>,
    access_tokens: HashMap<String, String>,
    calls: HashMap<String, usize>,
    faults: Vec<(Route, Fault, usize)>,
    range_support: bool,
    serial: u64,
    last_verifier: Option<String>,
}

struct RequestTokenRecord {
    secret: String,
    callback: String,
    verifier: Option<String>,
}

impl FakeFlickr {
    pub async fn start(account: FakeAccount) -> FakeFlickr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Shared {
            base: url.clone(),
            inner: Mutex::new(Inner {
                account,
                request_tokens: HashMap::new(),
                access_tokens: HashMap::new(),
                calls: HashMap::new(),
                faults: Vec::new(),
                range_support: true,
                serial: 0,
                last_verifier: None,
            }),
        });
        let app = Router::new()
            .route("/services/rest", any(rest))
            .route("/services/rest/", any(rest))
            .route("/services/oauth/request_token", any(request_token))
            .route("/services/oauth/authorize", get(authorize))
            .route("/services/oauth/access_token", any(access_token))
            .route("/static/{server}/{file}", get(static_file))
            .route("/photos/{user}/{id}/play/{label}/{secret}/", get(play))
            .route("/video/{id}/{secret}/{file}", get(video_file))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeFlickr { url, state, task }
    }

    /// The REST endpoint (for `KEEPSAKE_FLICKR_REST_URL`).
    pub fn rest_url(&self) -> String {
        format!("{}/services/rest/", self.url)
    }

    /// The OAuth base (for `KEEPSAKE_FLICKR_OAUTH_URL`).
    pub fn oauth_url(&self) -> String {
        format!("{}/services/oauth", self.url)
    }

    /// An access token for the account, as if the OAuth dance had happened.
    pub fn issue_access_token(&self) -> (String, String) {
        let mut inner = self.lock();
        inner.serial += 1;
        let token = format!("72157{:012}-{}", inner.serial, hex16(inner.serial));
        let secret = hex16(inner.serial ^ 0x5EC);
        inner.access_tokens.insert(token.clone(), secret.clone());
        (token, secret)
    }

    /// Forgets every access token (the user revoked the app).
    pub fn revoke_access_tokens(&self) {
        self.lock().access_tokens.clear();
    }

    /// The verifier handed out by the last `authorize`.
    pub fn last_verifier(&self) -> Option<String> {
        self.lock().last_verifier.clone()
    }

    /// Requests seen for a REST method (`flickr.people.getPhotos`), an OAuth
    /// endpoint (`oauth/request_token`), `media` or `play`; faulted ones included.
    pub fn calls(&self, name: &str) -> usize {
        self.lock().calls.get(name).copied().unwrap_or(0)
    }

    /// Every REST call so far.
    pub fn rest_calls(&self) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|(k, _)| k.starts_with("flickr."))
            .map(|(_, v)| v)
            .sum()
    }

    /// The next `times` requests matching `route` get `fault`.
    pub fn inject(&self, route: Route, fault: Fault, times: usize) {
        self.lock().faults.push((route, fault, times));
    }

    /// With `false`, media answers ignore `Range` (always 200 with everything).
    pub fn set_range_support(&self, on: bool) {
        self.lock().range_support = on;
    }

    /// Changes the account while running.
    pub fn edit_account(&self, edit: impl FnOnce(&mut FakeAccount)) {
        edit(&mut self.lock().account);
    }

    /// The bytes a download of this item's original should produce (for a
    /// video: the video original).
    pub fn original_bytes(&self, photo_id: &str) -> Option<Bytes> {
        let inner = self.lock();
        let photo = inner.account.photo(photo_id)?;
        Some(match &photo.video {
            Some(video) => video.original.clone(),
            None => photo.original.clone(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock()
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the request and takes the fault due for it, if any.
    fn arrive(&self, name: &str, routes: &[Route]) -> Option<Fault> {
        let mut inner = self.lock();
        *inner.calls.entry(name.to_string()).or_default() += 1;
        let slot = inner
            .faults
            .iter_mut()
            .find(|(route, _, left)| *left > 0 && routes.contains(route))?;
        slot.2 -= 1;
        Some(slot.1.clone())
    }
}

fn hex16(seed: u64) -> String {
    format!("{:016x}", mix(seed))
}

// ---- OAuth, checked independently of the client ---------------------------

fn enc(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn dec(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'+' {
            out.push(b' ');
        } else if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 2;
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (dec(k), dec(v))
        })
        .collect()
}

/// Every parameter of a request: query, form body, `Authorization: OAuth …`.
fn request_params(uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Vec<(String, String)> {
    let mut params = form_pairs(uri.query().unwrap_or(""));
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        params.extend(form_pairs(&String::from_utf8_lossy(body)));
    }
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "))
    {
        for field in auth.split(',') {
            if let Some((k, v)) = field.trim().split_once('=') {
                let k = dec(k.trim());
                if k != "realm" {
                    params.push((k, dec(v.trim().trim_matches('"'))));
                }
            }
        }
    }
    params
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The base string Flickr would compute for this request.
fn base_string(
    method: &Method,
    headers: &HeaderMap,
    uri: &Uri,
    params: &[(String, String)],
) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let url = format!("http://{host}{}", uri.path());
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| (enc(k), enc(v)))
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{}&{}&{}",
        method.as_str(),
        enc(&url),
        enc(&joined.join("&"))
    )
}

fn hmac_b64(key: &str, text: &str) -> String {
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC takes any key");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

enum AuthCheck {
    Ok,
    Reject(Response),
}

/// Checks `oauth_signature` against `consumer_secret&token_secret`.
fn check_signature(
    method: &Method,
    headers: &HeaderMap,
    uri: &Uri,
    params: &[(String, String)],
    token_secret: &str,
) -> AuthCheck {
    let sbs = base_string(method, headers, uri, params);
    let expected = hmac_b64(&format!("{}&{}", enc(API_SECRET), enc(token_secret)), &sbs);
    if param(params, "oauth_signature") == Some(expected.as_str())
        && param(params, "oauth_signature_method") == Some("HMAC-SHA1")
    {
        AuthCheck::Ok
    } else {
        AuthCheck::Reject(oauth_problem(&format!(
            "oauth_problem=signature_invalid&debug_sbs={sbs}"
        )))
    }
}

fn oauth_problem(body: &str) -> Response {
    text_response(
        StatusCode::UNAUTHORIZED,
        "text/plain;charset=UTF-8",
        body.to_string(),
    )
}

fn text_response(status: StatusCode, content_type: &str, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap_or_default()
}

/// Applies a fault that replaces the answer; `Slow` waits and lets it through,
/// `Drop` is applied to the real answer by [`finish`].
async fn pre_fault(fault: &Option<Fault>) -> Option<Response> {
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut builder = Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header(header::CONTENT_TYPE, "text/html");
            if let Some(value) = retry_after {
                builder = builder.header(header::RETRY_AFTER, value.as_str());
            }
            Some(builder.body(Body::from(BODY_429)).unwrap_or_default())
        }
        Some(Fault::Status(code)) => Some(text_response(
            StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "text/html",
            format!("<html><body><h1>{code}</h1></body></html>"),
        )),
        Some(Fault::FlickrError { code, message }) => Some(json_response(
            &json!({"stat": "fail", "code": code, "message": message}),
            true,
        )),
        Some(Fault::Slow(duration)) => {
            tokio::time::sleep(*duration).await;
            None
        }
        _ => None,
    }
}

/// Sends `response`, or only its first bytes and then a reset when the fault says so.
async fn finish(fault: Option<Fault>, response: Response) -> Response {
    let Some(Fault::Drop { after_bytes }) = fault else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let head = bytes.slice(..after_bytes.min(bytes.len()));
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let head = head.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(head), 1)),
                1 => {
                    // Let the first bytes reach the client before the reset.
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "fake flickr drops the connection",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    let mut response = Response::from_parts(parts, Body::from_stream(stream));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, bytes.len().into());
    response
}

fn json_response(value: &Value, nojsoncallback: bool) -> Response {
    let text = value.to_string();
    if nojsoncallback {
        text_response(StatusCode::OK, "application/json; charset=utf-8", text)
    } else {
        text_response(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            format!("jsonFlickrApi({text})"),
        )
    }
}

async fn request_token(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = state.arrive("oauth/request_token", &[Route::OAuth]);
    if let Some(response) = pre_fault(&fault).await {
        return response;
    }
    let params = request_params(&uri, &headers, &body);
    if param(&params, "oauth_consumer_key") != Some(API_KEY) {
        return oauth_problem("oauth_problem=consumer_key_unknown");
    }
    if let AuthCheck::Reject(r) = check_signature(&method, &headers, &uri, &params, "") {
        return r;
    }
    let Some(callback) = param(&params, "oauth_callback") else {
        return oauth_problem(
            "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_callback",
        );
    };
    let (token, secret) = {
        let mut inner = state.lock();
        inner.serial += 1;
        let token = format!("72157{:012}-{}", inner.serial, hex16(inner.serial));
        let secret = hex16(inner.serial ^ 0x7E57);
        inner.request_tokens.insert(
            token.clone(),
            RequestTokenRecord {
                secret: secret.clone(),
                callback: callback.to_string(),
                verifier: None,
            },
        );
        (token, secret)
    };
    finish(
        fault,
        text_response(
            StatusCode::OK,
            "text/plain;charset=UTF-8",
            format!(
                "oauth_callback_confirmed=true&oauth_token={token}&oauth_token_secret={secret}"
            ),
        ),
    )
    .await
}

/// Auto-approves: a redirect to the callback, or the verifier page for `oob`.
async fn authorize(State(state): State<Arc<Shared>>, uri: Uri) -> Response {
    state.arrive("oauth/authorize", &[]);
    let params = form_pairs(uri.query().unwrap_or(""));
    let token = param(&params, "oauth_token").unwrap_or("").to_string();
    let mut inner = state.lock();
    inner.serial += 1;
    let serial = inner.serial;
    let Some(record) = inner.request_tokens.get_mut(&token) else {
        return text_response(
            StatusCode::BAD_REQUEST,
            "text/html",
            "<html><body>Oops! Flickr can't find a valid callback URL.</body></html>".into(),
        );
    };
    let oob = record.callback == "oob";
    let verifier = if oob {
        let n = mix(serial) % 1_000_000_000;
        format!(
            "{:03}-{:03}-{:03}",
            n / 1_000_000,
            n / 1000 % 1000,
            n % 1000
        )
    } else {
        hex16(serial)
    };
    record.verifier = Some(verifier.clone());
    let callback = record.callback.clone();
    inner.last_verifier = Some(verifier.clone());
    drop(inner);
    if oob {
        return text_response(
            StatusCode::OK,
            "text/html; charset=utf-8",
            format!(
                "<html><body><p>Enter this code in the application:</p><span id=\"verifier\">{verifier}</span></body></html>"
            ),
        );
    }
    let separator = if callback.contains('?') { '&' } else { '?' };
    Response::builder()
        .status(StatusCode::FOUND)
        .header(
            header::LOCATION,
            format!(
                "{callback}{separator}oauth_token={}&oauth_verifier={}",
                enc(&token),
                enc(&verifier)
            ),
        )
        .body(Body::empty())
        .unwrap_or_default()
}

async fn access_token(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = state.arrive("oauth/access_token", &[Route::OAuth]);
    if let Some(response) = pre_fault(&fault).await {
        return response;
    }
    let params = request_params(&uri, &headers, &body);
    if param(&params, "oauth_consumer_key") != Some(API_KEY) {
        return oauth_problem("oauth_problem=consumer_key_unknown");
    }
    let token = param(&params, "oauth_token").unwrap_or("").to_string();
    let (secret, verifier) = match state.lock().request_tokens.get(&token) {
        Some(record) => (record.secret.clone(), record.verifier.clone()),
        None => return oauth_problem("oauth_problem=token_rejected"),
    };
    if let AuthCheck::Reject(r) = check_signature(&method, &headers, &uri, &params, &secret) {
        return r;
    }
    if verifier.is_none() || param(&params, "oauth_verifier") != verifier.as_deref() {
        return oauth_problem("oauth_problem=verifier_invalid");
    }
    let body = {
        let mut inner = state.lock();
        inner.request_tokens.remove(&token);
        inner.serial += 1;
        let access = format!("72157{:012}-{}", inner.serial, hex16(inner.serial));
        let access_secret = hex16(inner.serial ^ 0x5EC);
        inner
            .access_tokens
            .insert(access.clone(), access_secret.clone());
        let account = &inner.account;
        format!(
            "fullname={}&oauth_token={access}&oauth_token_secret={access_secret}&user_nsid={}&username={}",
            enc(&account.realname),
            enc(&account.nsid),
            enc(&account.username)
        )
    };
    finish(
        fault,
        text_response(StatusCode::OK, "text/plain;charset=UTF-8", body),
    )
    .await
}

// ---- REST -----------------------------------------------------------------

type Fail = (i64, String);

fn fail(code: i64, message: impl Into<String>) -> Fail {
    (code, message.into())
}

async fn rest(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = request_params(&uri, &headers, &body);
    let api_method = param(&params, "method").unwrap_or("").to_string();
    let fault = state.arrive(
        &api_method,
        &[Route::Rest, Route::Method(api_method.clone())],
    );
    let nojsoncallback = param(&params, "nojsoncallback") == Some("1");
    if let Some(response) = pre_fault(&fault).await {
        return response;
    }
    // Who is asking: the owner (a signed call with an access token) or anyone.
    let signed = param(&params, "oauth_signature").is_some();
    let key = param(&params, "oauth_consumer_key").or(param(&params, "api_key"));
    let answer = if key != Some(API_KEY) {
        Err(fail(100, "Invalid API Key (Key has invalid format)"))
    } else if param(&params, "format") != Some("json") {
        Err(fail(
            111,
            format!(
                "Format \"{}\" not found",
                param(&params, "format").unwrap_or("rest")
            ),
        ))
    } else if signed {
        let token = param(&params, "oauth_token").unwrap_or("");
        let token_secret = state.lock().access_tokens.get(token).cloned();
        match token_secret {
            None => Err(fail(98, "Invalid auth token")),
            Some(secret) => match check_signature(&method, &headers, &uri, &params, &secret) {
                AuthCheck::Reject(response) => return response,
                AuthCheck::Ok => dispatch(&state, &api_method, &params, true),
            },
        }
    } else {
        dispatch(&state, &api_method, &params, false)
    };
    let value = match answer {
        Ok(mut value) => {
            value["stat"] = json!("ok");
            value
        }
        Err((code, message)) => json!({"stat": "fail", "code": code, "message": message}),
    };
    finish(fault, json_response(&value, nojsoncallback)).await
}

fn dispatch(
    state: &Shared,
    method: &str,
    params: &[(String, String)],
    owner: bool,
) -> Result<Value, Fail> {
    let inner = state.lock();
    let account = &inner.account;
    let base = state.base.as_str();
    let arg = |name: &str| param(params, name).unwrap_or("");
    let is_me = |user: &str| user == "me" && owner || user == account.nsid;
    let visible = |p: &FakePhoto| owner || p.is_public;
    match method {
        "flickr.test.echo" => Ok(Value::Object(
            params
                .iter()
                .map(|(k, v)| (k.clone(), json!({"_content": v})))
                .collect(),
        )),
        "flickr.test.login" => {
            if !owner {
                return Err(fail(
                    99,
                    "Insufficient permissions. Method requires read privileges; none granted.",
                ));
            }
            Ok(
                json!({"user": {"id": account.nsid, "username": {"_content": account.username}, "path_alias": account.path_alias}}),
            )
        }
        "flickr.urls.lookupUser" => {
            let url = arg("url");
            let segments: Vec<&str> = url.split('/').collect();
            let found = segments.windows(2).any(|w| {
                (w[0] == "photos" || w[0] == "people")
                    && (w[1] == account.path_alias || w[1] == account.nsid)
            });
            if found {
                Ok(
                    json!({"user": {"id": account.nsid, "username": {"_content": account.username}}}),
                )
            } else {
                Err(fail(1, "User not found"))
            }
        }
        "flickr.people.findByUsername" => {
            if arg("username").eq_ignore_ascii_case(&account.username) {
                Ok(
                    json!({"user": {"id": account.nsid, "nsid": account.nsid, "username": {"_content": account.username}}}),
                )
            } else {
                Err(fail(1, "User not found"))
            }
        }
        "flickr.people.getInfo" => {
            if !is_me(arg("user_id")) {
                return Err(fail(1, "User not found"));
            }
            let count = account.photos.iter().filter(|p| visible(p)).count();
            let first = account
                .photos
                .iter()
                .map(|p| p.date_upload)
                .min()
                .unwrap_or(0);
            Ok(json!({"person": {
                "id": account.nsid, "nsid": account.nsid, "ispro": 1, "is_deleted": 0,
                "iconserver": "1", "iconfarm": 1, "path_alias": account.path_alias,
                "username": {"_content": account.username},
                "realname": {"_content": account.realname},
                "location": {"_content": ""}, "description": {"_content": ""},
                "photosurl": {"_content": format!("https://www.flickr.com/photos/{}/", account.path_alias)},
                "profileurl": {"_content": format!("https://www.flickr.com/people/{}/", account.path_alias)},
                "photos": {
                    "firstdatetaken": {"_content": "2004-11-19 12:51:19"},
                    "firstdate": {"_content": first.to_string()},
                    "count": {"_content": count}
                }
            }}))
        }
        "flickr.people.getPhotos" | "flickr.photos.getNotInSet" => {
            if method == "flickr.people.getPhotos" && !is_me(arg("user_id")) {
                return Err(fail(2, "Unknown user"));
            }
            let min = arg("min_upload_date").parse::<i64>().ok();
            let max = arg("max_upload_date").parse::<i64>().ok();
            let in_set = |id: &str| {
                account
                    .sets
                    .iter()
                    .any(|s| s.photo_ids.iter().any(|p| p == id))
            };
            let mut items: Vec<&FakePhoto> = account
                .photos
                .iter()
                .filter(|p| visible(p))
                .filter(|p| min.is_none_or(|m| p.date_upload >= m))
                .filter(|p| max.is_none_or(|m| p.date_upload <= m))
                .filter(|p| method == "flickr.people.getPhotos" || owner && !in_set(&p.id))
                .collect();
            items.sort_by(|a, b| b.date_upload.cmp(&a.date_upload).then(b.id.cmp(&a.id)));
            let (page, per_page, pages, slice) =
                paginate(&items, arg("page"), arg("per_page"), 100);
            let extras = extras_of(arg("extras"));
            let photos: Vec<Value> = slice
                .iter()
                .map(|p| photo_item(p, account, base, &extras))
                .collect();
            // Quirk: `total` is a number on the first page and a string after it.
            let total = if page == 1 {
                json!(items.len())
            } else {
                json!(items.len().to_string())
            };
            Ok(
                json!({"photos": {"page": page, "pages": pages, "perpage": per_page, "total": total, "photo": photos}}),
            )
        }
        "flickr.favorites.getList" => {
            Ok(json!({"photos": {"page": 1, "pages": 0, "perpage": 100, "total": 0, "photo": []}}))
        }
        "flickr.photosets.getList" => {
            if !is_me(arg("user_id")) && !arg("user_id").is_empty() {
                return Err(fail(1, "User not found"));
            }
            let sets: Vec<&FakeSet> = account.sets.iter().collect();
            let (page, per_page, pages, slice) = paginate(&sets, arg("page"), arg("per_page"), 500);
            let items: Vec<Value> = slice
                .iter()
                .map(|set| {
                    let members: Vec<&FakePhoto> = set
                        .photo_ids
                        .iter()
                        .filter_map(|id| account.photo(id))
                        .filter(|p| visible(p))
                        .collect();
                    let videos = members.iter().filter(|p| p.is_video()).count();
                    let photos = members.len() - videos;
                    let primary = members.first();
                    json!({
                        "id": set.id, "owner": account.nsid, "username": account.username,
                        "primary": primary.map(|p| p.id.clone()).unwrap_or_default(),
                        "secret": primary.map(|p| p.secret.clone()).unwrap_or_default(),
                        "server": "65535", "farm": 66,
                        "count_views": "12", "count_comments": "0",
                        "count_photos": photos, "count_videos": videos,
                        "title": {"_content": set.title},
                        "description": {"_content": set.description},
                        "can_comment": 0,
                        "date_create": set.date_create.to_string(),
                        "date_update": set.date_update.to_string(),
                        "photos": photos, "videos": videos,
                        "visibility_can_see_set": 1, "needs_interstitial": 0
                    })
                })
                .collect();
            Ok(
                json!({"photosets": {"page": page, "pages": pages, "perpage": per_page, "total": sets.len(), "photoset": items}}),
            )
        }
        "flickr.photosets.getPhotos" => {
            let Some(set) = account.sets.iter().find(|s| s.id == arg("photoset_id")) else {
                return Err(fail(1, "Photoset not found"));
            };
            let members: Vec<&FakePhoto> = set
                .photo_ids
                .iter()
                .filter_map(|id| account.photo(id))
                .filter(|p| visible(p))
                .collect();
            let (page, per_page, pages, slice) =
                paginate(&members, arg("page"), arg("per_page"), 500);
            let extras = extras_of(arg("extras"));
            let primary = members.first().map(|p| p.id.clone()).unwrap_or_default();
            let items: Vec<Value> = slice
                .iter()
                .map(|p| {
                    let mut item = photo_item(p, account, base, &extras);
                    if let Some(map) = item.as_object_mut() {
                        map.remove("owner");
                        map.insert(
                            "isprimary".into(),
                            json!(if p.id == primary { "1" } else { "0" }),
                        );
                    }
                    item
                })
                .collect();
            Ok(json!({"photoset": {
                "id": set.id, "primary": primary, "owner": account.nsid, "ownername": account.username,
                "photo": items, "page": page, "per_page": per_page, "perpage": per_page,
                "pages": pages, "title": set.title, "total": members.len()
            }}))
        }
        "flickr.photos.getSizes" => {
            let photo = find_visible(account, arg("photo_id"), owner)?;
            Ok(
                json!({"sizes": {"canblog": 1, "canprint": 1, "candownload": 1, "size": sizes_of(photo, account, base, owner)}}),
            )
        }
        "flickr.photos.getInfo" => {
            let photo = find_visible(account, arg("photo_id"), owner)?;
            Ok(json!({"photo": info_of(photo, account)}))
        }
        "flickr.video.getStreamInfo" => {
            let photo = find_visible(account, arg("photo_id"), owner)?;
            let Some(video) = &photo.video else {
                return Err(fail(1, "Video not found"));
            };
            let play = |label: &str, secret: &str| {
                format!(
                    "{base}/photos/{}/{}/play/{label}/{secret}/",
                    account.path_alias, photo.id
                )
            };
            let mut streams =
                vec![json!({"type": "1080p", "_content": play("1080p", &photo.secret)})];
            if video.original_in_streams && owner {
                streams.insert(
                    0,
                    json!({"type": "orig", "_content": play("orig", &photo.original_secret)}),
                );
            }
            Ok(json!({"streams": {"stream": streams}}))
        }
        "flickr.collections.getTree" => {
            let tree: Vec<Value> = account
                .collections
                .iter()
                .map(|c| c.to_json(account))
                .collect();
            Ok(json!({"collections": {"collection": tree}}))
        }
        "flickr.tags.getListUserRaw" => {
            if !owner {
                return Err(fail(
                    99,
                    "Insufficient permissions. Method requires read privileges; none granted.",
                ));
            }
            let mut by_clean: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for p in &account.photos {
                for raw in p.tags.iter().chain(&p.machine_tags) {
                    let spellings = by_clean.entry(normalize_tag(raw)).or_default();
                    if !spellings.contains(raw) {
                        spellings.push(raw.clone());
                    }
                }
            }
            let tags: Vec<Value> = by_clean
                .into_iter()
                .map(|(clean, raws)| json!({"clean": clean, "raw": raws.iter().map(|r| json!({"_content": r})).collect::<Vec<_>>()}))
                .collect();
            Ok(json!({"who": {"id": account.nsid, "tags": {"tag": tags}}}))
        }
        other => Err(fail(112, format!("Method \"{other}\" not found"))),
    }
}

fn find_visible<'a>(
    account: &'a FakeAccount,
    id: &str,
    owner: bool,
) -> Result<&'a FakePhoto, Fail> {
    account
        .photo(id)
        .filter(|p| owner || p.is_public)
        .ok_or_else(|| fail(1, format!("Photo \"{id}\" not found (invalid ID)")))
}

/// Flickr's paging: `per_page` clamped to 1..=500, `page` clamped to
/// 1..=10 000; a page past the end is empty. Returns (page, per_page, pages, items).
fn paginate<'a, T>(
    items: &'a [T],
    page: &str,
    per_page: &str,
    default: usize,
) -> (usize, usize, usize, &'a [T]) {
    let per_page = per_page.parse::<usize>().unwrap_or(default).clamp(1, 500);
    let page = page.parse::<usize>().unwrap_or(1).clamp(1, 10_000);
    let pages = items.len().div_ceil(per_page);
    let start = ((page - 1) * per_page).min(items.len());
    let end = (start + per_page).min(items.len());
    (page, per_page, pages, &items[start..end])
}

fn extras_of(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().to_string())
        .collect()
}

/// Flickr's normalized tag: lowercase, letters and digits only (machine tags keep `:=`).
fn normalize_tag(raw: &str) -> String {
    if raw.contains(':') && raw.contains('=') {
        return raw.to_lowercase();
    }
    raw.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn static_url(base: &str, photo: &FakePhoto, suffix: &str) -> String {
    if suffix == "o" {
        format!(
            "{base}/static/{}/{}_{}_o.{}",
            photo.server, photo.id, photo.original_secret, photo.original_format
        )
    } else {
        format!(
            "{base}/static/{}/{}_{}_{suffix}.jpg",
            photo.server, photo.id, photo.secret
        )
    }
}

/// One item of a photo list, with exactly the extras asked for.
fn photo_item(p: &FakePhoto, account: &FakeAccount, base: &str, extras: &[String]) -> Value {
    let has = |name: &str| extras.iter().any(|e| e == name);
    let mut item = json!({
        "id": p.id, "owner": account.nsid, "secret": p.secret, "server": p.server,
        "farm": p.farm, "title": p.title,
        "ispublic": p.is_public as u8, "isfriend": p.is_friend as u8, "isfamily": p.is_family as u8,
    });
    let Some(map) = item.as_object_mut() else {
        return item;
    };
    let mut put = |k: &str, v: Value| {
        map.insert(k.to_string(), v);
    };
    if has("license") {
        put("license", json!(p.license));
    }
    if has("description") {
        put("description", json!({"_content": p.description}));
    }
    if has("o_dims") {
        put("o_width", json!(p.width.to_string()));
        put("o_height", json!(p.height.to_string()));
    }
    if has("date_upload") {
        put("dateupload", json!(p.date_upload.to_string()));
    }
    if has("last_update") {
        put("lastupdate", json!(p.last_update.to_string()));
    }
    if has("date_taken") {
        put("datetaken", json!(p.date_taken));
        put("datetakengranularity", json!(p.granularity));
        put(
            "datetakenunknown",
            json!(if p.taken_unknown { "1" } else { "0" }),
        );
    }
    if has("owner_name") {
        put("ownername", json!(account.username));
    }
    if has("icon_server") {
        put("iconserver", json!("1"));
        put("iconfarm", json!(1));
    }
    if has("views") {
        put("views", json!(p.views.to_string()));
    }
    if has("tags") {
        let tags: Vec<String> = p.tags.iter().map(|t| normalize_tag(t)).collect();
        put("tags", json!(tags.join(" ")));
    }
    if has("machine_tags") {
        put("machine_tags", json!(p.machine_tags.join(" ")));
    }
    if has("original_format") {
        put("originalsecret", json!(p.original_secret));
        put("originalformat", json!(p.original_format));
    }
    if has("geo") {
        match &p.geo {
            Some(g) => {
                put("latitude", json!(format!("{:.6}", g.latitude)));
                put("longitude", json!(format!("{:.6}", g.longitude)));
                put("accuracy", json!(g.accuracy.to_string()));
                put("context", json!(0));
                put("place_id", json!(g.place_id));
                put("woeid", json!(g.woeid));
                put("geo_is_public", json!(1));
                put("geo_is_contact", json!(0));
                put("geo_is_friend", json!(0));
                put("geo_is_family", json!(0));
            }
            None => {
                put("latitude", json!(0));
                put("longitude", json!(0));
                put("accuracy", json!(0));
                put("context", json!(0));
            }
        }
    }
    if has("media") {
        put("media", json!(if p.is_video() { "video" } else { "photo" }));
        put("media_status", json!("ready"));
    }
    if has("url_o") {
        put("url_o", json!(static_url(base, p, "o")));
        put("height_o", json!(p.height));
        put("width_o", json!(p.width));
    }
    if has("path_alias") {
        put("pathalias", json!(account.path_alias));
    }
    item
}

fn sizes_of(p: &FakePhoto, account: &FakeAccount, base: &str, owner: bool) -> Vec<Value> {
    let scaled = |longest: u32| {
        let (w, h) = (p.width.max(1), p.height.max(1));
        if w >= h {
            (longest, (h as u64 * longest as u64 / w as u64) as u32)
        } else {
            ((w as u64 * longest as u64 / h as u64) as u32, longest)
        }
    };
    let page = |code: &str| {
        format!(
            "https://www.flickr.com/photos/{}/{}/sizes/{code}/",
            account.path_alias, p.id
        )
    };
    let mut sizes = Vec::new();
    for (i, (label, suffix, longest)) in [
        ("Square", "s", 75u32),
        ("Large Square", "q", 150),
        ("Thumbnail", "t", 100),
        ("Small", "m", 240),
        ("Medium 640", "z", 640),
        ("Large", "b", 1024),
    ]
    .into_iter()
    .enumerate()
    {
        let (w, h) = if suffix == "s" || suffix == "q" {
            (longest, longest)
        } else {
            scaled(longest)
        };
        // Quirk: alternate numbers and strings, as the recordings do.
        let (w, h) = if i % 2 == 0 {
            (json!(w), json!(h))
        } else {
            (json!(w.to_string()), json!(h.to_string()))
        };
        sizes.push(json!({"label": label, "width": w, "height": h, "source": static_url(base, p, suffix), "url": page(suffix), "media": "photo"}));
    }
    sizes.push(json!({"label": "Original", "width": p.width.to_string(), "height": p.height.to_string(), "source": static_url(base, p, "o"), "url": page("o"), "media": "photo"}));
    if let Some(video) = &p.video {
        let play = |label: &str, secret: &str| {
            format!(
                "{base}/photos/{}/{}/play/{label}/{secret}/",
                account.path_alias, p.id
            )
        };
        let photo_page = format!(
            "https://www.flickr.com/photos/{}/{}/",
            account.path_alias, p.id
        );
        sizes.push(json!({"label": "Video Player", "width": p.width, "height": p.height, "source": format!("https://www.flickr.com/apps/video/stewart.swf?v=2968162862&photo_id={}&photo_secret={}", p.id, p.secret), "url": photo_page, "media": "video"}));
        sizes.push(json!({"label": "Site MP4", "width": 640, "height": 360, "source": play("site", &p.secret), "url": photo_page, "media": "video"}));
        sizes.push(json!({"label": "1080p", "width": 1920, "height": 1080, "source": play("1080p", &p.secret), "url": photo_page, "media": "video"}));
        sizes.push(json!({"label": "appletv", "width": null, "height": "", "source": play("appletv", &p.secret), "url": photo_page, "media": "video"}));
        if video.original_in_sizes && owner {
            sizes.push(json!({"label": "Video Original", "width": p.width, "height": p.height, "source": play("orig", &p.original_secret), "url": photo_page, "media": "video"}));
        }
    }
    sizes
}

fn info_of(p: &FakePhoto, account: &FakeAccount) -> Value {
    let mut tags: Vec<Value> = Vec::new();
    for (i, raw) in p.tags.iter().chain(&p.machine_tags).enumerate() {
        let machine = i >= p.tags.len();
        tags.push(json!({
            "id": format!("1234567-{}-{i}", p.id), "author": account.nsid, "authorname": account.username,
            "raw": raw, "_content": normalize_tag(raw), "machine_tag": machine as u8
        }));
    }
    let mut info = json!({
        "id": p.id, "secret": p.secret, "server": p.server, "farm": p.farm,
        "dateuploaded": p.date_upload.to_string(), "isfavorite": 0, "license": p.license,
        "safety_level": "0", "rotation": p.rotation,
        "originalsecret": p.original_secret, "originalformat": p.original_format,
        "owner": {"nsid": account.nsid, "username": account.username, "realname": account.realname, "location": "", "iconserver": "1", "iconfarm": 1, "path_alias": account.path_alias},
        "title": {"_content": p.title},
        "description": {"_content": p.description},
        "visibility": {"ispublic": p.is_public as u8, "isfriend": p.is_friend as u8, "isfamily": p.is_family as u8},
        "dates": {"posted": p.date_upload.to_string(), "taken": p.date_taken, "takengranularity": p.granularity.to_string(), "takenunknown": if p.taken_unknown { 1 } else { 0 }, "lastupdate": p.last_update.to_string()},
        "views": p.views.to_string(),
        "editability": {"cancomment": 1, "canaddmeta": 1},
        "publiceditability": {"cancomment": 1, "canaddmeta": 0},
        "usage": {"candownload": 1, "canblog": 1, "canprint": 1, "canshare": 1},
        "comments": {"_content": "0"},
        "notes": {"note": []},
        "people": {"haspeople": 0},
        "tags": {"tag": tags},
        "urls": {"url": [{"type": "photopage", "_content": format!("https://www.flickr.com/photos/{}/{}/", account.path_alias, p.id)}]},
        "media": if p.is_video() { "video" } else { "photo" },
    });
    if let (Some(g), Some(map)) = (&p.geo, info.as_object_mut()) {
        map.insert("location".into(), json!({
            "latitude": format!("{:.6}", g.latitude), "longitude": format!("{:.6}", g.longitude),
            "accuracy": g.accuracy.to_string(), "context": "0",
            "locality": {"_content": g.locality, "woeid": g.woeid},
            "country": {"_content": g.country, "woeid": "23424977"},
            "place_id": g.place_id, "woeid": g.woeid
        }));
        map.insert(
            "geoperms".into(),
            json!({"ispublic": 1, "iscontact": 0, "isfriend": 0, "isfamily": 0}),
        );
    }
    if let (Some(v), Some(map)) = (&p.video, info.as_object_mut()) {
        map.insert("video".into(), json!({"ready": 1, "failed": 0, "pending": 0, "duration": v.duration.to_string(), "width": p.width.to_string(), "height": p.height.to_string()}));
    }
    info
}

// ---- media ----------------------------------------------------------------

async fn static_file(
    State(state): State<Arc<Shared>>,
    Path((server, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let fault = state.arrive("media", &[Route::Media]);
    if let Some(response) = pre_fault(&fault).await {
        return response;
    }
    let (stem, ext) = file.rsplit_once('.').unwrap_or((&file, ""));
    let mut parts = stem.splitn(3, '_');
    let (id, secret, suffix) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let (bytes, range_support) = {
        let inner = state.lock();
        let found = inner
            .account
            .photo(id)
            .filter(|p| p.server == server)
            .and_then(|p| {
                if suffix == "o" && secret == p.original_secret && ext == p.original_format {
                    Some(p.original.clone())
                } else if suffix != "o" && secret == p.secret {
                    Some(Bytes::from(crate::fake_jpeg(
                        mix(id.len() as u64 + suffix.len() as u64),
                        600,
                    )))
                } else {
                    None
                }
            });
        (found, inner.range_support)
    };
    let Some(bytes) = bytes else {
        return text_response(
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
            String::new(),
        );
    };
    let content_type = match ext {
        "png" => "image/png",
        "gif" => "image/gif",
        _ => "image/jpeg",
    };
    finish(fault, ranged(bytes, content_type, &headers, range_support)).await
}

/// `/play/{label}/{secret}/` → 302 to a short-lived CDN URL, as Flickr does.
async fn play(
    State(state): State<Arc<Shared>>,
    Path((_user, id, label, secret)): Path<(String, String, String, String)>,
) -> Response {
    state.arrive("play", &[]);
    let ok = {
        let inner = state.lock();
        inner.account.photo(&id).is_some_and(|p| {
            p.video.as_ref().is_some_and(|v| {
                if label == "orig" {
                    secret == p.original_secret && (v.original_in_sizes || v.original_in_streams)
                } else {
                    secret == p.secret
                }
            })
        })
    };
    if !ok {
        return text_response(
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
            String::new(),
        );
    }
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{{\"i\":{id},\"e\":1738943734,\"v\":1}}"));
    Response::builder()
        .status(StatusCode::FOUND)
        .header(
            header::LOCATION,
            format!(
                "{}/video/{id}/{secret}/{label}.mp4?s={signature}",
                state.base
            ),
        )
        .body(Body::empty())
        .unwrap_or_default()
}

async fn video_file(
    State(state): State<Arc<Shared>>,
    Path((id, secret, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let fault = state.arrive("media", &[Route::Media]);
    if let Some(response) = pre_fault(&fault).await {
        return response;
    }
    let label = file.strip_suffix(".mp4").unwrap_or(&file);
    let (found, range_support) = {
        let inner = state.lock();
        let found = inner.account.photo(&id).and_then(|p| {
            let video = p.video.as_ref()?;
            if label == "orig" && secret == p.original_secret {
                Some((video.original.clone(), video.content_type.clone()))
            } else if label != "orig" && secret == p.secret {
                Some((video.rendition.clone(), "video/mp4".to_string()))
            } else {
                None
            }
        });
        (found, inner.range_support)
    };
    let Some((bytes, content_type)) = found else {
        return text_response(
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
            String::new(),
        );
    };
    finish(fault, ranged(bytes, &content_type, &headers, range_support)).await
}

/// 200 with everything, or 206 for `Range: bytes=N-` / `bytes=N-M`.
fn ranged(bytes: Bytes, content_type: &str, headers: &HeaderMap, range_support: bool) -> Response {
    let etag = format!(
        "\"{:016x}\"",
        mix(bytes.len() as u64 ^ bytes.first().copied().unwrap_or(0) as u64)
    );
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(start, end)| {
            let start = start.parse::<usize>().ok()?;
            let end = if end.is_empty() {
                bytes.len().checked_sub(1)?
            } else {
                end.parse::<usize>().ok()?
            };
            Some((start, end.min(bytes.len().saturating_sub(1))))
        });
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ETAG, etag);
    match range {
        Some((start, end)) if range_support => {
            if start >= bytes.len() || start > end {
                return builder
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{}", bytes.len()))
                    .body(Body::empty())
                    .unwrap_or_default();
            }
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::ACCEPT_RANGES, "bytes")
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{end}/{}", bytes.len()),
                )
                .body(Body::from(bytes.slice(start..=end)))
                .unwrap_or_default()
        }
        _ => {
            let builder = if range_support {
                builder.header(header::ACCEPT_RANGES, "bytes")
            } else {
                builder
            };
            builder
                .status(StatusCode::OK)
                .body(Body::from(bytes))
                .unwrap_or_default()
        }
    }
}
