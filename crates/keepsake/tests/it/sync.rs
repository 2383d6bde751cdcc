//! The mobile sync stream (`/sync/stream`, `/sync/ack`) as the Immich app uses
//! it: every line is applied to a model of the phone's database that enforces
//! the app's foreign keys (`drift_schema_v31.json`), acks are sent the way the
//! app sends them (the last ack of each run of one type), and each test checks
//! what the phone holds afterwards.

use std::collections::{BTreeMap, BTreeSet};

use keepsake_testkit::{Client, TestServer, fake_jpeg};
use serde_json::{Value, json};

use crate::on_each_engine;

/// The 22 request types the 3.1.0 app sends (immich-mobile.md §3.2).
pub(crate) const APP_TYPES: [&str; 22] = keepsake_testkit::phone::APP_TYPES;

/// Required fields per entity type, with their JSON type (§3.6).
fn required(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "AuthUserV1" => &[
            ("id", "s"),
            ("name", "s"),
            ("email", "s"),
            ("hasProfileImage", "b"),
            ("profileChangedAt", "s"),
            ("isAdmin", "b"),
            ("oauthId", "s"),
            ("quotaUsageInBytes", "i"),
        ],
        "UserV1" => &[
            ("id", "s"),
            ("name", "s"),
            ("email", "s"),
            ("hasProfileImage", "b"),
            ("profileChangedAt", "s"),
        ],
        "AssetV2" | "AlbumAssetCreateV2" | "AlbumAssetUpdateV2" => &[
            ("id", "s"),
            ("ownerId", "s"),
            ("originalFileName", "s"),
            ("checksum", "s"),
            ("type", "s"),
            ("visibility", "s"),
            ("isFavorite", "b"),
            ("isEdited", "b"),
        ],
        "AssetExifV1" | "AlbumAssetExifCreateV1" | "AlbumAssetExifUpdateV1" => &[("assetId", "s")],
        "AlbumV2" => &[
            ("id", "s"),
            ("name", "s"),
            ("description", "s"),
            ("createdAt", "s"),
            ("updatedAt", "s"),
            ("isActivityEnabled", "b"),
            ("order", "s"),
        ],
        "AlbumUserV1" => &[("albumId", "s"), ("userId", "s"), ("role", "s")],
        "AlbumUserDeleteV1" => &[("albumId", "s"), ("userId", "s")],
        "AlbumToAssetV1" | "AlbumToAssetDeleteV1" => &[("albumId", "s"), ("assetId", "s")],
        "UserDeleteV1" => &[("userId", "s")],
        "AssetDeleteV1" => &[("assetId", "s")],
        "AlbumDeleteV1" => &[("albumId", "s")],
        "SyncCompleteV1" | "SyncResetV1" => &[],
        other => panic!("the app does not know entity type {other}"),
    }
}

/// The phone's remote mirror, with the app's foreign keys enforced.
#[derive(Default, Debug)]
pub(crate) struct Phone {
    pub(crate) auth_user: Option<Value>,
    pub(crate) users: BTreeMap<String, Value>,
    pub(crate) assets: BTreeMap<String, Value>,
    pub(crate) exif: BTreeMap<String, Value>,
    pub(crate) albums: BTreeMap<String, Value>,
    pub(crate) album_users: BTreeMap<(String, String), String>,
    pub(crate) album_assets: BTreeSet<(String, String)>,
    pub(crate) resets: usize,
}

pub(crate) fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} in {v}"))
        .to_string()
}

