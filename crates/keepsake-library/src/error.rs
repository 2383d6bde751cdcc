//! The library's one error type. Each variant's message is what a person sees;
//! `kind()` is what the HTTP layer maps to a status code.

/// An operation failed; the message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    StorageFull(String),
    #[error("{0}")]
    Unavailable(String),
    /// An outside service (Flickr) is rate limiting and the caller asked not to wait.
    #[error("{0}")]
    RateLimited(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Error classes, for mapping to transport status codes in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Unauthorized,
    Forbidden,
    NotFound,
    Invalid,
    Conflict,
    StorageFull,
    Unavailable,
    Internal,
}

impl LibraryError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LibraryError::Unauthorized(_) => ErrorKind::Unauthorized,
            LibraryError::Forbidden(_) => ErrorKind::Forbidden,
            LibraryError::NotFound(_) => ErrorKind::NotFound,
            LibraryError::Invalid(_) => ErrorKind::Invalid,
            LibraryError::Conflict(_) => ErrorKind::Conflict,
            LibraryError::StorageFull(_) => ErrorKind::StorageFull,
            LibraryError::Unavailable(_) | LibraryError::RateLimited(_) => ErrorKind::Unavailable,
            LibraryError::Internal(_) => ErrorKind::Internal,
        }
    }
}

impl From<keepsake_db::DbError> for LibraryError {
    fn from(e: keepsake_db::DbError) -> Self {
        match e {
            keepsake_db::DbError::Conflict { what } => {
                LibraryError::Conflict(format!("a row with the same {what} already exists"))
            }
            keepsake_db::DbError::Connect { .. }
            | keepsake_db::DbError::TooNew { .. }
            | keepsake_db::DbError::Migrate { .. } => LibraryError::Unavailable(e.to_string()),
            other => LibraryError::Internal(other.to_string()),
        }
    }
}

impl From<keepsake_blobs::BlobError> for LibraryError {
    fn from(e: keepsake_blobs::BlobError) -> Self {
        match e {
            keepsake_blobs::BlobError::StorageFull { .. } => {
                LibraryError::StorageFull(e.to_string())
            }
            keepsake_blobs::BlobError::NotFound(_) => LibraryError::NotFound(e.to_string()),
            other => LibraryError::Internal(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, LibraryError>;
