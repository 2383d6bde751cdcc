//! The Google Takeout source against generated Takeouts with known truth
//! (`keepsake_testkit::takeout`): every sidecar-solver rule, zipped vs
//! extracted, repeats and albums, Live Photos, skipped files, fetch bytes and
//! damaged archives. Source level only (the engine is tested elsewhere).

use std::path::{Path, PathBuf};
use std::time::Instant;

use keepsake_core::import::{ItemLocation, Source, SourceDate, SourceError, SourceItem};
use keepsake_import::takeout::{TakeoutError, TakeoutSource};
use keepsake_testkit::takeout::{
    self as tk, ExpectedItem, JsonNaming, Photo, Sidecar, TakeoutBuilder, TakeoutTree, folders,
    rules,
};

fn open(paths: &[PathBuf]) -> TakeoutSource {
    TakeoutSource::open(paths).unwrap_or_else(|e| panic!("open {paths:?}: {e}"))
}

async fn all_items(source: &mut TakeoutSource) -> Vec<SourceItem> {
    let mut out = Vec::new();
    while let Some(item) = source.next_item().await.expect("next item") {
        out.push(item);
    }
    out
}

/// What an item says, without where its bytes are.
fn essence(i: &SourceItem) -> String {
    format!(
        "{} | {} | {:?} | {:?} | skip={:?}",
        i.key, i.file_name, i.meta, i.albums, i.skip_reason
    )
}

fn assert_item(item: &SourceItem, want: &ExpectedItem) {
    assert_eq!(item.key, want.key);
    assert_eq!(item.file_name, want.file_name, "{}: file name", want.key);
    assert_eq!(item.meta, want.meta, "{}: metadata", want.key);
    assert_eq!(item.albums, want.albums, "{}: albums", want.key);
    assert_eq!(
        item.skip_reason.is_some(),
        want.skipped,
        "{}: skip reason {:?}",
        want.key,
        item.skip_reason
    );
}

/// Every item, field by field, in the expected order and no others.
fn assert_all(items: &[SourceItem], tree: &TakeoutTree) {
    let got: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    let want: Vec<&str> = tree.expected.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(got, want, "item keys");
    for (item, want) in items.iter().zip(&tree.expected) {
        assert_item(item, want);
    }
}

fn item<'a>(items: &'a [SourceItem], key: &str) -> &'a SourceItem {
    items
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no item {key}; have {:?}", keys(items)))
}

fn keys(items: &[SourceItem]) -> Vec<&str> {
    items.iter().map(|i| i.key.as_str()).collect()
}

fn y19(name: &str) -> String {
    format!("{}/{name}", folders::Y2019)
}

fn y20(name: &str) -> String {
    format!("{}/{name}", folders::Y2020)
}

fn taken_secs(item: &SourceItem) -> Option<i64> {
    match item.meta.taken {
        Some(SourceDate::Instant(ms)) => Some(ms / 1000),
        other => panic!("{}: unexpected date {other:?}", item.key),
    }
}

/// The rules tree extracted, and its items.
async fn extracted_rules() -> (tempfile::TempDir, TakeoutTree, Vec<SourceItem>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = tk::rules_tree();
    let root = tree.write_extracted(dir.path());
    let mut source = open(&[root]);
    assert_eq!(source.kind(), "takeout");
    let items = all_items(&mut source).await;
    (dir, tree, items)
}

/// The rules tree in three zip parts, and its items.
async fn zipped_rules() -> (
    tempfile::TempDir,
    TakeoutTree,
    Vec<PathBuf>,
    Vec<SourceItem>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = tk::rules_tree();
    let zips = tree.write_zips(&dir.path().join("zips"), 3);
    let items = all_items(&mut open(&zips)).await;
    (dir, tree, zips, items)
}

fn extract_zip(zip_path: &Path, into: &Path) {
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(zip_path).expect("open zip")).expect("zip");
    archive.extract(into).expect("extract");
}

