//! iCloud Photos end to end: the real `keepsake icloud …` commands and the
//! server's API against the testkit's fake iCloud (real SRP, codes, trust
//! tokens, CloudKit paging, expiring download URLs), checked through the API
//! field by field against what the fake holds.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use keepsake_testkit::fake_icloud::{
    FakeAppleAccount, FakeIcloud, FakeKind, FakeLibrary, FakePhoto, generated_library,
};
use keepsake_testkit::{Client, TestServer};
use serde_json::{Value, json};

use crate::imports::{Cli, command, keepsake};

const APPLE_ID: &str = "person@icloud.example";
const PASSWORD: &str = "correct horse battery";

fn env(fake: &FakeIcloud) -> Vec<(&'static str, String)> {
    vec![
        ("KEEPSAKE_ICLOUD_AUTH_URL", fake.auth_url()),
        ("KEEPSAKE_ICLOUD_SETUP_URL", fake.setup_url()),
    ]
}

fn run(server: &TestServer, fake: &FakeIcloud, args: &[&str]) -> Cli {
    let env = env(fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    keepsake(server, args, &env)
}

/// A library of `n` items with at least one of each kind the sync must
/// carry: a live photo, an edited photo and a video, picked from a larger
/// generated library, plus a favourite, a hidden, a deleted and a captioned
/// photo set by hand.
fn library(n: usize) -> FakeLibrary {
    let big = generated_library(300, 7);
    let first = |f: &dyn Fn(&FakePhoto) -> bool| {
        big.photos
            .iter()
            .position(f)
            .expect("the seed makes one of each kind")
    };
    let live = first(&|p| matches!(p.kind, FakeKind::Live { .. }) && !p.deleted && !p.hidden);
    let edited = first(&|p| p.edited.is_some() && matches!(p.kind, FakeKind::Photo) && !p.deleted);
    let video = first(&|p| matches!(p.kind, FakeKind::Video) && !p.deleted && !p.hidden);
    let chosen = [live, edited, video];
    let mut keep = chosen.to_vec();
    keep.extend(
        (0..big.photos.len())
            .filter(|i| !chosen.contains(i) && matches!(big.photos[*i].kind, FakeKind::Photo))
            .take(n.saturating_sub(3)),
    );
    keep.sort();
    let mut lib = big.clone();
    lib.photos = keep.iter().map(|&i| big.photos[i].clone()).collect();
    let ids: Vec<String> = lib.photos.iter().map(|p| p.asset_id.clone()).collect();
    for album in &mut lib.albums {
        album.members.retain(|m| ids.contains(m));
    }
    let plain: Vec<usize> = (0..lib.photos.len())
        .filter(|&i| {
            matches!(lib.photos[i].kind, FakeKind::Photo) && lib.photos[i].edited.is_none()
        })
        .collect();
    for &i in &plain {
        let p = &mut lib.photos[i];
        (p.favorite, p.hidden, p.deleted) = (false, false, false);
    }
    let (fav, hidden, deleted, captioned) = (plain[0], plain[1], plain[2], plain[3]);
    lib.photos[fav].favorite = true;
    lib.photos[hidden].hidden = true;
    lib.photos[deleted].deleted = true;
    lib.photos[captioned].caption = Some("Sunset over the bay".into());
    lib
}

/// `keepsake icloud login`: the password on stdin, then the code Apple
/// "sends" (read from the fake once the command says it is waiting).
fn login(server: &TestServer, fake: &FakeIcloud, extra: &[&str]) -> Cli {
    let email = "admin@example.com";
    let mut args = vec!["icloud", "login", "--user", email, "--apple-id", APPLE_ID];
    args.extend_from_slice(extra);
    let env = env(fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = command(server, &args, &env)
        .stdin(Stdio::piped())
        .spawn()
        .expect("start keepsake icloud login");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{PASSWORD}").unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut said = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if line.contains("Apple sent a code") {
            let code = fake.last_code().expect("a code was sent");
            writeln!(stdin, "{code}").unwrap();
        }
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    Cli {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: said,
    }
}

/// Every asset of the caller (trash included), by original file name.
async fn assets(client: &Client) -> Vec<Value> {
    let mut all = crate::imports::assets_by_name(client).await;
    let trashed = client
        .post(
            "/search/metadata",
            &json!({ "size": 1000, "withDeleted": true, "isTrashed": true, "withExif": true }),
        )
        .await;
    for a in trashed.json()["assets"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if a["isTrashed"] == true && !all.iter().any(|b| b["id"] == a["id"]) {
            all.push(a);
        }
    }
    all
}

fn named<'a>(assets: &'a [Value], name: &str) -> Vec<&'a Value> {
    assets
        .iter()
        .filter(|a| a["originalFileName"] == name)
        .collect()
}

