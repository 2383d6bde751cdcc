//! The one error type of the Flickr protocol layer. Flickr reports most
//! failures as HTTP 200 with `{"stat":"fail","code":N}`, OAuth problems as
//! HTTP 401 with a form body, and overload as 429/5xx; all of them end up here
//! as variants that say what happened and what the user can do about it.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum FlickrError {
    #[error(
        "Flickr rejected the API key ({message}); check KEEPSAKE_FLICKR_API_KEY / --api-key (create a key at https://www.flickr.com/services/apps/create/)"
    )]
    InvalidApiKey { message: String },

    #[error(
        "Flickr rejected the request signature; check KEEPSAKE_FLICKR_API_SECRET / --api-secret matches the API key{}",
        base_string.as_deref().map(|b| format!(" (Flickr signed: {b})")).unwrap_or_default()
    )]
    InvalidSignature { base_string: Option<String> },

    #[error(
        "the Flickr login is no longer valid ({message}); run `keepsake flickr login` again (nothing imported so far is lost)"
    )]
    TokenRejected { message: String },

    #[error(
        "Flickr refused: {message}; the login lacks read permission, run `keepsake flickr login` again"
    )]
    InsufficientPermissions { message: String },

    #[error(
        "the Flickr sign-in was refused in the browser; run `keepsake flickr login` again to retry"
    )]
    AccessDenied,

    #[error("not found on Flickr: {message}")]
    NotFound { message: String },

    #[error("that Flickr account was deleted")]
    UserDeleted,

    #[error("Flickr refused: {message} (the owner does not share this)")]
    PermissionDenied { message: String },

    /// HTTP 429, returned at once in [`super::RateLimitPolicy::Fail`] mode or
    /// after the retries ran out.
    #[error(
        "Flickr rate limit reached (HTTP 429){}; try again later, nothing imported so far is lost",
        retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default()
    )]
    RateLimited { retry_after: Option<Duration> },

    /// 5xx, dropped connections and Flickr's transient codes, after every attempt.
    #[error("Flickr is unavailable after {attempts} attempts ({last}); try again later")]
    Unavailable { attempts: u32, last: String },

    /// Any other `stat: fail`.
    #[error("Flickr API error {code} in {method}: {message}")]
    Api {
        method: String,
        code: i64,
        message: String,
    },

    #[error("Flickr answered HTTP {status} for {url}")]
    Http { status: u16, url: String },

    #[error("unexpected response from Flickr ({what}): {detail}")]
    Decode { what: String, detail: String },

    #[error(
        "bad Flickr endpoint {url:?}: {detail}; check KEEPSAKE_FLICKR_REST_URL / KEEPSAKE_FLICKR_OAUTH_URL"
    )]
    BadUrl { url: String, detail: String },

    #[error("{0}")]
    Callback(String),

    #[error("writing the download failed: {0}")]
    Io(#[from] std::io::Error),
}

impl FlickrError {
    /// Maps a `stat: fail` body to the variant that says what to do.
    pub fn from_api(method: &str, code: i64, message: String) -> FlickrError {
        match code {
            1 => FlickrError::NotFound { message },
            2 => FlickrError::PermissionDenied { message },
            5 => FlickrError::UserDeleted,
            96 | 97 => FlickrError::InvalidSignature { base_string: None },
            98 => FlickrError::TokenRejected { message },
            99 => FlickrError::InsufficientPermissions { message },
            100 => FlickrError::InvalidApiKey { message },
            _ => FlickrError::Api {
                method: method.to_string(),
                code,
                message,
            },
        }
    }

    /// Codes Flickr uses for "try again": 0 and 201 (`Sorry, the Flickr API
    /// service is not currently available.`), 105 and 106.
    pub fn is_transient_code(code: i64) -> bool {
        matches!(code, 0 | 105 | 106 | 201)
    }

    /// True when re-running later may succeed (rate limits, outages).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            FlickrError::RateLimited { .. } | FlickrError::Unavailable { .. }
        )
    }
}
