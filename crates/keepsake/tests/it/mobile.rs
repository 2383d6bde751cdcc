//! The official Immich mobile app (3.1.0) against Keepsake, as the app behaves
//! (`immich-mobile.md` §1, §2, §4): discovery and login, then only the cookie
//! its native jar keeps; uploads in the exact multipart encodings of the Dart
//! foreground uploader and the iOS background uploader, built byte by byte;
//! media fetched with the ranges and caches phones use; and the sync
//! scenarios (a reset after retention, two phones of one user, a stream cut
//! off and resumed, other users' data) with every line stored in the app's
//! own tables and the tables compared with a phone that synced once in full.

use std::collections::{BTreeMap, BTreeSet};

use keepsake_testkit::fixtures;
use keepsake_testkit::phone::{
    APP_TYPES, DART_BOUNDARY, IOS_BOUNDARY, Multipart, Phone, PhoneDb, cookie, dart_field,
    dart_file, dart_upload, set_cookies,
};
use keepsake_testkit::{Client, Credential, Reply, TestServer, fake_jpeg};
use serde_json::{Value, json};

use crate::on_each_engine;
use crate::sync::seed_assets;

const CACHE_CONTROL: &str =
    "private, max-age=86400, no-transform, stale-while-revalidate=2592000, stale-if-error=2592000";

async fn asset(phone: &mut Phone, id: &str) -> Value {
    let r = phone.get(&format!("/assets/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn created_id(r: &Reply) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "created");
    r.json()["id"].as_str().unwrap().to_string()
}

/// Every field in `required` is present with the JSON type given.
fn assert_shape(what: &str, v: &Value, required: &[(&str, &str)]) {
    for (field, kind) in required {
        let x = &v[*field];
        let ok = match *kind {
            "string" => x.is_string(),
            "bool" => x.is_boolean(),
            "int" => x.is_i64() || x.is_u64(),
            "object" => x.is_object(),
            "string?" => x.is_string() || x.is_null(),
            "int?" => x.is_i64() || x.is_u64() || x.is_null(),
            "object?" => x.is_object() || x.is_null(),
            other => panic!("unknown kind {other}"),
        };
        assert!(
            ok && v.get(*field).is_some(),
            "{what}.{field} must be {kind}: {v}"
        );
    }
}

on_each_engine!(
    the_app_logs_in_and_is_then_authenticated_by_the_cookie_alone,
    |server| {
        let _admin = server.admin().await;
        let mut phone = Phone::iphone(&server);

        let version = phone.get("/server/version").await.json();
        assert_eq!(
            version,
            json!({ "major": 3, "minor": 1, "patch": 0, "prerelease": null })
        );
        let features = phone.get("/server/features").await.json();
        assert_eq!(features.as_object().unwrap().len(), 16, "{features}");
        assert!(
            features
                .as_object()
                .unwrap()
                .values()
                .all(Value::is_boolean)
        );
        assert_eq!(
            (features["passwordLogin"].clone(), features["oauth"].clone()),
            (json!(true), json!(false))
        );
        let config = phone.get("/server/config").await.json();
        assert_shape(
            "ServerConfigDto",
            &config,
            &[
                ("externalDomain", "string"),
                ("isInitialized", "bool"),
                ("isOnboarded", "bool"),
                ("loginPageMessage", "string"),
                ("maintenanceMode", "bool"),
                ("mapDarkStyleUrl", "string"),
                ("mapLightStyleUrl", "string"),
                ("minFaces", "int"),
                ("oauthButtonText", "string"),
                ("publicUsers", "bool"),
                ("trashDays", "int"),
                ("userDeleteDelay", "int"),
            ],
        );

        let login = phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        assert_shape(
            "LoginResponseDto",
            &login,
            &[
                ("accessToken", "string"),
                ("userId", "string"),
                ("userEmail", "string"),
                ("name", "string"),
                ("isAdmin", "bool"),
                ("profileImagePath", "string"),
                ("shouldChangePassword", "bool"),
                ("isOnboarded", "bool"),
            ],
        );
        let token = login["accessToken"].as_str().unwrap();
        let names: Vec<&str> = phone.jar.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "immich_access_token",
                "immich_auth_type",
                "immich_is_authenticated"
            ]
        );
        assert_eq!(phone.jar[0].1, token);
        assert_eq!(phone.jar[1].1, "password");
        assert_eq!(phone.jar[2].1, "true");

        // From here on the phone sends nothing but its cookies.
        assert_eq!(
            phone.post("/auth/validateToken", &json!({})).await.json(),
            json!({ "authStatus": true })
        );
        let me = phone.get("/users/me").await;
        assert_eq!(me.status, 200, "{}", me.body);
        assert!(
            me.content_type.starts_with("application/json"),
            "{}",
            me.content_type
        );
        let me = me.json();
        assert_shape(
            "UserAdminResponseDto",
            &me,
            &[
                ("id", "string"),
                ("email", "string"),
                ("name", "string"),
                ("avatarColor", "string"),
                ("createdAt", "string"),
                ("updatedAt", "string"),
                ("isAdmin", "bool"),
                ("oauthId", "string"),
                ("profileChangedAt", "string"),
                ("profileImagePath", "string"),
                ("shouldChangePassword", "bool"),
                ("status", "string"),
                ("deletedAt", "string?"),
                ("license", "object?"),
                ("quotaSizeInBytes", "int?"),
                ("quotaUsageInBytes", "int?"),
                ("storageLabel", "string?"),
            ],
        );
        assert_eq!(
            me["id"], login["userId"],
            "backup compares this id with ownerId"
        );
        assert!(
            !me["name"].as_str().unwrap().is_empty(),
            "the avatar draws name[0]"
        );
        assert_eq!(me["status"], "active");
        let colors = [
            "primary", "pink", "red", "yellow", "blue", "green", "purple", "orange", "gray",
            "amber",
        ];
        assert!(colors.contains(&me["avatarColor"].as_str().unwrap()));

        let prefs = phone.get("/users/me/preferences").await;
        assert_eq!(prefs.status, 200, "{}", prefs.body);
        let prefs = prefs.json();
        for sub in [
            "albums",
            "cast",
            "download",
            "emailNotifications",
            "folders",
            "memories",
            "people",
            "purchase",
            "ratings",
            "recentlyAdded",
            "sharedLinks",
            "tags",
        ] {
            assert!(prefs[sub].is_object(), "preferences.{sub}: {prefs}");
        }
        // The three the app does not patch with defaults.
        assert_shape(
            "emailNotifications",
            &prefs["emailNotifications"],
            &[
                ("enabled", "bool"),
                ("albumInvite", "bool"),
                ("albumUpdate", "bool"),
            ],
        );
        assert_shape(
            "purchase",
            &prefs["purchase"],
            &[
                ("showSupportBadge", "bool"),
                ("hideBuyButtonUntil", "string"),
            ],
        );
        assert_shape(
            "download",
            &prefs["download"],
            &[("archiveSize", "int"), ("includeEmbeddedVideos", "bool")],
        );

        // The session knows the phone, as the app described itself.
        let sessions = phone.get("/sessions").await.json();
        let mine: Vec<&Value> = sessions
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == true)
            .collect();
        assert_eq!(mine.len(), 1, "{sessions}");
        assert_eq!(mine[0]["deviceType"], "iPhone15,2");
        assert_eq!(mine[0]["deviceOS"], "iOS");
        assert_eq!(mine[0]["appVersion"], "3.1.0");
        assert_shape(
            "SessionResponseDto",
            mine[0],
            &[
                ("id", "string"),
                ("createdAt", "string"),
                ("updatedAt", "string"),
                ("current", "bool"),
                ("deviceOS", "string"),
                ("deviceType", "string"),
                ("appVersion", "string?"),
                ("isPendingSyncReset", "bool"),
            ],
        );
    }
);

