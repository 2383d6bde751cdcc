//! The sync stream judged by the app's real SQLite schema: every line of a
//! full and an incremental sync is written into the phone simulator's database
//! (`keepsake_testkit::phone`, built from `drift_schema_v31.json` with foreign
//! keys on), so any line the phone would reject fails here, and afterwards the
//! phone's tables must agree with what the server says.

use std::collections::{BTreeMap, BTreeSet};

use keepsake_testkit::phone::PhoneDb;
use keepsake_testkit::{Client, fake_jpeg};
use serde_json::{Value, json};

use crate::on_each_engine;
use crate::sync::{APP_TYPES, ack, id, session, stream};

/// One app sync into the phone's database: stream, apply every line, ack;
/// after a reset, the follow-up stream too.
async fn sync_db(client: &Client, db: &mut PhoneDb) -> Vec<Value> {
    let lines = stream(client, &APP_TYPES).await;
    for line in &lines {
        if let Err(e) = db.apply(line).await {
            panic!("the phone rejected a sync line: {e}");
        }
    }
    ack(client, &lines).await;
    if lines.last().map(|l| l["type"] == "SyncResetV1") == Some(true) {
        return Box::pin(sync_db(client, db)).await;
    }
    assert_eq!(lines.last().expect("lines")["type"], "SyncCompleteV1");
    lines
}

/// The phone's tables against the server's answers for the same user.
async fn assert_matches_server(client: &Client, db: &PhoneDb) {
    for (asset, deleted_at) in db.assets().await {
        let r = client.get(&format!("/assets/{asset}")).await;
        assert_eq!(r.status, 200, "the phone holds {asset}: {}", r.body);
        assert_eq!(
            r.json()["isTrashed"].as_bool(),
            Some(deleted_at.is_some()),
            "trash state of {asset} (deleted_at {deleted_at:?})"
        );
    }
    let albums = client.get("/albums").await.json();
    let server_albums: BTreeMap<String, String> = albums
        .as_array()
        .expect("album list")
        .iter()
        .map(|a| (s(a, "id"), s(a, "albumName")))
        .collect();
    assert_eq!(db.albums().await, server_albums, "albums");
    let phone_users = db.album_users().await;
    let phone_assets = db.album_assets().await;
    for album in server_albums.keys() {
        let got = client.get(&format!("/albums/{album}")).await.json();
        let members: BTreeMap<(String, String), String> = got["albumUsers"]
            .as_array()
            .expect("albumUsers")
            .iter()
            .map(|m| ((album.clone(), s(&m["user"], "id")), s(m, "role")))
            .collect();
        let on_phone: BTreeMap<_, _> = phone_users
            .iter()
            .filter(|((a, _), _)| a == album)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(on_phone, members, "members of {album}");
        let server_assets: BTreeSet<(String, String)> = album_timeline(client, album)
            .await
            .into_iter()
            .map(|a| (album.clone(), a))
            .collect();
        let on_phone: BTreeSet<_> = phone_assets
            .iter()
            .filter(|(a, _)| a == album)
            .cloned()
            .collect();
        assert_eq!(on_phone, server_assets, "assets of {album}");
    }
}

/// The album's assets as the web timeline lists them, trashed ones included.
async fn album_timeline(client: &Client, album: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for trashed in [false, true] {
        let q = format!("albumId={album}&isTrashed={trashed}");
        let buckets = client.get(&format!("/timeline/buckets?{q}")).await;
        assert_eq!(buckets.status, 200, "{}", buckets.body);
        for b in buckets.json().as_array().expect("buckets") {
            let bucket = s(b, "timeBucket");
            let r = client
                .get(&format!("/timeline/bucket?{q}&timeBucket={bucket}"))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            for id in r.json()["id"].as_array().expect("ids") {
                ids.insert(id.as_str().expect("id").to_string());
            }
        }
    }
    ids
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} in {v}"))
        .to_string()
}

fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

