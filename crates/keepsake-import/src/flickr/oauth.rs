//! OAuth 1.0a as Flickr speaks it (RFC 5849, HMAC-SHA1 only): percent-encoding,
//! the signature base string, the signature, the `Authorization` header, the
//! form-encoded token responses, and the loopback callback a browser is
//! redirected to after the user approves.
//!
//! Invariant: what is signed is exactly what is sent. The base URL comes from
//! the configured endpoint as given (scheme and host lowercased, default port
//! dropped), and every parameter of the request, `oauth_*` included, is in the
//! base string. Pure functions here are checked against known-answer vectors.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::FlickrError;

/// The callback value for the out-of-band flow: Flickr shows the verifier and
/// the user pastes it.
pub const OOB_CALLBACK: &str = "oob";

/// Percent-encodes per RFC 3986 / 5849 §3.6: only `A-Z a-z 0-9 - . _ ~` stay,
/// everything else becomes `%XX` with uppercase hex (space is `%20`, never `+`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(byte >> 4) as usize] as char);
                out.push(HEX[(byte & 0xF) as usize] as char);
            }
        }
    }
    out
}

/// Decodes `%XX` escapes and, as in form bodies, `+` as a space. Invalid
/// escapes are kept as they are; invalid UTF-8 is replaced.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses `a=1&b=2` (a query string or a form body) into decoded pairs, in order.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((name, value)) => (percent_decode(name), percent_decode(value)),
            None => (percent_decode(part), String::new()),
        })
        .collect()
}

/// Joins pairs as `name=value&…`, each side percent-encoded (RFC 3986).
pub fn encode_form(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The base string URL: lowercase scheme and host, no default port, no query
/// or fragment, the path exactly as given.
pub fn normalized_base_url(url: &reqwest::Url) -> String {
    let scheme = url.scheme().to_ascii_lowercase();
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let port = match url.port() {
        Some(port) => format!(":{port}"),
        None => String::new(),
    };
    format!("{scheme}://{host}{port}{}", url.path())
}

/// The signature base string (RFC 5849 §3.4.1): `METHOD&enc(url)&enc(params)`,
/// params encoded, sorted by name then value, and joined. `oauth_signature`
/// must not be among `params`; `base_url` is already normalized.
pub fn signature_base_string(method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(name, value)| (percent_encode(name), percent_encode(value)))
        .collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_url),
        percent_encode(&normalized)
    )
}

/// base64(HMAC-SHA1(enc(consumer_secret) & enc(token_secret), base_string)).
pub fn hmac_sha1_signature(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(base_string.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The consumer (the app's key and secret) and, once logged in, the token.
#[derive(Clone)]
pub struct Signer {
    pub consumer_key: String,
    pub consumer_secret: String,
    /// `(token, token_secret)`: the request token during the dance, the
    /// access token afterwards; `None` for `request_token`.
    pub token: Option<(String, String)>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"<redacted>")
            .field("token", &self.token.as_ref().map(|(t, _)| t))
            .finish()
    }
}

/// The `oauth_*` parameters of one signed request, signature included.
#[derive(Debug, Clone)]
pub struct SignedParams {
    /// Every `oauth_*` pair, `oauth_signature` last.
    pub oauth: Vec<(String, String)>,
    /// The base string that was signed (for debugging a rejected signature).
    pub base_string: String,
}

impl SignedParams {
    /// `OAuth oauth_consumer_key="…", …` with percent-encoded values.
    pub fn authorization_header(&self) -> String {
        let fields = self
            .oauth
            .iter()
            .map(|(name, value)| format!("{}=\"{}\"", percent_encode(name), percent_encode(value)))
            .collect::<Vec<_>>()
            .join(", ");
        format!("OAuth {fields}")
    }
}

impl Signer {
    /// Signs a request to `url` (whose own query, if any, is signed too) with
    /// the API parameters `params` and any extra `oauth_*` pairs
    /// (`oauth_callback`, `oauth_verifier`). `nonce` and `timestamp` are
    /// passed in so tests can pin them.
    pub fn sign(
        &self,
        method: &str,
        url: &reqwest::Url,
        params: &[(String, String)],
        extra_oauth: &[(String, String)],
        nonce: &str,
        timestamp: u64,
    ) -> SignedParams {
        let mut oauth: Vec<(String, String)> = extra_oauth.to_vec();
        oauth.push(("oauth_consumer_key".into(), self.consumer_key.clone()));
        oauth.push(("oauth_nonce".into(), nonce.to_string()));
        oauth.push(("oauth_signature_method".into(), "HMAC-SHA1".into()));
        oauth.push(("oauth_timestamp".into(), timestamp.to_string()));
        if let Some((token, _)) = &self.token {
            oauth.push(("oauth_token".into(), token.clone()));
        }
        oauth.push(("oauth_version".into(), "1.0".into()));
        let mut all: Vec<(String, String)> = url
            .query()
            .map(parse_form)
            .unwrap_or_default()
            .into_iter()
            .chain(params.iter().cloned())
            .chain(oauth.iter().cloned())
            .collect();
        all.retain(|(name, _)| name != "oauth_signature");
        let base_string = signature_base_string(method, &normalized_base_url(url), &all);
        let token_secret = self.token.as_ref().map(|(_, s)| s.as_str()).unwrap_or("");
        let signature = hmac_sha1_signature(&base_string, &self.consumer_secret, token_secret);
        oauth.push(("oauth_signature".into(), signature));
        SignedParams { oauth, base_string }
    }
}

/// A random nonce: 32 hex characters.
pub fn random_nonce() -> String {
    use rand::Rng as _;
    let bytes: [u8; 16] = rand::thread_rng().r#gen();
    keepsake_core::hex_encode(&bytes)
}

/// What `oauth/request_token` answers.
#[derive(Clone)]
pub struct RequestToken {
    pub token: String,
    pub secret: String,
    pub callback_confirmed: bool,
}

impl std::fmt::Debug for RequestToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestToken")
            .field("token", &self.token)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What `oauth/access_token` answers: the long-lived credentials to store,
/// and who they belong to.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub secret: String,
    /// The user's NSID, e.g. `12345678@N00`.
    pub user_nsid: String,
    pub username: String,
    /// May be empty.
    pub fullname: String,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("secret", &"<redacted>")
            .field("user_nsid", &self.user_nsid)
            .field("username", &self.username)
            .field("fullname", &self.fullname)
            .finish()
    }
}