on_each_engine!(
    login_cookies_carry_immichs_attributes_and_secure_only_behind_https,
    |server| {
        let _admin = server.admin().await;
        let credentials = json!({ "email": "admin@example.com", "password": "admin-password" });
        let anon = server.anonymous();
        let plain = anon.post("/auth/login", &credentials).await;
        let cookies = set_cookies(&plain);
        assert_eq!(cookies.len(), 3, "{cookies:?}");
        for name in [
            "immich_access_token",
            "immich_auth_type",
            "immich_is_authenticated",
        ] {
            let c = cookie(&cookies, name);
            for attr in ["Path=/", "SameSite=Lax", "Max-Age=34560000"] {
                assert!(c.contains(attr), "{c} lacks {attr}");
            }
            assert!(!c.contains("Secure"), "no Secure over plain HTTP: {c}");
        }
        assert!(cookie(&cookies, "immich_access_token").contains("HttpOnly"));
        assert!(cookie(&cookies, "immich_auth_type").contains("HttpOnly"));
        assert!(
            !cookie(&cookies, "immich_is_authenticated").contains("HttpOnly"),
            "the web app reads this one"
        );

        let proxied = anon
            .send(
                anon.request(reqwest::Method::POST, "/auth/login")
                    .header("x-forwarded-proto", "https")
                    .json(&credentials),
            )
            .await;
        let cookies = set_cookies(&proxied);
        assert_eq!(cookies.len(), 3);
        assert!(
            cookies.iter().all(|c| c.contains("; Secure")),
            "{cookies:?}"
        );
    }
);

on_each_engine!(
    header_tokens_win_over_the_cookie_and_the_cookie_wins_over_api_keys,
    |server| {
        let admin = server.admin().await;
        let Credential::ApiKey(key) = admin.credential.clone() else {
            unreachable!()
        };
        let mut phone = Phone::pixel(&server);
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let token = phone.jar[0].1.clone();
        let anon = server.anonymous();
        let me = |rb: reqwest::RequestBuilder| {
            let anon = anon.clone();
            async move { anon.send(rb).await.status }
        };
        let get = || anon.request(reqwest::Method::GET, "/users/me");
        let good_cookie = format!("immich_access_token={token}");
        assert_eq!(me(get().header("cookie", &good_cookie)).await, 200);
        assert_eq!(
            me(get().bearer_auth("stale").header("cookie", &good_cookie)).await,
            401,
            "a bearer token is read before the cookie, as Immich does"
        );
        assert_eq!(
            me(get()
                .bearer_auth(&token)
                .header("cookie", "immich_access_token=stale"))
            .await,
            200
        );
        assert_eq!(
            me(get()
                .header("x-api-key", &key)
                .header("cookie", "immich_access_token=stale"))
            .await,
            401,
            "a session cookie is read before an API key"
        );
        assert_eq!(
            me(get().header("cookie", format!("theme=dark; {good_cookie}; other=1"))).await,
            200
        );
    }
);

