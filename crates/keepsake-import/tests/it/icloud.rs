//! The iCloud client: SRP against published vectors, the download checksum
//! rule, record parsing, and the sign-in, listing and download flows against
//! a tiny local stand-in for Apple's servers (real HTTP on loopback). The
//! full fake iCloud lives in keepsake-testkit; this one has just enough to
//! exercise each behaviour here.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keepsake_core::import::{Source, SourceDate, SourceError};
use keepsake_import::icloud::srp::{self, Protocol, SrpClient};
use keepsake_import::icloud::{
    EditPolicy, IcloudClient, IcloudConfig, IcloudError, IcloudOptions, IcloudSource, MfaMethod,
    PhotoList, ResourceChecksum, SessionState, SharedPolicy, SignIn, Zone, file_checksum,
    parse_photos,
};
use num_bigint::BigUint;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------
// SRP vectors (facts from icloud-photos-sync's tests and the research's
// generated mock-server set, PROTOCOL.md §1.3).

struct IcpsVector {
    username: &'static str,
    password: &'static str,
    a_decimal: &'static str,
    a_pub: &'static str,
    protocol: &'static str,
    salt: &'static str,
    iterations: u32,
    b_pub: &'static str,
    m1: &'static str,
    m2: &'static str,
}

struct MockVector {
    protocol: &'static str,
    password: &'static str,
    username: &'static str,
    salt: &'static str,
    p_hex: &'static str,
    x_hex: &'static str,
    v: &'static str,
    a_hex: &'static str,
    a_pub: &'static str,
    b_hex: &'static str,
    b_pub: &'static str,
    k: &'static str,
    m1: &'static str,
    m2: &'static str,
    iterations: u32,
}

/// icloud-photos-sync's SRP vectors (two captured from Apple's server): username, password,
/// private a (decimal), A, protocol, salt, iterations, B, M1, M2.
const ICPS_VECTORS: &[IcpsVector] = &[
    IcpsVector {
        username: "test@icloud.com",
        password: "testPass",
        a_decimal: "6890458421263271134402527905664023128970574238401735181316208349130294425194030272923176221123175111284410050105182012064914615638511118563376424410396077247837630491042390822875998544481905612640532561392642924163293659547193862696423841442804628972455159653749138002018339462790408400886651675191363385673445972792553929882924537345001389984703219186419763085040666451273997938784751676125533921014699362104900250769969879686062041867725344554417256951627285212117165488519048563216749723980304928707578373512896620687974942485614711667338735298519701374178873163381284898575130291172102593207323106341652628126448",
        a_pub: "ZkV+rXv+QSLrX5QowT1kXhGsnAf3eOwcD+N0erUBK1iCSRgKWgn/bBh4CvcYpmWm7zDgIRvFpwoxhrZxbHZYHzGaikwcTiJ/bdOWs/7cNatUuGy5d94YjMLZ0QIsSBSZq7OgO9Q5LU6QBW/fp6Z6qfNB3Rq03tCitZ6IU4JzqePbTNhor7eHiOl3OdTcwtFLaa6xrEVxBFkEN5PQOpnohSLWJmpqI8lpDkhePHENTkRZakwZARQhmNZ7aUbF+mBRR9v6PcQKDoDaXQuA4HOD2Gx6gwUfvLwq8yyPFf5RIUeVqIZIb7qvI32vR6iBhD6eKQgnAYbv8MooA+JDtk77ow==",
        protocol: "s2k",
        salt: "foI2z4yTi2LkZ+Wrr7HFEQ==",
        iterations: 20403,
        b_pub: "MpKgjml5xFojqbBERp8Rl0GpHzdHhuiNIEkCx9tl0Wpk4zo5MxhTC34b0HnUXPCtIlHTWUUz00n2JyhySIQ+SGprKa/wkod8NzxjeorKuOx/+wsPqS/jZTfb8i9t5iW5lVB7eROg8QYB4gsIn8Bk9zWYExFuuPgL1iYAthYHOlmwAKqsRDX/gSumv0TznUGp9GDrhd9MSXrfIBAY2GN5LPNMR7N84h76PRLF7BgNff7BwC2YLOHVccDb9Axkl5CEuvRxEHx454ju7DtUdinFlZRT7zo4DnLv9msUCubl6djnz/ojhsK+apEw6nHJGT+NhNUsMimfS2Ci4gzTdkey0Q==",
        m1: "coyV+RHVthWQnlSLUkKhacb66BZSYknWk4Qor/mdoXk=",
        m2: "w33fr1kA6h+CNOILqTdVfprACbbZiIWNuh6gGHICfgA=",
    },
    IcpsVector {
        username: "test@icloud.com",
        password: "testPass",
        a_decimal: "4583464597706057374074568200686733333845316356957220074367768845250116954003020789631509921160041128250281115189321084127530556466418206894891765906279948360470987821066372075131278941770946795626302727478894190131926680682722191273867216250892152543053567943074039877468968328059297735718354983367158283181087322686097141645793870364626344374302246144622606785340696269402880773974149060918050546459694416131751963256042025191510245022814863735411041522861008849293340319607550193092573656363442241160172566724626024492443228367796159771603009300820441703601914229690671456525732449870676671357654372201494514766191",
        a_pub: "PiY5BMLVXefOjGLtyIW7kpczDJ1xnQa3Re10mramFNJxbpGoZGIIpp/Kt95pUaptMnI93vMs6SiUdUe1956SNjywGCO1HpXepYM9jbDtmaKRrBCoDF8JuCuzPdfYklBY2LfkdjHhDFc0PgosI8CFJ1Rv55fTmGgTkWACQjvjJRU9n1uYqSwej8R3xHy2v0VkT6oRYDm7ZXaiUnI2k9nuVgrD20M2vVzGc6an+Kb3BFYB0BqfqqMGiYkTKAvkc8ohOL54q1HKVAYKdR8KnUQRjSiEGbvVhpvJJc+YSYlrEs6st24IbH7EWyHweoCAHP6soVqtp1DX6ncQxm3iJ9Nwsw==",
        protocol: "s2k",
        salt: "foI2z4yTi2LkZ+Wrr7HFEQ==",
        iterations: 20403,
        b_pub: "b44vF54k7KDvvfIeQyEUk90ahsajSqdEv/4kiv/CdPGk0Wf3oVMlGfdrdZtAUrYWD6jzVc4BKbkqsIwZFK7v5o7/bYxYgzllPG5LXO0Ve5Zs4DgZPjFNzb9Ky7kFtC8gl7D5dKmGTxwwiEPRvE6SlmUWOhHTUg2q3EN7cRXV8HkdrYkNONT4ndHKHEuMV6BlVGuNdYDGMSOGidVK1uW1MwxRIzKWZSJLmF4PzUuvT89QWoFzNbDlVRc2R6Xa+sqjMUC9GM5UKcdug9RMLgj7xNXg5HR3HgVyCMe22woaYhpLP1Ak/VpOknXmnBKvEtWu2TIQggEof8CeqasYM8G8qw==",
        m1: "c7xNNtQ02CHddhMYWL8AyB9jRmztWI0qfS/kNSI3by8=",
        m2: "yG2kI90zLXED2pa6BmrAo9J7Ux2qiv6y/GtkblxsZhU=",
    },
    IcpsVector {
        username: "test@icloud.com",
        password: "testPass",
        a_decimal: "4583464597706057374074568200686733333845316356957220074367768845250116954003020789631509921160041128250281115189321084127530556466418206894891765906279948360470987821066372075131278941770946795626302727478894190131926680682722191273867216250892152543053567943074039877468968328059297735718354983367158283181087322686097141645793870364626344374302246144622606785340696269402880773974149060918050546459694416131751963256042025191510245022814863735411041522861008849293340319607550193092573656363442241160172566724626024492443228367796159771603009300820441703601914229690671456525732449870676671357654372201494514766191",
        a_pub: "PiY5BMLVXefOjGLtyIW7kpczDJ1xnQa3Re10mramFNJxbpGoZGIIpp/Kt95pUaptMnI93vMs6SiUdUe1956SNjywGCO1HpXepYM9jbDtmaKRrBCoDF8JuCuzPdfYklBY2LfkdjHhDFc0PgosI8CFJ1Rv55fTmGgTkWACQjvjJRU9n1uYqSwej8R3xHy2v0VkT6oRYDm7ZXaiUnI2k9nuVgrD20M2vVzGc6an+Kb3BFYB0BqfqqMGiYkTKAvkc8ohOL54q1HKVAYKdR8KnUQRjSiEGbvVhpvJJc+YSYlrEs6st24IbH7EWyHweoCAHP6soVqtp1DX6ncQxm3iJ9Nwsw==",
        protocol: "s2k_fo",
        salt: "foI2z4yTi2LkZ+Wrr7HFEQ==",
        iterations: 20403,
        b_pub: "b44vF54k7KDvvfIeQyEUk90ahsajSqdEv/4kiv/CdPGk0Wf3oVMlGfdrdZtAUrYWD6jzVc4BKbkqsIwZFK7v5o7/bYxYgzllPG5LXO0Ve5Zs4DgZPjFNzb9Ky7kFtC8gl7D5dKmGTxwwiEPRvE6SlmUWOhHTUg2q3EN7cRXV8HkdrYkNONT4ndHKHEuMV6BlVGuNdYDGMSOGidVK1uW1MwxRIzKWZSJLmF4PzUuvT89QWoFzNbDlVRc2R6Xa+sqjMUC9GM5UKcdug9RMLgj7xNXg5HR3HgVyCMe22woaYhpLP1Ak/VpOknXmnBKvEtWu2TIQggEof8CeqasYM8G8qw==",
        m1: "NwPNryBXly69Pj+iD1+lJ6lAPdJm8y7rzrif7YaVYH8=",
        m2: "ScB+7V2jYsBaErwh7Ll/RFWHkOZZIgg0atsbFqreNf0=",
    },
];