fn form_value(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// Parses the body of a successful `request_token`.
pub fn parse_request_token(body: &str) -> Result<RequestToken, FlickrError> {
    let pairs = parse_form(body.trim());
    match (
        form_value(&pairs, "oauth_token"),
        form_value(&pairs, "oauth_token_secret"),
    ) {
        (Some(token), Some(secret)) if !token.is_empty() => Ok(RequestToken {
            token,
            secret,
            callback_confirmed: form_value(&pairs, "oauth_callback_confirmed").as_deref()
                == Some("true"),
        }),
        _ => Err(FlickrError::Decode {
            what: "oauth/request_token".into(),
            detail: format!("no oauth_token in {:?}", truncate(body, 200)),
        }),
    }
}

/// Parses the body of a successful `access_token`.
pub fn parse_access_token(body: &str) -> Result<AccessToken, FlickrError> {
    let pairs = parse_form(body.trim());
    match (
        form_value(&pairs, "oauth_token"),
        form_value(&pairs, "oauth_token_secret"),
        form_value(&pairs, "user_nsid"),
    ) {
        (Some(token), Some(secret), Some(user_nsid)) if !token.is_empty() => Ok(AccessToken {
            token,
            secret,
            user_nsid,
            username: form_value(&pairs, "username").unwrap_or_default(),
            fullname: form_value(&pairs, "fullname").unwrap_or_default(),
        }),
        _ => Err(FlickrError::Decode {
            what: "oauth/access_token".into(),
            detail: format!("no oauth_token/user_nsid in {:?}", truncate(body, 200)),
        }),
    }
}

pub(crate) fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((idx, _)) => &text[..idx],
        None => text,
    }
}

/// Takes what a user pasted after approving access: the bare verifier
/// (`5d1b96a26b494074`, or `123-456-789` from the out-of-band page) or the
/// whole callback URL from the browser's address bar. `None` for a blank line.
pub fn verifier_from_pasted(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some((_, query)) = text.split_once('?') {
        let query = query.split('#').next().unwrap_or("");
        return form_value(&parse_form(query), "oauth_verifier").filter(|v| !v.is_empty());
    }
    if let Some(value) = text.strip_prefix("oauth_verifier=") {
        return Some(percent_decode(value.split('&').next().unwrap_or(value)));
    }
    Some(text.to_string())
}

/// What the browser brings back to the loopback callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackParams {
    pub oauth_token: String,
    pub oauth_verifier: String,
}

/// A one-shot HTTP listener on `127.0.0.1:<free port>` that receives Flickr's
/// redirect after the user approves access. Pass [`LoopbackCallback::url`] as
/// the callback to `request_token`, send the user to the authorize URL, then
/// await [`LoopbackCallback::wait`].
pub struct LoopbackCallback {
    listener: tokio::net::TcpListener,
    url: String,
}

/// Requests larger than this are not a browser redirect: the connection is dropped.
const MAX_CALLBACK_REQUEST: usize = 16 * 1024;

