//! Apple ID sign-in (IDMSA: SRP init/complete, trusted numbers, code delivery
//! and verification, trust tokens) and the iCloud setup service
//! (`accountLogin`, `validate`, `logout`), with Apple's status codes and error
//! bodies. Codes are "sent" into a list the test reads instead of a phone.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use num_bigint::BigUint;
use rand::Rng;
use serde_json::{Value, json};

use super::{Inner, Shared, http_date, json_response, now_ms, request_cookies, srp};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

const ERR_CREDENTIALS: &str = r#"{"serviceErrors":[{"code":"-20101","message":"Enter the email or phone number and password for your Apple Account.","suppressDismissal":false}]}"#;
const ERR_CODE: &str = r#"{"service_errors":[{"code":"-21669","title":"Incorrect Verification Code","message":"Incorrect verification code.","suppressDismissal":false}],"hasError":true}"#;

/// Sign-in state: SRP handshakes in flight, sessions, trust tokens, web sessions.
pub(crate) struct AuthState {
    inits: HashMap<String, PendingInit>,
    sessions: Vec<AuthSession>,
    /// Trust token → expiry (ms).
    trust_tokens: HashMap<String, i64>,
    /// `X-APPLE-WEBAUTH-TOKEN` value → the session token it was made from.
    web: HashMap<String, String>,
    pub codes_sent: Vec<(String, String)>,
    pub trust_lifetime: Duration,
    pub mode_2026: bool,
}

struct PendingInit {
    account_name: String,
    known: bool,
    a_pub: BigUint,
    b: BigUint,
    scnt: String,
}

struct AuthSession {
    id: String,
    /// Every session token issued to this session (2sv/trust adds one).
    tokens: Vec<String>,
    scnt: String,
    /// Signed in with a valid trust token (no MFA needed).
    trusted: bool,
    verified_by_code: bool,
    /// (channel, code) of the last code sent; only it is accepted.
    pending: Option<(String, String)>,
    /// Expiry of the trust token this session used or minted.
    trust_expiry: Option<i64>,
}

impl AuthSession {
    fn verified(&self) -> bool {
        self.trusted || self.verified_by_code
    }
    fn token(&self) -> &str {
        self.tokens.last().map(String::as_str).unwrap_or("")
    }
}

impl AuthState {
    pub(crate) fn new() -> AuthState {
        AuthState {
            inits: HashMap::new(),
            sessions: Vec::new(),
            trust_tokens: HashMap::new(),
            web: HashMap::new(),
            codes_sent: Vec::new(),
            trust_lifetime: Duration::from_secs(30 * 24 * 3600),
            mode_2026: false,
        }
    }

    pub(crate) fn expire_trust_tokens(&mut self) {
        for expiry in self.trust_tokens.values_mut() {
            *expiry = 0;
        }
    }

    pub(crate) fn expire_sessions(&mut self) {
        self.inits.clear();
        self.sessions.clear();
        self.web.clear();
    }

    /// Whether a CloudKit or setup request carries a live web session.
    pub(crate) fn web_session_alive(&self, headers: &HeaderMap) -> bool {
        request_cookies(headers)
            .get("X-APPLE-WEBAUTH-TOKEN")
            .is_some_and(|t| self.web.contains_key(t))
    }

    /// A verified session with a web session, without the HTTP dance.
    pub(crate) fn direct_web_session(
        &mut self,
        rng: &mut impl Rng,
        dsid: &str,
    ) -> (String, String) {
        let token = random_b64(rng, 120);
        self.sessions.push(AuthSession {
            id: random_b64(rng, 24).replace(['+', '/', '='], ""),
            tokens: vec![token.clone()],
            scnt: format!("AAAA-{}", random_b64(rng, 48)),
            trusted: true,
            verified_by_code: false,
            pending: None,
            trust_expiry: None,
        });
        let web = random_b64(rng, 90).replace(['+', '/', '='], "_");
        self.web.insert(web.clone(), token);
        (web, dsid.to_string())
    }