/// Vectors generated for mock servers: with P, x, v, b, u, S and K as well.
const MOCK_VECTORS: &[MockVector] = &[
    MockVector {
        protocol: "s2k",
        password: "correct horse battery staple",
        username: "mock.user@example.com",
        salt: "foI2z4yTi2LkZ+Wrr7HFEQ==",
        p_hex: "f60cd289fc2d28e10b06150c50589280934026658a0058ed630aba46ce0d972e",
        x_hex: "f46083f6bf95a00933cd55a4e6ae28e7ba472e1bf1ce6974ce74d93636711346",
        v: "EkgkD4t5u2EmSe83t4pcXklo8V1HGwPQUUoYh88CVIaj/bOZPZgu3u/yu3vbUbSa/G3LZuFyRe8S2pHHhOL/P8uHxejBneBhbPFCATzRCQJxcj/6tB9kkbTmb8SLo2UQ9op8hJudOFqa2/ouwZ5m+Xj5Vc+CpYe4TBu6mVH+Ov5E/Wt8/ZIiYD35YzZq285gSWU4n3o39T/TEfP6V3qSEit1JqIbDnvPft1JBxv1mE+gKfZLiRzcNRHPTGRmpxlYeAZRQWAv2JmgA/GeelXbl2hLLjf8OgJKxnhcz48ge/xqHN3s5W+/mryOava+lxNBb+mhcEWEMDgVdvXQtieIow==",
        a_hex: "92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba",
        a_pub: "HwF19XUjkEP2OU1wZIK/UHHI8SaFMHMVnrPJrZPpix7ON9DwloKIoqweaTX+2Pcy2HyV/f3vNCqvLxmRDIGNehRVMTq30C2rayOQntrx5XLpg1oACfDmtQdujlaHLg2k+xFRZ16oGtOv0ftxA4Z/UdyZheLHkn8dDTaomFd/NPOF8KSDkXTwS0FT5C6UkHpJBOeidFrw3qyjA4fc62Kng26ogkAlCpsFDHJx6Cw9FO+w6pj9Se391xvQsQzSRAOeP+1b9nMIT7J4h28+AaQ8VRuahSeiEMBCtJmrvb64AdDXQ+CCYwZOS8exwPa4914quWXOu4Js8feFdtNbOEbtmg==",
        b_hex: "9c60da6d5d96480d09f56ab48a8e1164356afa246a5a1c12ad3f7f84f137f5ae",
        b_pub: "clqoGNa2qImC3M4KNc0LIJVvngk1nPWQNOamdM/38Sc8nwlZ8+tVnEaPvvK6t2aIliGE4ztrmla9bl00hk0ebJAzg7D5VCM91xctB40t5IUKcA48HsMykjNaV5B8pskb27Nw2VJ5S4T/SYQOJnYnbL6DnDaog1ItuCi6ngxdGQMjnJPH+jwrvXn1Nj2n3hfV8CuRaWAFPEgx+KKTJUecTJ/T2UGIB3cWMPbE5c02sMhUd+V2Ou+fOw67R6SQPVnP3wlwWifUIuYiD5sWHOQolEzdeLgNGPPc8ZMjbNLmxNfZErWIghU1YOR3gABybSPb4SgjySP1XxJnA29Mat++Hw==",
        k: "NAZ8mDmshpqGVMVQGrwstFjyewMHcFOjBb+vl98jqvI=",
        m1: "T8g+E02UOfqqjz6EXRzHZnu4YddfVww6T6Qeqlnz02k=",
        m2: "fI/9tDgisUb1+4zoghR3JVuqXugF7cY7NtE9xc7w2VE=",
        iterations: 20433,
    },
    MockVector {
        protocol: "s2k_fo",
        password: "correct horse battery staple",
        username: "mock.user@example.com",
        salt: "foI2z4yTi2LkZ+Wrr7HFEQ==",
        p_hex: "7ba8376b1ae9881f7aaecb8dff5d253682ed2fe54f6201f5002ecd5892601b1f",
        x_hex: "6ed39d4f61409787685e00a74434906cc48535d5fe7eeffc9693e0c992203e75",
        v: "NucrF1RTRXtF9oOsRX/KvVJ6WTaF7NQsqzCwEuOOueu9sFqXk16CQmpYamlL/Venn48BHV4D6v9dRoIyuNWV10bO/7Ru+szz3wAAk7djIcR4JVnPAxNDeKPCERkdesAubd0ZSK76uqDxKQw0V7TvD6Dt/fhi1cEqizM2QvK59TzbxUi3WV6h5lVhW9rH5FYn/kvPm7RjBluskudPrHlX1ZZDt71OtlLtDND/gTPWfUgiEYPyyCI2c1BdD1JCLQdOPygEFjgOTTWfSmtaXUemrTegDEEw674h0J5J7Nb9a1dufU9RDm5lA5408/tfHArxMJapp/Vcmu82TIUg1lK+Dg==",
        a_hex: "92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba92ca7eed144364dc9d2f3d18c9680412b3c9595ac3bfafb91c1c5519f5e317ba",
        a_pub: "HwF19XUjkEP2OU1wZIK/UHHI8SaFMHMVnrPJrZPpix7ON9DwloKIoqweaTX+2Pcy2HyV/f3vNCqvLxmRDIGNehRVMTq30C2rayOQntrx5XLpg1oACfDmtQdujlaHLg2k+xFRZ16oGtOv0ftxA4Z/UdyZheLHkn8dDTaomFd/NPOF8KSDkXTwS0FT5C6UkHpJBOeidFrw3qyjA4fc62Kng26ogkAlCpsFDHJx6Cw9FO+w6pj9Se391xvQsQzSRAOeP+1b9nMIT7J4h28+AaQ8VRuahSeiEMBCtJmrvb64AdDXQ+CCYwZOS8exwPa4914quWXOu4Js8feFdtNbOEbtmg==",
        b_hex: "9c60da6d5d96480d09f56ab48a8e1164356afa246a5a1c12ad3f7f84f137f5ae",
        b_pub: "h5FVNmu9VyeSowai34gLKzUs642VIbRo4/hZrJekv3WEF6ZQrlJy9H5mAOY8aCqgSrFbYf9Zix3nkBTkSM4AULkyYkK21Lhgl+wsoZp5vKSObpF9GcSg8xz9nfbwS+nT5EstCT5zMNbtlp1WEj8A8JENJboIFJ0G7JEsUJ+48/f9m2gsQvKRe++gGq0eqbhTAASCX9jzTwmEHBB7UgxHU9khxiz3H/6OTXmI6tCrMOJ4+z6uGlAumznBu4hbIUtnaptbU9Qsy3nwEGYxodVcldzS5nLJKwWTlqoBQA7dWy6fA4ntpicSSirq/lsFTR6rv3nu36jW7rPavRd+rygGCg==",
        k: "2cVcgNH14X4mnFoJHrkVx62IXCWufNRh2se0UQV2ySM=",
        m1: "gpgnc/X3FdWYqxAAK9iJptTBxiTX7gWbuksxfburYpI=",
        m2: "C/2DMtRXON9WW5Wwzce+2g/Jd1Tk30yGC9p2WxZ7v3Q=",
        iterations: 20433,
    },
];
const N_HEX: &str = "AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73";

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    STANDARD.decode(text).expect("base64")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    BigUint::parse_bytes(text.as_bytes(), 16)
        .expect("hex")
        .to_bytes_be()
}