impl LoopbackCallback {
    /// Binds `127.0.0.1:0`. The callback URL is `http://127.0.0.1:<port>/flickr/callback`.
    pub async fn bind() -> std::io::Result<LoopbackCallback> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        Ok(LoopbackCallback {
            listener,
            url: format!("http://127.0.0.1:{port}/flickr/callback"),
        })
    }

    /// The URL to pass as `oauth_callback`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serves requests until one carries `oauth_verifier` (answered with a short
    /// "you can close this window" page); anything else (a favicon, a scanner)
    /// gets a 404 and the wait goes on. A redirect with `denied` ends the wait
    /// with [`FlickrError::AccessDenied`].
    pub async fn wait(self) -> Result<CallbackParams, FlickrError> {
        loop {
            let (mut stream, _) = self.listener.accept().await.map_err(|e| {
                FlickrError::Callback(format!("the loopback callback stopped listening: {e}"))
            })?;
            let Some(target) = read_request_target(&mut stream).await else {
                continue;
            };
            let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
            let pairs = parse_form(query);
            if form_value(&pairs, "denied").is_some() {
                let _ = respond(&mut stream, "403 Forbidden", PAGE_DENIED).await;
                return Err(FlickrError::AccessDenied);
            }
            match (
                form_value(&pairs, "oauth_token"),
                form_value(&pairs, "oauth_verifier"),
            ) {
                (Some(oauth_token), Some(oauth_verifier)) if !oauth_verifier.is_empty() => {
                    let _ = respond(&mut stream, "200 OK", PAGE_DONE).await;
                    return Ok(CallbackParams {
                        oauth_token,
                        oauth_verifier,
                    });
                }
                _ => {
                    let _ = respond(&mut stream, "404 Not Found", PAGE_NOT_HERE).await;
                }
            }
        }
    }
}

const PAGE_DONE: &str = "<!doctype html><meta charset=utf-8><title>Keepsake</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>Keepsake is connected to Flickr</h1>\
<p>You can close this window and go back to the terminal.</p></body>";
const PAGE_DENIED: &str = "<!doctype html><meta charset=utf-8><title>Keepsake</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>Access was not granted</h1>\
<p>Keepsake cannot read your Flickr photos. Run <code>keepsake flickr login</code> again to retry.</p></body>";
const PAGE_NOT_HERE: &str = "<!doctype html><meta charset=utf-8><title>Keepsake</title>\
<body>Waiting for Flickr's redirect.</body>";

/// Reads the request head and returns the request target (`/path?query`).
async fn read_request_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() + n > MAX_CALLBACK_REQUEST {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let request_line = head.lines().next()?;
    let mut parts = request_line.split_whitespace();
    let _method = parts.next()?;
    parts.next().map(str::to_string)
}

