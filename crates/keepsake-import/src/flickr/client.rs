//! The Flickr client: signed REST calls, the OAuth dance, paginated listings
//! and streamed downloads, with the pacing and retries Flickr needs.
//!
//! Every REST call is signed (with the access token once there is one), asks
//! for `format=json&nojsoncallback=1`, takes a token from the hourly budget,
//! and is retried with backoff on 429, 5xx, dropped connections and Flickr's
//! transient codes. Downloads stream to the caller's writer and resume with
//! `Range` after a drop; nothing is held whole in memory.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{StatusCode, Url, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::error::FlickrError;
use super::limiter::{Clock, RateLimiter, SystemClock};
use super::model::{
    Page, Person, Photo, PhotoInfo, Photoset, PhotosetPage, RawPhotoList, RawPhotosetList,
    RawPhotosetPhotos, RawStreams, RawTag, RawWho, Size, Sizes, Stream, User,
};
use super::oauth::{
    self, AccessToken, RequestToken, Signer, parse_access_token, parse_form, parse_request_token,
};

pub const DEFAULT_REST_URL: &str = "https://api.flickr.com/services/rest/";
pub const DEFAULT_OAUTH_URL: &str = "https://www.flickr.com/services/oauth";

/// The extras the importer's listing asks for (PROTOCOL.md §2.3).
pub const LISTING_EXTRAS: &str = "description,license,date_upload,date_taken,last_update,geo,tags,machine_tags,o_dims,views,media,original_format,path_alias,url_o";

/// Flickr's largest page.
pub const MAX_PER_PAGE: u32 = 500;

/// Flickr clamps `page` here: asking for more returns this page again.
const MAX_PAGE: u64 = 10_000;

/// What to do when Flickr answers 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitPolicy {
    /// Back off (honouring `Retry-After`) and retry, within `max_attempts`.
    Wait,
    /// Return [`FlickrError::RateLimited`] at once (schedulers: exit code 42).
    Fail,
}

/// How to reach Flickr and how hard to push. Build with [`FlickrConfig::new`]
/// and override fields; the binary fills the URLs and keys from
/// `KEEPSAKE_FLICKR_*` variables and flags.
#[derive(Clone)]
pub struct FlickrConfig {
    /// The REST endpoint, used (and signed) exactly as given.
    pub rest_url: String,
    /// The OAuth base: `/request_token`, `/authorize`, `/access_token` are appended.
    pub oauth_url: String,
    pub api_key: String,
    pub api_secret: String,
    /// The hourly budget of REST and OAuth calls (Flickr's is 3,600 per key).
    pub calls_per_hour: u32,
    /// Calls that may go back to back before pacing starts.
    pub burst: u32,
    /// Tries per call or download, the first included.
    pub max_attempts: u32,
    /// Backoff after a 5xx or a drop: `base × 2^(n-1)`, capped at `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Backoff after a 429 without `Retry-After`: `base × consecutive 429s`,
    /// capped at `rate_limit_backoff_max` (the seed tool's 60 s / 600 s).
    pub rate_limit_backoff: Duration,
    pub rate_limit_backoff_max: Duration,
    pub on_rate_limit: RateLimitPolicy,
    /// Whole-request limit for REST and OAuth calls.
    pub request_timeout: Duration,
    /// Longest silence while downloading before the connection counts as dropped.
    pub download_read_timeout: Duration,
    pub user_agent: String,
}

impl std::fmt::Debug for FlickrConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlickrConfig")
            .field("rest_url", &self.rest_url)
            .field("oauth_url", &self.oauth_url)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("calls_per_hour", &self.calls_per_hour)
            .field("on_rate_limit", &self.on_rate_limit)
            .finish_non_exhaustive()
    }
}

impl FlickrConfig {
    /// Real Flickr's endpoints and the defaults from PROTOCOL.md §2.7 and §7.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> FlickrConfig {
        FlickrConfig {
            rest_url: DEFAULT_REST_URL.into(),
            oauth_url: DEFAULT_OAUTH_URL.into(),
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            calls_per_hour: 3600,
            burst: 10,
            max_attempts: 5,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            rate_limit_backoff: Duration::from_secs(60),
            rate_limit_backoff_max: Duration::from_secs(600),
            on_rate_limit: RateLimitPolicy::Wait,
            request_timeout: Duration::from_secs(60),
            download_read_timeout: Duration::from_secs(60),
            user_agent: concat!("keepsake/", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

/// Where an item's best file is, and whether it is the real original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSource {
    pub url: String,
    /// The size label it came from (`Original`, `Video Original`, `1080p`, `orig`, …).
    pub label: String,
    /// False for a fallback (a transcoded rendition or the largest photo size):
    /// the importer should flag such an item.
    pub original: bool,
}

/// What a finished download was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub bytes: u64,
    /// From the final response: take a video's extension from here, never from `originalformat`.
    pub content_type: Option<String>,
    /// After redirects (a `/play/` URL lands on a signed CDN URL).
    pub final_url: String,
    /// How many times the transfer was resumed after a drop.
    pub resumes: u32,
}

/// Which photos `people.getPhotos` lists.
#[derive(Debug, Clone)]
pub struct PhotosQuery {
    /// An NSID, or `me` for the logged-in user.
    pub user_id: String,
    pub extras: String,
    pub per_page: u32,
    /// Pin to the run's start so uploads made meanwhile do not shift pages (unix seconds).
    pub max_upload_date: Option<i64>,
    pub min_upload_date: Option<i64>,
}

impl PhotosQuery {
    /// Everything of `user_id`, with [`LISTING_EXTRAS`], 500 a page.
    pub fn all_of(user_id: impl Into<String>) -> PhotosQuery {
        PhotosQuery {
            user_id: user_id.into(),
            extras: LISTING_EXTRAS.into(),
            per_page: MAX_PER_PAGE,
            max_upload_date: None,
            min_upload_date: None,
        }
    }
}

/// A Flickr client. Cheap to clone; clones share the connection pool and the
/// hourly budget.
#[derive(Clone)]
pub struct FlickrClient {
    inner: Arc<Inner>,
    token: Option<(String, String)>,
}

struct Inner {
    http: reqwest::Client,
    config: FlickrConfig,
    rest_url: Url,
    oauth_url: String,
    limiter: RateLimiter,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for FlickrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlickrClient")
            .field("config", &self.inner.config)
            .field("logged_in", &self.token.is_some())
            .finish()
    }
}