fn iso_ms(ms: i64) -> String {
    keepsake_core::time::Timestamp(ms).to_iso()
}

fn same_instant(a: &Value, ms: i64) -> bool {
    a.as_str()
        .and_then(keepsake_core::time::Timestamp::parse_iso)
        .map(|t| (t.0 - ms).abs() < 1000)
        .unwrap_or(false)
}

/// Asserts that every photo of the fake arrived as it should.
async fn assert_fidelity(admin: &Client, lib: &FakeLibrary) {
    let got = assets(admin).await;
    let albums = admin.get("/albums").await.json();
    let album_names: Vec<String> = albums
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["albumName"].as_str().unwrap().to_string())
        .collect();
    for album in lib
        .albums
        .iter()
        .filter(|a| !a.folder && !a.members.is_empty())
    {
        let want = album_path(lib, &album.record_name);
        assert!(album_names.contains(&want), "{want} in {album_names:?}");
    }
    assert!(
        album_names.iter().any(|n| n.matches('/').count() == 2),
        "an album two folders deep: {album_names:?}"
    );
    for p in &lib.photos {
        let found = named(&got, &p.file_name);
        if p.deleted {
            assert!(
                found.is_empty(),
                "{} is in Recently Deleted: not imported",
                p.file_name
            );
            continue;
        }
        assert_eq!(found.len(), 1, "{} arrives once: {found:?}", p.file_name);
        let a = found[0];
        let detail = admin
            .get(&format!("/assets/{}", a["id"].as_str().unwrap()))
            .await
            .json();
        // Dates: the instant, and the wall clock where it was taken.
        assert!(
            same_instant(&detail["fileCreatedAt"], p.asset_date_ms),
            "{}: {} vs {}",
            p.file_name,
            detail["fileCreatedAt"],
            iso_ms(p.asset_date_ms)
        );
        if let Some(offset) = p.tz_offset_s {
            assert!(
                same_instant(
                    &detail["localDateTime"],
                    p.asset_date_ms + i64::from(offset) * 1000
                ),
                "{}: local {} for offset {offset}",
                p.file_name,
                detail["localDateTime"]
            );
            assert!(detail["exifInfo"]["timeZone"].is_string(), "{detail}");
        }
        if let Some((lat, lon)) = p.location {
            let (glat, glon) = (
                detail["exifInfo"]["latitude"].as_f64().unwrap_or(f64::NAN),
                detail["exifInfo"]["longitude"].as_f64().unwrap_or(f64::NAN),
            );
            assert!(
                (glat - lat).abs() < 1e-4 && (glon - lon).abs() < 1e-4,
                "{}: {glat},{glon} vs {lat},{lon}",
                p.file_name
            );
        }
        assert_eq!(detail["isFavorite"], p.favorite, "{}", p.file_name);
        let visibility = detail["visibility"].as_str().unwrap_or("");
        if p.hidden {
            assert_ne!(
                visibility, "timeline",
                "{} is hidden in iCloud",
                p.file_name
            );
        }
        if let Some(c) = &p.caption {
            assert_eq!(
                detail["exifInfo"]["description"],
                c.as_str(),
                "{}",
                p.file_name
            );
        }
        if let FakeKind::Live { .. } = p.kind {
            let video = detail["livePhotoVideoId"]
                .as_str()
                .unwrap_or_else(|| panic!("{} has its video half", p.file_name));
            let v = admin.get(&format!("/assets/{video}")).await.json();
            assert_eq!(v["type"], "VIDEO");
            assert_eq!(v["visibility"], "hidden", "the video half is hidden");
        }
        if let FakeKind::Video = p.kind {
            assert_eq!(detail["type"], "VIDEO", "{}", p.file_name);
        }
        // Where it came from, kept as facts.
        let sources = admin
            .get(&format!("/assets/{}/sources", a["id"].as_str().unwrap()))
            .await
            .json();
        assert_eq!(sources[0]["source"], "icloud", "{sources}");
        assert_eq!(sources[0]["key"], p.asset_id.as_str());
    }
    // Album membership, by full path.
    for album in lib
        .albums
        .iter()
        .filter(|a| !a.folder && !a.members.is_empty())
    {
        let path = album_path(lib, &album.record_name);
        let id = albums
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["albumName"] == path.as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let mut have: Vec<String> = Vec::new();
        for visibility in ["timeline", "archive", "hidden"] {
            let found = admin
                .post(
                    "/search/metadata",
                    &json!({ "size": 1000, "albumIds": [id], "visibility": visibility }),
                )
                .await
                .json();
            have.extend(
                found["assets"]["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["originalFileName"].as_str().unwrap().to_string()),
            );
        }
        have.sort();
        let mut want: Vec<String> = album
            .members
            .iter()
            .filter_map(|m| lib.photos.iter().find(|p| &p.asset_id == m))
            .filter(|p| !p.deleted)
            .map(|p| p.file_name.clone())
            .collect();
        want.sort();
        assert_eq!(have, want, "album {path}");
    }
}

