//! The media pipeline end to end: uploads flow through metadata extraction,
//! derived images and video encoding on the real job queue, with real JPEGs
//! and videos made by the real ffmpeg.

use keepsake_testkit::fixtures::{self, Exif};
use keepsake_testkit::{Client, fake_jpeg};
use serde_json::{Value, json};

use crate::on_each_engine;

async fn uploaded(client: &Client, name: &str, bytes: Vec<u8>) -> String {
    let r = client.upload(name, bytes).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

/// The admin's "run all" for a queue, then waits for the work to finish.
async fn rerun_all(admin: &Client, queue: &str) {
    let r = admin
        .put(
            &format!("/jobs/{queue}"),
            &json!({ "command": "start", "force": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    admin.wait_for_jobs().await;
}

async fn asset(client: &Client, id: &str) -> Value {
    let r = client.get(&format!("/assets/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

on_each_engine!(
    a_photo_gets_its_exif_date_place_orientation_preview_and_thumbnail,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("photo");
        let jpeg = fixtures::jpeg(&scratch, 1600, 1200, 1);
        let photo = fixtures::with_exif(
            &jpeg,
            &Exif {
                make: Some("Canon".into()),
                model: Some("EOS R5".into()),
                orientation: Some(6),
                date_time_original: Some("2019:07:12 18:15:12".into()),
                offset_time_original: Some("+02:00".into()),
                gps: Some((48.8566, 2.3522)),
                ..Default::default()
            },
        );
        let id = uploaded(&admin, "paris.jpg", photo).await;
        admin.wait_for_jobs().await;
        let a = asset(&admin, &id).await;
        let exif = &a["exifInfo"];
        assert_eq!(exif["make"], "Canon");
        assert_eq!(exif["model"], "EOS R5");
        assert_eq!(exif["dateTimeOriginal"], "2019-07-12T16:15:12.000Z");
        assert_eq!(exif["timeZone"], "UTC+2");
        assert_eq!(a["localDateTime"], "2019-07-12T18:15:12.000Z");
        assert_eq!(a["fileCreatedAt"], "2019-07-12T16:15:12.000Z");
        assert_eq!(exif["city"], "Paris");
        assert_eq!(exif["country"], "France");
        assert!((exif["latitude"].as_f64().unwrap() - 48.8566).abs() < 1e-4);
        assert_eq!(exif["orientation"], "6");
        assert_eq!(exif["exifImageWidth"], 1600);
        assert_eq!(exif["exifImageHeight"], 1200);
        // Orientation 6 turns the picture upright: portrait.
        assert_eq!(
            (a["width"].as_i64(), a["height"].as_i64()),
            (Some(1200), Some(1600))
        );
        assert!(a["thumbhash"].as_str().is_some_and(|t| !t.is_empty()));

        let thumb = admin.get(&format!("/assets/{id}/thumbnail")).await;
        assert_eq!(thumb.status, 200);
        assert_eq!(thumb.content_type, "image/webp");
        assert_eq!(&thumb.bytes[..4], b"RIFF");
        assert_eq!(&thumb.bytes[8..12], b"WEBP");
        let preview = admin
            .get(&format!("/assets/{id}/thumbnail?size=preview"))
            .await;
        assert_eq!(preview.status, 200);
        assert_eq!(preview.content_type, "image/jpeg");
        assert_eq!(&preview.bytes[..2], &[0xFF, 0xD8]);
        let cache = preview.headers["cache-control"].to_str().unwrap();
        assert!(cache.contains("max-age"), "{cache}");

        // A client that has it already gets 304.
        let etag = preview.headers["etag"].clone();
        let again = admin
            .send(
                admin
                    .request(
                        reqwest::Method::GET,
                        &format!("/assets/{id}/thumbnail?size=preview"),
                    )
                    .header("if-none-match", etag),
            )
            .await;
        assert_eq!(again.status, 304);

        // Its camera and place are offered as search values.
        assert_eq!(
            admin
                .get("/search/suggestions?type=camera-make")
                .await
                .json(),
            json!(["Canon"])
        );
        assert_eq!(
            admin
                .get("/search/suggestions?type=city&country=France")
                .await
                .json(),
            json!(["Paris"])
        );
        assert!(
            admin
                .get("/search/suggestions?type=city&country=Spain")
                .await
                .json()
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            admin.get("/search/suggestions?type=planet").await.status,
            400
        );

        // It is on the map, named.
        let markers = admin.get("/map/markers").await.json();
        assert_eq!(markers.as_array().unwrap().len(), 1, "{markers}");
        assert_eq!(markers[0]["id"], id.as_str());
        assert_eq!(markers[0]["city"], "Paris");

        // The timeline groups it by where it was taken, not by upload time.
        let buckets = admin.get("/timeline/buckets").await.json();
        assert_eq!(buckets[0]["timeBucket"], "2019-07-01");
    }
);

on_each_engine!(
    a_corrupt_photo_fails_only_its_own_job_with_the_reason_visible,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("corrupt");
        let good = uploaded(&admin, "good.jpg", fixtures::jpeg(&scratch, 320, 240, 2)).await;
        let bad = uploaded(&admin, "bad.jpg", fake_jpeg(7, 5000)).await;
        admin.wait_for_jobs().await;
        let failed = admin
            .get("/queues/metadataExtraction/jobs?status=failed")
            .await
            .json();
        let failed = failed.as_array().unwrap();
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0]["assetId"], bad.as_str());
        assert!(
            failed[0]["error"].as_str().unwrap().contains("corrupt")
                || failed[0]["error"].as_str().unwrap().contains("unsupported"),
            "{}",
            failed[0]["error"]
        );
        // The good one went all the way; the bad one is still in the library.
        assert_eq!(
            admin.get(&format!("/assets/{good}/thumbnail")).await.status,
            200
        );
        assert_eq!(admin.get(&format!("/assets/{bad}")).await.status, 200);
        assert_eq!(
            admin.get(&format!("/assets/{bad}/thumbnail")).await.status,
            404
        );
    }
);

on_each_engine!(
    a_video_gets_duration_rotation_a_poster_and_a_playable_encoding,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("video");
        // MPEG-4 part 2 is not browser-playable: Immich's "required" policy re-encodes it.
        let mov = fixtures::video(
            &scratch,
            "clip.mov",
            "320x240",
            2,
            &[
                "-c:v",
                "mpeg4",
                "-c:a",
                "aac",
                "-metadata",
                "creation_time=2021-05-04T10:20:30Z",
            ],
        );
        let mov = fixtures::rotate_mov(mov, 90);
        let id = uploaded(&admin, "clip.mov", mov).await;
        admin.wait_for_jobs().await;
        let a = asset(&admin, &id).await;
        assert_eq!(a["type"], "VIDEO");
        let ms = a["duration"].as_i64().unwrap();
        assert!((1900..=2100).contains(&ms), "duration {ms} ms");
        assert_eq!(
            (a["width"].as_i64(), a["height"].as_i64()),
            (Some(240), Some(320))
        );
        assert_eq!(a["fileCreatedAt"], "2021-05-04T10:20:30.000Z");
        let thumb = admin.get(&format!("/assets/{id}/thumbnail")).await;
        assert_eq!(thumb.status, 200, "{}", thumb.body);
        let play = admin
            .send(
                admin
                    .request(
                        reqwest::Method::GET,
                        &format!("/assets/{id}/video/playback"),
                    )
                    .header("range", "bytes=0-99"),
            )
            .await;
        assert_eq!(play.status, 206);
        assert_eq!(play.content_type, "video/mp4");
        assert_eq!(play.bytes.len(), 100);
        assert_eq!(&play.bytes[4..8], b"ftyp");

        // An H.264/AAC MP4 plays as it is: no encoding is made.
        let mp4 = fixtures::video(
            &scratch,
            "plain.mp4",
            "320x240",
            1,
            &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
        );
        let plain = uploaded(&admin, "plain.mp4", mp4.clone()).await;
        admin.wait_for_jobs().await;
        let whole = admin.get(&format!("/assets/{plain}/video/playback")).await;
        assert_eq!(whole.status, 200);
        assert_eq!(whole.bytes, mp4);
        let stats = admin.get("/server/statistics").await.json();
        assert_eq!(stats["videos"], 2);
        assert!(
            stats["usageVideos"].as_i64().unwrap() > mp4.len() as i64,
            "{stats}"
        );
        assert_eq!(stats["usagePhotos"], 0);
    }
);

on_each_engine!(
    a_live_photo_pair_is_linked_whichever_half_arrives_first,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("live");
        let cid = "5B3F2A1C-0D9E-4C7B-A6F1-2E8D9C0B1A23";
        let mov = fixtures::video(
            &scratch,
            "IMG_0001.MOV",
            "320x240",
            1,
            &[
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-movflags",
                "use_metadata_tags",
                "-metadata",
                &format!("com.apple.quicktime.content.identifier={cid}"),
            ],
        );
        let still = fixtures::with_exif(
            &fixtures::jpeg(&scratch, 400, 300, 3),
            &Exif {
                make: Some("Apple".into()),
                apple_content_identifier: Some(cid.into()),
                ..Default::default()
            },
        );
        let video = uploaded(&admin, "IMG_0001.MOV", mov).await;
        admin.wait_for_jobs().await;
        let photo = uploaded(&admin, "IMG_0001.JPG", still).await;
        admin.wait_for_jobs().await;
        let p = asset(&admin, &photo).await;
        let v = asset(&admin, &video).await;
        assert_eq!(p["livePhotoVideoId"], video.as_str(), "{p}\n{v}");
        assert_eq!(v["visibility"], "hidden");
        // The timeline shows the still only.
        let bucket = admin
            .get(&format!(
                "/timeline/bucket?timeBucket={}",
                admin.get("/timeline/buckets").await.json()[0]["timeBucket"]
                    .as_str()
                    .unwrap()
            ))
            .await
            .json();
        assert_eq!(bucket["id"], json!([photo]));
    }
);

on_each_engine!(
    edits_are_written_to_an_xmp_sidecar_and_win_over_the_file_on_re_extraction,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("sidecar");
        let photo = fixtures::with_exif(
            &fixtures::jpeg(&scratch, 320, 240, 4),
            &Exif {
                description: Some("from the camera".into()),
                date_time_original: Some("2015:01:02 03:04:05".into()),
                ..Default::default()
            },
        );
        let id = uploaded(&admin, "edit.jpg", photo).await;
        admin.wait_for_jobs().await;
        assert_eq!(
            asset(&admin, &id).await["exifInfo"]["description"],
            "from the camera"
        );
        let r = admin
            .put(
                &format!("/assets/{id}"),
                &json!({ "description": "Grandma's garden", "rating": 4, "latitude": -33.8688, "longitude": 151.2093 }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["exifInfo"]["city"], "Sydney");
        admin.wait_for_jobs().await;
        let original = asset(&admin, &id).await["originalPath"]
            .as_str()
            .unwrap()
            .to_string();
        let sidecar = std::fs::read_to_string(server.data_dir().join(format!("{original}.xmp")))
            .expect("a sidecar next to the original");
        assert!(sidecar.contains("Grandma's garden") || sidecar.contains("Grandma&apos;s garden"));

        // Re-running extraction for every asset keeps the edit (from the
        // sidecar and the lock), and the camera's date.
        rerun_all(&admin, "metadataExtraction").await;
        let a = asset(&admin, &id).await;
        assert_eq!(a["exifInfo"]["description"], "Grandma's garden");
        assert_eq!(a["exifInfo"]["rating"], 4);
        assert_eq!(a["exifInfo"]["city"], "Sydney");
        assert_eq!(a["localDateTime"], "2015-01-02T03:04:05.000Z");
    }
);

on_each_engine!(
    the_admin_reruns_missing_or_all_thumbnails_and_files_go_with_their_asset,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("rerun");
        let id = uploaded(&admin, "a.jpg", fixtures::jpeg(&scratch, 320, 240, 5)).await;
        admin.wait_for_jobs().await;
        let thumbs_dir = server.data_dir().join("thumbs");
        let count = |dir: &std::path::Path| walk(dir).into_iter().filter(|p| p.is_file()).count();
        assert_eq!(count(&thumbs_dir), 2);
        rerun_all(&admin, "thumbnailGeneration").await;
        let q = admin.get("/queues/thumbnailGeneration").await.json();
        assert_eq!(q["statistics"]["failed"], 0);
        assert_eq!(count(&thumbs_dir), 2, "rebuilt in place, not doubled");
        let r = admin
            .delete("/assets", &json!({ "ids": [id], "force": true }))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        admin.wait_for_jobs().await;
        assert_eq!(
            count(&thumbs_dir),
            0,
            "derived files removed with the asset"
        );
    }
);

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

