//! Nothing lost, nothing half-kept: bad input gets a clear error and leaves no
//! row and no file; a crash's leftovers are cleaned at the next start.

use keepsake_testkit::{TestServer, fake_jpeg};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::on_each_engine;

fn library_files(server: &TestServer) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.path().is_dir() {
                    walk(&e.path(), out);
                } else {
                    out.push(e.path().display().to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&server.data_dir().join("library"), &mut out);
    walk(&server.data_dir().join("tmp"), &mut out);
    out
}

on_each_engine!(
    unsupported_empty_and_malformed_uploads_are_refused_and_store_nothing,
    |server| {
        let admin = server.admin().await;
        let r = admin.upload("notes.txt", b"hello".to_vec()).await;
        assert_eq!(
            (r.status, r.json()["message"].clone()),
            (400, json!("Unsupported file type notes.txt"))
        );
        let r = admin.upload("empty.jpg", Vec::new()).await;
        assert_eq!(
            (r.status, r.json()["message"].clone()),
            (400, json!("File is empty"))
        );
        let r = admin
            .send(
                admin
                    .request(reqwest::Method::POST, "/assets")
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(r.json()["message"].as_str().unwrap().contains("multipart"));
        let form = reqwest::multipart::Form::new()
            .text("fileCreatedAt", "not a date")
            .part(
                "assetData",
                reqwest::multipart::Part::bytes(fake_jpeg(1, 100)).file_name("a.jpg"),
            );
        let r = admin
            .send(
                admin
                    .request(reqwest::Method::POST, "/assets")
                    .multipart(form),
            )
            .await;
        assert_eq!(r.status, 400);
        let form = reqwest::multipart::Form::new().text("fileCreatedAt", "2020-01-01T00:00:00Z");
        let r = admin
            .send(
                admin
                    .request(reqwest::Method::POST, "/assets")
                    .multipart(form),
            )
            .await;
        assert_eq!(r.status, 400, "an upload without a file");
        assert_eq!(admin.get("/assets/statistics").await.json()["total"], 0);
        assert!(
            library_files(&server).is_empty(),
            "nothing kept: {:?}",
            library_files(&server)
        );

        let r = admin
            .send(
                admin
                    .request(reqwest::Method::POST, "/albums")
                    .header("content-type", "application/json")
                    .body("{\"albumName\": "),
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(r.content_type.contains("json"));
        let r = admin.post("/albums", &json!({ "albumName": 5 })).await;
        assert_eq!(r.status, 400);
        assert_eq!(admin.get("/assets/not-a-uuid").await.status, 400);
        let r = admin
            .get("/assets/00000000-0000-4000-8000-000000000000")
            .await;
        assert_eq!(r.status, 404);
        assert!(r.content_type.contains("json"));
        let r = admin
            .send(
                admin
                    .request(reqwest::Method::GET, "/users/me")
                    .header("x-padding", "a".repeat(200_000)),
            )
            .await;
        assert_eq!(r.status, 431, "huge headers are refused");
        assert!(r.json()["message"].as_str().unwrap().contains("too large"));
        assert_eq!(
            admin.get("/users/me").await.status,
            200,
            "and the server carries on"
        );
    }
);

/// Sends a multipart upload by hand and closes the connection half-way through the file.
async fn truncated_upload(server: &TestServer, key: &str) {
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let boundary = "----keepsake-test-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"fileCreatedAt\"\r\n\r\n2019-07-12T18:15:12.000Z\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"assetData\"; filename=\"cut.jpg\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let claimed = head.len() + 1_000_000 + boundary.len() + 8;
    let request = format!(
        "POST /api/assets HTTP/1.1\r\nHost: {addr}\r\nx-api-key: {key}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {claimed}\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&fake_jpeg(7, 300_000)).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
}

on_each_engine!(a_truncated_upload_leaves_no_row_and_no_file, |server| {
    let admin = server.admin().await;
    let key = match &admin.credential {
        keepsake_testkit::Credential::ApiKey(k) => k.clone(),
        _ => unreachable!(),
    };
    truncated_upload(&server, &key).await;
    // The server notices the cut when the connection ends; ask it until it has cleaned up.
    for _ in 0..200 {
        if library_files(&server).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        library_files(&server).is_empty(),
        "{:?}",
        library_files(&server)
    );
    assert_eq!(admin.get("/assets/statistics").await.json()["total"], 0);
    assert_eq!(
        admin.upload("fine.jpg", fake_jpeg(8, 100)).await.status,
        201,
        "the next upload works"
    );
});

on_each_engine!(identical_files_uploaded_at_once_make_one_asset, |server| {
    let admin = server.admin().await;
    let bytes = fake_jpeg(50, 20_000);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let client = admin.clone();
        let bytes = bytes.clone();
        tasks.push(tokio::spawn(async move {
            client.upload(&format!("same-{i}.jpg"), bytes).await
        }));
    }
    let mut statuses = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        statuses.push(r.status);
        ids.insert(r.json()["id"].as_str().unwrap().to_string());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 201]);
    assert_eq!(ids.len(), 1);
    assert_eq!(
        library_files(&server).len(),
        1,
        "one file on disk: {:?}",
        library_files(&server)
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_removes_files_of_uploads_that_never_committed() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let kept = admin.upload("kept.jpg", fake_jpeg(60, 100)).await;
        assert_eq!(kept.status, 201);
        // A crash between linking a file and committing its row: the file is in
        // place and recorded as pending, with no asset. So is an unrelated file
        // that happens to sit under a recorded name with other content.
        let orphan_key = "library/admin/2019/2019-07-12/crashed.jpg";
        let orphan = fake_jpeg(61, 100);
        std::fs::write(server.data_dir().join(orphan_key), &orphan).unwrap();
        use sha1::Digest;
        let sum: [u8; 20] = sha1::Sha1::digest(&orphan).into();
        server
            .library
            .db()
            .add_pending_file(orphan_key, &sum)
            .await
            .unwrap();
        let foreign_key = "library/admin/2019/2019-07-12/mine.jpg";
        std::fs::write(
            server.data_dir().join(foreign_key),
            b"a file the user put here",
        )
        .unwrap();
        server
            .library
            .db()
            .add_pending_file(foreign_key, &[0; 20])
            .await
            .unwrap();
        std::fs::write(server.data_dir().join("tmp/leftover.part"), b"half").unwrap();

        let (dir, database) = server.stop().await;
        let server = TestServer::start_at(engine, dir, database).await;
        assert!(
            !server.data_dir().join(orphan_key).exists(),
            "the crashed upload's file is removed"
        );
        assert!(
            server.data_dir().join(foreign_key).exists(),
            "a file with other content is never touched"
        );
        assert!(
            !server.data_dir().join("tmp/leftover.part").exists(),
            "temp files are swept"
        );
        assert!(
            server
                .data_dir()
                .join("library/admin/2019/2019-07-12/kept.jpg")
                .exists()
        );
        assert!(
            server
                .library
                .db()
                .orphaned_pending_files()
                .await
                .unwrap()
                .is_empty()
        );
        let admin = server.login("admin@example.com", "admin-password").await;
        assert_eq!(admin.get("/assets/statistics").await.json()["total"], 1);
    }
}

/// Runs `keepsake serve` in a private mount namespace whose data directory is
/// a 4 MiB tmpfs (the database lives outside it), and returns the child and its URL.
fn serve_on_a_tiny_disk(dir: &std::path::Path) -> (std::process::Child, String, impl Sized) {
    use std::io::BufRead;
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let script = format!(
        "mount -t tmpfs -o size=4m tmpfs '{data}' && exec '{bin}' serve --data-dir '{data}' --database '{db}' --listen 127.0.0.1:0",
        data = data.display(),
        bin = env!("CARGO_BIN_EXE_keepsake"),
        db = dir.join("keepsake.db").display()
    );
    let mut child = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("unshare (util-linux) is needed for the full-disk test");
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("Keepsake is running at ")
        .unwrap_or_else(|| panic!("server did not start on a tmpfs: {line:?}"))
        .to_string();
    (child, url, stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gives_a_clear_error_and_keeps_the_library_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, _stdout) = serve_on_a_tiny_disk(dir.path());
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{url}/api/auth/admin-sign-up"))
        .json(&json!({ "email": "a@example.com", "password": "pw", "name": "A" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let login: serde_json::Value = http
        .post(format!("{url}/api/auth/login"))
        .json(&json!({ "email": "a@example.com", "password": "pw" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["accessToken"].as_str().unwrap().to_string();
    let upload = |name: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("fileCreatedAt", "2020-01-01T00:00:00.000Z")
            .text("fileModifiedAt", "2020-01-01T00:00:00.000Z")
            .part(
                "assetData",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        http.post(format!("{url}/api/assets"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    let too_big = upload("huge.jpg", fake_jpeg(70, 6 * 1024 * 1024))
        .await
        .unwrap();
    assert_eq!(too_big.status(), 507);
    let body: serde_json::Value = too_big.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("is full; free some space"),
        "{body}"
    );
    let stats: serde_json::Value = http
        .get(format!("{url}/api/assets/statistics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total"], 0, "no row for the failed upload");
    let small = upload("small.jpg", fake_jpeg(71, 100_000)).await.unwrap();
    assert_eq!(
        small.status(),
        201,
        "the space the failed upload took was given back"
    );
    let _ = child.kill();
    let _ = child.wait();
}