fn album_path(lib: &FakeLibrary, record: &str) -> String {
    let a = lib.albums.iter().find(|a| a.record_name == record).unwrap();
    match &a.parent {
        Some(p) => format!("{}/{}", album_path(lib, p), a.name),
        None => a.name.clone(),
    }
}

async fn start(server: &TestServer, lib: FakeLibrary) -> (Client, FakeIcloud) {
    let admin = server.admin().await;
    let fake = FakeIcloud::start(FakeAppleAccount::new(APPLE_ID, PASSWORD), lib).await;
    (admin, fake)
}

crate::on_each_engine!(
    a_first_sync_brings_the_whole_library_field_by_field,
    |server| {
        let lib = library(60);
        let (admin, fake) = start(&server, lib.clone()).await;
        let out = login(&server, &fake, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains("trusts this session until"),
            "{}",
            out.stderr
        );
        let codes = fake.codes_sent().len();
        assert!(codes >= 1, "a code for the first sign-in");
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_fidelity(&admin, &lib).await;
        // The trust token spares the code on the next runs.
        assert_eq!(fake.codes_sent().len(), codes, "{}", out.stderr);
        // A second sync finds nothing new and doubles nothing.
        let before = assets(&admin).await.len();
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(assets(&admin).await.len(), before);
        let runs = admin.get("/imports").await.json();
        assert_eq!(runs[0]["imported"], 0, "{runs}");
        // The state says when it ran and that it is ready.
        let state = admin.get("/icloud/state").await.json();
        assert_eq!(state["state"], "ready", "{state}");
        assert_eq!(state["appleId"], APPLE_ID);
        assert!(state["trustExpiresAt"].as_i64().unwrap() > 0);
        assert!(state["prevError"].is_null(), "{state}");
        // The session is sealed: neither it nor the password is in the database as text.
        let me = admin.get("/users/me").await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        for service in ["icloud", "icloud-password"] {
            let stored = server
                .library
                .db()
                .service_credential(&me, service)
                .await
                .unwrap()
                .unwrap();
            assert!(stored.starts_with("ks1:"), "{service} is sealed");
            assert!(
                !stored.contains(PASSWORD) && !stored.contains("trust"),
                "{stored}"
            );
        }
    }
);

