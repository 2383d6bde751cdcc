//! External libraries end to end: an admin's `/api/libraries` in Immich's
//! shapes, scans that index folders in place (new, changed, removed and
//! returning files, duplicates, exclusions), rescans that read nothing, and
//! the promise that Keepsake never writes, moves or removes a file in an
//! import path, whatever happens to the assets or the library. Also the
//! optional watcher, which scans what changes without being asked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keepsake_testkit::fixtures::{self, Exif};
use keepsake_testkit::{Client, TestServer};
use serde_json::{Value, json};

use crate::on_each_engine;

/// A real JPEG whose bytes (and so checksum) depend on `tag`.
fn photo(scratch: &Path, tag: &str) -> Vec<u8> {
    let jpeg = fixtures::jpeg(scratch, 64, 48, 1);
    fixtures::with_exif(
        &jpeg,
        &Exif {
            make: Some("Canon".into()),
            description: Some(tag.into()),
            ..Default::default()
        },
    )
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Every file under `dir`, relative, sorted: what must never change.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn visit(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(base, &path, out);
            } else {
                let rel = text(path.strip_prefix(base).unwrap());
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, dir, &mut out);
    out.sort();
    out
}

/// Files under `dir` (recursively), if it exists.
fn count_files(dir: &Path) -> usize {
    if !dir.exists() {
        return 0;
    }
    tree(dir).len()
}