impl Phone {
    pub(crate) fn apply(&mut self, lines: &[Value]) {
        for line in lines {
            let kind = line["type"].as_str().expect("type");
            let data = &line["data"];
            assert!(line["ack"].is_string(), "every line has an ack: {line}");
            for (field, ty) in required(kind) {
                let v = &data[*field];
                let ok = match *ty {
                    "s" => v.is_string(),
                    "b" => v.is_boolean(),
                    "i" => v.is_i64() || v.is_u64(),
                    _ => unreachable!(),
                };
                assert!(ok, "{kind}.{field} must be {ty}: {data}");
            }
            match kind {
                "AuthUserV1" => self.auth_user = Some(data.clone()),
                "UserV1" => {
                    self.users.insert(s(data, "id"), data.clone());
                }
                "UserDeleteV1" => {
                    let id = s(data, "userId");
                    self.users.remove(&id);
                    // ON DELETE CASCADE
                    self.assets.retain(|_, a| s(a, "ownerId") != id);
                    self.cascade_assets();
                    self.album_users.retain(|(_, u), _| *u != id);
                }
                "AssetV2" | "AlbumAssetCreateV2" | "AlbumAssetUpdateV2" => {
                    let owner = s(data, "ownerId");
                    assert!(
                        self.users.contains_key(&owner),
                        "FK: asset {} arrived before its owner {owner}",
                        data["id"]
                    );
                    assert!(
                        ["IMAGE", "VIDEO", "AUDIO", "OTHER"]
                            .contains(&data["type"].as_str().unwrap())
                    );
                    assert!(
                        ["archive", "timeline", "hidden", "locked"]
                            .contains(&data["visibility"].as_str().unwrap())
                    );
                    let id = s(data, "id");
                    let dup = self.assets.values().any(|a| {
                        s(a, "id") != id
                            && a["ownerId"] == data["ownerId"]
                            && a["checksum"] == data["checksum"]
                            && a["libraryId"].is_null()
                            && data["libraryId"].is_null()
                    });
                    assert!(!dup, "unique (owner, checksum) violated by {data}");
                    self.assets.insert(id, data.clone());
                }
                "AssetDeleteV1" => {
                    self.assets.remove(&s(data, "assetId"));
                    self.cascade_assets();
                }
                "AssetExifV1" | "AlbumAssetExifCreateV1" | "AlbumAssetExifUpdateV1" => {
                    let id = s(data, "assetId");
                    assert!(self.assets.contains_key(&id), "FK: exif before asset {id}");
                    self.exif.insert(id, data.clone());
                }
                "AlbumV2" => {
                    if let Some(t) = data["thumbnailAssetId"].as_str() {
                        assert!(
                            self.assets.contains_key(t),
                            "FK: album thumbnail {t} unknown"
                        );
                    }
                    assert!(["asc", "desc"].contains(&data["order"].as_str().unwrap()));
                    self.albums.insert(s(data, "id"), data.clone());
                }
                "AlbumDeleteV1" => {
                    let id = s(data, "albumId");
                    self.albums.remove(&id);
                    self.album_users.retain(|(a, _), _| *a != id);
                    self.album_assets.retain(|(a, _)| *a != id);
                }
                "AlbumUserV1" => {
                    let (album, user) = (s(data, "albumId"), s(data, "userId"));
                    assert!(
                        self.albums.contains_key(&album),
                        "FK: member of unknown album"
                    );
                    assert!(
                        self.users.contains_key(&user),
                        "FK: album member {user} unknown"
                    );
                    assert!(
                        ["owner", "editor", "viewer"].contains(&data["role"].as_str().unwrap())
                    );
                    self.album_users.insert((album, user), s(data, "role"));
                }
                "AlbumUserDeleteV1" => {
                    self.album_users
                        .remove(&(s(data, "albumId"), s(data, "userId")));
                }
                "AlbumToAssetV1" => {
                    let (album, asset) = (s(data, "albumId"), s(data, "assetId"));
                    assert!(
                        self.albums.contains_key(&album),
                        "FK: album {album} unknown"
                    );
                    assert!(
                        self.assets.contains_key(&asset),
                        "FK: album asset {asset} unknown"
                    );
                    self.album_assets.insert((album, asset));
                }
                "AlbumToAssetDeleteV1" => {
                    self.album_assets
                        .remove(&(s(data, "albumId"), s(data, "assetId")));
                }
                "SyncResetV1" => {
                    *self = Phone {
                        resets: self.resets + 1,
                        ..Phone::default()
                    };
                }
                "SyncCompleteV1" => {}
                other => panic!("unexpected {other}"),
            }
        }
    }

