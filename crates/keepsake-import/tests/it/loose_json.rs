//! Flickr's loosely typed JSON: each row gives one field in one of the forms
//! real responses use and what it must decode to.

use keepsake_import::flickr::model::{Photo, PhotoInfo, Photoset, Sizes};
use keepsake_import::flickr::{Granularity, Media};
use serde_json::{Value, json};

fn photo(fields: Value) -> Photo {
    let mut item = json!({"id": "53001000001"});
    if let (Some(map), Some(extra)) = (item.as_object_mut(), fields.as_object()) {
        map.extend(extra.clone());
    }
    serde_json::from_value(item.clone()).unwrap_or_else(|e| panic!("{item}: {e}"))
}

#[test]
fn numbers_flags_and_strings_in_every_form() {
    type Check = fn(&Photo) -> String;
    let rows: &[(Value, Check, &str)] = &[
        (json!({"ispublic": 1}), |p| p.is_public.to_string(), "true"),
        (
            json!({"ispublic": "1"}),
            |p| p.is_public.to_string(),
            "true",
        ),
        (
            json!({"ispublic": "0"}),
            |p| p.is_public.to_string(),
            "false",
        ),
        (
            json!({"ispublic": true}),
            |p| p.is_public.to_string(),
            "true",
        ),
        (
            json!({"ispublic": ""}),
            |p| p.is_public.to_string(),
            "false",
        ),
        (
            json!({"ispublic": null}),
            |p| p.is_public.to_string(),
            "false",
        ),
        (json!({"farm": 66}), |p| p.farm.clone(), "66"),
        (json!({"server": "65535"}), |p| p.server.clone(), "65535"),
        (json!({"id": 4960396261u64}), |p| p.id.clone(), "4960396261"),
        (
            json!({"dateupload": "1562290200"}),
            |p| format!("{:?}", p.date_upload),
            "Some(1562290200)",
        ),
        (
            json!({"dateupload": 1562290200}),
            |p| format!("{:?}", p.date_upload),
            "Some(1562290200)",
        ),
        (
            json!({"dateupload": ""}),
            |p| format!("{:?}", p.date_upload),
            "None",
        ),
        (
            json!({"views": "142"}),
            |p| format!("{:?}", p.views),
            "Some(142)",
        ),
        (json!({"views": 0}), |p| format!("{:?}", p.views), "Some(0)"),
        (
            json!({"datetakengranularity": 0}),
            |p| p.date_taken_granularity.to_string(),
            "0",
        ),
        (
            json!({"datetakengranularity": "6"}),
            |p| p.date_taken_granularity.to_string(),
            "6",
        ),
        (
            json!({"datetakenunknown": "1"}),
            |p| p.date_taken_unknown.to_string(),
            "true",
        ),
        (
            json!({"datetakenunknown": 0}),
            |p| p.date_taken_unknown.to_string(),
            "false",
        ),
        (
            json!({"description": {"_content": "Golden <b>hour</b>"}}),
            |p| p.description.clone(),
            "Golden <b>hour</b>",
        ),
        (
            json!({"description": "plain"}),
            |p| p.description.clone(),
            "plain",
        ),
        (
            json!({"description": {"_content": ""}}),
            |p| p.description.clone(),
            "",
        ),
        (
            json!({"tags": "sunset park newyork"}),
            |p| p.tags.join("|"),
            "sunset|park|newyork",
        ),
        (json!({"tags": ""}), |p| p.tags.len().to_string(), "0"),
        (
            json!({"machine_tags": "dc:year=1950"}),
            |p| p.machine_tags.join("|"),
            "dc:year=1950",
        ),
        (
            json!({"latitude": "40.748440", "longitude": "-73.985664", "accuracy": "16"}),
            |p| format!("{:?}", p.geo().map(|g| (g.latitude, g.accuracy))),
            "Some((40.74844, 16))",
        ),
        (
            json!({"latitude": 0, "longitude": 0, "accuracy": 0}),
            |p| format!("{:?}", p.geo()),
            "None",
        ),
        (
            json!({"latitude": 12.5, "longitude": 3.25, "accuracy": 0}),
            |p| format!("{:?}", p.geo()),
            "None",
        ),
        (
            json!({"o_width": "4000", "o_height": "2667"}),
            |p| format!("{:?}", p.original_dimensions()),
            "Some((4000, 2667))",
        ),
        (
            json!({"width_o": 1920, "height_o": 1080}),
            |p| format!("{:?}", p.original_dimensions()),
            "Some((1920, 1080))",
        ),
        (
            json!({"originalsecret": ""}),
            |p| format!("{:?}", p.original_secret),
            "None",
        ),
        (
            json!({"pathalias": null}),
            |p| format!("{:?}", p.path_alias),
            "None",
        ),
        (
            json!({"media": "video"}),
            |p| format!("{:?}", p.media),
            "Video",
        ),
        (
            json!({"media": "photo"}),
            |p| format!("{:?}", p.media),
            "Photo",
        ),
        (json!({}), |p| format!("{:?}", p.media), "Photo"),
        (
            json!({"isprimary": "1"}),
            |p| p.is_primary.to_string(),
            "true",
        ),
        (
            json!({"date_faved": "1563000000"}),
            |p| format!("{:?}", p.date_faved),
            "Some(1563000000)",
        ),
    ];
    for (fields, check, expected) in rows {
        assert_eq!(check(&photo(fields.clone())), *expected, "{fields}");
    }
}

