//! Fidelity per source, end to end: a generated Google Takeout, a generated
//! Flickr account export and the fake Flickr API, each imported with the real
//! command and checked through the API field by field against what the
//! generator says the source holds.

use std::collections::HashMap;
use std::io::BufRead;
use std::process::Stdio;

use keepsake_library::imports::SourceDate;
use keepsake_testkit::fake_flickr::{
    API_KEY, API_SECRET, FakeAccount, FakeCollection, FakeFlickr, Fault, Route,
};
use keepsake_testkit::{Client, TestServer};
use serde_json::Value;

use crate::imports::{albums_by_name, assets_by_name, command, keepsake};

fn sha1_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use sha1::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(bytes))
}

fn iso(ms: i64) -> String {
    keepsake_core::Timestamp(ms).to_iso()
}

/// Assets by checksum, each with its full record (tags included).
async fn assets_by_checksum(client: &Client) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    for a in assets_by_name(client).await {
        let full = client
            .get(&format!("/assets/{}", a["id"].as_str().unwrap()))
            .await
            .json();
        out.insert(a["checksum"].as_str().unwrap().to_string(), full);
    }
    out
}

/// Album name → asset ids.
async fn album_members(client: &Client) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for album in client.get("/albums").await.json().as_array().unwrap() {
        let mut ids = Vec::new();
        for visibility in ["timeline", "archive"] {
            let body = serde_json::json!({ "albumIds": [album["id"]], "size": 1000, "visibility": visibility });
            let found = client.post("/search/metadata", &body).await.json();
            ids.extend(
                found["assets"]["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].as_str().unwrap().to_string()),
            );
        }
        out.insert(album["albumName"].as_str().unwrap().to_string(), ids);
    }
    out
}