#[test]
fn srp_matches_icloud_photos_sync_vectors_for_s2k_and_s2k_fo() {
    for (i, v) in ICPS_VECTORS.iter().enumerate() {
        let a = BigUint::parse_bytes(v.a_decimal.as_bytes(), 10).expect("decimal a");
        let client = SrpClient::with_private(&a.to_bytes_be());
        assert_eq!(b64(&client.public_a()), v.a_pub, "A of vector {i}");
        let proofs = client
            .proofs(
                v.username,
                v.password,
                Protocol::parse(v.protocol).expect("protocol"),
                &unb64(v.salt),
                v.iterations,
                &unb64(v.b_pub),
            )
            .expect("proofs");
        assert_eq!(b64(&proofs.m1), v.m1, "M1 of vector {i} ({})", v.protocol);
        assert_eq!(b64(&proofs.m2), v.m2, "M2 of vector {i} ({})", v.protocol);
    }
}

#[test]
fn srp_matches_the_mock_server_vectors_step_by_step() {
    for v in MOCK_VECTORS {
        let protocol = Protocol::parse(v.protocol).expect("protocol");
        let salt = unb64(v.salt);
        let p = srp::derive_password(v.password, protocol, &salt, v.iterations);
        assert_eq!(hex(&p), v.p_hex, "P ({})", v.protocol);
        assert_eq!(
            hex(&srp::compute_x(&p, &salt)),
            v.x_hex,
            "x ({})",
            v.protocol
        );
        let client = SrpClient::with_private(&unhex(v.a_hex));
        assert_eq!(b64(&client.public_a()), v.a_pub);
        let proofs = client
            .proofs(
                v.username,
                v.password,
                protocol,
                &salt,
                v.iterations,
                &unb64(v.b_pub),
            )
            .expect("proofs");
        assert_eq!(b64(&proofs.key), v.k, "K ({})", v.protocol);
        assert_eq!(b64(&proofs.m1), v.m1, "M1 ({})", v.protocol);
        assert_eq!(b64(&proofs.m2), v.m2, "M2 ({})", v.protocol);
    }
    // s2k and s2k_fo stretch the same password differently.
    assert_ne!(MOCK_VECTORS[0].p_hex, MOCK_VECTORS[1].p_hex);
}

// ---------------------------------------------------------------------------
// Checksums (PROTOCOL.md §3.3).

/// The real 85,638-byte sample's `fileChecksum` (icloudpd cassette
/// `download_autodelete_photos_part1.yml`): 0x01 ‖ e61f32d9…63315.
const SAMPLE_CHECKSUM: &str = "AeYfMtlOMb3dM9bETic9fXkMpjMV";
const SAMPLE_PATH: &str = "/work/shared/reference/icloud/icloudpd-derived/download-sample/AeYfMtlOMb3dM9bETic9fXkMpjMV.jpeg";

#[test]
fn checksum_is_type_byte_and_salted_sha1() {
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut salted = Vec::from(&b"com.apple.XattrObjectSalt\0com.apple.DataObjectSalt\0"[..]);
    salted.extend_from_slice(&bytes);
    let mut expected = vec![0x01];
    expected.extend_from_slice(&sha1::Sha1::digest(&salted));
    assert_eq!(file_checksum(&bytes), b64(&expected));
    assert_eq!(unb64(&file_checksum(&bytes)).len(), 21);
    // Plain SHA-1 is not it.
    let mut plain = vec![0x01];
    plain.extend_from_slice(&sha1::Sha1::digest(&bytes));
    assert_ne!(file_checksum(&bytes), b64(&plain));
}

#[test]
fn checksum_of_the_real_sample_when_present() {
    let Ok(bytes) = std::fs::read(SAMPLE_PATH) else {
        return;
    };
    assert_eq!(bytes.len(), 85_638);
    assert_eq!(file_checksum(&bytes), SAMPLE_CHECKSUM);
    assert_eq!(
        hex(&unb64(SAMPLE_CHECKSUM)),
        "01e61f32d94e31bddd33d6c44e273d7d790ca63315"
    );
}

// ---------------------------------------------------------------------------
// Records, modelled on the recorded pages (§2.7).

fn enc(text: &str) -> Value {
    json!({"value": b64(text.as_bytes()), "type": "ENCRYPTED_BYTES"})
}

fn int(v: i64) -> Value {
    json!({"value": v, "type": "INT64"})
}

fn string(v: &str) -> Value {
    json!({"value": v, "type": "STRING"})
}

fn resource(url: &str, bytes: &[u8]) -> Value {
    json!({"value": {"fileChecksum": file_checksum(bytes), "size": bytes.len(),
        "wrappingKey": "k+e8PCUMkDF5KRnurRqH4g==", "referenceChecksum": "AeFBBYsTaK2qkoE8rGNy/XYzd9Tu",
        "downloadURL": url}, "type": "ASSETID"})
}

fn zone_id(zone: &str) -> Value {
    json!({"zoneName": zone, "ownerRecordName": "_bfc6dbbcc77b03e6cebefd28a28f7e2f", "zoneType": "REGULAR_CUSTOM_ZONE"})
}

fn master(name: &str, zone: &str, fields: Value) -> Value {
    json!({"recordName": name, "recordType": "CPLMaster", "fields": fields, "pluginFields": {},
        "recordChangeTag": "49lg", "created": {"timestamp": 1533021772096i64},
        "modified": {"timestamp": 1533021773000i64}, "deleted": false, "zoneID": zone_id(zone)})
}

fn asset(name: &str, master_name: &str, zone: &str, extra: Value) -> Value {
    let mut fields = json!({
        "assetDate": {"value": 1533021744816i64, "type": "TIMESTAMP"},
        "addedDate": {"value": 1533021746602i64, "type": "TIMESTAMP"},
        "timeZoneOffset": int(25200),
        "masterRef": {"value": {"recordName": master_name, "action": "DELETE_SELF", "zoneID": zone_id(zone)}, "type": "REFERENCE"},
        "isHidden": int(0), "isFavorite": int(0), "duration": int(0),
    });
    for (k, v) in extra.as_object().expect("object") {
        fields[k] = v.clone();
    }
    json!({"recordName": name, "recordType": "CPLAsset", "fields": fields, "pluginFields": {},
        "recordChangeTag": "49lh", "modified": {"timestamp": 1533021773041i64}, "deleted": false,
        "zoneID": zone_id(zone)})
}

const CDN: &str = "https://cvws.icloud-content.com/B/x/${f}?e=1";

#[test]
fn parses_a_live_photo_a_video_and_an_edited_screenshot() {
    let records = vec![
        master(
            "M1",
            "PrimarySync",
            json!({
                "filenameEnc": enc("IMG_7409.JPG"), "itemType": string("public.jpeg"),
                "resOriginalRes": resource(CDN, b"still"), "resOriginalFileType": string("public.jpeg"),
                "resOriginalVidComplRes": resource(CDN, b"motion"),
                "resOriginalVidComplFileType": string("com.apple.quicktime-movie"),
                "resOriginalWidth": int(4032), "resOriginalHeight": int(3024),
            }),
        ),
        master(
            "M2",
            "PrimarySync",
            json!({
                "filenameEnc": enc("IMG_7410.MOV"), "itemType": string("com.apple.quicktime-movie"),
                "resOriginalRes": resource(CDN, b"video"),
            }),
        ),
        master(
            "M3",
            "PrimarySync",
            json!({
                "filenameEnc": enc("IMG_0001.PNG"), "itemType": string("public.png"),
                "resOriginalRes": resource(CDN, b"png"),
            }),
        ),
        asset(
            "A1",
            "M1",
            "PrimarySync",
            json!({"isFavorite": int(1),
            "captionEnc": enc("Sunset"), "locationLatitude": {"value": 18.8, "type": "DOUBLE"},
            "locationLongitude": {"value": 98.9, "type": "DOUBLE"}}),
        ),
        asset(
            "A2",
            "M2",
            "PrimarySync",
            json!({"duration": {"value": 12.5, "type": "DOUBLE"}}),
        ),
        asset(
            "A3",
            "M3",
            "PrimarySync",
            json!({
            "adjustmentType": string("ScreenshotServices"),
            "resJPEGFullRes": resource(CDN, b"edited"), "resJPEGFullFileType": string("public.jpeg")}),
        ),
    ];
    let photos = parse_photos(&records, "PrimarySync");
    assert_eq!(photos.len(), 3);
    let live = &photos[0];
    assert_eq!(live.asset_record, "A1");
    assert_eq!(live.master_record, "M1");
    assert_eq!(live.file_name, "IMG_7409.JPG");
    assert_eq!(live.extension.as_deref(), Some("jpeg"));
    assert!(live.live_video.is_some());
    assert!(!live.is_video());
    assert!(live.favorite);
    assert_eq!(live.caption.as_deref(), Some("Sunset"));
    assert_eq!((live.latitude, live.longitude), (Some(18.8), Some(98.9)));
    assert_eq!((live.width, live.height), (Some(4032), Some(3024)));
    assert_eq!(live.asset_date, Some(1533021744816));
    assert_eq!(live.time_zone_offset, Some(25200));
    assert_eq!(live.change_tag, "49lh");
    assert_eq!(
        live.original.as_ref().map(|r| r.checksum.clone()),
        Some(ResourceChecksum {
            file_checksum: file_checksum(b"still"),
            size: 5
        })
    );
    assert!(live.edited.is_none());

    let video = &photos[1];
    assert!(video.is_video());
    assert_eq!(video.extension.as_deref(), Some("mov"));
    assert_eq!(video.duration, Some(12.5));

    let shot = &photos[2];
    assert_eq!(shot.adjustment_type.as_deref(), Some("ScreenshotServices"));
    assert_eq!(shot.edited_extension.as_deref(), Some("jpeg"));
    assert_eq!(shot.edited.as_ref().map(|e| e.checksum.size), Some(6));
}