/// Why one attempt did not succeed, and whether another may.
enum Failure {
    Fatal(FlickrError),
    RateLimited(Option<Duration>),
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
}

impl From<FlickrError> for Failure {
    fn from(error: FlickrError) -> Failure {
        Failure::Fatal(error)
    }
}

/// The attempt counter and backoff of one call or download.
struct Retry<'a> {
    config: &'a FlickrConfig,
    clock: &'a dyn Clock,
    attempts: u32,
    consecutive_429: u32,
}

impl Retry<'_> {
    /// Sleeps before the next attempt, or returns the error to give up with.
    async fn wait_or_give_up(&mut self, what: &str, failure: Failure) -> Result<(), FlickrError> {
        self.attempts += 1;
        let last_attempt = self.attempts >= self.config.max_attempts.max(1);
        let wait = match failure {
            Failure::Fatal(error) => return Err(error),
            Failure::RateLimited(retry_after) => {
                if self.config.on_rate_limit == RateLimitPolicy::Fail || last_attempt {
                    return Err(FlickrError::RateLimited { retry_after });
                }
                self.consecutive_429 += 1;
                let wait = retry_after.unwrap_or_else(|| {
                    (self.config.rate_limit_backoff * self.consecutive_429)
                        .min(self.config.rate_limit_backoff_max)
                });
                tracing::warn!(
                    what,
                    wait_s = wait.as_secs_f64(),
                    "Flickr rate limit (429); waiting"
                );
                wait
            }
            Failure::Transient {
                reason,
                retry_after,
            } => {
                self.consecutive_429 = 0;
                if last_attempt {
                    return Err(FlickrError::Unavailable {
                        attempts: self.attempts,
                        last: reason,
                    });
                }
                let exponent = (self.attempts - 1).min(16);
                let wait = retry_after
                    .unwrap_or_else(|| self.config.backoff_base * 2u32.pow(exponent))
                    .min(self.config.backoff_max.max(retry_after.unwrap_or_default()));
                tracing::warn!(what, %reason, wait_s = wait.as_secs_f64(), attempt = self.attempts, "Flickr call failed; retrying");
                wait
            }
        };
        // A server asking for more than an hour is capped at one.
        self.clock.sleep(wait.min(Duration::from_secs(3600))).await;
        Ok(())
    }

    /// Progress was made: the next failure starts a fresh count.
    fn progressed(&mut self) {
        self.attempts = 0;
        self.consecutive_429 = 0;
    }
}

impl FlickrClient {
    /// A client on the real clock, not logged in yet.
    pub fn new(config: FlickrConfig) -> Result<FlickrClient, FlickrError> {
        FlickrClient::with_clock(config, Arc::new(SystemClock::default()))
    }

    /// A client whose pacing, backoff and OAuth timestamps read `clock`.
    pub fn with_clock(
        config: FlickrConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<FlickrClient, FlickrError> {
        let rest_url = Url::parse(&config.rest_url).map_err(|e| FlickrError::BadUrl {
            url: config.rest_url.clone(),
            detail: e.to_string(),
        })?;
        let oauth_url = config.oauth_url.trim_end_matches('/').to_string();
        Url::parse(&oauth_url).map_err(|e| FlickrError::BadUrl {
            url: config.oauth_url.clone(),
            detail: e.to_string(),
        })?;
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(config.download_read_timeout)
            .build()
            .map_err(|e| FlickrError::BadUrl {
                url: config.rest_url.clone(),
                detail: format!("cannot build the HTTP client: {e}"),
            })?;
        let limiter = RateLimiter::new(config.calls_per_hour, config.burst, clock.clone());
        Ok(FlickrClient {
            inner: Arc::new(Inner {
                http,
                config,
                rest_url,
                oauth_url,
                limiter,
                clock,
            }),
            token: None,
        })
    }

    /// The same client signing with a stored access token.
    pub fn with_token(&self, token: impl Into<String>, secret: impl Into<String>) -> FlickrClient {
        FlickrClient {
            inner: self.inner.clone(),
            token: Some((token.into(), secret.into())),
        }
    }

    pub fn config(&self) -> &FlickrConfig {
        &self.inner.config
    }

    /// The hourly budget this client (and its clones) draws from.
    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    fn signer(&self, token: Option<(String, String)>) -> Signer {
        Signer {
            consumer_key: self.inner.config.api_key.clone(),
            consumer_secret: self.inner.config.api_secret.clone(),
            token,
        }
    }

    fn retry(&self) -> Retry<'_> {
        Retry {
            config: &self.inner.config,
            clock: &*self.inner.clock,
            attempts: 0,
            consecutive_429: 0,
        }
    }

