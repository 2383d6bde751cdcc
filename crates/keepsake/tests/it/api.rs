//! The Immich-compatible API, behaviour by behaviour.

use keepsake_testkit::fake_jpeg;
use serde_json::json;

use crate::on_each_engine;

on_each_engine!(
    discovery_and_public_server_routes_answer_json_without_auth,
    |server| {
        let anon = server.anonymous();
        let r = anon
            .send(anon.http.get(format!("{}/.well-known/immich", server.url)))
            .await;
        assert_eq!(r.json(), json!({ "api": { "endpoint": "/api" } }));
        assert_eq!(
            anon.get("/server/ping").await.json(),
            json!({ "res": "pong" })
        );
        assert_eq!(
            anon.get("/server/version").await.json(),
            json!({ "major": 3, "minor": 1, "patch": 0, "prerelease": null })
        );
        let types = anon.get("/server/media-types").await.json();
        assert!(types["image"].as_array().unwrap().contains(&json!(".jpg")));
        assert!(types["video"].as_array().unwrap().contains(&json!(".mov")));
        assert_eq!(types["sidecar"], json!([".xmp"]));
        assert_eq!(
            anon.get("/server/config").await.json()["isInitialized"],
            false
        );
        assert_eq!(
            anon.get("/server/features").await.json()["passwordLogin"],
            true
        );
        let missing = anon.get("/no/such/route").await;
        assert_eq!(missing.status, 404);
        assert!(missing.content_type.contains("application/json"));
    }
);

on_each_engine!(first_admin_signs_up_once_then_logs_in_and_out, |server| {
    let admin = server.admin().await;
    let again = server
        .anonymous()
        .post(
            "/auth/admin-sign-up",
            &json!({ "email": "x@example.com", "password": "p", "name": "X" }),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["message"], "The server already has an admin");
    let me = admin.get("/users/me").await.json();
    assert_eq!(me["email"], "admin@example.com");
    assert_eq!(me["isAdmin"], true);
    assert_eq!(me["storageLabel"], "admin");
    assert_eq!(
        server.anonymous().get("/server/config").await.json()["isInitialized"],
        true
    );

    let wrong = server
        .anonymous()
        .post(
            "/auth/login",
            &json!({ "email": "admin@example.com", "password": "nope" }),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["message"], "Incorrect email or password");

    let raw = reqwest::Client::new()
        .post(server.api("/auth/login"))
        .json(&json!({ "email": "admin@example.com", "password": "admin-password" }))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = raw
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("immich_access_token=") && c.contains("HttpOnly"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("immich_auth_type=password"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("immich_is_authenticated=true"))
    );
    assert!(
        !cookies.iter().any(|c| c.contains("Secure")),
        "no Secure cookies over plain HTTP"
    );
    let body: serde_json::Value = raw.json().await.unwrap();
    let token = body["accessToken"].as_str().unwrap().to_string();
    let cookie_client = reqwest::Client::new();
    let via_cookie = cookie_client
        .get(server.api("/users/me"))
        .header("cookie", format!("immich_access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(via_cookie.status(), 200, "the cookie alone authenticates");
    let session = admin.with_credential(keepsake_testkit::Credential::Bearer(token.clone()));
    assert_eq!(
        session.post("/auth/validateToken", &json!({})).await.json(),
        json!({ "authStatus": true })
    );
    assert_eq!(
        session.post("/auth/logout", &json!({})).await.json()["successful"],
        true
    );
    let after = session.get("/users/me").await;
    assert_eq!(after.status, 401);
    assert_eq!(after.json()["message"], "Invalid user token");
});

on_each_engine!(
    change_password_needs_the_old_one_and_can_end_other_sessions,
    |server| {
        let _admin = server.admin().await;
        let a = server.login("admin@example.com", "admin-password").await;
        let b = server.login("admin@example.com", "admin-password").await;
        let bad = a
            .post(
                "/auth/change-password",
                &json!({ "password": "wrong", "newPassword": "new-password-1" }),
            )
            .await;
        assert_eq!(bad.status, 400);
        let ok = a.post("/auth/change-password", &json!({ "password": "admin-password", "newPassword": "new-password-1", "invalidateSessions": true })).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(
            a.get("/users/me").await.status,
            200,
            "the current session stays"
        );
        assert_eq!(b.get("/users/me").await.status, 401, "other sessions end");
        server.login("admin@example.com", "new-password-1").await;
        let sessions = a.get("/sessions").await.json();
        assert_eq!(
            sessions
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["current"] == true)
                .count(),
            1
        );
    }
);

on_each_engine!(api_keys_cannot_grant_more_than_they_hold, |server| {
    let admin = server.admin().await;
    let me = admin.get("/api-keys/me").await.json();
    assert_eq!(me["permissions"], json!(["all"]));
    let narrow = admin.with_api_key(&["asset.read", "apiKey.create"]).await;
    let wider = narrow
        .post(
            "/api-keys",
            &json!({ "name": "x", "permissions": ["asset.upload"] }),
        )
        .await;
    assert_eq!(wider.status, 400);
    assert_eq!(
        wider.json()["message"],
        "Cannot grant permissions you do not have"
    );
    let all = narrow
        .post("/api-keys", &json!({ "name": "x", "permissions": ["all"] }))
        .await;
    assert_eq!(all.status, 400);
    let same = narrow
        .post(
            "/api-keys",
            &json!({ "name": "y", "permissions": ["asset.read"] }),
        )
        .await;
    assert_eq!(same.status, 201, "{}", same.body);
    let denied = narrow.get("/users/me").await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.json()["message"],
        "Missing required permission: user.read"
    );
    let via_query = admin.with_credential(keepsake_testkit::Credential::None);
    let secret = match &admin.credential {
        keepsake_testkit::Credential::ApiKey(k) => k.clone(),
        _ => unreachable!(),
    };
    assert_eq!(
        via_query
            .get(&format!("/users/me?apiKey={secret}"))
            .await
            .status,
        200
    );
    let bad_key = admin
        .with_credential(keepsake_testkit::Credential::ApiKey("nope".into()))
        .get("/users/me")
        .await;
    assert_eq!(bad_key.status, 401);
    assert_eq!(bad_key.json()["message"], "Invalid API key");
    let keys = admin.get("/api-keys").await.json();
    let id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "y")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        admin
            .put(&format!("/api-keys/{id}"), &json!({ "name": "renamed" }))
            .await
            .json()["name"],
        "renamed"
    );
    assert_eq!(
        admin
            .delete(&format!("/api-keys/{id}"), &json!({}))
            .await
            .status,
        204
    );
    assert_eq!(admin.get(&format!("/api-keys/{id}")).await.status, 404);
});

