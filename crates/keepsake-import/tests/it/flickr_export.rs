//! The Flickr account-export source against exports written by testkit's
//! generator (both JSON layouts, both media zip namings, zipped and
//! extracted) and against hand-written JSON in the reference shapes.

use std::path::{Path, PathBuf};

use keepsake_core::import::{
    Granularity, ItemLocation, Source, SourceDate, SourceError, SourceItem,
};
use keepsake_import::flickr_export::{FlickrExportError, FlickrExportSource};
use keepsake_testkit::flickr_export::{
    ExpectedItem, FlickrExport, FlickrExportBuilder, JsonLayout, JsonState, MediaZips, Taken,
    damage_entry,
};

fn open(paths: &[PathBuf]) -> FlickrExportSource {
    FlickrExportSource::open(paths).unwrap_or_else(|e| panic!("open {paths:?}: {e}"))
}

async fn all_items(source: &mut FlickrExportSource) -> Vec<SourceItem> {
    let mut items = Vec::new();
    while let Some(item) = source.next_item().await.expect("next item") {
        items.push(item);
    }
    items
}

async fn fetch(source: &mut FlickrExportSource, item: &SourceItem, dir: &Path) -> Vec<u8> {
    let dest = dir.join(format!("fetched-{}", item.key));
    source
        .fetch(item, &dest)
        .await
        .unwrap_or_else(|e| panic!("fetch {}: {e}", item.key));
    std::fs::read(dest).expect("fetched file")
}

/// Every field of every item is what the generator wrote.
fn assert_items_match(items: &[SourceItem], export: &FlickrExport) {
    let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    let expected: Vec<&str> = export.items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, expected, "keys and their order");
    for (item, want) in items.iter().zip(&export.items) {
        assert_item(item, want);
    }
}

fn assert_item(item: &SourceItem, want: &ExpectedItem) {
    let key = &want.key;
    assert_eq!(item.file_name, want.file_name, "{key}: file name");
    assert_eq!(item.meta.title, want.title, "{key}: title");
    assert_eq!(
        item.meta.description, want.description,
        "{key}: description"
    );
    assert_eq!(item.meta.tags, want.tags, "{key}: tags");
    assert_eq!(item.meta.taken, want.taken, "{key}: taken");
    assert_eq!(item.meta.location, want.location, "{key}: location");
    assert_eq!(item.meta.extra, want.meta().extra, "{key}: extras");
    assert!(!item.meta.favorite && !item.meta.hidden, "{key}: flags");
    assert_eq!(item.meta, want.meta(), "{key}: all metadata");
    assert_eq!(item.albums, want.albums, "{key}: albums");
    assert_eq!(
        item.skip_reason.is_some(),
        want.missing(),
        "{key}: {:?}",
        item.skip_reason
    );
}

fn extra<'a>(item: &'a SourceItem, name: &str) -> Option<&'a str> {
    item.meta
        .extra
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn current_layout_in_data_download_zips_reads_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(40)
        .files_per_media_zip(15)
        .write(dir.path());
    assert_eq!(export.media.len(), 3);
    assert!(export.media[0].ends_with("data-download-1.zip"));
    assert!(
        export.metadata[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("_part1.zip")
    );
    let mut source = open(&export.paths());
    assert_eq!(source.kind(), "flickr-export");
    assert_eq!(source.total(), 40);
    let items = all_items(&mut source).await;
    assert_items_match(&items, &export);
    // Items point into the media zips.
    let item = &items[0];
    match &item.location {
        ItemLocation::ZipEntry { archive, name } => {
            assert_eq!(archive, export.media_zip_of(&item.key));
            assert_eq!(name, &export.item(&item.key).media_name);
        }
        other => panic!("not a zip entry: {other:?}"),
    }
    // A listed field set, from one generated photo, spelled out.
    let sunset = items
        .iter()
        .find(|i| i.meta.title.as_deref() == Some("Sunset at the park 1"))
        .expect("photo 1");
    assert_eq!(sunset.meta.tags, ["Sunset", "New York"]);
    assert_eq!(extra(sunset, "flickr_privacy"), Some("private"));
    assert_eq!(extra(sunset, "flickr_license"), Some("Attribution License"));
    assert_eq!(
        extra(sunset, "flickr_url"),
        Some(format!("https://www.flickr.com/photos/jdoe/{}/", sunset.key).as_str())
    );
    assert!(source.warnings().is_empty(), "{:?}", source.warnings());
}

