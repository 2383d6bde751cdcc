//! The SRP-6a variant Apple's `signin/init` + `signin/complete` speak
//! (PROTOCOL.md §1.3): RFC 5054's 2048-bit group, SHA-256, an empty user name
//! in `x` but the account name in `M1`, and a password first stretched with
//! PBKDF2 (`s2k` or `s2k_fo`). Public so the vectors can be checked from tests.
//!
//! Apple never sees the password: it sees `A`, and the proofs `M1`/`M2`.

use hmac::{KeyInit, Mac};
use num_bigint::BigUint;
use num_traits::Zero;
use sha2::{Digest, Sha256};

/// RFC 5054's 2048-bit prime, the group Apple uses (g = 2).
const N_HEX: &str = "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73";

/// Byte length of N: every `PAD()` pads to this.
const L: usize = 256;

/// How the server wants the password stretched (`protocol` of `signin/init`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// PBKDF2 over the raw SHA-256 of the password.
    S2k,
    /// PBKDF2 over the lowercase hex of the SHA-256 of the password.
    S2kFo,
}

impl Protocol {
    /// Parses the server's `protocol` field.
    pub fn parse(name: &str) -> Option<Protocol> {
        match name {
            "s2k" => Some(Protocol::S2k),
            "s2k_fo" => Some(Protocol::S2kFo),
            _ => None,
        }
    }
}

/// What the client sends in `signin/complete`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proofs {
    /// The client's proof, sent as `m1`.
    pub m1: [u8; 32],
    /// `H(A ‖ M1 ‖ K)`, sent as `m2`.
    pub m2: [u8; 32],
    /// The shared session key (not sent; exposed for tests).
    pub key: [u8; 32],
}

/// One client side of a handshake: the private `a` and public `A`.
pub struct SrpClient {
    a: BigUint,
    a_pub: BigUint,
}

impl std::fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrpClient").finish_non_exhaustive()
    }
}

fn n() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N is valid hex")
}

fn g() -> BigUint {
    BigUint::from(2u32)
}

fn pad(x: &BigUint) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    let mut out = vec![0u8; L.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes);
    out
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The salt as pysrp writes it (via an integer): leading zero bytes dropped.
fn salt_bytes(salt: &[u8]) -> &[u8] {
    let first = salt.iter().position(|&b| b != 0).unwrap_or(salt.len());
    &salt[first..]
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output (one block).
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(password)
        .expect("HMAC takes keys of any length");
    let mut first = mac.clone();
    first.update(salt);
    first.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = first.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut next = mac.clone();
        next.update(&u);
        u = next.finalize().into_bytes().into();
        for (o, b) in out.iter_mut().zip(u.iter()) {
            *o ^= b;
        }
    }
    out
}

/// `P`: the stretched password the verifier was made from.
pub fn derive_password(
    password: &str,
    protocol: Protocol,
    salt: &[u8],
    iterations: u32,
) -> [u8; 32] {
    let digest = sha256(&[password.as_bytes()]);
    let input: Vec<u8> = match protocol {
        Protocol::S2k => digest.to_vec(),
        Protocol::S2kFo => keepsake_core::hex_encode(&digest).into_bytes(),
    };
    pbkdf2_sha256(&input, salt, iterations)
}

/// `x = H(salt ‖ H(":" ‖ P))` (the user name before the colon is empty).
pub fn compute_x(derived: &[u8], salt: &[u8]) -> [u8; 32] {
    let inner = sha256(&[b":", derived]);
    sha256(&[salt_bytes(salt), &inner])
}

impl SrpClient {
    /// A fresh handshake with a random 256-bit `a`.
    pub fn random() -> SrpClient {
        let mut a = [0u8; 32];
        rand::Rng::fill(&mut rand::thread_rng(), &mut a[..]);
        SrpClient::with_private(&a)
    }

    /// A handshake with a given `a` (big-endian bytes), for test vectors.
    pub fn with_private(a: &[u8]) -> SrpClient {
        let a = BigUint::from_bytes_be(a);
        let a_pub = g().modpow(&a, &n());
        SrpClient { a, a_pub }
    }

    /// `A` as sent in `signin/init` (minimal big-endian; base64 it).
    pub fn public_a(&self) -> Vec<u8> {
        self.a_pub.to_bytes_be()
    }

    /// Computes `M1`, `M2` and `K` for the server's `B`.
    pub fn proofs(
        &self,
        account_name: &str,
        password: &str,
        protocol: Protocol,
        salt: &[u8],
        iterations: u32,
        b_pub: &[u8],
    ) -> Result<Proofs, String> {
        let n = n();
        let b = BigUint::from_bytes_be(b_pub);
        if (&b % &n).is_zero() {
            return Err("the server's B is 0 mod N".into());
        }
        let k = BigUint::from_bytes_be(&sha256(&[&n.to_bytes_be(), &pad(&g())]));
        let u = BigUint::from_bytes_be(&sha256(&[&pad(&self.a_pub), &pad(&b)]));
        if u.is_zero() {
            return Err("the scrambler u is 0".into());
        }
        let derived = derive_password(password, protocol, salt, iterations);
        let x = BigUint::from_bytes_be(&compute_x(&derived, salt));
        let gx = g().modpow(&x, &n);
        let kgx = (k * gx) % &n;
        // B - k·g^x, kept non-negative modulo N.
        let base = ((&b % &n) + &n - kgx) % &n;
        let s = base.modpow(&(&self.a + u * x), &n);
        let key = sha256(&[&s.to_bytes_be()]);

        let hn = sha256(&[&n.to_bytes_be()]);
        let hg = sha256(&[&pad(&g())]);
        let mut hng = [0u8; 32];
        for i in 0..32 {
            hng[i] = hn[i] ^ hg[i];
        }
        let hi = sha256(&[account_name.as_bytes()]);
        let a_bytes = self.a_pub.to_bytes_be();
        let m1 = sha256(&[
            &hng,
            &hi,
            salt_bytes(salt),
            &a_bytes,
            &b.to_bytes_be(),
            &key,
        ]);
        let m2 = sha256(&[&a_bytes, &m1, &key]);
        Ok(Proofs { m1, m2, key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_rfc7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64), first 32 bytes.
        let out = pbkdf2_sha256(b"passwd", b"salt", 1);
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn a_zero_b_is_refused() {
        let client = SrpClient::with_private(&[7; 32]);
        let err = client
            .proofs("x", "y", Protocol::S2k, b"salt", 1, &n().to_bytes_be())
            .unwrap_err();
        assert!(err.contains("B"), "{err}");
    }
}