    // ---- OAuth ----------------------------------------------------------

    /// Step 1: a request token. `callback` is a URL (the loopback callback)
    /// or [`oauth::OOB_CALLBACK`].
    pub async fn request_token(&self, callback: &str) -> Result<RequestToken, FlickrError> {
        let url = self.oauth_endpoint("request_token")?;
        let extra = vec![("oauth_callback".to_string(), callback.to_string())];
        let body = self.oauth_call(&url, None, &extra).await?;
        parse_request_token(&body)
    }

    /// Step 2: where to send the user's browser (`perms=read`).
    pub fn authorize_url(&self, request_token: &RequestToken) -> String {
        format!(
            "{}/authorize?oauth_token={}&perms=read",
            self.inner.oauth_url,
            oauth::percent_encode(&request_token.token)
        )
    }

    /// Step 3: trades the request token and the verifier for the access token.
    pub async fn access_token(
        &self,
        request_token: &RequestToken,
        verifier: &str,
    ) -> Result<AccessToken, FlickrError> {
        let url = self.oauth_endpoint("access_token")?;
        let extra = vec![("oauth_verifier".to_string(), verifier.trim().to_string())];
        let token = Some((request_token.token.clone(), request_token.secret.clone()));
        let body = self.oauth_call(&url, token, &extra).await?;
        parse_access_token(&body)
    }

    fn oauth_endpoint(&self, name: &str) -> Result<Url, FlickrError> {
        let text = format!("{}/{name}", self.inner.oauth_url);
        Url::parse(&text).map_err(|e| FlickrError::BadUrl {
            url: text,
            detail: e.to_string(),
        })
    }

    async fn oauth_call(
        &self,
        url: &Url,
        token: Option<(String, String)>,
        extra: &[(String, String)],
    ) -> Result<String, FlickrError> {
        let signer = self.signer(token);
        let mut retry = self.retry();
        loop {
            self.inner.limiter.acquire().await;
            let signed = signer.sign(
                "GET",
                url,
                &[],
                extra,
                &oauth::random_nonce(),
                self.inner.clock.unix_seconds(),
            );
            let request = self
                .inner
                .http
                .get(url.clone())
                .header(header::AUTHORIZATION, signed.authorization_header())
                .timeout(self.inner.config.request_timeout);
            let failure = match self.send_for_text(request).await {
                Ok((status, _, body)) if status.is_success() => return Ok(body),
                Ok((status, headers, body)) => {
                    classify_status(status, &headers, &body, url.as_str())
                }
                Err(failure) => failure,
            };
            retry.wait_or_give_up(url.path(), failure).await?;
        }
    }

    /// Sends and reads the whole (small) body; transport trouble is transient.
    async fn send_for_text(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, header::HeaderMap, String), Failure> {
        let response = request.send().await.map_err(transport_failure)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(transport_failure)?;
        Ok((status, headers, body))
    }

    // ---- REST -----------------------------------------------------------