/// (datetaken, granularity, unknown, expected (y, m, d, h), granularity).
type TakenRow = (
    &'static str,
    Value,
    Value,
    Option<(i64, u32, u32, u32)>,
    Granularity,
);

#[test]
fn taken_dates_keep_granularity_and_refuse_placeholders() {
    let rows: &[TakenRow] = &[
        (
            "2019-07-04 18:30:00",
            json!(0),
            json!("0"),
            Some((2019, 7, 4, 18)),
            Granularity::Exact,
        ),
        (
            "2019-07-15 10:00:00",
            json!("4"),
            json!(0),
            Some((2019, 7, 1, 0)),
            Granularity::Month,
        ),
        (
            "1950-01-01 00:00:00",
            json!(6),
            json!("0"),
            Some((1950, 1, 1, 0)),
            Granularity::Year,
        ),
        (
            "1975-06-01 00:00:00",
            json!(8),
            json!(0),
            Some((1975, 1, 1, 0)),
            Granularity::Circa,
        ),
        (
            "0000-00-00 00:00:00",
            json!(0),
            json!(0),
            None,
            Granularity::Exact,
        ),
        (
            "0000-01-01 00:00:00",
            json!(6),
            json!(0),
            None,
            Granularity::Year,
        ),
        (
            "2016-03-21 16:15:39",
            json!(0),
            json!("1"),
            None,
            Granularity::Exact,
        ),
        ("", json!(""), json!(""), None, Granularity::Exact),
        ("garbage", json!(0), json!(0), None, Granularity::Exact),
    ];
    for (taken, granularity, unknown, expected, expected_granularity) in rows {
        let p = photo(
            json!({"datetaken": taken, "datetakengranularity": granularity, "datetakenunknown": unknown}),
        );
        let date = p.taken();
        assert_eq!(date.granularity, *expected_granularity, "{taken}");
        assert_eq!(
            date.wall_time.map(|c| (c.year, c.month, c.day, c.hour)),
            *expected,
            "{taken} {granularity} {unknown}"
        );
        assert_eq!(date.raw, *taken);
    }
}

