//! The OAuth 1.0a dance end to end: request token, the browser's visit to
//! authorize (auto-approved by the fake), the verifier coming back through
//! the loopback callback or pasted by the user, and the access token working
//! for signed REST calls. The fake recomputes every signature.

use keepsake_import::flickr::{
    FakeClock, FlickrClient, FlickrError, LoopbackCallback, OOB_CALLBACK, verifier_from_pasted,
};
use keepsake_testkit::fake_flickr::{FakeAccount, FakeFlickr};

use crate::config_for;

#[tokio::test]
async fn loopback_login_yields_a_token_that_signs_rest_calls() {
    let fake = FakeFlickr::start(FakeAccount::like_recorded_fixtures()).await;
    let client = FlickrClient::with_clock(config_for(&fake), FakeClock::new()).expect("client");

    let callback = LoopbackCallback::bind().await.expect("bind");
    assert!(callback.url().starts_with("http://127.0.0.1:"));
    let request_token = client
        .request_token(callback.url())
        .await
        .expect("request token");
    assert!(request_token.callback_confirmed);
    let authorize = client.authorize_url(&request_token);
    assert!(authorize.starts_with(&format!("{}/authorize?oauth_token=", fake.oauth_url())));
    assert!(authorize.ends_with("&perms=read"));

    // The "browser": follows Flickr's redirect to our loopback listener.
    let waiting = tokio::spawn(callback.wait());
    let page = reqwest::get(&authorize).await.expect("browser");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("page")
            .contains("connected to Flickr")
    );
    let params = waiting.await.expect("join").expect("callback");
    assert_eq!(params.oauth_token, request_token.token);

    let access = client
        .access_token(&request_token, &params.oauth_verifier)
        .await
        .expect("access token");
    assert_eq!(access.user_nsid, "12345678@N00");
    assert_eq!(access.username, "jdoe");
    assert_eq!(access.fullname, "Jane Doe");

    let me = client
        .with_token(&access.token, &access.secret)
        .test_login()
        .await
        .expect("test.login");
    assert_eq!(me.id, "12345678@N00");
    assert_eq!(me.path_alias.as_deref(), Some("jdoe"));
    assert_eq!(fake.calls("oauth/request_token"), 1);
    assert_eq!(fake.calls("oauth/access_token"), 1);
}