on_each_engine!(
    upload_stores_the_original_under_a_readable_path_and_detects_duplicates,
    |server| {
        let admin = server.admin().await;
        let bytes = fake_jpeg(1, 5000);
        let first = admin.upload("IMG_1234.jpg", bytes.clone()).await;
        assert_eq!(first.status, 201, "{}", first.body);
        assert_eq!(first.json()["status"], "created");
        let id = first.json()["id"].as_str().unwrap().to_string();
        let again = admin.upload("copy-of-it.jpg", bytes.clone()).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.json(), json!({ "id": id, "status": "duplicate" }));
        let on_disk = server
            .data_dir()
            .join("library/admin/2019/2019-07-12/IMG_1234.jpg");
        assert_eq!(
            std::fs::read(&on_disk).unwrap(),
            bytes,
            "the original is kept byte for byte under the template path"
        );

        let asset = admin.get(&format!("/assets/{id}")).await.json();
        assert_eq!(asset["originalFileName"], "IMG_1234.jpg");
        assert_eq!(asset["type"], "IMAGE");
        assert_eq!(asset["fileCreatedAt"], "2019-07-12T18:15:12.000Z");
        assert_eq!(asset["localDateTime"], "2019-07-12T18:15:12.000Z");
        assert_eq!(asset["exifInfo"]["fileSizeInByte"], 5000);
        use sha1::Digest;
        let sum: [u8; 20] = sha1::Sha1::digest(&bytes).into();
        let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
        let check = admin
        .post("/assets/bulk-upload-check", &json!({ "assets": [{ "id": "/abs/a.jpg", "checksum": hex }, { "id": "/abs/b.jpg", "checksum": "0000000000000000000000000000000000000000" }] }))
        .await
        .json();
        assert_eq!(
            check["results"][0],
            json!({ "id": "/abs/a.jpg", "action": "reject", "reason": "duplicate", "assetId": id, "isTrashed": false })
        );
        assert_eq!(
            check["results"][1],
            json!({ "id": "/abs/b.jpg", "action": "accept" })
        );
        let b64 = asset["checksum"].as_str().unwrap();
        let check64 = admin
            .post(
                "/assets/bulk-upload-check",
                &json!({ "assets": [{ "id": "x", "checksum": b64 }] }),
            )
            .await
            .json();
        assert_eq!(check64["results"][0]["assetId"], json!(id));

        let same_name = admin.upload("IMG_1234.jpg", fake_jpeg(2, 100)).await;
        assert_eq!(same_name.status, 201);
        assert!(
            server
                .data_dir()
                .join("library/admin/2019/2019-07-12/IMG_1234+1.jpg")
                .exists(),
            "a taken name gets a +1 suffix"
        );
        assert_eq!(
            admin.get("/assets/statistics").await.json(),
            json!({ "images": 2, "videos": 0, "total": 2 })
        );
    }
);

