//! A small cookie jar. Apple's web session lives in cookies on
//! `idmsa.apple.com` and `.icloud.com` (PROTOCOL.md §1.2), refreshed on any
//! response, and it must be saved between runs; reqwest's jar can do neither
//! cleanly, so the client keeps its own: name → value per domain.
//!
//! Matching ignores ports and paths on purpose: Apple scopes by domain only,
//! and test servers on `127.0.0.1:<port>` must share one jar like Apple's
//! hosts share `.icloud.com`.

use serde::{Deserialize, Serialize};

/// One cookie as kept between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCookie {
    /// Cookie name.
    pub name: String,
    /// Cookie value, unquoted.
    pub value: String,
    /// Lowercase, without a leading dot.
    pub domain: String,
    /// Set without a `Domain` attribute: sent only to exactly `domain`.
    pub host_only: bool,
    /// Unix seconds; `None` for a session cookie.
    pub expires: Option<i64>,
}

impl StoredCookie {
    fn matches(&self, host: &str) -> bool {
        if self.host_only {
            host == self.domain
        } else {
            host == self.domain || host.ends_with(&format!(".{}", self.domain))
        }
    }
}

/// Applies one `Set-Cookie` header received from `host` to `jar`.
pub fn apply_set_cookie(jar: &mut Vec<StoredCookie>, host: &str, header: &str, now: i64) {
    let host = host.to_ascii_lowercase();
    let mut parts = header.split(';');
    let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
        return;
    };
    let name = name.trim().to_string();
    if name.is_empty() {
        return;
    }
    let value = value.trim().trim_matches('"').to_string();
    let mut domain: Option<String> = None;
    let mut expires: Option<i64> = None;
    let mut max_age: Option<i64> = None;
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "domain" => {
                let d = v.trim().trim_start_matches('.').to_ascii_lowercase();
                if !d.is_empty() {
                    domain = Some(d);
                }
            }
            "expires" => expires = parse_cookie_date(v.trim()),
            "max-age" => max_age = v.trim().parse().ok(),
            _ => {}
        }
    }
    let expires = max_age.map(|s| now + s).or(expires);
    // A Domain the host cannot set (a loopback test server naming
    // `.icloud.com`) is kept for the host itself rather than dropped, so the
    // session still works there.
    let (domain, host_only) = match domain {
        Some(d) if host == d || host.ends_with(&format!(".{d}")) => (d, false),
        _ => (host.clone(), true),
    };
    jar.retain(|c| !(c.name == name && c.domain == domain));
    if expires.is_some_and(|e| e <= now) {
        return;
    }
    jar.push(StoredCookie {
        name,
        value,
        domain,
        host_only,
        expires,
    });
}

/// The `Cookie` header for a request to `host`, or `None` when nothing matches.
pub fn cookie_header(jar: &[StoredCookie], host: &str, now: i64) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let pairs: Vec<String> = jar
        .iter()
        .filter(|c| c.matches(&host) && c.expires.is_none_or(|e| e > now))
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

/// Cookie dates come as RFC 1123 (`Thu, 01 Jan 1970 00:00:01 GMT`) or with
/// dashes (`Thu, 01-Jan-1970 00:00:01 GMT`, which Apple sends).
fn parse_cookie_date(text: &str) -> Option<i64> {
    let normalised = text.replace('-', " ");
    let time = httpdate::parse_http_date(&normalised)
        .or_else(|_| httpdate::parse_http_date(text))
        .ok()?;
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn domain_cookies_reach_subdomains_and_host_cookies_only_their_host() {
        let mut jar = Vec::new();
        apply_set_cookie(
            &mut jar,
            "setup.icloud.com",
            "X-APPLE-WEBAUTH-TOKEN=\"v=2:t=abc\"; Domain=.icloud.com; Path=/; Secure; HttpOnly",
            NOW,
        );
        apply_set_cookie(&mut jar, "idmsa.apple.com", "aasp=123; Path=/", NOW);
        assert_eq!(
            cookie_header(&jar, "p61-ckdatabasews.icloud.com", NOW).as_deref(),
            Some("X-APPLE-WEBAUTH-TOKEN=v=2:t=abc")
        );
        assert_eq!(
            cookie_header(&jar, "idmsa.apple.com", NOW).as_deref(),
            Some("aasp=123")
        );
        assert_eq!(cookie_header(&jar, "www.apple.com", NOW), None);
    }

    #[test]
    fn a_cookie_expired_in_1970_deletes_and_a_new_value_replaces() {
        let mut jar = Vec::new();
        apply_set_cookie(&mut jar, "127.0.0.1", "a=1", NOW);
        apply_set_cookie(&mut jar, "127.0.0.1", "a=2; Max-Age=60", NOW);
        assert_eq!(jar.len(), 1);
        assert_eq!(jar[0].value, "2");
        assert_eq!(jar[0].expires, Some(NOW + 60));
        apply_set_cookie(
            &mut jar,
            "127.0.0.1",
            "a=; Expires=Thu, 01-Jan-1970 00:00:01 GMT",
            NOW,
        );
        assert!(jar.is_empty());
    }

    #[test]
    fn a_foreign_domain_from_loopback_is_kept_for_the_host() {
        let mut jar = Vec::new();
        apply_set_cookie(
            &mut jar,
            "127.0.0.1",
            "X-APPLE-WEBAUTH-HSA-TRUST=t; Domain=.icloud.com; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
            NOW,
        );
        assert_eq!(
            cookie_header(&jar, "127.0.0.1", NOW).as_deref(),
            Some("X-APPLE-WEBAUTH-HSA-TRUST=t")
        );
        assert_eq!(jar[0].expires, Some(2139722880));
    }
}