on_each_engine!(
    a_motion_photo_s_embedded_video_becomes_its_hidden_live_video,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("motion");
        let mp4 = fixtures::video(
            &scratch,
            "motion.mp4",
            "320x240",
            1,
            &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
        );
        let photo = fixtures::motion_photo(&fixtures::jpeg(&scratch, 400, 300, 6), &mp4);
        let id = uploaded(&admin, "PXL_20230401_101010123.MP.jpg", photo).await;
        admin.wait_for_jobs().await;
        let a = asset(&admin, &id).await;
        let video = a["livePhotoVideoId"]
            .as_str()
            .expect("a linked video")
            .to_string();
        let v = asset(&admin, &video).await;
        assert_eq!(v["type"], "VIDEO");
        assert_eq!(v["visibility"], "hidden");
        let original = admin.get(&format!("/assets/{video}/original")).await;
        assert_eq!(original.bytes, mp4, "exactly the embedded bytes");
        // Pixel file names carry UTC time.
        assert_eq!(a["fileCreatedAt"], "2023-04-01T10:10:10.123Z");
        // Running extraction again does not make a second video.
        rerun_all(&admin, "metadataExtraction").await;
        let originals = walk(&server.data_dir().join("library"));
        assert_eq!(originals.len(), 2, "{originals:?}");
    }
);