    fn cascade_assets(&mut self) {
        let assets = &self.assets;
        self.exif.retain(|id, _| assets.contains_key(id));
        self.album_assets.retain(|(_, a)| assets.contains_key(a));
    }

    /// Albums the app lists: those with an owner row whose user is known.
    pub(crate) fn listed_albums(&self) -> Vec<String> {
        self.albums
            .values()
            .filter(|a| {
                self.album_users.iter().any(|((al, u), role)| {
                    *al == s(a, "id") && role == "owner" && self.users.contains_key(u)
                })
            })
            .map(|a| s(a, "name"))
            .collect()
    }
}

/// Posts a stream request and returns the lines, checking the framing.
pub(crate) async fn stream(client: &Client, types: &[&str]) -> Vec<Value> {
    let r = client
        .post("/sync/stream", &json!({ "types": types }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type, "application/jsonlines+json");
    assert!(r.body.ends_with('\n'), "the last line ends with a newline");
    r.body
        .split_terminator('\n')
        .map(|l| {
            assert!(!l.is_empty(), "no blank lines");
            serde_json::from_str(l).expect("each line is JSON")
        })
        .collect()
}

/// Acks as the app does: the last ack of each run of one type.
pub(crate) async fn ack(client: &Client, lines: &[Value]) {
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1]["type"] == lines[i]["type"] {
            j += 1;
        }
        let r = client
            .post("/sync/ack", &json!({ "acks": [lines[j]["ack"]] }))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        i = j + 1;
    }
}

/// One app sync: stream, apply, ack; after a reset, the second stream too.
pub(crate) async fn sync(client: &Client, phone: &mut Phone) -> Vec<Value> {
    let lines = stream(client, &APP_TYPES).await;
    phone.apply(&lines);
    ack(client, &lines).await;
    if lines.last().map(|l| l["type"] == "SyncResetV1") == Some(true) {
        assert_eq!(lines.len(), 1, "a reset is the only line");
        return Box::pin(sync(client, phone)).await;
    }
    assert_eq!(lines.last().unwrap()["type"], "SyncCompleteV1");
    lines
}

pub(crate) fn types(lines: &[Value]) -> Vec<String> {
    lines.iter().map(|l| s(l, "type")).collect()
}

pub(crate) fn id(r: &keepsake_testkit::Reply) -> String {
    r.json()["id"].as_str().expect("id").to_string()
}

pub(crate) async fn session(server: &TestServer, email: &str, password: &str) -> Client {
    server.login(email, password).await
}

on_each_engine!(
    first_sync_is_complete_ordered_and_satisfies_the_phones_keys,
    |server| {
        let admin = server.admin().await;
        let _bob = server.user(&admin, "bob@example.com").await;
        let alice_key = server.user(&admin, "alice@example.com").await;
        let a1 = id(&alice_key.upload("one.jpg", fake_jpeg(1, 500)).await);
        let a2 = id(&alice_key.upload("two.jpg", fake_jpeg(2, 500)).await);
        let album = id(&alice_key
            .post(
                "/albums",
                &json!({ "albumName": "Holiday", "assetIds": [a1] }),
            )
            .await);
        let alice = session(&server, "alice@example.com", "user-password").await;

        let mut phone = Phone::default();
        let lines = sync(&alice, &mut phone).await;
        let order = types(&lines);
        let first = |t: &str| {
            order
                .iter()
                .position(|x| x == t)
                .unwrap_or_else(|| panic!("{t} missing"))
        };
        assert!(first("AuthUserV1") < first("UserV1"));
        assert!(first("UserV1") < first("AssetV2"));
        assert!(first("AssetV2") < first("AlbumV2"));
        assert!(first("AlbumV2") < first("AlbumUserV1"));
        assert!(first("AlbumUserV1") < first("AlbumToAssetV1"));
        assert_eq!(phone.auth_user.as_ref().unwrap()["id"], alice.user_id);
        assert_eq!(phone.users.len(), 3, "every user, the phone's own included");
        assert_eq!(
            phone.assets.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([a1.clone(), a2.clone()])
        );
        assert_eq!(phone.listed_albums(), vec!["Holiday".to_string()]);
        assert!(phone.album_assets.contains(&(album.clone(), a1.clone())));
        let asset = &phone.assets[&a1];
        assert_eq!(asset["ownerId"], alice.user_id);
        assert_eq!(
            asset["checksum"].as_str().unwrap().len(),
            28,
            "base64 SHA-1"
        );
        assert!(asset["deletedAt"].is_null());
        // Nothing changed: the next sync is only the end marker.
        let again = sync(&alice, &mut phone).await;
        assert_eq!(types(&again), vec!["SyncCompleteV1"]);
    }
);