    fn session_for(&self, headers: &HeaderMap) -> Option<usize> {
        let id = header_str(headers, "X-Apple-ID-Session-Id")?;
        self.sessions
            .iter()
            .position(|s| s.id == id || s.tokens.iter().any(|t| t == id))
    }

    fn send_code(&mut self, session: usize, channel: String, rng: &mut impl Rng) {
        let code = format!("{:06}", rng.gen_range(0..1_000_000));
        self.codes_sent.push((channel.clone(), code.clone()));
        self.sessions[session].pending = Some((channel, code));
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn random_b64(rng: &mut impl Rng, n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| rng.r#gen()).collect();
    B64.encode(bytes)
}

fn raw_json(status: StatusCode, body: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn no_session() -> Response {
    raw_json(
        StatusCode::UNAUTHORIZED,
        r#"{"hasError":true,"serviceErrors":[{"code":"-20101","message":"Your session has expired. Please sign in again.","suppressDismissal":false}]}"#,
    )
}

/// Adds the headers every answer about a session carries.
fn with_session_headers(mut r: Response, s: &AuthSession) -> Response {
    let h = r.headers_mut();
    h.insert("scnt", s.scnt.parse().expect("header"));
    h.insert("X-Apple-ID-Session-Id", s.id.parse().expect("header"));
    h.insert("X-Apple-Session-Token", s.token().parse().expect("header"));
    r
}

fn trusted_numbers(inner: &Inner) -> Vec<Value> {
    inner
        .account
        .phones
        .iter()
        .map(|(id, number)| {
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            let last_two = &digits[digits.len().saturating_sub(2)..];
            // Apple shows the dial code and masks every other digit but the last two.
            let (dial, rest) = number.split_once(' ').unwrap_or(("", number.as_str()));
            let masked: String = rest
                .chars()
                .rev()
                .enumerate()
                .map(|(i, c)| {
                    if c.is_ascii_digit() && i >= 2 {
                        '•'
                    } else {
                        c
                    }
                })
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            json!({
                "id": id,
                "numberWithDialCode": format!("{dial} {masked}"),
                "pushMode": "sms",
                "obfuscatedNumber": masked,
                "lastTwoDigits": last_two,
            })
        })
        .collect()
}

fn security_code() -> Value {
    json!({"length": 6, "tooManyCodesSent": false, "tooManyCodesValidated": false,
           "securityCodeLocked": false, "securityCodeCooldown": false})
}

fn phone_verification(inner: &Inner) -> Value {
    let numbers = trusted_numbers(inner);
    json!({
        "trustedPhoneNumbers": numbers,
        "trustedPhoneNumber": numbers.first().cloned().unwrap_or(Value::Null),
        "securityCode": security_code(),
        "authenticationType": "hsa2",
        "recoveryUrl": "https://iforgot.apple.com/phone/add?prs_account_nm=&autoSubmitAccount=true&appId=142",
        "hsa2Account": true,
        "restrictedAccount": false,
        "managedAccount": false,
        "supportsRecovery": true,
    })
}

fn body_json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// `{auth}/<name>`: the Apple ID endpoints.
pub(crate) fn idmsa(
    shared: &Shared,
    method: &Method,
    name: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let mut guard = shared.lock();
    let inner = &mut *guard;
    match (method.as_str(), name) {
        ("POST", "signin/init") => signin_init(inner, body),
        ("POST", "signin/complete") => signin_complete(inner, headers, body),
        ("GET", "auth") => auth_options(inner, headers),
        ("PUT", "verify/trusteddevice") | ("GET", "verify/trusteddevice") => {
            let Some(s) = session_checked(inner, headers) else {
                return no_session();
            };
            if inner.auth.mode_2026 && method == Method::PUT {
                return with_session_headers(
                    json_response(StatusCode::METHOD_NOT_ALLOWED, &json!({})),
                    &inner.auth.sessions[s],
                );
            }
            inner.auth.send_code(s, "device".into(), &mut inner.rng);
            let status = if method == Method::PUT {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            let body = json!({"trustedDeviceCount": 1, "securityCode": security_code(),
                              "phoneNumberVerification": phone_verification(inner)});
            with_session_headers(json_response(status, &body), &inner.auth.sessions[s])
        }
        ("PUT", "verify/trusteddevice/securitycode") => {
            let Some(s) = session_checked(inner, headers) else {
                return no_session();
            };
            inner.auth.send_code(s, "device".into(), &mut inner.rng);
            let body = json!({"trustedDeviceCount": 1, "securityCode": security_code()});
            with_session_headers(
                json_response(StatusCode::ACCEPTED, &body),
                &inner.auth.sessions[s],
            )
        }
        ("PUT", "verify/phone") => {
            let Some(s) = session_checked(inner, headers) else {
                return no_session();
            };
            let v = body_json(body);
            let id = v["phoneNumber"]["id"].as_u64();
            let mode = v["mode"].as_str().unwrap_or("sms");
            let known = id.is_some_and(|id| inner.account.phones.iter().any(|(p, _)| *p == id));
            if !known || !(mode == "sms" || mode == "voice") {
                return with_session_headers(
                    raw_json(
                        StatusCode::BAD_REQUEST,
                        r#"{"service_errors":[{"code":"-22979","message":"Verification code could not be sent.","suppressDismissal":false}],"hasError":true}"#,
                    ),
                    &inner.auth.sessions[s],
                );
            }
            let id = id.unwrap_or_default();
            inner
                .auth
                .send_code(s, format!("{mode}:{id}"), &mut inner.rng);
            let mut body = phone_verification(inner);
            if let Some(n) = trusted_numbers(inner)
                .into_iter()
                .find(|n| n["id"].as_u64() == Some(id))
            {
                body["trustedPhoneNumber"] = n;
            }
            body["mode"] = json!(mode);
            with_session_headers(
                json_response(StatusCode::OK, &body),
                &inner.auth.sessions[s],
            )
        }
        ("POST", "verify/trusteddevice/securitycode") | ("POST", "verify/phone/securitycode") => {
            let Some(s) = session_checked(inner, headers) else {
                return no_session();
            };
            let v = body_json(body);
            let code = v["securityCode"]["code"].as_str().unwrap_or("");
            let device = name.starts_with("verify/trusteddevice");
            let phone_id = v["phoneNumber"]["id"].as_u64();
            let session = &mut inner.auth.sessions[s];
            let ok = match &session.pending {
                Some((channel, expected)) if expected == code => {
                    if device {
                        channel == "device"
                    } else {
                        let id = channel.split_once(':').map(|(_, id)| id.to_string());
                        channel != "device" && phone_id.is_none_or(|p| Some(p.to_string()) == id)
                    }
                }
                _ => false,
            };
            if !ok {
                return with_session_headers(raw_json(StatusCode::BAD_REQUEST, ERR_CODE), session);
            }
            session.pending = None;
            session.verified_by_code = true;
            if device {
                let r = Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .body(Body::empty())
                    .expect("response");
                with_session_headers(r, &inner.auth.sessions[s])
            } else {
                let body = phone_verification(inner);
                with_session_headers(
                    json_response(StatusCode::OK, &body),
                    &inner.auth.sessions[s],
                )
            }
        }
        ("GET", "2sv/trust") => {
            let Some(s) = session_checked(inner, headers) else {
                return no_session();
            };
            if !inner.auth.sessions[s].verified_by_code {
                return with_session_headers(no_session(), &inner.auth.sessions[s]);
            }
            let trust = format!("HSARMTKNSRVXWFla{}", random_b64(&mut inner.rng, 96));
            let expiry = now_ms() + inner.auth.trust_lifetime.as_millis() as i64;
            inner.auth.trust_tokens.insert(trust.clone(), expiry);
            let token = random_b64(&mut inner.rng, 120);
            let session = &mut inner.auth.sessions[s];
            session.tokens.push(token);
            session.trust_expiry = Some(expiry);
            let mut r = Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())
                .expect("response");
            r.headers_mut()
                .insert("X-Apple-TwoSV-Trust-Token", trust.parse().expect("header"));
            with_session_headers(r, session)
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no IDMSA endpoint {method} {name}")}),
        ),
    }
}

/// The session named by `X-Apple-ID-Session-Id` (its id or any of its
/// tokens), provided the client echoes the session's current `scnt`.
fn session_checked(inner: &Inner, headers: &HeaderMap) -> Option<usize> {
    let s = inner.auth.session_for(headers)?;
    (header_str(headers, "scnt") == Some(inner.auth.sessions[s].scnt.as_str())).then_some(s)
}

fn signin_init(inner: &mut Inner, body: &Bytes) -> Response {
    let v = body_json(body);
    let (Some(a), Some(name)) = (v["a"].as_str(), v["accountName"].as_str()) else {
        return raw_json(
            StatusCode::BAD_REQUEST,
            r#"{"serviceErrors":[{"code":"-20101","message":"Bad request"}]}"#,
        );
    };
    let Ok(a_bytes) = B64.decode(a) else {
        return raw_json(
            StatusCode::BAD_REQUEST,
            r#"{"serviceErrors":[{"code":"-20101","message":"Bad request"}]}"#,
        );
    };
    let protocols: Vec<&str> = v["protocols"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| vec!["s2k", "s2k_fo"]);
    let account = &inner.account;
    let known = name.eq_ignore_ascii_case(&account.apple_id);
    if known && !protocols.contains(&account.protocol.name()) {
        return raw_json(
            StatusCode::BAD_REQUEST,
            r#"{"serviceErrors":[{"code":"-20283","message":"Unsupported protocol"}]}"#,
        );
    }
    // An unknown name still gets a plausible challenge, so sign-in fails at
    // `complete` (401) and does not reveal which accounts exist.
    let (salt, verifier, protocol, iterations) = if known {
        (
            account.salt.clone(),
            account.verifier.clone(),
            account.protocol,
            account.iterations,
        )
    } else {
        let mut salt: [u8; 16] = inner.rng.r#gen();
        salt[0] |= 0x80;
        let fake_v = srp::g().modpow(
            &BigUint::from_bytes_be(&inner.rng.r#gen::<[u8; 32]>()),
            &srp::n(),
        );
        (salt.to_vec(), fake_v, account.protocol, account.iterations)
    };
    let b = BigUint::from_bytes_be(&inner.rng.r#gen::<[u8; 32]>());
    let b_pub = srp::server_public(&verifier, &b);
    let c = format!(
        "d-{}-{}:MSA",
        inner.rng.gen_range(10..99),
        super::uuid_upper(&mut inner.rng).to_lowercase()
    );
    let scnt = format!("AAAA-{}", random_b64(&mut inner.rng, 48));
    inner.auth.inits.insert(
        c.clone(),
        PendingInit {
            account_name: name.to_string(),
            known,
            a_pub: BigUint::from_bytes_be(&a_bytes),
            b,
            scnt: scnt.clone(),
        },
    );
    let body = json!({
        "iteration": iterations,
        "salt": B64.encode(&salt),
        "protocol": protocol.name(),
        "b": B64.encode(srp::bytes(&b_pub)),
        "c": c,
    });
    let aasp = super::hex(&inner.rng.r#gen::<[u8; 32]>()).to_uppercase();
    let mut r = json_response(StatusCode::OK, &body);
    r.headers_mut()
        .insert("scnt", scnt.parse().expect("header"));
    r.headers_mut().insert(
        header::SET_COOKIE,
        format!("aasp={aasp}; Path=/; HttpOnly")
            .parse()
            .expect("header"),
    );
    r
}

fn signin_complete(inner: &mut Inner, headers: &HeaderMap, body: &Bytes) -> Response {
    let v = body_json(body);
    let c = v["c"].as_str().unwrap_or("");
    let Some(init) = inner.auth.inits.remove(c) else {
        return raw_json(StatusCode::UNAUTHORIZED, ERR_CREDENTIALS);
    };
    let name = v["accountName"].as_str().unwrap_or("");
    let m1 = v["m1"].as_str().and_then(|m| B64.decode(m).ok());
    let m2 = v["m2"].as_str().and_then(|m| B64.decode(m).ok());
    let scnt_ok = header_str(headers, "scnt") == Some(init.scnt.as_str());
    let proofs = srp::server_proofs(
        &init.account_name,
        &inner.account.salt,
        &inner.account.verifier,
        &init.b,
        &init.a_pub,
    );
    let good = init.known
        && scnt_ok
        && name == init.account_name
        && proofs.is_some_and(|p| Some(&p.m1) == m1.as_ref() && Some(&p.m2) == m2.as_ref());
    if !good {
        return raw_json(StatusCode::UNAUTHORIZED, ERR_CREDENTIALS);
    }
    let now = now_ms();
    let trust_expiry = v["trustTokens"].as_array().and_then(|tokens| {
        tokens
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|t| inner.auth.trust_tokens.get(t).copied())
            .find(|expiry| *expiry > now)
    });
    let session = AuthSession {
        id: random_b64(&mut inner.rng, 24).replace(['+', '/', '='], ""),
        tokens: vec![random_b64(&mut inner.rng, 120)],
        scnt: format!("AAAA-{}", random_b64(&mut inner.rng, 48)),
        trusted: trust_expiry.is_some(),
        verified_by_code: false,
        pending: None,
        trust_expiry,
    };
    inner.auth.sessions.push(session);
    let s = inner.auth.sessions.len() - 1;
    let status = if trust_expiry.is_some() {
        StatusCode::OK
    } else {
        // Before 2026 Apple pushed a code to the devices right away; since
        // then a non-browser sign-in gets none until it asks explicitly.
        if !inner.auth.mode_2026 {
            inner.auth.send_code(s, "device".into(), &mut inner.rng);
        }
        StatusCode::CONFLICT
    };
    let mut r = json_response(status, &json!({"authType": "hsa2"}));
    r.headers_mut().insert(
        "X-Apple-Auth-Attributes",
        random_b64(&mut inner.rng, 60).parse().expect("header"),
    );
    with_session_headers(r, &inner.auth.sessions[s])
}

fn auth_options(inner: &Inner, headers: &HeaderMap) -> Response {
    let Some(s) = session_checked(inner, headers) else {
        return no_session();
    };
    let wants_json = header_str(headers, "accept").is_some_and(|a| a.contains("application/json"));
    if wants_json {
        let mut body = phone_verification(inner);
        body["trustedDeviceCount"] = json!(1);
        body["noTrustedDevices"] = json!(false);
        body["hideSendSMSCodeOption"] = json!(false);
        body["supportsCustodianRecovery"] = json!(false);
        return with_session_headers(
            json_response(StatusCode::OK, &body),
            &inner.auth.sessions[s],
        );
    }
    let pnv = phone_verification(inner);
    let two_sv = if inner.auth.mode_2026 {
        json!({"supportedPushModes": ["voice", "sms"], "authFactors": ["web_piggybacking", "sms"],
               "sourceAppId": 1159,
               "bridgeInitiateData": {"apnsTopic": "com.apple.idmsauthwidget", "apnsEnvironment": "prod",
                                      "webSocketUrl": "websocket.push.apple.com", "phoneNumberVerification": pnv}})
    } else {
        json!({"supportedPushModes": ["voice", "sms"], "authFactors": ["web_piggybacking", "sms"],
               "sourceAppId": 1159, "phoneNumberVerification": pnv})
    };
    let route = if inner.auth.mode_2026 {
        "auth/bridge/step"
    } else {
        "auth/verify/trusteddevice"
    };
    let boot = json!({"direct": {"authInitialRoute": route, "hasTrustedDevices": true, "twoSV": two_sv,
                                 "isReauthAuthenticationFlow": false}, "additional": {}});
    let html = format!(
        "<!DOCTYPE html>\n<html><head><title>Apple Account</title>\n<script type=\"application/json\" class=\"boot_args\">\n{boot}\n</script>\n</head><body><div id=\"app\"></div></body></html>"
    );
    let r = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/html;charset=UTF-8")
        .body(Body::from(html))
        .expect("response");
    with_session_headers(r, &inner.auth.sessions[s])
}

/// `{setup}/<name>`: accountLogin, validate, logout.
pub(crate) fn setup(
    shared: &Shared,
    method: &Method,
    name: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let expired = || {
        json_response(
            StatusCode::from_u16(421).expect("421"),
            &json!({"success": false, "error": 1}),
        )
    };
    if method != Method::POST {
        return json_response(StatusCode::METHOD_NOT_ALLOWED, &json!({"success": false}));
    }
    let mut guard = shared.lock();
    let inner = &mut *guard;
    match name {
        "accountLogin" => {
            let v = body_json(body);
            let Some(token) = v["dsWebAuthToken"].as_str() else {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"success": false, "error": "Missing dsWebAuthToken"}),
                );
            };
            let Some(s) = inner
                .auth
                .sessions
                .iter()
                .position(|s| s.tokens.iter().any(|t| t == token))
            else {
                return expired();
            };
            let session = &inner.auth.sessions[s];
            let (verified, trust_expiry) = (session.verified(), session.trust_expiry);
            let trusted_browser = trust_expiry.is_some_and(|e| e > now_ms());
            let mut r = json_response(
                StatusCode::OK,
                &account_body(shared, inner, !verified, trusted_browser),
            );
            if verified {
                let web = random_b64(&mut inner.rng, 90).replace(['+', '/', '='], "_");
                inner.auth.web.insert(web.clone(), token.to_string());
                for c in web_cookies(inner, &web, token, trust_expiry) {
                    r.headers_mut()
                        .append(header::SET_COOKIE, c.parse().expect("cookie"));
                }
            }
            r
        }
        "validate" => {
            if !inner.auth.web_session_alive(headers) {
                return expired();
            }
            json_response(StatusCode::OK, &account_body(shared, inner, false, true))
        }
        "logout" => {
            let cookies = request_cookies(headers);
            let Some(web) = cookies.get("X-APPLE-WEBAUTH-TOKEN") else {
                return expired();
            };
            let Some(token) = inner.auth.web.remove(web) else {
                return expired();
            };
            // Logging out ends the session token too; trust tokens survive.
            inner.auth.sessions.retain(|s| !s.tokens.contains(&token));
            inner.auth.web.retain(|_, t| *t != token);
            json_response(StatusCode::OK, &json!({"success": true}))
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"success": false, "error": format!("no setup endpoint {name}")}),
        ),
    }
}

