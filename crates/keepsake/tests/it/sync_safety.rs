//! Sync safety (issue 8, part 7): on Android the Immich app moves the phone's
//! own photos to the phone's trash when the stream says an asset was trashed
//! (`deletedAt`) or removed (`AssetDeleteV1`). These tests drive everything
//! else a library goes through — uploads and duplicates, a folder import,
//! metadata edits, album changes, the media jobs, a server restart — and
//! prove none of it ever produces either; then that trash, restore and
//! permanent deletion produce exactly the lines they should.

use std::collections::BTreeSet;
use std::path::Path;

use keepsake_testkit::fixtures::{self, Exif};
use keepsake_testkit::{Client, TestServer};
use serde_json::{Value, json};

use crate::imports::{distinct, keepsake};
use crate::on_each_engine;
use crate::sync::{Phone, id, s, session, sync, types};

const EMAIL: &str = "alice@example.com";

/// Fails if `lines` remove an asset or carry one with a non-null `deletedAt`,
/// or if the phone holds a trashed asset; `step` names what just happened.
fn assert_nothing_trashed_or_removed(step: &str, lines: &[Value], phone: &Phone) {
    let removed: Vec<_> = lines
        .iter()
        .filter(|l| l["type"] == "AssetDeleteV1")
        .collect();
    assert!(removed.is_empty(), "{step}: spurious removal {removed:?}");
    let trashed: Vec<_> = lines
        .iter()
        .filter(|l| !l["data"]["deletedAt"].is_null())
        .collect();
    assert!(trashed.is_empty(), "{step}: spurious trash {trashed:?}");
    assert!(
        phone.assets.values().all(|a| a["deletedAt"].is_null()),
        "{step}: the phone holds a trashed asset"
    );
    assert_eq!(phone.resets, 0, "{step}: unexpected reset");
}