crate::on_each_engine!(edits_come_as_the_person_chooses, |server| {
    let lib = library(40);
    let (admin, fake) = start(&server, lib.clone()).await;
    assert_eq!(login(&server, &fake, &["--edits", "both"]).code, 0);
    let out = run(
        &server,
        &fake,
        &["icloud", "sync", "--user", "admin@example.com"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let got = assets(&admin).await;
    let edited: Vec<&FakePhoto> = lib
        .photos
        .iter()
        .filter(|p| p.edited.is_some() && !p.deleted)
        .collect();
    assert!(!edited.is_empty());
    for p in edited {
        let stem = p.file_name.rsplit_once('.').unwrap().0;
        let versions: Vec<&Value> = got
            .iter()
            .filter(|a| a["originalFileName"].as_str().unwrap().starts_with(stem))
            .filter(|a| a["visibility"] != "hidden" || p.hidden)
            .collect();
        assert!(
            versions
                .iter()
                .any(|a| a["originalFileName"].as_str().unwrap().contains("-edited")),
            "{}: {versions:?}",
            p.file_name
        );
        assert!(
            versions
                .iter()
                .any(|a| a["originalFileName"] == p.file_name.as_str())
        );
    }
});

crate::on_each_engine!(
    an_incremental_sync_sees_additions_favourites_and_deletions,
    |server| {
        let lib = library(30);
        let (admin, fake) = start(&server, lib.clone()).await;
        assert_eq!(login(&server, &fake, &["--deleted", "trash"]).code, 0);
        let sync = |server: &TestServer| {
            run(
                server,
                &fake,
                &["icloud", "sync", "--user", "admin@example.com"],
            )
        };
        assert_eq!(sync(&server).code, 0);
        let live: Vec<&FakePhoto> = lib
            .photos
            .iter()
            .filter(|p| {
                !p.deleted
                    && !p.hidden
                    && matches!(p.kind, FakeKind::Photo)
                    && !p.favorite
                    && p.edited.is_none()
            })
            .collect();
        let (to_delete, to_expunge, to_favourite) =
            (live[0].clone(), live[1].clone(), live[2].clone());
        let mut added = to_favourite.clone();
        added.asset_id = "ADDED-0000-0000-0000-000000000001".into();
        added.file_name = "IMG_9999.JPG".into();
        added.bytes = crate::imports::distinct(&to_favourite.bytes, 9999);
        fake.add_photo(added);
        fake.delete_photo(&to_delete.asset_id);
        fake.expunge_photo(&to_expunge.asset_id);
        fake.edit_photo(&to_favourite.asset_id, |p| p.favorite = true);
        let out = sync(&server);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains("2 item(s) were deleted in iCloud"),
            "{}",
            out.stderr
        );
        let got = assets(&admin).await;
        assert_eq!(
            named(&got, "IMG_9999.JPG").len(),
            1,
            "the new photo arrives"
        );
        for gone in [&to_delete, &to_expunge] {
            let a = named(&got, &gone.file_name);
            assert_eq!(
                a.len(),
                1,
                "{} is kept (in the trash), never lost",
                gone.file_name
            );
            assert_eq!(a[0]["isTrashed"], true, "{}", gone.file_name);
        }
        let fav = named(&got, &to_favourite.file_name);
        assert_eq!(
            fav[0]["isFavorite"], true,
            "a favourite made in iCloud arrives"
        );
        // Nothing else moved to the trash.
        let trashed = got.iter().filter(|a| a["isTrashed"] == true).count();
        assert_eq!(trashed, 2);
    }
);

crate::on_each_engine!(deleted_in_icloud_is_kept_by_default, |server| {
    let lib = library(12);
    let (admin, fake) = start(&server, lib.clone()).await;
    assert_eq!(login(&server, &fake, &[]).code, 0);
    assert_eq!(
        run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"]
        )
        .code,
        0
    );
    let p = lib.photos.iter().find(|p| !p.deleted && !p.hidden).unwrap();
    fake.expunge_photo(&p.asset_id);
    let out = run(
        &server,
        &fake,
        &["icloud", "sync", "--user", "admin@example.com"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("kept here"), "{}", out.stderr);
    let got = assets(&admin).await;
    assert_eq!(named(&got, &p.file_name)[0]["isTrashed"], false);
});

crate::on_each_engine!(
    wrong_password_and_wrong_code_say_so_and_store_nothing,
    |server| {
        let (admin, fake) = start(&server, library(8)).await;
        let env = env(&fake);
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.push(("KEEPSAKE_ICLOUD_PASSWORD", "not the password"));
        let out = keepsake(
            &server,
            &[
                "icloud",
                "login",
                "--user",
                "admin@example.com",
                "--apple-id",
                APPLE_ID,
            ],
            &env,
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.to_lowercase().contains("password"),
            "{}",
            out.stderr
        );
        assert!(fake.codes_sent().is_empty());
        let state = admin.get("/icloud/state").await.json();
        assert_eq!(state["state"], "ready", "{state}");
        assert!(state["prevError"]["message"].is_string(), "{state}");
        // A sync now says to sign in first, and imports nothing.
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("icloud login"), "{}", out.stderr);
        assert!(assets(&admin).await.is_empty());
    }
);

