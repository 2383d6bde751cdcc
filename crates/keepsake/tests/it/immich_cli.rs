//! The real Immich CLI (`@immich/cli@3.2.2` on Node 22, from `tests/immich-cli`)
//! against Keepsake: login, server-info, recursive upload into albums, the
//! same upload again (all duplicates), and the documented flags.

use std::path::{Path, PathBuf};

use keepsake_testkit::{TestServer, fake_jpeg};
use serde_json::Value;

use crate::on_each_engine;

/// The CLI wrapper: `KEEPSAKE_IMMICH_CLI`, or the harness in the repository.
fn immich_cli() -> PathBuf {
    if let Ok(p) = std::env::var("KEEPSAKE_IMMICH_CLI")
        && !p.is_empty()
    {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf();
    let wrapper = root.join("tests/immich-cli/immich");
    assert!(
        root.join("tests/immich-cli/node_modules/@immich/cli")
            .exists(),
        "the Immich CLI is not installed: run ./scripts/test.sh (or `npm ci --prefix tests/immich-cli`)"
    );
    wrapper
}

struct Cli {
    config_dir: PathBuf,
}

impl Cli {
    async fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(immich_cli())
            .arg("-d")
            .arg(&self.config_dir)
            .args(args)
            .env_remove("IMMICH_INSTANCE_URL")
            .env_remove("IMMICH_API_KEY")
            .env_remove("IMMICH_CONFIG_DIR")
            .output()
            .await
            .expect("run the Immich CLI");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), stdout, stderr)
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Nested folders, odd names, a sidecar, a video, and a file the CLI skips.
fn fixture_tree(root: &Path) {
    write(&root.join("Holiday/IMG_0001.jpg"), &fake_jpeg(101, 4000));
    write(
        &root.join("Holiday/sub dir/photo (1).JPG"),
        &fake_jpeg(102, 3000),
    );
    write(&root.join("Family/façade.jpg"), &fake_jpeg(103, 2000));
    write(&root.join("Family/日本.jpg"), &fake_jpeg(104, 2000));
    write(&root.join("Family/with sidecar.jpg"), &fake_jpeg(105, 2000));
    write(&root.join("Family/with sidecar.xmp"), br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>"#);
    write(&root.join("top level.png"), &fake_jpeg(106, 1000));
    write(&root.join("clip.mp4"), &fake_jpeg(107, 5000));
    write(&root.join("notes.txt"), b"not media");
}

async fn assets_named(client: &keepsake_testkit::Client) -> Vec<Value> {
    let found = client
        .post("/search/metadata", &serde_json::json!({ "size": 1000 }))
        .await
        .json();
    found["assets"]["items"].as_array().unwrap().clone()
}

on_each_engine!(
    immich_cli_logs_in_uploads_into_albums_and_finds_duplicates_on_the_second_run,
    |server| {
        run_cli_scenario(&server).await;
    }
);

async fn run_cli_scenario(server: &TestServer) {
    let admin = server.admin().await;
    let key = match &admin.credential {
        keepsake_testkit::Credential::ApiKey(k) => k.clone(),
        _ => unreachable!(),
    };
    let cli = Cli {
        config_dir: server.scratch("immich-config"),
    };
    let tree = server.scratch("photos");
    fixture_tree(&tree);
    let tree_arg = tree.to_str().unwrap();

    let (ok, out, err) = cli.run(&["login", &server.url, &key]).await;
    assert!(ok, "login: {out}{err}");
    assert!(out.contains("Logged in as admin@example.com"), "{out}");
    let (ok, out, err) = cli.run(&["server-info"]).await;
    assert!(ok, "server-info: {out}{err}");
    assert!(out.contains("3.1.0"), "{out}");
    assert!(out.contains("admin@example.com"), "{out}");

    let (ok, out, err) = cli
        .run(&[
            "upload",
            "-r",
            "--album",
            "--no-progress",
            "-c",
            "4",
            tree_arg,
        ])
        .await;
    assert!(ok, "upload: {out}{err}");
    assert!(out.contains("Found 7 new files and 0 duplicates"), "{out}");
    assert!(out.contains("Successfully uploaded 7 new assets"), "{out}");
    assert!(out.contains("Successfully created 4 new albums"), "{out}");
    assert!(!err.contains("Failed"), "{err}");

    let (ok, out, err) = cli
        .run(&[
            "upload",
            "-r",
            "--album",
            "--no-progress",
            "-c",
            "4",
            tree_arg,
        ])
        .await;
    assert!(ok, "second upload: {out}{err}");
    assert!(out.contains("Found 0 new files and 7 duplicates"), "{out}");
    assert!(
        out.contains("All assets were already uploaded, nothing to do."),
        "{out}"
    );

    let assets = assets_named(&admin).await;
    let mut names: Vec<String> = assets
        .iter()
        .map(|a| a["originalFileName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "IMG_0001.jpg",
            "clip.mp4",
            "façade.jpg",
            "photo (1).JPG",
            "top level.png",
            "with sidecar.jpg",
            "日本.jpg"
        ]
    );
    assert!(server.data_dir().join("library/admin").exists());
    let with_sidecar = assets
        .iter()
        .find(|a| a["originalFileName"] == "with sidecar.jpg")
        .unwrap();
    let original = server
        .data_dir()
        .join(with_sidecar["originalPath"].as_str().unwrap());
    assert!(original.exists());
    assert!(
        PathBuf::from(format!("{}.xmp", original.display())).exists(),
        "the sidecar is kept next to its original"
    );

    let albums = admin.get("/albums").await.json();
    let mut album_names: Vec<(String, i64)> = albums
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["albumName"].as_str().unwrap().to_string(),
                a["assetCount"].as_i64().unwrap(),
            )
        })
        .collect();
    album_names.sort();
    assert_eq!(
        album_names,
        [
            ("Family".to_string(), 3),
            ("Holiday".to_string(), 1),
            ("photos".to_string(), 2),
            ("sub dir".to_string(), 1)
        ]
    );
    let family = albums
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["albumName"] == "Family")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let in_family = admin
        .get(&format!(
            "/timeline/bucket?albumId={family}&timeBucket={}",
            bucket_of(&assets, "日本.jpg")
        ))
        .await
        .json();
    assert!(
        in_family["id"].as_array().unwrap().contains(
            &assets
                .iter()
                .find(|a| a["originalFileName"] == "日本.jpg")
                .unwrap()["id"]
        )
    );

    // --dry-run: reports, uploads nothing.
    let extra = server.scratch("extra");
    write(&extra.join("new one.jpg"), &fake_jpeg(200, 1500));
    let (ok, out, _) = cli
        .run(&[
            "upload",
            "--dry-run",
            "--no-progress",
            extra.to_str().unwrap(),
        ])
        .await;
    assert!(
        ok && out.contains("Found 1 new files and 0 duplicates"),
        "{out}"
    );
    assert_eq!(
        assets_named(&admin).await.len(),
        7,
        "dry run uploads nothing"
    );

    // -A NAME: into a named album.
    let (ok, out, err) = cli
        .run(&[
            "upload",
            "-A",
            "Named Album",
            "--no-progress",
            extra.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("Successfully uploaded 1 new asset ("), "{out}");
    assert!(out.contains("Successfully created 1 new album"), "{out}");
    let named = admin.get("/albums?name=Named%20Album").await.json();
    assert_eq!(named[0]["assetCount"], 1);

    // --skip-hash: no bulk check; the server answers "duplicate" for known bytes.
    let (ok, out, err) = cli
        .run(&["upload", "-r", "--skip-hash", "--no-progress", tree_arg])
        .await;
    assert!(ok, "{out}{err}");
    assert!(!err.contains("Failed"), "{err}");
    assert_eq!(assets_named(&admin).await.len(), 8, "nothing doubled");

    // --delete: local files that reached the server are removed, sidecars too.
    let to_delete = server.scratch("to-delete");
    write(&to_delete.join("bye.jpg"), &fake_jpeg(300, 1500));
    write(
        &to_delete.join("bye.xmp"),
        b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>",
    );
    let (ok, out, err) = cli
        .run(&[
            "upload",
            "--delete",
            "--no-progress",
            to_delete.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}{err}");
    assert!(
        !to_delete.join("bye.jpg").exists() && !to_delete.join("bye.xmp").exists(),
        "{out}"
    );
    assert_eq!(assets_named(&admin).await.len(), 9);
}

fn bucket_of(assets: &[Value], name: &str) -> String {
    let a = assets
        .iter()
        .find(|a| a["originalFileName"] == name)
        .unwrap();
    let local = a["localDateTime"].as_str().unwrap();
    format!("{}-01", &local[..7])
}