/// Cookie attributes: no `Domain` (host-only on 127.0.0.1, sent back to every
/// port of it) and no `Secure` (plain HTTP on loopback would drop them).
fn web_cookies(
    inner: &mut Inner,
    web: &str,
    session_token: &str,
    trust_expiry: Option<i64>,
) -> Vec<String> {
    let now_s = now_ms() / 1000;
    let month = http_date(now_s + 30 * 24 * 3600);
    let year = http_date(now_s + 365 * 24 * 3600);
    let dsid = inner.account.dsid.clone();
    let login = random_b64(&mut inner.rng, 30);
    let validate = random_b64(&mut inner.rng, 30);
    let client = random_b64(&mut inner.rng, 12);
    let mut out = vec![
        format!("X-APPLE-UNIQUE-CLIENT-ID=\"{client}\"; Path=/"),
        format!("X-APPLE-WEBAUTH-LOGIN=\"v=1:t={login}~~\"; Path=/; HttpOnly"),
        format!("X-APPLE-WEBAUTH-VALIDATE=\"v=1:t={validate}~~\"; Path=/"),
        "X-APPLE-WEBAUTH-HSA-LOGIN=; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Path=/; HttpOnly"
            .to_string(),
        format!("X-APPLE-WEBAUTH-USER=\"v=1:s=1:d={dsid}\"; Expires={year}; Path=/; HttpOnly"),
        format!("X-APPLE-WEBAUTH-TOKEN=\"{web}\"; Expires={month}; Path=/; HttpOnly"),
        format!(
            "X-APPLE-DS-WEB-SESSION-TOKEN=\"{}\"; Expires={month}; Path=/; HttpOnly",
            &session_token[..session_token.len().min(40)]
        ),
    ];
    if let Some(expiry) = trust_expiry {
        let trust = random_b64(&mut inner.rng, 60);
        out.push(format!(
            "X-APPLE-WEBAUTH-HSA-TRUST=\"v=1:t={trust}~~\"; Expires={}; Path=/; HttpOnly",
            http_date(expiry / 1000)
        ));
    }
    out
}

