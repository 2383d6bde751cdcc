//! The server half of Apple's SRP-6a variant (RFC 5054 2048-bit group, SHA-256,
//! PBKDF2 password key, empty username in `x` but the account name in `M1`),
//! written from the protocol facts alone so the fake shares no code with the
//! client: a client that derives the password key or the proof wrongly is
//! refused here exactly as Apple would refuse it.

use hmac::{KeyInit, Mac};
use num_bigint::BigUint;
use num_traits::Zero;
use sha2::{Digest, Sha256};

/// RFC 5054 2048-bit group prime.
const N_HEX: &str = "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73";

/// Byte length of N: every padded value is this long.
const L: usize = 256;

/// How the password becomes PBKDF2 input (chosen per account, announced in
/// `signin/init`'s `protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrpProtocol {
    /// `p = SHA256(password)` (32 raw bytes).
    S2k,
    /// `p = lowercase hex of SHA256(password)` (64 ASCII bytes).
    S2kFo,
}

impl SrpProtocol {
    /// The name Apple sends in `protocol`.
    pub fn name(self) -> &'static str {
        match self {
            SrpProtocol::S2k => "s2k",
            SrpProtocol::S2kFo => "s2k_fo",
        }
    }
}

pub(crate) fn n() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N is hex")
}

pub(crate) fn g() -> BigUint {
    BigUint::from(2u32)
}

pub(crate) fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// Left-zero-pads to the byte length of N.
pub(crate) fn pad(x: &BigUint) -> Vec<u8> {
    let b = x.to_bytes_be();
    let mut out = vec![0u8; L.saturating_sub(b.len())];
    out.extend_from_slice(&b);
    out
}

/// Minimal big-endian bytes (what pysrp hashes for A, B and S).
pub(crate) fn bytes(x: &BigUint) -> Vec<u8> {
    x.to_bytes_be()
}

pub(crate) fn k() -> BigUint {
    BigUint::from_bytes_be(&sha256(&[&bytes(&n()), &pad(&g())]))
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output: one block, so one chain.
pub(crate) fn pbkdf2_sha256_32(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let keyed = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(password).expect("any key length");
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize().into_bytes().into();
    let mut t = u;
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        for (ti, ui) in t.iter_mut().zip(u.iter()) {
            *ti ^= ui;
        }
    }
    t
}

