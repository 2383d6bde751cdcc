//! Imports end to end: the real `keepsake import …` commands against the
//! library of a running server (its data dir and database), checked through
//! the API — what arrives, what a re-run does, what a deletion means, what a
//! kill in the middle leaves, and what bad input does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use keepsake_testkit::fixtures::{self, Exif};
use keepsake_testkit::{Client, TestServer};
use serde_json::{Value, json};

pub struct Cli {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `keepsake ARGS --data-dir … --database …` on the server's library.
pub fn keepsake(server: &TestServer, args: &[&str], env: &[(&str, &str)]) -> Cli {
    let out = command(server, args, env)
        .stdin(Stdio::null())
        .output()
        .expect("run keepsake");
    Cli {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn command(server: &TestServer, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keepsake"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(server.data_dir())
        .arg("--database")
        .arg(&server.database)
        .env_remove("KEEPSAKE_DATA_DIR")
        .env_remove("KEEPSAKE_DATABASE_URL")
        .env("KEEPSAKE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `jpeg` made distinct by a comment segment after SOI (still a valid JPEG).
pub fn distinct(jpeg: &[u8], n: usize) -> Vec<u8> {
    let note = format!("keepsake test item {n}");
    let mut out = Vec::with_capacity(jpeg.len() + note.len() + 4);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((note.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(note.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Every asset of the caller, visible or not, by original file name.
pub async fn assets_by_name(client: &Client) -> Vec<Value> {
    let mut all = Vec::new();
    for visibility in ["timeline", "archive", "hidden"] {
        let reply = client
            .post(
                "/search/metadata",
                &json!({ "size": 1000, "visibility": visibility, "withExif": true }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let found = reply.json()["assets"]["items"].as_array().cloned().unwrap();
        all.extend(found);
    }
    all.sort_by_key(|a| a["originalFileName"].as_str().unwrap_or("").to_string());
    all
}

pub async fn albums_by_name(client: &Client) -> Vec<(String, usize)> {
    let reply = client.get("/albums").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut out: Vec<(String, usize)> = reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["albumName"].as_str().unwrap().to_string(),
                a["assetCount"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    out.sort();
    out
}

/// A folder tree: two trips with EXIF dates and places, a sidecar with a
/// description, a copy of one photo, and a text file.
fn folder_tree(root: &Path) -> PathBuf {
    let photos = root.join("photos");
    let base = fixtures::jpeg(root, 64, 48, 1);
    let paris = fixtures::with_exif(
        &distinct(&base, 1),
        &Exif {
            date_time_original: Some("2019:07:14 21:30:00".into()),
            offset_time_original: Some("+02:00".into()),
            gps: Some((48.8584, 2.2945)),
            ..Default::default()
        },
    );
    write(&photos.join("Trips/Paris/IMG_0001.jpg"), &paris);
    write(
        &photos.join("Trips/Paris/IMG_0002.jpg"),
        &distinct(&base, 2),
    );
    std::fs::write(
        photos.join("Trips/Paris/IMG_0002.jpg.xmp"),
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="2018-05-01T10:00:00"><dc:description><rdf:Alt><rdf:li xml:lang="x-default">Cafe on the corner</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"#,
    )
    .unwrap();
    write(&photos.join("Home/copy-of-paris.jpg"), &paris);
    write(&photos.join("Home/IMG_0003.jpg"), &distinct(&base, 3));
    write(&photos.join("Home/notes.txt"), b"not a photo");
    write(
        &photos.join("Home/@eaDir/IMG_0003.jpg/SYNOPHOTO_THUMB_S.jpg"),
        &distinct(&base, 99),
    );
    photos
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_import_beside_a_running_server_brings_photos_sidecars_and_folder_albums() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let photos = folder_tree(&server.scratch("tree"));
        let me = admin.get("/users/me").await.json();
        let email = me["email"].as_str().unwrap().to_string();

        let out = keepsake(
            &server,
            &[
                "import",
                "folder",
                photos.to_str().unwrap(),
                "--user",
                &email,
                "--album-from-folder",
            ],
            &[],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr
                .contains("3 imported, 1 duplicate, 1 skipped, 0 failed (5 items)"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("skipped: notes.txt"), "{}", out.stderr);

        let assets = assets_by_name(&admin).await;
        let names: Vec<&str> = assets
            .iter()
            .map(|a| a["originalFileName"].as_str().unwrap())
            .collect();
        // Keys go in path order: Home/copy-of-paris.jpg comes before the
        // Paris original, which is then its duplicate.
        assert_eq!(names, ["IMG_0002.jpg", "IMG_0003.jpg", "copy-of-paris.jpg"]);
        let paris = assets
            .iter()
            .find(|a| a["exifInfo"]["latitude"].as_f64().is_some())
            .expect("the photo with GPS");
        // Dates and places are in place when the command returns.
        assert_eq!(paris["localDateTime"], "2019-07-14T21:30:00.000Z");
        assert_eq!(paris["exifInfo"]["timeZone"], "UTC+2");
        assert_eq!(paris["exifInfo"]["country"], "France");
        let cafe = assets
            .iter()
            .find(|a| a["originalFileName"] == "IMG_0002.jpg")
            .unwrap();
        assert_eq!(
            cafe["localDateTime"], "2018-05-01T10:00:00.000Z",
            "the sidecar's date"
        );

        let albums = albums_by_name(&admin).await;
        assert_eq!(
            albums,
            vec![
                ("photos/Home".to_string(), 2),
                ("photos/Trips/Paris".to_string(), 2)
            ],
            "the duplicate Paris photo is in both folders' albums"
        );
        // Nothing from the NAS thumbnail folder.
        assert!(!names.iter().any(|n| n.contains("SYNOPHOTO")));

        let runs = admin.get("/imports").await.json();
        assert_eq!(runs.as_array().unwrap().len(), 1);
        assert_eq!(runs[0]["state"], "completed");
        assert_eq!(runs[0]["imported"], 3);
        assert_eq!(runs[0]["source"], "folder");
        assert_eq!(
            out.stdout.trim(),
            runs[0]["id"],
            "stdout carries the run id alone"
        );
        let skipped = admin
            .get(&format!(
                "/imports/{}/items?outcome=skipped",
                runs[0]["id"].as_str().unwrap()
            ))
            .await
            .json();
        assert_eq!(skipped[0]["fileName"], "notes.txt");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_adds_nothing_and_what_the_user_deleted_stays_deleted() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let photos = folder_tree(&server.scratch("tree"));
        let email = admin.get("/users/me").await.json()["email"]
            .as_str()
            .unwrap()
            .to_string();
        let args = [
            "import",
            "folder",
            photos.to_str().unwrap(),
            "--user",
            &email,
        ];
        assert_eq!(keepsake(&server, &args, &[]).code, 0);
        let assets = assets_by_name(&admin).await;
        assert_eq!(assets.len(), 3);
        let gone = assets[0]["id"].as_str().unwrap().to_string();
        let trashed = assets[1]["id"].as_str().unwrap().to_string();
        let reply = admin
            .delete("/assets", &json!({ "ids": [gone], "force": true }))
            .await;
        assert_eq!(reply.status, 204, "{}", reply.body);
        let reply = admin.delete("/assets", &json!({ "ids": [trashed] })).await;
        assert_eq!(reply.status, 204, "{}", reply.body);

        let again = keepsake(&server, &args, &[]);
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert!(again.stderr.contains("0 imported"), "{}", again.stderr);
        assert!(
            again.stderr.contains("deleted in Keepsake"),
            "{}",
            again.stderr
        );
        assert!(
            again.stderr.contains("in Keepsake's trash"),
            "{}",
            again.stderr
        );
        let after = assets_by_name(&admin).await;
        assert_eq!(after.len(), 1, "nothing came back and nothing doubled");
        assert!(after.iter().all(|a| a["id"] != gone.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reports_what_would_happen_and_stores_nothing() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let photos = folder_tree(&server.scratch("tree"));
        let email = admin.get("/users/me").await.json()["email"]
            .as_str()
            .unwrap()
            .to_string();
        let out = keepsake(
            &server,
            &[
                "import",
                "folder",
                photos.to_str().unwrap(),
                "--user",
                &email,
                "--dry-run",
                "--album-from-folder",
            ],
            &[],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains("dry run (nothing stored)"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("3 to import"), "{}", out.stderr);
        assert!(assets_by_name(&admin).await.is_empty());
        assert!(albums_by_name(&admin).await.is_empty());
        // A real run afterwards is not mistaken for a resumption of the dry one.
        let out = keepsake(
            &server,
            &[
                "import",
                "folder",
                photos.to_str().unwrap(),
                "--user",
                &email,
            ],
            &[],
        );
        assert!(out.stderr.contains("3 imported"), "{}", out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_file_fails_with_its_reason_and_the_exit_status_says_so() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let dir = server.scratch("bad");
        let base = fixtures::jpeg(&dir, 32, 32, 2);
        write(&dir.join("in/good.jpg"), &base);
        write(&dir.join("in/empty.jpg"), b"");
        let email = admin.get("/users/me").await.json()["email"]
            .as_str()
            .unwrap()
            .to_string();
        let out = keepsake(
            &server,
            &[
                "import",
                "folder",
                dir.join("in").to_str().unwrap(),
                "--user",
                &email,
            ],
            &[],
        );
        assert_eq!(
            out.code, 1,
            "a failed item makes the command fail: {}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("1 imported, 0 duplicate, 0 skipped, 1 failed"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("failed: empty.jpg — the source gave an empty file"),
            "{}",
            out.stderr
        );
        assert_eq!(
            assets_by_name(&admin).await.len(),
            1,
            "the good photo is kept"
        );

        let out = keepsake(
            &server,
            &["import", "folder", "/nonexistent/folder", "--user", &email],
            &[],
        );
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.contains("cannot read /nonexistent/folder"),
            "{}",
            out.stderr
        );
        let out = keepsake(
            &server,
            &[
                "import",
                "folder",
                dir.to_str().unwrap(),
                "--user",
                "nobody@example.com",
            ],
            &[],
        );
        assert_eq!(out.code, 1);
        assert!(
            out.stderr
                .contains("no user with e-mail nobody@example.com"),
            "{}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_at_a_random_point_resumes_with_nothing_missing_or_doubled() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let dir = server.scratch("many");
        let base = fixtures::jpeg(&dir, 32, 32, 3);
        let n = 60;
        for i in 0..n {
            write(
                &dir.join(format!("in/{:02}/IMG_{i:04}.jpg", i / 10)),
                &distinct(&base, i),
            );
        }
        let email = admin.get("/users/me").await.json()["email"]
            .as_str()
            .unwrap()
            .to_string();
        let root = dir.join("in");
        let args = [
            "import",
            "folder",
            root.to_str().unwrap(),
            "--user",
            &email,
            "--album-from-folder",
        ];
        // Kill somewhere between the first and the last item, chosen at random.
        let kill_after = 1 + (std::process::id() as usize * 7919 + engine as usize * 31) % (n - 10);
        let mut child = command(&server, &args, &[])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let killed = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break !status.success();
            }
            let count = assets_by_name(&admin).await.len();
            if count >= kill_after {
                child.kill().unwrap();
                child.wait().unwrap();
                break true;
            }
            tokio::task::yield_now().await;
        };
        assert!(killed, "the import was cut off before it finished");
        let before = assets_by_name(&admin).await.len();
        assert!(before < n, "killed midway ({before} of {n})");

        let out = keepsake(&server, &args, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let assets = assets_by_name(&admin).await;
        let mut names: Vec<String> = assets
            .iter()
            .map(|a| a["originalFileName"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "every item once");
        assert_eq!(assets.len(), n, "nothing doubled");
        let albums = albums_by_name(&admin).await;
        assert_eq!(albums.len(), 6, "{albums:?}");
        assert!(albums.iter().all(|(_, count)| *count == 10), "{albums:?}");
        // One run, resumed and completed, whose report covers every item.
        let runs = admin.get("/imports").await.json();
        assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
        assert_eq!(runs[0]["state"], "completed");
        assert_eq!(runs[0]["seen"], n);
        assert_eq!(runs[0]["failed"], 0);
        assert_eq!(
            runs[0]["imported"].as_i64().unwrap() + runs[0]["duplicate"].as_i64().unwrap(),
            n as i64
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_starts_an_import_through_the_api_and_follows_it() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let photos = folder_tree(&server.scratch("tree"));
        let user = server.user(&admin, "someone@example.com").await;
        let body = json!({ "source": "folder", "paths": [photos], "albumFromFolder": true });
        let reply = user.post("/imports", &body).await;
        assert_eq!(
            reply.status, 403,
            "server paths are for admins: {}",
            reply.body
        );
        let reply = admin
            .post("/imports", &json!({ "source": "bogus", "paths": [photos] }))
            .await;
        assert_eq!(reply.status, 400, "{}", reply.body);

        let reply = admin.post("/imports", &body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let id = reply.json()["id"].as_str().unwrap().to_string();
        let run = loop {
            let run = admin.get(&format!("/imports/{id}")).await.json();
            if run["state"] != "running" {
                break run;
            }
            tokio::task::yield_now().await;
        };
        assert_eq!(run["state"], "completed", "{run}");
        assert_eq!(run["imported"], 3);
        assert_eq!(assets_by_name(&admin).await.len(), 3);
        let reply = user.get(&format!("/imports/{id}")).await;
        assert_eq!(reply.status, 404, "another user's run is not theirs to see");
    }
}