fn account_body(shared: &Shared, inner: &Inner, challenge: bool, trusted_browser: bool) -> Value {
    let base = &shared.base;
    let a = &inner.account;
    let service = |path: &str| json!({"url": format!("{base}{path}"), "status": "active"});
    json!({
        "dsInfo": {
            "dsid": a.dsid, "appleId": a.apple_id, "primaryEmail": a.apple_id,
            "appleIdAliases": [], "appleIdEntries": [{"isPrimary": true, "type": "EMAIL", "value": a.apple_id}],
            "firstName": a.first_name, "lastName": "Doe", "fullName": format!("{} Doe", a.first_name),
            "hsaEnabled": true, "hsaVersion": 2, "isWebAccessAllowed": true, "isManagedAppleID": false,
            "countryCode": "USA", "locale": "en-us_US", "languageCode": "en-us", "statusCode": 2,
            "locked": false, "iCDPEnabled": false, "pcsDeleted": false, "primaryEmailVerified": true,
            "hasICloudQualifyingDevice": true, "brMigrated": true, "notesMigrated": true,
        },
        "hasMinimumDeviceForPhotosWeb": true,
        "iCDPEnabled": false,
        "webservices": {
            "ckdatabasews": {"url": base, "status": "active", "pcsRequired": false},
            "photosupload": {"url": base, "status": "active", "pcsRequired": false},
            "photos": {"url": base, "uploadUrl": base, "status": "active", "pcsRequired": false},
            "ckdeviceservice": {"url": base},
            "account": service("/setup/ws/1"),
        },
        "pcsEnabled": true,
        "configBag": {"urls": {
            "accountLogin": format!("{base}/setup/ws/1/accountLogin"),
            "accountLoginUI": format!("{base}/appleauth/auth/signin?widgetKey="),
            "accountAuthorizeUI": format!("{base}/appleauth/auth/authorize/signin?client_id="),
            "getICloudTerms": format!("{base}/setup/ws/1/getTerms"),
            "repairDone": format!("{base}/setup/ws/1/repairDone"),
        }, "accountCreateEnabled": true},
        "hsaTrustedBrowser": trusted_browser,
        "hsaChallengeRequired": challenge,
        "appsOrder": ["mail", "contacts", "calendar", "photos", "iclouddrive", "notes3", "reminders"],
        "version": 2,
        "isExtendedLogin": true,
        "pcsServiceIdentitiesIncluded": false,
        "isRepairNeeded": false,
        "requestInfo": {"country": "US", "timeZone": "EST", "region": "NC"},
        "apps": {"photos": {}, "iclouddrive": {}},
    })
}