on_each_engine!(
    a_revoked_session_stops_its_cookie_at_once_and_logout_clears_the_jar,
    |server| {
        let admin = server.admin().await;
        let id = created_id(&admin.upload("photo.jpg", fake_jpeg(7, 3000)).await);
        let mut iphone = Phone::iphone(&server);
        iphone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let mut pixel = Phone::pixel(&server);
        pixel
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let original = format!("/assets/{id}/original");
        assert_eq!(
            iphone.get(&original).await.status,
            200,
            "the cookie opens media"
        );

        let sessions = pixel.get("/sessions").await.json();
        let iphone_session = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["deviceOS"] == "iOS")
            .unwrap_or_else(|| panic!("{sessions}"))
            .clone();
        assert_eq!(iphone_session["current"], false);
        let other = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap();
        assert_eq!(
            (other["deviceType"].clone(), other["deviceOS"].clone()),
            (json!("Pixel 8"), json!("Android"))
        );

        let revoke = pixel
            .send(pixel.request(
                reqwest::Method::DELETE,
                &format!("/sessions/{}", iphone_session["id"].as_str().unwrap()),
            ))
            .await;
        assert_eq!(revoke.status, 204, "{}", revoke.body);
        let refused = iphone.post("/auth/validateToken", &json!({})).await;
        assert_eq!(
            refused.status, 401,
            "the app goes back to login only on 401"
        );
        assert_eq!(refused.json()["message"], "Invalid user token");
        assert_eq!(iphone.get(&original).await.status, 401);
        assert_eq!(
            iphone.get(&format!("/assets/{id}/thumbnail")).await.status,
            401
        );

        let out = pixel.post("/auth/logout", &json!({})).await;
        assert_eq!(
            out.json(),
            json!({ "successful": true, "redirectUri": "/auth/login?autoLaunch=0" })
        );
        let cleared = set_cookies(&out);
        assert_eq!(cleared.len(), 3, "{cleared:?}");
        assert!(
            cleared.iter().all(|c| c.contains("Max-Age=0")),
            "{cleared:?}"
        );
        assert!(pixel.jar.is_empty(), "the jar drops cleared cookies");
        let token = admin.get("/sessions").await.json();
        assert!(
            token
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["deviceOS"] != "Android"),
            "logout ends the session: {token}"
        );
    }
);

on_each_engine!(
    the_foreground_encoding_uploads_with_a_raw_utf8_name_and_microsecond_dates,
    |server| {
        let _admin = server.admin().await;
        let mut phone = Phone::pixel(&server);
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let bytes = fake_jpeg(11, 5000);
        let r = phone
            .upload(dart_upload(
                "Été à Paris \"1\".jpg",
                &bytes,
                &[("isFavorite", "true")],
            ))
            .await;
        let id = created_id(&r);
        let a = asset(&mut phone, &id).await;
        assert_eq!(a["originalFileName"], "Été à Paris %221%22.jpg");
        assert_eq!(a["isFavorite"], true);
        assert_eq!(a["fileCreatedAt"], "2024-05-01T10:11:12.123Z");
        assert_eq!(a["fileModifiedAt"], "2024-05-02T08:00:00.000Z");
        assert_eq!(a["visibility"], "timeline");
        assert_eq!(a["type"], "IMAGE");

        // The same bytes again (the next backup run): the same asset, 200.
        let again = phone.upload(dart_upload("copy.jpg", &bytes, &[])).await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(again.json(), json!({ "id": id, "status": "duplicate" }));

        // A non-ASCII plain field gets its own content type and transfer encoding.
        let m = Multipart::new(DART_BOUNDARY);
        let m = dart_field(m, "fileCreatedAt", "2023-01-02T03:04:05.000Z");
        let m = dart_field(m, "deviceAssetId", "Ünïcode-id");
        let other = phone
            .upload(dart_file(m, "plain.jpg", &fake_jpeg(12, 4000)).end())
            .await;
        created_id(&other);
    }
);

on_each_engine!(
    the_ios_background_encoding_prefers_the_filename_field_over_the_temp_name,
    |server| {
        let _admin = server.admin().await;
        let mut phone = Phone::iphone(&server);
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let metadata = r#"[{"key":"mobile-app","value":{"iCloudId":"ABC-123","createdAt":"2024-05-01T12:11:12.123456","latitude":"48.85","longitude":"2.35"}}]"#;
        let field = |m: Multipart, name: &str, value: &str| {
            m.part(
                &[&format!("Content-Disposition: form-data; name=\"{name}\"")],
                value.as_bytes(),
            )
        };
        let m = Multipart::new(IOS_BOUNDARY);
        let m = field(m, "filename", "IMG_0001.HEIC");
        let m = field(m, "deviceAssetId", "9A1F6C2E/L0/001");
        let m = field(m, "deviceId", "5e1c5f0f");
        let m = field(m, "fileCreatedAt", "2024-05-01T10:11:12.123456Z");
        let m = field(m, "fileModifiedAt", "2024-05-01T10:11:12.123456Z");
        let m = field(m, "isFavorite", "false");
        let m = field(m, "duration", "0");
        let m = m.part(
            &[
                "Content-Disposition: form-data; name=\"metadata\"",
                "Content-Type: application/json; charset=utf-8",
            ],
            metadata.as_bytes(),
        );
        let m = m.part(
            &[
                "Content-Disposition: form-data; name=\"assetData\"; filename=\"5F2C9A7B-0D1E.tmp\"",
                "Content-Type: application/octet-stream",
            ],
            &fake_jpeg(21, 6000),
        );
        let r = phone.upload(m.end()).await;
        let id = created_id(&r);
        let a = asset(&mut phone, &id).await;
        assert_eq!(a["originalFileName"], "IMG_0001.HEIC");
        assert_eq!(a["originalMimeType"], "image/heic");
        assert_eq!(a["fileCreatedAt"], "2024-05-01T10:11:12.123Z");
    }
);

on_each_engine!(fields_after_the_file_part_are_honoured, |server| {
    let _admin = server.admin().await;
    let mut phone = Phone::pixel(&server);
    phone
        .log_in(&server, "admin@example.com", "admin-password")
        .await;
    let m = dart_file(
        Multipart::new(DART_BOUNDARY),
        "upload.bin",
        &fake_jpeg(31, 4000),
    );
    let m = dart_field(m, "filename", "Holiday.jpg");
    let m = dart_field(m, "fileCreatedAt", "2020-02-29T23:59:59.999999Z");
    let m = dart_field(m, "isFavorite", "true");
    let m = dart_field(m, "visibility", "archive");
    let id = created_id(&phone.upload(m.end()).await);
    let a = asset(&mut phone, &id).await;
    assert_eq!(a["originalFileName"], "Holiday.jpg");
    assert_eq!(a["fileCreatedAt"], "2020-02-29T23:59:59.999Z");
    assert_eq!(a["isFavorite"], true);
    assert_eq!(a["visibility"], "archive");
});