on_each_engine!(
    incremental_sync_sends_only_changes_with_deletes_first,
    |server| {
        let admin = server.admin().await;
        let key = server.user(&admin, "alice@example.com").await;
        let a1 = id(&key.upload("one.jpg", fake_jpeg(1, 500)).await);
        let a2 = id(&key.upload("two.jpg", fake_jpeg(2, 500)).await);
        let album = id(&key
            .post(
                "/albums",
                &json!({ "albumName": "A", "assetIds": [a1, a2] }),
            )
            .await);
        let alice = session(&server, "alice@example.com", "user-password").await;
        let mut phone = Phone::default();
        sync(&alice, &mut phone).await;

        // Trash a1 (an update with deletedAt), delete a2 for good, upload a3.
        assert_eq!(
            key.delete("/assets", &json!({ "ids": [a1] })).await.status,
            204
        );
        assert_eq!(
            key.delete("/assets", &json!({ "ids": [a2], "force": true }))
                .await
                .status,
            204
        );
        let a3 = id(&key.upload("three.jpg", fake_jpeg(3, 500)).await);
        let lines = sync(&alice, &mut phone).await;
        let order = types(&lines);
        let del = order
            .iter()
            .position(|t| t == "AssetDeleteV1")
            .expect("a delete");
        let up = order.iter().position(|t| t == "AssetV2").expect("upserts");
        assert!(del < up, "deletes before upserts: {order:?}");
        let deleted: Vec<_> = lines
            .iter()
            .filter(|l| l["type"] == "AssetDeleteV1")
            .map(|l| s(&l["data"], "assetId"))
            .collect();
        assert_eq!(
            deleted,
            vec![a2.clone()],
            "only the removed asset is deleted"
        );
        let upserted: BTreeSet<_> = lines
            .iter()
            .filter(|l| l["type"] == "AssetV2")
            .map(|l| s(&l["data"], "id"))
            .collect();
        assert_eq!(
            upserted,
            BTreeSet::from([a1.clone(), a3.clone()]),
            "only changed assets"
        );
        assert!(
            !lines.iter().any(|l| l["type"] == "UserV1"),
            "users did not change"
        );
        assert!(
            phone.assets[&a1]["deletedAt"].is_string(),
            "trash is deletedAt"
        );
        assert!(!phone.assets.contains_key(&a2));
        assert!(!phone.album_assets.contains(&(album.clone(), a2.clone())));
        assert!(phone.album_assets.contains(&(album, a1)));
    }
);

