//! Import throughput, measured with the real (release) `keepsake` binary:
//! a generated 2,000-item Google Takeout in three zip parts, the same tree
//! extracted as a folder, and a 2,000-item account on the fake Flickr (real
//! HTTP on loopback), each into a fresh library. Next to them, in the same
//! run, the floor any importer stands on: `unzip` of the same parts and
//! `cp -r` of the extracted tree, both followed by `sync`.
//!
//! `cargo bench -p keepsake --bench import` (`IMPORT_BENCH_ITEMS=N` to resize).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use keepsake_testkit::fake_flickr::{API_KEY, API_SECRET, FakeAccount, FakeFlickr};

mod common;

use common::{EMAIL, keepsake, library, row, run};

fn main() {
    let items: usize = std::env::var("IMPORT_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let work = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("import throughput, {items} items per source (release binary)\n");
    println!("| run | items | seconds | items/s | MB/s |");
    println!("|---|---|---|---|---|");

    let tree = keepsake_testkit::takeout::many(items);
    let parts = tree.write_zips(&work.path().join("zips"), 3);
    let zip_bytes: u64 = parts.iter().map(|p| p.metadata().unwrap().len()).sum();
    let media_items = tree
        .expected
        .iter()
        .filter(|i| !i.skipped && !i.meta.trashed)
        .count();
    let media_bytes: u64 = tree
        .expected
        .iter()
        .filter(|i| !i.skipped && !i.meta.trashed)
        .map(|i| i.bytes.len() as u64)
        .sum();

    // Anchors: unzip and cp -r, each with sync.
    let unzipped = work.path().join("unzipped");
    let t = Instant::now();
    for part in &parts {
        run(Command::new("unzip")
            .args(["-q", "-o"])
            .arg(part)
            .arg("-d")
            .arg(&unzipped));
    }
    run(&mut Command::new("sync"));
    row(
        "anchor: unzip 3 parts + sync",
        media_items,
        t.elapsed().as_secs_f64(),
        zip_bytes,
    );
    let copied = work.path().join("copied");
    let t = Instant::now();
    run(Command::new("cp").arg("-r").arg(&unzipped).arg(&copied));
    run(&mut Command::new("sync"));
    row(
        "anchor: cp -r extracted + sync",
        media_items,
        t.elapsed().as_secs_f64(),
        media_bytes,
    );

    // Keepsake: Takeout zips, then the extracted tree as a folder.
    let data = library(work.path(), "takeout");
    let mut args: Vec<String> = vec!["import".into(), "takeout".into()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    let (secs, summary) = import(&data, &args, &[]);
    row(
        "keepsake import takeout (3 zips)",
        media_items,
        secs,
        media_bytes,
    );
    eprintln!("  {summary}");

    let data = library(work.path(), "folder");
    let args = vec![
        "import".into(),
        "folder".into(),
        unzipped.display().to_string(),
    ];
    let (secs, summary) = import(&data, &args, &[]);
    row(
        "keepsake import folder (extracted)",
        media_items,
        secs,
        media_bytes,
    );
    eprintln!("  {summary}");

    // Keepsake: the fake Flickr, with Flickr's real budget lifted so the
    // figure is the importer's, and the budget's cost stated beside it.
    let account = FakeAccount::generated(items);
    let flickr_bytes: u64 = account
        .photos
        .iter()
        .map(|p| {
            p.video
                .as_ref()
                .map_or(p.original.len(), |v| v.original.len()) as u64
        })
        .sum();
    let (fake, token) = runtime.block_on(async {
        let fake = FakeFlickr::start(account).await;
        let token = fake.issue_access_token();
        (fake, token)
    });
    let data = library(work.path(), "flickr");
    runtime.block_on(store_flickr_token(&data, &token));
    let (rest, oauth) = (fake.rest_url(), fake.oauth_url());
    let env = [
        ("KEEPSAKE_FLICKR_API_KEY", API_KEY),
        ("KEEPSAKE_FLICKR_API_SECRET", API_SECRET),
        ("KEEPSAKE_FLICKR_REST_URL", rest.as_str()),
        ("KEEPSAKE_FLICKR_OAUTH_URL", oauth.as_str()),
        ("KEEPSAKE_FLICKR_CALLS_PER_HOUR", "10000000"),
    ];
    let calls_before = fake.rest_calls();
    let args = vec!["import".into(), "flickr".into(), "me".into()];
    let (secs, summary) = import(&data, &args, &env);
    let calls = fake.rest_calls() - calls_before;
    row(
        "keepsake import flickr (fake, budget lifted)",
        items,
        secs,
        flickr_bytes,
    );
    eprintln!("  {summary}");
    println!(
        "\nThe Flickr run made {calls} REST calls; under Flickr's 3,600 calls/hour (burst 10) they alone take at least {:.0} s.",
        (calls.saturating_sub(10)) as f64
    );
    drop(fake);
}

/// Runs one import; returns its wall time and the summary line.
fn import(data: &Path, args: &[String], env: &[(&str, &str)]) -> (f64, String) {
    let t = Instant::now();
    let out = keepsake()
        .args(args)
        .args(["--user", EMAIL, "--data-dir"])
        .arg(data)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("keepsake import");
    let secs = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "import failed: {stderr}");
    let summary = stderr
        .lines()
        .find(|l| l.contains(" completed: "))
        .unwrap_or("")
        .to_string();
    (secs, summary)
}

async fn store_flickr_token(data: &Path, token: &(String, String)) {
    let library =
        keepsake_library::Library::open(keepsake_library::LibraryConfig::new(data.to_path_buf()))
            .await
            .expect("open the bench library");
    let caller = library.local_caller(EMAIL).await.expect("bench user");
    let stored = serde_json::json!({
        "token": token.0, "secret": token.1, "user_nsid": "12345678@N00", "username": "jdoe"
    });
    library
        .set_service_credential(&caller, "flickr", &stored.to_string())
        .await
        .expect("store the token");
    library.close().await;
}