on_each_engine!(
    the_apps_schema_accepts_every_line_of_full_and_incremental_sync,
    |server| {
        if !keepsake_testkit::phone::schema_available() {
            return;
        }
        let admin = server.admin().await;
        let alice_key = server.user(&admin, "alice@example.com").await;
        let bob_key = server.user(&admin, "bob@example.com").await;
        let alice = session(&server, "alice@example.com", "user-password").await;
        let me = alice.user_id.clone();
        let bob = bob_key.user_id.clone();

        let a1 = id(&alice_key.upload("a1.jpg", fake_jpeg(11, 600)).await);
        let a2 = id(&alice_key.upload("a2.jpg", fake_jpeg(12, 600)).await);
        let b1 = id(&bob_key.upload("b1.jpg", fake_jpeg(21, 600)).await);
        let b2 = id(&bob_key.upload("b2.jpg", fake_jpeg(22, 600)).await);
        let mine = id(&alice_key
            .post(
                "/albums",
                &json!({ "albumName": "Mine", "assetIds": [a1, a2] }),
            )
            .await);
        let shared = id(&bob_key
            .post(
                "/albums",
                &json!({ "albumName": "Shared", "assetIds": [b1] }),
            )
            .await);
        let r = bob_key
            .put(
                &format!("/albums/{shared}/users"),
                &json!({ "albumUsers": [{ "userId": me, "role": "editor" }] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Full sync.
        let mut db = PhoneDb::open().await;
        sync_db(&alice, &mut db).await;
        assert!(
            db.users()
                .await
                .is_superset(&BTreeSet::from([me.clone(), bob.clone()]))
        );
        assert_eq!(
            db.assets().await.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([a1.clone(), a2.clone(), b1.clone()])
        );
        assert_eq!(
            db.album_assets().await,
            pairs(&[(&mine, &a1), (&mine, &a2), (&shared, &b1)])
        );
        assert_eq!(
            db.album_users().await,
            BTreeMap::from([
                ((mine.clone(), me.clone()), "owner".to_string()),
                ((shared.clone(), bob.clone()), "owner".to_string()),
                ((shared.clone(), me.clone()), "editor".to_string()),
            ])
        );
        assert_matches_server(&alice, &db).await;

        // Changes on both sides.
        let a3 = id(&alice_key.upload("a3.jpg", fake_jpeg(13, 600)).await);
        let ok = |r: keepsake_testkit::Reply, what: &str| {
            assert!(r.status < 300, "{what}: {} {}", r.status, r.body);
        };
        ok(
            alice_key
                .put("/assets", &json!({ "ids": [a2], "isFavorite": true }))
                .await,
            "favourite",
        );
        ok(
            alice_key
                .patch(
                    &format!("/albums/{mine}"),
                    &json!({ "albumName": "Mine, renamed" }),
                )
                .await,
            "rename",
        );
        ok(
            alice_key
                .put(&format!("/albums/{shared}/assets"), &json!({ "ids": [a3] }))
                .await,
            "alice adds to the shared album",
        );
        ok(
            bob_key
                .put(&format!("/albums/{shared}/assets"), &json!({ "ids": [b2] }))
                .await,
            "bob adds to the shared album",
        );
        ok(
            alice_key
                .delete(&format!("/albums/{mine}/assets"), &json!({ "ids": [a2] }))
                .await,
            "remove from album",
        );
        ok(
            alice_key.delete("/assets", &json!({ "ids": [a2] })).await,
            "trash a2",
        );
        ok(
            alice_key.delete("/assets", &json!({ "ids": [a3] })).await,
            "trash a3",
        );
        ok(
            alice_key
                .post("/trash/restore/assets", &json!({ "ids": [a3] }))
                .await,
            "restore a3",
        );
        ok(
            alice_key
                .delete("/assets", &json!({ "ids": [a1], "force": true }))
                .await,
            "delete a1 for good",
        );

        // Incremental sync.
        let lines = sync_db(&alice, &mut db).await;
        assert!(
            !lines.iter().any(|l| l["type"] == "SyncResetV1"),
            "these changes need no reset"
        );
        let assets = db.assets().await;
        assert_eq!(
            assets.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([a2.clone(), a3.clone(), b1.clone(), b2.clone()])
        );
        assert!(assets[&a2].is_some(), "a2 is in the trash");
        assert!(assets[&a3].is_none(), "a3 was restored");
        assert_eq!(
            db.album_assets().await,
            pairs(&[(&shared, &b1), (&shared, &a3), (&shared, &b2)])
        );
        assert_eq!(db.albums().await[&mine], "Mine, renamed");
        assert!(
            alice.get(&format!("/assets/{a1}")).await.status >= 400,
            "a1 is gone on the server too"
        );
        assert_matches_server(&alice, &db).await;
    }
);

/// The simulator really enforces the app's keys: lines the phone would reject
/// are errors that name the line.
#[tokio::test]
async fn the_phone_db_rejects_what_the_app_would() {
    if !keepsake_testkit::phone::schema_available() {
        return;
    }
    let mut db = PhoneDb::open().await;
    let user = json!({ "type": "UserV1", "ack": "1", "data": {
        "id": "u1", "name": "U", "email": "u@example.com",
        "hasProfileImage": false, "profileChangedAt": "2024-01-01T00:00:00.000Z" } });
    db.apply(&user).await.expect("a user");
    let asset = |id: &str, owner: &str| {
        json!({ "type": "AssetV2", "ack": "2", "data": {
            "id": id, "ownerId": owner, "originalFileName": "x.jpg",
            "checksum": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "type": "IMAGE",
            "visibility": "timeline", "isFavorite": false, "isEdited": false,
            "fileCreatedAt": "2024-01-01T00:00:00.000Z", "libraryId": null } })
    };
    let err = db.apply(&asset("x1", "nobody")).await.unwrap_err();
    assert!(
        err.contains("FOREIGN KEY") && err.contains("nobody"),
        "{err}"
    );
    db.apply(&asset("x1", "u1")).await.expect("owner known");
    let err = db.apply(&asset("x2", "u1")).await.unwrap_err();
    assert!(err.contains("UNIQUE") && err.contains("x2"), "{err}");
    let member = json!({ "type": "AlbumToAssetV1", "ack": "3",
        "data": { "albumId": "no-album", "assetId": "x1" } });
    let err = db.apply(&member).await.unwrap_err();
    assert!(
        err.contains("FOREIGN KEY") && err.contains("no-album"),
        "{err}"
    );
    let mut bad_type = asset("x3", "u1");
    bad_type["data"]["type"] = json!("PHOTO");
    assert!(db.apply(&bad_type).await.is_err());
    // Deleting the owner cascades as in the app.
    let gone = json!({ "type": "UserDeleteV1", "ack": "4", "data": { "userId": "u1" } });
    db.apply(&gone).await.expect("user delete");
    assert!(db.assets().await.is_empty());
}

/// The tables generated from the export's column data are the ones the export
/// itself prints as SQL (`fixed_sql`), up to quoting and spacing.
#[test]
fn generated_tables_match_the_exports_own_sql() {
    if !keepsake_testkit::phone::schema_available() {
        return;
    }
    let path = keepsake_testkit::phone::schema_path();
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("schema")).expect("JSON");
    let norm = |sql: &str| -> String {
        let mut out = sql
            .replace("IF NOT EXISTS ", "")
            .replace('"', "")
            .trim()
            .trim_end_matches(';')
            .to_string();
        // `DEFAULT (0)` and `DEFAULT 0` are the same.
        for lit in ["0", "1", "''"] {
            out = out.replace(&format!("DEFAULT ({lit})"), &format!("DEFAULT {lit}"));
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let tables: Vec<String> = keepsake_testkit::phone::schema_sql()
        .into_iter()
        .filter(|s| s.starts_with("CREATE TABLE"))
        .collect();
    assert_eq!(tables.len(), keepsake_testkit::phone::TABLES.len());
    for sql in tables {
        let name = sql.split('"').nth(1).expect("table name");
        let fixed = export["fixed_sql"]
            .as_array()
            .expect("fixed_sql")
            .iter()
            .find(|f| f["name"] == name)
            .and_then(|f| f["sql"][0]["sql"].as_str())
            .unwrap_or_else(|| panic!("{name} in fixed_sql"));
        assert_eq!(norm(&sql), norm(fixed), "{name}");
    }
}
