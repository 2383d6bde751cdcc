//! The one error type of the iCloud client. Apple answers with status codes
//! (sign-in), CloudKit `serverErrorCode`s and IDMSA `service_errors`; each
//! ends up as a variant whose message says what happened and what the user
//! can do about it, so the CLI and the web UI can show it as is.

use std::time::Duration;

/// Everything that can go wrong talking to iCloud.
#[derive(Debug, thiserror::Error)]
pub enum IcloudError {
    /// `signin/complete` answered 401: the Apple ID or password is wrong.
    #[error(
        "Apple rejected the Apple ID or password ({message}); check them and sign in again (nothing was changed)"
    )]
    WrongPassword { message: String },

    /// `signin/*` answered 403.
    #[error(
        "Apple does not know this Apple ID ({apple_id}); check the spelling (nothing was changed)"
    )]
    UnknownAccount { apple_id: String },

    /// `signin/complete` answered 412 and the repair step did not help.
    #[error(
        "Apple refused the sign-in and wants the account fixed first (a new password or new terms); sign in at https://appleid.apple.com or icloud.com in a browser, then try again"
    )]
    AccountNeedsAttention,

    /// A verification code is needed and the client cannot ask for one by itself.
    #[error(
        "iCloud needs a new verification code (the trusted session ended); run the iCloud sign-in again and enter the code sent to your devices"
    )]
    MfaRequired,

    /// The code submitted was wrong or expired; the session stays usable.
    #[error("{message} Enter the code again, or ask for a new one")]
    WrongCode { message: String },

    /// A verification code could not be (re)sent by that method.
    #[error(
        "Apple would not send a code by {method} (HTTP {status}); try another method, or take a code from Settings → your name → Sign-In & Security on a trusted device"
    )]
    CodeNotSent { method: String, status: u16 },

    /// A call that needs a signed-in session came before sign-in finished.
    #[error("not signed in to iCloud yet; sign in first")]
    NotSignedIn,

    /// The web session ended and could not be renewed without the password.
    #[error(
        "the iCloud session expired and could not be renewed; sign in to iCloud again (nothing imported so far is lost)"
    )]
    SessionExpired,

    /// `isWebAccessAllowed: false` or `ACCESS_DENIED` "private db access disabled".
    #[error(
        "iCloud refuses web access to this library: turn on \"Access iCloud Data on the Web\" (iPhone: Settings → your name → iCloud; needed with Advanced Data Protection), then try again"
    )]
    WebAccessDisabled,

    /// With Advanced Data Protection, a trusted device must approve web access to Photos.
    #[error(
        "iCloud asks a trusted device to approve access to Photos ({message}); approve the prompt on your iPhone, iPad or Mac, then try again within a few minutes"
    )]
    PcsApprovalPending { message: String },

    /// CloudKit `ACCESS_DENIED` for another reason.
    #[error("iCloud denied access ({reason})")]
    AccessDenied { reason: String },

    /// `ZONE_NOT_FOUND` or a persistent `AUTHENTICATION_FAILED`.
    #[error(
        "iCloud Photos is not fully set up for this account ({reason}); open https://www.icloud.com/photos once in a browser, then try again"
    )]
    SetupIncomplete { reason: String },

    /// The library is still being indexed after a big upload.
    #[error(
        "iCloud is still indexing the library ({zone}{}); wait until it finishes (this can take hours after a big upload) and try again",
        progress.map(|p| format!(", {p}% done")).unwrap_or_default()
    )]
    IndexingInProgress { zone: String, progress: Option<i64> },

    /// `THROTTLED` / 429 after every attempt.
    #[error(
        "iCloud is rate limiting this account{}; try again later (nothing imported so far is lost)",
        retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default()
    )]
    RateLimited { retry_after: Option<Duration> },

    /// 503s, timeouts and dropped connections after every attempt.
    #[error("iCloud is unavailable after {attempts} attempts ({last}); try again later")]
    Unavailable { attempts: u32, last: String },

    /// A pre-signed download URL has expired (410/403): list the record again.
    #[error("the iCloud download link expired; the record must be looked up again")]
    UrlExpired,

    /// The downloaded bytes do not match the record's checksum or size.
    #[error("the download does not match iCloud's checksum ({detail}); it was discarded")]
    ChecksumMismatch { detail: String },

    /// A record or file that is gone.
    #[error("not found on iCloud: {what}")]
    NotFound { what: String },

    /// An album asked for by name or id that the library does not have.
    #[error(
        "iCloud has no album {name:?}; check the name (folders are written as \"Folder/Album\")"
    )]
    NoSuchAlbum { name: String },

    /// Any other HTTP answer the client has no rule for.
    #[error("iCloud answered HTTP {status} for {what}: {detail}")]
    Http {
        status: u16,
        what: String,
        detail: String,
    },

    /// A body that does not have the expected shape.
    #[error("unexpected response from iCloud ({what}): {detail}")]
    Decode { what: String, detail: String },

    /// The server's SRP values are unusable (B ≡ 0, u = 0, unknown protocol).
    #[error("the iCloud sign-in handshake failed: {0}")]
    Srp(String),

    /// A configured endpoint is not a URL.
    #[error(
        "bad iCloud endpoint {url:?}: {detail}; check KEEPSAKE_ICLOUD_AUTH_URL / KEEPSAKE_ICLOUD_SETUP_URL"
    )]
    BadUrl { url: String, detail: String },

    #[error("writing the download failed: {0}")]
    Io(#[from] std::io::Error),
}

impl IcloudError {
    /// True when re-running later may succeed (rate limits, outages).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            IcloudError::RateLimited { .. }
                | IcloudError::Unavailable { .. }
                | IcloudError::IndexingInProgress { .. }
        )
    }

    /// True when the session as a whole is unusable (the user must act).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            IcloudError::WrongPassword { .. }
                | IcloudError::UnknownAccount { .. }
                | IcloudError::AccountNeedsAttention
                | IcloudError::MfaRequired
                | IcloudError::NotSignedIn
                | IcloudError::SessionExpired
                | IcloudError::WebAccessDisabled
                | IcloudError::PcsApprovalPending { .. }
                | IcloudError::SetupIncomplete { .. }
        )
    }
}