#[test]
fn parses_hidden_shared_nameless_unknown_and_drops_tombstones() {
    let records = vec![
        master(
            "AR8OijSKPNBuzFZHNvRpv+yNookj",
            "SharedSync-1",
            json!({
            "itemType": string("public.heic"),
            "resOriginalFingerprint": string("AR8OijSKPNBuzFZHNvRpv+yNookj"),
            "resOriginalRes": resource(CDN, b"x")}),
        ),
        master(
            "M2",
            "SharedSync-1",
            json!({"filenameEnc": string("Plain.weird"),
            "itemType": string("com.example.weird"), "resOriginalRes": resource(CDN, b"y")}),
        ),
        master(
            "M3",
            "SharedSync-1",
            json!({"filenameEnc": enc("E.JPG"), "itemType": string("public.jpeg"),
            "resOriginalRes": resource(CDN, b"z")}),
        ),
        asset(
            "A1",
            "AR8OijSKPNBuzFZHNvRpv+yNookj",
            "SharedSync-1",
            json!({"isHidden": int(1)}),
        ),
        asset("A2", "M2", "SharedSync-1", json!({"isDeleted": int(1)})),
        // Edits only count with an adjustmentType.
        asset(
            "A3",
            "M3",
            "SharedSync-1",
            json!({"resJPEGFullRes": resource(CDN, b"e")}),
        ),
        json!({"recordName": "A4", "deleted": true}),
        json!({"recordName": "A1-IN-ALBUM", "recordType": "CPLContainerRelation", "fields": {}}),
        asset(
            "A1",
            "AR8OijSKPNBuzFZHNvRpv+yNookj",
            "SharedSync-1",
            json!({}),
        ),
    ];
    let photos = parse_photos(&records, "SharedSync-1");
    let names: Vec<&str> = photos.iter().map(|p| p.asset_record.as_str()).collect();
    assert_eq!(names, ["A1", "A2", "A3"]);
    let nameless = &photos[0];
    assert!(nameless.hidden);
    assert_eq!(nameless.zone, "SharedSync-1");
    assert_eq!(nameless.file_name, "AR8OijSKPNBu.heic");
    let weird = &photos[1];
    assert_eq!(weird.file_name, "Plain.weird");
    assert_eq!(weird.extension, None);
    assert!(weird.deleted);
    assert!(photos[2].edited.is_none());
}

// ---------------------------------------------------------------------------
// A tiny stand-in for idmsa, setup, CloudKit and the content host.

const APPLE_ID: &str = "mock.user@example.com";
const PASSWORD: &str = "correct horse battery staple";
const CODE: &str = "123456";

#[derive(Default)]
struct World {
    base: String,
    init_503: u32,
    init_calls: u32,
    a_pub: Vec<u8>,
    device_triggers: u32,
    sessions: HashSet<String>,
    trust_tokens: HashSet<String>,
    web_tokens: HashSet<String>,
    minted: u32,
    account_logins: u32,
    /// Per zone: (master, asset) pairs of each list type.
    lists: HashMap<(String, String), Vec<(Value, Value)>>,
    page_items: usize,
    albums: Vec<Value>,
    members: HashMap<String, Vec<String>>,
    files: HashMap<String, Vec<u8>>,
    ranges: Vec<String>,
    lookups: u32,
    /// CloudKit answers 429 THROTTLED this many times.
    throttle: u32,
    /// CloudKit answers ACCESS_DENIED (web access off / ADP).
    deny: bool,
    ck_calls: u32,
}

type Shared = Arc<Mutex<World>>;

struct Apple {
    base: String,
    world: Shared,
}