async fn respond(
    stream: &mut tokio::net::TcpStream,
    status: &str,
    body: &str,
) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        let check =
            |input: &str, expected: &str| assert_eq!(percent_encode(input), expected, "{input}");
        check("abcXYZ019-._~", "abcXYZ019-._~");
        check("a b", "a%20b");
        check("a+b", "a%2Bb");
        check("12345678@N00", "12345678%40N00");
        check("http://x/y?z=1&w", "http%3A%2F%2Fx%2Fy%3Fz%3D1%26w");
        check("é", "%C3%A9");
        check("*!'()", "%2A%21%27%28%29");
    }

    #[test]
    fn percent_decoding_undoes_encoding_and_tolerates_junk() {
        for text in ["a b", "Jane Doe", "12345678@N00", "é/?&=", "%"] {
            assert_eq!(percent_decode(&percent_encode(text)), text);
        }
        assert_eq!(percent_decode("a+b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    const VECTOR_1_PARAMS: &[(&str, &str)] = &[
        ("oauth_nonce", "C2F26CD5C075BA9050AD8EE90644CF29"),
        ("oauth_timestamp", "1316657628"),
        ("oauth_consumer_key", "768fe946d252b119746fda82e1599980"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_version", "1.0"),
        ("oauth_callback", "http://www.wackylabs.net/oauth/test"),
    ];

    #[test]
    fn request_token_vector_matches_exactly() {
        let base = signature_base_string(
            "GET",
            "http://www.flickr.com/services/oauth/request_token",
            &pairs(VECTOR_1_PARAMS),
        );
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fwww.flickr.com%2Fservices%2Foauth%2Frequest_token&oauth_callback%3Dhttp%253A%252F%252Fwww.wackylabs.net%252Foauth%252Ftest%26oauth_consumer_key%3D768fe946d252b119746fda82e1599980%26oauth_nonce%3DC2F26CD5C075BA9050AD8EE90644CF29%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1316657628%26oauth_version%3D1.0"
        );
        assert_eq!(
            hmac_sha1_signature(&base, "1a3c208e172d3edc", ""),
            "0fhNGlzpFNAsTme/hDfUb5HPB5U="
        );
        assert_eq!(
            hmac_sha1_signature(&base, "1a3c208e172d3edc", "token12345secret"),
            "dXyfrCetFSTpzD3djSrkFhj0MIQ="
        );
    }

    #[test]
    fn rest_vector_matches_exactly_through_the_signer() {
        let signer = Signer {
            consumer_key: "0123456789abcdef0123456789abcdef".into(),
            consumer_secret: "fedcba9876543210".into(),
            token: Some((
                "72157626318069415-087bfc7b5816092c".into(),
                "a202d1f853ec69de".into(),
            )),
        };
        let url = reqwest::Url::parse("https://api.flickr.com/services/rest/").expect("url");
        let signed = signer.sign(
            "GET",
            &url,
            &pairs(&[
                ("method", "flickr.test.login"),
                ("format", "json"),
                ("nojsoncallback", "1"),
            ]),
            &[],
            "abcdef123456",
            1_700_000_000,
        );
        assert_eq!(
            signed.base_string,
            "GET&https%3A%2F%2Fapi.flickr.com%2Fservices%2Frest%2F&format%3Djson%26method%3Dflickr.test.login%26nojsoncallback%3D1%26oauth_consumer_key%3D0123456789abcdef0123456789abcdef%26oauth_nonce%3Dabcdef123456%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26oauth_token%3D72157626318069415-087bfc7b5816092c%26oauth_version%3D1.0"
        );
        let signature = signed
            .oauth
            .iter()
            .find(|(n, _)| n == "oauth_signature")
            .map(|(_, v)| v.as_str());
        assert_eq!(signature, Some("sGxL5l6yiLgU3DGTFvvmR6BZeDQ="));
        assert!(
            signed
                .authorization_header()
                .contains("oauth_signature=\"sGxL5l6yiLgU3DGTFvvmR6BZeDQ%3D\"")
        );
    }

    #[test]
    fn request_token_vector_through_the_signer_with_a_callback() {
        let signer = Signer {
            consumer_key: "768fe946d252b119746fda82e1599980".into(),
            consumer_secret: "1a3c208e172d3edc".into(),
            token: None,
        };
        let url = reqwest::Url::parse("HTTP://WWW.Flickr.com:80/services/oauth/request_token")
            .expect("url");
        let signed = signer.sign(
            "get",
            &url,
            &[],
            &pairs(&[("oauth_callback", "http://www.wackylabs.net/oauth/test")]),
            "C2F26CD5C075BA9050AD8EE90644CF29",
            1_316_657_628,
        );
        assert_eq!(
            signed.oauth.last().map(|(_, v)| v.as_str()),
            Some("0fhNGlzpFNAsTme/hDfUb5HPB5U=")
        );
    }

    #[test]
    fn base_url_normalization() {
        let check = |input: &str, expected: &str| {
            let url = reqwest::Url::parse(input).expect("url");
            assert_eq!(normalized_base_url(&url), expected, "{input}");
        };
        check(
            "https://API.Flickr.com/services/rest/",
            "https://api.flickr.com/services/rest/",
        );
        check(
            "https://api.flickr.com:443/services/rest",
            "https://api.flickr.com/services/rest",
        );
        check(
            "http://127.0.0.1:8080/services/rest/?a=b",
            "http://127.0.0.1:8080/services/rest/",
        );
    }

    #[test]
    fn token_responses_parse() {
        let rt = parse_request_token(
            "oauth_callback_confirmed=true&oauth_token=72157626737672178-022bbd2f4c2f3432&oauth_token_secret=fccb68c4e6103197",
        )
        .expect("request token");
        assert_eq!(rt.token, "72157626737672178-022bbd2f4c2f3432");
        assert_eq!(rt.secret, "fccb68c4e6103197");
        assert!(rt.callback_confirmed);
        let at = parse_access_token(
            "fullname=Jane%20Doe&oauth_token=72157626318069415-087bfc7b5816092c&oauth_token_secret=a202d1f853ec69de&user_nsid=12345678%40N00&username=jdoe",
        )
        .expect("access token");
        assert_eq!(at.user_nsid, "12345678@N00");
        assert_eq!(at.fullname, "Jane Doe");
        assert_eq!(at.username, "jdoe");
        assert!(parse_access_token("oauth_problem=token_rejected").is_err());
    }

    #[test]
    fn pasted_verifiers() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(verifier_from_pasted(input).as_deref(), expected, "{input}")
        };
        check("  5d1b96a26b494074\n", Some("5d1b96a26b494074"));
        check("123-456-789", Some("123-456-789"));
        check(
            "http://127.0.0.1:53682/callback?oauth_token=7215-02&oauth_verifier=5d1b96a26b494074",
            Some("5d1b96a26b494074"),
        );
        check("oauth_verifier=abc&oauth_token=x", Some("abc"));
        check("", None);
        check("http://127.0.0.1/callback?oauth_token=x", None);
    }
}