#[tokio::test]
async fn out_of_band_login_takes_the_pasted_verifier() {
    let fake = FakeFlickr::start(FakeAccount::empty()).await;
    let client = FlickrClient::with_clock(config_for(&fake), FakeClock::new()).expect("client");
    let request_token = client
        .request_token(OOB_CALLBACK)
        .await
        .expect("request token");

    // Flickr shows the code on a page; the user copies it into the terminal.
    let page = reqwest::get(client.authorize_url(&request_token))
        .await
        .expect("authorize")
        .text()
        .await
        .expect("page");
    let shown = fake.last_verifier().expect("a verifier");
    assert!(page.contains(&shown));
    assert_eq!(shown.len(), 11, "123-456-789 form: {shown}");
    let pasted = verifier_from_pasted(&format!("  {shown}\n")).expect("verifier");

    let access = client
        .access_token(&request_token, &pasted)
        .await
        .expect("access");
    assert_eq!(access.user_nsid, "12345678@N00");
    // A request token is good for one exchange only.
    let again = client.access_token(&request_token, &pasted).await;
    assert!(
        matches!(again, Err(FlickrError::TokenRejected { .. })),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_wrong_verifier_or_secret_is_refused_with_advice() {
    let fake = FakeFlickr::start(FakeAccount::empty()).await;
    let client = FlickrClient::with_clock(config_for(&fake), FakeClock::new()).expect("client");
    let request_token = client
        .request_token(OOB_CALLBACK)
        .await
        .expect("request token");
    reqwest::get(client.authorize_url(&request_token))
        .await
        .expect("authorize");
    let wrong = client.access_token(&request_token, "000-000-000").await;
    assert!(
        matches!(wrong, Err(FlickrError::TokenRejected { .. })),
        "{wrong:?}"
    );

    let mut config = config_for(&fake);
    config.api_secret = "not-the-secret".into();
    let bad = FlickrClient::with_clock(config, FakeClock::new()).expect("client");
    let error = bad.request_token(OOB_CALLBACK).await.expect_err("refused");
    match &error {
        FlickrError::InvalidSignature { base_string } => {
            assert!(
                base_string
                    .as_deref()
                    .is_some_and(|b| b.starts_with("GET&http%3A%2F%2F127.0.0.1"))
            );
        }
        other => panic!("expected an invalid signature, got {other:?}"),
    }
    assert!(error.to_string().contains("KEEPSAKE_FLICKR_API_SECRET"));
}

#[tokio::test]
async fn a_revoked_token_asks_for_a_new_login() {
    let (fake, client, _clock) = crate::logged_in(FakeAccount::empty()).await;
    fake.revoke_access_tokens();
    let error = client.test_login().await.expect_err("revoked");
    assert!(
        matches!(error, FlickrError::TokenRejected { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("keepsake flickr login"));
}

#[tokio::test]
async fn the_loopback_callback_ignores_stray_requests_and_reports_a_denial() {
    let callback = LoopbackCallback::bind().await.expect("bind");
    let url = callback.url().to_string();
    let waiting = tokio::spawn(callback.wait());
    let stray = reqwest::get(url.replace("/flickr/callback", "/favicon.ico"))
        .await
        .expect("stray");
    assert_eq!(stray.status(), 404);
    let denied = reqwest::get(format!("{url}?denied=abc"))
        .await
        .expect("denied");
    assert_eq!(denied.status(), 403);
    let result = waiting.await.expect("join");
    assert!(
        matches!(result, Err(FlickrError::AccessDenied)),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_fake_checks_signatures_sent_in_the_query_or_a_form_body_too() {
    use keepsake_import::flickr::oauth::{Signer, encode_form};
    use keepsake_testkit::fake_flickr::{API_KEY, API_SECRET};

    let fake = FakeFlickr::start(FakeAccount::empty()).await;
    let signer = Signer {
        consumer_key: API_KEY.into(),
        consumer_secret: API_SECRET.into(),
        token: Some(fake.issue_access_token()),
    };
    let url = reqwest::Url::parse(&fake.rest_url()).expect("url");
    let params: Vec<(String, String)> = [
        ("method", "flickr.test.login"),
        ("format", "json"),
        ("nojsoncallback", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let http = reqwest::Client::new();

    // (a) GET with every parameter, oauth_* included, in the query string.
    let signed = signer.sign("GET", &url, &params, &[], "nonce-a", 1_700_000_000);
    let query = encode_form(&[params.clone(), signed.oauth.clone()].concat());
    let body = http
        .get(format!("{url}?{query}"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(body.contains("\"stat\":\"ok\""), "{body}");

    // (b) POST with the parameters in a form body.
    let signed = signer.sign("POST", &url, &params, &[], "nonce-b", 1_700_000_000);
    let form = encode_form(&[params.clone(), signed.oauth.clone()].concat());
    let body = http
        .post(url.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("body");
    assert!(body.contains("\"stat\":\"ok\""), "{body}");

    // A parameter changed after signing: Flickr's 401 with the base string it computed.
    let tampered = encode_form(
        &[
            params.clone(),
            vec![("extras".to_string(), "url_o".to_string())],
            signed.oauth.clone(),
        ]
        .concat(),
    );
    let answer = http
        .get(format!("{url}?{tampered}"))
        .send()
        .await
        .expect("get");
    assert_eq!(answer.status(), 401);
    let text = answer.text().await.expect("body");
    assert!(
        text.starts_with("oauth_problem=signature_invalid&debug_sbs=GET&"),
        "{text}"
    );
    assert!(text.contains("extras%3Durl_o"), "{text}");
}