impl Apple {
    async fn start() -> Apple {
        let world: Shared = Arc::new(Mutex::new(World {
            page_items: 100,
            ..World::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        world.lock().unwrap().base = base.clone();
        let app = Router::new().fallback(handle).with_state(world.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Apple { base, world }
    }

    fn config(&self) -> IcloudConfig {
        let mut c = IcloudConfig::new();
        c.auth_url = format!("{}/appleauth/auth", self.base);
        c.setup_url = format!("{}/setup/ws/1", self.base);
        c.backoff_base = Duration::from_millis(1);
        c.backoff_max = Duration::from_millis(5);
        c.max_attempts = 4;
        c.request_timeout = Duration::from_secs(10);
        c.download_read_timeout = Duration::from_secs(10);
        c
    }

    fn client(&self) -> IcloudClient {
        IcloudClient::new(
            self.config(),
            SessionState {
                apple_id: APPLE_ID.into(),
                ..SessionState::default()
            },
        )
    }

    fn w(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds a photo with bytes served at `/dl/<asset>`.
    fn add_photo(
        &self,
        zone: &str,
        list: &str,
        name: &str,
        file: &str,
        bytes: &[u8],
        extra: Value,
    ) {
        let url = self.url(&format!("/dl/{name}"));
        let m = master(
            &format!("M-{name}"),
            zone,
            json!({"filenameEnc": enc(file), "itemType": string("public.jpeg"),
            "resOriginalRes": resource(&url, bytes), "resOriginalFileType": string("public.jpeg")}),
        );
        let a = asset(name, &format!("M-{name}"), zone, extra);
        let mut w = self.w();
        w.files.insert(name.to_string(), bytes.to_vec());
        w.lists
            .entry((zone.into(), list.into()))
            .or_default()
            .push((m, a));
    }

    /// A client past SRP, the code and the trust step.
    async fn signed_in(&self) -> IcloudClient {
        let mut client = self.client();
        assert!(matches!(
            client.sign_in(PASSWORD).await.expect("sign in"),
            SignIn::NeedsCode { .. }
        ));
        client.submit_code(CODE).await.expect("code");
        client
    }
}

fn srp_group() -> (BigUint, BigUint, BigUint) {
    let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap();
    let g = BigUint::from(2u32);
    let mut padded_g = vec![0u8; 255];
    padded_g.push(2);
    let k = BigUint::from_bytes_be(
        &Sha256::new()
            .chain_update(n.to_bytes_be())
            .chain_update(&padded_g)
            .finalize(),
    );
    (n, g, k)
}

fn pad(x: &BigUint) -> Vec<u8> {
    let b = x.to_bytes_be();
    let mut out = vec![0u8; 256 - b.len()];
    out.extend_from_slice(&b);
    out
}

fn server_b() -> BigUint {
    let v = &MOCK_VECTORS[0];
    let (n, g, k) = srp_group();
    let verifier = BigUint::from_bytes_be(&unb64(v.v));
    (k * verifier + g.modpow(&BigUint::from_bytes_be(&unhex(v.b_hex)), &n)) % &n
}

/// The M1 a client knowing the password sends (the server's side of §1.3).
fn expected_m1(a_pub: &[u8]) -> Vec<u8> {
    let v = &MOCK_VECTORS[0];
    let (n, g, _) = srp_group();
    let verifier = BigUint::from_bytes_be(&unb64(v.v));
    let a = BigUint::from_bytes_be(a_pub);
    let b_pub = server_b();
    let u = BigUint::from_bytes_be(
        &Sha256::new()
            .chain_update(pad(&a))
            .chain_update(pad(&b_pub))
            .finalize(),
    );
    let s = (a * verifier.modpow(&u, &n)).modpow(&BigUint::from_bytes_be(&unhex(v.b_hex)), &n);
    let key = Sha256::digest(s.to_bytes_be());
    let hn = Sha256::digest(n.to_bytes_be());
    let hg = Sha256::digest(pad(&g));
    let hng: Vec<u8> = hn.iter().zip(hg.iter()).map(|(x, y)| x ^ y).collect();
    Sha256::new()
        .chain_update(hng)
        .chain_update(Sha256::digest(APPLE_ID.as_bytes()))
        .chain_update(unb64(v.salt))
        .chain_update(a_pub)
        .chain_update(b_pub.to_bytes_be())
        .chain_update(key)
        .finalize()
        .to_vec()
}

fn reply(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn empty(status: u16) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .unwrap()
}

fn idmsa_headers(mut r: Response, token: &str) -> Response {
    let h = r.headers_mut();
    h.insert("scnt", "scnt-1".parse().unwrap());
    h.insert("x-apple-id-session-id", "sid-1".parse().unwrap());
    h.insert("x-apple-session-token", token.parse().unwrap());
    h.append(
        header::SET_COOKIE,
        "aasp=AASP; Domain=idmsa.apple.com; Path=/".parse().unwrap(),
    );
    r
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split("; "))
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(String::from))
}

fn filter_value<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.pointer("/query/filterBy")?
        .as_array()?
        .iter()
        .find(|f| f.get("fieldName").and_then(Value::as_str) == Some(name))?
        .pointer("/fieldValue/value")
}

async fn handle(
    State(world): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(name) = path.strip_prefix("/dl/") {
        return download(&world, name, &headers);
    }
    if path.starts_with("/dl-expired/") {
        return empty(410);
    }
    let mut w = world.lock().unwrap();
    match (method.as_str(), path.as_str()) {
        ("POST", "/appleauth/auth/signin/init") => {
            w.init_calls += 1;
            if w.init_503 > 0 {
                w.init_503 -= 1;
                return reply(503, json!({"error": "Service Temporary Unavailable"}));
            }
            assert_eq!(json["accountName"], APPLE_ID);
            assert_eq!(json["protocols"], json!(["s2k", "s2k_fo"]));
            w.a_pub = unb64(json["a"].as_str().unwrap());
            let v = &MOCK_VECTORS[0];
            reply(
                200,
                json!({"iteration": v.iterations, "salt": v.salt, "protocol": "s2k",
                "b": b64(&server_b().to_bytes_be()), "c": "d-123-abc:MSA"}),
            )
        }
        ("POST", "/appleauth/auth/signin/complete") => {
            assert_eq!(uri.query(), Some("isRememberMeEnabled=true"));
            assert_eq!(json["c"], "d-123-abc:MSA");
            if unb64(json["m1"].as_str().unwrap()) != expected_m1(&w.a_pub) {
                return reply(
                    401,
                    json!({"serviceErrors": [{"code": "-20101",
                    "message": "Enter the email or phone number and password for your Apple Account.",
                    "suppressDismissal": false}]}),
                );
            }
            let trusted = json["trustTokens"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t.as_str().is_some_and(|t| w.trust_tokens.contains(t)));
            w.minted += 1;
            let token = format!("session-{}", w.minted);
            w.sessions.insert(token.clone());
            idmsa_headers(
                reply(if trusted { 200 } else { 409 }, json!({"authType": "hsa2"})),
                &token,
            )
        }
        ("GET", "/appleauth/auth") => {
            assert_eq!(
                headers.get("scnt").and_then(|v| v.to_str().ok()),
                Some("scnt-1")
            );
            reply(
                200,
                json!({"trustedPhoneNumbers": [{"id": 2, "numberWithDialCode": "+49 ••••• •••••12",
                "pushMode": "sms", "obfuscatedNumber": "••••• •••••12", "lastTwoDigits": "12"}],
                "securityCode": {"length": 6}, "authenticationType": "hsa2"}),
            )
        }
        ("PUT", "/appleauth/auth/verify/trusteddevice/securitycode") => {
            w.device_triggers += 1;
            empty(202)
        }
        ("POST", "/appleauth/auth/verify/trusteddevice/securitycode") => {
            assert_eq!(
                headers
                    .get("x-apple-id-session-id")
                    .and_then(|v| v.to_str().ok()),
                Some("sid-1")
            );
            if json.pointer("/securityCode/code").and_then(Value::as_str) != Some(CODE) {
                return reply(
                    400,
                    json!({"service_errors": [{"code": "-21669", "title": "Incorrect Verification Code",
                    "message": "Incorrect verification code.", "suppressDismissal": false}], "hasError": true}),
                );
            }
            empty(204)
        }
        ("GET", "/appleauth/auth/2sv/trust") => {
            w.minted += 1;
            let token = format!("session-{}", w.minted);
            let trust = format!("TRUST-{}", w.minted);
            w.sessions.insert(token.clone());
            w.trust_tokens.insert(trust.clone());
            let mut r = idmsa_headers(empty(204), &token);
            r.headers_mut()
                .insert("x-apple-twosv-trust-token", trust.parse().unwrap());
            r
        }
        ("POST", "/setup/ws/1/accountLogin") => {
            w.account_logins += 1;
            let token = json["dsWebAuthToken"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if !w.sessions.contains(&token) {
                return reply(421, json!({"success": false, "error": 1}));
            }
            let web = format!("web-{}", w.account_logins);
            w.web_tokens.insert(web.clone());
            let mut r = reply(
                200,
                json!({"dsInfo": {"dsid": "12345", "isWebAccessAllowed": true, "hsaVersion": 2},
                "hsaTrustedBrowser": true, "hsaChallengeRequired": false,
                "webservices": {"ckdatabasews": {"url": format!("{}/ck", w.base), "status": "active", "pcsRequired": false}}}),
            );
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                format!("X-APPLE-WEBAUTH-TOKEN={web}; Domain=.icloud.com; Path=/; Secure")
                    .parse()
                    .unwrap(),
            );
            h.append(header::SET_COOKIE, "X-APPLE-WEBAUTH-HSA-TRUST=t; Domain=.icloud.com; Expires=Wed, 21 Oct 2037 07:28:00 GMT".parse().unwrap());
            r
        }
        ("POST", "/setup/ws/1/logout") => reply(200, json!({"success": true})),
        ("POST", p) if p.starts_with("/ck/database/1/com.apple.photos.cloud/production/") => {
            let valid = cookie(&headers, "X-APPLE-WEBAUTH-TOKEN")
                .is_some_and(|t| w.web_tokens.contains(&t));
            if !valid {
                return reply(421, json!({"serverErrorCode": "AUTHENTICATION_REQUIRED"}));
            }
            w.ck_calls += 1;
            if w.throttle > 0 {
                w.throttle -= 1;
                return reply(
                    429,
                    json!({"serverErrorCode": "THROTTLED", "reason": "slow down", "retryAfter": 0}),
                );
            }
            if w.deny {
                return reply(
                    403,
                    json!({"serverErrorCode": "ACCESS_DENIED",
                    "reason": "private db access disabled for this account"}),
                );
            }
            let rest = &p["/ck/database/1/com.apple.photos.cloud/production/".len()..];
            cloudkit(&mut w, rest, &json)
        }
        _ => empty(404),
    }
}

fn cloudkit(w: &mut World, rest: &str, body: &Value) -> Response {
    let (db, call) = rest.split_once('/').unwrap();
    let zone = body
        .pointer("/zoneID/zoneName")
        .and_then(Value::as_str)
        .unwrap_or("PrimarySync")
        .to_string();
    match call {
        "zones/list" => {
            let mut zones: Vec<String> = w.lists.keys().map(|(z, _)| z.clone()).collect();
            zones.sort();
            zones.dedup();
            let mut out: Vec<Value> = zones
                .iter()
                .filter(|z| (db == "shared") == z.starts_with("SharedSync-"))
                .map(|z| json!({"zoneID": zone_id(z), "deleted": false}))
                .collect();
            if db == "private" {
                out.push(json!({"zoneID": zone_id("CMM-abc"), "deleted": false}));
                out.push(json!({"zoneID": zone_id("SharedSync-GONE"), "deleted": true}));
            }
            reply(
                200,
                json!({"moreComing": false, "syncToken": "s", "zones": out}),
            )
        }
        "records/query" => {
            let kind = body
                .pointer("/query/recordType")
                .and_then(Value::as_str)
                .unwrap_or_default();
            assert!(
                body.get("resultsLimit")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    <= 200
            );
            let rank = filter_value(body, "startRank")
                .and_then(Value::as_u64)
                .unwrap_or(0) as usize;
            let records: Vec<Value> = match kind {
                "CheckIndexingState" => vec![
                    json!({"recordName": "_x", "recordType": "CheckIndexingState",
                    "fields": {"progress": int(100), "state": string("FINISHED")}}),
                ],
                "HyperionIndexCountLookup" => {
                    let n = w
                        .lists
                        .get(&(
                            zone.clone(),
                            "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted".into(),
                        ))
                        .map_or(0, Vec::len);
                    vec![
                        json!({"recordName": "x", "recordType": "IndexCountResult", "fields": {"itemCount": int(n as i64)}}),
                    ]
                }
                "CPLAlbumByPositionLive" => {
                    let parent = filter_value(body, "parentId").and_then(Value::as_str);
                    w.albums
                        .iter()
                        .filter(|a| {
                            a.pointer("/fields/parentId/value").and_then(Value::as_str) == parent
                        })
                        .cloned()
                        .collect()
                }
                "CPLContainerRelationLiveByAssetDate" => {
                    let parent = filter_value(body, "parentId")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let ids = w.members.get(parent).cloned().unwrap_or_default();
                    let all: Vec<(Value, Value)> = w.lists.values().flatten().cloned().collect();
                    let mut out = Vec::new();
                    for id in ids.iter().skip(rank).take(w.page_items) {
                        let (m, a) = all
                            .iter()
                            .find(|(_, a)| a["recordName"] == *id.as_str())
                            .unwrap();
                        out.push(json!({"recordName": format!("{id}-IN-{parent}"), "recordType": "CPLContainerRelation",
                            "fields": {"itemId": string(id), "containerId": string(parent)}}));
                        out.push(m.clone());
                        out.push(a.clone());
                    }
                    out
                }
                list => {
                    let items = w
                        .lists
                        .get(&(zone.clone(), list.to_string()))
                        .cloned()
                        .unwrap_or_default();
                    let page: Vec<&(Value, Value)> =
                        items.iter().skip(rank).take(w.page_items).collect();
                    // Masters first, then assets, as Apple sends them.
                    page.iter()
                        .map(|(m, _)| m.clone())
                        .chain(page.iter().map(|(_, a)| a.clone()))
                        .collect()
                }
            };
            reply(
                200,
                json!({"records": records, "continuationMarker": "bWFya2Vy", "syncToken": "s"}),
            )
        }
        "records/lookup" => {
            w.lookups += 1;
            let wanted: Vec<&str> = body["records"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|r| r["recordName"].as_str())
                .collect();
            let all: Vec<Value> = w
                .lists
                .values()
                .flatten()
                .flat_map(|(m, a)| [m.clone(), a.clone()])
                .collect();
            let records: Vec<Value> = wanted
                .iter()
                .map(|n| {
                    all.iter()
                        .find(|r| r["recordName"] == *n)
                        // A lookup mints fresh download URLs.
                        .map(|r| {
                            serde_json::from_str(&r.to_string().replace("/dl-expired/", "/dl/"))
                                .unwrap()
                        })
                        .unwrap_or_else(|| json!({"recordName": n, "serverErrorCode": "NOT_FOUND"}))
                })
                .collect();
            reply(200, json!({"records": records}))
        }
        "records/modify" => {
            let zone_key = zone.clone();
            let mut out = Vec::new();
            for op in body["operations"].as_array().unwrap() {
                let record = &op["record"];
                let name = record["recordName"].as_str().unwrap();
                let tag = record["recordChangeTag"].as_str().unwrap();
                let found = w
                    .lists
                    .iter_mut()
                    .filter(|((z, _), _)| *z == zone_key)
                    .flat_map(|(_, v)| v.iter_mut())
                    .find(|(_, a)| a["recordName"] == *name);
                match found {
                    Some((_, a)) if a["recordChangeTag"] == *tag => {
                        a["fields"]["isDeleted"] = int(1);
                        a["recordChangeTag"] = json!("49zz");
                        out.push(a.clone());
                    }
                    Some(_) => out.push(json!({"recordName": name, "serverErrorCode": "CONFLICT",
                        "reason": "The recordChangeTag value expired"})),
                    None => out.push(json!({"recordName": name, "serverErrorCode": "NOT_FOUND", "reason": "gone"})),
                }
            }
            reply(200, json!({"records": out, "syncToken": "s"}))
        }
        _ => empty(404),
    }
}

fn download(world: &Shared, name: &str, headers: &HeaderMap) -> Response {
    let mut w = world.lock().unwrap();
    assert!(
        headers.get(header::COOKIE).is_none(),
        "downloads carry no cookies"
    );
    let Some(bytes) = w.files.get(name).cloned() else {
        return empty(404);
    };
    let start = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|r| {
            w.ranges.push(r.to_string());
            r.trim_start_matches("bytes=")
                .trim_end_matches('-')
                .parse::<usize>()
                .unwrap()
        })
        .unwrap_or(0);
    let status = if start > 0 { 206 } else { 200 };
    let rest = bytes[start..].to_vec();
    let builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, rest.len());
    builder.body(Body::from(rest)).unwrap()
}