    /// One signed REST call; returns the whole `stat: ok` body.
    pub async fn call(&self, method: &str, params: &[(&str, &str)]) -> Result<Value, FlickrError> {
        let mut all: Vec<(String, String)> = vec![
            ("method".into(), method.into()),
            ("api_key".into(), self.inner.config.api_key.clone()),
        ];
        all.extend(params.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        all.push(("format".into(), "json".into()));
        all.push(("nojsoncallback".into(), "1".into()));
        let base = &self.inner.rest_url;
        let mut url = base.clone();
        let query = match base.query() {
            Some(existing) if !existing.is_empty() => {
                format!("{existing}&{}", oauth::encode_form(&all))
            }
            _ => oauth::encode_form(&all),
        };
        url.set_query(Some(&query));
        let signer = self.signer(self.token.clone());
        let mut retry = self.retry();
        loop {
            self.inner.limiter.acquire().await;
            let signed = signer.sign(
                "GET",
                base,
                &all,
                &[],
                &oauth::random_nonce(),
                self.inner.clock.unix_seconds(),
            );
            tracing::debug!(method, "Flickr call");
            let request = self
                .inner
                .http
                .get(url.clone())
                .header(header::AUTHORIZATION, signed.authorization_header())
                .timeout(self.inner.config.request_timeout);
            let failure = match self.send_for_text(request).await {
                Ok((status, _, body)) if status == StatusCode::OK => {
                    match parse_envelope(method, &body) {
                        Ok(value) => return Ok(value),
                        Err(failure) => failure,
                    }
                }
                Ok((status, headers, body)) => classify_status(status, &headers, &body, method),
                Err(failure) => failure,
            };
            retry.wait_or_give_up(method, failure).await?;
        }
    }

    /// A call whose answer is `{"<root>": T, "stat": "ok"}`.
    async fn call_root<T: DeserializeOwned>(
        &self,
        method: &str,
        root: &str,
        params: &[(&str, &str)],
    ) -> Result<T, FlickrError> {
        let mut body = self.call(method, params).await?;
        let value = body
            .get_mut(root)
            .map(Value::take)
            .ok_or_else(|| FlickrError::Decode {
                what: method.into(),
                detail: format!("no {root:?} in the answer"),
            })?;
        serde_json::from_value(value).map_err(|e| FlickrError::Decode {
            what: method.into(),
            detail: e.to_string(),
        })
    }

    /// `flickr.test.login`: who the access token belongs to.
    pub async fn test_login(&self) -> Result<User, FlickrError> {
        self.call_root("flickr.test.login", "user", &[]).await
    }

    /// `flickr.urls.lookupUser`: a photos or profile URL → the user.
    pub async fn lookup_user(&self, url: &str) -> Result<User, FlickrError> {
        self.call_root("flickr.urls.lookupUser", "user", &[("url", url)])
            .await
    }

    /// `flickr.people.findByUsername`.
    pub async fn find_by_username(&self, username: &str) -> Result<User, FlickrError> {
        self.call_root(
            "flickr.people.findByUsername",
            "user",
            &[("username", username)],
        )
        .await
    }

    /// What `keepsake import flickr USER|URL` was given, as an NSID: a URL goes
    /// through `urls.lookupUser`, an NSID (`…@N…`) is taken as is, `me` is the
    /// logged-in user, anything else is a username.
    pub async fn resolve_user(&self, user_or_url: &str) -> Result<String, FlickrError> {
        let text = user_or_url.trim();
        if text.starts_with("http://")
            || text.starts_with("https://")
            || text.starts_with("www.")
            || text.starts_with("flickr.com/")
        {
            let url = if text.starts_with("http") {
                text.to_string()
            } else {
                format!("https://{text}")
            };
            return Ok(self.lookup_user(&url).await?.id);
        }
        if text == "me" {
            return Ok(self.test_login().await?.id);
        }
        if text.contains("@N") && !text.contains(' ') {
            return Ok(text.to_string());
        }
        Ok(self.find_by_username(text).await?.id)
    }

    /// `flickr.people.getInfo`: profile, and `photos.count` for a completeness check.
    pub async fn person(&self, user_id: &str) -> Result<Person, FlickrError> {
        self.call_root("flickr.people.getInfo", "person", &[("user_id", user_id)])
            .await
    }

    /// One page of `flickr.people.getPhotos`: every item of the stream,
    /// photos in no album and videos included.
    pub async fn photos_page(
        &self,
        query: &PhotosQuery,
        page: u64,
    ) -> Result<Page<Photo>, FlickrError> {
        let per_page = query.per_page.clamp(1, MAX_PER_PAGE).to_string();
        let page = page.clamp(1, MAX_PAGE).to_string();
        let max = query.max_upload_date.map(|d| d.to_string());
        let min = query.min_upload_date.map(|d| d.to_string());
        let mut params = vec![
            ("user_id", query.user_id.as_str()),
            ("extras", query.extras.as_str()),
            ("per_page", per_page.as_str()),
            ("page", page.as_str()),
        ];
        if let Some(max) = &max {
            params.push(("max_upload_date", max));
        }
        if let Some(min) = &min {
            params.push(("min_upload_date", min));
        }
        let raw: RawPhotoList = self
            .call_root("flickr.people.getPhotos", "photos", &params)
            .await?;
        Ok(raw.paging.into_page(raw.photo))
    }

    /// Every item of the stream, page after page, each id once (pages can
    /// shift under uploads; pin `max_upload_date` to avoid it).
    pub async fn all_photos(&self, query: &PhotosQuery) -> Result<Vec<Photo>, FlickrError> {
        collect_pages(|n| self.photos_page(query, n), |p: &Photo| p.id.clone()).await
    }

    /// One page of `flickr.favorites.getList` (other people's photos the user faved).
    pub async fn favorites_page(
        &self,
        user_id: &str,
        page: u64,
        per_page: u32,
    ) -> Result<Page<Photo>, FlickrError> {
        let per_page = per_page.clamp(1, MAX_PER_PAGE).to_string();
        let page = page.clamp(1, MAX_PAGE).to_string();
        let raw: RawPhotoList = self
            .call_root(
                "flickr.favorites.getList",
                "photos",
                &[
                    ("user_id", user_id),
                    ("extras", LISTING_EXTRAS),
                    ("per_page", &per_page),
                    ("page", &page),
                ],
            )
            .await?;
        Ok(raw.paging.into_page(raw.photo))
    }

    /// One page of `flickr.photosets.getList` (always paged explicitly:
    /// without `page` Flickr stops at 500 sets).
    pub async fn photosets_page(
        &self,
        user_id: &str,
        page: u64,
        per_page: u32,
    ) -> Result<Page<Photoset>, FlickrError> {
        let per_page = per_page.clamp(1, MAX_PER_PAGE).to_string();
        let page = page.clamp(1, MAX_PAGE).to_string();
        let raw: RawPhotosetList = self
            .call_root(
                "flickr.photosets.getList",
                "photosets",
                &[
                    ("user_id", user_id),
                    ("page", &page),
                    ("per_page", &per_page),
                ],
            )
            .await?;
        Ok(raw.paging.into_page(raw.photoset))
    }

    /// Every album of `user_id`, in the user's order.
    pub async fn all_photosets(&self, user_id: &str) -> Result<Vec<Photoset>, FlickrError> {
        collect_pages(
            |n| self.photosets_page(user_id, n, MAX_PER_PAGE),
            |s: &Photoset| s.id.clone(),
        )
        .await
    }

    /// One page of `flickr.photosets.getPhotos` (album order, `media` extra).
    pub async fn photoset_photos_page(
        &self,
        photoset_id: &str,
        user_id: &str,
        page: u64,
        per_page: u32,
    ) -> Result<PhotosetPage, FlickrError> {
        let per_page = per_page.clamp(1, MAX_PER_PAGE).to_string();
        let page = page.clamp(1, MAX_PAGE).to_string();
        let raw: RawPhotosetPhotos = self
            .call_root(
                "flickr.photosets.getPhotos",
                "photoset",
                &[
                    ("photoset_id", photoset_id),
                    ("user_id", user_id),
                    ("extras", "media"),
                    ("page", &page),
                    ("per_page", &per_page),
                ],
            )
            .await?;
        Ok(PhotosetPage {
            id: raw.id,
            title: raw.title,
            primary: raw.primary,
            page: raw.paging.into_page(raw.photo),
        })
    }

    /// The ids of every item in an album, in album order.
    pub async fn all_photoset_photo_ids(
        &self,
        photoset_id: &str,
        user_id: &str,
    ) -> Result<Vec<String>, FlickrError> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut page_number = 1;
        loop {
            let set = self
                .photoset_photos_page(photoset_id, user_id, page_number, MAX_PER_PAGE)
                .await?;
            let more = set.page.has_more() && page_number < MAX_PAGE;
            out.extend(
                set.page
                    .items
                    .into_iter()
                    .map(|p| p.id)
                    .filter(|id| seen.insert(id.clone())),
            );
            if !more {
                return Ok(out);
            }
            page_number += 1;
        }
    }