on_each_engine!(
    a_live_photo_uploads_its_hidden_video_first_then_the_still_linked_to_it,
    |server| {
        let _admin = server.admin().await;
        let mut phone = Phone::iphone(&server);
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let video = phone
            .upload(dart_upload(
                "IMG_0002.MOV",
                b"\0\0\0\x14ftypqt  \0\0\0\0qt  motion-part",
                &[("visibility", "hidden"), ("duration", "2500")],
            ))
            .await;
        let video_id = created_id(&video);
        let still = phone
            .upload(dart_upload(
                "IMG_0002.HEIC",
                &fake_jpeg(41, 5000),
                &[("livePhotoVideoId", video_id.as_str())],
            ))
            .await;
        let still_id = created_id(&still);
        let s = asset(&mut phone, &still_id).await;
        assert_eq!(s["livePhotoVideoId"], video_id.as_str());
        assert_eq!(s["visibility"], "timeline");
        let v = asset(&mut phone, &video_id).await;
        assert_eq!(v["type"], "VIDEO");
        assert_eq!(v["visibility"], "hidden");
        assert_eq!(v["duration"], 2500, "the app's duration is milliseconds");

        // A still pointing at no video of this user is refused with a reason.
        let orphan = phone
            .upload(dart_upload(
                "IMG_0003.HEIC",
                &fake_jpeg(42, 5000),
                &[("livePhotoVideoId", "7d4b8e1c-8b43-4c0e-9a57-3f7c9f1f2a10")],
            ))
            .await;
        assert_eq!(orphan.status, 400, "{}", orphan.body);
        assert_eq!(orphan.json()["message"], "Live photo video not found");
    }
);

on_each_engine!(
    an_upload_larger_than_the_default_body_limit_arrives_whole,
    |server| {
        let _admin = server.admin().await;
        let mut phone = Phone::pixel(&server);
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        // Over the 64 MiB every other route is limited to.
        let bytes = fake_jpeg(51, 65 * 1024 * 1024 + 17);
        let r = phone.upload(dart_upload("big.jpg", &bytes, &[])).await;
        let id = created_id(&r);
        let a = asset(&mut phone, &id).await;
        use base64::Engine as _;
        use sha1::Digest as _;
        let sum = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(&bytes));
        assert_eq!(
            a["checksum"],
            sum.as_str(),
            "SHA-1 of the exact bytes, base64"
        );
        let tail = phone
            .send(
                phone
                    .request(reqwest::Method::GET, &format!("/assets/{id}/original"))
                    .header("range", "bytes=-16"),
            )
            .await;
        assert_eq!(tail.status, 206);
        assert_eq!(tail.bytes, &bytes[bytes.len() - 16..]);
    }
);

on_each_engine!(
    phone_media_answers_ranges_and_immichs_cache_headers,
    |server| {
        let admin = server.admin().await;
        let mut phone = Phone::pixel(&server);
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let scratch = server.scratch("phone-media");
        let jpeg = fixtures::jpeg(&scratch, 800, 600, 3);
        let id = created_id(&phone.upload(dart_upload("IMG_0100.jpg", &jpeg, &[])).await);
        admin.wait_for_jobs().await;
        let len = jpeg.len();

        let tile = phone
            .get(&format!(
                "/assets/{id}/thumbnail?size=thumbnail&edited=false&c=abc%2Bdef%3D"
            ))
            .await;
        assert_eq!(tile.status, 200, "{}", tile.body);
        assert_eq!(tile.content_type, "image/webp");
        assert_eq!(&tile.bytes[8..12], b"WEBP");
        assert_eq!(tile.headers["cache-control"], CACHE_CONTROL);
        let preview = phone
            .get(&format!("/assets/{id}/thumbnail?size=preview&edited=false"))
            .await;
        assert_eq!(preview.content_type, "image/jpeg");
        assert_eq!(preview.headers["cache-control"], CACHE_CONTROL);
        let full = phone
            .get(&format!("/assets/{id}/thumbnail?size=fullsize"))
            .await;
        assert_eq!(full.status, 200);
        assert_eq!(full.bytes, jpeg, "a JPEG is its own full-size view");

        let ranged = |phone: &Phone, spec: &str| {
            phone
                .request(
                    reqwest::Method::GET,
                    &format!("/assets/{id}/original?edited=false"),
                )
                .header("range", spec.to_string())
        };
        let whole = phone
            .get(&format!("/assets/{id}/original?edited=false"))
            .await;
        assert_eq!(whole.status, 200);
        assert_eq!(whole.bytes, jpeg);
        assert_eq!(whole.headers["accept-ranges"], "bytes");
        assert_eq!(whole.headers["cache-control"], CACHE_CONTROL);
        assert_eq!(whole.content_type, "image/jpeg");

        let head = phone.send(ranged(&phone, "bytes=0-9")).await;
        assert_eq!(head.status, 206);
        assert_eq!(head.bytes, &jpeg[..10]);
        assert_eq!(
            head.headers["content-range"],
            format!("bytes 0-9/{len}").as_str()
        );
        assert_eq!(head.headers["content-length"], "10");
        assert_eq!(head.headers["accept-ranges"], "bytes");
        assert_eq!(head.content_type, "image/jpeg");

        let from = phone
            .send(ranged(&phone, &format!("bytes={}-", len - 100)))
            .await;
        assert_eq!(from.status, 206);
        assert_eq!(from.bytes, &jpeg[len - 100..]);
        assert_eq!(
            from.headers["content-range"],
            format!("bytes {}-{}/{len}", len - 100, len - 1).as_str()
        );
        let suffix = phone.send(ranged(&phone, "bytes=-5")).await;
        assert_eq!(suffix.status, 206);
        assert_eq!(suffix.bytes, &jpeg[len - 5..]);
        let past = phone.send(ranged(&phone, &format!("bytes={len}-"))).await;
        assert_eq!(past.status, 416);
        assert_eq!(
            past.headers["content-range"],
            format!("bytes */{len}").as_str()
        );

        let etag = whole.headers["etag"].to_str().unwrap().to_string();
        let cached = phone
            .send(
                phone
                    .request(reqwest::Method::GET, &format!("/assets/{id}/original"))
                    .header("if-none-match", &etag),
            )
            .await;
        assert_eq!(cached.status, 304);
        assert!(cached.bytes.is_empty());
    }
);