/// The password key P that goes into `x`.
pub(crate) fn password_key(
    protocol: SrpProtocol,
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> [u8; 32] {
    let digest = sha256(&[password.as_bytes()]);
    let p = match protocol {
        SrpProtocol::S2k => digest,
        SrpProtocol::S2kFo => digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into_bytes(),
    };
    pbkdf2_sha256_32(&p, salt, iterations)
}

/// `x = H(salt || H(":" || P))`: Apple leaves the username out of `x`.
pub(crate) fn x(salt: &[u8], key: &[u8]) -> BigUint {
    let inner = sha256(&[b":", key]);
    BigUint::from_bytes_be(&sha256(&[salt, &inner]))
}

/// The verifier the server stores instead of the password.
pub(crate) fn verifier(
    protocol: SrpProtocol,
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> BigUint {
    let key = password_key(protocol, password, salt, iterations);
    g().modpow(&x(salt, &key), &n())
}

/// `B = k·v + g^b mod N`.
pub(crate) fn server_public(v: &BigUint, b: &BigUint) -> BigUint {
    let n = n();
    (k() * v + g().modpow(b, &n)) % &n
}

pub(crate) fn u(a_pub: &BigUint, b_pub: &BigUint) -> BigUint {
    BigUint::from_bytes_be(&sha256(&[&pad(a_pub), &pad(b_pub)]))
}

/// What the server derives on `signin/complete` and the proofs it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proofs {
    pub s: BigUint,
    pub key: Vec<u8>,
    pub m1: Vec<u8>,
    pub m2: Vec<u8>,
}

/// The server side: `S = (A·v^u)^b`, `K = H(S)`, then M1 and M2 as the client
/// must have computed them. `None` when A is degenerate (`A mod N == 0`) or
/// `u == 0`: a real server refuses those outright.
pub(crate) fn server_proofs(
    account_name: &str,
    salt: &[u8],
    v: &BigUint,
    b: &BigUint,
    a_pub: &BigUint,
) -> Option<Proofs> {
    let n = n();
    if (a_pub % &n).is_zero() {
        return None;
    }
    let b_pub = server_public(v, b);
    let u = u(a_pub, &b_pub);
    if u.is_zero() {
        return None;
    }
    let s = (a_pub * v.modpow(&u, &n)).modpow(b, &n);
    let key = sha256(&[&bytes(&s)]);
    let hn = sha256(&[&bytes(&n)]);
    let hg = sha256(&[&pad(&g())]);
    let xor: Vec<u8> = hn.iter().zip(hg.iter()).map(|(a, b)| a ^ b).collect();
    let m1 = sha256(&[
        &xor,
        &sha256(&[account_name.as_bytes()]),
        salt,
        &bytes(a_pub),
        &bytes(&b_pub),
        &key,
    ]);
    let m2 = sha256(&[&bytes(a_pub), &m1, &key]);
    Some(Proofs { s, key, m1, m2 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .expect("base64")
    }

    fn hex(s: &str) -> BigUint {
        BigUint::parse_bytes(s.as_bytes(), 16).expect("hex")
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    // srp-mock-server-vectors.json (generated for the research notes): user
    // mock.user@example.com, password "correct horse battery staple".
    const USER: &str = "mock.user@example.com";
    const PASSWORD: &str = "correct horse battery staple";
    const SALT: &str = "foI2z4yTi2LkZ+Wrr7HFEQ==";
    const ITERATIONS: u32 = 20433;
    const A_PUB: &str = "HwF19XUjkEP2OU1wZIK/UHHI8SaFMHMVnrPJrZPpix7ON9DwloKIoqweaTX+2Pcy2HyV/f3vNCqvLxmRDIGNehRVMTq30C2rayOQntrx5XLpg1oACfDmtQdujlaHLg2k+xFRZ16oGtOv0ftxA4Z/UdyZheLHkn8dDTaomFd/NPOF8KSDkXTwS0FT5C6UkHpJBOeidFrw3qyjA4fc62Kng26ogkAlCpsFDHJx6Cw9FO+w6pj9Se391xvQsQzSRAOeP+1b9nMIT7J4h28+AaQ8VRuahSeiEMBCtJmrvb64AdDXQ+CCYwZOS8exwPa4914quWXOu4Js8feFdtNbOEbtmg==";
    const B_PRIV: &str = "9c60da6d5d96480d09f56ab48a8e1164356afa246a5a1c12ad3f7f84f137f5ae";
    const K_HEX: &str = "5b9e8ef059c6b32ea59fc1d322d37f04aa30bae5aa9003b8321e21ddb04e300";

    struct Vector {
        protocol: SrpProtocol,
        p_hex: &'static str,
        x_hex: &'static str,
        v: &'static str,
        b_pub: &'static str,
        u_hex: &'static str,
        s_hex: &'static str,
        key: &'static str,
        m1: &'static str,
        m2: &'static str,
    }

    const VECTORS: [Vector; 2] = [
        Vector {
            protocol: SrpProtocol::S2k,
            p_hex: "f60cd289fc2d28e10b06150c50589280934026658a0058ed630aba46ce0d972e",
            x_hex: "f46083f6bf95a00933cd55a4e6ae28e7ba472e1bf1ce6974ce74d93636711346",
            v: "EkgkD4t5u2EmSe83t4pcXklo8V1HGwPQUUoYh88CVIaj/bOZPZgu3u/yu3vbUbSa/G3LZuFyRe8S2pHHhOL/P8uHxejBneBhbPFCATzRCQJxcj/6tB9kkbTmb8SLo2UQ9op8hJudOFqa2/ouwZ5m+Xj5Vc+CpYe4TBu6mVH+Ov5E/Wt8/ZIiYD35YzZq285gSWU4n3o39T/TEfP6V3qSEit1JqIbDnvPft1JBxv1mE+gKfZLiRzcNRHPTGRmpxlYeAZRQWAv2JmgA/GeelXbl2hLLjf8OgJKxnhcz48ge/xqHN3s5W+/mryOava+lxNBb+mhcEWEMDgVdvXQtieIow==",
            b_pub: "clqoGNa2qImC3M4KNc0LIJVvngk1nPWQNOamdM/38Sc8nwlZ8+tVnEaPvvK6t2aIliGE4ztrmla9bl00hk0ebJAzg7D5VCM91xctB40t5IUKcA48HsMykjNaV5B8pskb27Nw2VJ5S4T/SYQOJnYnbL6DnDaog1ItuCi6ngxdGQMjnJPH+jwrvXn1Nj2n3hfV8CuRaWAFPEgx+KKTJUecTJ/T2UGIB3cWMPbE5c02sMhUd+V2Ou+fOw67R6SQPVnP3wlwWifUIuYiD5sWHOQolEzdeLgNGPPc8ZMjbNLmxNfZErWIghU1YOR3gABybSPb4SgjySP1XxJnA29Mat++Hw==",
            u_hex: "8cf738a381bfbbe73d4cfc0db269b0a3d848525eca2788efcf4de45e8b6f6bc3",
            s_hex: "c32d9e1acffc97e39f24ae434c19c02f0fda9fcd691abbc8c246d374c030e9e3e7099624123badf0fc011c2b5f205aee78df6a0c93b3038f8ddf7809d00dbcd1c41aff2998807d3f9a521f7a3a057a9a215643dae4dc504ac2e0e93007c56943d5e58a01034783984d04edcfa6b31b17496d94ca05804dadb34ba0dda920aaaa99d733e00fc1e9ca745aaf41177a99c98bd298c9ac5688140ac8acb531a29db97d4c56b3ff29b70adbca6bc82a693502cafba3583f10becff44ea4f4fea8ed543ad1ef40681639f5f65eb1a0107ad826d7310084ec97702b48a390d9949f30a9e13667029d1142894edb65993c26c73575c94200d633b107435a9228d6bbc7",
            key: "NAZ8mDmshpqGVMVQGrwstFjyewMHcFOjBb+vl98jqvI=",
            m1: "T8g+E02UOfqqjz6EXRzHZnu4YddfVww6T6Qeqlnz02k=",
            m2: "fI/9tDgisUb1+4zoghR3JVuqXugF7cY7NtE9xc7w2VE=",
        },
        Vector {
            protocol: SrpProtocol::S2kFo,
            p_hex: "7ba8376b1ae9881f7aaecb8dff5d253682ed2fe54f6201f5002ecd5892601b1f",
            x_hex: "6ed39d4f61409787685e00a74434906cc48535d5fe7eeffc9693e0c992203e75",
            v: "NucrF1RTRXtF9oOsRX/KvVJ6WTaF7NQsqzCwEuOOueu9sFqXk16CQmpYamlL/Venn48BHV4D6v9dRoIyuNWV10bO/7Ru+szz3wAAk7djIcR4JVnPAxNDeKPCERkdesAubd0ZSK76uqDxKQw0V7TvD6Dt/fhi1cEqizM2QvK59TzbxUi3WV6h5lVhW9rH5FYn/kvPm7RjBluskudPrHlX1ZZDt71OtlLtDND/gTPWfUgiEYPyyCI2c1BdD1JCLQdOPygEFjgOTTWfSmtaXUemrTegDEEw674h0J5J7Nb9a1dufU9RDm5lA5408/tfHArxMJapp/Vcmu82TIUg1lK+Dg==",
            b_pub: "h5FVNmu9VyeSowai34gLKzUs642VIbRo4/hZrJekv3WEF6ZQrlJy9H5mAOY8aCqgSrFbYf9Zix3nkBTkSM4AULkyYkK21Lhgl+wsoZp5vKSObpF9GcSg8xz9nfbwS+nT5EstCT5zMNbtlp1WEj8A8JENJboIFJ0G7JEsUJ+48/f9m2gsQvKRe++gGq0eqbhTAASCX9jzTwmEHBB7UgxHU9khxiz3H/6OTXmI6tCrMOJ4+z6uGlAumznBu4hbIUtnaptbU9Qsy3nwEGYxodVcldzS5nLJKwWTlqoBQA7dWy6fA4ntpicSSirq/lsFTR6rv3nu36jW7rPavRd+rygGCg==",
            u_hex: "43ba2b04cdb3a12f5ede632c91cfdfeee9a0eac99560801b84d6aa2d5753057a",
            s_hex: "273195815cd956d7d390b6a5684d01d6c89ed40b7165d7dd72bfe74f6b6ebe2f808e9004082759cd88e0de9b10ac3e0012e83d4d0e67fee39df32d8abc7682a65598ae73440f7f34410b177da65a526953056b79d8f8543123d2de072ccf3418f4195be6303eae6b1c5ad3c83685cf432bcaf1ebb249030bd89a4b69578b63232aaf0e154e0ccb7e7b9da74b7dda9ca36ec107036a0bf99003aa008095bbdd2e542b265c6bebe8c1621515a4a2b525bf4509391951761c9e2e25fc3ce6da0c00fc468d8f3c458085b9a75d6a2845098788389fde7883d46d34d9597e2a52a634037cc91d59c790b27ff3fad00346fc3def0e50905b50bd1c55405c628c52c7cf",
            key: "2cVcgNH14X4mnFoJHrkVx62IXCWufNRh2se0UQV2ySM=",
            m1: "gpgnc/X3FdWYqxAAK9iJptTBxiTX7gWbuksxfburYpI=",
            m2: "C/2DMtRXON9WW5Wwzce+2g/Jd1Tk30yGC9p2WxZ7v3Q=",
        },
    ];

    #[test]
    fn k_matches_the_vectors() {
        assert_eq!(k(), hex(K_HEX));
    }

    #[test]
    fn password_key_and_verifier_match_the_vectors() {
        let salt = b64(SALT);
        for v in &VECTORS {
            let key = password_key(v.protocol, PASSWORD, &salt, ITERATIONS);
            assert_eq!(hex_of(&key), v.p_hex, "{:?}", v.protocol);
            assert_eq!(x(&salt, &key), hex(v.x_hex), "{:?}", v.protocol);
            let ver = verifier(v.protocol, PASSWORD, &salt, ITERATIONS);
            assert_eq!(ver.to_bytes_be(), b64(v.v), "{:?}", v.protocol);
        }
    }

    #[test]
    fn server_side_matches_the_vectors_given_b_and_v() {
        let salt = b64(SALT);
        let a_pub = BigUint::from_bytes_be(&b64(A_PUB));
        let b = hex(B_PRIV);
        for v in &VECTORS {
            let ver = BigUint::from_bytes_be(&b64(v.v));
            let b_pub = server_public(&ver, &b);
            assert_eq!(b_pub.to_bytes_be(), b64(v.b_pub), "B {:?}", v.protocol);
            assert_eq!(u(&a_pub, &b_pub), hex(v.u_hex), "u {:?}", v.protocol);
            let proofs = server_proofs(USER, &salt, &ver, &b, &a_pub).expect("proofs");
            assert_eq!(proofs.s, hex(v.s_hex), "S {:?}", v.protocol);
            assert_eq!(proofs.key, b64(v.key), "K {:?}", v.protocol);
            assert_eq!(proofs.m1, b64(v.m1), "M1 {:?}", v.protocol);
            assert_eq!(proofs.m2, b64(v.m2), "M2 {:?}", v.protocol);
        }
    }

    #[test]
    fn another_account_name_changes_m1() {
        let salt = b64(SALT);
        let a_pub = BigUint::from_bytes_be(&b64(A_PUB));
        let ver = BigUint::from_bytes_be(&b64(VECTORS[0].v));
        let proofs =
            server_proofs("other@example.com", &salt, &ver, &hex(B_PRIV), &a_pub).expect("proofs");
        assert_ne!(proofs.m1, b64(VECTORS[0].m1));
    }

    #[test]
    fn degenerate_a_is_refused() {
        let salt = b64(SALT);
        let ver = BigUint::from_bytes_be(&b64(VECTORS[0].v));
        assert!(server_proofs(USER, &salt, &ver, &hex(B_PRIV), &n()).is_none());
        assert!(server_proofs(USER, &salt, &ver, &hex(B_PRIV), &BigUint::zero()).is_none());
    }
}