#[tokio::test]
async fn legacy_2018_layout_in_dated_zips_reads_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(30)
        .layout(JsonLayout::Legacy2018)
        .media_zips(MediaZips::Dated)
        .files_per_media_zip(12)
        .write(dir.path());
    let first = export.media[0].file_name().unwrap().to_str().unwrap();
    assert!(
        first.starts_with("data_") && first.ends_with("_1.zip"),
        "{first}"
    );
    // Older media names: <id>_<secret>_o.jpg, the basename of `original`.
    let photo = &export.items[0];
    assert!(
        photo.media_name.starts_with(&format!("{}_", photo.key)),
        "{}",
        photo.media_name
    );
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    assert_items_match(&items, &export);
    // 2018 exports have `license: null` and geo as an object.
    assert!(items.iter().all(|i| extra(i, "flickr_license").is_none()));
    assert!(items.iter().any(|i| i.meta.location.is_some()));
}

#[tokio::test]
async fn zips_are_recognised_by_what_they_hold_not_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(12)
        .files_per_media_zip(5)
        .write(dir.path());
    let renamed: Vec<PathBuf> = export
        .paths()
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let to = dir.path().join(format!("Download ({n}).ZIP"));
            std::fs::rename(p, &to).unwrap();
            to
        })
        .collect();
    // Named one by one, and through their folder, in any order.
    let mut reversed = renamed.clone();
    reversed.reverse();
    for paths in [reversed, vec![dir.path().to_path_buf()]] {
        let mut source = open(&paths);
        let items = all_items(&mut source).await;
        let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
        let want: Vec<&str> = export.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, want);
        assert!(items.iter().all(|i| i.skip_reason.is_none()));
    }
}

#[tokio::test]
async fn extracted_folders_and_zips_give_identical_items() {
    let zipped = tempfile::tempdir().unwrap();
    let extracted = tempfile::tempdir().unwrap();
    let builder = FlickrExportBuilder::new(25).files_per_media_zip(10);
    let a = builder.write(zipped.path());
    let b = builder.write_extracted(extracted.path());
    assert!(b.media.iter().all(|p| p.is_dir()));

    let mut from_zips = open(&a.paths());
    let mut from_dir = open(&[extracted.path().to_path_buf()]);
    // A mix: the metadata zip, media extracted.
    let mut mixed_paths = a.metadata.clone();
    mixed_paths.extend(b.media.iter().cloned());
    let mut mixed = open(&mixed_paths);

    let zip_items = all_items(&mut from_zips).await;
    let dir_items = all_items(&mut from_dir).await;
    let mixed_items = all_items(&mut mixed).await;
    assert_items_match(&dir_items, &b);
    let out = tempfile::tempdir().unwrap();
    for ((z, d), m) in zip_items.iter().zip(&dir_items).zip(&mixed_items) {
        for other in [d, m] {
            assert_eq!(z.key, other.key);
            assert_eq!(z.file_name, other.file_name);
            assert_eq!(z.meta, other.meta);
            assert_eq!(z.albums, other.albums);
            assert_eq!(z.skip_reason, other.skip_reason);
        }
        assert!(
            matches!(d.location, ItemLocation::File(_)),
            "{:?}",
            d.location
        );
        let bytes = fetch(&mut from_zips, z, out.path()).await;
        assert_eq!(bytes, fetch(&mut from_dir, d, out.path()).await);
        assert_eq!(bytes, fetch(&mut mixed, m, out.path()).await);
    }
    assert_eq!(zip_items.len(), dir_items.len());
    assert_eq!(zip_items.len(), mixed_items.len());

    // Both given at once: each photo once, read from what was named first.
    let mut both = open(&[zipped.path().to_path_buf(), extracted.path().to_path_buf()]);
    let both_items = all_items(&mut both).await;
    assert_items_match(&both_items, &a);
    assert!(
        both_items
            .iter()
            .all(|i| matches!(i.location, ItemLocation::ZipEntry { .. }))
    );
    assert!(both.warnings().is_empty(), "{:?}", both.warnings());
}