#[tokio::test]
async fn an_extracted_takeout_yields_every_expected_item_field_by_field() {
    let (_dir, tree, items) = extracted_rules().await;
    assert_all(&items, &tree);
    for i in &items {
        assert!(
            matches!(&i.location, ItemLocation::File(p) if p.is_file()),
            "{}: {:?}",
            i.key,
            i.location
        );
    }
}

#[tokio::test]
async fn three_zip_parts_yield_the_same_items_as_the_extracted_tree() {
    let (_d1, tree, zips, zipped) = zipped_rules().await;
    let (_d2, _, extracted) = extracted_rules().await;
    assert_all(&zipped, &tree);
    let a: Vec<String> = zipped.iter().map(essence).collect();
    let b: Vec<String> = extracted.iter().map(essence).collect();
    assert_eq!(a, b);
    // The split really did separate sidecars from their media.
    let parts = tree.part_of_files(3);
    let mut split = 0;
    for (i, f) in tree.files.iter().enumerate() {
        if let Some(media) = &f.sidecar_of {
            let m = tree.files.iter().position(|x| &x.path == media).unwrap();
            if parts[m] != parts[i] {
                split += 1;
            }
        }
    }
    assert!(split > 10, "only {split} sidecars in another part");
    for i in &zipped {
        match &i.location {
            ItemLocation::ZipEntry { archive, name } => {
                assert!(zips.contains(archive), "{archive:?}");
                assert!(name.starts_with("Takeout/Google Photos/"), "{name}");
            }
            other => panic!("{}: {other:?}", i.key),
        }
    }
}

#[tokio::test]
async fn zip_parts_and_extracted_parts_mix_into_one_takeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = tk::rules_tree();
    let zips = tree.write_zips(&dir.path().join("zips"), 3);
    // Parts 2 and 3 extracted to one folder (as unzipping them side by side does).
    let extracted = dir.path().join("extracted");
    extract_zip(&zips[1], &extracted);
    extract_zip(&zips[2], &extracted);
    let items = all_items(&mut open(&[zips[0].clone(), extracted.join("Takeout")])).await;
    assert_all(&items, &tree);
    // Part 1 extracted to its own folder too, given as the parent of `Takeout`.
    let other = dir.path().join("part1");
    extract_zip(&zips[0], &other);
    let items = all_items(&mut open(&[other, extracted])).await;
    assert_all(&items, &tree);
}

#[tokio::test]
async fn a_folder_holding_the_zip_parts_is_a_takeout() {
    let (dir, tree, _zips, _) = zipped_rules().await;
    let items = all_items(&mut open(&[dir.path().join("zips")])).await;
    assert_all(&items, &tree);
}

#[tokio::test]
async fn trees_without_the_takeout_folder_and_localized_product_names_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut b = TakeoutBuilder::new().product("Google Fotos");
    b.add(
        Photo::jpeg("IMG_0001.JPG")
            .year_folder("Fotos von 2019")
            .album("Urlaub")
            .sidecar(Sidecar::taken(1_562_955_312)),
    );
    b.add(
        Photo::jpeg("IMG_0002.JPG")
            .year_folder("Fotos von 2020")
            .no_sidecar(),
    );
    let tree = b.build();
    // Zips whose entries start at `Google Fotos/`.
    let zips = tree.write_zips_with_prefix(&dir.path().join("zips"), 2, "");
    let zipped = all_items(&mut open(&zips)).await;
    assert_all(&zipped, &tree);
    // The product folder given directly.
    let root = tree.write_extracted(&dir.path().join("x"));
    let extracted = all_items(&mut open(&[root.join("Google Fotos")])).await;
    assert_all(&extracted, &tree);
    assert_eq!(zipped[0].key, "Fotos von 2019/IMG_0001.JPG");
    assert_eq!(zipped[0].albums[0].name, "Urlaub");
}