fn tag_values(asset: &Value) -> Vec<String> {
    let mut tags: Vec<String> = asset["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["value"].as_str().unwrap().to_string())
        .collect();
    tags.sort();
    tags
}

async fn owner_email(client: &Client) -> String {
    client.get("/users/me").await.json()["email"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takeout_in_three_zip_parts_arrives_with_dates_places_descriptions_flags_albums_and_live_pairs()
 {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let tree = keepsake_testkit::takeout::rules_tree();
        let parts = tree.write_zips(&server.scratch("takeout"), 3);
        let email = owner_email(&admin).await;
        let mut args = vec!["import", "takeout"];
        let part_names: Vec<String> = parts.iter().map(|p| p.display().to_string()).collect();
        args.extend(part_names.iter().map(String::as_str));
        args.extend(["--user", &email]);
        let out = keepsake(&server, &args, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);

        let assets = assets_by_checksum(&admin).await;
        let albums = album_members(&admin).await;
        let mut checked = 0;
        // A Live Photo's video half is hidden and, as in Immich, in no album.
        let live_videos: Vec<&String> = tree
            .expected
            .iter()
            .filter_map(|i| i.meta.live_video_key.as_ref())
            .collect();
        for item in &tree.expected {
            let sum = sha1_base64(&item.bytes);
            let m = &item.meta;
            if item.skipped || m.trashed {
                let same_bytes_elsewhere = tree.expected.iter().any(|o| {
                    o.key != item.key && !o.skipped && !o.meta.trashed && o.bytes == item.bytes
                });
                if !same_bytes_elsewhere {
                    assert!(
                        !assets.contains_key(&sum),
                        "{} must not be imported",
                        item.key
                    );
                }
                continue;
            }
            let asset = assets
                .get(&sum)
                .unwrap_or_else(|| panic!("{} was not imported", item.key));
            let exif = &asset["exifInfo"];
            let what = &item.key;
            if let Some(SourceDate::Instant(t)) = m.taken {
                assert_eq!(exif["dateTimeOriginal"], iso(t), "{what}: taken time");
            }
            match m.location {
                Some((lat, lon)) => {
                    assert!(
                        (exif["latitude"].as_f64().unwrap() - lat).abs() < 1e-6,
                        "{what}: latitude"
                    );
                    assert!(
                        (exif["longitude"].as_f64().unwrap() - lon).abs() < 1e-6,
                        "{what}: longitude"
                    );
                }
                None => assert!(
                    exif["latitude"].is_null() || item.file_name.to_lowercase().ends_with(".jpg"),
                    "{what}: no place"
                ),
            }
            if let Some(d) = &m.description {
                assert_eq!(exif["description"], d.as_str(), "{what}: description");
            }
            assert_eq!(asset["isFavorite"], m.favorite, "{what}: favourite");
            if m.archived {
                assert_eq!(asset["visibility"], "archive", "{what}: archived");
            }
            let mut want_tags = m.tags.clone();
            want_tags.sort();
            for t in &want_tags {
                assert!(tag_values(asset).contains(t), "{what}: tag {t}");
            }
            for album in item
                .albums
                .iter()
                .filter(|_| !live_videos.contains(&&item.key))
            {
                let members = albums
                    .get(&album.name)
                    .unwrap_or_else(|| panic!("album {} missing", album.name));
                assert!(
                    members.contains(&asset["id"].as_str().unwrap().to_string()),
                    "{what}: in album {}",
                    album.name
                );
            }
            if let Some(video_key) = &m.live_video_key {
                let video = tree.expected(video_key);
                let video_asset = &assets[&sha1_base64(&video.bytes)];
                assert_eq!(
                    asset["livePhotoVideoId"], video_asset["id"],
                    "{what}: live pair"
                );
                assert_eq!(
                    video_asset["visibility"], "hidden",
                    "{what}: the video half is hidden"
                );
            }
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} items checked");
        // Album names and descriptions as the album metadata says.
        let listed = admin.get("/albums").await.json();
        for album in &tree.albums {
            let found = listed
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["albumName"] == album.name.as_str());
            let found = found.unwrap_or_else(|| panic!("album {} missing", album.name));
            if let Some(d) = &album.description {
                assert_eq!(
                    found["description"],
                    d.as_str(),
                    "album {} description",
                    album.name
                );
            }
        }

        // The same Takeout again, extracted this time: nothing new.
        let extracted = tree.write_extracted(&server.scratch("extracted"));
        let again = keepsake(
            &server,
            &[
                "import",
                "takeout",
                extracted.to_str().unwrap(),
                "--user",
                &email,
            ],
            &[],
        );
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert!(again.stderr.contains(" 0 imported"), "{}", again.stderr);
        assert_eq!(assets_by_checksum(&admin).await.len(), assets.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flickr_export_arrives_with_titles_dates_places_tags_privacy_and_albums() {
    use keepsake_testkit::flickr_export::FlickrExportBuilder;
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let export = FlickrExportBuilder::new(40)
            .videos(2)
            .albums(3)
            .write(&server.scratch("export"));
        let email = owner_email(&admin).await;
        let paths: Vec<String> = export
            .paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let mut args = vec!["import", "flickr-export"];
        args.extend(paths.iter().map(String::as_str));
        args.extend(["--user", &email]);
        let out = keepsake(&server, &args, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);

        let assets = assets_by_checksum(&admin).await;
        let albums = album_members(&admin).await;
        for item in &export.items {
            let Some(bytes) = &item.bytes else { continue };
            let what = &item.key;
            let asset = assets
                .get(&sha1_base64(bytes))
                .unwrap_or_else(|| panic!("{what} was not imported"));
            let exif = &asset["exifInfo"];
            assert_eq!(
                asset["originalFileName"],
                item.file_name.as_str(),
                "{what}: file name"
            );
            let description = match (&item.title, &item.description) {
                (Some(t), Some(d)) => format!("{t}\n\n{d}"),
                (Some(t), None) => t.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => String::new(),
            };
            assert_eq!(
                exif["description"],
                description.as_str(),
                "{what}: title and description"
            );
            if let Some(SourceDate::Local(w, _)) = item.taken {
                assert_eq!(asset["localDateTime"], iso(w), "{what}: wall-clock date");
            }
            if let Some((lat, lon)) = item.location {
                assert!(
                    (exif["latitude"].as_f64().unwrap() - lat).abs() < 1e-6,
                    "{what}: latitude"
                );
                assert!(
                    (exif["longitude"].as_f64().unwrap() - lon).abs() < 1e-6,
                    "{what}: longitude"
                );
            }
            let mut want = item.tags.clone();
            want.sort();
            want.dedup();
            for t in &want {
                assert!(
                    tag_values(asset).iter().any(|v| v == t.trim()),
                    "{what}: tag {t} in {:?}",
                    tag_values(asset)
                );
            }
            // Private at Flickr is kept as a fact, not hidden here.
            assert_eq!(
                asset["visibility"], "timeline",
                "{what}: visible to its owner"
            );
            for album in &item.albums {
                let members = &albums[&album.name];
                assert!(
                    members.contains(&asset["id"].as_str().unwrap().to_string()),
                    "{what}: in {}",
                    album.name
                );
            }
        }
        assert_eq!(albums.len(), 3, "{:?}", albums.keys());
    }
}

/// `keepsake flickr login --no-browser`, with the test as the browser.
async fn flickr_login(server: &TestServer, fake: &FakeFlickr, email: &str, env: &[(&str, &str)]) {
    let mut child = command(
        server,
        &["flickr", "login", "--user", email, "--no-browser"],
        env,
    )
    .stdin(Stdio::null())
    .spawn()
    .expect("start flickr login");
    let stdout = child.stdout.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        line
    })
    .await
    .unwrap();
    let url = url.trim().to_string();
    assert!(
        url.starts_with(&fake.oauth_url()),
        "the authorize URL alone on stdout: {url:?}"
    );
    let page = reqwest::get(&url)
        .await
        .expect("the browser follows Flickr's redirect");
    assert_eq!(page.status(), 200);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flickr_account_signs_in_and_arrives_and_a_rate_limit_exits_42_then_resumes() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let admin = server.admin().await;
        let mut account = FakeAccount::like_recorded_fixtures();
        // The album sits in a collection inside a collection.
        account.collections = vec![FakeCollection {
            id: "12345678-72157600000000001".into(),
            title: "Trips".into(),
            collections: vec![FakeCollection {
                id: "12345678-72157600000000002".into(),
                title: "2019".into(),
                collections: vec![],
                set_ids: vec!["72157709000000001".into()],
            }],
            set_ids: vec![],
        }];
        let fake = FakeFlickr::start(account).await;
        let (rest, oauth) = (fake.rest_url(), fake.oauth_url());
        let env = [
            ("KEEPSAKE_FLICKR_API_KEY", API_KEY),
            ("KEEPSAKE_FLICKR_API_SECRET", API_SECRET),
            ("KEEPSAKE_FLICKR_REST_URL", rest.as_str()),
            ("KEEPSAKE_FLICKR_OAUTH_URL", oauth.as_str()),
        ];
        let email = owner_email(&admin).await;
        let out = keepsake(&server, &["import", "flickr", "me", "--user", &email], &env);
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.contains("keepsake flickr login"),
            "says what to do: {}",
            out.stderr
        );

        flickr_login(&server, &fake, &email, &env).await;

        // Flickr rate limits the downloads: a scheduler's run stops with 42.
        fake.inject(
            Route::Media,
            Fault::TooManyRequests { retry_after: None },
            1,
        );
        let out = keepsake(
            &server,
            &[
                "import",
                "flickr",
                "me",
                "--user",
                &email,
                "--exit-on-rate-limit",
            ],
            &env,
        );
        assert_eq!(out.code, 42, "{}", out.stderr);
        assert!(out.stderr.contains("interrupted"), "{}", out.stderr);

        let out = keepsake(&server, &["import", "flickr", "me", "--user", &email], &env);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let runs = admin.get("/imports").await.json();
        assert_eq!(
            runs.as_array().unwrap().len(),
            1,
            "the interrupted run was resumed: {runs}"
        );
        assert_eq!(runs[0]["imported"], 3);

        let by_name: HashMap<String, Value> = assets_by_name(&admin)
            .await
            .into_iter()
            .map(|a| (a["originalFileName"].as_str().unwrap().to_string(), a))
            .collect();
        let sunset = &by_name["53001000001.jpg"];
        let full = admin
            .get(&format!("/assets/{}", sunset["id"].as_str().unwrap()))
            .await
            .json();
        let exif = &full["exifInfo"];
        assert_eq!(
            exif["description"],
            "Sunset at the park\n\nGolden hour link"
        );
        assert_eq!(
            full["localDateTime"], "2019-07-04T18:30:00.000Z",
            "Flickr's wall clock"
        );
        assert_eq!(exif["timeZone"], "America/New_York", "zoned by the place");
        assert_eq!(exif["dateTimeOriginal"], "2019-07-04T22:30:00.000Z");
        assert!((exif["latitude"].as_f64().unwrap() - 40.74844).abs() < 1e-6);
        assert_eq!(
            tag_values(&full),
            ["New York", "Sunset", "park"],
            "tags as typed"
        );
        let clip = &by_name["IMG_0042.mp4"];
        assert_eq!(clip["type"], "VIDEO");
        assert_eq!(
            clip["visibility"], "timeline",
            "private at Flickr, visible to its owner"
        );
        let scan = &by_name["53001000003.png"];
        assert_eq!(
            scan["fileCreatedAt"], "2016-03-21T16:16:13.000Z",
            "an unknown date falls back to the upload"
        );
        let albums = albums_by_name(&admin).await;
        assert_eq!(
            albums,
            vec![("Trips/2019/Summer 2019".to_string(), 2)],
            "an album inside collections is named by its full path"
        );

        // Again: nothing new.
        let out = keepsake(&server, &["import", "flickr", "me", "--user", &email], &env);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains(" 0 imported, 3 duplicate"),
            "{}",
            out.stderr
        );
    }
}