on_each_engine!(
    a_phone_video_gets_a_frame_thumbnail_and_seekable_playback,
    |server| {
        let admin = server.admin().await;
        let mut phone = Phone::iphone(&server);
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let scratch = server.scratch("phone-video");
        let mp4 = fixtures::video(
            &scratch,
            "clip.mp4",
            "160x120",
            1,
            &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
        );
        let id = created_id(
            &phone
                .upload(dart_upload("clip.mp4", &mp4, &[("duration", "0")]))
                .await,
        );
        admin.wait_for_jobs().await;

        let a = asset(&mut phone, &id).await;
        assert!(
            a["duration"].as_i64().unwrap() > 500,
            "ffprobe replaces the app's 0: {a}"
        );
        let tile = phone
            .get(&format!("/assets/{id}/thumbnail?size=thumbnail"))
            .await;
        assert_eq!(tile.status, 200, "{}", tile.body);
        assert_eq!(&tile.bytes[8..12], b"WEBP", "a frame of the video");
        let preview = phone
            .get(&format!("/assets/{id}/thumbnail?size=preview"))
            .await;
        assert_eq!(preview.status, 200);
        assert_eq!(&preview.bytes[..2], &[0xFF, 0xD8]);
        let full = phone
            .get(&format!("/assets/{id}/thumbnail?size=fullsize"))
            .await;
        assert_eq!(full.status, 200);
        assert_eq!(
            full.content_type, "image/jpeg",
            "a video's full-size view is its preview"
        );

        let play = phone
            .send(
                phone
                    .request(
                        reqwest::Method::GET,
                        &format!("/assets/{id}/video/playback"),
                    )
                    .header("range", "bytes=0-1"),
            )
            .await;
        assert_eq!(play.status, 206, "AVPlayer probes with bytes=0-1");
        assert_eq!(play.bytes, &mp4[..2]);
        assert_eq!(play.content_type, "video/mp4");
        assert_eq!(
            play.headers["content-range"],
            format!("bytes 0-1/{}", mp4.len()).as_str()
        );
        assert_eq!(play.headers["accept-ranges"], "bytes");
        assert_eq!(play.headers["cache-control"], CACHE_CONTROL);
        let rest = phone
            .send(
                phone
                    .request(
                        reqwest::Method::GET,
                        &format!("/assets/{id}/video/playback"),
                    )
                    .header("range", "bytes=2-"),
            )
            .await;
        assert_eq!(rest.status, 206);
        assert_eq!(rest.bytes, &mp4[2..]);
    }
);

on_each_engine!(
    a_session_follows_the_app_version_the_phone_reports,
    |server| {
        let _admin = server.admin().await;
        let mut phone = Phone::iphone(&server);
        phone.user_agent = "immich-ios/3.0.2";
        phone
            .log_in(&server, "admin@example.com", "admin-password")
            .await;
        let version = |sessions: Value| {
            sessions
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["current"] == true)
                .map(|s| s["appVersion"].clone())
                .unwrap()
        };
        assert_eq!(version(phone.get("/sessions").await.json()), "3.0.2");
        // The app updates; its cookie stays.
        phone.user_agent = "immich-ios/3.1.0";
        assert_eq!(version(phone.get("/sessions").await.json()), "3.1.0");
        // A request that does not describe the device keeps what is known.
        let anon = server.anonymous();
        let cookie = format!("immich_access_token={}", phone.jar[0].1);
        let plain = anon
            .send(
                anon.request(reqwest::Method::GET, "/sessions")
                    .header("cookie", cookie),
            )
            .await
            .json();
        assert_eq!(version(plain.clone()), "3.1.0");
        let current = plain
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()
            .clone();
        assert_eq!(current["deviceType"], "iPhone15,2");
        assert_eq!(current["deviceOS"], "iOS");
    }
);

on_each_engine!(
    the_simulated_phone_logs_in_backs_up_and_mirrors_the_library_in_the_apps_own_tables,
    |server| {
        if !keepsake_testkit::phone::schema_available() {
            return;
        }
        let admin = server.admin().await;
        let _ = server.user(&admin, "phone@example.com").await;
        let mut phone = Phone::iphone(&server);
        phone
            .log_in(&server, "phone@example.com", "user-password")
            .await;
        assert_eq!(phone.get("/users/me").await.status, 200);
        assert_eq!(phone.get("/users/me/preferences").await.status, 200);
        let mut db = keepsake_testkit::phone::PhoneDb::open().await;

        // First sync of an empty library, then a backup from the camera roll.
        let first = phone.sync_into(&mut db, &crate::sync::APP_TYPES).await;
        assert_eq!(first.last().unwrap()["type"], "SyncCompleteV1");
        let dir = server.scratch("roll");
        let mut ids = Vec::new();
        let base = fixtures::jpeg(&dir, 32, 24, 0);
        for seed in 0..3 {
            let jpeg = crate::imports::distinct(&base, seed);
            let r = phone
                .upload(dart_upload(&format!("IMG_000{seed}.JPG"), &jpeg, &[]))
                .await;
            ids.push(created_id(&r));
        }
        // The same photo again: the app's re-upload is a duplicate, not a second row.
        let again = phone
            .upload(dart_upload(
                "IMG_0000.JPG",
                &crate::imports::distinct(&base, 0),
                &[],
            ))
            .await;
        assert_eq!(again.status, 200, "{}", again.body);
        phone.sync_into(&mut db, &crate::sync::APP_TYPES).await;
        let mirrored = db.assets().await;
        assert_eq!(
            mirrored
                .keys()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>(),
            ids.iter().cloned().collect(),
            "the phone's remote assets are exactly the backed-up photos"
        );
        assert!(mirrored.values().all(Option::is_none), "none trashed");

        // Trash one in the web app: the phone sees it trashed, and only it.
        let r = phone
            .request(reqwest::Method::DELETE, "/assets")
            .json(&json!({ "ids": [ids[0]] }));
        assert_eq!(phone.send(r).await.status, 204);
        phone.sync_into(&mut db, &crate::sync::APP_TYPES).await;
        let mirrored = db.assets().await;
        assert!(mirrored[&ids[0]].is_some(), "trashed on the phone too");
        assert!(mirrored[&ids[1]].is_none() && mirrored[&ids[2]].is_none());
    }
);

