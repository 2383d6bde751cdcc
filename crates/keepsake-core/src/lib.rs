//! Keepsake's domain core: the vocabulary every other crate speaks.
//!
//! The main types are [`Permission`] (Immich's permission strings and the subset
//! rule), [`AssetType`] with the supported [`media`] extensions, [`Timestamp`]
//! (milliseconds since the Unix epoch, the one time representation stored
//! everywhere), [`Visibility`], [`AlbumRole`] and the storage template in
//! [`template`].
//!
//! Invariant: this crate does no I/O, has no async and no serde; the tidy test in
//! `keepsake-testkit` holds that line.

pub mod import;
pub mod media;
pub mod permission;
pub mod template;
pub mod time;

pub use media::AssetType;
pub use permission::Permission;
pub use time::Timestamp;

/// Where an asset shows up, as Immich names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Timeline,
    Archive,
    Hidden,
    Locked,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Timeline,
        Visibility::Archive,
        Visibility::Hidden,
        Visibility::Locked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Timeline => "timeline",
            Visibility::Archive => "archive",
            Visibility::Hidden => "hidden",
            Visibility::Locked => "locked",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        Visibility::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A user's role in an album. The owner is stored as a role too, as in Immich 3.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlbumRole {
    Viewer,
    Editor,
    Owner,
}

impl AlbumRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AlbumRole::Viewer => "viewer",
            AlbumRole::Editor => "editor",
            AlbumRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<AlbumRole> {
        match s {
            "viewer" => Some(AlbumRole::Viewer),
            "editor" => Some(AlbumRole::Editor),
            "owner" => Some(AlbumRole::Owner),
            _ => None,
        }
    }

    /// Editors and owners may add and remove assets; viewers only look.
    pub fn can_edit_assets(self) -> bool {
        self >= AlbumRole::Editor
    }
}

/// Parses an Immich checksum as clients send it: 40 hex digits or 28 base64
/// characters, both encoding a 20-byte SHA-1.
pub fn parse_sha1_checksum(text: &str) -> Option<[u8; 20]> {
    let text = text.trim();
    if text.len() == 40 {
        let mut out = [0u8; 20];
        for (i, chunk) in text.as_bytes().chunks(2).enumerate() {
            let hi = hex_value(chunk[0])?;
            let lo = hex_value(chunk[1])?;
            out[i] = hi << 4 | lo;
        }
        return Some(out);
    }
    if text.len() == 28 {
        let decoded = base64_decode(text)?;
        return decoded.try_into().ok();
    }
    None
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lowercase hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding; small enough to keep the core free of dependencies.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard or URL-safe base64, padded or not; `None` on other characters.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_accepts_hex_and_base64_of_the_same_digest() {
        let hex = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12";
        let from_hex = parse_sha1_checksum(hex).unwrap();
        let b64 = base64_encode(&from_hex);
        assert_eq!(b64.len(), 28);
        assert_eq!(parse_sha1_checksum(&b64).unwrap(), from_hex);
        assert_eq!(parse_sha1_checksum("nope"), None);
        assert_eq!(parse_sha1_checksum(&"g".repeat(40)), None);
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).unwrap(), plain.as_bytes());
        }
    }
}