#[tokio::test]
async fn a_video_s_poster_frame_does_not_replace_the_video() {
    let dir = tempfile::tempdir().unwrap();
    let builder = FlickrExportBuilder::new(4).layout(JsonLayout::Legacy2018);
    let export = builder.write_extracted(dir.path());
    let video = export.items.iter().find(|i| i.video).unwrap().clone();
    let spec = builder
        .photos
        .iter()
        .find(|p| p.id.to_string() == video.key)
        .unwrap();
    // The poster, named as the JSON's `original` URL says, next to the video.
    let poster = format!("{}_{}_o.jpg", spec.id, spec.secret);
    std::fs::write(
        export.media_zip_of(&video.key).join(&poster),
        keepsake_testkit::fake_jpeg(9, 300),
    )
    .unwrap();
    let mut source = open(&[dir.path().to_path_buf()]);
    let items = all_items(&mut source).await;
    let item = items.iter().find(|i| i.key == video.key).unwrap();
    assert_eq!(item.file_name, video.media_name);
    assert!(item.file_name.ends_with(".mp4"));
    let out = tempfile::tempdir().unwrap();
    assert_eq!(
        Some(fetch(&mut source, item, out.path()).await),
        video.bytes
    );
    assert_eq!(source.warnings().len(), 1, "{:?}", source.warnings());
    assert!(source.warnings()[0].contains(&poster));
}

#[tokio::test]
async fn fetch_returns_the_exact_bytes_of_photos_and_videos() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(9)
        .videos(2)
        .deflate_media(true)
        .files_per_media_zip(4)
        .write(dir.path());
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    let out = tempfile::tempdir().unwrap();
    let mut videos = 0;
    for item in &items {
        let want = export.item(&item.key);
        let bytes = fetch(&mut source, item, out.path()).await;
        assert_eq!(Some(&bytes), want.bytes.as_ref(), "{}", item.key);
        if want.video {
            videos += 1;
            assert!(item.file_name.ends_with(".mp4"), "{}", item.file_name);
            assert_eq!(&bytes[4..8], b"ftyp");
        } else {
            assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
        }
    }
    assert_eq!(videos, 2);
    // Every item's bytes are distinct.
    let mut all: Vec<&Vec<u8>> = export
        .items
        .iter()
        .filter_map(|i| i.bytes.as_ref())
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 9);
}

#[tokio::test]
async fn a_photo_in_three_albums_is_one_item_with_three_albums() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(12).write(dir.path());
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    let first_photo = export
        .items
        .iter()
        .find(|i| i.albums.len() == 3)
        .expect("a photo in all three albums");
    let matching: Vec<&SourceItem> = items.iter().filter(|i| i.key == first_photo.key).collect();
    assert_eq!(matching.len(), 1, "one item, not one per album");
    let albums = &matching[0].albums;
    let keys: Vec<&str> = albums.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "72157709000000001",
            "72157709000000002",
            "72157709000000003"
        ]
    );
    assert_eq!(albums[0].name, "Album 0");
    assert_eq!(albums[0].description.as_deref(), Some("Photos of album 0"));
    assert_eq!(albums[1].name, "Trips & Tours", "entities decoded");
    assert_eq!(albums[1].description, None);
    assert_eq!(albums[2].description.as_deref(), Some("Best of the year"));
    // Photos in no album have none.
    assert!(items.iter().any(|i| i.albums.is_empty()));
}

