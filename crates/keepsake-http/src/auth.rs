//! Who is calling: credentials accepted where and as Immich accepts them.
//!
//! Order (first present wins): a shared-link key or slug (not offered yet, so
//! refused); a session token from `x-immich-user-token`,
//! `x-immich-session-token`, `?sessionKey=`, `Authorization: Bearer` or the
//! `immich_access_token` cookie; an API key from `x-api-key` or `?apiKey=`.
//! Nothing present is `401 Authentication required`. A session also learns
//! the device it is used from (`device`), as Immich's session list shows it.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use keepsake_library::Caller;
use keepsake_library::db::auth::DeviceInfo;

use crate::{ApiError, AppState};

/// An authenticated caller.
pub struct Auth(pub Caller);

/// A credential as found on the request, before it is checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented {
    ShareKey,
    Session(String),
    ApiKey(String),
    None,
}

/// Finds the credential on a request, in Immich's order.
pub fn presented(headers: &HeaderMap, query: Option<&str>) -> Presented {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let param = |name: &str| query_param(query.unwrap_or(""), name);
    if header("x-immich-share-key").is_some()
        || param("key").is_some()
        || header("x-immich-share-slug").is_some()
        || param("slug").is_some()
    {
        return Presented::ShareKey;
    }
    let bearer = header("authorization").and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let session = header("x-immich-user-token")
        .map(str::to_string)
        .or_else(|| header("x-immich-session-token").map(str::to_string))
        .or_else(|| param("sessionKey"))
        .or(bearer)
        .or_else(|| cookie(headers, "immich_access_token"));
    if let Some(token) = session {
        return Presented::Session(token);
    }
    if let Some(key) = header("x-api-key")
        .map(str::to_string)
        .or_else(|| param("apiKey"))
    {
        return Presented::ApiKey(key);
    }
    Presented::None
}

/// Device details for the session list, read as Immich reads them: the
/// browser (else the `deviceModel` header the mobile app sends) is the device
/// type, the operating system named by the User-Agent (else the app's
/// `deviceType` header, `iOS`/`Android`) is the OS, and the app version comes
/// from the app's User-Agent (`immich-ios/3.1.0`, or the older `Immich_iOS_…`).
pub fn device(headers: &HeaderMap) -> DeviceInfo {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or("")
    };
    let ua = text("user-agent");
    let os = user_agent_os(ua).unwrap_or_else(|| text("devicetype"));
    let device_type = user_agent_browser(ua).unwrap_or_else(|| text("devicemodel"));
    DeviceInfo {
        device_type: device_type.to_string(),
        device_os: os.to_string(),
        app_version: app_version(ua).unwrap_or_default().to_string(),
    }
}

/// The Immich app's version from its User-Agent.
fn app_version(ua: &str) -> Option<&str> {
    let current = ["immich-android/", "immich-ios/", "immich-unknown/"]
        .iter()
        .find_map(|p| ua.strip_prefix(p));
    let legacy = || {
        ["Immich_Android_", "Immich_iOS_", "Immich_Unknown_"]
            .iter()
            .find_map(|p| ua.strip_prefix(p))
    };
    current.or_else(legacy).filter(|v| !v.is_empty())
}

/// The browser a web User-Agent names (most specific token first).
fn user_agent_browser(ua: &str) -> Option<&'static str> {
    [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name)
}

/// The operating system a web User-Agent names.
fn user_agent_os(ua: &str) -> Option<&'static str> {
    [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("iPod", "iOS"),
        ("CrOS", "Chrome OS"),
        ("Mac OS X", "macOS"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name)
}

/// A cookie's value from the `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// One query parameter, percent-decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
        .filter(|v| !v.is_empty())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let library = &state.library;
        let caller = match presented(&parts.headers, parts.uri.query()) {
            Presented::ShareKey => {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "Invalid share key",
                ));
            }
            Presented::Session(token) => {
                library
                    .authenticate_session_from(&token, Some(&device(&parts.headers)))
                    .await?
            }
            Presented::ApiKey(key) => library.authenticate_api_key(&key).await?,
            Presented::None => {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "Authentication required",
                ));
            }
        };
        Ok(Auth(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn device_of(pairs: &[(&str, &str)]) -> DeviceInfo {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        device(&h)
    }

    #[test]
    fn the_mobile_app_is_described_by_its_device_headers_and_user_agent() {
        let d = device_of(&[
            ("user-agent", "immich-ios/3.1.0"),
            ("devicemodel", "iPhone15,2"),
            ("devicetype", "iOS"),
        ]);
        assert_eq!(
            (
                d.device_type.as_str(),
                d.device_os.as_str(),
                d.app_version.as_str()
            ),
            ("iPhone15,2", "iOS", "3.1.0")
        );
        let legacy = device_of(&[("user-agent", "Immich_Android_1.140.0")]);
        assert_eq!(legacy.app_version, "1.140.0");
        assert_eq!(legacy.device_type, "");
    }

    #[test]
    fn browsers_are_described_by_their_user_agent() {
        let d = device_of(&[(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        )]);
        assert_eq!(
            (d.device_type.as_str(), d.device_os.as_str()),
            ("Chrome", "Linux")
        );
        let d = device_of(&[(
            "user-agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1",
        )]);
        assert_eq!(
            (d.device_type.as_str(), d.device_os.as_str()),
            ("Safari", "iOS")
        );
        assert_eq!(d.app_version, "");
    }

    #[test]
    fn sessions_win_over_api_keys_and_every_immich_place_is_read() {
        assert_eq!(
            presented(&headers(&[("x-api-key", "k")]), None),
            Presented::ApiKey("k".into())
        );
        assert_eq!(
            presented(&HeaderMap::new(), Some("apiKey=a%2Bb")),
            Presented::ApiKey("a+b".into())
        );
        assert_eq!(
            presented(
                &headers(&[("authorization", "Bearer t"), ("x-api-key", "k")]),
                None
            ),
            Presented::Session("t".into())
        );
        assert_eq!(
            presented(&headers(&[("cookie", "a=1; immich_access_token=c")]), None),
            Presented::Session("c".into())
        );
        assert_eq!(
            presented(&HeaderMap::new(), Some("sessionKey=s")),
            Presented::Session("s".into())
        );
        assert_eq!(
            presented(&HeaderMap::new(), Some("key=x")),
            Presented::ShareKey
        );
        assert_eq!(
            presented(&headers(&[("authorization", "Basic abc")]), None),
            Presented::None
        );
    }
}