on_each_engine!(
    a_shared_album_brings_the_other_users_assets_and_owner,
    |server| {
        let admin = server.admin().await;
        let alice_key = server.user(&admin, "alice@example.com").await;
        let bob_key = server.user(&admin, "bob@example.com").await;
        let bob = session(&server, "bob@example.com", "user-password").await;
        let mut phone = Phone::default();
        sync(&bob, &mut phone).await;

        let shared = id(&alice_key.upload("shared.jpg", fake_jpeg(5, 500)).await);
        let private = id(&alice_key.upload("private.jpg", fake_jpeg(6, 500)).await);
        let album = id(&alice_key
            .post(
                "/albums",
                &json!({ "albumName": "Family", "assetIds": [shared] }),
            )
            .await);
        // Nothing of Alice's is Bob's business yet.
        let lines = sync(&bob, &mut phone).await;
        assert!(
            !lines.iter().any(|l| l.to_string().contains(&shared)),
            "{lines:?}"
        );
        let r = alice_key
            .put(
                &format!("/albums/{album}/users"),
                &json!({ "albumUsers": [{ "userId": bob_key.user_id, "role": "viewer" }] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let lines = sync(&bob, &mut phone).await;
        let order = types(&lines);
        assert!(
            order.contains(&"AlbumAssetCreateV2".to_string()),
            "{order:?}"
        );
        assert!(
            phone.assets.contains_key(&shared),
            "the shared asset arrives"
        );
        assert!(
            !phone.assets.contains_key(&private),
            "other assets never do"
        );
        assert_eq!(phone.listed_albums(), vec!["Family".to_string()]);
        assert_eq!(
            phone
                .album_users
                .get(&(album.clone(), alice_key.user_id.clone()))
                .map(String::as_str),
            Some("owner")
        );
        assert!(
            phone
                .album_assets
                .contains(&(album.clone(), shared.clone()))
        );

        // Alice adds another photo: it arrives incrementally.
        let r = alice_key
            .put(
                &format!("/albums/{album}/assets"),
                &json!({ "ids": [private] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let lines = sync(&bob, &mut phone).await;
        assert!(phone.assets.contains_key(&private));
        assert!(!types(&lines).contains(&"SyncResetV1".to_string()));

        // Alice deletes the album: Bob gets AlbumDeleteV1, not a reset, and no
        // AssetDeleteV1 for Alice's photos (the app would trash matching local ones).
        assert_eq!(
            alice_key
                .delete(&format!("/albums/{album}"), &json!({}))
                .await
                .status,
            204
        );
        let lines = sync(&bob, &mut phone).await;
        let order = types(&lines);
        assert!(order.contains(&"AlbumDeleteV1".to_string()), "{order:?}");
        assert!(!order.contains(&"AssetDeleteV1".to_string()), "{order:?}");
        assert_eq!(phone.resets, 0);
        assert!(phone.listed_albums().is_empty());
    }
);

on_each_engine!(
    losing_access_to_an_album_resets_and_the_reset_restarts_cleanly,
    |server| {
        let admin = server.admin().await;
        let alice_key = server.user(&admin, "alice@example.com").await;
        let bob_key = server.user(&admin, "bob@example.com").await;
        let shared = id(&alice_key.upload("shared.jpg", fake_jpeg(5, 500)).await);
        let album = id(&alice_key
            .post(
                "/albums",
                &json!({ "albumName": "Family", "assetIds": [shared],
                     "albumUsers": [{ "userId": bob_key.user_id, "role": "editor" }] }),
            )
            .await);
        let bob_own = id(&bob_key.upload("bob.jpg", fake_jpeg(7, 500)).await);
        let bob = session(&server, "bob@example.com", "user-password").await;
        let mut phone = Phone::default();
        sync(&bob, &mut phone).await;
        assert!(phone.assets.contains_key(&shared));

        let r = alice_key
            .delete(
                &format!("/albums/{album}/user/{}", bob_key.user_id),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let lines = stream(&bob, &APP_TYPES).await;
        assert_eq!(types(&lines), vec!["SyncResetV1"], "only a reset");
        assert_eq!(lines[0]["ack"], "SyncResetV1|reset");
        // Until acked, the reset stays.
        assert_eq!(types(&stream(&bob, &APP_TYPES).await), vec!["SyncResetV1"]);
        sync(&bob, &mut phone).await;
        assert_eq!(phone.resets, 1);
        assert!(
            !phone.assets.contains_key(&shared),
            "the lost album's photos are gone"
        );
        assert!(
            phone.assets.contains_key(&bob_own),
            "own photos come back in the full sync"
        );
        assert_eq!(
            types(&stream(&bob, &APP_TYPES).await),
            vec!["SyncCompleteV1"]
        );
    }
);

on_each_engine!(
    pruned_delete_records_force_a_reset_only_for_synced_sessions,
    |server| {
        let admin = server.admin().await;
        let key = server.user(&admin, "alice@example.com").await;
        let a1 = id(&key.upload("one.jpg", fake_jpeg(1, 500)).await);
        let alice = session(&server, "alice@example.com", "user-password").await;
        let mut phone = Phone::default();
        sync(&alice, &mut phone).await;
        key.delete("/assets", &json!({ "ids": [a1], "force": true }))
            .await;
        // The retention passes and housekeeping prunes the delete record.
        let pruned = server.library.db().prune_deletes(i64::MAX).await.unwrap();
        assert!(pruned >= 1);
        let lines = stream(&alice, &APP_TYPES).await;
        assert_eq!(
            types(&lines),
            vec!["SyncResetV1"],
            "the delete may have been missed"
        );
        sync(&alice, &mut phone).await;
        assert!(phone.assets.is_empty());
        // A new login has nothing to miss: a full sync, no reset.
        let fresh = session(&server, "alice@example.com", "user-password").await;
        assert_eq!(
            types(&stream(&fresh, &APP_TYPES).await).last().unwrap(),
            "SyncCompleteV1"
        );
        assert!(!types(&stream(&fresh, &APP_TYPES).await).contains(&"SyncResetV1".to_string()));
    }
);

on_each_engine!(checkpoints_belong_to_one_login_session, |server| {
    let admin = server.admin().await;
    let key = server.user(&admin, "alice@example.com").await;
    let a1 = id(&key.upload("one.jpg", fake_jpeg(1, 500)).await);
    let phone_a = session(&server, "alice@example.com", "user-password").await;
    let phone_b = session(&server, "alice@example.com", "user-password").await;
    let mut model = Phone::default();
    sync(&phone_a, &mut model).await;
    let listed = phone_a.get("/sync/ack").await.json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "AssetV2" && c["ack"].as_str().unwrap().starts_with("AssetV2|")),
        "{listed}"
    );
    assert_eq!(phone_b.get("/sync/ack").await.json(), json!([]));
    let b_lines = stream(&phone_b, &APP_TYPES).await;
    assert!(
        b_lines.iter().any(|l| l["data"]["id"] == a1.as_str()),
        "B still gets everything"
    );
    // The app's pre-sync migration: forget asset checkpoints, assets come again.
    let r = phone_a
        .delete("/sync/ack", &json!({ "types": ["AssetV1", "AssetV2"] }))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let again = sync(&phone_a, &mut model).await;
    assert_eq!(types(&again), vec!["AssetV2", "SyncCompleteV1"]);
    // Acks are refused for unknown types and for API keys.
    let r = phone_a
        .post("/sync/ack", &json!({ "acks": ["Bogus|1"] }))
        .await;
    assert_eq!(r.status, 400);
    let r = key
        .post("/sync/stream", &json!({ "types": ["AssetsV2"] }))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.json()["message"].as_str().unwrap().contains("API keys"));
    let r = phone_a
        .post("/sync/stream", &json!({ "types": ["NotAType"] }))
        .await;
    assert_eq!(r.status, 400);
});

/// `n` image assets of `owner` written straight to the database (no files:
/// the stream reads rows only), for tests that need a large library fast (a
/// stream long enough to be cut inside a page); `salt` keeps checksums of
/// different calls apart. Returns the ids in insert order.
pub(crate) async fn seed_assets(server: &TestServer, owner: &str, n: u32, salt: u8) -> Vec<String> {
    let db = server.library.db();
    let mut ids = Vec::new();
    for i in 0..n {
        let mut checksum = i.to_be_bytes().to_vec();
        checksum.resize(20, salt);
        let asset = keepsake_library::db::NewAsset {
            id: keepsake_library::db::new_id(),
            owner_id: owner.to_string(),
            asset_type: "IMAGE".into(),
            original_path: format!("library/seed/{salt}-{i}.jpg"),
            original_file_name: format!("{salt}-{i}.jpg"),
            sidecar_path: None,
            checksum,
            file_size: 100,
            file_created_at: 1_600_000_000_000 + i as i64,
            file_modified_at: 1_600_000_000_000,
            local_date_time: 1_600_000_000_000,
            is_favorite: false,
            visibility: "timeline".into(),
            duration_ms: None,
            live_photo_video_id: None,
            library_id: None,
        };
        ids.push(asset.id.clone());
        db.insert_asset(&asset, &[]).await.unwrap();
    }
    ids
}

on_each_engine!(
    a_stream_cut_off_halfway_resumes_from_the_last_ack_with_nothing_missing_or_doubled,
    |server| {
        let admin = server.admin().await;
        let key = server.user(&admin, "alice@example.com").await;
        seed_assets(&server, &key.user_id, 1500, 7).await;
        let alice = session(&server, "alice@example.com", "user-password").await;

        // The phone reads part of the answer, then the connection drops.
        let mut response = alice
            .request(reqwest::Method::POST, "/sync/stream")
            .json(&json!({ "types": APP_TYPES }))
            .send()
            .await
            .unwrap();
        let mut text = String::new();
        while text.matches('\n').count() < 700 {
            let chunk = response.chunk().await.unwrap().expect("more of the stream");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        drop(response);
        let complete = &text[..text.rfind('\n').unwrap()];
        let first: Vec<Value> = complete
            .split('\n')
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(
            !types(&first).contains(&"SyncCompleteV1".to_string()),
            "cut before the end"
        );
        let mut phone = Phone::default();
        phone.apply(&first);
        ack(&alice, &first).await;
        let first_assets = first.iter().filter(|l| l["type"] == "AssetV2").count();
        assert!(first_assets > 0 && first_assets < 1500, "{first_assets}");

        // The next sync goes on from the last ack: nothing missing, nothing twice.
        let second = sync(&alice, &mut phone).await;
        let second_assets = second.iter().filter(|l| l["type"] == "AssetV2").count();
        assert_eq!(phone.assets.len(), 1500);
        assert_eq!(phone.exif.len(), 1500);
        assert_eq!(
            first_assets + second_assets,
            1500,
            "assets already acked are not sent again"
        );
        assert_eq!(phone.resets, 0);
    }
);

on_each_engine!(
    a_large_stream_arrives_in_pieces_before_it_is_complete,
    |server| {
        let admin = server.admin().await;
        let key = server.user(&admin, "alice@example.com").await;
        seed_assets(&server, &key.user_id, 1500, 7).await;
        let alice = session(&server, "alice@example.com", "user-password").await;
        let mut response = alice
            .request(reqwest::Method::POST, "/sync/stream")
            .json(&json!({ "types": APP_TYPES }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.content_length().is_none(),
            "streamed, not sized up front"
        );
        let first = response.chunk().await.unwrap().expect("a first chunk");
        let text = String::from_utf8_lossy(&first);
        assert!(
            !text.contains("SyncCompleteV1"),
            "the first piece is not the whole answer"
        );
        let mut rest = first.len();
        let mut all = first.to_vec();
        while let Some(c) = response.chunk().await.unwrap() {
            rest += c.len();
            all.extend_from_slice(&c);
        }
        assert!(
            first.len() < rest / 2,
            "{} of {rest} bytes came first",
            first.len()
        );
        let lines: Vec<Value> = String::from_utf8(all)
            .unwrap()
            .split_terminator('\n')
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut phone = Phone::default();
        phone.apply(&lines);
        assert_eq!(phone.assets.len(), 1500);
        assert_eq!(lines.last().unwrap()["type"], "SyncCompleteV1");
    }
);