#[tokio::test]
async fn unknown_dates_and_granularities() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = FlickrExportBuilder::new(4);
    let ids: Vec<u64> = builder.photos.iter().map(|p| p.id).collect();
    builder.photo_mut(ids[0]).taken = Taken::Unknown;
    builder.photo_mut(ids[1]).taken = Taken::Placeholder;
    builder.photo_mut(ids[2]).taken = Taken::At {
        text: "1950-06-01 00:00:00".into(),
        granularity: Some(4),
    };
    builder.photo_mut(ids[3]).taken = Taken::At {
        text: "1950-01-01 00:00:00".into(),
        granularity: Some(8),
    };
    let export = builder.write(dir.path());
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    assert_items_match(&items, &export);
    let taken = |id: u64| {
        items
            .iter()
            .find(|i| i.key == id.to_string())
            .unwrap()
            .meta
            .taken
    };
    assert_eq!(taken(ids[0]), None, "flagged unknown");
    assert_eq!(taken(ids[1]), None, "the upload second is a placeholder");
    // 1950-06-01 and 1950-01-01 (before the epoch), wall clock as if UTC.
    assert_eq!(
        taken(ids[2]),
        Some(SourceDate::Local(-618_105_600_000, Granularity::Month))
    );
    assert_eq!(
        taken(ids[3]),
        Some(SourceDate::Local(-631_152_000_000, Granularity::Circa))
    );

    // The legacy layout writes the flags as numbers.
    let dir = tempfile::tempdir().unwrap();
    let builder = FlickrExportBuilder::new(20).layout(JsonLayout::Legacy2018);
    let export = builder.write(dir.path());
    let items = all_items(&mut open(&export.paths())).await;
    assert_items_match(&items, &export);
    let grains: Vec<Granularity> = items
        .iter()
        .filter_map(|i| match i.meta.taken {
            Some(SourceDate::Local(_, g)) => Some(g),
            _ => None,
        })
        .collect();
    assert!(grains.contains(&Granularity::Month) && grains.contains(&Granularity::Year));
    assert!(items.iter().any(|i| i.meta.taken.is_none()));
}

#[tokio::test]
async fn html_entities_and_markup_are_decoded_to_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = FlickrExportBuilder::new(3);
    let id = builder.photos[1].id;
    let photo = builder.photo_mut(id);
    photo.title = "Fish &amp; Chips &quot;deluxe&quot; &#8211; Caf&eacute;".into();
    photo.expected_title = Some("Fish & Chips \"deluxe\" – Café".into());
    photo.description = "<p>First <b>bold</b> line</p><p>Second &lt;3 line</p>\n\n\n\n<i>a &lt; b &amp;&amp; c &gt; d</i> 1 < 2 &unknown; &#0;".into();
    photo.expected_description =
        Some("First bold line\nSecond <3 line\n\na < b && c > d 1 < 2 &unknown; &#0;".into());
    let export = builder.write(dir.path());
    let items = all_items(&mut open(&export.paths())).await;
    assert_items_match(&items, &export);
    let item = items.iter().find(|i| i.key == id.to_string()).unwrap();
    assert_eq!(
        item.meta.title.as_deref(),
        Some("Fish & Chips \"deluxe\" – Café")
    );
}

#[tokio::test]
async fn titles_that_are_file_names_name_the_file_instead() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = FlickrExportBuilder::new(4).videos(0);
    let ids: Vec<u64> = builder.photos.iter().map(|p| p.id).collect();
    for (id, title, expected, file_name) in [
        (ids[0], "DSC01234", None, Some("DSC01234.jpg")),
        (
            ids[1],
            "IMG_20190704_183000.JPG",
            None,
            Some("IMG_20190704_183000.jpg"),
        ),
        (ids[2], "Summer2019", Some("Summer2019"), None),
        (ids[3], "2019", Some("2019"), None),
    ] {
        let photo = builder.photo_mut(id);
        photo.title = title.into();
        photo.expected_title = expected.map(str::to_string);
        photo.title_file_name = file_name.map(str::to_string);
    }
    let export = builder.write(dir.path());
    let items = all_items(&mut open(&export.paths())).await;
    assert_items_match(&items, &export);
    assert_eq!(items[0].file_name, "DSC01234.jpg");
    assert_eq!(items[0].meta.title, None);
    // "2019" is also the slug in `2019_<id>_o.jpg`: the JSON decides which number is the id.
    let year = items.iter().find(|i| i.key == ids[3].to_string()).unwrap();
    assert!(year.file_name.starts_with("2019_"), "{}", year.file_name);
}

