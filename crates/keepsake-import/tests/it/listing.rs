//! Listing an account: every item of the stream across pages (photos in no
//! album included), albums and their membership in album order, user lookup,
//! and the fields a listing carries as the fake serves them.

use std::collections::HashSet;

use keepsake_import::flickr::{Granularity, Media, PhotosQuery, Privacy, choose_video_source};
use keepsake_testkit::fake_flickr::{FakeAccount, FakeSet};

use crate::logged_in;

#[tokio::test]
async fn all_photos_come_back_across_pages_including_those_in_no_album() {
    let mut account = FakeAccount::generated(1234);
    // Only a handful are in albums; the rest must still be listed.
    account.sets = vec![FakeSet::new(
        "72157000000000001",
        "Some",
        &["52000000000", "52000000001"],
    )];
    let (fake, client, _clock) = logged_in(account).await;

    let first = client
        .photos_page(&PhotosQuery::all_of("me"), 1)
        .await
        .expect("page 1");
    assert_eq!(
        (first.page, first.pages, first.per_page, first.total),
        (1, 3, 500, 1234)
    );
    let photos = client
        .all_photos(&PhotosQuery::all_of("me"))
        .await
        .expect("all");
    assert_eq!(photos.len(), 1234);
    let ids: HashSet<&str> = photos.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), 1234);
    assert!(ids.contains("52000000999"));
    // Newest upload first, as Flickr lists.
    assert_eq!(photos[0].id, "52000001233");
    assert_eq!(photos.iter().filter(|p| p.is_video()).count(), 176);
    // 1 + 3 pages.
    assert_eq!(fake.calls("flickr.people.getPhotos"), 4);

    let person = client.person("12345678@N00").await.expect("person");
    assert_eq!(
        person.photos.count,
        Some(1234),
        "the completeness check agrees"
    );
}

#[tokio::test]
async fn a_photo_in_three_albums_is_one_item_in_three_memberships() {
    let mut account = FakeAccount::generated(12);
    let shared = "52000000004";
    account.sets = vec![
        FakeSet::new("72157000000000001", "Paris", &[shared, "52000000001"]),
        FakeSet::new("72157000000000002", "Paris", &["52000000002", shared]),
        FakeSet::new("72157000000000003", "Best of", &[shared]),
        FakeSet::new("72157000000000004", "Empty", &[]),
    ];
    let (_fake, client, _clock) = logged_in(account).await;
    let sets = client.all_photosets("12345678@N00").await.expect("sets");
    let titles: Vec<&str> = sets.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Paris", "Paris", "Best of", "Empty"],
        "the user's order, same titles kept"
    );
    assert_eq!(sets[0].item_count(), 2);
    assert_eq!(sets[3].item_count(), 0);

    let mut memberships = 0;
    for set in &sets {
        let ids = client
            .all_photoset_photo_ids(&set.id, "12345678@N00")
            .await
            .expect("members");
        memberships += ids.iter().filter(|id| *id == shared).count();
        if set.id == "72157000000000002" {
            assert_eq!(ids, ["52000000002", shared], "album order");
        }
    }
    assert_eq!(memberships, 3);
    let all = client
        .all_photos(&PhotosQuery::all_of("me"))
        .await
        .expect("all");
    assert_eq!(all.iter().filter(|p| p.id == shared).count(), 1);
}

#[tokio::test]
async fn photosets_and_their_photos_page_through_five_hundred_at_a_time() {
    let mut account = FakeAccount::generated(1100);
    let ids: Vec<String> = account.photos.iter().map(|p| p.id.clone()).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    account.sets = (0..501)
        .map(|i| FakeSet::new(&format!("721570000{i:08}"), &format!("Set {i}"), &[]))
        .collect();
    account
        .sets
        .push(FakeSet::new("72157999999999999", "Everything", &id_refs));
    let (fake, client, _clock) = logged_in(account).await;
    assert_eq!(client.all_photosets("me").await.expect("sets").len(), 502);
    assert_eq!(fake.calls("flickr.photosets.getList"), 2);
    let members = client
        .all_photoset_photo_ids("72157999999999999", "12345678@N00")
        .await
        .expect("members");
    assert_eq!(members, ids, "every member, in album order");
    assert_eq!(fake.calls("flickr.photosets.getPhotos"), 3);
}

