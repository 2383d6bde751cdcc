//! Downloading originals: streamed to the caller's writer, resumed with
//! `Range` after a dropped connection (or re-read and skipped when the server
//! ignores `Range`), the same bytes either way; video originals through the
//! `/play/` redirect and the documented fallbacks.

use keepsake_import::flickr::{FlickrError, PhotosQuery, extension_for_content_type};
use keepsake_testkit::fake_flickr::{FakeAccount, FakePhoto, Fault, Route};
use sha1::{Digest, Sha1};

use crate::logged_in;

const BIG: u64 = 52_100_000_001;

fn account_with_a_big_photo() -> FakeAccount {
    let mut photo = FakePhoto::photo(BIG);
    photo.original = keepsake_testkit::fake_jpeg(7, 300_000).into();
    FakeAccount {
        photos: vec![photo],
        ..FakeAccount::empty()
    }
}

fn sha1_hex(bytes: &[u8]) -> String {
    Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn the_photo(
    client: &keepsake_import::flickr::FlickrClient,
) -> keepsake_import::flickr::Photo {
    let mut all = client
        .all_photos(&PhotosQuery::all_of("me"))
        .await
        .expect("list");
    all.pop().expect("one photo")
}

#[tokio::test]
async fn a_download_dropped_midway_resumes_and_yields_identical_bytes() {
    let (fake, client, _clock) = logged_in(account_with_a_big_photo()).await;
    let photo = the_photo(&client).await;
    let source = client.original_source(&photo).await.expect("source");
    assert!(source.original);
    fake.inject(
        Route::Media,
        Fault::Drop {
            after_bytes: 100_000,
        },
        1,
    );

    let mut out: Vec<u8> = Vec::new();
    let download = client
        .download(&source.url, &mut out)
        .await
        .expect("download");
    let expected = fake.original_bytes(&photo.id).expect("bytes");
    assert_eq!(download.bytes, expected.len() as u64);
    assert_eq!(download.resumes, 1);
    assert_eq!(download.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(sha1_hex(&out), sha1_hex(&expected));
    assert_eq!(fake.calls("media"), 2);
}

#[tokio::test]
async fn a_server_that_ignores_range_still_yields_identical_bytes() {
    let (fake, client, _clock) = logged_in(account_with_a_big_photo()).await;
    fake.set_range_support(false);
    let photo = the_photo(&client).await;
    let source = client.original_source(&photo).await.expect("source");
    fake.inject(
        Route::Media,
        Fault::Drop {
            after_bytes: 150_000,
        },
        2,
    );
    let mut out: Vec<u8> = Vec::new();
    client
        .download(&source.url, &mut out)
        .await
        .expect("download");
    let expected = fake.original_bytes(&photo.id).expect("bytes");
    assert_eq!(sha1_hex(&out), sha1_hex(&expected));
    assert_eq!(fake.calls("media"), 3);
}

#[tokio::test]
async fn downloads_to_a_file_ride_out_a_429_and_a_503() {
    let (fake, client, clock) = logged_in(account_with_a_big_photo()).await;
    let photo = the_photo(&client).await;
    let source = client.original_source(&photo).await.expect("source");
    fake.inject(
        Route::Media,
        Fault::TooManyRequests {
            retry_after: Some("3".into()),
        },
        1,
    );
    fake.inject(Route::Media, Fault::Status(503), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("original.jpg");
    let download = client
        .download_to_file(&source.url, &path)
        .await
        .expect("download");
    let on_disk = std::fs::read(&path).expect("read");
    assert_eq!(download.bytes, on_disk.len() as u64);
    assert_eq!(
        sha1_hex(&on_disk),
        sha1_hex(&fake.original_bytes(&photo.id).expect("bytes"))
    );
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn a_missing_original_is_not_found_at_once() {
    let (fake, client, _clock) = logged_in(account_with_a_big_photo()).await;
    let photo = the_photo(&client).await;
    let url = photo
        .url_o
        .clone()
        .expect("url_o")
        .replace("_o.jpg", "_o.png");
    let mut out: Vec<u8> = Vec::new();
    let error = client.download(&url, &mut out).await.expect_err("404");
    assert!(matches!(error, FlickrError::NotFound { .. }), "{error:?}");
    assert_eq!(fake.calls("media"), 1);
    assert!(out.is_empty());
}

#[tokio::test]
async fn video_originals_come_through_the_play_redirect_with_their_own_type() {
    let (fake, client, _clock) = logged_in(FakeAccount::like_recorded_fixtures()).await;
    let all = client
        .all_photos(&PhotosQuery::all_of("me"))
        .await
        .expect("list");
    let video = all.iter().find(|p| p.is_video()).expect("a video");
    let source = client.original_source(video).await.expect("source");
    assert_eq!(
        (source.label.as_str(), source.original),
        ("Video Original", true)
    );
    assert!(source.url.contains("/play/orig/"));
    assert_ne!(
        Some(&source.url),
        video.url_o.as_ref(),
        "the poster is not the original"
    );

    let mut out: Vec<u8> = Vec::new();
    let download = client
        .download(&source.url, &mut out)
        .await
        .expect("download");
    assert!(
        download.final_url.contains("/video/"),
        "{}",
        download.final_url
    );
    let content_type = download.content_type.as_deref().unwrap_or("");
    assert_eq!(extension_for_content_type(content_type), Some("mov"));
    assert_eq!(
        sha1_hex(&out),
        sha1_hex(&fake.original_bytes(&video.id).expect("bytes"))
    );
}

#[tokio::test]
async fn videos_without_video_original_fall_back_in_the_documented_order() {
    let mut account = FakeAccount::empty();
    let mut via_streams = FakePhoto::video(52_200_000_001);
    if let Some(v) = via_streams.video.as_mut() {
        v.original_in_sizes = false;
    }
    let mut transcode_only = FakePhoto::video(52_200_000_002);
    if let Some(v) = transcode_only.video.as_mut() {
        v.original_in_sizes = false;
        v.original_in_streams = false;
    }
    account.photos = vec![via_streams, transcode_only];
    let (fake, client, _clock) = logged_in(account).await;
    let all = client
        .all_photos(&PhotosQuery::all_of("me"))
        .await
        .expect("list");
    let by_id = |id: &str| all.iter().find(|p| p.id == id).expect(id);

    let streamed = client
        .original_source(by_id("52200000001"))
        .await
        .expect("source");
    assert_eq!((streamed.label.as_str(), streamed.original), ("orig", true));
    let mut out: Vec<u8> = Vec::new();
    client
        .download(&streamed.url, &mut out)
        .await
        .expect("download");
    assert_eq!(
        sha1_hex(&out),
        sha1_hex(&fake.original_bytes("52200000001").expect("bytes"))
    );

    let fallback = client
        .original_source(by_id("52200000002"))
        .await
        .expect("source");
    assert_eq!(
        (fallback.label.as_str(), fallback.original),
        ("1080p", false),
        "flagged as not original"
    );
    assert_eq!(fake.calls("flickr.video.getStreamInfo"), 2);
}
