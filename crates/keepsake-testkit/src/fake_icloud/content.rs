//! The content side: Apple's fileChecksum rule, the facts the fake derives
//! from each item's bytes (checksums, sizes, pixel sizes), pre-signed download
//! URLs with an expiry, and the download endpoint itself (no cookies, `Range`,
//! 410 Gone once expired, optional mid-body connection drops).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use rand::Rng;
use sha1::{Digest, Sha1};

use super::{FakeKind, FakePhoto, Inner, Shared, hex, now_ms};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Apple's fileChecksum of a file: `0x01 ‖ SHA-1("com.apple.XattrObjectSalt\0com.apple.DataObjectSalt\0" ‖ bytes)`.
pub fn file_checksum(bytes: &[u8]) -> [u8; 21] {
    let mut h = Sha1::new();
    h.update(b"com.apple.XattrObjectSalt\0com.apple.DataObjectSalt\0");
    h.update(bytes);
    let digest = h.finalize();
    let mut out = [0u8; 21];
    out[0] = 0x01;
    out[1..].copy_from_slice(&digest);
    out
}

/// One downloadable resource of a record (an ASSETID field).
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    /// Standard base64 of the 21-byte fileChecksum.
    pub checksum: String,
    pub reference: String,
    pub wrapping_key: String,
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub uti: String,
}

impl Resource {
    fn of(bytes: &[u8], uti: &str, rng: &mut impl Rng) -> Resource {
        let (width, height) = pixel_size(bytes).unwrap_or((0, 0));
        let mut reference = [0u8; 21];
        rng.fill(&mut reference);
        reference[0] = 0x01;
        let wrapping: [u8; 16] = rng.r#gen();
        Resource {
            checksum: B64.encode(file_checksum(bytes)),
            reference: B64.encode(reference),
            wrapping_key: B64.encode(wrapping),
            size: bytes.len() as u64,
            width,
            height,
            uti: uti.to_string(),
        }
    }

    /// The path key Apple uses: base64url(fileChecksum) ‖ base64url(referenceChecksum).
    fn url_key(&self) -> String {
        format!(
            "{}{}",
            b64_to_url(&self.checksum),
            b64_to_url(&self.reference)
        )
    }
}

fn b64_to_url(s: &str) -> String {
    B64URL.encode(B64.decode(s).expect("own base64"))
}

/// What the fake knows about an item beyond the test's [`FakePhoto`].
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    pub original: Resource,
    pub vid_compl: Option<Resource>,
    pub edited: Option<Resource>,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub master_modified_ms: i64,
    pub date_expunged_ms: Option<i64>,
    pub master_tag: String,
}

impl Derived {
    pub(crate) fn compute(photo: &FakePhoto, rng: &mut impl Rng, created_ms: i64) -> Derived {
        let original = Resource::of(&photo.bytes, &photo.uti, rng);
        let vid_compl = match &photo.kind {
            FakeKind::Live { video } => Some(Resource::of(video, "com.apple.quicktime-movie", rng)),
            _ => None,
        };
        let edited = photo
            .edited
            .as_ref()
            .map(|(bytes, uti)| Resource::of(bytes, uti, rng));
        let master_tag = super::base36(rng.gen_range(40_000..1_600_000));
        Derived {
            original,
            vid_compl,
            edited,
            created_ms,
            modified_ms: created_ms,
            master_modified_ms: created_ms,
            date_expunged_ms: None,
            master_tag,
        }
    }

    /// The download bodies, keyed by base64url fileChecksum.
    pub(crate) fn blobs(&self, photo: &FakePhoto) -> Vec<(String, Bytes)> {
        let mut out = vec![(
            b64_to_url(&self.original.checksum),
            Bytes::from(photo.bytes.clone()),
        )];
        if let (Some(r), FakeKind::Live { video }) = (&self.vid_compl, &photo.kind) {
            out.push((b64_to_url(&r.checksum), Bytes::from(video.clone())));
        }
        if let (Some(r), Some((bytes, _))) = (&self.edited, &photo.edited) {
            out.push((b64_to_url(&r.checksum), Bytes::from(bytes.clone())));
        }
        out
    }
}