async fn create_library(admin: &Client, owner: &str, import: &Path, patterns: &[&str]) -> String {
    let r = admin
        .post(
            "/libraries",
            &json!({ "ownerId": owner, "name": "Archive", "importPaths": [text(import)], "exclusionPatterns": patterns }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

/// Polls until `done` holds, failing after 60 s with what was seen last.
async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (bool, String)>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (ok, seen) = done().await;
        if ok {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen in 60 s; last seen: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the `library` queue has nothing waiting or running.
async fn wait_for_scans(admin: &Client) {
    wait_until("the library scans", || async {
        let q = admin.get("/queues/library").await;
        assert_eq!(q.status, 200, "{}", q.body);
        let s = &q.json()["statistics"];
        let busy = s["waiting"].as_i64().unwrap_or(0)
            + s["active"].as_i64().unwrap_or(0)
            + s["delayed"].as_i64().unwrap_or(0);
        (busy == 0, q.body)
    })
    .await;
}

/// Asks for a scan, waits for it, and returns the library with its report.
async fn scan(admin: &Client, id: &str) -> Value {
    let r = admin
        .post(&format!("/libraries/{id}/scan"), &json!({}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    wait_for_scans(admin).await;
    let library = admin.get(&format!("/libraries/{id}")).await;
    assert_eq!(library.status, 200, "{}", library.body);
    library.json()
}

/// The owner's assets by file name (trash included).
async fn assets_by_name(owner: &Client) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let r = owner
        .post(
            "/search/metadata",
            &json!({ "size": 1000, "withDeleted": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for a in r.json()["assets"]["items"].as_array().unwrap() {
        out.push((
            a["originalFileName"].as_str().unwrap().to_string(),
            a.clone(),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

async fn asset_named(owner: &Client, name: &str) -> Value {
    assets_by_name(owner)
        .await
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no asset named {name}"))
        .1
}

fn report(library: &Value) -> Value {
    library["lastScan"].clone()
}

on_each_engine!(
    an_admin_manages_libraries_in_immichs_shapes_and_nobody_else_may,
    |server| {
        let admin = server.admin().await;
        let user = server.user(&admin, "owner@example.com").await;
        let photos = server.scratch("photos");
        let r = admin
            .post(
                "/libraries",
                &json!({ "ownerId": user.user_id, "importPaths": [text(&photos)], "exclusionPatterns": ["**/@eaDir/**", "**/._*"] }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let created = r.json();
        let id = created["id"].as_str().unwrap().to_string();
        assert_eq!(created["ownerId"], user.user_id.as_str());
        assert_eq!(created["name"], "New External Library");
        assert_eq!(created["importPaths"], json!([text(&photos)]));
        assert_eq!(
            created["exclusionPatterns"],
            json!(["**/@eaDir/**", "**/._*"])
        );
        assert_eq!(created["assetCount"], 0);
        assert_eq!(created["refreshedAt"], Value::Null);
        assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));
        assert!(created["updatedAt"].is_string());

        let list = admin.get("/libraries").await;
        assert_eq!(list.status, 200);
        assert_eq!(list.json().as_array().unwrap().len(), 1);

        let r = admin
            .put(
                &format!("/libraries/{id}"),
                &json!({ "name": "Family archive", "exclusionPatterns": ["**/*.tmp"] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["name"], "Family archive");
        assert_eq!(r.json()["exclusionPatterns"], json!(["**/*.tmp"]));
        assert_eq!(r.json()["importPaths"], json!([text(&photos)]));

        // Bad settings are refused with a reason.
        for body in [
            json!({ "ownerId": user.user_id, "importPaths": ["photos"] }),
            json!({ "ownerId": user.user_id, "importPaths": [text(&photos), text(&photos)] }),
            json!({ "ownerId": user.user_id, "exclusionPatterns": ["**/[oops"] }),
            json!({ "ownerId": "7d1b6a4e-0000-4000-8000-000000000000" }),
            json!({ "name": "no owner" }),
        ] {
            let r = admin.post("/libraries", &body).await;
            assert_eq!(r.status, 400, "{body}: {}", r.body);
            assert!(r.json()["message"].is_string(), "{}", r.body);
        }

        // Admin only, as in Immich; and an API key needs the library permissions.
        for (method, path) in [
            ("GET", "/libraries".to_string()),
            ("GET", format!("/libraries/{id}")),
            ("POST", format!("/libraries/{id}/scan")),
            ("GET", format!("/libraries/{id}/statistics")),
            ("POST", format!("/libraries/{id}/validate")),
            ("DELETE", format!("/libraries/{id}")),
        ] {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let r = user
                .send(user.request(method, &path).json(&json!({})))
                .await;
            assert_eq!(r.status, 403, "{path}: {}", r.body);
        }
        let reader = admin.with_api_key(&["library.read"]).await;
        assert_eq!(reader.get("/libraries").await.status, 200);
        let r = reader
            .post(&format!("/libraries/{id}/scan"), &json!({}))
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("library.update"), "{}", r.body);

        assert_eq!(
            admin
                .get("/libraries/7d1b6a4e-0000-4000-8000-000000000000")
                .await
                .status,
            404
        );
        let r = admin.delete(&format!("/libraries/{id}"), &json!({})).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(admin.get(&format!("/libraries/{id}")).await.status, 404);
        assert_eq!(admin.get("/libraries").await.json(), json!([]));
    }
);

on_each_engine!(
    validation_explains_what_is_wrong_with_each_path_and_pattern,
    |server| {
        let admin = server.admin().await;
        let photos = server.scratch("photos");
        write(&photos.join("a.jpg"), b"x");
        let id = create_library(&admin, &admin.user_id, &photos, &[]).await;
        let data = text(&server.data_dir().join("library"));
        std::fs::create_dir_all(server.data_dir().join("library")).unwrap();
        let r = admin
            .post(
                &format!("/libraries/{id}/validate"),
                &json!({
                    "importPaths": [text(&photos), "relative/path", text(&photos.join("missing")), text(&photos.join("a.jpg")), data],
                    "exclusionPatterns": ["**/*.tmp", "[unclosed"],
                }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        let checks = v["importPaths"].as_array().unwrap();
        assert_eq!(checks[0]["isValid"], true, "{v}");
        assert_eq!(checks[0]["importPath"], text(&photos));
        assert_eq!(checks[1]["isValid"], false);
        assert!(
            checks[1]["message"]
                .as_str()
                .unwrap()
                .contains("must be absolute")
        );
        assert_eq!(checks[2]["message"], "Path does not exist (ENOENT)");
        assert_eq!(checks[3]["message"], "Not a directory");
        assert!(
            checks[4]["message"]
                .as_str()
                .unwrap()
                .contains("data folder"),
            "{v}"
        );
        let patterns = v["exclusionPatterns"].as_array().unwrap();
        assert_eq!(patterns[0]["isValid"], true);
        assert_eq!(patterns[1]["isValid"], false);
        assert!(
            patterns[1]["message"]
                .as_str()
                .unwrap()
                .contains("never closes")
        );
    }
);

on_each_engine!(
    a_scan_indexes_photos_and_videos_in_place_skipping_hidden_excluded_and_other_files,
    |server| {
        let admin = server.admin().await;
        let owner = server.user(&admin, "owner@example.com").await;
        let scratch = server.scratch("fixtures");
        let photos = server.scratch("photos");
        let beach = photos.join("2019/beach.jpg");
        write(&beach, &photo(&scratch, "beach"));
        let clip = fixtures::video(
            &scratch,
            "clip.mp4",
            "160x120",
            1,
            &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
        );
        write(&photos.join("2019/clip.mp4"), &clip);
        write(&photos.join("2019/.hidden.jpg"), &photo(&scratch, "hidden"));
        write(&photos.join(".stversions/old.jpg"), &photo(&scratch, "old"));
        write(
            &photos.join("@eaDir/beach.jpg/SYNOPHOTO_THUMB_M.jpg"),
            &photo(&scratch, "syno"),
        );
        write(&photos.join("2019/._beach.jpg"), b"apple double");
        write(&photos.join("2019/draft.tmp"), b"not a photo");
        write(&photos.join("2019/notes.txt"), b"not a photo");
        write(
            &photos.join("private/secret.jpg"),
            &photo(&scratch, "secret"),
        );
        let before = tree(&photos);

        let id = create_library(
            &admin,
            &owner.user_id,
            &photos,
            &["**/._*", "**/private/**"],
        )
        .await;
        let library = scan(&admin, &id).await;
        let r = report(&library);
        assert_eq!(
            (r["added"].as_i64(), r["hashed"].as_i64()),
            (Some(2), Some(2)),
            "{library}"
        );
        assert_eq!(
            (r["duplicates"].as_i64(), r["failed"].as_i64()),
            (Some(0), Some(0)),
            "{library}"
        );
        assert_eq!(library["assetCount"], 2);
        assert!(library["refreshedAt"].is_string());
        admin.wait_for_jobs().await;

        let assets = assets_by_name(&owner).await;
        let names: Vec<&str> = assets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["beach.jpg", "clip.mp4"]);
        let a = &assets[0].1;
        assert_eq!(a["libraryId"], id.as_str());
        assert_eq!(a["isOffline"], false);
        assert_eq!(a["originalPath"], text(&beach));
        assert_eq!(a["ownerId"], owner.user_id.as_str());
        let asset_id = a["id"].as_str().unwrap();
        // Read from where it lies: original, preview, metadata.
        let original = owner.get(&format!("/assets/{asset_id}/original")).await;
        assert_eq!(original.status, 200);
        assert_eq!(original.bytes, std::fs::read(&beach).unwrap());
        let full = owner.get(&format!("/assets/{asset_id}")).await.json();
        assert_eq!(full["exifInfo"]["make"], "Canon", "{full}");
        assert_eq!(full["exifInfo"]["description"], "beach");
        let thumb = owner.get(&format!("/assets/{asset_id}/thumbnail")).await;
        assert_eq!(thumb.status, 200, "{}", thumb.body);
        assert_eq!(&thumb.bytes[8..12], b"WEBP");
        let video_id = assets[1].1["id"].as_str().unwrap();
        let play = owner
            .get(&format!("/assets/{video_id}/video/playback"))
            .await;
        assert_eq!(play.status, 200);
        assert_eq!(play.bytes, clip);
        let zip = owner
            .post("/download/archive", &json!({ "assetIds": [asset_id] }))
            .await;
        assert_eq!(zip.status, 200);
        let original_bytes = std::fs::read(&beach).unwrap();
        assert!(
            zip.bytes
                .windows(original_bytes.len())
                .any(|w| w == original_bytes)
        );

        let stats = admin.get(&format!("/libraries/{id}/statistics")).await;
        assert_eq!(stats.status, 200);
        let expected_usage = original_bytes.len() + clip.len();
        assert_eq!(
            stats.json(),
            json!({ "photos": 1, "videos": 1, "total": 2, "usage": expected_usage })
        );
        // Nothing was copied into the store, and the folder is as it was.
        assert_eq!(count_files(&server.data_dir().join("library")), 0);
        assert_eq!(tree(&photos), before);
        // External files are not the owner's upload quota.
        let me = owner.get("/users/me").await.json();
        assert_eq!(me["quotaUsageInBytes"], 0, "{me}");
    }
);

on_each_engine!(
    a_rescan_of_a_hundred_unchanged_files_reads_none_of_them,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("fixtures");
        let photos = server.scratch("photos");
        // The media pipeline is not what this is about.
        let r = admin
            .put("/queues/metadataExtraction", &json!({ "isPaused": true }))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let jpeg = fixtures::jpeg(&scratch, 32, 24, 1);
        for i in 0..100 {
            let bytes = fixtures::with_exif(
                &jpeg,
                &Exif {
                    description: Some(format!("photo {i}")),
                    ..Default::default()
                },
            );
            write(
                &photos.join(format!("{:02}/IMG_{i:03}.jpg", i / 10)),
                &bytes,
            );
        }
        let id = create_library(&admin, &admin.user_id, &photos, &[]).await;
        let first = report(&scan(&admin, &id).await);
        assert_eq!(
            (first["added"].as_i64(), first["hashed"].as_i64()),
            (Some(100), Some(100)),
            "{first}"
        );

        let again = scan(&admin, &id).await;
        let r = report(&again);
        assert_eq!(r["unchanged"], 100, "{again}");
        assert_eq!(r["hashed"], 0, "a rescan read unchanged files: {again}");
        assert_eq!(
            (
                r["added"].as_i64(),
                r["changed"].as_i64(),
                r["offline"].as_i64()
            ),
            (Some(0), Some(0), Some(0))
        );
        assert_eq!(again["assetCount"], 100);
    }
);

on_each_engine!(
    changed_files_are_read_again_and_missing_ones_go_offline_until_they_return,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("fixtures");
        let photos = server.scratch("photos");
        let moved = server.scratch("moved-away");
        let jpeg = fixtures::jpeg(&scratch, 64, 48, 2);
        let canon = fixtures::with_exif(
            &jpeg,
            &Exif {
                make: Some("Canon".into()),
                ..Default::default()
            },
        );
        write(&photos.join("a.jpg"), &canon);
        write(&photos.join("b.jpg"), &photo(&scratch, "b"));
        write(&photos.join("c.jpg"), &photo(&scratch, "c"));
        let id = create_library(&admin, &admin.user_id, &photos, &[]).await;
        assert_eq!(report(&scan(&admin, &id).await)["added"], 3);
        admin.wait_for_jobs().await;
        let a = asset_named(&admin, "a.jpg").await;
        assert_eq!(a["exifInfo"]["make"], "Canon");
        let a_id = a["id"].as_str().unwrap().to_string();

        // a.jpg is rewritten by another program (other size): new checksum, new metadata.
        let nikon = fixtures::with_exif(
            &jpeg,
            &Exif {
                make: Some("Nikon Corporation".into()),
                ..Default::default()
            },
        );
        assert_ne!(nikon.len(), canon.len());
        write(&photos.join("a.jpg"), &nikon);
        // b.jpg leaves; c.jpg is excluded from now on.
        std::fs::rename(photos.join("b.jpg"), moved.join("b.jpg")).unwrap();
        let r = admin
            .put(
                &format!("/libraries/{id}"),
                &json!({ "exclusionPatterns": ["c.jpg"] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let library = scan(&admin, &id).await;
        let r = report(&library);
        assert_eq!(
            (r["changed"].as_i64(), r["hashed"].as_i64()),
            (Some(1), Some(1)),
            "{library}"
        );
        assert_eq!(r["offline"], 2, "{library}");
        assert_eq!(library["assetCount"], 1);
        admin.wait_for_jobs().await;
        let a = admin.get(&format!("/assets/{a_id}")).await.json();
        assert_eq!(a["exifInfo"]["make"], "Nikon Corporation", "{a}");
        assert_eq!(a["exifInfo"]["fileSizeInByte"], nikon.len());
        assert_eq!(a["checksum"], keepsake_core::base64_encode(&sha1(&nikon)));
        let b = asset_named(&admin, "b.jpg").await;
        assert_eq!(
            (b["isOffline"].as_bool(), b["isTrashed"].as_bool()),
            (Some(true), Some(true)),
            "{b}"
        );
        let c = asset_named(&admin, "c.jpg").await;
        assert_eq!(c["isOffline"], true);
        // Offline assets cannot be shown, but nothing of theirs was deleted.
        assert_eq!(
            admin
                .get(&format!("/assets/{}/original", b["id"].as_str().unwrap()))
                .await
                .status,
            404
        );

        // b.jpg comes back as it was; c.jpg is included again.
        std::fs::rename(moved.join("b.jpg"), photos.join("b.jpg")).unwrap();
        let r = admin
            .put(
                &format!("/libraries/{id}"),
                &json!({ "exclusionPatterns": [] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let library = scan(&admin, &id).await;
        let r = report(&library);
        assert_eq!(
            (r["online"].as_i64(), r["hashed"].as_i64()),
            (Some(2), Some(0)),
            "{library}"
        );
        assert_eq!(library["assetCount"], 3);
        for name in ["b.jpg", "c.jpg"] {
            let x = asset_named(&admin, name).await;
            assert_eq!(
                (x["isOffline"].as_bool(), x["isTrashed"].as_bool()),
                (Some(false), Some(false)),
                "{x}"
            );
        }
    }
);

on_each_engine!(
    a_file_moved_or_renamed_within_the_library_keeps_its_asset_and_edits,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("fixtures");
        let photos = server.scratch("photos");
        write(&photos.join("inbox/IMG_1.jpg"), &photo(&scratch, "one"));
        let id = create_library(&admin, &admin.user_id, &photos, &[]).await;
        assert_eq!(report(&scan(&admin, &id).await)["added"], 1);
        admin.wait_for_jobs().await;
        let asset_id = asset_named(&admin, "IMG_1.jpg").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = admin
            .put(
                &format!("/assets/{asset_id}"),
                &json!({ "description": "kept", "isFavorite": true }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        let moved_to = photos.join("2019/Paris/louvre.jpg");
        std::fs::create_dir_all(moved_to.parent().unwrap()).unwrap();
        std::fs::rename(photos.join("inbox/IMG_1.jpg"), &moved_to).unwrap();
        let library = scan(&admin, &id).await;
        let r = report(&library);
        assert_eq!(
            (
                r["moved"].as_i64(),
                r["added"].as_i64(),
                r["offline"].as_i64()
            ),
            (Some(1), Some(0), Some(0)),
            "{library}"
        );
        assert_eq!(library["assetCount"], 1);
        admin.wait_for_jobs().await;
        let a = admin.get(&format!("/assets/{asset_id}")).await.json();
        assert_eq!(a["originalPath"], text(&moved_to), "{a}");
        assert_eq!(a["originalFileName"], "louvre.jpg");
        assert_eq!(
            (a["isOffline"].as_bool(), a["isTrashed"].as_bool()),
            (Some(false), Some(false))
        );
        assert_eq!(a["isFavorite"], true);
        assert_eq!(a["exifInfo"]["description"], "kept");
        let original = admin.get(&format!("/assets/{asset_id}/original")).await;
        assert_eq!(original.bytes, std::fs::read(&moved_to).unwrap());
    }
);

fn sha1(bytes: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(bytes).to_vec()
}

on_each_engine!(
    content_the_owner_already_has_is_counted_as_a_duplicate_and_not_indexed_again,
    |server| {
        let admin = server.admin().await;
        let other = server.user(&admin, "other@example.com").await;
        let scratch = server.scratch("fixtures");
        let photos = server.scratch("photos");
        let uploaded = photo(&scratch, "uploaded");
        let r = admin.upload("upload.jpg", uploaded.clone()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let twin = photo(&scratch, "twin");
        write(&photos.join("same-as-upload.jpg"), &uploaded);
        write(&photos.join("twin-1.jpg"), &twin);
        write(&photos.join("twin-2.jpg"), &twin);
        let id = create_library(&admin, &admin.user_id, &photos, &[]).await;
        let library = scan(&admin, &id).await;
        let r = report(&library);
        assert_eq!(
            (r["added"].as_i64(), r["duplicates"].as_i64()),
            (Some(1), Some(2)),
            "{library}"
        );
        assert_eq!(library["assetCount"], 1);
        // A rescan does not count them again as new, and still reads only them.
        let again = report(&scan(&admin, &id).await);
        assert_eq!(
            (
                again["added"].as_i64(),
                again["duplicates"].as_i64(),
                again["unchanged"].as_i64()
            ),
            (Some(0), Some(2), Some(1)),
            "{again}"
        );
        // The same bytes uploaded now are a duplicate of the external asset.
        let r = admin.upload("again.jpg", twin.clone()).await;
        assert_eq!(
            (r.status, r.json()["status"].as_str()),
            (200, Some("duplicate")),
            "{}",
            r.body
        );

        // Another owner's library has its own assets for the same content.
        let theirs = server.scratch("their-photos");
        write(&theirs.join("twin.jpg"), &twin);
        let their_id = create_library(&admin, &other.user_id, &theirs, &[]).await;
        assert_eq!(report(&scan(&admin, &their_id).await)["added"], 1);
    }
);

on_each_engine!(
    deleting_assets_or_the_library_removes_what_keepsake_made_and_never_the_files,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("fixtures");
        let photos = server.scratch("photos");
        for name in ["a.jpg", "b.jpg", "c.jpg"] {
            write(&photos.join(name), &photo(&scratch, name));
        }
        let before = tree(&photos);
        let id = create_library(&admin, &admin.user_id, &photos, &[]).await;
        assert_eq!(report(&scan(&admin, &id).await)["added"], 3);
        admin.wait_for_jobs().await;
        let thumbs = server.data_dir().join("thumbs");
        assert_eq!(count_files(&thumbs), 6, "a preview and a thumbnail each");

        // An edit goes to a sidecar in the store, not next to the file.
        let a = asset_named(&admin, "a.jpg").await;
        let a_id = a["id"].as_str().unwrap().to_string();
        let r = admin
            .put(
                &format!("/assets/{a_id}"),
                &json!({ "description": "edited", "rating": 4 }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        admin.wait_for_jobs().await;
        assert_eq!(tree(&photos), before);
        assert_eq!(count_files(&server.data_dir().join("sidecars")), 1);

        // Trashed, then the trash emptied: rows and derived files go, the file stays.
        let r = admin.delete("/assets", &json!({ "ids": [a_id] })).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = admin.post("/trash/empty", &json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Removed for good at once.
        let b_id = asset_named(&admin, "b.jpg").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = admin
            .delete("/assets", &json!({ "ids": [b_id], "force": true }))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        admin.wait_for_jobs().await;
        assert_eq!(admin.get(&format!("/assets/{a_id}")).await.status, 404);
        assert_eq!(admin.get(&format!("/assets/{b_id}")).await.status, 404);
        assert_eq!(count_files(&thumbs), 2);
        assert_eq!(count_files(&server.data_dir().join("sidecars")), 0);
        assert_eq!(tree(&photos), before);
        let failed = admin.get("/queues/backgroundTask/jobs?status=failed").await;
        assert_eq!(
            failed.json().as_array().map(Vec::len),
            Some(0),
            "{}",
            failed.body
        );

        // Deleting the library takes the rest of its assets out of Keepsake.
        let c_id = asset_named(&admin, "c.jpg").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = admin.delete(&format!("/libraries/{id}"), &json!({})).await;
        assert_eq!(r.status, 204, "{}", r.body);
        admin.wait_for_jobs().await;
        assert_eq!(admin.get(&format!("/assets/{c_id}")).await.status, 404);
        assert_eq!(count_files(&thumbs), 0);
        assert_eq!(tree(&photos), before);
    }
);

/// A server that watches libraries, once per engine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_library_follows_new_and_removed_files_without_being_asked() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start_with(engine, |c| c.watch_libraries = true).await;
        let admin = server.admin().await;
        let scratch = server.scratch("fixtures");
        let photos = server.scratch("photos");
        write(&photos.join("first.jpg"), &photo(&scratch, "first"));
        let id = create_library(&admin, &admin.user_id, &photos, &[]).await;
        assert_eq!(report(&scan(&admin, &id).await)["added"], 1);

        // A new file, written under a hidden name and renamed as copy tools do.
        let part: PathBuf = photos.join("2020/.new.jpg.part");
        write(&part, &photo(&scratch, "second"));
        std::fs::rename(&part, photos.join("2020/new.jpg")).unwrap();
        let count = || async {
            let l = admin.get(&format!("/libraries/{id}")).await.json();
            (l["assetCount"].as_i64().unwrap_or(-1), l.to_string())
        };
        wait_until("indexing the new file", || async {
            let (n, seen) = count().await;
            (n == 2, seen)
        })
        .await;

        std::fs::remove_file(photos.join("first.jpg")).unwrap();
        wait_until("the removed file going offline", || async {
            let (n, seen) = count().await;
            (n == 1, seen)
        })
        .await;
        let first = asset_named(&admin, "first.jpg").await;
        assert_eq!(first["isOffline"], true, "{first}");
        // Partial scans leave the full scan's record alone.
        let library = admin.get(&format!("/libraries/{id}")).await.json();
        assert_eq!(report(&library)["added"], 1);
    }
}