#[test]
fn sizes_with_null_empty_and_string_dimensions() {
    let sizes: Sizes = serde_json::from_value(json!({
        "canblog": 0, "canprint": 0, "candownload": "1",
        "size": [
            {"label": "Square", "width": 75, "height": "75", "source": "https://x/s.jpg", "url": "u", "media": "photo"},
            {"label": "700", "width": "", "height": "", "source": "https://x/play/700/s/", "url": "u", "media": "video"},
            {"label": "appletv", "width": null, "height": null, "source": "https://x/play/appletv/s/", "url": "u", "media": "video"}
        ]
    }))
    .expect("sizes");
    assert!(sizes.can_download);
    let dims: Vec<_> = sizes.sizes.iter().map(|s| (s.width, s.height)).collect();
    assert_eq!(dims, [(Some(75), Some(75)), (None, None), (None, None)]);
    assert_eq!(sizes.sizes[1].media, Media::Video);

    // A lone child instead of a list, as XML-to-JSON can give.
    let one: Sizes =
        serde_json::from_value(json!({"size": {"label": "Original", "source": "https://x/o.jpg"}}))
            .expect("one");
    assert_eq!(one.sizes.len(), 1);
}

#[test]
fn photosets_count_photos_either_way() {
    let rows = [
        (
            json!({"id": "1", "count_photos": 1, "count_videos": "1", "title": {"_content": "Summer 2019"}}),
            2,
            "Summer 2019",
        ),
        (
            json!({"id": "1", "photos": "3", "videos": 0, "title": "Plain"}),
            3,
            "Plain",
        ),
        (json!({"id": 72157709000000001u64}), 0, ""),
    ];
    for (value, count, title) in rows {
        let set: Photoset = serde_json::from_value(value.clone()).expect("set");
        assert_eq!(
            (set.item_count(), set.title.as_str()),
            (count, title),
            "{value}"
        );
    }
}

#[test]
fn photo_info_from_the_recorded_video_shape() {
    let info: PhotoInfo = serde_json::from_value(json!({
        "id": "4960396261", "secret": "18120df31a", "server": "4118", "farm": 5,
        "dateuploaded": "1283708608", "isfavorite": 0, "license": "0", "safety_level": "0", "rotation": 0,
        "originalsecret": "db574f5a7d", "originalformat": "jpg", "views": "486", "media": "video",
        "owner": {"nsid": "91178292@N00", "username": "Bram Pitoyo", "realname": "Bram Pitoyo", "path_alias": "brampitoyo"},
        "title": {"_content": "Chandni Chowk Bazaar, 360°"}, "description": {"_content": ""},
        "visibility": {"ispublic": 1, "isfriend": 0, "isfamily": 0},
        "dates": {"posted": "1283708608", "taken": "2010-09-05 10:43:28", "takengranularity": "0", "takenunknown": "0", "lastupdate": "1283787057"},
        "comments": {"_content": "2"}, "notes": {"note": []},
        "tags": {"tag": [{"id": "5127903-4960396261-5898", "author": "91178292@N00", "raw": "Delhi", "_content": "delhi", "machine_tag": 0}]},
        "location": {"latitude": "28.656738", "longitude": "77.230796", "accuracy": "14", "context": "0",
            "locality": {"_content": "New Delhi", "woeid": "2295019"}, "country": {"_content": "India", "woeid": "23424848"}},
        "urls": {"url": [{"type": "photopage", "_content": "https://www.flickr.com/photos/brampitoyo/4960396261/"}]},
        "video": {"ready": 1, "failed": 0, "pending": 0, "duration": "23", "width": "640", "height": "480"}
    }))
    .expect("info");
    assert_eq!(info.title, "Chandni Chowk Bazaar, 360°");
    assert_eq!(info.comments, 2);
    assert_eq!(info.raw_tags(), ["Delhi"]);
    assert_eq!(info.video.as_ref().and_then(|v| v.duration), Some(23));
    let location = info.location.as_ref().expect("location");
    assert_eq!(location.locality.as_deref(), Some("New Delhi"));
    assert_eq!(location.country.as_deref(), Some("India"));
    assert_eq!(info.geo().map(|g| g.accuracy), Some(14));
    assert_eq!(info.dates.posted, Some(1_283_708_608));
    assert_eq!(info.owner.path_alias.as_deref(), Some("brampitoyo"));
}