fn signature(key: &[u8; 32], path_key: &str, expiry: i64, serial: u64) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("key");
    mac.update(format!("{path_key}|{expiry}|{serial}").as_bytes());
    B64URL.encode(&mac.finalize().into_bytes()[..20])
}

/// A fresh pre-signed URL for `res`, shaped like `cvws.icloud-content.com`'s.
pub(crate) fn download_url(
    shared: &Shared,
    inner: &mut Inner,
    res: &Resource,
    zone: &str,
) -> String {
    inner.url_serial += 1;
    let serial = inner.url_serial;
    let expiry = now_ms() / 1000 + inner.url_lifetime.as_secs() as i64;
    let key = res.url_key();
    let sig = signature(&shared.url_key, &key, expiry, serial);
    let o: [u8; 24] = inner.rng.r#gen();
    let request = super::uuid_upper(&mut inner.rng).to_lowercase();
    format!(
        "{}/B/{key}/${{f}}?o={}&v=1&x=3&a={}&e={expiry}&fl=&r={request}-{serial}&k={}&ckc=com.apple.photos.cloud&ckz={zone}&y=1&p=61&s={sig}",
        shared.base,
        B64URL.encode(o),
        hex(&o[..12]),
        b64_to_url(&res.wrapping_key),
    )
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn plain(status: StatusCode, text: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(text.to_string()))
        .expect("response")
}

/// `GET /B/<checksum><reference>/${f}?…&e=<expiry>&r=<id>-<serial>&s=<sig>`.
pub(crate) fn download(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    let mut parts = path.trim_start_matches("/B/").splitn(2, '/');
    let key = parts.next().unwrap_or("");
    // The file-name segment is Apple's literal `${f}` placeholder; clients
    // send it raw or percent-encoded, and any name is served the same.
    if parts.next().is_none_or(str::is_empty) || key.len() < 28 {
        return plain(StatusCode::NOT_FOUND, "Not Found");
    }
    let (Some(e), Some(r), Some(s)) = (
        query_param(query, "e").and_then(|e| e.parse::<i64>().ok()),
        query_param(query, "r"),
        query_param(query, "s"),
    ) else {
        return plain(StatusCode::FORBIDDEN, "Forbidden");
    };
    let serial = r
        .rsplit('-')
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    if signature(&shared.url_key, key, e, serial) != s {
        return plain(StatusCode::FORBIDDEN, "Forbidden");
    }
    let mut inner = shared.lock();
    if e < now_ms() / 1000 || serial < inner.url_valid_from {
        return plain(StatusCode::GONE, "Gone");
    }
    // Apple's links die early (~30-40 min instead of the hour `e` says):
    // after the set number of good downloads, every link issued so far dies.
    if let Some(n) = inner.expire_urls_after.as_mut() {
        if *n == 0 {
            inner.expire_urls_after = None;
            inner.url_valid_from = inner.url_serial + 1;
            return plain(StatusCode::GONE, "Gone");
        }
        *n -= 1;
    }
    let Some(bytes) = inner.blobs.get(&key[..28]).cloned() else {
        return plain(StatusCode::NOT_FOUND, "Not Found");
    };
    let drop_this = inner.drop_downloads > 0 && method == Method::GET;
    if drop_this {
        inner.drop_downloads -= 1;
    }
    drop(inner);

    let total = bytes.len() as u64;
    let (status, start, end) = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(range) => match parse_range(range, total) {
            Some((s, e)) => (StatusCode::PARTIAL_CONTENT, s, e),
            None => {
                return Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{total}"))
                    .body(Body::empty())
                    .expect("response");
            }
        },
        None => (StatusCode::OK, 0, total.saturating_sub(1)),
    };
    let slice = if total == 0 {
        Bytes::new()
    } else {
        bytes.slice(start as usize..=end as usize)
    };
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, slice.len().to_string())
        .header(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"%24%7Bf%7D\"; filename*=UTF-8''%24%7Bf%7D",
        )
        .header(
            header::CACHE_CONTROL,
            "no-transform,private,max-age=2592000,s-maxage=2592000",
        )
        .header("Access-Control-Allow-Origin", "https://www.icloud.com");
    if status == StatusCode::PARTIAL_CONTENT {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{total}"),
        );
    }
    if method == Method::HEAD {
        return builder.body(Body::empty()).expect("response");
    }
    if drop_this {
        // Half the body, then an error: hyper closes the connection with the
        // announced Content-Length unmet, as a reset socket would look.
        // The short pause lets the headers and the first half reach the
        // client before the reset, as on a real mid-body failure.
        use futures_util::StreamExt as _;
        let half = slice.slice(..slice.len() / 2);
        let first = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(half)]);
        let reset = futures_util::stream::once(async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped by the fake",
            ))
        });
        return builder
            .body(Body::from_stream(first.chain(reset)))
            .expect("response");
    }
    builder.body(Body::from(slice)).expect("response")
}