#[tokio::test]
async fn sidecar_names_exact_supplemental_and_cut_to_51_characters_are_matched() {
    let (_dir, tree, items) = extracted_rules().await;
    let names: Vec<&str> = tree
        .files
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap())
        .collect();
    for suffix in [
        ".suppl.json",
        ".supplemental-me.json",
        ".supplemental-metad.json",
    ] {
        let n = names
            .iter()
            .find(|n| n.ends_with(suffix))
            .unwrap_or_else(|| panic!("the tree has no *{suffix}"));
        assert_eq!(n.chars().count(), 51, "{n}");
    }
    assert!(names.contains(&"IMG_0001.JPG.json"));
    assert!(names.contains(&"IMG_0002.JPG.supplemental-metadata.json"));
    let legacy_cut = format!("{}.json", &rules::CUT_LEGACY[..46]);
    assert!(names.contains(&legacy_cut.as_str()), "{legacy_cut}");

    assert_eq!(
        taken_secs(item(&items, &y19(rules::FULL))),
        Some(1_562_955_312)
    );
    assert_eq!(
        taken_secs(item(&items, &y19(rules::SUPPLEMENTAL))),
        Some(1_563_100_000)
    );
    assert_eq!(
        taken_secs(item(&items, &y19(rules::CUT_SUPPL))),
        Some(1_563_200_000)
    );
    assert_eq!(
        taken_secs(item(&items, &y19(rules::CUT_SUPPLEMENTAL_ME))),
        Some(1_563_200_001)
    );
    assert_eq!(
        taken_secs(item(&items, &y19(rules::CUT_SUPPLEMENTAL_METAD))),
        Some(1_563_200_002)
    );
    assert_eq!(
        taken_secs(item(&items, &y19(rules::CUT_LEGACY))),
        Some(1_563_300_000)
    );
}

#[tokio::test]
async fn every_sidecar_field_is_read_and_the_title_is_kept_as_extra_only() {
    let (_dir, _tree, items) = extracted_rules().await;
    let full = item(&items, &y19(rules::FULL));
    let m = &full.meta;
    assert_eq!(m.taken, Some(SourceDate::Instant(1_562_955_312_000)));
    assert_eq!(m.file_modified_at, Some(1_563_000_000_000));
    assert_eq!(m.location, Some((48.8584, 2.2945)), "geoData wins");
    assert_eq!(m.description.as_deref(), Some("Under the Eiffel tower"));
    assert_eq!(m.title, None, "the JSON title is a file name");
    assert!(m.favorite && !m.archived && !m.trashed);
    assert_eq!(m.tags, vec!["people/Alice", "people/Bob Smith"]);
    assert_eq!(
        m.extra,
        vec![
            ("takeout_title".to_string(), "IMG_0001.JPG".to_string()),
            (
                "takeout_url".to_string(),
                "https://photos.google.com/photo/AF1QipFULL".to_string()
            ),
        ]
    );
    let supp = item(&items, &y19(rules::SUPPLEMENTAL));
    assert_eq!(
        supp.meta.location,
        Some((41.9028, 12.4964)),
        "geoData 0/0 falls back to geoDataExif"
    );
    assert!(supp.meta.archived);
    assert_eq!(supp.meta.description, None, "empty description is none");
    let dateless = item(&items, &y20(rules::NO_TAKEN_TIME));
    assert_eq!(dateless.meta.taken, None);
    assert_eq!(dateless.meta.description.as_deref(), Some("no date"));
    assert!(
        dateless.albums.is_empty(),
        "a dateless sidecar does not make its year folder an album"
    );
}

#[tokio::test]
async fn numbered_duplicates_take_their_numbered_sidecars() {
    let (_dir, tree, items) = extracted_rules().await;
    let names: Vec<&str> = tree.files.iter().map(|f| f.path.as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("/IMG_1234.JPG(1).json")));
    assert!(
        names
            .iter()
            .any(|n| n.ends_with("/IMG_5678.JPG.supplemental-metadata(1).json"))
    );
    assert_eq!(
        taken_secs(item(&items, &y20(rules::NUMBERED))),
        Some(1_580_000_000)
    );
    assert_eq!(
        taken_secs(item(&items, &y20(rules::NUMBERED_1))),
        Some(1_580_000_001)
    );
    assert_eq!(
        taken_secs(item(&items, &y20(rules::NUMBERED_SUPPL))),
        Some(1_580_100_000)
    );
    assert_eq!(
        taken_secs(item(&items, &y20(rules::NUMBERED_SUPPL_1))),
        Some(1_580_100_001)
    );
}

