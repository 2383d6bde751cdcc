//! Downloads of pre-signed content URLs (PROTOCOL.md §3, §7.1): no cookies or
//! auth headers, streamed to disk, resumed with `Range` after a drop, and
//! checked against the record's `fileChecksum` — type byte `0x01` followed by
//! SHA-1 over a fixed salt and the bytes — so a truncated or altered file is
//! never handed to the library.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{StatusCode, header};
use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::auth::IcloudConfig;
use super::error::IcloudError;
use super::model::ResourceChecksum;

/// Hashed before the file bytes: two NUL-terminated ASCII strings.
pub const CHECKSUM_SALT: &[u8] = b"com.apple.XattrObjectSalt\0com.apple.DataObjectSalt\0";

/// The only checksum type observed; others (chunked signatures) cannot be checked.
const CHECKSUM_TYPE_SHA1: u8 = 0x01;

/// Computes a `fileChecksum` incrementally.
#[derive(Clone)]
pub struct ChecksumHasher(Sha1);

impl Default for ChecksumHasher {
    fn default() -> Self {
        let mut h = Sha1::new();
        h.update(CHECKSUM_SALT);
        ChecksumHasher(h)
    }
}

impl ChecksumHasher {
    /// Starts a checksum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds file bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The 21 raw bytes (`0x01` ‖ SHA-1).
    pub fn finish(self) -> Vec<u8> {
        let mut out = vec![CHECKSUM_TYPE_SHA1];
        out.extend_from_slice(&self.0.finalize());
        out
    }
}

/// The `fileChecksum` iCloud gives for these bytes, base64 as in records.
pub fn file_checksum(bytes: &[u8]) -> String {
    let mut h = ChecksumHasher::new();
    h.update(bytes);
    STANDARD.encode(h.finish())
}

/// What one attempt ended in.
enum Attempt {
    Done,
    /// Worth another try (after `wait`); the partial file stays for `Range`.
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
}

pub(crate) async fn download(
    http: &reqwest::Client,
    config: &IcloudConfig,
    url: &str,
    expected: Option<&ResourceChecksum>,
    dest: &Path,
) -> Result<u64, IcloudError> {
    let result = download_inner(http, config, url, expected, dest).await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(dest).await;
    }
    result
}

async fn download_inner(
    http: &reqwest::Client,
    config: &IcloudConfig,
    url: &str,
    expected: Option<&ResourceChecksum>,
    dest: &Path,
) -> Result<u64, IcloudError> {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(dest)
        .await?;
    let mut have: u64 = 0;
    let mut failures = 0u32;
    loop {
        match attempt(http, config, url, &mut file, &mut have).await? {
            Attempt::Done => break,
            Attempt::Retry { reason, wait } => {
                failures += 1;
                if failures >= config.max_attempts.max(1) {
                    return Err(IcloudError::Unavailable {
                        attempts: failures,
                        last: reason,
                    });
                }
                let wait = wait.unwrap_or_else(|| config.backoff(failures));
                tracing::debug!(%reason, have, ?wait, "iCloud download interrupted; resuming");
                tokio::time::sleep(wait).await;
            }
        }
    }
    file.flush().await?;
    file.sync_all().await?;
    drop(file);
    if let Some(expected) = expected {
        verify(dest, have, expected).await?;
    }
    Ok(have)
}

async fn attempt(
    http: &reqwest::Client,
    config: &IcloudConfig,
    url: &str,
    file: &mut tokio::fs::File,
    have: &mut u64,
) -> Result<Attempt, IcloudError> {
    let mut request = http.get(url).header(header::USER_AGENT, &config.user_agent);
    if *have > 0 {
        request = request.header(header::RANGE, format!("bytes={have}-"));
    }
    let response = match tokio::time::timeout(config.download_read_timeout, request.send()).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return Ok(Attempt::Retry {
                reason: e.to_string(),
                wait: None,
            });
        }
        Err(_) => {
            return Ok(Attempt::Retry {
                reason: "no answer in time".into(),
                wait: None,
            });
        }
    };
    let status = response.status();
    match status {
        StatusCode::OK => {
            if *have > 0 {
                // The server ignored Range: start over.
                file.set_len(0).await?;
                tokio::io::AsyncSeekExt::seek(file, std::io::SeekFrom::Start(0)).await?;
                *have = 0;
            }
        }
        StatusCode::PARTIAL_CONTENT => {}
        StatusCode::GONE | StatusCode::FORBIDDEN => return Err(IcloudError::UrlExpired),
        StatusCode::NOT_FOUND => {
            return Err(IcloudError::NotFound {
                what: "the file behind the download link".into(),
            });
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            file.set_len(0).await?;
            tokio::io::AsyncSeekExt::seek(file, std::io::SeekFrom::Start(0)).await?;
            *have = 0;
            return Ok(Attempt::Retry {
                reason: "HTTP 416".into(),
                wait: Some(Duration::ZERO),
            });
        }
        s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
            let wait = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(config.backoff_max));
            return Ok(Attempt::Retry {
                reason: format!("HTTP {}", s.as_u16()),
                wait,
            });
        }
        s => {
            return Err(IcloudError::Http {
                status: s.as_u16(),
                what: "a download".into(),
                detail: String::new(),
            });
        }
    }
    let mut response = response;
    loop {
        match tokio::time::timeout(config.download_read_timeout, response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                file.write_all(&chunk).await?;
                *have += chunk.len() as u64;
            }
            Ok(Ok(None)) => return Ok(Attempt::Done),
            Ok(Err(e)) => {
                return Ok(Attempt::Retry {
                    reason: format!("connection dropped: {e}"),
                    wait: None,
                });
            }
            Err(_) => {
                return Ok(Attempt::Retry {
                    reason: "the download stalled".into(),
                    wait: None,
                });
            }
        }
    }
}

async fn verify(dest: &Path, have: u64, expected: &ResourceChecksum) -> Result<(), IcloudError> {
    if expected.size > 0 && have != expected.size {
        return Err(IcloudError::ChecksumMismatch {
            detail: format!("{have} bytes instead of {}", expected.size),
        });
    }
    let Ok(want) = STANDARD.decode(expected.file_checksum.trim()) else {
        tracing::debug!(checksum = %expected.file_checksum, "iCloud checksum is not base64; not verified");
        return Ok(());
    };
    if want.len() != 21 || want[0] != CHECKSUM_TYPE_SHA1 {
        tracing::debug!(checksum = %expected.file_checksum, "iCloud checksum of an unknown type; not verified");
        return Ok(());
    }
    let mut hasher = ChecksumHasher::new();
    let mut f = tokio::fs::File::open(dest).await?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let got = hasher.finish();
    if got != want {
        return Err(IcloudError::ChecksumMismatch {
            detail: format!(
                "expected {}, got {}",
                expected.file_checksum,
                STANDARD.encode(&got)
            ),
        });
    }
    Ok(())
}