/// One `bytes=` range, resolved against `total`: (first, last) inclusive.
fn parse_range(range: &str, total: u64) -> Option<(u64, u64)> {
    let spec = range.trim().strip_prefix("bytes=")?;
    let spec = spec.split(',').next()?.trim();
    let (a, b) = spec.split_once('-')?;
    if total == 0 {
        return None;
    }
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        (total.saturating_sub(n), total - 1)
    } else {
        let s: u64 = a.parse().ok()?;
        let e = if b.is_empty() {
            total - 1
        } else {
            b.parse::<u64>().ok()?.min(total - 1)
        };
        (s, e)
    };
    (start <= end && start < total).then_some((start, end))
}

/// Pixel size of a JPEG, PNG or QuickTime/MP4 (first video track).
pub(crate) fn pixel_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return jpeg_size(bytes);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() >= 24 {
        let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        return Some((w, h));
    }
    movie_size(bytes)
}

fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        let is_sof = (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
        if is_sof {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]) as u32;
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]) as u32;
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
}

fn movie_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut from = 0;
    while let Some(pos) = b[from..].windows(4).position(|w| w == b"tkhd") {
        let at = from + pos + 4;
        let version = *b.get(at)?;
        let off = if version == 1 { at + 88 } else { at + 76 };
        if off + 8 <= b.len() {
            let w = u32::from_be_bytes(b[off..off + 4].try_into().ok()?) >> 16;
            let h = u32::from_be_bytes(b[off + 4..off + 8].try_into().ok()?) >> 16;
            if w > 0 && h > 0 {
                return Some((w, h));
            }
        }
        from = at;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_follows_apples_rule() {
        // The salt alone is what an empty file hashes.
        let empty = file_checksum(b"");
        assert_eq!(empty[0], 0x01);
        let mut h = Sha1::new();
        h.update(b"com.apple.XattrObjectSalt\0com.apple.DataObjectSalt\0");
        assert_eq!(&empty[1..], h.finalize().as_slice());
        assert_eq!(B64.encode(file_checksum(b"abc")).len(), 28);
        assert_ne!(file_checksum(b"abc"), file_checksum(b"abd"));
        // Computed independently (Python hashlib) from the rule.
        assert_eq!(
            B64.encode(file_checksum(b"hello world")),
            "AfmD7UtOGIItmXHUm5CO1yik4vxv"
        );
        assert_eq!(
            B64.encode(file_checksum(b"")),
            "AW2cWT2PxzWixMKuuNMTHJ8CJ3sH"
        );
        // Plain SHA-1 of the bytes must not be what we send.
        let plain = Sha1::digest(b"abc");
        assert_ne!(&file_checksum(b"abc")[1..], plain.as_slice());
    }

    #[test]
    fn ranges_resolve_like_http() {
        assert_eq!(parse_range("bytes=0-", 10), Some((0, 9)));
        assert_eq!(parse_range("bytes=4-", 10), Some((4, 9)));
        assert_eq!(parse_range("bytes=2-5", 10), Some((2, 5)));
        assert_eq!(parse_range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(parse_range("bytes=8-100", 10), Some((8, 9)));
        assert_eq!(parse_range("bytes=10-", 10), None);
        assert_eq!(parse_range("items=0-1", 10), None);
    }

    #[test]
    fn jpeg_sizes_are_read_from_the_frame_header() {
        let dir = tempfile::tempdir().expect("dir");
        let jpeg = crate::fixtures::jpeg(dir.path(), 64, 48, 1);
        assert_eq!(pixel_size(&jpeg), Some((64, 48)));
    }
}