#[tokio::test]
async fn edited_copies_are_items_of_their_own_with_the_originals_metadata() {
    let (_dir, tree, items) = extracted_rules().await;
    for (original, suffix) in rules::EDITED {
        let (base, ext) = original.rsplit_once('.').unwrap();
        let copy_key = y19(&format!("{base}{suffix}.{ext}"));
        let copy = item(&items, &copy_key);
        let orig = item(&items, &y19(original));
        assert_eq!(copy.meta.taken, orig.meta.taken, "{copy_key}");
        assert_eq!(copy.meta.description, orig.meta.description, "{copy_key}");
        assert_eq!(copy.albums, orig.albums, "{copy_key}");
        assert_eq!(
            copy.meta.extra.last(),
            Some(&("takeout_edited_of".to_string(), orig.key.clone())),
            "{copy_key}"
        );
        assert!(
            !orig
                .meta
                .extra
                .iter()
                .any(|(k, _)| k == "takeout_edited_of")
        );
        assert_item(copy, tree.expected(&copy_key));
    }
    let first = item(&items, &y19("IMG_0003-edited.JPG"));
    assert_eq!(first.albums[0].name, "Urlaub am See");
}

#[tokio::test]
async fn a_sidecar_title_decides_which_file_a_cut_name_belongs_to() {
    let (_dir, tree, items) = extracted_rules().await;
    let json = format!("{}.json", rules::TITLE_STEM);
    assert_eq!(json.len(), 51);
    assert!(tree.files.iter().any(|f| f.path.ends_with(&json)));
    assert_eq!(
        taken_secs(item(&items, &y20(rules::TITLE_OWNER))),
        Some(1_581_000_000)
    );
    assert_eq!(item(&items, &y20(rules::TITLE_OTHER)).meta.taken, None);
}

#[tokio::test]
async fn media_without_a_sidecar_are_imported_without_metadata() {
    let (_dir, _tree, items) = extracted_rules().await;
    let lone = item(&items, &y19(rules::NO_JSON));
    assert_eq!(lone.meta, Default::default());
    assert!(lone.skip_reason.is_none());
    // The file's own EXIF is there for the engine to read.
    let ItemLocation::File(path) = &lone.location else {
        panic!("{:?}", lone.location)
    };
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.windows(19).any(|w| w == b"2019:08:01 10:00:00"));
}

#[tokio::test]
async fn a_file_in_several_albums_and_parts_is_one_item_in_every_album() {
    let (_dir, tree, _zips, items) = zipped_rules().await;
    let full: Vec<&SourceItem> = items
        .iter()
        .filter(|i| i.file_name == rules::FULL)
        .collect();
    assert_eq!(full.len(), 1, "{:?}", keys(&items));
    assert_eq!(full[0].key, y19(rules::FULL), "keyed by its year folder");
    let albums: Vec<(&str, &str)> = full[0]
        .albums
        .iter()
        .map(|a| (a.key.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(
        albums,
        vec![
            (folders::FAMILLE, "Famille Dupont"),
            (folders::PARIS, "Paris 2019")
        ]
    );
    // Repeated across parts: the tree put its copies in different zips.
    let parts = tree.part_of_files(3);
    let copies: Vec<usize> = tree
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_media && f.path.ends_with(&format!("/{}", rules::FULL)))
        .map(|(i, _)| parts[i])
        .collect();
    assert_eq!(copies.len(), 3);
    assert!(copies.iter().any(|p| *p != copies[0]), "{copies:?}");
    // In albums only: keyed by the first album folder in sorted order.
    let album_only = item(&items, &format!("{}/{}", folders::SCANS, rules::ALBUM_ONLY));
    let names: Vec<&str> = album_only.albums.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, vec!["Old scans", "Untitled(1)"]);
    // The sidecar copy in the album folder serves when the year folder has none.
    let via_album = item(&items, &y19(rules::JSON_IN_ALBUM_ONLY));
    assert_eq!(
        via_album.meta.description.as_deref(),
        Some("found in the album folder")
    );
    // Two different photos with one name stay two items.
    assert_eq!(
        taken_secs(item(&items, &y19(rules::SAME_NAME))),
        Some(1_566_000_000)
    );
    assert_eq!(
        taken_secs(item(&items, &y20(rules::SAME_NAME))),
        Some(1_590_000_000)
    );
}