#[tokio::test]
async fn missing_media_is_yielded_with_a_skip_reason_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = FlickrExportBuilder::new(10).files_per_media_zip(4);
    let gone = builder.photos[5].id;
    builder.photo_mut(gone).media = false;
    // An album lists a photo the export has nothing else for.
    builder.albums[0].photos.push(99_999_999_999);
    let export = builder.write(dir.path());
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    assert_items_match(&items, &export);

    let item = items.iter().find(|i| i.key == gone.to_string()).unwrap();
    let reason = item.skip_reason.as_deref().expect("skip reason");
    let secret = &builder.photos[5].secret;
    assert!(reason.contains("media not found in the export"), "{reason}");
    assert!(reason.contains("give all data-download zips"), "{reason}");
    assert!(
        reason.contains(&format!("{gone}_{secret}_o.jpg")),
        "{reason}"
    );
    assert_eq!(item.file_name, format!("{gone}_{secret}_o.jpg"));
    // Its metadata is still read.
    assert_eq!(item.meta, export.item(&gone.to_string()).meta());
    let out = tempfile::tempdir().unwrap();
    let err = source.fetch(item, &out.path().join("x")).await.unwrap_err();
    assert!(matches!(err, SourceError::Item(_)), "{err:?}");

    let orphan = items.last().unwrap();
    assert_eq!(orphan.key, "99999999999");
    assert!(
        orphan
            .skip_reason
            .as_deref()
            .unwrap()
            .contains("media not found")
    );
    assert_eq!(orphan.albums[0].key, "72157709000000001");

    // Leaving a whole media zip out: every photo in it is reported.
    let without_last: Vec<PathBuf> = export
        .paths()
        .into_iter()
        .filter(|p| p != export.media.last().unwrap())
        .collect();
    let items = all_items(&mut open(&without_last)).await;
    let skipped = items.iter().filter(|i| i.skip_reason.is_some()).count();
    let in_last = export
        .media_home
        .iter()
        .filter(|(_, p)| p == export.media.last().unwrap())
        .count();
    assert_eq!(skipped, in_last + 2);
}

#[tokio::test]
async fn media_without_json_and_broken_json_import_without_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = FlickrExportBuilder::new(8);
    let (absent, broken) = (builder.photos[1].id, builder.photos[3].id);
    builder.photo_mut(absent).json = JsonState::Absent;
    builder.photo_mut(broken).json = JsonState::Broken;
    let export = builder.write(dir.path());
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    assert_items_match(&items, &export);
    for id in [absent, broken] {
        let item = items.iter().find(|i| i.key == id.to_string()).unwrap();
        assert_eq!(item.meta, Default::default());
        assert!(item.skip_reason.is_none());
        let out = tempfile::tempdir().unwrap();
        let bytes = fetch(&mut source, item, out.path()).await;
        assert_eq!(Some(&bytes), export.item(&item.key).bytes.as_ref());
    }
    // Albums still apply: photo 3 is in album 1 (every 3rd photo).
    let broken_item = items.iter().find(|i| i.key == broken.to_string()).unwrap();
    assert_eq!(broken_item.albums.len(), 1);
    let warnings = source.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(&format!("photo_{broken}.json")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_corrupt_zip_fails_at_open_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(10)
        .files_per_media_zip(4)
        .write(dir.path());
    // Cut short, as an interrupted download leaves it.
    let victim = export.media[1].clone();
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    for paths in [export.paths(), vec![dir.path().to_path_buf()]] {
        let err = FlickrExportSource::open(&paths).unwrap_err();
        assert!(
            matches!(err, FlickrExportError::CorruptZip { .. }),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("data-download-2.zip"), "{message}");
        assert!(message.contains("download it again"), "{message}");
    }
    // Not a zip at all.
    std::fs::write(&victim, b"<html>Sign in to Flickr</html>").unwrap();
    let err = FlickrExportSource::open(&export.paths()).unwrap_err();
    assert!(err.to_string().contains("data-download-2.zip"), "{err}");
}