// ---------------------------------------------------------------------------
// Flows against the stand-in.

#[tokio::test]
async fn sign_in_needs_a_code_then_trusts_and_later_signs_in_without_one() {
    let apple = Apple::start().await;
    let mut client = apple.client();
    let SignIn::NeedsCode { phones } = client.sign_in(PASSWORD).await.expect("sign in") else {
        panic!("expected a code to be needed");
    };
    assert_eq!(phones.len(), 1);
    assert_eq!(
        (
            phones[0].id,
            phones[0].number.as_str(),
            phones[0].push_mode.as_str()
        ),
        (2, "+49 ••••• •••••12", "sms")
    );
    assert_eq!(
        apple.w().device_triggers,
        1,
        "the code is asked for explicitly"
    );
    assert_eq!(client.state().scnt.as_deref(), Some("scnt-1"));

    // A wrong code: says so, and the session stays usable for the right one.
    let err = client.submit_code("000000").await.unwrap_err();
    assert!(matches!(err, IcloudError::WrongCode { .. }), "{err:?}");
    assert!(
        err.to_string().contains("Incorrect verification code."),
        "{err}"
    );
    assert!(client.state().trust_token.is_none());
    client.submit_code(CODE).await.expect("right code");

    let state = client.state().clone();
    let token = state.trust_token.clone().expect("trust token");
    assert!(token.starts_with("TRUST-"));
    assert_eq!(
        state.trust_expires_at,
        Some(2139722880),
        "from the HSA-TRUST cookie"
    );
    assert!(state.trust_token_received_at.is_some());
    assert!(state.ckdatabasews_url.as_deref().unwrap().ends_with("/ck"));
    assert!(client.zones().await.is_ok());

    // The state survives a round trip through JSON, and the trust token spares the code.
    let restored: SessionState =
        serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    let mut again = IcloudClient::new(apple.config(), restored);
    assert_eq!(
        again.sign_in(PASSWORD).await.expect("sign in"),
        SignIn::Ready
    );
    assert_eq!(apple.w().device_triggers, 1, "no new code");
    again.logout().await.expect("logout");
    assert_eq!(again.state().trust_token.as_deref(), Some(token.as_str()));
}

