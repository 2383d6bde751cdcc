//! Resumable uploads (`/api/upload`): a file sent in pieces, over connections
//! that drop, across a server restart, arrives whole and exactly once; bad
//! headers get a clear answer; an upload is invisible to everyone but its owner.

use base64::Engine as _;
use keepsake_testkit::{Client, Credential, Reply, TestServer, fake_jpeg};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::on_each_engine;

fn asset_data(fields: Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(fields.to_string())
}

fn sha1_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(bytes))
}

async fn create(client: &Client, fields: Value, length: Option<usize>) -> Reply {
    let mut rb = client
        .request(Method::POST, "/upload")
        .header("upload-complete", "?0")
        .header("x-keepsake-asset-data", asset_data(fields));
    if let Some(len) = length {
        rb = rb.header("upload-length", len.to_string());
    }
    client.send(rb).await
}

async fn patch(client: &Client, location: &str, offset: usize, bytes: &[u8], last: bool) -> Reply {
    client
        .send(
            client
                .request(Method::PATCH, location.trim_start_matches("/api"))
                .header("upload-offset", offset.to_string())
                .header("upload-complete", if last { "?1" } else { "?0" })
                .header("content-type", "application/partial-upload")
                .body(bytes.to_vec()),
        )
        .await
}

async fn offset_of(client: &Client, location: &str) -> Reply {
    client
        .send(client.request(Method::HEAD, location.trim_start_matches("/api")))
        .await
}

fn header_u64(r: &Reply, name: &str) -> u64 {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {r:?}"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn location(r: &Reply) -> String {
    assert_eq!(r.status, 201, "create: {}", r.body);
    r.headers["location"].to_str().unwrap().to_string()
}

fn api_key(client: &Client) -> String {
    match &client.credential {
        Credential::ApiKey(k) => k.clone(),
        _ => unreachable!("test clients hold API keys"),
    }
}