#[tokio::test]
async fn a_corrupt_entry_fails_only_its_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(6).write(dir.path());
    let victim = export.items[2].clone();
    damage_entry(export.media_zip_of(&victim.key), &victim.media_name);
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    let out = tempfile::tempdir().unwrap();
    for item in &items {
        let result = source.fetch(item, &out.path().join(&item.key)).await;
        if item.key == victim.key {
            match result {
                Err(SourceError::Item(message)) => {
                    assert!(message.contains(&victim.media_name), "{message}");
                    assert!(message.contains("data-download-1.zip"), "{message}");
                }
                other => panic!("expected an item error, got {other:?}"),
            }
        } else {
            result.unwrap_or_else(|e| panic!("{}: {e}", item.key));
        }
    }
}

#[tokio::test]
async fn items_come_in_numeric_id_order_then_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let export = FlickrExportBuilder::new(10).write_extracted(dir.path());
    // A media file whose name carries no id still comes along, last.
    let media_dir = &export.media[0];
    std::fs::write(
        media_dir.join("holiday.jpg"),
        export.items[0].bytes.as_ref().unwrap(),
    )
    .unwrap();
    let items = all_items(&mut open(&[dir.path().to_path_buf()])).await;
    let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    let numeric: Vec<u64> = keys[..keys.len() - 1]
        .iter()
        .map(|k| k.parse().unwrap())
        .collect();
    let mut sorted = numeric.clone();
    sorted.sort();
    assert_eq!(numeric, sorted);
    assert!(
        keys[0].len() < keys[keys.len() - 2].len(),
        "9-digit ids first: {keys:?}"
    );
    assert_eq!(keys.last(), Some(&"holiday.jpg"));
    assert_eq!(items.last().unwrap().meta, Default::default());
}

#[tokio::test]
async fn reference_shapes_and_loose_types_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The reference export's newer-layout photo, as Flickr writes it.
    std::fs::write(
        root.join("photo_53001000001.json"),
        r#"{"id": "53001000001", "name": "Sunset at the park", "description": "Golden hour",
            "count_views": "142", "count_faves": "7", "count_comments": "2",
            "date_taken": "2019-07-04 18:30:00", "count_tags": "3", "count_notes": "1",
            "rotation": 0, "date_imported": "2019-07-05 01:30:00",
            "photopage": "https://www.flickr.com/photos/jdoe/53001000001/",
            "original": "https://live.staticflickr.com/65535/53001000001_0f9e8d7c6b_o.jpg",
            "license": "Attribution License",
            "geo": [{"latitude": "40748440", "longitude": "-73985664", "accuracy": "16"}],
            "groups": [], "albums": [],
            "tags": [{"tag": "Sunset", "user": "https://www.flickr.com/photos/jdoe/", "date_create": "2019-07-05 01:31:02"},
                     {"tag": "New York", "user": "https://www.flickr.com/photos/jdoe/", "date_create": "2019-07-05 01:31:02"}],
            "people": [], "notes": [], "privacy": "public",
            "comment_permissions": "any flickr member", "tagging_permissions": "people you follow",
            "safety": "safe", "comments": []}"#,
    )
    .unwrap();
    // The 2018 layout, with loose types: numbers as numbers, a tag as one object,
    // raw and normalised spellings, an empty date taken (exif has it).
    std::fs::write(
        root.join("photo_2634391576.json"),
        r#"{"id": 2634391576, "name": "Lake", "description": null, "count_views": 53,
            "date_taken": "", "date_imported": "1215078510",
            "photopage": "https://www.flickr.com/photos/jdoe/2634391576/",
            "original": "http://farm4.staticflickr.com/3008/2634391576_6ab6f1017f_o.jpg",
            "license": null,
            "geo": {"latitude": 49696401, "longitude": "-123.159753", "accuracy": 15},
            "exif": {"ExifIFD:DateTimeOriginal": {"full": "ExifIFD:DateTimeOriginal",
                     "label": "Date and Time (Original)", "value": "2008:07:01 13:04:18",
                     "raw_value": "2008:07:01 13:04:18"}},
            "tags": {"tag": "newyork", "raw": "New York"},
            "privacy": "Friend & Family", "datetakengranularity": "0"}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("albums.json"),
        r#"{"albums": [{"photo_count": 2, "id": 72157709000000001, "title": "Summer 2019",
            "description": "Trip to NYC", "photos": ["53001000001", 2634391576]}]}"#,
    )
    .unwrap();
    let jpeg = keepsake_testkit::fake_jpeg(1, 400);
    std::fs::write(root.join("sunset_at_the_park_53001000001_o.jpg"), &jpeg).unwrap();
    std::fs::write(root.join("2634391576_6ab6f1017f_o.jpg"), &jpeg).unwrap();
    let items = all_items(&mut open(&[root.to_path_buf()])).await;
    assert_eq!(items.len(), 2);

    let lake = &items[0];
    assert_eq!(lake.key, "2634391576");
    assert_eq!(lake.meta.title.as_deref(), Some("Lake"));
    assert_eq!(lake.meta.description, None);
    assert_eq!(
        lake.meta.taken,
        Some(SourceDate::Local(1_214_917_458_000, Granularity::Second))
    );
    assert_eq!(lake.meta.location, Some((49.696401, -123.159753)));
    assert_eq!(lake.meta.tags, ["New York"]);
    assert_eq!(extra(lake, "flickr_privacy"), Some("friends & family"));
    assert_eq!(
        extra(lake, "flickr_uploaded_at"),
        Some("2008-07-03T09:48:30.000Z")
    );
    assert_eq!(extra(lake, "flickr_license"), None);

    let sunset = &items[1];
    assert_eq!(sunset.key, "53001000001");
    assert_eq!(sunset.file_name, "sunset_at_the_park_53001000001_o.jpg");
    assert_eq!(sunset.meta.title.as_deref(), Some("Sunset at the park"));
    assert_eq!(sunset.meta.description.as_deref(), Some("Golden hour"));
    assert_eq!(
        sunset.meta.taken,
        Some(SourceDate::Local(1_562_265_000_000, Granularity::Second))
    );
    assert_eq!(sunset.meta.location, Some((40.74844, -73.985664)));
    assert_eq!(sunset.meta.tags, ["Sunset", "New York"]);
    assert_eq!(
        sunset.meta.extra,
        [
            (
                "flickr_url".to_string(),
                "https://www.flickr.com/photos/jdoe/53001000001/".to_string()
            ),
            ("flickr_privacy".to_string(), "public".to_string()),
            (
                "flickr_uploaded_at".to_string(),
                "2019-07-05T01:30:00.000Z".to_string()
            ),
            (
                "flickr_license".to_string(),
                "Attribution License".to_string()
            ),
        ]
    );
    for item in &items {
        assert_eq!(item.albums.len(), 1, "{}", item.key);
        assert_eq!(item.albums[0].name, "Summer 2019");
        assert_eq!(item.albums[0].description.as_deref(), Some("Trip to NYC"));
    }
}