crate::on_each_engine!(without_a_code_in_time_the_run_fails_cleanly, |server| {
    let (admin, fake) = start(&server, library(8)).await;
    assert_eq!(login(&server, &fake, &[]).code, 0);
    fake.expire_trust_tokens();
    fake.expire_sessions();
    let out = run(
        &server,
        &fake,
        &[
            "icloud",
            "sync",
            "--user",
            "admin@example.com",
            "--mfa-timeout",
            "1",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("no code was entered within 1 s"),
        "{}",
        out.stderr
    );
    assert!(assets(&admin).await.is_empty(), "nothing imported");
    let state = admin.get("/icloud/state").await.json();
    assert_eq!(state["state"], "ready", "{state}");
    assert!(
        state["prevError"]["message"]
            .as_str()
            .unwrap()
            .contains("no code"),
        "{state}"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_run_waits_for_the_code_handed_in_through_the_api() {
    for engine in keepsake_testkit::engines() {
        let lib = library(10);
        let (server, fake) = scheduled_server(engine, &lib).await;
        let admin = server.admin().await;
        // No connection yet.
        assert_eq!(admin.post("/icloud/sync", &json!({})).await.status, 404);
        assert_eq!(login(&server, &fake, &[]).code, 0);
        // Not waiting for a code: the API says so, as icloud-photos-sync does.
        let r = admin.post("/icloud/mfa?code=123456", &json!({})).await;
        assert_eq!(r.status, 412, "{}", r.body);
        assert_eq!(r.json()["message"], "MFA code not expected at this time.");
        let r = admin.post("/icloud/mfa?code=12ab", &json!({})).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json()["message"],
            "Unexpected MFA code format! Expecting 6 digits"
        );

        // Apple forgot this browser: the scheduled run must wait for a code.
        fake.expire_trust_tokens();
        fake.expire_sessions();
        let sent_before = fake.codes_sent().len();
        let r = admin.post("/icloud/sync", &json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["message"], "Sync requested");
        let state = wait_for_state(&admin, "blocked").await;
        assert!(
            state["trustedPhoneNumbers"].as_array().unwrap().len() == 1,
            "{state}"
        );
        assert!(state["mfaDeadline"].as_i64().unwrap() > 0);
        // A second request while it runs is refused.
        let r = admin.post("/icloud/sync", &json!({})).await;
        assert_eq!(r.status, 412, "{}", r.body);
        // A resend by SMS reaches Apple.
        let r = admin
            .post("/icloud/resend_mfa?method=sms&phoneNumberId=1", &json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.json()["message"],
            "Requesting MFA resend with method 'SMS' (Number ID: 1)"
        );
        let r = admin
            .post("/icloud/resend_mfa?method=pigeon", &json!({}))
            .await;
        assert_eq!(r.status, 400);
        let code = loop {
            let codes = fake.codes_sent();
            if let Some((via, code)) = codes.last()
                && via.starts_with("sms")
                && codes.len() > sent_before
            {
                break code.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // A wrong code first: still waiting, and it says so.
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let r = admin
            .post(&format!("/icloud/mfa?code={wrong}"), &json!({}))
            .await;
        assert_eq!(r.status, 200);
        loop {
            let s = admin.get("/icloud/state").await.json();
            if s["state"] == "blocked"
                && s["progressMsg"]
                    .as_str()
                    .unwrap_or("")
                    .contains("not accepted")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let r = admin
            .post(&format!("/icloud/mfa?code={code}"), &json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["message"], format!("Read MFA code: {code}"));
        let state = wait_for_state(&admin, "ready").await;
        assert!(state["prevError"].is_null(), "{state}");
        let run = state["lastRunId"].as_str().unwrap().to_string();
        let report = admin.get(&format!("/imports/{run}")).await.json();
        assert_eq!(report["state"], "completed", "{report}");
        let got = assets(&admin).await;
        for p in lib.photos.iter().filter(|p| !p.deleted) {
            assert_eq!(
                named(&got, &p.file_name).len(),
                1,
                "{} arrived",
                p.file_name
            );
        }
    }
}

/// A server running the iCloud scheduler, pointed at a fake holding `lib`.
async fn scheduled_server(
    engine: keepsake_testkit::Engine,
    lib: &FakeLibrary,
) -> (TestServer, FakeIcloud) {
    let fake = FakeIcloud::start(FakeAppleAccount::new(APPLE_ID, PASSWORD), lib.clone()).await;
    let mut config = keepsake_import::icloud::IcloudConfig::new();
    config.auth_url = fake.auth_url();
    config.setup_url = fake.setup_url();
    let server = TestServer::start_with_http(engine, |library| keepsake_http::HttpOptions {
        icloud: Some(keepsake_icloud::scheduler::Scheduler::start(
            library.clone(),
            config,
        )),
        ..Default::default()
    })
    .await;
    (server, fake)
}

async fn wait_for_state(admin: &Client, want: &str) -> Value {
    for _ in 0..2000 {
        let s = admin.get("/icloud/state").await.json();
        if s["state"] == want {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the iCloud connection never became {want}");
}

crate::on_each_engine!(
    a_killed_sync_resumes_with_nothing_missing_or_doubled,
    |server| {
        let lib = library(40);
        let (admin, fake) = start(&server, lib.clone()).await;
        assert_eq!(login(&server, &fake, &[]).code, 0);
        let env = env(&fake);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args = ["icloud", "sync", "--user", "admin@example.com"];
        let mut child = command(&server, &args, &env)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let kill_after = 5 + std::process::id() as usize % 20;
        let killed = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break !status.success();
            }
            if fake.calls("download") as usize >= kill_after {
                child.kill().unwrap();
                child.wait().unwrap();
                break true;
            }
            tokio::task::yield_now().await;
        };
        assert!(killed, "the sync was cut off");
        // A killed run of this machine is seen as gone at once: no --force needed.
        let out = run(&server, &fake, &args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let got = assets(&admin).await;
        let mut names: Vec<&str> = got
            .iter()
            .map(|a| a["originalFileName"].as_str().unwrap())
            .collect();
        let total = names.len();
        names.sort();
        names.dedup();
        assert_eq!(total, names.len(), "nothing doubled");
        for p in lib.photos.iter().filter(|p| !p.deleted) {
            assert!(
                names.contains(&p.file_name.as_str()),
                "{} arrived",
                p.file_name
            );
        }
        let runs = admin.get("/imports").await.json();
        assert_eq!(
            runs.as_array().unwrap().len(),
            1,
            "one run, resumed: {runs}"
        );
        assert_eq!(runs[0]["state"], "completed");
    }
);

crate::on_each_engine!(downloads_survive_expired_urls_drops_and_503s, |server| {
    let lib = library(15);
    let (admin, fake) = start(&server, lib.clone()).await;
    assert_eq!(login(&server, &fake, &[]).code, 0);
    fake.expire_download_urls_after(3);
    fake.drop_next_downloads(2);
    fake.fail_next("records/query", 503, 2);
    let out = run(
        &server,
        &fake,
        &["icloud", "sync", "--user", "admin@example.com"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        fake.calls("records/lookup") > 0,
        "expired URLs were refreshed"
    );
    let got = assets(&admin).await;
    for p in lib.photos.iter().filter(|p| !p.deleted) {
        assert_eq!(
            named(&got, &p.file_name).len(),
            1,
            "{} arrived",
            p.file_name
        );
    }
    let runs = admin.get("/imports").await.json();
    assert_eq!(runs[0]["failed"], 0, "{runs}");
});

crate::on_each_engine!(
    archiving_keeps_the_album_and_deletes_only_non_favourites_in_icloud,
    |server| {
        let mut lib = library(30);
        // A favourite in Family stays in iCloud.
        let family = lib.albums.iter().position(|a| a.name == "Family").unwrap();
        let members = lib.albums[family].members.clone();
        let fav = members[0].clone();
        for p in lib.photos.iter_mut() {
            if members.contains(&p.asset_id) {
                p.deleted = false;
                p.favorite = p.asset_id == fav;
            }
        }
        let (admin, fake) = start(&server, lib.clone()).await;
        assert_eq!(login(&server, &fake, &["--deleted", "trash"]).code, 0);
        let archive = |dry: bool| {
            let mut args = vec![
                "icloud",
                "archive",
                "--user",
                "admin@example.com",
                "Family",
                "--remote-delete",
            ];
            if dry {
                args.push("--dry-run");
            }
            run(&server, &fake, &args)
        };
        // Dry run: lists, deletes nothing anywhere.
        let out = archive(true);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(fake.deleted_remotely().is_empty());
        assert!(
            out.stderr.contains("would delete from iCloud"),
            "{}",
            out.stderr
        );
        // For real.
        let out = archive(false);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let mut deleted = fake.deleted_remotely();
        deleted.sort();
        let mut want: Vec<String> = members.iter().filter(|m| **m != fav).cloned().collect();
        want.sort();
        assert_eq!(
            deleted, want,
            "exactly the non-favourites, by their CPLAsset records"
        );
        // The album is here in full, and a later sync (deleted → trash) leaves
        // the archived photos alone although iCloud now has them deleted.
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let albums = admin.get("/albums").await.json();
        let fam = albums
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["albumName"] == "Family")
            .unwrap();
        assert_eq!(fam["assetCount"].as_u64().unwrap() as usize, members.len());
        let got = assets(&admin).await;
        assert_eq!(got.iter().filter(|a| a["isTrashed"] == true).count(), 0);
    }
);

/// The web app's part: a scheduled sync waits at Apple's sign-in, and the
/// person types the code into Settings in a real browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_hands_the_code_to_a_waiting_sync() {
    let harness = crate::web::harness();
    for engine in keepsake_testkit::engines() {
        let lib = library(8);
        let (server, fake) = scheduled_server(engine, &lib).await;
        let admin = server.admin().await;
        assert_eq!(login(&server, &fake, &[]).code, 0);
        fake.expire_trust_tokens();
        fake.expire_sessions();
        let sent = fake.codes_sent().len();
        assert_eq!(admin.post("/icloud/sync", &json!({})).await.status, 200);
        wait_for_state(&admin, "blocked").await;
        let code = loop {
            if fake.codes_sent().len() > sent {
                break fake.last_code().unwrap();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let artifacts = crate::web::artifacts(&format!("icloud-{:?}", server.engine));
        let out = tokio::process::Command::new("node")
            .arg(harness.join("icloud.mjs"))
            .arg(&server.url)
            .arg("admin@example.com")
            .arg("admin-password")
            .arg(&code)
            .arg(&artifacts)
            .output()
            .await
            .expect("run node (Node.js 20 or newer must be installed)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("all steps passed"),
            "the iCloud web test failed (screenshots in {}):\n{stdout}\n{}",
            artifacts.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let state = wait_for_state(&admin, "ready").await;
        assert!(state["prevError"].is_null(), "{state}");
        let got = assets(&admin).await;
        for p in lib.photos.iter().filter(|p| !p.deleted) {
            assert_eq!(
                named(&got, &p.file_name).len(),
                1,
                "{} arrived",
                p.file_name
            );
        }
    }
}

crate::on_each_engine!(
    shared_library_items_arrive_marked_and_in_the_chosen_album,
    |server| {
        use keepsake_testkit::fake_icloud::SharedZone;
        let lib = FakeLibrary::generated_with_shared(80, 3, SharedZone::Joined);
        let shared: Vec<&FakePhoto> = lib
            .photos
            .iter()
            .filter(|p| p.shared && !p.deleted)
            .collect();
        assert!(!shared.is_empty(), "the seed makes shared-library items");
        let (admin, fake) = start(&server, lib.clone()).await;
        assert_eq!(
            login(&server, &fake, &["--shared", "album:Family Library"]).code,
            0
        );
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let got = assets(&admin).await;
        for p in &shared {
            let a = named(&got, &p.file_name);
            assert_eq!(a.len(), 1, "{} arrives", p.file_name);
            let sources = admin
                .get(&format!("/assets/{}/sources", a[0]["id"].as_str().unwrap()))
                .await
                .json();
            assert_eq!(sources[0]["facts"]["icloud_library"], "shared", "{sources}");
            // Who could see it does not hide it from its owner here.
            assert_ne!(a[0]["visibility"], "hidden", "{}", p.file_name);
        }
        let albums = admin.get("/albums").await.json();
        let family = albums
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["albumName"] == "Family Library")
            .expect("the shared library's album");
        let live_halves = shared
            .iter()
            .filter(|p| matches!(p.kind, FakeKind::Live { .. }))
            .count();
        let count = family["assetCount"].as_u64().unwrap() as usize;
        assert!(
            count >= shared.len() && count <= shared.len() + live_halves,
            "{count} in the album for {} shared items",
            shared.len()
        );
        // Personal items are not in it and carry no shared mark.
        let own = lib
            .photos
            .iter()
            .find(|p| !p.shared && !p.deleted && !p.hidden)
            .unwrap();
        let a = named(&got, &own.file_name);
        let sources = admin
            .get(&format!("/assets/{}/sources", a[0]["id"].as_str().unwrap()))
            .await
            .json();
        assert!(sources[0]["facts"]["icloud_library"].is_null(), "{sources}");
    }
);

crate::on_each_engine!(
    a_library_still_indexing_is_not_synced_and_says_why,
    |server| {
        let (admin, fake) = start(&server, library(8)).await;
        assert_eq!(login(&server, &fake, &[]).code, 0);
        fake.set_indexing(false);
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.to_lowercase().contains("index"),
            "{}",
            out.stderr
        );
        assert!(assets(&admin).await.is_empty());
        fake.set_indexing(true);
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!assets(&admin).await.is_empty());
    }
);

crate::on_each_engine!(
    an_expired_web_session_signs_in_again_without_a_code,
    |server| {
        let (admin, fake) = start(&server, library(8)).await;
        assert_eq!(login(&server, &fake, &[]).code, 0);
        let codes = fake.codes_sent().len();
        fake.expire_sessions();
        let out = run(
            &server,
            &fake,
            &["icloud", "sync", "--user", "admin@example.com"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            fake.codes_sent().len(),
            codes,
            "the trust token spared a code"
        );
        assert!(fake.calls("signin/complete") >= 2, "signed in again");
        assert!(!assets(&admin).await.is_empty());
    }
);

crate::on_each_engine!(a_sealed_session_opens_only_with_its_key, |server| {
    let (admin, fake) = start(&server, library(8)).await;
    let key = server.scratch("keys").join("shared.key");
    let key = key.to_str().unwrap();
    assert_eq!(login(&server, &fake, &["--secret-key-file", key]).code, 0);
    assert_eq!(
        std::fs::metadata(key).unwrap().len(),
        32,
        "the key was made there"
    );
    // Another key (the data dir's own): the session cannot be opened, and it says what to do.
    let out = run(
        &server,
        &fake,
        &["icloud", "sync", "--user", "admin@example.com"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("secret key"), "{}", out.stderr);
    assert!(assets(&admin).await.is_empty());
    // The same key: it works.
    let out = run(
        &server,
        &fake,
        &[
            "icloud",
            "sync",
            "--user",
            "admin@example.com",
            "--secret-key-file",
            key,
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!assets(&admin).await.is_empty());
});