#[tokio::test]
async fn a_wrong_password_says_so() {
    let apple = Apple::start().await;
    let mut client = apple.client();
    let err = client.sign_in("wrong password").await.unwrap_err();
    assert!(matches!(err, IcloudError::WrongPassword { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("password") && text.contains("nothing was changed"),
        "{text}"
    );
    assert!(client.state().trust_token.is_none());
}

#[tokio::test]
async fn a_503_on_sign_in_is_retried() {
    let apple = Apple::start().await;
    apple.w().init_503 = 2;
    let mut client = apple.client();
    assert!(matches!(
        client.sign_in(PASSWORD).await.expect("sign in"),
        SignIn::NeedsCode { .. }
    ));
    assert_eq!(apple.w().init_calls, 3);

    apple.w().init_503 = 10;
    let err = client.sign_in(PASSWORD).await.unwrap_err();
    assert!(
        matches!(err, IcloudError::Unavailable { attempts: 4, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn sms_codes_go_through_verify_phone() {
    let apple = Apple::start().await;
    let mut client = apple.client();
    client.sign_in(PASSWORD).await.expect("sign in");
    // The stand-in has no /verify/phone: the refusal is reported, not swallowed.
    let err = client.resend_code(MfaMethod::Sms(2)).await.unwrap_err();
    assert!(
        matches!(err, IcloudError::CodeNotSent { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn listings_page_by_rank_and_an_expired_session_is_renewed() {
    let apple = Apple::start().await;
    for i in 0..7 {
        apple.add_photo(
            "PrimarySync",
            PhotoList::All.record_type(),
            &format!("A{i}"),
            &format!("IMG_{i}.JPG"),
            b"x",
            json!({}),
        );
    }
    apple.w().page_items = 3;
    let mut client = apple.signed_in().await;
    let zones = client.zones().await.expect("zones");
    let names: Vec<&str> = zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, ["PrimarySync"], "CMM and deleted zones are skipped");
    let zone = &zones[0];
    assert!(client.indexing_finished(zone).await.unwrap());
    assert_eq!(
        client.count(zone, PhotoList::All.index_id()).await.unwrap(),
        7
    );
    assert_eq!(
        client
            .photos_page(zone, PhotoList::All, 0)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        client
            .photos_page(zone, PhotoList::All, 6)
            .await
            .unwrap()
            .len(),
        1
    );

    // The web session is dropped server-side: accountLogin runs again by itself.
    let logins = apple.w().account_logins;
    apple.w().web_tokens.clear();
    let all = client.all_photos(zone, PhotoList::All).await.expect("all");
    let keys: Vec<&str> = all.iter().map(|p| p.asset_record.as_str()).collect();
    assert_eq!(keys, ["A0", "A1", "A2", "A3", "A4", "A5", "A6"]);
    assert_eq!(apple.w().account_logins, logins + 1);

    // Session token gone too and no password: the caller must sign in again.
    apple.w().web_tokens.clear();
    apple.w().sessions.clear();
    let err = client.all_photos(zone, PhotoList::All).await.unwrap_err();
    assert!(matches!(err, IcloudError::SessionExpired), "{err:?}");

    // With the password and a valid trust token, SRP runs again without a code.
    client.set_password(Some(PASSWORD.into()));
    assert_eq!(
        client
            .all_photos(zone, PhotoList::All)
            .await
            .expect("after SRP")
            .len(),
        7
    );
}

/// A content host on a raw socket, so the drop is exact: the first
/// connection breaks after half the body, later ones answer `Range`.
async fn flaky_host(bytes: Vec<u8>) -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/B/AbC/${{f}}?e=1", listener.local_addr().unwrap());
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = ranges.clone();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
            assert!(!text.contains("\r\ncookie:"), "downloads carry no cookies");
            if first {
                first = false;
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", bytes.len());
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&bytes[..bytes.len() / 2]).await;
                let _ = sock.flush().await;
                continue;
            }
            let range = text
                .lines()
                .find_map(|l| l.strip_prefix("range: bytes="))
                .map(|r| r.trim().trim_end_matches('-').to_string());
            let start: usize = range.as_deref().map_or(0, |r| r.parse().unwrap());
            if let Some(r) = range {
                seen.lock().unwrap().push(format!("bytes={r}-"));
            }
            let rest = &bytes[start..];
            let head = if start > 0 {
                format!(
                    "HTTP/1.1 206 Partial Content\r\ncontent-length: {}\r\ncontent-range: bytes {start}-{}/{}\r\nconnection: close\r\n\r\n",
                    rest.len(),
                    bytes.len() - 1,
                    bytes.len()
                )
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    rest.len()
                )
            };
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(rest).await;
            let _ = sock.flush().await;
        }
    });
    (url, ranges)
}

#[tokio::test]
async fn a_download_dropped_midway_resumes_with_range_and_is_verified() {
    let apple = Apple::start().await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let (url, ranges) = flaky_host(bytes.clone()).await;
    let client = apple.client();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("big.jpg");
    let expected = ResourceChecksum {
        file_checksum: file_checksum(&bytes),
        size: bytes.len() as u64,
    };
    let n = client
        .download(&url, Some(&expected), &dest)
        .await
        .expect("download");
    assert_eq!(n, bytes.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert_eq!(
        *ranges.lock().unwrap(),
        [format!("bytes={}-", bytes.len() / 2)]
    );
}

#[tokio::test]
async fn an_expired_url_and_a_bad_checksum_leave_no_file() {
    let apple = Apple::start().await;
    apple.w().files.insert("f".into(), b"hello".to_vec());
    let client = apple.client();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f.jpg");
    let err = client
        .download(&apple.url("/dl-expired/f"), None, &dest)
        .await
        .unwrap_err();
    assert!(matches!(err, IcloudError::UrlExpired), "{err:?}");
    assert!(!dest.exists());

    let wrong = ResourceChecksum {
        file_checksum: file_checksum(b"other"),
        size: 5,
    };
    let err = client
        .download(&apple.url("/dl/f"), Some(&wrong), &dest)
        .await
        .unwrap_err();
    assert!(
        matches!(err, IcloudError::ChecksumMismatch { .. }),
        "{err:?}"
    );
    assert!(!dest.exists());

    let short = ResourceChecksum {
        file_checksum: file_checksum(b"hello"),
        size: 6,
    };
    let err = client
        .download(&apple.url("/dl/f"), Some(&short), &dest)
        .await
        .unwrap_err();
    assert!(
        matches!(err, IcloudError::ChecksumMismatch { .. }),
        "{err:?}"
    );

    let err = client
        .download(&apple.url("/dl/missing"), None, &dest)
        .await
        .unwrap_err();
    assert!(matches!(err, IcloudError::NotFound { .. }), "{err:?}");
}

fn album(name: &str, title: &str, kind: i64, parent: Option<&str>) -> Value {
    let mut fields =
        json!({"albumNameEnc": enc(title), "albumType": int(kind), "isDeleted": int(0)});
    if let Some(p) = parent {
        fields["parentId"] = string(p);
    }
    json!({"recordName": name, "recordType": "CPLAlbum", "fields": fields, "deleted": false})
}

#[tokio::test]
async fn the_source_lists_live_pairs_edits_hidden_shared_and_refreshes_expired_urls() {
    let apple = Apple::start().await;
    let all = PhotoList::All.record_type();
    apple.add_photo(
        "PrimarySync",
        all,
        "P1",
        "IMG_1.JPG",
        b"still-1",
        json!({"isFavorite": int(1), "captionEnc": enc("Eiffel")}),
    );
    apple.add_photo("PrimarySync", all, "P2", "IMG_2.JPG", b"two", json!({}));
    apple.add_photo(
        "PrimarySync",
        all,
        "P3",
        "IMG_3.PNG",
        b"three",
        json!({
        "adjustmentType": string("com.apple.photo"),
        "resJPEGFullRes": resource(&apple.url("/dl/P3e"), b"three-edited"),
        "resJPEGFullFileType": string("public.jpeg")}),
    );
    apple.add_photo(
        "PrimarySync",
        PhotoList::Hidden.record_type(),
        "P5",
        "IMG_5.JPG",
        b"five",
        json!({"isHidden": int(1)}),
    );
    apple.add_photo(
        "PrimarySync",
        PhotoList::RecentlyDeleted.record_type(),
        "P6",
        "IMG_6.JPG",
        b"six",
        json!({"isDeleted": int(1)}),
    );
    apple.add_photo(
        "SharedSync-AB",
        all,
        "S1",
        "IMG_S.JPG",
        b"shared",
        json!({}),
    );
    {
        let mut w = apple.w();
        w.files.insert("P3e".into(), b"three-edited".to_vec());
        w.files.insert("P1live".into(), b"live-video".to_vec());
        w.page_items = 2;
        let live_url = format!("{}/dl/P1live", w.base);
        let p1 = &mut w
            .lists
            .get_mut(&("PrimarySync".into(), all.into()))
            .unwrap()[0]
            .0;
        p1["fields"]["resOriginalVidComplRes"] = resource(&live_url, b"live-video");
        // P2's listed URL has expired by the time it is fetched.
        let p2 = &mut w
            .lists
            .get_mut(&("PrimarySync".into(), all.into()))
            .unwrap()[1]
            .0;
        let url = p2["fields"]["resOriginalRes"]["value"]["downloadURL"]
            .as_str()
            .unwrap()
            .replace("/dl/", "/dl-expired/");
        p2["fields"]["resOriginalRes"]["value"]["downloadURL"] = json!(url);
        w.albums = vec![
            album("----Root-Folder----", "root", 3, None),
            album("F1", "Trips", 3, None),
            album("AL2", "Paris", 0, Some("F1")),
            album("AL1", "Solo", 0, None),
            album("SM", "Favorites", 6, None),
        ];
        w.members
            .insert("AL2".into(), vec!["P1".into(), "P3".into()]);
        w.members.insert("AL1".into(), vec!["P2".into()]);
    }
    let client = apple.signed_in().await;
    let options = IcloudOptions {
        edits: EditPolicy::Both,
        shared: SharedPolicy::Album("Family".into()),
        album: None,
        ..Default::default()
    };
    let mut source = IcloudSource::open(client, options)
        .await
        .map_err(|(_, e)| e)
        .expect("open");
    assert_eq!(source.kind(), "icloud");
    assert_eq!(source.deleted_keys(), ["P6"]);
    assert_eq!(
        source.listed_keys(),
        ["P1", "P1-live", "P2", "P3", "P3-edited", "P5", "S1"]
    );
    let mut items = Vec::new();
    while let Some(item) = source.next_item().await.expect("item") {
        items.push(item);
    }
    assert_eq!(source.total(), Some(items.len() as u64));
    let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["P1", "P1-live", "P2", "P3", "P3-edited", "P5", "S1"]);
    let by = |k: &str| items.iter().find(|i| i.key == k).unwrap();

    let p1 = by("P1");
    assert_eq!(p1.file_name, "IMG_1.JPG");
    assert_eq!(p1.meta.live_video_key.as_deref(), Some("P1-live"));
    assert_eq!(p1.meta.taken, Some(SourceDate::Zoned(1533021744816, 25200)));
    assert!(p1.meta.favorite);
    assert_eq!(p1.meta.description.as_deref(), Some("Eiffel"));
    assert_eq!(
        p1.albums
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["Trips/Paris"]
    );
    assert!(
        p1.meta
            .extra
            .contains(&("icloud_zone".into(), "PrimarySync".into()))
    );
    assert!(
        p1.meta
            .extra
            .iter()
            .any(|(k, v)| k == "icloud_added" && v.starts_with("2018-07-31"))
    );
    assert_eq!(by("P1-live").file_name, "IMG_1.MOV");
    assert_eq!(by("P2").albums[0].name, "Solo");
    let edited = by("P3-edited");
    assert_eq!(edited.file_name, "IMG_3-edited.jpeg");
    assert!(
        edited
            .meta
            .extra
            .contains(&("icloud_edited".into(), "true".into()))
    );
    assert!(by("P5").meta.hidden);
    assert!(!p1.meta.hidden);
    let shared = by("S1");
    assert!(
        shared
            .meta
            .extra
            .contains(&("icloud_library".into(), "shared".into()))
    );
    assert_eq!(shared.albums[0].name, "Family");

    let dir = tempfile::tempdir().unwrap();
    for (key, want) in [
        ("P1", &b"still-1"[..]),
        ("P1-live", b"live-video"),
        ("P2", b"two"),
        ("P3-edited", b"three-edited"),
    ] {
        let dest = dir.path().join(key);
        source
            .fetch(by(key), &dest)
            .await
            .unwrap_or_else(|e| panic!("fetch {key}: {e}"));
        assert_eq!(std::fs::read(&dest).unwrap(), want, "{key}");
    }
    assert_eq!(
        apple.w().lookups,
        2,
        "P2's record was looked up again (asset, then master)"
    );

    // A file that vanished at the source fails that item only.
    apple.w().files.remove("S1");
    let err = source
        .fetch(shared, &dir.path().join("s1"))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Item(_)), "{err:?}");
}

#[tokio::test]
async fn the_source_can_take_one_album_and_skip_the_shared_library() {
    let apple = Apple::start().await;
    let all = PhotoList::All.record_type();
    apple.add_photo("PrimarySync", all, "P1", "IMG_1.JPG", b"1", json!({}));
    apple.add_photo("PrimarySync", all, "P2", "IMG_2.JPG", b"2", json!({}));
    apple.add_photo("SharedSync-AB", all, "S1", "IMG_S.JPG", b"s", json!({}));
    {
        let mut w = apple.w();
        w.albums = vec![
            album("F1", "Trips", 3, None),
            album("AL2", "Paris", 0, Some("F1")),
        ];
        w.members.insert("AL2".into(), vec!["P2".into()]);
    }
    let client = apple.signed_in().await;
    let options = IcloudOptions {
        album: Some("Trips/Paris".into()),
        shared: SharedPolicy::Skip,
        ..IcloudOptions::default()
    };
    let mut source = IcloudSource::open(client, options)
        .await
        .map_err(|(_, e)| e)
        .expect("open");
    let item = source.next_item().await.unwrap().expect("one item");
    assert_eq!(item.key, "P2");
    assert!(source.next_item().await.unwrap().is_none());

    let client = source.into_client();
    let options = IcloudOptions {
        album: Some("Nowhere".into()),
        ..IcloudOptions::default()
    };
    let (client, err) = IcloudSource::open(client, options).await.unwrap_err();
    assert_eq!(client.state().apple_id, APPLE_ID, "the client comes back");
    assert!(matches!(err, IcloudError::NoSuchAlbum { .. }), "{err:?}");
}

#[test]
fn zones_name_their_id() {
    let z = Zone {
        name: "PrimarySync".into(),
        owner_record_name: None,
        zone_type: None,
        database: keepsake_import::icloud::Database::Private,
    };
    assert_eq!(z.zone_id(), json!({"zoneName": "PrimarySync"}));
    assert!(!z.is_shared_library());
    assert!(z.is_primary());
}

#[tokio::test]
async fn throttling_is_retried_then_reported_and_access_denied_names_the_setting() {
    let apple = Apple::start().await;
    apple.add_photo(
        "PrimarySync",
        PhotoList::All.record_type(),
        "A0",
        "IMG_0.JPG",
        b"x",
        json!({}),
    );
    let mut client = apple.signed_in().await;
    apple.w().throttle = 2;
    assert_eq!(client.zones().await.expect("after two 429s").len(), 1);

    apple.w().throttle = 100;
    let err = client.zones().await.unwrap_err();
    assert!(matches!(err, IcloudError::RateLimited { .. }), "{err:?}");

    apple.w().throttle = 0;
    apple.w().deny = true;
    let err = client.zones().await.unwrap_err();
    assert!(matches!(err, IcloudError::WebAccessDisabled), "{err:?}");
    assert!(
        err.to_string().contains("Access iCloud Data on the Web"),
        "{err}"
    );
}

#[tokio::test]
async fn metadata_requests_are_paced() {
    let apple = Apple::start().await;
    let mut client = apple.signed_in().await;
    let mut config = apple.config();
    config.metadata_rate = Some((2, Duration::from_millis(40)));
    let mut paced = IcloudClient::new(config, client.state().clone());
    let started = std::time::Instant::now();
    for _ in 0..5 {
        paced.zones().await.expect("zones");
    }
    // 10 requests (private + shared each), 2 per 40 ms: at least 4 full windows.
    assert!(
        started.elapsed() >= Duration::from_millis(160),
        "{:?}",
        started.elapsed()
    );
    assert!(client.zones().await.is_ok());
}

#[tokio::test]
async fn remote_delete_retries_a_stale_change_tag_once() {
    let apple = Apple::start().await;
    for i in 0..3 {
        apple.add_photo(
            "PrimarySync",
            PhotoList::All.record_type(),
            &format!("A{i}"),
            "IMG.JPG",
            b"x",
            json!({}),
        );
    }
    let mut client = apple.signed_in().await;
    let zone = client.zones().await.unwrap().remove(0);
    let items = vec![
        ("A0".to_string(), "49lh".to_string()),
        ("A1".to_string(), "stale".to_string()),
        ("NOPE".to_string(), "49lh".to_string()),
    ];
    let results = client.delete_assets(&zone, &items).await.expect("delete");
    let by = |n: &str| {
        results
            .iter()
            .find(|r| r.record_name == n)
            .unwrap()
            .error
            .clone()
    };
    assert_eq!(by("A0"), None);
    assert_eq!(by("A1"), None, "re-read and retried with the fresh tag");
    assert!(by("NOPE").unwrap().starts_with("NOT_FOUND"));
    let left = client.all_photos(&zone, PhotoList::All).await.unwrap();
    let deleted: Vec<bool> = left.iter().map(|p| p.deleted).collect();
    assert_eq!(deleted, [true, true, false]);
}