    /// `flickr.collections.getTree`: the user's folders of albums.
    pub async fn collection_tree(
        &self,
        user_id: &str,
    ) -> Result<Vec<super::model::Collection>, FlickrError> {
        let raw: super::model::RawCollections = self
            .call_root(
                "flickr.collections.getTree",
                "collections",
                &[("user_id", user_id)],
            )
            .await?;
        Ok(raw.collection)
    }

    /// `flickr.photos.getSizes`.
    pub async fn sizes(&self, photo_id: &str) -> Result<Sizes, FlickrError> {
        self.call_root("flickr.photos.getSizes", "sizes", &[("photo_id", photo_id)])
            .await
    }

    /// `flickr.photos.getInfo`: raw tags, rotation, place names, video duration.
    pub async fn photo_info(&self, photo_id: &str) -> Result<PhotoInfo, FlickrError> {
        self.call_root("flickr.photos.getInfo", "photo", &[("photo_id", photo_id)])
            .await
    }

    /// `flickr.video.getStreamInfo` (undocumented; the second video fallback).
    pub async fn video_streams(
        &self,
        photo_id: &str,
        secret: &str,
    ) -> Result<Vec<Stream>, FlickrError> {
        let raw: RawStreams = self
            .call_root(
                "flickr.video.getStreamInfo",
                "streams",
                &[("photo_id", photo_id), ("secret", secret)],
            )
            .await?;
        Ok(raw.stream)
    }

    /// `flickr.tags.getListUserRaw`: one call maps every normalized tag of
    /// the logged-in user to the spellings they typed.
    pub async fn raw_tags(&self) -> Result<Vec<RawTag>, FlickrError> {
        let who: RawWho = self
            .call_root("flickr.tags.getListUserRaw", "who", &[])
            .await?;
        Ok(who.tags.tag.into_iter().map(|t| t.into_raw_tag()).collect())
    }