on_each_engine!(
    tags_come_from_the_sidecar_can_be_changed_and_are_written_back,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("tags");
        let xmp = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmlns:darktable="http://darktable.sf.net/" darktable:history_end="3">
<lr:hierarchicalSubject><rdf:Bag><rdf:li>Places|France|Paris</rdf:li></rdf:Bag></lr:hierarchicalSubject>
</rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let r = admin
            .upload_with_sidecar("tagged.jpg", fixtures::jpeg(&scratch, 320, 240, 8), xmp)
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().unwrap().to_string();
        admin.wait_for_jobs().await;
        let a = asset(&admin, &id).await;
        let values: Vec<&str> = a["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, vec!["Places/France/Paris"]);
        assert_eq!(a["tags"][0]["name"], "Paris");
        // Each level is a tag of its own, nested by parentId.
        let all = admin.get("/tags").await.json();
        assert_eq!(all.as_array().unwrap().len(), 3, "{all}");

        // Add one, take one off: the sidecar follows, other tools' properties stay.
        let family = admin
            .put("/tags", &json!({ "tags": ["People/Family"] }))
            .await;
        assert_eq!(family.status, 200, "{}", family.body);
        let family_id = family.json()[0]["id"].as_str().unwrap().to_string();
        let r = admin
            .put(
                &format!("/tags/{family_id}/assets"),
                &json!({ "ids": [id] }),
            )
            .await;
        assert_eq!(r.json(), json!([{ "id": id, "success": true }]));
        let paris_id = a["tags"][0]["id"].as_str().unwrap().to_string();
        let r = admin
            .delete(&format!("/tags/{paris_id}/assets"), &json!({ "ids": [id] }))
            .await;
        assert_eq!(r.json()[0]["success"], true);
        admin.wait_for_jobs().await;
        let original = asset(&admin, &id).await["originalPath"]
            .as_str()
            .unwrap()
            .to_string();
        let sidecar =
            std::fs::read_to_string(server.data_dir().join(format!("{original}.xmp"))).unwrap();
        assert!(
            sidecar.contains("People|Family") || sidecar.contains("People/Family"),
            "{sidecar}"
        );
        assert!(!sidecar.contains("Paris"), "{sidecar}");
        assert!(sidecar.contains("darktable:history_end"), "{sidecar}");

        // Re-reading the files keeps the user's tags.
        rerun_all(&admin, "metadataExtraction").await;
        let tags = asset(&admin, &id).await["tags"].clone();
        assert_eq!(tags.as_array().unwrap().len(), 1, "{tags}");
        assert_eq!(tags[0]["value"], "People/Family");

        // Another user cannot see or use these tags.
        let bob = server.user(&admin, "bob@example.com").await;
        assert_eq!(bob.get(&format!("/tags/{family_id}")).await.status, 404);
        assert!(bob.get("/tags").await.json().as_array().unwrap().is_empty());
    }
);

on_each_engine!(
    a_sidecar_put_next_to_the_original_is_found_and_read,
    |server| {
        let admin = server.admin().await;
        let scratch = server.scratch("found-sidecar");
        let id = uploaded(&admin, "beach.jpg", fixtures::jpeg(&scratch, 320, 240, 9)).await;
        admin.wait_for_jobs().await;
        let original = asset(&admin, &id).await["originalPath"]
            .as_str()
            .unwrap()
            .to_string();
        // Another tool (darktable, digiKam) wrote `beach.xmp` beside it.
        let stem = original.strip_suffix(".jpg").unwrap();
        std::fs::write(
            server.data_dir().join(format!("{stem}.xmp")),
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5">
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Sunset at the beach</rdf:li></rdf:Alt></dc:description>
</rdf:Description></rdf:RDF></x:xmpmeta>"#,
        )
        .unwrap();
        rerun_all(&admin, "metadataExtraction").await;
        let a = asset(&admin, &id).await;
        assert_eq!(a["exifInfo"]["description"], "Sunset at the beach");
        assert_eq!(a["exifInfo"]["rating"], 5);
    }
);