fn partial_files(server: &TestServer) -> Vec<String> {
    std::fs::read_dir(server.data_dir().join("uploads"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Starts a raw PATCH that announces `announced` bytes but sends only `body`;
/// the socket is returned open (a connection the server still waits on).
async fn raw_patch(
    server: &TestServer,
    key: &str,
    location: &str,
    offset: usize,
    announced: usize,
    body: &[u8],
) -> tokio::net::TcpStream {
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nx-api-key: {key}\r\nUpload-Offset: {offset}\r\nUpload-Complete: ?1\r\nContent-Type: application/partial-upload\r\nContent-Length: {announced}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// Asks the offset until it reaches `want` (the server takes the bytes as they come).
async fn wait_for_offset(client: &Client, location: &str, want: u64) {
    let mut last = 0;
    for _ in 0..500 {
        let r = offset_of(client, location).await;
        assert_eq!(r.status, 204, "{r:?}");
        last = header_u64(&r, "upload-offset");
        if last == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the offset stayed at {last}, not {want}");
}

on_each_engine!(
    a_file_sent_in_pieces_becomes_one_asset_with_its_fields,
    |server| {
        let admin = server.admin().await;
        let bytes = fake_jpeg(101, 300_000);
        let r = create(
        &admin,
        json!({ "filename": "pieces.jpg", "fileCreatedAt": "2019-07-12T18:15:12.000Z", "fileModifiedAt": "2019-07-12T18:15:12.000Z", "isFavorite": true, "deviceAssetId": "web-1", "deviceId": "keepsake-web" }),
        Some(bytes.len()),
    )
    .await;
        let loc = location(&r);
        assert!(loc.starts_with("/api/upload/"), "{loc}");
        assert_eq!(header_u64(&r, "upload-offset"), 0);
        let head = offset_of(&admin, &loc).await;
        assert_eq!(
            (
                head.status,
                header_u64(&head, "upload-offset"),
                header_u64(&head, "upload-length")
            ),
            (204, 0, bytes.len() as u64)
        );
        assert_eq!(head.headers["cache-control"], "no-store");
        let r = patch(&admin, &loc, 0, &bytes[..100_000], false).await;
        assert_eq!(
            (r.status, header_u64(&r, "upload-offset")),
            (204, 100_000),
            "{}",
            r.body
        );
        let r = patch(&admin, &loc, 100_000, &bytes[100_000..250_000], false).await;
        assert_eq!((r.status, header_u64(&r, "upload-offset")), (204, 250_000));
        let r = patch(&admin, &loc, 250_000, &bytes[250_000..], true).await;
        assert_eq!(
            (r.status, r.json()["status"].clone()),
            (201, json!("created")),
            "{}",
            r.body
        );
        let id = r.json()["id"].as_str().unwrap().to_string();
        let asset = admin.get(&format!("/assets/{id}")).await.json();
        assert_eq!(asset["checksum"], json!(sha1_b64(&bytes)));
        assert_eq!(asset["originalFileName"], "pieces.jpg");
        assert_eq!(asset["isFavorite"], true);
        assert_eq!(asset["fileCreatedAt"], "2019-07-12T18:15:12.000Z");
        let original = admin.get(&format!("/assets/{id}/original")).await;
        assert!(
            original.bytes == bytes,
            "the original is the file, byte for byte"
        );
        assert!(
            partial_files(&server).is_empty(),
            "{:?}",
            partial_files(&server)
        );
        assert_eq!(
            offset_of(&admin, &loc).await.status,
            404,
            "an ended upload is gone"
        );

        // The same file again: found as a duplicate at the end, or at once with
        // the checksum header.
        let loc = location(&create(&admin, json!({ "filename": "again.jpg" }), None).await);
        let r = patch(&admin, &loc, 0, &bytes, true).await;
        assert_eq!(
            (r.status, r.json()["status"].clone(), r.json()["id"].clone()),
            (200, json!("duplicate"), json!(id))
        );
        let r = admin
            .send(
                admin
                    .request(Method::POST, "/upload")
                    .header("upload-complete", "?0")
                    .header("x-immich-checksum", sha1_b64(&bytes))
                    .header(
                        "x-keepsake-asset-data",
                        asset_data(json!({ "filename": "third.jpg" })),
                    ),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["status"].clone()),
            (200, json!("duplicate"))
        );
        assert_eq!(admin.get("/assets/statistics").await.json()["total"], 1);
        assert!(
            partial_files(&server).is_empty(),
            "{:?}",
            partial_files(&server)
        );
    }
);

on_each_engine!(
    a_request_cut_off_midway_keeps_its_bytes_and_the_rest_completes_it,
    |server| {
        let admin = server.admin().await;
        let bytes = fake_jpeg(102, 400_000);
        let loc =
            location(&create(&admin, json!({ "filename": "cut.jpg" }), Some(bytes.len())).await);
        let mut socket = raw_patch(
            &server,
            &api_key(&admin),
            &loc,
            0,
            bytes.len(),
            &bytes[..150_000],
        )
        .await;
        socket.shutdown().await.unwrap();
        let mut reply = Vec::new();
        let _ = socket.read_to_end(&mut reply).await;
        wait_for_offset(&admin, &loc, 150_000).await;

        // Sending from the wrong place is refused with the right offset.
        let r = patch(&admin, &loc, 0, &bytes, true).await;
        assert_eq!(r.status, 409);
        assert_eq!(header_u64(&r, "upload-offset"), 150_000);
        assert_eq!(r.json()["expected-offset"], 150_000);
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("byte 150000")
        );
        assert_eq!(
            header_u64(&offset_of(&admin, &loc).await, "upload-offset"),
            150_000,
            "a refused request changes nothing"
        );

        let r = patch(&admin, &loc, 150_000, &bytes[150_000..], true).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().unwrap().to_string();
        assert_eq!(
            admin.get(&format!("/assets/{id}")).await.json()["checksum"],
            json!(sha1_b64(&bytes))
        );
    }
);

on_each_engine!(a_newer_request_takes_over_one_still_sending, |server| {
    let admin = server.admin().await;
    let bytes = fake_jpeg(103, 200_000);
    let loc = location(
        &create(
            &admin,
            json!({ "filename": "stalled.jpg" }),
            Some(bytes.len()),
        )
        .await,
    );
    // A connection that went quiet without closing (a phone leaving Wi-Fi):
    // the server is still waiting on it when the client comes back.
    let mut stalled = raw_patch(
        &server,
        &api_key(&admin),
        &loc,
        0,
        bytes.len(),
        &bytes[..80_000],
    )
    .await;
    wait_for_offset(&admin, &loc, 80_000).await;
    let r = patch(&admin, &loc, 80_000, &bytes[80_000..], true).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        admin.get(&format!("/assets/{id}")).await.json()["checksum"],
        json!(sha1_b64(&bytes))
    );
    // The old request was told to stop.
    let mut reply = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stalled.read(&mut reply))
        .await
        .expect("the stalled request is answered")
        .unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 409"), "{reply}");
    assert!(reply.contains("newer request took over"), "{reply}");
    assert_eq!(admin.get("/assets/statistics").await.json()["total"], 1);
});

on_each_engine!(
    a_partial_upload_survives_a_restart_without_its_unsynced_tail,
    |server| {
        let admin = server.admin().await;
        let bytes = fake_jpeg(104, 120_000);
        let loc = location(
            &create(
                &admin,
                json!({ "filename": "restart.jpg" }),
                Some(bytes.len()),
            )
            .await,
        );
        assert_eq!(
            patch(&admin, &loc, 0, &bytes[..50_000], false).await.status,
            204
        );
        let engine = server.engine;
        let (dir, database) = server.stop().await;
        // A crash after bytes were written but before they were synced: the file
        // is longer than what the server confirmed. The restart cuts it back.
        let id = loc.rsplit('/').next().unwrap();
        let part = dir.path().join("data/uploads").join(format!("{id}.part"));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&part)
            .unwrap();
        std::io::Write::write_all(&mut f, b"not what the client sent").unwrap();
        drop(f);
        let server = TestServer::start_at(engine, dir, database).await;
        let admin = Client {
            base: server.api(""),
            ..admin
        };
        let head = offset_of(&admin, &loc).await;
        assert_eq!(
            (head.status, header_u64(&head, "upload-offset")),
            (204, 50_000)
        );
        let r = patch(&admin, &loc, 50_000, &bytes[50_000..], true).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().unwrap().to_string();
        assert_eq!(
            admin.get(&format!("/assets/{id}")).await.json()["checksum"],
            json!(sha1_b64(&bytes))
        );
    }
);

