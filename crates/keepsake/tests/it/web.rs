//! The web app in real headless Chromium (Debian's `chromium`, driven by
//! `playwright-core` from `tests/web`, npm lockfile) against the real server:
//! `tests/web/e2e.mjs` signs up, uploads 20 photos through the page, checks
//! their months, uses the viewer, favourites, albums, search, trash and logs
//! out; screenshots land in `target/web-artifacts/<engine>/`. Also runs the
//! app's pure-logic unit tests (`node --test tests/web/unit`).

use std::path::{Path, PathBuf};

use keepsake_testkit::fixtures::{self, Exif};
use serde_json::json;

use crate::on_each_engine;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The harness must be installed and Chromium present: a missing tool is a
/// failure with the fix in the message, never a silent skip.
pub(crate) fn harness() -> PathBuf {
    let root = workspace();
    assert!(
        root.join("tests/web/node_modules/playwright-core").exists(),
        "the web test harness is not installed: run `npm ci --prefix tests/web` (scripts/test.sh does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: install it (`apt-get install chromium`; .ci/run does) or set CHROMIUM"
    );
    root.join("tests/web")
}

/// Where a browser test keeps its screenshots: `target/web-artifacts/<name>`.
pub(crate) fn artifacts(name: &str) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
        .join("web-artifacts")
        .join(name.to_lowercase())
}

/// (file, EXIF date, make, model, latitude, longitude, width, height)
type Photo = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    u32,
    u32,
);

const PHOTOS: [Photo; 20] = [
    (
        "IMG_0001.jpg",
        "2024:03:05 10:00:00",
        "Canon",
        "EOS R5",
        48.8566,
        2.3522,
        640,
        480,
    ),
    (
        "IMG_0002.jpg",
        "2024:03:05 11:00:00",
        "Canon",
        "EOS R5",
        48.8606,
        2.3376,
        480,
        640,
    ),
    (
        "IMG_0003.jpg",
        "2024:03:09 09:00:00",
        "NIKON CORPORATION",
        "NIKON Z 6",
        45.764,
        4.8357,
        640,
        360,
    ),
    (
        "IMG_0004.jpg",
        "2024:01:15 12:00:00",
        "Canon",
        "EOS R5",
        51.5074,
        -0.1278,
        640,
        480,
    ),
    (
        "IMG_0005.jpg",
        "2024:01:15 13:00:00",
        "NIKON CORPORATION",
        "NIKON Z 6",
        51.5007,
        -0.1246,
        640,
        480,
    ),
    (
        "IMG_0006.jpg",
        "2023:12:24 18:00:00",
        "Canon",
        "EOS 5D",
        52.52,
        13.405,
        480,
        640,
    ),
    (
        "IMG_0007.jpg",
        "2023:12:25 10:00:00",
        "Canon",
        "EOS 5D",
        52.5163,
        13.3777,
        640,
        480,
    ),
    (
        "IMG_0008.jpg",
        "2023:07:14 22:00:00",
        "NIKON CORPORATION",
        "NIKON D750",
        41.9028,
        12.4964,
        800,
        320,
    ),
    (
        "IMG_0009.jpg",
        "2023:07:10 08:00:00",
        "Canon",
        "EOS 5D",
        41.8902,
        12.4922,
        640,
        480,
    ),
    (
        "IMG_0010.jpg",
        "2023:07:10 09:00:00",
        "Canon",
        "EOS 5D",
        41.8986,
        12.4769,
        640,
        480,
    ),
    (
        "IMG_0011.jpg",
        "2022:05:01 10:00:00",
        "NIKON CORPORATION",
        "NIKON D750",
        40.4168,
        -3.7038,
        480,
        640,
    ),
    (
        "IMG_0012.jpg",
        "2022:05:01 11:00:00",
        "NIKON CORPORATION",
        "NIKON D750",
        40.4153,
        -3.6844,
        640,
        480,
    ),
    (
        "IMG_0013.jpg",
        "2022:05:02 10:00:00",
        "Canon",
        "EOS 5D",
        41.3874,
        2.1686,
        640,
        480,
    ),
    (
        "IMG_0014.jpg",
        "2021:08:20 14:00:00",
        "Canon",
        "EOS 5D",
        59.3293,
        18.0686,
        640,
        480,
    ),
    (
        "IMG_0015.jpg",
        "2021:08:21 14:00:00",
        "Canon",
        "EOS 5D",
        59.3326,
        18.0649,
        360,
        640,
    ),
    (
        "IMG_0016.jpg",
        "2021:08:22 14:00:00",
        "NIKON CORPORATION",
        "NIKON D750",
        60.1699,
        24.9384,
        640,
        480,
    ),
    (
        "IMG_0017.jpg",
        "2020:02:02 10:00:00",
        "Canon",
        "EOS 5D",
        35.6762,
        139.6503,
        640,
        480,
    ),
    (
        "IMG_0018.jpg",
        "2020:02:03 10:00:00",
        "Canon",
        "EOS 5D",
        34.6937,
        135.5023,
        640,
        480,
    ),
    (
        "IMG_0019.jpg",
        "2019:11:11 11:11:00",
        "NIKON CORPORATION",
        "NIKON D750",
        -33.8688,
        151.2093,
        640,
        480,
    ),
    (
        "IMG_0020.jpg",
        "2019:11:12 11:11:00",
        "Canon",
        "EOS 5D",
        -37.8136,
        144.9631,
        640,
        480,
    ),
];