#[tokio::test]
async fn paths_that_are_not_an_export_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let err = FlickrExportSource::open(&[dir.path().join("nope.zip")]).unwrap_err();
    assert!(matches!(err, FlickrExportError::NotFound { .. }), "{err:?}");
    let err = FlickrExportSource::open(&[dir.path().to_path_buf()]).unwrap_err();
    assert!(matches!(err, FlickrExportError::Empty { .. }), "{err:?}");
    assert!(err.to_string().contains("data-download"), "{err}");
    // A zip of something else.
    let other = dir.path().join("other.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&other).unwrap());
        zip.start_file("notes.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, b"hello").unwrap();
        zip.finish().unwrap();
    }
    let err = FlickrExportSource::open(std::slice::from_ref(&other)).unwrap_err();
    assert!(
        matches!(err, FlickrExportError::NotAnExport { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("other.zip"), "{err}");
}

#[tokio::test]
async fn two_thousand_items_are_generated_and_planned() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let export = FlickrExportBuilder::new(2000)
        .albums(5)
        .media_zips(MediaZips::Dated)
        .write(dir.path());
    let written = started.elapsed();
    assert_eq!(export.media.len(), 4, "500 files per media zip");
    let started = std::time::Instant::now();
    let mut source = open(&export.paths());
    let items = all_items(&mut source).await;
    let planned = started.elapsed();
    eprintln!("2000 items: written in {written:?}, planned in {planned:?}");
    assert_eq!(items.len(), 2000);
    assert_items_match(&items, &export);
}