#[tokio::test]
async fn album_folders_are_named_by_their_metadata_title_or_their_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = tk::rules_tree();
    let source = open(&tree.write_zips(dir.path(), 2));
    let albums: Vec<(String, String, Option<String>)> = source
        .albums()
        .iter()
        .map(|a| (a.key.clone(), a.name.clone(), a.description.clone()))
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        albums,
        vec![
            (s(folders::FAMILLE), s("Famille Dupont"), None),
            (s(folders::SCANS), s("Old scans"), None),
            (s(folders::SUMMER), s("Summer 2019"), None),
            (s(folders::PARIS), s("Paris 2019"), Some(s("Spring trip"))),
            (s(folders::UNTITLED), s("Untitled(1)"), None),
            (s(folders::URLAUB), s("Urlaub am See"), None),
            (
                s(folders::VACACIONES),
                s("Vacaciones 2020"),
                Some(s("Playa"))
            ),
        ]
    );
    assert_eq!(source.albums(), tree.albums.as_slice());
    let localized = item(
        source.items(),
        &format!("{}/{}", folders::Y2018_DE, rules::LOCALIZED_YEAR),
    );
    let names: Vec<&str> = localized.albums.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Urlaub am See"],
        "a year folder is not an album"
    );
}

#[tokio::test]
async fn trashed_photos_are_flagged() {
    let (_dir, _tree, items) = extracted_rules().await;
    let trashed: Vec<&str> = items
        .iter()
        .filter(|i| i.meta.trashed)
        .map(|i| i.key.as_str())
        .collect();
    assert_eq!(trashed, vec![y20(rules::TRASHED)]);
}

#[tokio::test]
async fn a_live_photo_still_points_at_its_video_and_both_are_items() {
    let (_dir, _tree, items) = extracted_rules().await;
    let still = item(&items, &y20(rules::LIVE));
    let video = item(&items, &y20(rules::LIVE_VIDEO));
    assert_eq!(
        still.meta.live_video_key.as_deref(),
        Some(video.key.as_str())
    );
    assert_eq!(video.meta.live_video_key, None);
    assert_eq!(still.albums, video.albums);
    let others: Vec<&str> = items
        .iter()
        .filter(|i| i.meta.live_video_key.is_some())
        .map(|i| i.key.as_str())
        .collect();
    assert_eq!(others, vec![still.key.as_str()]);
}

#[tokio::test]
async fn non_media_files_are_not_items_and_unknown_types_are_skipped() {
    let (_dir, _tree, items) = extracted_rules().await;
    for i in &items {
        let lower = i.file_name.to_lowercase();
        assert!(
            !lower.ends_with(".json") && !lower.ends_with(".html"),
            "{}",
            i.key
        );
    }
    let skipped: Vec<&SourceItem> = items.iter().filter(|i| i.skip_reason.is_some()).collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].key, y19(rules::UNSUPPORTED));
    assert!(
        skipped[0].skip_reason.as_deref().unwrap().contains(".pdf"),
        "{:?}",
        skipped[0].skip_reason
    );
}