    /// Where to download an item's original from.
    /// Photos: `url_o`, else getSizes' `Original`, else the largest size
    /// (flagged). Videos (PROTOCOL.md §2.6): getSizes' `Video Original`, else
    /// `getStreamInfo`'s `orig`, else the best MP4 rendition (flagged); the
    /// poster (`url_o`, `Original`) and `Video Player` are never taken.
    pub async fn original_source(&self, photo: &Photo) -> Result<MediaSource, FlickrError> {
        if !photo.is_video() {
            if let Some(url) = &photo.url_o {
                return Ok(MediaSource {
                    url: url.clone(),
                    label: "Original".into(),
                    original: true,
                });
            }
            let sizes = self.sizes(&photo.id).await?;
            return choose_photo_source(&sizes.sizes).ok_or_else(|| FlickrError::NotFound {
                message: format!("photo {} has no downloadable size", photo.id),
            });
        }
        let sizes = self.sizes(&photo.id).await?;
        if let Some(source) = choose_video_source(&sizes.sizes, &[])
            && source.original
        {
            return Ok(source);
        }
        let streams = match self.video_streams(&photo.id, &photo.secret).await {
            Ok(streams) => streams,
            Err(error @ (FlickrError::RateLimited { .. } | FlickrError::TokenRejected { .. })) => {
                return Err(error);
            }
            Err(error) => {
                tracing::debug!(photo = %photo.id, %error, "getStreamInfo gave nothing");
                Vec::new()
            }
        };
        choose_video_source(&sizes.sizes, &streams).ok_or_else(|| FlickrError::NotFound {
            message: format!(
                "video {} has no downloadable file through the API (only the account export has it)",
                photo.id
            ),
        })
    }

    // ---- downloads ------------------------------------------------------

    /// Streams `url` (redirects followed) into `writer`. After a dropped
    /// connection it asks for the rest with `Range`; a server that ignores
    /// `Range` sends everything again and the bytes already written are
    /// skipped. 429/5xx are retried as for REST calls. Does not use the REST
    /// budget (the CDN is separate). The writer is flushed, not synced.
    pub async fn download<W>(&self, url: &str, writer: &mut W) -> Result<Download, FlickrError>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut written: u64 = 0;
        let mut total: Option<u64> = None;
        let mut etag: Option<String> = None;
        let mut content_type: Option<String> = None;
        let mut final_url = url.to_string();
        let mut resumes = 0;
        let mut retry = self.retry();
        loop {
            let progress_before = written;
            let failure = match self
                .download_attempt(
                    url,
                    writer,
                    &mut written,
                    &mut total,
                    &mut etag,
                    &mut content_type,
                    &mut final_url,
                )
                .await
            {
                Ok(()) => {
                    writer.flush().await?;
                    return Ok(Download {
                        bytes: written,
                        content_type,
                        final_url,
                        resumes,
                    });
                }
                Err(failure) => failure,
            };
            if written > progress_before {
                retry.progressed();
            }
            retry.wait_or_give_up(url, failure).await?;
            if written > 0 {
                resumes += 1;
            }
        }
    }

    /// Creates (or truncates) `path` and downloads into it, then fsyncs it.
    pub async fn download_to_file(
        &self,
        url: &str,
        path: &std::path::Path,
    ) -> Result<Download, FlickrError> {
        let mut file = tokio::fs::File::create(path).await?;
        let download = self.download(url, &mut file).await?;
        file.sync_all().await?;
        Ok(download)
    }

    #[allow(clippy::too_many_arguments)]
    async fn download_attempt<W>(
        &self,
        url: &str,
        writer: &mut W,
        written: &mut u64,
        total: &mut Option<u64>,
        etag: &mut Option<String>,
        content_type: &mut Option<String>,
        final_url: &mut String,
    ) -> Result<(), Failure>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut request = self.inner.http.get(url);
        if *written > 0 {
            request = request.header(header::RANGE, format!("bytes={}-", *written));
            if let Some(tag) = etag.as_deref() {
                request = request.header(header::IF_RANGE, tag);
            }
        }
        let mut response = request.send().await.map_err(transport_failure)?;
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::RANGE_NOT_SATISFIABLE && total.is_some_and(|t| t == *written) {
            return Ok(());
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(match status {
                StatusCode::NOT_FOUND | StatusCode::GONE => Failure::Fatal(FlickrError::NotFound {
                    message: format!("{url} answered {status}"),
                }),
                _ => classify_status(status, &headers, &body, url),
            });
        }
        let header_text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let mut skip: u64 = 0;
        if *written == 0 || status == StatusCode::OK {
            if *written > 0 {
                // The server ignored Range: the same bytes come again.
                let new_tag = header_text(header::ETAG);
                if etag.is_some() && new_tag.is_some() && new_tag != *etag {
                    return Err(Failure::Fatal(FlickrError::Decode {
                        what: url.into(),
                        detail:
                            "the file changed on the server during the download; download it again"
                                .into(),
                    }));
                }
                skip = *written;
            }
            *total = response.content_length();
            *etag = header_text(header::ETAG);
            *content_type = header_text(header::CONTENT_TYPE);
            *final_url = response.url().to_string();
        } else if status == StatusCode::PARTIAL_CONTENT {
            let range = header_text(header::CONTENT_RANGE).and_then(|r| parse_content_range(&r));
            match range {
                Some((start, _, full)) if start <= *written => {
                    skip = *written - start;
                    if full.is_some() {
                        *total = full;
                    }
                }
                _ => {
                    return Err(Failure::Fatal(FlickrError::Decode {
                        what: url.into(),
                        detail: format!(
                            "asked for bytes from {} and got {:?}",
                            *written,
                            header_text(header::CONTENT_RANGE)
                        ),
                    }));
                }
            }
        }
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => return Err(transport_failure(error)),
            };
            let mut data = &chunk[..];
            if skip > 0 {
                let n = (skip as usize).min(data.len());
                data = &data[n..];
                skip -= n as u64;
            }
            if !data.is_empty() {
                writer
                    .write_all(data)
                    .await
                    .map_err(|e| Failure::Fatal(FlickrError::Io(e)))?;
                *written += data.len() as u64;
            }
        }
        match *total {
            Some(expected) if *written < expected => Err(Failure::Transient {
                reason: format!("the download stopped at {} of {expected} bytes", *written),
                retry_after: None,
            }),
            _ => Ok(()),
        }
    }
}

