//! Per-photo cost of the media pipeline on the benchmark corpus, single
//! thread: SHA-1 of the file, metadata, and derived images (preview JPEG +
//! thumbnail WebP + thumbhash), plus peak RSS. The figures are compared with
//! the sharp/exiftool anchors from `shared/bench` (issue 3, part 5).
//!
//! Run: `CORPUS_DIR=/tmp/keepsake-corpus cargo bench -p keepsake-media --bench pipeline`
//! (BENCH_REPS, default 3, repeats each file; BENCH_FILTER keeps paths
//! containing that text). Prints a table and `RESULT key=value` lines.

use keepsake_media::derive::{DeriveOptions, ImageInput, derive_image, sniff_format};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// A line of /proc/self/status, e.g. VmHWM, in MiB.
fn proc_status_mib(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Process CPU time (user + system), from /proc/self/stat, in seconds; shows
/// whether any library fanned work out to other threads.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the comm.
    (ticks(11) + ticks(12)) / 100.0
}

/// This thread's CPU time in ms (ns resolution, from schedstat): unlike wall
/// time it is not inflated when other processes share the cores.
fn thread_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e6)
}

struct Sample {
    group: String,
    derive_ms: f64,
    derive_cpu_ms: f64,
}

fn main() {
    let dir = PathBuf::from(
        std::env::var("CORPUS_DIR").unwrap_or_else(|_| "/tmp/keepsake-corpus".into()),
    );
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let filter = std::env::var("BENCH_FILTER").unwrap_or_default();
    let mut paths = Vec::new();
    files_under(&dir, &mut paths);
    paths.sort();
    // Only paths are kept: holding the corpus in memory would inflate the
    // peak RSS this bench reports for derive.
    let mut images: Vec<(PathBuf, String, u64)> = Vec::new();
    for path in paths {
        if !path.to_string_lossy().contains(&filter) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        // Videos and anything else derive can't read are not images.
        if sniff_format(&bytes).is_none() {
            continue;
        }
        let rel = path.strip_prefix(&dir).unwrap_or(&path);
        let group = rel
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        images.push((path, group, bytes.len() as u64));
    }
    if images.is_empty() {
        eprintln!(
            "no images under {} (build the corpus with shared/bench/make-corpus.sh)",
            dir.display()
        );
        std::process::exit(1);
    }
    println!(
        "corpus {}: {} images, {reps} reps each, one thread",
        dir.display(),
        images.len()
    );
    // The server's settings (4:4:4 previews, like Immich's); BENCH_CHROMA420=1 measures 4:2:0.
    let options = DeriveOptions {
        preview_full_chroma: std::env::var_os("BENCH_CHROMA420").is_none(),
        ..DeriveOptions::default()
    };

    // Warm-up: page cache, lazily initialised library tables, allocator.
    for (path, _, _) in images.iter().take(3) {
        let _ = derive_image(ImageInput::File(path), None, &options);
        let _ = keepsake_media::metadata::read_metadata(path);
    }

    // (a) SHA-1 over the file bytes (read from the page cache, untimed).
    let total_bytes: u64 = images.iter().map(|i| i.2).sum();
    let mut hashing = Duration::ZERO;
    for _ in 0..reps {
        for (path, _, _) in &images {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            let t = Instant::now();
            std::hint::black_box(Sha1::digest(&bytes));
            hashing += t.elapsed();
        }
    }
    let sha1_mb_s = (total_bytes * reps as u64) as f64 / 1e6 / hashing.as_secs_f64();
    let rss_before = proc_status_mib("VmHWM:");

    // (b) metadata, (c) derive.
    let mut metadata_ms = Vec::new();
    let mut metadata_errors = 0usize;
    let mut samples = Vec::new();
    let mut failures = Vec::new();
    let cpu_before = cpu_seconds();
    let mut derive_wall = Duration::ZERO;
    for (path, group, _) in &images {
        let mut orientation = None;
        let mut meta_runs = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            let meta = keepsake_media::metadata::read_metadata(path);
            meta_runs.push(ms(t.elapsed()));
            match meta {
                Ok(m) => orientation = m.orientation,
                Err(_) => metadata_errors += 1,
            }
        }
        metadata_ms.push(median(&mut meta_runs));
        let mut runs = Vec::new();
        let mut cpu_runs = Vec::new();
        for _ in 0..reps {
            let cpu = thread_cpu_ms();
            let t = Instant::now();
            let result = derive_image(ImageInput::File(path), orientation, &options);
            let elapsed = t.elapsed();
            cpu_runs.push(thread_cpu_ms() - cpu);
            derive_wall += elapsed;
            match result {
                Ok(d) => {
                    std::hint::black_box(&d);
                    runs.push(ms(elapsed));
                }
                Err(e) => {
                    failures.push(format!("{}: {e}", path.display()));
                    break;
                }
            }
        }
        if !runs.is_empty() && std::env::var_os("BENCH_VERBOSE").is_some() {
            println!(
                "{:<50} {:>8.1} ms {:>8.1} cpu ms",
                path.strip_prefix(&dir).unwrap_or(path).display(),
                median(&mut runs.clone()),
                median(&mut cpu_runs.clone())
            );
        }
        if !runs.is_empty() {
            samples.push(Sample {
                group: group.clone(),
                derive_ms: median(&mut runs),
                derive_cpu_ms: median(&mut cpu_runs),
            });
        }
    }
    let cpu_used = cpu_seconds() - cpu_before;
    let peak_rss = proc_status_mib("VmHWM:");

    let mut by_group: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for s in &samples {
        let e = by_group.entry(&s.group).or_default();
        e.0.push(s.derive_ms);
        e.1.push(s.derive_cpu_ms);
    }
    println!();
    println!(
        "{:<14} {:>6} {:>11} {:>11} {:>11} {:>13}",
        "derive group", "files", "median ms", "mean ms", "max ms", "median cpu ms"
    );
    // "cpu ms" is the calling thread's CPU time: immune to other processes on
    // the machine, but it misses work libraries run on their own threads
    // (libde265 decodes HEVC on a worker thread, so HEIC shows less).
    for (group, (v, cpu)) in &mut by_group {
        let (mean_v, max_v) = (mean(v), v.iter().copied().fold(0.0, f64::max));
        println!(
            "{:<14} {:>6} {:>11.1} {:>11.1} {:>11.1} {:>13.1}",
            group,
            v.len(),
            median(v),
            mean_v,
            max_v,
            median(cpu)
        );
    }
    let mut all: Vec<f64> = samples.iter().map(|s| s.derive_ms).collect();
    let mut jpeg: Vec<f64> = samples
        .iter()
        .filter(|s| s.group.starts_with("jpeg"))
        .map(|s| s.derive_ms)
        .collect();
    let all_mean = mean(&all);
    let jpeg_mean = mean(&jpeg);
    println!(
        "{:<14} {:>6} {:>12.1} {:>12.1}",
        "all images",
        all.len(),
        median(&mut all),
        all_mean
    );
    println!(
        "{:<14} {:>6} {:>12.1} {:>12.1}",
        "all jpeg",
        jpeg.len(),
        median(&mut jpeg),
        jpeg_mean
    );
    println!();
    println!(
        "sha1:     {sha1_mb_s:.0} MB/s over {:.1} MB",
        total_bytes as f64 / 1e6
    );
    println!(
        "metadata: median {:.3} ms, mean {:.3} ms per file ({metadata_errors} errors)",
        median(&mut metadata_ms.clone()),
        mean(&metadata_ms)
    );
    println!(
        "derive:   process CPU {:.1} s over {:.1} s wall ({:.2} cores busy)",
        cpu_used,
        derive_wall.as_secs_f64(),
        cpu_used / derive_wall.as_secs_f64().max(1e-9)
    );
    println!(
        "peak RSS (VmHWM): {peak_rss:.0} MiB (was {rss_before:.0} MiB before the derive loop)"
    );
    for f in &failures {
        println!("FAILED {f}");
    }
    println!();
    println!("RESULT images={}", samples.len());
    println!("RESULT derive_failures={}", failures.len());
    println!("RESULT sha1_mb_s={sha1_mb_s:.0}");
    println!(
        "RESULT metadata_ms_median={:.3}",
        median(&mut metadata_ms.clone())
    );
    println!("RESULT metadata_ms_mean={:.3}", mean(&metadata_ms));
    println!("RESULT derive_ms_median={:.1}", median(&mut all));
    println!("RESULT derive_ms_mean={all_mean:.1}");
    println!("RESULT derive_jpeg_ms_median={:.1}", median(&mut jpeg));
    println!("RESULT derive_jpeg_ms_mean={jpeg_mean:.1}");
    for (group, (v, cpu)) in &mut by_group {
        let key = group.replace('/', "_");
        println!("RESULT derive_ms_median_{key}={:.1}", median(v));
        println!("RESULT derive_cpu_ms_median_{key}={:.1}", median(cpu));
    }
    let mut cpu_all: Vec<f64> = samples.iter().map(|s| s.derive_cpu_ms).collect();
    let mut cpu_jpeg: Vec<f64> = samples
        .iter()
        .filter(|s| s.group.starts_with("jpeg"))
        .map(|s| s.derive_cpu_ms)
        .collect();
    println!("RESULT derive_cpu_ms_median={:.1}", median(&mut cpu_all));
    println!(
        "RESULT derive_jpeg_cpu_ms_median={:.1}",
        median(&mut cpu_jpeg)
    );
    println!("RESULT derive_jpeg_cpu_ms_mean={:.1}", mean(&cpu_jpeg));
    println!(
        "RESULT derive_cpu_per_wall={:.2}",
        cpu_used / derive_wall.as_secs_f64().max(1e-9)
    );
    println!("RESULT peak_rss_mib={peak_rss:.0}");
}
