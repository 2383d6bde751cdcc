//! Sealing what outside services gave a person (an iCloud trust token and
//! session, a Flickr token, a password kept for scheduled syncs) so a copy of
//! the database alone does not hand over their accounts.
//!
//! The key is the library's secret: 32 random bytes in `<data>/secret.key`
//! (mode 0600), made on first use. It is not in the database on purpose, and
//! backups of the database must carry it separately to restore sign-ins.
//! Values are XChaCha20-Poly1305 with a random nonce, bound to the row they
//! belong to (user and service as associated data), written as
//! `ks1:<base64 of nonce ‖ ciphertext>`. Values stored before sealing existed
//! (no prefix) are read as they are and sealed on the next write.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use rand::RngCore;

use crate::{LibraryError, Result};

const PREFIX: &str = "ks1:";
const NONCE_LEN: usize = 24;

/// The library's secret key.
pub(crate) struct SecretKey {
    key: [u8; 32],
}

impl SecretKey {
    /// Reads the key at `path`, making it first when there is none.
    pub(crate) fn load_or_create(path: &Path) -> Result<SecretKey> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    LibraryError::Unavailable(format!(
                        "{} is not a Keepsake secret key (it must hold 32 bytes); restore it from your backup, \
                         or move it away to start a new one (stored sign-ins to iCloud and Flickr are then lost)",
                        path.display()
                    ))
                })?;
                Ok(SecretKey { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut key);
                write_private(path, &key).map_err(|e| {
                    LibraryError::Unavailable(format!(
                        "cannot write the secret key {}: {e}; check the data directory's permissions",
                        path.display()
                    ))
                })?;
                Ok(SecretKey { key })
            }
            Err(e) => Err(LibraryError::Unavailable(format!(
                "cannot read the secret key {}: {e}; check the data directory's permissions",
                path.display()
            ))),
        }
    }

    pub(crate) fn seal(&self, context: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(&self.key.into());
        let sealed = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    pub(crate) fn open(&self, context: &str, stored: &str) -> Result<String> {
        let Some(b64) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let unreadable = || {
            LibraryError::Unavailable(format!(
                "a stored sign-in ({context}) cannot be opened with this library's secret key; \
                 was secret.key replaced? Sign in to the service again"
            ))
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| unreadable())?;
        if bytes.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| unreadable())?;
        let cipher = XChaCha20Poly1305::new(&self.key.into());
        let plain = cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

/// Where the key lives for a data directory.
pub(crate) fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("secret.key")
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(dir.path());
        let key = SecretKey::load_or_create(&path).unwrap();
        let sealed = key.seal("u1/icloud", "trust-token-123");
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("trust-token-123"));
        assert_eq!(key.open("u1/icloud", &sealed).unwrap(), "trust-token-123");
        // Bound to its row: the same bytes under another user do not open.
        assert!(key.open("u2/icloud", &sealed).is_err());
        // The key survives a restart.
        let again = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(again.open("u1/icloud", &sealed).unwrap(), "trust-token-123");
        // Another library's key cannot open it.
        let other = tempfile::tempdir().unwrap();
        let stranger = SecretKey::load_or_create(&key_path(other.path())).unwrap();
        assert!(stranger.open("u1/icloud", &sealed).is_err());
        // Values from before sealing read as they are.
        assert_eq!(
            key.open("u1/flickr", "{\"token\":1}").unwrap(),
            "{\"token\":1}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private_and_a_wrong_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(dir.path());
        SecretKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, b"short").unwrap();
        let err = SecretKey::load_or_create(&path).err().unwrap().to_string();
        assert!(err.contains("32 bytes"), "{err}");
    }
}