#[tokio::test]
async fn the_recorded_fixture_items_decode_field_by_field() {
    let (_fake, client, _clock) = logged_in(FakeAccount::like_recorded_fixtures()).await;
    let photos = client
        .all_photos(&PhotosQuery::all_of("me"))
        .await
        .expect("all");
    assert_eq!(photos.len(), 3);
    let by_id = |id: &str| photos.iter().find(|p| p.id == id).expect(id);

    let sunset = by_id("53001000001");
    assert_eq!(sunset.title, "Sunset at the park");
    assert!(sunset.description.starts_with("Golden hour <a href="));
    assert_eq!(sunset.license.as_deref(), Some("4"));
    assert_eq!(sunset.date_upload, Some(1_562_290_200));
    assert_eq!(sunset.last_update, Some(1_562_300_000));
    let taken = sunset.taken();
    assert_eq!(taken.granularity, Granularity::Exact);
    let wall = taken.wall_time.expect("taken");
    assert_eq!(
        (wall.year, wall.month, wall.day, wall.hour, wall.minute),
        (2019, 7, 4, 18, 30)
    );
    assert_eq!(sunset.tags, ["sunset", "park", "newyork"]);
    let geo = sunset.geo().expect("geotagged");
    assert!((geo.latitude - 40.748440).abs() < 1e-9 && (geo.longitude + 73.985664).abs() < 1e-9);
    assert_eq!(geo.accuracy, 16);
    assert_eq!(sunset.views, Some(142));
    assert_eq!(sunset.original_dimensions(), Some((4000, 2667)));
    assert_eq!(sunset.original_format.as_deref(), Some("jpg"));
    assert_eq!(sunset.privacy(), Privacy::Public);
    assert_eq!(sunset.path_alias.as_deref(), Some("jdoe"));

    let clip = by_id("53001000002");
    assert_eq!(clip.media, Media::Video);
    assert_eq!(clip.geo(), None, "latitude 0 / accuracy 0 is no place");
    assert_eq!(clip.privacy(), Privacy::Private);

    let scan = by_id("53001000003");
    assert!(scan.taken().unknown);
    assert_eq!(scan.taken().wall_time, None);
    assert_eq!(scan.machine_tags, ["dc:year=1950"]);
    assert_eq!(scan.privacy(), Privacy::FriendsAndFamily);
    assert_eq!(scan.title, "");

    let info = client.photo_info("53001000001").await.expect("info");
    assert_eq!(info.raw_tags(), ["Sunset", "park", "New York"]);
    assert_eq!(
        info.location.as_ref().and_then(|l| l.locality.as_deref()),
        Some("New York")
    );
    assert_eq!(
        info.photo_page(),
        Some("https://www.flickr.com/photos/jdoe/53001000001/")
    );
    let raw = client.raw_tags().await.expect("raw tags");
    let newyork = raw.iter().find(|t| t.clean == "newyork").expect("newyork");
    assert_eq!(newyork.raw, ["New York"]);

    let sizes = client.sizes("53001000002").await.expect("sizes");
    let video = choose_video_source(&sizes.sizes, &[]).expect("a source");
    assert!(
        video.original && video.label == "Video Original",
        "{video:?}"
    );
    let appletv = sizes
        .sizes
        .iter()
        .find(|s| s.label == "appletv")
        .expect("appletv");
    assert_eq!((appletv.width, appletv.height), (None, None));
}

#[tokio::test]
async fn users_resolve_from_urls_names_and_nsids() {
    let (_fake, client, _clock) = logged_in(FakeAccount::empty()).await;
    for given in [
        "https://www.flickr.com/photos/jdoe/",
        "www.flickr.com/people/jdoe",
        "jdoe",
        "12345678@N00",
        "me",
    ] {
        assert_eq!(
            client.resolve_user(given).await.expect(given),
            "12345678@N00",
            "{given}"
        );
    }
    let missing = client
        .resolve_user("https://www.flickr.com/photos/nobody/")
        .await;
    assert!(
        matches!(
            missing,
            Err(keepsake_import::flickr::FlickrError::NotFound { .. })
        ),
        "{missing:?}"
    );
}
