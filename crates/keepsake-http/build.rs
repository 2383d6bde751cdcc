//! Embeds the web app (`<workspace>/web`, plain files: no bundler, no npm at
//! build time) into the binary: writes `$OUT_DIR/web_assets.rs` with one
//! `include_bytes!` per file and a content hash for its ETag. Nothing here
//! touches the network.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest.join("../../web");
    println!("cargo:rerun-if-changed={}", web.display());
    let mut files = Vec::new();
    if web.is_dir() {
        collect(&web, &web, &mut files);
    }
    files.sort();
    let mut out = String::from(
        "/// (path under `web/`, bytes, ETag)\npub static WEB_ASSETS: &[(&str, &[u8], &str)] = &[\n",
    );
    for rel in &files {
        let abs = web.join(rel);
        let bytes = std::fs::read(&abs).expect("read a web file");
        // FNV-1a: stable across builds and platforms, enough to tell versions apart.
        let mut h = Fnv(0xcbf29ce484222325);
        h.write(&bytes);
        out.push_str(&format!(
            "    ({:?}, include_bytes!({:?}), \"\\\"{:016x}\\\"\"),\n",
            rel,
            abs.canonicalize()
                .expect("canonical path")
                .display()
                .to_string(),
            h.finish()
        ));
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("web_assets.rs");
    std::fs::write(dest, out).expect("write web_assets.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
}
