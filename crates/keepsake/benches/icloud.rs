//! iCloud sync throughput, measured with the real (release) `keepsake` binary
//! against the testkit's fake iCloud (real HTTP on loopback, real SRP, real
//! CloudKit paging, checksummed downloads) holding a generated library of
//! 5,000 items: the first full sync into a fresh library, then a sync with
//! nothing new. Next to them, in the same run, the floor: the protocol client
//! alone listing the same library and downloading every original (checksum
//! verified) into a folder, then `sync` — what any iCloud tool must do.
//!
//! `cargo bench -p keepsake --bench icloud` (`ICLOUD_BENCH_ITEMS=N` to resize).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use keepsake_import::icloud::{IcloudClient, IcloudConfig, PhotoList, SessionState, SignIn};
use keepsake_testkit::fake_icloud::{FakeAppleAccount, FakeIcloud, FakeKind, generated_library};

mod common;

use common::{EMAIL, library, row, run};
const APPLE_ID: &str = "bench@icloud.example";
const PASSWORD: &str = "bench apple password";

fn main() {
    let items: usize = std::env::var("ICLOUD_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let work = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let lib = generated_library(items, 11);
    let present: Vec<_> = lib.photos.iter().filter(|p| !p.deleted).collect();
    let files = present.len()
        + present
            .iter()
            .filter(|p| matches!(p.kind, FakeKind::Live { .. }))
            .count();
    let bytes: u64 = present
        .iter()
        .map(|p| {
            p.bytes.len() as u64
                + match &p.kind {
                    FakeKind::Live { video } => video.len() as u64,
                    _ => 0,
                }
        })
        .sum();
    let fake = runtime.block_on(FakeIcloud::start(
        FakeAppleAccount::new(APPLE_ID, PASSWORD),
        lib,
    ));
    println!(
        "iCloud sync, a fake library of {items} items ({files} files, {:.0} MB; release binary)\n",
        bytes as f64 / 1e6
    );
    println!("| run | files | seconds | files/s | MB/s |");
    println!("|---|---|---|---|---|");

    // Floor: the protocol client alone, list + download + verify, then sync.
    let folder = work.path().join("client-only");
    std::fs::create_dir_all(&folder).unwrap();
    let t = Instant::now();
    let fetched = runtime.block_on(client_only(&fake, &folder));
    run(&mut Command::new("sync"));
    row(
        "anchor: client alone, list + download + verify + sync",
        fetched,
        t.elapsed().as_secs_f64(),
        bytes,
    );

    // Keepsake: login (once, with a code), then the first sync and a second.
    let data = library(work.path(), "icloud");
    login(&data, &fake);
    let calls = fake.calls("records/query");
    let downloads = fake.calls("download");
    let (secs, summary) = sync(&data, &fake);
    row("keepsake icloud sync (first, full)", files, secs, bytes);
    eprintln!("  {summary}");
    eprintln!(
        "  {} CloudKit queries, {} downloads",
        fake.calls("records/query") - calls,
        fake.calls("download") - downloads
    );
    let (secs, summary) = sync(&data, &fake);
    println!(
        "| keepsake icloud sync (again, nothing new) | {files} | {secs:.2} | {:.0} | — |",
        files as f64 / secs
    );
    eprintln!("  {summary}");
}

async fn client_only(fake: &FakeIcloud, dir: &Path) -> usize {
    let mut config = IcloudConfig::new();
    config.auth_url = fake.auth_url();
    config.setup_url = fake.setup_url();
    let mut client = IcloudClient::new(
        config,
        SessionState {
            apple_id: APPLE_ID.into(),
            ..SessionState::default()
        },
    );
    if let SignIn::NeedsCode { .. } = client.sign_in(PASSWORD).await.expect("sign in") {
        let code = fake.last_code().expect("a code");
        client.submit_code(&code).await.expect("code");
    }
    let mut n = 0;
    for zone in client.zones().await.expect("zones") {
        for list in [PhotoList::All, PhotoList::Hidden] {
            for photo in client.all_photos(&zone, list).await.expect("listing") {
                for (i, res) in [photo.original.as_ref(), photo.live_video.as_ref()]
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let Some(url) = &res.url else { continue };
                    let dest = dir.join(format!("{}-{i}", photo.asset_record));
                    client
                        .download(url, Some(&res.checksum), &dest)
                        .await
                        .expect("download");
                    n += 1;
                }
            }
        }
    }
    n
}

fn keepsake(fake: &FakeIcloud) -> Command {
    let mut cmd = common::keepsake();
    cmd.env("KEEPSAKE_ICLOUD_AUTH_URL", fake.auth_url())
        .env("KEEPSAKE_ICLOUD_SETUP_URL", fake.setup_url());
    cmd
}

fn login(data: &Path, fake: &FakeIcloud) {
    let mut child = keepsake(fake)
        .args([
            "icloud",
            "login",
            "--user",
            EMAIL,
            "--apple-id",
            APPLE_ID,
            "--data-dir",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keepsake icloud login");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{PASSWORD}").unwrap();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        if line.unwrap().contains("Apple sent a code") {
            writeln!(stdin, "{}", fake.last_code().expect("a code")).unwrap();
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success(), "login failed");
}

fn sync(data: &Path, fake: &FakeIcloud) -> (f64, String) {
    let t = Instant::now();
    let out = keepsake(fake)
        .args(["icloud", "sync", "--user", EMAIL, "--data-dir"])
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .expect("keepsake icloud sync");
    let secs = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sync failed: {stderr}");
    let summary = stderr
        .lines()
        .find(|l| l.contains(" completed: "))
        .unwrap_or("")
        .to_string();
    (secs, summary)
}