/// The best original among a photo's sizes: `Original`, else the largest
/// photo size (flagged as not original).
pub fn choose_photo_source(sizes: &[Size]) -> Option<MediaSource> {
    let photos = || {
        sizes
            .iter()
            .filter(|s| s.media != super::model::Media::Video)
    };
    if let Some(original) = photos().find(|s| s.label == "Original") {
        return Some(MediaSource {
            url: original.source.clone(),
            label: original.label.clone(),
            original: true,
        });
    }
    photos()
        .max_by_key(|s| s.width.unwrap_or(0) * s.height.unwrap_or(0))
        .map(|s| MediaSource {
            url: s.source.clone(),
            label: s.label.clone(),
            original: false,
        })
}

/// Renditions from best to worst (gallery-dl's order, with getSizes' labels).
const VIDEO_RANKING: &[&str] = &[
    "orig",
    "1080p",
    "HD MP4",
    "720p",
    "Site MP4",
    "360p",
    "288p",
    "700",
    "Mobile MP4",
    "300",
    "100",
    "appletv",
    "iphone_wifi",
];

/// The best video file: `Video Original` from getSizes, else `orig` from
/// getStreamInfo, else the best-ranked rendition (flagged as not original).
/// Never `Video Player` (a Flash page) nor a photo-type size (the poster).
pub fn choose_video_source(sizes: &[Size], streams: &[Stream]) -> Option<MediaSource> {
    let videos = || {
        sizes
            .iter()
            .filter(|s| s.media == super::model::Media::Video && s.label != "Video Player")
    };
    if let Some(original) = videos().find(|s| s.label == "Video Original") {
        return Some(MediaSource {
            url: original.source.clone(),
            label: original.label.clone(),
            original: true,
        });
    }
    if let Some(orig) = streams
        .iter()
        .find(|s| s.kind == "orig" && !s.url.is_empty())
    {
        return Some(MediaSource {
            url: orig.url.clone(),
            label: "orig".into(),
            original: true,
        });
    }
    let rank = |label: &str| {
        VIDEO_RANKING
            .iter()
            .position(|l| *l == label)
            .unwrap_or(VIDEO_RANKING.len())
    };
    let best_size = videos()
        .min_by_key(|s| rank(&s.label))
        .map(|s| (rank(&s.label), s.source.clone(), s.label.clone()));
    let best_stream = streams
        .iter()
        .filter(|s| !s.url.is_empty())
        .min_by_key(|s| rank(&s.kind))
        .map(|s| (rank(&s.kind), s.url.clone(), s.kind.clone()));
    let best = match (best_size, best_stream) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    };
    best.map(|(_, url, label)| MediaSource {
        url,
        label,
        original: false,
    })
}

/// A file extension for a downloaded body's `Content-Type` (videos: the
/// container may be MOV, AVI, 3GP… whatever `originalformat` says).
pub fn extension_for_content_type(content_type: &str) -> Option<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match essence.as_str() {
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/tiff" => "tif",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/x-msvideo" | "video/avi" | "video/msvideo" => "avi",
        "video/3gpp" => "3gp",
        "video/x-m4v" => "m4v",
        "video/mpeg" => "mpg",
        "video/x-ms-wmv" => "wmv",
        "video/x-matroska" => "mkv",
        "video/webm" => "webm",
        _ => return None,
    })
}

/// `bytes START-END/TOTAL` → (start, end, total).
fn parse_content_range(text: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = text.trim().strip_prefix("bytes")?.trim();
    let (range, full) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let full = full.trim().parse::<u64>().ok();
    Some((start.trim().parse().ok()?, end.trim().parse().ok()?, full))
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn transport_failure(error: reqwest::Error) -> Failure {
    if error.is_builder() || error.is_redirect() {
        return Failure::Fatal(FlickrError::Decode {
            what: error.url().map(|u| u.to_string()).unwrap_or_default(),
            detail: error.to_string(),
        });
    }
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        reason.push_str(": ");
        reason.push_str(&inner.to_string());
        source = inner.source();
    }
    Failure::Transient {
        reason,
        retry_after: None,
    }
}

