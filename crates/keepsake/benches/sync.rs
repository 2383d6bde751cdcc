//! The mobile sync stream at scale (issue 8, "Measure and report"): a library
//! of 100,000 assets seeded straight into the database, the real server
//! in-process on loopback, and a phone's login session. Measures a full
//! `POST /api/sync/stream` of every type the app requests (time to the first
//! byte and to the end, bytes, lines, the process's peak RSS while streaming)
//! and an incremental sync after 100 uploads, on SQLite and, when
//! `KEEPSAKE_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! `cargo bench -p keepsake --bench sync` (`SYNC_BENCH_ASSETS=N` to resize);
//! `KEEPSAKE_TEST_CMD="cargo bench -p keepsake --bench sync" ./scripts/test.sh`
//! for a throw-away PostgreSQL.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use keepsake_library::db::{NewAsset, new_id};
use keepsake_testkit::phone::APP_TYPES;
use keepsake_testkit::{Client, Engine, TestServer, fixtures};
use serde_json::{Value, json};

const EMAIL: &str = "bench@example.com";

fn main() {
    let assets: usize = std::env::var("SYNC_BENCH_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "sync stream, {assets} assets, all {} app types\n",
        APP_TYPES.len()
    );
    println!(
        "| engine | seed s | full: first byte ms | full: end ms | full MB | full lines | \
         RSS before MB | peak RSS while streaming MB | 100 uploads s | incr: first byte ms | \
         incr: end ms | incr KB | incr lines |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for engine in keepsake_testkit::engines() {
        runtime.block_on(run(engine, assets));
    }
}

async fn run(engine: Engine, n: usize) {
    let server = TestServer::start(engine).await;
    let admin = server.admin().await;
    let key = server.user(&admin, EMAIL).await;
    let owner = key.user_id.clone();

    let t = Instant::now();
    let db = server.library.db();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let owner = owner.clone();
            async move {
                let mut checksum = (i as u64).to_be_bytes().to_vec();
                checksum.resize(20, 0xAB);
                let asset = NewAsset {
                    id: new_id(),
                    owner_id: owner,
                    asset_type: "IMAGE".into(),
                    original_path: format!("library/bench/{i}.jpg"),
                    original_file_name: format!("IMG_{i:06}.jpg"),
                    sidecar_path: None,
                    checksum,
                    file_size: 2_000_000 + i as i64,
                    file_created_at: 1_500_000_000_000 + i as i64 * 60_000,
                    file_modified_at: 1_500_000_000_000 + i as i64 * 60_000,
                    local_date_time: 1_500_000_000_000 + i as i64 * 60_000,
                    is_favorite: i % 50 == 0,
                    visibility: "timeline".into(),
                    duration_ms: None,
                    live_photo_video_id: None,
                    library_id: None,
                };
                db.insert_asset(&asset, &[]).await.expect("insert asset");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let seed_secs = t.elapsed().as_secs_f64();

    let phone = server.login(EMAIL, "user-password").await;
    let rss_before = status_kb("VmRSS");
    let peak_reset = reset_peak_rss();
    let full = stream(&phone).await;
    let peak = status_kb("VmHWM");
    assert_eq!(full.last_type, "SyncCompleteV1");
    assert!(full.lines > n, "every asset arrives: {} lines", full.lines);
    ack(&phone, &full.acks).await;

    // 100 uploads through HTTP, their media jobs, then the incremental sync.
    let scratch = server.scratch("jpegs");
    let base = fixtures::jpeg(&scratch, 64, 48, 1);
    let t = Instant::now();
    for i in 0..100 {
        let r = key
            .upload(&format!("upload-{i}.jpg"), numbered(&base, i))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    admin.wait_for_jobs().await;
    let upload_secs = t.elapsed().as_secs_f64();
    let incr = stream(&phone).await;
    assert_eq!(incr.last_type, "SyncCompleteV1");
    assert!(
        incr.lines >= 101 && incr.lines < 1000,
        "{} lines",
        incr.lines
    );

    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "| {engine:?} | {seed_secs:.1} | {:.1} | {:.0} | {:.1} | {} | {:.0} | {}{:.0} | {upload_secs:.1} | {:.1} | {:.1} | {:.1} | {} |",
        ms(full.first_byte),
        ms(full.end),
        full.bytes as f64 / 1e6,
        full.lines,
        mb(rss_before),
        if peak_reset { "" } else { "(process peak) " },
        mb(peak),
        ms(incr.first_byte),
        ms(incr.end),
        incr.bytes as f64 / 1e3,
        incr.lines,
    );
    server.stop().await;
}

struct Streamed {
    first_byte: Duration,
    end: Duration,
    bytes: usize,
    lines: usize,
    /// The last ack of each run of one type, as the app sends them.
    acks: Vec<String>,
    last_type: String,
}

/// Reads a stream chunk by chunk, never holding more than one line.
async fn stream(client: &Client) -> Streamed {
    let t = Instant::now();
    let mut response = client
        .request(reqwest::Method::POST, "/sync/stream")
        .json(&json!({ "types": APP_TYPES }))
        .send()
        .await
        .expect("sync stream");
    assert_eq!(response.status(), 200);
    let mut first_byte = None;
    let mut out = Streamed {
        first_byte: Duration::ZERO,
        end: Duration::ZERO,
        bytes: 0,
        lines: 0,
        acks: Vec::new(),
        last_type: String::new(),
    };
    let mut partial: Vec<u8> = Vec::new();
    let mut last_ack = String::new();
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        first_byte.get_or_insert_with(|| t.elapsed());
        out.bytes += chunk.len();
        for &b in chunk.iter() {
            if b != b'\n' {
                partial.push(b);
                continue;
            }
            let line: Value = serde_json::from_slice(&partial).expect("a JSON line");
            partial.clear();
            out.lines += 1;
            let kind = line["type"].as_str().expect("type").to_string();
            if kind != out.last_type && !last_ack.is_empty() {
                out.acks.push(std::mem::take(&mut last_ack));
            }
            last_ack = line["ack"].as_str().expect("ack").to_string();
            out.last_type = kind;
        }
    }
    out.end = t.elapsed();
    out.first_byte = first_byte.expect("some bytes");
    assert!(partial.is_empty(), "the last line ends with a newline");
    if !last_ack.is_empty() {
        out.acks.push(last_ack);
    }
    out
}

async fn ack(client: &Client, acks: &[String]) {
    let r = client.post("/sync/ack", &json!({ "acks": acks })).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

/// `jpeg` made distinct by a numbered comment segment after SOI.
fn numbered(jpeg: &[u8], n: usize) -> Vec<u8> {
    let note = format!("sync bench upload {n}");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((note.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(note.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A field of `/proc/self/status`, in kB (0 where unavailable).
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(&format!("{field}:")))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets `VmHWM` to the current RSS (Linux `clear_refs` 5), so the peak
/// read after the stream is the stream's; false if the kernel refused.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