// ---- sync scenarios, driven through the simulated phone and its own tables ----

/// The types of a stream's lines, in order.
fn kinds(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["type"].as_str().expect("type").to_string())
        .collect()
}

/// Ids carried by the lines of one type (`field` of `data`).
fn ids_of(lines: &[Value], kind: &str, field: &str) -> BTreeSet<String> {
    lines
        .iter()
        .filter(|l| l["type"] == kind)
        .map(|l| l["data"][field].as_str().expect("id").to_string())
        .collect()
}

/// A phone logged in as `email` with an empty database.
async fn phone_of(server: &TestServer, ios: bool, email: &str) -> (Phone, PhoneDb) {
    let mut phone = if ios {
        Phone::iphone(server)
    } else {
        Phone::pixel(server)
    };
    phone.log_in(server, email, "user-password").await;
    (phone, PhoneDb::open().await)
}

/// What a phone of `email` that logs in now and syncs once in full holds.
async fn fresh_phone_tables(
    server: &TestServer,
    email: &str,
) -> BTreeMap<&'static str, Vec<String>> {
    let (mut phone, mut db) = phone_of(server, false, email).await;
    let streams = phone.sync(&mut db, &APP_TYPES).await;
    assert_eq!(streams.len(), 1, "a new login is never reset");
    db.dump().await
}