/// Ids of the assets that `lines` upsert with a non-null `deletedAt`.
fn trashed_in(lines: &[Value]) -> BTreeSet<String> {
    lines
        .iter()
        .filter(|l| l["data"]["id"].is_string() && !l["data"]["deletedAt"].is_null())
        .map(|l| s(&l["data"], "id"))
        .collect()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The same login session on a restarted server (a new port).
fn on(server: &TestServer, client: &Client) -> Client {
    Client {
        base: server.api(""),
        ..client.clone()
    }
}

on_each_engine!(
    ingest_imports_edits_albums_jobs_and_restarts_never_trash_or_remove_on_the_phone,
    |server| {
        let admin = server.admin().await;
        let key = server.user(&admin, EMAIL).await;
        let scratch = server.scratch("src");
        let base = fixtures::jpeg(&scratch, 64, 48, 1);

        let first = id(&key.upload("first.jpg", distinct(&base, 1)).await);
        let home = id(&key
            .post(
                "/albums",
                &json!({ "albumName": "Home", "assetIds": [first] }),
            )
            .await);
        admin.wait_for_jobs().await;
        let phone_session = session(&server, EMAIL, "user-password").await;
        let mut phone = Phone::default();
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("full sync", &lines, &phone);
        assert!(phone.assets.contains_key(&first));

        // Uploads, one of them twice, and a re-upload of an already synced photo.
        let up = key.upload("second.jpg", distinct(&base, 2)).await;
        assert_eq!(up.status, 201, "{}", up.body);
        let second = id(&up);
        let again = key.upload("second-again.jpg", distinct(&base, 2)).await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(again.json()["status"], "duplicate");
        assert_eq!(id(&again), second);
        let old = key.upload("first-copy.jpg", distinct(&base, 1)).await;
        assert_eq!(old.json()["status"], "duplicate", "{}", old.body);
        assert_eq!(id(&old), first);
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("uploads", &lines, &phone);
        assert!(phone.assets.contains_key(&second));

        // A folder import: a new photo with EXIF, and copies of uploaded ones.
        let folder = scratch.join("photos");
        let dated = fixtures::with_exif(
            &distinct(&base, 3),
            &Exif {
                date_time_original: Some("2019:07:14 21:30:00".into()),
                offset_time_original: Some("+02:00".into()),
                gps: Some((48.8584, 2.2945)),
                ..Default::default()
            },
        );
        write(&folder.join("Trip/IMG_0003.jpg"), &dated);
        write(&folder.join("Trip/copy-of-second.jpg"), &distinct(&base, 2));
        write(&folder.join("Other/copy-of-first.jpg"), &distinct(&base, 1));
        let out = keepsake(
            &server,
            &[
                "import",
                "folder",
                folder.to_str().unwrap(),
                "--user",
                EMAIL,
                "--album-from-folder",
            ],
            &[],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains("1 imported, 2 duplicate"),
            "{}",
            out.stderr
        );
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("import", &lines, &phone);
        let imported: Vec<String> = phone
            .assets
            .values()
            .filter(|a| a["originalFileName"] == "IMG_0003.jpg")
            .map(|a| s(a, "id"))
            .collect();
        assert_eq!(imported.len(), 1, "the imported photo arrives once");
        let imported = imported[0].clone();

        // Metadata edits, one by one and in bulk.
        let r = key
            .put(
                &format!("/assets/{first}"),
                &json!({
                    "description": "By the sea",
                    "dateTimeOriginal": "2020-08-01T10:00:00+01:00",
                    "latitude": 50.1,
                    "longitude": -5.5,
                    "isFavorite": true,
                    "rating": 4,
                }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = key
            .put(
                "/assets",
                &json!({ "ids": [second, imported], "isFavorite": true, "visibility": "archive" }),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = key
            .put(
                "/assets",
                &json!({ "ids": [second, imported], "visibility": "timeline" }),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("metadata edits", &lines, &phone);
        assert_eq!(phone.assets[&first]["isFavorite"], true);

        // Albums: create, add, remove, rename, and emptying one.
        let trip = id(&key
            .post(
                "/albums",
                &json!({ "albumName": "Trip", "assetIds": [second] }),
            )
            .await);
        let r = key
            .put(
                &format!("/albums/{trip}/assets"),
                &json!({ "ids": [imported, first] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = key
            .delete(
                &format!("/albums/{trip}/assets"),
                &json!({ "ids": [second] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = key
            .patch(
                &format!("/albums/{trip}"),
                &json!({ "albumName": "Trip 2019" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = key
            .delete(
                &format!("/albums/{home}/assets"),
                &json!({ "ids": [first] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("album changes", &lines, &phone);
        assert!(phone.listed_albums().contains(&"Trip 2019".to_string()));
        assert!(
            phone
                .album_assets
                .contains(&(trip.clone(), imported.clone()))
        );
        assert!(!phone.album_assets.contains(&(trip.clone(), second.clone())));

        // The media jobs (thumbnails, metadata) finish for everything above.
        admin.wait_for_jobs().await;
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("media jobs", &lines, &phone);

        // A restart over the same data directory and database.
        let expected: BTreeSet<String> = phone.assets.keys().cloned().collect();
        assert_eq!(
            expected,
            BTreeSet::from([first.clone(), second.clone(), imported.clone()])
        );
        let engine = server.engine;
        let (dir, database) = server.stop().await;
        let server = TestServer::start_at(engine, dir, database).await;
        let admin = on(&server, &admin);
        let key = on(&server, &key);
        let phone_session = on(&server, &phone_session);
        admin.wait_for_jobs().await;
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("restart", &lines, &phone);
        assert_eq!(
            types(&lines),
            vec!["SyncCompleteV1"],
            "a restart changes nothing"
        );
        assert_eq!(
            phone.assets.keys().cloned().collect::<BTreeSet<_>>(),
            expected
        );

        // Trash: exactly that asset arrives with deletedAt, nothing is removed.
        let r = key.delete("/assets", &json!({ "ids": [first] })).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let lines = sync(&phone_session, &mut phone).await;
        assert!(
            !types(&lines).contains(&"AssetDeleteV1".to_string()),
            "{lines:?}"
        );
        assert_eq!(trashed_in(&lines), BTreeSet::from([first.clone()]));
        let on_phone: BTreeSet<_> = phone
            .assets
            .values()
            .filter(|a| !a["deletedAt"].is_null())
            .map(|a| s(a, "id"))
            .collect();
        assert_eq!(on_phone, BTreeSet::from([first.clone()]));

        // Restore: deletedAt is null again.
        let r = key
            .post("/trash/restore/assets", &json!({ "ids": [first] }))
            .await;
        assert!(r.status == 200 || r.status == 204, "{}", r.body);
        let lines = sync(&phone_session, &mut phone).await;
        assert_nothing_trashed_or_removed("restore", &lines, &phone);
        assert!(
            lines.iter().any(|l| l["data"]["id"] == first.as_str()),
            "the restore is sent: {lines:?}"
        );

        // Permanent deletion: exactly one AssetDeleteV1, for that asset.
        let r = key
            .delete("/assets", &json!({ "ids": [first], "force": true }))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let lines = sync(&phone_session, &mut phone).await;
        let removed: Vec<String> = lines
            .iter()
            .filter(|l| l["type"] == "AssetDeleteV1")
            .map(|l| s(&l["data"], "assetId"))
            .collect();
        assert_eq!(removed, vec![first.clone()]);
        assert!(trashed_in(&lines).is_empty(), "{lines:?}");
        assert_eq!(
            phone.assets.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([second.clone(), imported.clone()])
        );
        assert!(phone.assets.values().all(|a| a["deletedAt"].is_null()));
        assert_eq!(phone.resets, 0);
    }
);