/// A non-200 answer: 429, 5xx, 401 with an `oauth_problem`, or anything else.
fn classify_status(
    status: StatusCode,
    headers: &header::HeaderMap,
    body: &str,
    what: &str,
) -> Failure {
    let retry_after = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Failure::RateLimited(retry_after);
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return Failure::Transient {
            reason: format!("HTTP {status}"),
            retry_after,
        };
    }
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST {
        let pairs = parse_form(body.trim());
        let problem = pairs
            .iter()
            .find(|(n, _)| n == "oauth_problem")
            .map(|(_, v)| v.as_str());
        // Flickr sends the base string raw, its `&`s unescaped: take the rest verbatim.
        let debug_sbs = body
            .split_once("debug_sbs=")
            .map(|(_, sbs)| sbs.trim().to_string());
        match problem {
            Some("signature_invalid") => {
                return Failure::Fatal(FlickrError::InvalidSignature {
                    base_string: debug_sbs,
                });
            }
            Some(
                p @ ("token_rejected" | "token_expired" | "token_revoked" | "token_used"
                | "verifier_invalid" | "permission_denied"),
            ) => {
                return Failure::Fatal(FlickrError::TokenRejected {
                    message: p.to_string(),
                });
            }
            Some(
                p @ ("consumer_key_unknown" | "consumer_key_rejected" | "consumer_key_refused"),
            ) => {
                return Failure::Fatal(FlickrError::InvalidApiKey {
                    message: p.to_string(),
                });
            }
            _ => {}
        }
    }
    Failure::Fatal(FlickrError::Http {
        status: status.as_u16(),
        url: what.to_string(),
    })
}

/// A 200 body: `stat: ok` → the value; `stat: fail` → the error (transient
/// codes are retried).
fn parse_envelope(method: &str, body: &str) -> Result<Value, Failure> {
    let text = body.trim();
    // Tolerate JSONP, should a proxy drop `nojsoncallback`.
    let text = text
        .strip_prefix("jsonFlickrApi(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if text.is_empty() {
            Failure::Transient {
                reason: "an empty answer".into(),
                retry_after: None,
            }
        } else {
            Failure::Fatal(FlickrError::Decode {
                what: method.into(),
                detail: format!("{e}: {:?}", oauth::truncate(text, 200)),
            })
        }
    })?;
    match value.get("stat").and_then(Value::as_str) {
        Some("ok") => Ok(value),
        Some("fail") => {
            let code = value
                .get("code")
                .and_then(|c| {
                    c.as_i64()
                        .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
                })
                .unwrap_or(0);
            let message = value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if FlickrError::is_transient_code(code) {
                Err(Failure::Transient {
                    reason: format!("Flickr error {code}: {message}"),
                    retry_after: None,
                })
            } else {
                Err(Failure::Fatal(FlickrError::from_api(method, code, message)))
            }
        }
        _ => Err(Failure::Fatal(FlickrError::Decode {
            what: method.into(),
            detail: format!("no \"stat\" in {:?}", oauth::truncate(text, 200)),
        })),
    }
}

/// Every item of a paged listing, page after page up to `MAX_PAGE`, each id
/// once (pages shift when items are added meanwhile).
async fn collect_pages<T, Fut>(
    mut fetch: impl FnMut(u64) -> Fut,
    id: impl Fn(&T) -> String,
) -> Result<Vec<T>, FlickrError>
where
    Fut: std::future::Future<Output = Result<Page<T>, FlickrError>>,
{
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut page_number = 1;
    loop {
        let page = fetch(page_number).await?;
        let more = page.has_more() && page_number < MAX_PAGE;
        out.extend(page.items.into_iter().filter(|item| seen.insert(id(item))));
        if !more {
            return Ok(out);
        }
        page_number += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        let waited = parse_retry_after(&httpdate::fmt_http_date(later)).expect("date");
        assert!(waited > Duration::from_secs(100) && waited <= Duration::from_secs(120));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, 199, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 0-9/*"), Some((0, 9, None)));
        assert_eq!(parse_content_range("items 0-9/10"), None);
    }

    #[test]
    fn envelopes() {
        assert!(parse_envelope("m", r#"{"stat":"ok","x":1}"#).is_ok());
        assert!(parse_envelope("m", r#"jsonFlickrApi({"stat":"ok"})"#).is_ok());
        let check = |body: &str, expected: &str| {
            let Err(failure) = parse_envelope("m", body) else {
                panic!("{body} should fail");
            };
            let got = match failure {
                Failure::Fatal(e) => format!("fatal {e}"),
                Failure::Transient { reason, .. } => format!("transient {reason}"),
                Failure::RateLimited(_) => "rate".into(),
            };
            assert!(got.starts_with(expected), "{body}: {got}");
        };
        check(
            r#"{"stat":"fail","code":201,"message":"Sorry"}"#,
            "transient",
        );
        check(r#"{"stat":"fail","code":"105","message":"x"}"#, "transient");
        check(
            r#"{"stat":"fail","code":1,"message":"User not found"}"#,
            "fatal not found",
        );
        check(
            r#"{"stat":"fail","code":98,"message":"Invalid auth token"}"#,
            "fatal the Flickr login",
        );
        check(
            r#"{"stat":"fail","code":100,"message":"Invalid API Key"}"#,
            "fatal Flickr rejected the API key",
        );
        check("<html>", "fatal unexpected");
        check("", "transient");
    }

    #[test]
    fn content_types_give_extensions() {
        assert_eq!(extension_for_content_type("video/quicktime"), Some("mov"));
        assert_eq!(
            extension_for_content_type("image/jpeg; charset=binary"),
            Some("jpg")
        );
        assert_eq!(extension_for_content_type("text/html"), None);
    }
}
