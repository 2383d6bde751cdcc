//! What the benchmarks share: the release `keepsake` binary, a fresh data
//! directory with the bench account, and the table rows they print.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The bench account.
pub const EMAIL: &str = "bench@example.com";

/// The `keepsake` binary, quiet, with no library settings from the caller's environment.
pub fn keepsake() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keepsake"));
    cmd.env_remove("KEEPSAKE_DATA_DIR")
        .env_remove("KEEPSAKE_DATABASE_URL")
        .env("KEEPSAKE_LOG", "warn");
    cmd
}

/// A fresh data dir `data-NAME` under `work`, with the bench account.
pub fn library(work: &Path, name: &str) -> PathBuf {
    let data = work.join(format!("data-{name}"));
    let mut child = keepsake()
        .args([
            "user",
            "create",
            "--admin",
            "--email",
            EMAIL,
            "--password-stdin",
            "--data-dir",
        ])
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("keepsake user create");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"bench-password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    data
}

/// One table row: items, seconds, items/s, MB/s.
pub fn row(name: &str, items: usize, secs: f64, bytes: u64) {
    println!(
        "| {name} | {items} | {secs:.2} | {:.0} | {:.1} |",
        items as f64 / secs,
        bytes as f64 / secs / 1e6
    );
}

/// Runs a command that must succeed.
pub fn run(cmd: &mut Command) {
    let status = cmd.stdout(Stdio::null()).status().expect("run a command");
    assert!(status.success(), "{cmd:?} failed");
}