on_each_engine!(
    uploads_are_private_and_bad_requests_say_what_to_do,
    |server| {
        let admin = server.admin().await;
        let bob = server.user(&admin, "bob@example.com").await;
        let bytes = fake_jpeg(105, 10_000);
        let loc =
            location(&create(&admin, json!({ "filename": "mine.jpg" }), Some(bytes.len())).await);
        // Another person cannot see, feed or cancel it.
        assert_eq!(offset_of(&bob, &loc).await.status, 404);
        assert_eq!(patch(&bob, &loc, 0, &bytes, true).await.status, 404);
        assert_eq!(
            bob.send(bob.request(Method::DELETE, loc.trim_start_matches("/api")))
                .await
                .status,
            404
        );
        assert_eq!(offset_of(&server.anonymous(), &loc).await.status, 401);

        let message = |r: &Reply| r.json()["message"].as_str().unwrap_or_default().to_string();
        let r = admin
            .send(admin.request(Method::POST, "/upload").header(
                "x-keepsake-asset-data",
                asset_data(json!({ "filename": "a.jpg" })),
            ))
            .await;
        assert_eq!(r.status, 400);
        assert!(
            message(&r).contains("Upload-Complete is required"),
            "{}",
            r.body
        );
        let r = admin
            .send(
                admin
                    .request(Method::POST, "/upload")
                    .header("upload-complete", "?0"),
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(
            message(&r).contains("x-keepsake-asset-data is required"),
            "{}",
            r.body
        );
        let r = create(&admin, json!({ "filename": "notes.txt" }), Some(10)).await;
        assert_eq!(
            (r.status, message(&r)),
            (400, "Unsupported file type notes.txt".to_string())
        );
        let r = create(
            &admin,
            json!({ "filename": "a.jpg", "fileCreatedAt": "yesterday" }),
            None,
        )
        .await;
        assert_eq!(r.status, 400);
        assert!(message(&r).contains("fileCreatedAt"), "{}", r.body);
        let r = patch(&admin, &loc, 0, &bytes, true).await;
        assert_eq!(
            r.status, 201,
            "the good upload is untouched by the bad ones: {}",
            r.body
        );

        // Quota is checked before any bytes travel.
        let carol = admin
        .post("/admin/users", &json!({ "email": "carol@example.com", "password": "pw", "name": "Carol", "quotaSizeInBytes": 50_000 }))
        .await;
        assert_eq!(carol.status, 201);
        let carol = server.login("carol@example.com", "pw").await;
        let r = create(&carol, json!({ "filename": "big.jpg" }), Some(60_000)).await;
        assert_eq!(
            (r.status, message(&r)),
            (400, "Quota has been exceeded!".to_string())
        );

        // More bytes than announced: refused, the first ones kept.
        let loc = location(&create(&admin, json!({ "filename": "long.jpg" }), Some(1_000)).await);
        let r = patch(&admin, &loc, 0, &fake_jpeg(106, 1_500), true).await;
        assert_eq!(r.status, 400);
        assert!(message(&r).contains("Upload-Length of 1000"), "{}", r.body);
        // Ending short of the announced length: refused, the bytes kept.
        let loc2 = location(&create(&admin, json!({ "filename": "short.jpg" }), Some(1_000)).await);
        let r = patch(&admin, &loc2, 0, &fake_jpeg(107, 600), true).await;
        assert_eq!(r.status, 400);
        assert!(
            message(&r).contains("ended at byte 600 of the 1000"),
            "{}",
            r.body
        );
        assert_eq!(
            header_u64(&offset_of(&admin, &loc2).await, "upload-offset"),
            600
        );
        // Cancelling removes it.
        for l in [&loc, &loc2] {
            let r = admin
                .send(admin.request(Method::DELETE, l.trim_start_matches("/api")))
                .await;
            assert_eq!(r.status, 204);
            assert_eq!(offset_of(&admin, l).await.status, 404);
        }
        assert!(
            partial_files(&server).is_empty(),
            "{:?}",
            partial_files(&server)
        );
        assert_eq!(admin.get("/assets/statistics").await.json()["total"], 1);
    }
);

on_each_engine!(
    an_upload_untouched_for_a_day_is_removed_by_housekeeping,
    |server| {
        let admin = server.admin().await;
        let old = location(&create(&admin, json!({ "filename": "old.jpg" }), Some(1_000)).await);
        let fresh =
            location(&create(&admin, json!({ "filename": "fresh.jpg" }), Some(1_000)).await);
        assert_eq!(
            patch(&admin, &old, 0, &fake_jpeg(108, 400), false)
                .await
                .status,
            204
        );
        let id = old.rsplit('/').next().unwrap();
        let part = server.data_dir().join("uploads").join(format!("{id}.part"));
        let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(25 * 3600);
        std::fs::File::options()
            .write(true)
            .open(&part)
            .unwrap()
            .set_modified(day_ago)
            .unwrap();
        let r = admin
            .put(
                "/jobs/backgroundTask",
                &json!({ "command": "start", "force": false }),
            )
            .await;
        assert!(r.status < 300, "{}", r.body);
        for _ in 0..500 {
            if offset_of(&admin, &old).await.status == 404 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            offset_of(&admin, &old).await.status,
            404,
            "the stale upload is removed"
        );
        assert_eq!(
            offset_of(&admin, &fresh).await.status,
            204,
            "a recent one stays"
        );
        assert!(!part.exists());
    }
);