/// Writes the photos (real JPEGs with EXIF, in eight months over five years)
/// and the manifest the script checks against.
fn write_photos(dir: &Path) {
    let mut manifest = Vec::new();
    for (i, (name, date, make, model, lat, lon, w, h)) in PHOTOS.iter().enumerate() {
        let jpeg = fixtures::jpeg(dir, *w, *h, i as u32);
        let photo = fixtures::with_exif(
            &jpeg,
            &Exif {
                make: Some((*make).into()),
                model: Some((*model).into()),
                date_time_original: Some((*date).into()),
                gps: Some((*lat, *lon)),
                ..Default::default()
            },
        );
        std::fs::write(dir.join(name), photo).unwrap();
        let taken = format!("{}T{}", date[..10].replace(':', "-"), &date[11..]);
        manifest.push(json!({ "file": name, "taken": taken, "make": make, "model": model }));
    }
    // The pattern files ffmpeg wrote are not part of the set.
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("pattern-") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&json!({ "photos": manifest })).unwrap(),
    )
    .unwrap();
}

on_each_engine!(the_web_app_end_to_end_in_chromium, |server| {
    let harness = harness();
    let photos = server.scratch("web-photos");
    write_photos(&photos);
    let artifacts = artifacts(&format!("{:?}", server.engine));
    let out = tokio::process::Command::new("node")
        .arg(harness.join("e2e.mjs"))
        .arg(&server.url)
        .arg(&photos)
        .arg(&artifacts)
        .output()
        .await
        .expect("run node (Node.js 20 or newer must be installed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the web end-to-end test failed (screenshots in {}):\n{stdout}\n{stderr}",
        artifacts.display()
    );
    assert!(stdout.contains("all steps passed"), "{stdout}\n{stderr}");
});

on_each_engine!(the_web_app_resumes_an_upload_cut_off_midway, |server| {
    let harness = harness();
    server.admin().await;
    let dir = server.scratch("resume");
    let photo = dir.join("big.jpg");
    std::fs::write(&photo, fixtures::jpeg(&dir, 3000, 2000, 3)).unwrap();
    let artifacts = artifacts(&format!("{:?}", server.engine));
    let out = tokio::process::Command::new("node")
        .arg(harness.join("upload-resume.mjs"))
        .arg(&server.url)
        .args(["admin@example.com", "admin-password"])
        .arg(&photo)
        .arg(&artifacts)
        .output()
        .await
        .expect("run node (Node.js 20 or newer must be installed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the resumed upload failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("\"checksumMatches\":true"),
        "{stdout}\n{stderr}"
    );
});

#[test]
fn the_web_apps_layout_and_timeline_logic_pass_their_unit_tests() {
    let unit = workspace().join("tests/web/unit");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&unit)
        .expect("tests/web/unit exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no unit tests in {}", unit.display());
    let out = std::process::Command::new("node")
        .arg("--test")
        .args(&files)
        .output()
        .expect("run node (Node.js 20 or newer must be installed)");
    assert!(
        out.status.success(),
        "web unit tests failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
