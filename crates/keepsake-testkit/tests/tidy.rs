//! Tidy checks that keep the codebase honest, run inside `cargo test`:
//! every Rust file opens with a `//!` saying why it exists, crates depend on
//! each other only in the documented direction, every crate is on the map in
//! ARCHITECTURE.md, and no test is switched off.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == "node_modules")
            {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 20);
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .expect("read")
                .trim_start()
                .starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! header: {missing:?}"
    );
}

#[test]
fn no_test_is_ignored_or_expected_to_panic() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    let ignore = ["#[", "ignore]"].concat();
    let should_panic = ["#[", "should_panic"].concat();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        assert!(
            !text.contains(&ignore) && !text.contains(&should_panic),
            "{} switches a test off",
            f.display()
        );
    }
}

/// Which of our crates each crate may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("keepsake-core", &[]),
    ("keepsake-db", &["keepsake-core"]),
    ("keepsake-blobs", &["keepsake-core"]),
    ("keepsake-media", &["keepsake-core"]),
    ("keepsake-import", &["keepsake-core"]),
    (
        "keepsake-library",
        &[
            "keepsake-core",
            "keepsake-db",
            "keepsake-blobs",
            "keepsake-media",
        ],
    ),
    (
        "keepsake-icloud",
        &["keepsake-core", "keepsake-library", "keepsake-import"],
    ),
    (
        "keepsake-http",
        &[
            "keepsake-core",
            "keepsake-library",
            "keepsake-import",
            "keepsake-icloud",
        ],
    ),
    ("keepsake-testkit", &["keepsake-library", "keepsake-http"]),
    (
        "keepsake",
        &[
            "keepsake-core",
            "keepsake-library",
            "keepsake-http",
            "keepsake-import",
            "keepsake-icloud",
        ],
    ),
];

#[test]
fn crates_depend_on_each_other_only_downwards_and_are_on_the_map() {
    let root = workspace_root();
    let architecture =
        std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for entry in std::fs::read_dir(root.join("crates")).expect("crates") {
        let dir = entry.expect("entry").path();
        let name = dir.file_name().expect("name").to_string_lossy().to_string();
        let allowed = ALLOWED
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("crate {name} is not in the tidy test's dependency table"))
            .1;
        assert!(
            architecture.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not describe crate `{name}`"
        );
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
        let deps = manifest
            .split("[dependencies]")
            .nth(1)
            .unwrap_or("")
            .split("\n[")
            .next()
            .unwrap_or("");
        for line in deps.lines() {
            let dep = line.split(['.', ' ', '=']).next().unwrap_or("").trim();
            if dep.starts_with("keepsake") {
                assert!(allowed.contains(&dep), "{name} must not depend on {dep}");
            }
        }
        if name == "keepsake-core" {
            assert!(
                !deps.lines().any(|l| !l.trim().is_empty()),
                "keepsake-core must stay free of dependencies (no I/O)"
            );
        }
    }
}