on_each_engine!(
    checksum_header_short_circuits_a_duplicate_upload,
    |server| {
        let admin = server.admin().await;
        let bytes = fake_jpeg(3, 1000);
        let id = admin.upload("a.jpg", bytes.clone()).await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        use sha1::Digest;
        let sum: [u8; 20] = sha1::Sha1::digest(&bytes).into();
        let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
        // No body at all: the server answers from the header alone.
        let r = admin
            .send(
                admin
                    .request(reqwest::Method::POST, "/assets")
                    .header("x-immich-checksum", hex),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!({ "id": id, "status": "duplicate" }));
    }
);

on_each_engine!(original_download_supports_ranges, |server| {
    let admin = server.admin().await;
    let bytes = fake_jpeg(4, 10_000);
    let id = admin.upload("r.jpg", bytes.clone()).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let whole = admin
        .send(admin.request(reqwest::Method::GET, &format!("/assets/{id}/original")))
        .await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.content_type, "image/jpeg");
    assert_eq!(whole.headers["accept-ranges"], "bytes");
    let r = admin
        .request(reqwest::Method::GET, &format!("/assets/{id}/original"))
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 100-199/10000");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[100..200]);
    let tail = admin
        .request(reqwest::Method::GET, &format!("/assets/{id}/original"))
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[9990..]);
    let beyond = admin
        .send(
            admin
                .request(reqwest::Method::GET, &format!("/assets/{id}/original"))
                .header("range", "bytes=20000-"),
        )
        .await;
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.headers["content-range"], "bytes */10000");
    let full = admin
        .send(admin.request(
            reqwest::Method::GET,
            &format!("/assets/{id}/thumbnail?size=fullsize"),
        ))
        .await;
    assert_eq!(full.status, 200, "fullsize of a JPEG is the original");
    let thumb = admin
        .get(&format!("/assets/{id}/thumbnail?size=thumbnail"))
        .await;
    assert_eq!(
        thumb.status, 404,
        "no thumbnail is generated before the media pipeline exists"
    );
    assert!(thumb.content_type.contains("json"));
});