async fn new_album(owner: &Client, name: &str, assets: &[&str]) -> String {
    let r = owner
        .post("/albums", &json!({ "albumName": name, "assetIds": assets }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

async fn trash(owner: &Client, ids: &[&str], force: bool) {
    let r = owner
        .delete("/assets", &json!({ "ids": ids, "force": force }))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

on_each_engine!(
    after_retention_the_phone_is_reset_wipes_its_mirror_and_ends_like_a_fresh_phone,
    |server| {
        if !keepsake_testkit::phone::schema_available() {
            return;
        }
        let admin = server.admin().await;
        let key = server.user(&admin, "alice@example.com").await;
        let a1 = created_id(&key.upload("one.jpg", fake_jpeg(1, 900)).await);
        let a2 = created_id(&key.upload("two.jpg", fake_jpeg(2, 900)).await);
        let a3 = created_id(&key.upload("three.jpg", fake_jpeg(3, 900)).await);
        let album = new_album(&key, "Trip", &[&a1, &a2]).await;
        admin.wait_for_jobs().await;
        let (mut phone, mut db) = phone_of(&server, true, "alice@example.com").await;
        phone.sync(&mut db, &APP_TYPES).await;
        assert_eq!(db.assets().await.len(), 3);

        // While the phone is away: a1 (the album's cover) is deleted for
        // good, a2 trashed; then housekeeping prunes the delete records as
        // it does once they pass `change_retention_days`.
        trash(&key, &[&a1], true).await;
        trash(&key, &[&a2], false).await;
        admin.wait_for_jobs().await;
        let pruned = server.library.db().prune_deletes(i64::MAX).await.unwrap();
        assert!(pruned >= 1, "the asset's delete record is pruned");

        // The phone could have missed that delete: its next stream is only a
        // reset, and the app wipes its mirror before acking it.
        let reset = phone.sync_into(&mut db, &APP_TYPES).await;
        assert_eq!(kinds(&reset), ["SyncResetV1"]);
        assert!(
            db.dump().await.values().all(Vec::is_empty),
            "the app's reset() empties every mirror table"
        );
        // Then, as the app does, a second stream at once: a full sync.
        let full = phone.sync_into(&mut db, &APP_TYPES).await;
        assert_eq!(full.last().unwrap()["type"], "SyncCompleteV1");
        assert!(!kinds(&full).contains(&"SyncResetV1".to_string()));

        let assets = db.assets().await;
        assert_eq!(
            assets.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([a2.clone(), a3.clone()]),
            "the deleted asset is gone"
        );
        assert!(assets[&a2].is_some(), "the trashed one is trashed");
        assert!(assets[&a3].is_none());
        assert!(!db.exif_assets().await.contains(&a1));
        assert_eq!(
            db.album_assets().await,
            BTreeSet::from([(album.clone(), a2.clone())])
        );
        assert_eq!(
            db.dump().await,
            fresh_phone_tables(&server, "alice@example.com").await,
            "after the reset the phone holds exactly what a new phone would"
        );
        // The reset was acked: it does not come again.
        assert_eq!(
            kinds(&phone.sync_into(&mut db, &APP_TYPES).await),
            ["SyncCompleteV1"]
        );
    }
);

on_each_engine!(
    an_iphone_and_a_pixel_of_one_user_keep_their_own_checkpoints_and_end_equal,
    |server| {
        if !keepsake_testkit::phone::schema_available() {
            return;
        }
        let admin = server.admin().await;
        let key = server.user(&admin, "alice@example.com").await;
        let u1 = created_id(&key.upload("one.jpg", fake_jpeg(11, 900)).await);
        let u2 = created_id(&key.upload("two.jpg", fake_jpeg(12, 900)).await);
        admin.wait_for_jobs().await;
        let (mut iphone, mut idb) = phone_of(&server, true, "alice@example.com").await;
        let (mut pixel, mut pdb) = phone_of(&server, false, "alice@example.com").await;

        iphone.sync(&mut idb, &APP_TYPES).await;
        // The Pixel reads a whole stream but is killed before it stores or
        // acks anything: none of it counts.
        let unread = pixel.stream_lines(&APP_TYPES).await;
        assert_eq!(
            ids_of(&unread, "AssetV2", "id"),
            BTreeSet::from([u1.clone(), u2.clone()])
        );

        let u3 = created_id(&key.upload("three.jpg", fake_jpeg(13, 900)).await);
        let album = new_album(&key, "Both", &[&u1, &u3]).await;
        trash(&key, &[&u2], false).await;
        admin.wait_for_jobs().await;

        // The iPhone acked its first sync: only the changes come.
        let streams = iphone.sync(&mut idb, &APP_TYPES).await;
        assert_eq!(streams.len(), 1, "no reset");
        let lines = &streams[0];
        assert_eq!(
            ids_of(lines, "AssetV2", "id"),
            BTreeSet::from([u2.clone(), u3.clone()]),
            "the trashed and the new asset, nothing already acked"
        );
        assert!(!kinds(lines).contains(&"UserV1".to_string()), "{lines:?}");
        assert_eq!(
            ids_of(lines, "AlbumV2", "id"),
            BTreeSet::from([album.clone()])
        );

        // The Pixel acked nothing: it gets everything, in one stream.
        let streams = pixel.sync(&mut pdb, &APP_TYPES).await;
        assert_eq!(streams.len(), 1, "no reset");
        let lines = &streams[0];
        assert_eq!(
            ids_of(lines, "AssetV2", "id"),
            BTreeSet::from([u1.clone(), u2.clone(), u3.clone()])
        );
        assert!(kinds(lines).contains(&"AuthUserV1".to_string()));
        assert_eq!(idb.dump().await, pdb.dump().await, "both phones agree");

        // A permanent delete reaches each phone once, from its own checkpoint.
        trash(&key, &[&u1], true).await;
        admin.wait_for_jobs().await;
        let i_lines = iphone.sync(&mut idb, &APP_TYPES).await.remove(0);
        assert_eq!(
            ids_of(&i_lines, "AssetDeleteV1", "assetId"),
            BTreeSet::from([u1.clone()])
        );
        let again = iphone.sync(&mut idb, &APP_TYPES).await.remove(0);
        assert_eq!(kinds(&again), ["SyncCompleteV1"], "the iPhone acked it");
        let p_lines = pixel.sync(&mut pdb, &APP_TYPES).await.remove(0);
        assert_eq!(
            ids_of(&p_lines, "AssetDeleteV1", "assetId"),
            BTreeSet::from([u1.clone()]),
            "the iPhone's ack did not move the Pixel's checkpoint"
        );
        let tables = idb.dump().await;
        assert_eq!(tables, pdb.dump().await);
        assert_eq!(
            idb.assets().await.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([u2.clone(), u3.clone()])
        );
        assert_eq!(idb.album_assets().await, BTreeSet::from([(album, u3)]));
        assert_eq!(
            tables,
            fresh_phone_tables(&server, "alice@example.com").await
        );
    }
);

on_each_engine!(
    a_sync_cut_off_midway_resumes_from_the_last_ack_and_ends_like_one_full_sync,
    |server| {
        if !keepsake_testkit::phone::schema_available() {
            return;
        }
        let admin = server.admin().await;
        let alice = server.user(&admin, "alice@example.com").await;
        let bob = server.user(&admin, "bob@example.com").await;
        // A server that has run longer than the retention window has pruned
        // delete records before this phone ever logged in.
        let gone = created_id(&alice.upload("old.jpg", fake_jpeg(21, 900)).await);
        trash(&alice, &[&gone], true).await;
        admin.wait_for_jobs().await;
        assert!(server.library.db().prune_deletes(i64::MAX).await.unwrap() >= 1);

        // More than a page of each kind of row, own and shared, so the cuts
        // fall inside pages of id cursors and of album keyset cursors.
        let own = seed_assets(&server, &alice.user_id, 620, 1).await;
        let theirs = seed_assets(&server, &bob.user_id, 540, 2).await;
        let own_refs: Vec<&str> = own[..300].iter().map(String::as_str).collect();
        new_album(&alice, "Mine", &own_refs).await;
        let theirs_refs: Vec<&str> = theirs.iter().map(String::as_str).collect();
        let shared = new_album(&bob, "Shared", &theirs_refs).await;
        let r = bob
            .put(
                &format!("/albums/{shared}/users"),
                &json!({ "albumUsers": [{ "userId": alice.user_id, "role": "viewer" }] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        let (mut phone, mut db) = phone_of(&server, true, "alice@example.com").await;
        let mut all = Vec::new();
        for n in [300, 700, 900, 1200] {
            let lines = phone.sync_cut_off(&mut db, &APP_TYPES, n).await;
            let k = kinds(&lines);
            assert!(
                !k.contains(&"SyncResetV1".to_string()),
                "a resumed stream goes on from the last ack, it does not start over"
            );
            assert_eq!(lines.len(), n, "the connection dropped after {n} lines");
            assert!(
                !k.contains(&"SyncCompleteV1".to_string()),
                "cut before the end"
            );
            all.extend(lines);
        }
        let rest = phone.sync(&mut db, &APP_TYPES).await;
        assert_eq!(rest.len(), 1, "no reset");
        all.extend(rest.into_iter().flatten());

        // Every row arrived exactly once over all the streams.
        for (kind, field, expected) in [
            ("AssetV2", "id", own.len()),
            ("AssetExifV1", "assetId", own.len()),
            ("AlbumAssetCreateV2", "id", theirs.len()),
            ("AlbumAssetExifCreateV1", "assetId", theirs.len()),
        ] {
            let count = all.iter().filter(|l| l["type"] == kind).count();
            assert_eq!(count, expected, "{kind} lines over all streams");
            assert_eq!(ids_of(&all, kind, field).len(), expected, "{kind} ids");
        }
        assert_eq!(
            all.iter().filter(|l| l["type"] == "AlbumToAssetV1").count(),
            300 + theirs.len()
        );
        assert_eq!(db.assets().await.len(), own.len() + theirs.len());
        assert_eq!(db.album_assets().await.len(), 300 + theirs.len());
        assert_eq!(
            db.dump().await,
            fresh_phone_tables(&server, "alice@example.com").await,
            "the resumed phone equals one that synced once in full"
        );
    }
);

on_each_engine!(
    another_users_library_never_reaches_the_phone_except_an_album_shared_with_it,
    |server| {
        if !keepsake_testkit::phone::schema_available() {
            return;
        }
        let admin = server.admin().await;
        let alice = server.user(&admin, "alice@example.com").await;
        let bob = server.user(&admin, "bob@example.com").await;
        let mine = created_id(&alice.upload("mine.jpg", fake_jpeg(31, 900)).await);
        let my_album = new_album(&alice, "Mine", &[&mine]).await;
        admin.wait_for_jobs().await;
        let (mut phone, mut db) = phone_of(&server, true, "alice@example.com").await;
        phone.sync(&mut db, &APP_TYPES).await;

        // Bob's private life: uploads, albums, trash, deletes.
        let b: Vec<String> = {
            let mut v = Vec::new();
            for seed in 32..37 {
                v.push(created_id(
                    &bob.upload(&format!("b{seed}.jpg"), fake_jpeg(seed, 900))
                        .await,
                ));
            }
            v
        };
        let private = new_album(&bob, "Bob only", &[&b[0], &b[1]]).await;
        let temp = new_album(&bob, "Bob temp", &[&b[2]]).await;
        let family = new_album(&bob, "Family", &[&b[3]]).await;
        trash(&bob, &[&b[1]], false).await;
        trash(&bob, &[&b[2]], true).await;
        let r = bob.delete(&format!("/albums/{temp}"), &json!({})).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = bob
            .patch(
                &format!("/albums/{private}"),
                &json!({ "albumName": "Bob renamed" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        admin.wait_for_jobs().await;

        // What Alice's phone must hold whatever Bob does in private.
        let check_only_mine = async |db: &PhoneDb, step: &str| {
            assert_eq!(
                db.assets().await.keys().cloned().collect::<BTreeSet<_>>(),
                BTreeSet::from([mine.clone()]),
                "{step}: no asset of Bob's"
            );
            assert_eq!(
                db.exif_assets().await,
                BTreeSet::from([mine.clone()]),
                "{step}: exif"
            );
            assert_eq!(
                db.albums().await.keys().cloned().collect::<BTreeSet<_>>(),
                BTreeSet::from([my_album.clone()]),
                "{step}: no album of Bob's"
            );
            assert_eq!(
                db.album_users().await,
                BTreeMap::from([(
                    (my_album.clone(), alice.user_id.clone()),
                    "owner".to_string()
                )]),
                "{step}: album users"
            );
            assert_eq!(
                db.album_assets().await,
                BTreeSet::from([(my_album.clone(), mine.clone())]),
                "{step}: album assets"
            );
        };
        let lines = phone.sync(&mut db, &APP_TYPES).await.remove(0);
        let text = serde_json::to_string(&lines).unwrap();
        for id in b.iter().chain([&private, &temp, &family]) {
            assert!(
                !text.contains(id.as_str()),
                "Bob's {id} reached Alice: {text}"
            );
        }
        check_only_mine(&db, "incremental").await;
        let (mut fresh, mut fresh_db) = phone_of(&server, false, "alice@example.com").await;
        fresh.sync(&mut fresh_db, &APP_TYPES).await;
        check_only_mine(&fresh_db, "full").await;

        // Bob shares one album with Alice: that album, its assets, their
        // EXIF and its owner row arrive, and nothing else of Bob's.
        let r = bob
            .put(
                &format!("/albums/{family}/users"),
                &json!({ "albumUsers": [{ "userId": alice.user_id, "role": "viewer" }] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let streams = phone.sync(&mut db, &APP_TYPES).await;
        assert_eq!(streams.len(), 1, "sharing needs no reset");
        let assets = db.assets().await;
        assert_eq!(
            assets.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([mine.clone(), b[3].clone()])
        );
        assert_eq!(
            db.exif_assets().await,
            BTreeSet::from([mine.clone(), b[3].clone()])
        );
        assert_eq!(
            db.albums().await.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([my_album.clone(), family.clone()])
        );
        assert_eq!(
            db.album_users().await,
            BTreeMap::from([
                (
                    (my_album.clone(), alice.user_id.clone()),
                    "owner".to_string()
                ),
                ((family.clone(), bob.user_id.clone()), "owner".to_string()),
                (
                    (family.clone(), alice.user_id.clone()),
                    "viewer".to_string()
                ),
            ])
        );
        assert_eq!(
            db.album_assets().await,
            BTreeSet::from([
                (my_album.clone(), mine.clone()),
                (family.clone(), b[3].clone())
            ])
        );
        assert!(
            db.users().await.contains(&bob.user_id),
            "the owner's user row"
        );
        assert_eq!(
            db.dump().await,
            fresh_phone_tables(&server, "alice@example.com").await
        );

        // Bob keeps living privately; only the shared album's changes come.
        let later = created_id(&bob.upload("later.jpg", fake_jpeg(40, 900)).await);
        let r = bob
            .put(
                &format!("/albums/{private}/assets"),
                &json!({ "ids": [later] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        trash(&bob, &[&b[4]], true).await;
        admin.wait_for_jobs().await;
        let lines = phone.sync(&mut db, &APP_TYPES).await.remove(0);
        assert_eq!(
            kinds(&lines),
            ["SyncCompleteV1"],
            "nothing of Bob's private changes"
        );

        // Bob takes Alice out again: her phone starts over without his data.
        let r = bob
            .delete(
                &format!("/albums/{family}/user/{}", alice.user_id),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let streams = phone.sync(&mut db, &APP_TYPES).await;
        assert_eq!(kinds(&streams[0]), ["SyncResetV1"]);
        check_only_mine(&db, "after losing the album").await;
    }
);