#[tokio::test]
async fn a_broken_sidecar_costs_only_that_items_metadata() {
    let (_dir, tree, items) = extracted_rules().await;
    let broken = item(&items, &y19(rules::BROKEN_JSON));
    assert_eq!(broken.meta, Default::default());
    assert!(broken.skip_reason.is_none());
    let odd = item(&items, &y19(rules::ODD_JSON));
    assert_item(odd, tree.expected(&y19(rules::ODD_JSON)));
    // Its neighbours are unaffected.
    assert_item(
        item(&items, &y19(rules::SUPPLEMENTAL)),
        tree.expected(&y19(rules::SUPPLEMENTAL)),
    );
}

#[tokio::test]
async fn items_come_sorted_by_key_and_the_same_on_every_open() {
    let (dir, _tree, zips, first) = zipped_rules().await;
    let mut sorted = keys(&first);
    sorted.sort();
    assert_eq!(keys(&first), sorted);
    // Parts given in another order: same items, same keys.
    let mut reversed = zips.clone();
    reversed.reverse();
    let again = all_items(&mut open(&reversed)).await;
    let a: Vec<String> = first.iter().map(essence).collect();
    let b: Vec<String> = again.iter().map(essence).collect();
    assert_eq!(a, b);
    // Split differently: same keys.
    let tree = tk::rules_tree();
    let two = tree.write_zips(&dir.path().join("two"), 2);
    let split = all_items(&mut open(&two)).await;
    assert_eq!(keys(&split), keys(&first));
    // Rewinding starts over.
    let mut source = open(&zips);
    let n = all_items(&mut source).await.len();
    source.rewind();
    assert_eq!(all_items(&mut source).await.len(), n);
}

async fn fetch_all(source: &mut TakeoutSource, tree: &TakeoutTree, scratch: &Path) {
    let items = all_items(source).await;
    assert_eq!(items.len(), tree.expected.len());
    for (n, (i, want)) in items.iter().zip(&tree.expected).enumerate() {
        let dest = scratch.join(format!("fetched-{n}"));
        source.fetch(i, &dest).await.expect("fetch");
        let got = std::fs::read(&dest).unwrap();
        assert!(got == *want.bytes, "{}: bytes differ", i.key);
    }
}

#[tokio::test]
async fn fetch_copies_the_exact_bytes_from_zip_entries_and_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut tree = tk::rules_tree();
    tree.deflate_media = true;
    let zips = tree.write_zips(&dir.path().join("zips"), 3);
    let root = tree.write_extracted(&dir.path().join("x"));
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    fetch_all(&mut open(&zips), &tree, &scratch).await;
    fetch_all(&mut open(&[root]), &tree, &scratch).await;
    // A fresh source can fetch an item listed by another one.
    let items = all_items(&mut open(&zips)).await;
    let mut other = open(&[zips[0].clone()]);
    let far = items
        .iter()
        .find(|i| matches!(&i.location, ItemLocation::ZipEntry { archive, .. } if archive == &zips[2]))
        .expect("an item in part 3");
    let dest = scratch.join("far");
    other
        .fetch(far, &dest)
        .await
        .expect("fetch from an unlisted part");
    assert!(std::fs::read(&dest).unwrap() == *tree.expected(&far.key).bytes);
}

#[tokio::test]
async fn a_truncated_zip_fails_to_open_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = tk::rules_tree();
    let zips = tree.write_zips(dir.path(), 2);
    let bytes = std::fs::read(&zips[1]).unwrap();
    std::fs::write(&zips[1], &bytes[..bytes.len() / 2]).unwrap();
    let err = TakeoutSource::open(&zips).expect_err("a cut zip");
    assert!(matches!(err, TakeoutError::Zip { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&zips[1].display().to_string()), "{msg}");
    assert!(msg.contains("download this Takeout part again"), "{msg}");
}

/// Overwrites `len` bytes of `entry`'s data in `zip` (central directory intact).
fn damage_entry(zip: &Path, entry: &str, at: usize, len: usize) {
    let start = {
        let mut archive =
            zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).expect("readable zip");
        let file = archive.by_name(entry).expect("entry");
        file.data_start().expect("data start") as usize
    };
    let mut bytes = std::fs::read(zip).unwrap();
    for b in &mut bytes[start + at..start + at + len] {
        *b ^= 0x5A;
    }
    std::fs::write(zip, bytes).unwrap();
}