on_each_engine!(edits_favourites_archive_and_trash_round_trip, |server| {
    let admin = server.admin().await;
    let id = admin.upload("e.jpg", fake_jpeg(5, 500)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let updated = admin
        .put(&format!("/assets/{id}"), &json!({ "isFavorite": true, "description": "At the lake", "rating": 4, "latitude": 48.1, "longitude": -2.5, "dateTimeOriginal": "2020-05-01T10:00:00+02:00" }))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let a = updated.json();
    assert_eq!(a["isFavorite"], true);
    assert_eq!(a["exifInfo"]["description"], "At the lake");
    assert_eq!(a["exifInfo"]["rating"], 4);
    assert_eq!(a["exifInfo"]["latitude"], 48.1);
    assert_eq!(a["exifInfo"]["timeZone"], "UTC+02:00");
    assert_eq!(a["fileCreatedAt"], "2020-05-01T08:00:00.000Z");
    assert_eq!(
        a["localDateTime"], "2020-05-01T10:00:00.000Z",
        "local time is wall clock written as UTC"
    );
    let bad = admin
        .put(
            &format!("/assets/{id}"),
            &json!({ "latitude": 91.0, "longitude": 0.0 }),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        admin
            .put("/assets", &json!({ "ids": [id], "visibility": "archive" }))
            .await
            .status,
        204
    );
    assert_eq!(
        admin.get(&format!("/assets/{id}")).await.json()["isArchived"],
        true
    );
    let buckets = admin.get("/timeline/buckets").await.json();
    assert_eq!(
        buckets,
        json!([]),
        "archived assets leave the main timeline"
    );
    let archived = admin
        .get("/timeline/buckets?visibility=archive")
        .await
        .json();
    assert_eq!(
        archived,
        json!([{ "timeBucket": "2020-05-01", "count": 1 }])
    );
    assert_eq!(
        admin
            .delete("/assets", &json!({ "ids": [id] }))
            .await
            .status,
        204
    );
    assert_eq!(
        admin.get(&format!("/assets/{id}")).await.json()["isTrashed"],
        true
    );
    assert_eq!(
        admin.get("/assets/statistics?isTrashed=true").await.json()["total"],
        1
    );
    assert_eq!(
        admin.post("/trash/restore", &json!({})).await.json()["count"],
        1
    );
    assert_eq!(
        admin.get(&format!("/assets/{id}")).await.json()["isTrashed"],
        false
    );
    admin.delete("/assets", &json!({ "ids": [id] })).await;
    assert_eq!(
        admin.post("/trash/empty", &json!({})).await.json()["count"],
        1
    );
    assert_eq!(admin.get(&format!("/assets/{id}")).await.status, 404);
});

on_each_engine!(force_delete_removes_the_row_then_the_file, |server| {
    let admin = server.admin().await;
    let id = admin.upload("gone.jpg", fake_jpeg(6, 500)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = server
        .data_dir()
        .join("library/admin/2019/2019-07-12/gone.jpg");
    assert!(path.exists());
    assert_eq!(
        admin
            .delete("/assets", &json!({ "ids": [id], "force": true }))
            .await
            .status,
        204
    );
    assert_eq!(admin.get(&format!("/assets/{id}")).await.status, 404);
    // The file goes through the job queue; wait for the queue to drain, not for a clock.
    for _ in 0..500 {
        let q = admin.get("/queues/backgroundTask").await.json();
        if q["statistics"]["waiting"] == 0 && q["statistics"]["active"] == 0 && !path.exists() {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(!path.exists(), "the file is removed by the FileDelete job");
    let q = admin.get("/queues/backgroundTask").await.json();
    assert!(q["statistics"]["completed"].as_i64().unwrap() >= 1);
    assert_eq!(q["statistics"]["failed"], 0);
});

on_each_engine!(
    albums_are_created_filled_shared_and_listed_as_immich_does,
    |server| {
        let admin = server.admin().await;
        let bob = server.user(&admin, "bob@example.com").await;
        let a = admin.upload("a.jpg", fake_jpeg(10, 300)).await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let b = admin.upload("b.jpg", fake_jpeg(11, 300)).await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let created = admin
            .post(
                "/albums",
                &json!({ "albumName": "Summer 2019", "description": "Lake" }),
            )
            .await;
        assert_eq!(created.status, 201);
        let album = created.json();
        assert_eq!(album["albumName"], "Summer 2019");
        assert_eq!(album["albumUsers"][0]["role"], "owner");
        let album_id = album["id"].as_str().unwrap().to_string();
        let added = admin
            .put(
                &format!("/albums/{album_id}/assets"),
                &json!({ "ids": [a, a, b] }),
            )
            .await;
        assert_eq!(added.status, 200);
        assert_eq!(
            added.json(),
            json!([{ "id": a, "success": true }, { "id": a, "success": false, "error": "duplicate" }, { "id": b, "success": true }])
        );
        let again = admin
            .put(
                &format!("/albums/{album_id}/assets"),
                &json!({ "ids": [a] }),
            )
            .await;
        assert_eq!(
            again.json(),
            json!([{ "id": a, "success": false, "error": "duplicate" }])
        );
        let got = admin.get(&format!("/albums/{album_id}")).await.json();
        assert_eq!(got["assetCount"], 2);
        assert_eq!(got["albumThumbnailAssetId"], json!(a));
        assert_eq!(
            bob.get(&format!("/albums/{album_id}")).await.status,
            404,
            "not shared yet"
        );
        let shared = admin
            .put(
                &format!("/albums/{album_id}/users"),
                &json!({ "albumUsers": [{ "userId": bob.user_id, "role": "viewer" }] }),
            )
            .await;
        assert_eq!(shared.status, 200, "{}", shared.body);
        assert_eq!(shared.json()["shared"], true);
        assert_eq!(bob.get(&format!("/albums/{album_id}")).await.status, 200);
        assert_eq!(
            bob.get(&format!("/assets/{a}")).await.status,
            200,
            "a viewer sees the album's assets"
        );
        assert_eq!(
            bob.put(
                &format!("/albums/{album_id}/assets"),
                &json!({ "ids": [a] })
            )
            .await
            .status,
            403,
            "viewers cannot add"
        );
        assert_eq!(bob.get("/albums?isOwned=true").await.json(), json!([]));
        assert_eq!(
            bob.get("/albums?isOwned=false")
                .await
                .json()
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            admin
                .get(&format!("/albums?assetId={b}"))
                .await
                .json()
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let bucket = bob
            .get(&format!(
                "/timeline/bucket?albumId={album_id}&timeBucket=2019-07-01"
            ))
            .await
            .json();
        assert_eq!(bucket["id"].as_array().unwrap().len(), 2);
        assert_eq!(
            admin
                .put(
                    &format!("/albums/{album_id}/user/{}", bob.user_id),
                    &json!({ "role": "editor" })
                )
                .await
                .status,
            204
        );
        assert_eq!(
            bob.put(
                &format!("/albums/{album_id}/assets"),
                &json!({ "ids": [a] })
            )
            .await
            .status,
            200,
            "editors can add"
        );
        let removed = admin
            .delete(
                &format!("/albums/{album_id}/assets"),
                &json!({ "ids": [a] }),
            )
            .await
            .json();
        assert_eq!(removed, json!([{ "id": a, "success": true }]));
        assert_eq!(
            admin
                .patch(
                    &format!("/albums/{album_id}"),
                    &json!({ "albumName": "Renamed" })
                )
                .await
                .json()["albumName"],
            "Renamed"
        );
        assert_eq!(
            bob.patch(&format!("/albums/{album_id}"), &json!({ "albumName": "x" }))
                .await
                .status,
            403
        );
        assert_eq!(
            admin.get("/albums/statistics").await.json(),
            json!({ "owned": 1, "shared": 1, "notShared": 0 })
        );
        assert_eq!(
            bob.delete(&format!("/albums/{album_id}/user/me"), &json!({}))
                .await
                .status,
            204
        );
        assert_eq!(
            admin
                .delete(&format!("/albums/{album_id}"), &json!({}))
                .await
                .status,
            204
        );
        assert_eq!(admin.get("/albums").await.json(), json!([]));
    }
);

on_each_engine!(
    timeline_buckets_and_metadata_search_see_only_ones_own_assets,
    |server| {
        let admin = server.admin().await;
        let bob = server.user(&admin, "bob@example.com").await;
        for (i, name) in ["beach.jpg", "Beach-2.JPG", "clip.mp4"].iter().enumerate() {
            assert_eq!(
                admin
                    .upload(name, fake_jpeg(20 + i as u64, 300))
                    .await
                    .status,
                201
            );
        }
        bob.upload("bobs-beach.jpg", fake_jpeg(30, 300)).await;
        assert_eq!(
            admin.get("/timeline/buckets").await.json(),
            json!([{ "timeBucket": "2019-07-01", "count": 3 }])
        );
        let bucket = admin
            .get("/timeline/bucket?timeBucket=2019-07-01")
            .await
            .json();
        assert_eq!(bucket["id"].as_array().unwrap().len(), 3);
        assert_eq!(
            bucket["isImage"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| **v == false)
                .count(),
            1
        );
        for key in [
            "ownerId",
            "ratio",
            "isFavorite",
            "isTrashed",
            "visibility",
            "fileCreatedAt",
            "createdAt",
            "localOffsetHours",
            "duration",
            "livePhotoVideoId",
            "projectionType",
            "thumbhash",
        ] {
            assert_eq!(bucket[key].as_array().map(|a| a.len()), Some(3), "{key}");
        }
        let found = admin
            .post("/search/metadata", &json!({ "originalFileName": "beach" }))
            .await
            .json();
        assert_eq!(found["assets"]["count"], 2);
        assert_eq!(found["assets"]["nextPage"], serde_json::Value::Null);
        let videos = admin
            .post("/search/metadata", &json!({ "type": "VIDEO" }))
            .await
            .json();
        assert_eq!(videos["assets"]["items"][0]["originalFileName"], "clip.mp4");
        let paged = admin
            .post("/search/metadata", &json!({ "size": 2 }))
            .await
            .json();
        assert_eq!(paged["assets"]["nextPage"], "2");
        let page2 = admin
            .post("/search/metadata", &json!({ "size": 2, "page": 2 }))
            .await
            .json();
        assert_eq!(page2["assets"]["count"], 1);
        let bad = admin
            .post("/search/metadata", &json!({ "takenAfter": "yesterday" }))
            .await;
        assert_eq!(bad.status, 400);
        assert_eq!(
            bob.post("/search/metadata", &json!({ "originalFileName": "beach" }))
                .await
                .json()["assets"]["count"],
            1
        );
    }
);

on_each_engine!(admin_manages_users_quota_and_sees_statistics, |server| {
    let admin = server.admin().await;
    let created = admin.post("/admin/users", &json!({ "email": "carol@example.com", "password": "pw", "name": "Carol", "quotaSizeInBytes": 1000 })).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let carol_id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(created.json()["shouldChangePassword"], true);
    let dup = admin
        .post(
            "/admin/users",
            &json!({ "email": "CAROL@example.com", "password": "pw", "name": "C" }),
        )
        .await;
    assert_eq!(dup.status, 400);
    let carol = server.login("carol@example.com", "pw").await;
    assert_eq!(
        carol.upload("small.jpg", fake_jpeg(40, 600)).await.status,
        201
    );
    let over = carol.upload("big.jpg", fake_jpeg(41, 600)).await;
    assert_eq!(over.status, 400);
    assert_eq!(over.json()["message"], "Quota has been exceeded!");
    assert_eq!(
        carol.get("/users/me").await.json()["quotaUsageInBytes"],
        600
    );
    let stats = admin.get("/server/statistics").await.json();
    assert_eq!(stats["photos"], 1);
    assert_eq!(stats["usageByUser"].as_array().unwrap().len(), 2);
    let storage = admin.get("/server/storage").await.json();
    assert!(storage["diskSizeRaw"].as_u64().unwrap() > 0);
    assert_eq!(carol.get("/server/statistics").await.status, 403);
    assert_eq!(
        admin
            .put(
                &format!("/admin/users/{carol_id}"),
                &json!({ "quotaSizeInBytes": null, "name": "Carol B" })
            )
            .await
            .json()["quotaSizeInBytes"],
        serde_json::Value::Null
    );
    assert_eq!(
        admin
            .delete(&format!("/admin/users/{carol_id}"), &json!({}))
            .await
            .json()["status"],
        "deleted"
    );
    assert_eq!(
        carol.get("/users/me").await.status,
        401,
        "a deleted user's sessions end"
    );
    let queues = admin.get("/queues").await.json();
    assert_eq!(queues.as_array().unwrap().len(), 19);
    assert_eq!(
        admin
            .put("/queues/backgroundTask", &json!({ "isPaused": true }))
            .await
            .json()["isPaused"],
        true
    );
    assert_eq!(
        admin.get("/jobs").await.json()["backgroundTask"]["queueStatus"]["isPaused"],
        true
    );
    assert_eq!(
        admin
            .put("/jobs/backgroundTask", &json!({ "command": "resume" }))
            .await
            .json()["queueStatus"]["isPaused"],
        false
    );
});

on_each_engine!(
    a_failing_job_is_recorded_with_its_asset_and_error_and_can_be_rerun,
    |server| {
        let admin = server.admin().await;
        // A removal job whose path is not a valid store key fails for good, without retries.
        let job = keepsake_library::db::jobs::NewJob::new(
            "backgroundTask",
            "FileDelete",
            r#"{"paths":["../outside.jpg"]}"#,
        )
        .for_asset("00000000-0000-4000-8000-000000000001");
        server.library.db().enqueue(&job).await.unwrap();
        let mut failed = serde_json::Value::Null;
        for _ in 0..500 {
            failed = admin
                .get("/queues/backgroundTask/jobs?status=failed")
                .await
                .json();
            if !failed.as_array().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let failed = failed.as_array().unwrap();
        assert_eq!(failed.len(), 1, "the job failed once and stopped");
        assert_eq!(failed[0]["assetId"], "00000000-0000-4000-8000-000000000001");
        assert!(
            failed[0]["error"]
                .as_str()
                .unwrap()
                .contains("invalid file key"),
            "{}",
            failed[0]
        );
        assert_eq!(
            failed[0]["attempts"], 1,
            "a job that cannot succeed is not retried"
        );
        // The worker carries on with other work.
        let id = admin.upload("after.jpg", fake_jpeg(80, 100)).await.json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            admin
                .delete("/assets", &json!({ "ids": [id], "force": true }))
                .await
                .status,
            204
        );
        let path = server
            .data_dir()
            .join("library/admin/2019/2019-07-12/after.jpg");
        for _ in 0..500 {
            if !path.exists() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(!path.exists());
        assert_eq!(
            admin.get("/queues/backgroundTask").await.json()["statistics"]["failed"],
            1
        );
        // "start" puts failed jobs back in line; this one fails again, with a fresh attempt count.
        admin
            .put(
                "/jobs/backgroundTask",
                &json!({ "command": "clear-failed" }),
            )
            .await;
        assert_eq!(
            admin.get("/queues/backgroundTask").await.json()["statistics"]["failed"],
            0
        );
    }
);

on_each_engine!(
    many_originals_download_as_zip_archives_split_by_size,
    |server| {
        let admin = server.admin().await;
        let mut ids = Vec::new();
        let mut originals = Vec::new();
        for (n, name) in ["same.jpg", "Same.jpg", "other.jpg"].iter().enumerate() {
            let bytes = fake_jpeg(500 + n as u64, 3000 + n * 1000);
            ids.push(
                admin.upload(name, bytes.clone()).await.json()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
            originals.push(bytes);
        }
        let info = admin
            .post("/download/info", &json!({ "assetIds": ids }))
            .await;
        assert_eq!(info.status, 201, "{}", info.body);
        assert_eq!(info.json()["totalSize"], 3000 + 4000 + 5000);
        assert_eq!(info.json()["archives"].as_array().unwrap().len(), 1);
        let split = admin
            .post(
                "/download/info",
                &json!({ "assetIds": ids, "archiveSize": 7000 }),
            )
            .await
            .json();
        let sizes: Vec<i64> = split["archives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["size"].as_i64().unwrap())
            .collect();
        assert_eq!(sizes, vec![7000, 5000]);

        let zip = admin
            .post("/download/archive", &json!({ "assetIds": ids }))
            .await;
        assert_eq!(zip.status, 200);
        assert_eq!(zip.content_type, "application/octet-stream");
        let path = server.scratch("zip").join("download.zip");
        std::fs::write(&path, &zip.bytes).unwrap();
        // Python's zipfile is an independent reader: it checks every CRC.
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, zipfile\n\
                 z = zipfile.ZipFile(sys.argv[1])\n\
                 assert z.testzip() is None\n\
                 for i in z.infolist(): print(i.filename, i.file_size, i.date_time[0])",
            )
            .arg(&path)
            .output()
            .expect("python3 is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "same.jpg 3000 2019\nSame+1.jpg 4000 2019\nother.jpg 5000 2019\n"
        );
        // Another user's asset is not theirs to download.
        let bob = server.user(&admin, "bob@example.com").await;
        let r = bob
            .post("/download/archive", &json!({ "assetIds": [ids[0]] }))
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(!r.body.contains("same.jpg"));
    }
);
