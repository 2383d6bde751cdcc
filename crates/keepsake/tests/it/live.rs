//! Live updates over socket.io (`/api/socket.io/`, Engine.IO v4 websocket,
//! Socket.IO v5), as the Immich app uses them (`immich-mobile.md` §4.3): the
//! handshake authenticated like HTTP, `AssetUploadReadyV2` to the owner after
//! thumbnails exist, `on_album_update` to an album's members, the heartbeat,
//! the app's flows still working when no socket is ever opened, and a
//! socket closing when its login session ends.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use keepsake_testkit::{Client, TestServer, fixtures};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::on_each_engine;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long any single expected frame may take (thumbnails included).
const DEADLINE: Duration = Duration::from_secs(60);

/// Logs in with the password and returns the `immich_access_token=…` cookie
/// the server set, as the app's cookie jar keeps it.
async fn login_cookie(server: &TestServer, email: &str, password: &str) -> String {
    let r = reqwest::Client::new()
        .post(server.api("/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 201);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .find(|pair| pair.starts_with("immich_access_token="))
        .expect("access token cookie")
        .to_string()
}

fn socket_url(server: &TestServer, transport: &str) -> String {
    format!(
        "{}/api/socket.io/?EIO=4&transport={transport}",
        server.url.replacen("http://", "ws://", 1)
    )
}

/// Opens the websocket with extra headers (the cookie, a token).
async fn open(
    server: &TestServer,
    headers: &[(&'static str, &str)],
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = socket_url(server, "websocket")
        .into_client_request()
        .expect("request");
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, value.parse().expect("header value"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(s, _)| s)
}

/// The next text frame, failing the test after [`DEADLINE`]; `None` when closed.
async fn next_text(socket: &mut Socket) -> Option<String> {
    loop {
        let frame = tokio::time::timeout(DEADLINE, socket.next())
            .await
            .expect("a frame within the deadline");
        match frame {
            Some(Ok(Message::Text(t))) => return Some(t.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn send(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Text(text.to_string().into()))
        .await
        .expect("send");
}

/// Opens the Engine.IO session and joins the main namespace; returns the open packet.
async fn handshake(socket: &mut Socket) -> Value {
    let open = next_text(socket).await.expect("open packet");
    let open: Value =
        serde_json::from_str(open.strip_prefix('0').expect("open packet `0…`")).expect("open JSON");
    send(socket, "40").await;
    let joined = next_text(socket).await.expect("connect answer");
    let joined: Value =
        serde_json::from_str(joined.strip_prefix("40").expect("namespace connect `40…`"))
            .expect("connect JSON");
    assert!(joined["sid"].as_str().is_some_and(|s| !s.is_empty()));
    open
}

/// The next event (`42[name, payload]`), answering pings on the way.
async fn next_event(socket: &mut Socket) -> (String, Value) {
    loop {
        let text = next_text(socket).await.expect("socket open");
        if text == "2" {
            send(socket, "3").await;
            continue;
        }
        if let Some(body) = text.strip_prefix("42") {
            let v: Value = serde_json::from_str(body).expect("event JSON");
            return (v[0].as_str().expect("event name").to_string(), v[1].clone());
        }
    }
}

fn id(r: &keepsake_testkit::Reply) -> String {
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
    r.json()["id"].as_str().expect("id").to_string()
}

async fn users(server: &TestServer) -> (Client, Client) {
    let admin = server.admin().await;
    let alice = server.user(&admin, "alice@example.com").await;
    let bob = server.user(&admin, "bob@example.com").await;
    (alice, bob)
}

on_each_engine!(
    uploads_and_album_changes_reach_only_their_users_sockets,
    |server| {
        let (alice, bob) = users(&server).await;
        let cookie = login_cookie(&server, "alice@example.com", "user-password").await;
        let mut alice_socket = open(&server, &[("cookie", &cookie)])
            .await
            .expect("connect");
        let open_packet = handshake(&mut alice_socket).await;
        assert!(open_packet["sid"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(open_packet["upgrades"], json!([]));
        assert_eq!(open_packet["pingInterval"], 25000);
        assert_eq!(open_packet["pingTimeout"], 20000);
        assert_eq!(open_packet["maxPayload"], 1000000);
        // Bob's phone authenticates with the app's token header instead.
        let bob_token = server.login("bob@example.com", "user-password").await;
        let keepsake_testkit::Credential::Bearer(token) = &bob_token.credential else {
            panic!("login gives a bearer token")
        };
        let mut bob_socket = open(&server, &[("x-immich-user-token", token)])
            .await
            .expect("connect");
        handshake(&mut bob_socket).await;

        let photo = fixtures::jpeg(&server.scratch("fx"), 64, 48, 7);
        let asset = id(&alice.upload("live.jpg", photo).await);
        let (name, payload) = next_event(&mut alice_socket).await;
        assert_eq!(name, "AssetUploadReadyV2", "{payload}");
        let a = &payload["asset"];
        assert_eq!(a["id"], asset.as_str());
        assert_eq!(a["ownerId"], alice.user_id.as_str());
        assert_eq!(a["originalFileName"], "live.jpg");
        assert_eq!(a["type"], "IMAGE");
        assert_eq!(a["visibility"], "timeline");
        assert_eq!(a["isFavorite"], false);
        assert_eq!(a["isEdited"], false);
        assert!(a["checksum"].as_str().is_some_and(|c| c.len() == 28), "{a}");
        assert!(a["thumbhash"].is_string(), "thumbnails exist: {a}");
        let e = &payload["exif"];
        assert_eq!(e["assetId"], asset.as_str());
        assert_eq!(e["exifImageWidth"], 64);
        assert_eq!(e["exifImageHeight"], 48);
        assert!(e["fileSizeInByte"].as_i64().is_some_and(|n| n > 0), "{e}");

        // An album Alice shares with Bob: both members hear of the addition.
        let album = id(&alice
            .post(
                "/albums",
                &json!({ "albumName": "Live", "albumUsers": [{ "userId": bob.user_id, "role": "viewer" }] }),
            )
            .await);
        let r = alice
            .put(
                &format!("/albums/{album}/assets"),
                &json!({ "ids": [asset] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()[0]["success"], true, "{}", r.body);
        assert_eq!(
            next_event(&mut alice_socket).await,
            ("on_album_update".to_string(), json!(album))
        );
        // Events reach a socket in the order they happened: Bob's first one
        // is the album's, so Alice's upload never reached him.
        assert_eq!(
            next_event(&mut bob_socket).await,
            ("on_album_update".to_string(), json!(album))
        );
    }
);

on_each_engine!(handshakes_are_authenticated_like_http, |server| {
    let (alice, _bob) = users(&server).await;
    for headers in [
        vec![],
        vec![("cookie", "immich_access_token=not-a-token")],
        vec![("x-api-key", "not-a-key")],
    ] {
        match open(&server, &headers).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401, "{headers:?}");
            }
            Err(e) => panic!("{headers:?}: expected a 401 answer, got {e}"),
            Ok(_) => panic!("{headers:?}: an unauthenticated socket was accepted"),
        }
    }
    // An API key is a credential like any other.
    let keepsake_testkit::Credential::ApiKey(key) = &alice.credential else {
        panic!("users come with API keys")
    };
    let mut socket = open(&server, &[("x-api-key", key)]).await.expect("connect");
    handshake(&mut socket).await;
    // Polling is not offered, and says so.
    let r = reqwest::Client::new()
        .get(socket_url(&server, "polling").replacen("ws://", "http://", 1))
        .header("x-api-key", key)
        .send()
        .await
        .expect("polling request");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("JSON error");
    assert!(
        body["message"].as_str().unwrap_or("").contains("websocket"),
        "{body}"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pongs_keep_the_socket_open_and_silence_closes_it() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start_with(engine, |c| {
            c.live_ping_interval = Duration::from_millis(50);
            c.live_ping_timeout = Duration::from_millis(300);
        })
        .await;
        let (_alice, _bob) = users(&server).await;
        let cookie = login_cookie(&server, "alice@example.com", "user-password").await;
        let mut socket = open(&server, &[("cookie", &cookie)])
            .await
            .expect("connect");
        let open_packet = handshake(&mut socket).await;
        assert_eq!(open_packet["pingInterval"], 50);
        assert_eq!(open_packet["pingTimeout"], 300);
        // Answered pings keep it open, ping after ping.
        for _ in 0..5 {
            assert_eq!(next_text(&mut socket).await.as_deref(), Some("2"));
            send(&mut socket, "3").await;
        }
        // A ping left unanswered closes it within the timeout.
        assert_eq!(next_text(&mut socket).await.as_deref(), Some("2"));
        assert_eq!(
            next_text(&mut socket).await,
            None,
            "closed after a missed pong"
        );
    }
}

on_each_engine!(the_app_works_without_ever_opening_the_socket, |server| {
    let (alice, _bob) = users(&server).await;
    let session = server.login("alice@example.com", "user-password").await;
    let photo = fixtures::jpeg(&server.scratch("fx"), 32, 32, 3);
    let asset = id(&alice.upload("quiet.jpg", photo).await);
    let r = session
        .post(
            "/sync/stream",
            &json!({ "types": ["AuthUsersV1", "UsersV1", "AssetsV2"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let lines: Vec<Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "AssetV2" && l["data"]["id"] == asset.as_str()),
        "{lines:?}"
    );
    assert_eq!(lines.last().unwrap()["type"], "SyncCompleteV1");
});

/// Reads until the server's Socket.IO disconnect (`41`) and the close,
/// answering pings; fails if an event comes first or if, pings aside,
/// nothing comes within [`DEADLINE`] (a socket left open would otherwise
/// keep the heartbeat going for ever).
async fn expect_disconnect(socket: &mut Socket, which: &str) {
    let disconnect = async {
        loop {
            match next_text(socket).await.as_deref() {
                Some("2") => send(socket, "3").await,
                Some("41") => break,
                other => panic!("{which}: expected the disconnect `41`, got {other:?}"),
            }
        }
    };
    tokio::time::timeout(DEADLINE, disconnect)
        .await
        .unwrap_or_else(|_| panic!("{which}: the socket stayed open"));
    assert_eq!(next_text(socket).await, None, "{which}: closed after `41`");
}

on_each_engine!(
    revoking_or_logging_out_a_session_closes_its_sockets_and_no_others,
    |server| {
        let (alice, _bob) = users(&server).await;
        let mut iphone = keepsake_testkit::phone::Phone::iphone(&server);
        iphone
            .log_in(&server, "alice@example.com", "user-password")
            .await;
        let mut pixel = keepsake_testkit::phone::Phone::pixel(&server);
        pixel
            .log_in(&server, "alice@example.com", "user-password")
            .await;
        let cookie = |phone: &keepsake_testkit::phone::Phone| {
            format!("immich_access_token={}", phone.jar[0].1)
        };
        let mut iphone_socket = open(&server, &[("cookie", &cookie(&iphone))])
            .await
            .expect("connect");
        handshake(&mut iphone_socket).await;
        let mut pixel_socket = open(&server, &[("cookie", &cookie(&pixel))])
            .await
            .expect("connect");
        handshake(&mut pixel_socket).await;
        // A script on an API key is no login session: nothing here ends it.
        let keepsake_testkit::Credential::ApiKey(api_key) = alice.credential.clone() else {
            panic!("test users get an API key")
        };
        let mut key_socket = open(&server, &[("x-api-key", &api_key)])
            .await
            .expect("connect");
        handshake(&mut key_socket).await;
        let album = id(&alice
            .post("/albums", &json!({ "albumName": "Before" }))
            .await);
        let rename = async |name: &str| {
            let r = alice
                .patch(&format!("/albums/{album}"), &json!({ "albumName": name }))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        };
        let album_update = ("on_album_update".to_string(), json!(album));

        // The Pixel revokes the iPhone's session in the session list.
        let sessions = pixel.get("/sessions").await.json();
        let iphone_session = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["deviceOS"] == "iOS")
            .unwrap_or_else(|| panic!("{sessions}"))["id"]
            .as_str()
            .unwrap()
            .to_string();
        let revoke = pixel
            .send(pixel.request(
                reqwest::Method::DELETE,
                &format!("/sessions/{iphone_session}"),
            ))
            .await;
        assert_eq!(revoke.status, 204, "{}", revoke.body);
        expect_disconnect(&mut iphone_socket, "the revoked iPhone").await;
        // Events reach a socket in order: the rename after the revocation
        // reaching the Pixel proves the revocation did not close it.
        rename("After revoke").await;
        assert_eq!(next_event(&mut pixel_socket).await, album_update);
        assert_eq!(next_event(&mut key_socket).await, album_update);
        // A reconnect with the revoked cookie is refused at the handshake.
        assert!(
            open(&server, &[("cookie", &cookie(&iphone))])
                .await
                .is_err(),
            "the revoked cookie opens no socket"
        );

        // The Pixel logs out: its socket goes too; the API key's stays.
        let out = pixel.post("/auth/logout", &json!({})).await;
        assert_eq!(out.status, 200, "{}", out.body);
        expect_disconnect(&mut pixel_socket, "the logged-out Pixel").await;
        rename("After logout").await;
        assert_eq!(next_event(&mut key_socket).await, album_update);
    }
);

on_each_engine!(
    changing_the_password_and_signing_out_elsewhere_closes_the_other_sessions_sockets,
    |server| {
        let (alice, _bob) = users(&server).await;
        let mut iphone = keepsake_testkit::phone::Phone::iphone(&server);
        iphone
            .log_in(&server, "alice@example.com", "user-password")
            .await;
        let mut pixel = keepsake_testkit::phone::Phone::pixel(&server);
        pixel
            .log_in(&server, "alice@example.com", "user-password")
            .await;
        let mut iphone_socket = open(
            &server,
            &[(
                "cookie",
                &format!("immich_access_token={}", iphone.jar[0].1),
            )],
        )
        .await
        .expect("connect");
        handshake(&mut iphone_socket).await;
        let mut pixel_socket = open(
            &server,
            &[("cookie", &format!("immich_access_token={}", pixel.jar[0].1))],
        )
        .await
        .expect("connect");
        handshake(&mut pixel_socket).await;
        let album = id(&alice
            .post("/albums", &json!({ "albumName": "Before" }))
            .await);

        let r = pixel
            .post(
                "/auth/change-password",
                &json!({ "password": "user-password", "newPassword": "a-new-password",
                         "invalidateSessions": true }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        expect_disconnect(&mut iphone_socket, "the signed-out iPhone").await;
        let r = alice
            .patch(
                &format!("/albums/{album}"),
                &json!({ "albumName": "After" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            next_event(&mut pixel_socket).await,
            ("on_album_update".to_string(), json!(album)),
            "the session that changed the password keeps its socket"
        );
    }
);

on_each_engine!(
    deleting_a_user_closes_all_their_sockets_api_keys_included,
    |server| {
        let admin = server.admin().await;
        let alice = server.user(&admin, "alice@example.com").await;
        let bob = server.user(&admin, "bob@example.com").await;
        let mut phone = keepsake_testkit::phone::Phone::iphone(&server);
        phone
            .log_in(&server, "alice@example.com", "user-password")
            .await;
        let cookie = format!("immich_access_token={}", phone.jar[0].1);
        let mut cookie_socket = open(&server, &[("cookie", &cookie)])
            .await
            .expect("connect");
        handshake(&mut cookie_socket).await;
        let key = |c: &Client| match c.credential.clone() {
            keepsake_testkit::Credential::ApiKey(k) => k,
            _ => panic!("test users get an API key"),
        };
        let mut key_socket = open(&server, &[("x-api-key", &key(&alice))])
            .await
            .expect("connect");
        handshake(&mut key_socket).await;
        let mut bob_socket = open(&server, &[("x-api-key", &key(&bob))])
            .await
            .expect("connect");
        handshake(&mut bob_socket).await;

        let alice_id = alice.get("/users/me").await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = admin
            .delete(&format!("/admin/users/{alice_id}"), &json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        expect_disconnect(&mut cookie_socket, "the deleted user's phone").await;
        expect_disconnect(&mut key_socket, "the deleted user's script").await;
        // Bob's socket is untouched: an album change of his still reaches it.
        let album = id(&bob.post("/albums", &json!({ "albumName": "Bob's" })).await);
        let r = bob
            .patch(
                &format!("/albums/{album}"),
                &json!({ "albumName": "Bob's too" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            next_event(&mut bob_socket).await,
            ("on_album_update".to_string(), json!(album))
        );
    }
);