#[tokio::test]
async fn a_damaged_zip_entry_fails_only_its_own_fetch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    for deflate in [false, true] {
        let mut tree = tk::rules_tree();
        tree.deflate_media = deflate;
        let zips = tree.write_zips(&dir.path().join(format!("zips-{deflate}")), 1);
        let victim = format!("Takeout/Google Photos/{}", y19(rules::FULL));
        // Stored: a CRC mismatch; deflated: a broken stream.
        damage_entry(&zips[0], &victim, 100, 64);
        let mut source = open(&zips);
        let items = all_items(&mut source).await;
        let bad = item(&items, &y19(rules::FULL));
        let err = source
            .fetch(bad, &scratch.join("bad"))
            .await
            .expect_err("a damaged entry");
        match &err {
            SourceError::Item(msg) => {
                assert!(msg.contains(&victim), "{msg}");
                assert!(msg.contains("download this Takeout part again"), "{msg}");
            }
            other => panic!("not an item error: {other:?}"),
        }
        let good = item(&items, &y19(rules::SUPPLEMENTAL));
        source
            .fetch(good, &scratch.join("good"))
            .await
            .expect("other entries still fetch");
        assert!(std::fs::read(scratch.join("good")).unwrap() == *tree.expected(&good.key).bytes);
    }
}

#[tokio::test]
async fn bad_paths_get_errors_that_say_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = TakeoutSource::open(&[]).expect_err("no paths");
    assert!(err.to_string().contains(".zip"), "{err}");
    let missing = dir.path().join("takeout-001.zip");
    let err = TakeoutSource::open(std::slice::from_ref(&missing)).expect_err("missing");
    assert!(matches!(err, TakeoutError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("takeout-001.zip"), "{err}");
    let tgz = dir.path().join("takeout-001.tgz");
    std::fs::write(&tgz, b"\x1f\x8b").unwrap();
    let err = TakeoutSource::open(std::slice::from_ref(&tgz)).expect_err("tgz");
    assert!(err.to_string().contains("extract it"), "{err}");
    let not_zip = dir.path().join("photos.zip");
    std::fs::write(&not_zip, b"hello").unwrap();
    let err = TakeoutSource::open(std::slice::from_ref(&not_zip)).expect_err("not a zip");
    assert!(matches!(err, TakeoutError::Zip { .. }), "{err:?}");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = TakeoutSource::open(&[empty]).expect_err("empty");
    assert!(matches!(err, TakeoutError::Empty { .. }), "{err:?}");
}

#[tokio::test]
async fn a_short_prefix_of_a_name_is_not_taken_for_a_cut_sidecar() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut b = TakeoutBuilder::new();
    b.add(
        Photo::jpeg("IMG_0001.JPG")
            .year(2019)
            .naming(JsonNaming::Named(
                "IMG_0001.JPG.supplemental-metadat.json".into(),
            ))
            .sidecar(Sidecar::taken(1_500_000_000)),
    );
    let tree = b.build();
    let items = all_items(&mut open(&[tree.write_extracted(dir.path())])).await;
    // Not cut at 51 and not exact: an arbitrary prefix is not trusted.
    assert_eq!(items[0].meta.taken, None);
}

#[tokio::test]
async fn two_thousand_items_generate_and_plan_in_seconds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let tree = tk::many(2_000);
    let built = started.elapsed();
    assert_eq!(tree.expected.len(), 2_000);
    let zips = tree.write_zips(dir.path(), 3);
    let written = started.elapsed();
    let mut source = open(&zips);
    let planned = started.elapsed();
    let items = all_items(&mut source).await;
    eprintln!("2,000 items: built in {built:?}, zipped by {written:?}, planned by {planned:?}");
    assert_all(&items, &tree);
    let live = items
        .iter()
        .filter(|i| i.meta.live_video_key.is_some())
        .count();
    assert!(live >= 30, "{live} live photos");
}
