//! The solver: from every file of a Takeout (listed, JSONs read) to items.
//! Folders are merged by name across parts and roots; media are matched to
//! their JSON sidecars folder by folder; repeats are merged by (file name,
//! size); keys, albums, edited copies and Live Photo pairs are settled last.
//! See the `takeout` module doc for the rules.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;

use keepsake_core::AssetType;
use keepsake_core::import::{ItemLocation, ItemMeta, SourceAlbum, SourceItem};

use super::names::{
    self, ALBUM_METADATA_NAMES, FileKind, JsonName, OTHER_JSON_NAMES, SUPPLEMENTAL,
};
use super::sidecar::{Doc, EXTRA_EDITED_OF};

/// One file as listed in a zip part or a folder.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The folders above the file, outermost first.
    pub dirs: Vec<String>,
    pub name: String,
    pub size: u64,
    pub location: ItemLocation,
}

/// What the solver found.
#[derive(Debug, Default)]
pub struct Plan {
    /// Sorted by key.
    pub items: Vec<SourceItem>,
    /// Every album some item is in, sorted by key.
    pub albums: Vec<SourceAlbum>,
}

/// Names of the Google Photos product folder under `Takeout/`, by locale (lower case).
const PRODUCT_NAMES: &[&str] = &[
    "google photos",
    "google fotos",
    "google foto",
    "google zdjęcia",
    "google фото",
    "google φωτογραφίες",
    "google フォト",
    "google 相簿",
    "google 相册",
    "google 포토",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    /// `Photos from 2019`: where every photo is; not an album.
    Year,
    /// Files with no folder at all (a zip or folder of loose files).
    Loose,
    Album,
}

#[derive(Debug)]
struct MediaFile {
    name: String,
    size: u64,
    location: ItemLocation,
    kind: FileKind,
}

#[derive(Debug, Default)]
struct Folder {
    media: Vec<MediaFile>,
    jsons: BTreeMap<String, Doc>,
    role: Option<Role>,
    album: Option<SourceAlbum>,
    /// Sidecar candidates: number → stem → JSON names.
    index: HashMap<u32, HashMap<String, Vec<String>>>,
    /// The media file names, for titles that name another file.
    names: HashSet<String>,
}

impl Folder {
    fn role(&self) -> Role {
        self.role.unwrap_or(Role::Album)
    }
}

/// One appearance of a media file in one folder, its sidecar solved.
#[derive(Debug)]
struct Occurrence {
    folder: String,
    name: String,
    size: u64,
    location: ItemLocation,
    kind: FileKind,
    sidecar: Option<String>,
    /// (name, size) of the original this edited copy was made from, in the same folder.
    edited_of: Option<(String, u64)>,
}

fn folder_of(dirs: &[String]) -> (String, String) {
    match dirs.split_last() {
        Some((folder, root)) => (root.join("/"), folder.clone()),
        None => (String::new(), String::new()),
    }
}

/// Whether a name alone says a root holds Google Photos files.
fn says_photos(root: &str, folder: &str, name: &str, kind: FileKind) -> bool {
    let product = root.rsplit('/').next().unwrap_or("").to_lowercase();
    if PRODUCT_NAMES.contains(&product.as_str()) || names::is_year_folder(folder) {
        return true;
    }
    if kind != FileKind::Json {
        return false;
    }
    let lower = name.to_lowercase();
    if ALBUM_METADATA_NAMES.contains(&lower.as_str()) {
        return true;
    }
    names::parse_json_name(name).is_some_and(|j| {
        j.stem.contains(".supplemental") || matches!(names::file_kind(&j.stem), FileKind::Media(_))
    })
}

/// Solves a listing. `read` returns a JSON file's bytes (only JSONs are read).
pub fn plan<F>(files: Vec<Listed>, mut read: F) -> Plan
where
    F: FnMut(&Listed) -> io::Result<Vec<u8>>,
{
    // Which roots (the path above the album and year folders) hold photos:
    // a whole account's Takeout has other products too.
    let mut files: Vec<(String, String, FileKind, Listed)> = files
        .into_iter()
        .filter_map(|f| {
            let kind = names::file_kind(&f.name);
            if kind == FileKind::Ignored {
                return None;
            }
            let (root, folder) = folder_of(&f.dirs);
            Some((root, folder, kind, f))
        })
        .collect();
    let photo_roots: BTreeSet<String> = files
        .iter()
        .filter(|(root, folder, kind, f)| says_photos(root, folder, &f.name, *kind))
        .map(|(root, ..)| root.clone())
        .collect();
    if !photo_roots.is_empty() {
        files.retain(|(root, ..)| photo_roots.contains(root));
    }

    let mut folders: BTreeMap<String, Folder> = BTreeMap::new();
    for (_, folder_name, kind, f) in files {
        let folder = folders.entry(folder_name.clone()).or_default();
        match kind {
            FileKind::Json => {
                if OTHER_JSON_NAMES.contains(&f.name.to_lowercase().as_str())
                    || folder.jsons.contains_key(&f.name)
                {
                    continue;
                }
                let doc = match read(&f) {
                    Ok(bytes) => Doc::parse(&bytes),
                    Err(e) => Doc::Broken(format!("cannot read it: {e}")),
                };
                folder.jsons.insert(f.name, doc);
            }
            FileKind::Media(_) | FileKind::Unsupported => {
                if folder
                    .media
                    .iter()
                    .any(|m| m.name == f.name && m.size == f.size)
                {
                    continue; // the same file given twice (zipped and extracted)
                }
                folder.media.push(MediaFile {
                    name: f.name,
                    size: f.size,
                    location: f.location,
                    kind,
                });
            }
            FileKind::Ignored => {}
        }
    }

    for (name, folder) in folders.iter_mut() {
        settle_folder(name, folder);
    }

    let mut occurrences = Vec::new();
    for (name, folder) in &folders {
        solve_folder(name, folder, &mut occurrences);
    }

    assemble(&folders, occurrences)
}

/// Chooses the album metadata file, the folder's role and album, and indexes sidecars.
fn settle_folder(name: &str, folder: &mut Folder) {
    folder
        .media
        .sort_by(|a, b| (&a.name, a.size).cmp(&(&b.name, b.size)));
    let media_names: BTreeSet<&str> = folder.media.iter().map(|m| m.name.as_str()).collect();
    let names_a_media = |json: &str| {
        names::parse_json_name(json).is_some_and(|j| {
            let stem = j.stem.strip_suffix(SUPPLEMENTAL).unwrap_or(&j.stem);
            media_names.contains(stem)
        })
    };
    // A sidecar that lacks `photoTakenTime` reads like album metadata: only
    // files with a metadata name, or named like no sidecar, are candidates.
    let known = |n: &str| ALBUM_METADATA_NAMES.contains(&n.to_lowercase().as_str());
    let sidecar_like = |n: &str| {
        names_a_media(n)
            || names::parse_json_name(n).is_some_and(|j| {
                j.stem.contains(".supplemental")
                    || names::may_be_truncated(&j)
                    || names::file_kind(&j.stem) != FileKind::Unsupported
            })
    };
    let mut candidates: Vec<&String> = folder
        .jsons
        .iter()
        .filter(|(n, d)| matches!(d, Doc::Album { .. }) && (known(n) || !sidecar_like(n)))
        .map(|(n, _)| n)
        .collect();
    candidates.sort_by_key(|n| !known(n));
    let chosen = candidates.first().map(|n| (*n).clone());
    // A broken file with a metadata name still says "this is an album".
    let broken_metadata = chosen.is_none()
        && folder.jsons.iter().any(|(n, d)| {
            matches!(d, Doc::Broken(_)) && ALBUM_METADATA_NAMES.contains(&n.to_lowercase().as_str())
        });
    let role = if name.is_empty() {
        Role::Loose
    } else if chosen.is_none() && !broken_metadata && names::is_year_folder(name) {
        Role::Year
    } else {
        Role::Album
    };
    if role == Role::Album {
        let (title, description) = match chosen.as_ref().and_then(|c| folder.jsons.get(c)) {
            Some(Doc::Album {
                title, description, ..
            }) => (title.clone(), description.clone()),
            _ => (None, None),
        };
        let title = title
            .map(|t| t.trim().to_string())
            .filter(|t| !names::is_untitled(t));
        folder.album = Some(SourceAlbum {
            key: name.to_string(),
            name: title.unwrap_or_else(|| name.to_string()),
            description,
        });
    }
    for (json, doc) in &folder.jsons {
        if Some(json) == chosen.as_ref() {
            continue;
        }
        if let Doc::Broken(e) = doc
            && ALBUM_METADATA_NAMES.contains(&json.to_lowercase().as_str())
        {
            tracing::warn!(
                folder = name,
                json,
                "album metadata unreadable ({e}); naming the album by its folder"
            );
            continue;
        }
        if let Some(JsonName { stem, n }) = names::parse_json_name(json) {
            folder
                .index
                .entry(n)
                .or_default()
                .entry(stem)
                .or_default()
                .push(json.clone());
        }
    }
    folder.names = folder.media.iter().map(|m| m.name.clone()).collect();
    folder.role = Some(role);
}

/// How well a sidecar fits: (exact name, title agrees, numbered like the
/// file, length of the name matched); higher is better.
type Score = (bool, bool, bool, usize);

/// An edited copy's sidecar and its original's (name, size).
type EditedInfo = (Option<String>, Option<(String, u64)>);

/// The sidecar of `media` in `folder`: exact names first, then names Google
/// cut short (when `truncated`); the JSON's `title` breaks ties and vetoes a
/// cut name that is really another file's.
fn find_sidecar(folder: &Folder, media: &str, truncated: bool) -> Option<String> {
    let mut best: Option<(Score, &String)> = None;
    for (name, n) in names::sidecar_names(media) {
        let Some(stems) = folder.index.get(&n) else {
            continue;
        };
        let target = format!("{name}{SUPPLEMENTAL}");
        for cut in (1..=target.len()).rev() {
            if !target.is_char_boundary(cut) {
                continue;
            }
            let exact = cut == target.len() || cut == name.len();
            if !exact && !truncated {
                continue;
            }
            let Some(jsons) = stems.get(&target[..cut]) else {
                continue;
            };
            for json in jsons {
                let title = folder.jsons.get(json).and_then(Doc::media_title);
                let agrees = title.is_some_and(|t| names::title_names(t, media));
                if !exact {
                    let Some(parsed) = names::parse_json_name(json) else {
                        continue;
                    };
                    if !names::may_be_truncated(&parsed) {
                        continue;
                    }
                    if let Some(t) = title
                        && !agrees
                        && t != media
                        && folder.names.contains(t)
                    {
                        continue; // the title names another file here
                    }
                }
                let score = (exact, agrees, n > 0, cut);
                if best.as_ref().is_none_or(|b| b.0 < score) {
                    best = Some((score, json));
                }
            }
        }
    }
    best.map(|b| b.1.clone())
}

fn solve_folder(folder_name: &str, folder: &Folder, out: &mut Vec<Occurrence>) {
    let mut matched: HashMap<&str, Option<String>> = HashMap::new();
    let mut edited = Vec::new();
    for m in &folder.media {
        let originals: Vec<String> = names::edited_originals(&m.name);
        if originals.is_empty() {
            matched.insert(&m.name, find_sidecar(folder, &m.name, true));
        } else {
            edited.push((m, originals));
        }
    }
    let mut edited_info: HashMap<(&str, u64), EditedInfo> = HashMap::new();
    for (m, originals) in edited {
        let original = originals.iter().find_map(|o| {
            folder
                .media
                .iter()
                .find(|f| &f.name == o)
                .map(|f| (f.name.clone(), f.size))
        });
        let sidecar = find_sidecar(folder, &m.name, false)
            .or_else(|| match &original {
                Some((o, _)) => matched
                    .get(o.as_str())
                    .cloned()
                    .flatten()
                    .or_else(|| find_sidecar(folder, o, true)),
                None => originals
                    .first()
                    .and_then(|o| find_sidecar(folder, o, true)),
            })
            // A name that only looks edited, with its own sidecar cut short.
            .or_else(|| find_sidecar(folder, &m.name, true));
        edited_info.insert((&m.name, m.size), (sidecar, original));
    }
    for m in &folder.media {
        let (sidecar, edited_of) = match edited_info.remove(&(m.name.as_str(), m.size)) {
            Some(info) => info,
            None => (matched.get(m.name.as_str()).cloned().flatten(), None),
        };
        out.push(Occurrence {
            folder: folder_name.to_string(),
            name: m.name.clone(),
            size: m.size,
            location: m.location.clone(),
            kind: m.kind,
            sidecar,
            edited_of,
        });
    }
}

fn join_key(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

fn base_lower(name: &str) -> String {
    names::split_ext(name).0.to_lowercase()
}

fn assemble(folders: &BTreeMap<String, Folder>, occurrences: Vec<Occurrence>) -> Plan {
    let role = |f: &str| folders.get(f).map_or(Role::Album, Folder::role);
    let mut groups: BTreeMap<(String, u64), Vec<Occurrence>> = BTreeMap::new();
    for o in occurrences {
        groups.entry((o.name.clone(), o.size)).or_default().push(o);
    }

    // Keys first: edited copies and Live Photos refer to other items by key.
    let mut keys: HashMap<(String, u64), String> = HashMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for ((name, size), occs) in groups.iter_mut() {
        occs.sort_by(|a, b| (role(&a.folder), &a.folder).cmp(&(role(&b.folder), &b.folder)));
        let mut key = join_key(&occs[0].folder, name);
        if !taken.insert(key.clone()) {
            key = format!("{key}#{size}");
            taken.insert(key.clone());
        }
        keys.insert((name.clone(), *size), key);
    }

    let mut items = Vec::with_capacity(groups.len());
    let mut albums: BTreeMap<String, SourceAlbum> = BTreeMap::new();
    for ((name, size), occs) in &groups {
        let key = keys[&(name.clone(), *size)].clone();
        let first = &occs[0];
        let mut meta = ItemMeta::default();
        let mut broken = None;
        for o in occs {
            let Some(json) = &o.sidecar else { continue };
            let Some(doc) = folders.get(&o.folder).and_then(|f| f.jsons.get(json)) else {
                continue;
            };
            if let Some(m) = doc.as_media() {
                meta = m.clone();
                broken = None;
                break;
            }
            if broken.is_none()
                && let Doc::Broken(e) = doc
            {
                broken = Some((join_key(&o.folder, json), e.clone()));
            }
        }
        if let Some((json, e)) = broken {
            tracing::warn!(item = %key, json = %json, "unreadable Takeout JSON ({e}); importing the file without its metadata");
        }
        if let Some(original) = occs.iter().find_map(|o| o.edited_of.as_ref())
            && let Some(original_key) = keys.get(original)
            && *original_key != key
        {
            meta.extra
                .push((EXTRA_EDITED_OF.to_string(), original_key.clone()));
        }
        if first.kind == FileKind::Media(AssetType::Image) {
            meta.live_video_key = live_video(folders, occs, &keys);
        }
        let mut item_albums = Vec::new();
        let mut seen = BTreeSet::new();
        for o in occs {
            if let Some(album) = folders.get(&o.folder).and_then(|f| f.album.as_ref())
                && seen.insert(album.key.clone())
            {
                item_albums.push(album.clone());
                albums
                    .entry(album.key.clone())
                    .or_insert_with(|| album.clone());
            }
        }
        item_albums.sort_by(|a, b| a.key.cmp(&b.key));
        let skip_reason = (first.kind == FileKind::Unsupported).then(|| {
            match keepsake_core::media::extension(name) {
                Some(ext) => format!("{ext} files are not photos or videos Keepsake can import"),
                None => "a file without an extension is not a photo or video Keepsake can import"
                    .to_string(),
            }
        });
        items.push(SourceItem {
            key,
            file_name: name.clone(),
            location: first.location.clone(),
            meta,
            albums: item_albums,
            skip_reason,
            ..SourceItem::default()
        });
    }
    items.sort_by(|a, b| a.key.cmp(&b.key));
    Plan {
        items,
        albums: albums.into_values().collect(),
    }
}

/// The key of the video with the same base name as this still, in the first
/// folder (in key order) where both are.
fn live_video(
    folders: &BTreeMap<String, Folder>,
    occs: &[Occurrence],
    keys: &HashMap<(String, u64), String>,
) -> Option<String> {
    for o in occs {
        let folder = folders.get(&o.folder)?;
        let base = base_lower(&o.name);
        let video = folder
            .media
            .iter()
            .find(|m| m.kind == FileKind::Media(AssetType::Video) && base_lower(&m.name) == base);
        if let Some(v) = video {
            return keys.get(&(v.name.clone(), v.size)).cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A listing from (path, content): media get their content's length as size.
    fn solve(files: &[(&str, &str)]) -> Plan {
        let contents: HashMap<String, String> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        let listed = files
            .iter()
            .map(|(p, c)| {
                let mut parts: Vec<String> = p.split('/').map(str::to_string).collect();
                let name = parts.pop().unwrap();
                Listed {
                    dirs: parts,
                    name,
                    size: c.len() as u64,
                    location: ItemLocation::File(p.into()),
                }
            })
            .collect();
        plan(listed, |f| match &f.location {
            ItemLocation::File(p) => Ok(contents[p.to_str().unwrap()].clone().into_bytes()),
            _ => unreachable!(),
        })
    }

    fn sidecar(title: &str, ts: u64) -> String {
        format!(r#"{{"title": "{title}", "photoTakenTime": {{"timestamp": "{ts}"}}}}"#)
    }

    fn taken(plan: &Plan, key: &str) -> Option<i64> {
        let item = plan
            .items
            .iter()
            .find(|i| i.key == key)
            .unwrap_or_else(|| panic!("no {key} in {:?}", plan.items));
        match item.meta.taken {
            Some(keepsake_core::import::SourceDate::Instant(ms)) => Some(ms / 1000),
            _ => None,
        }
    }

    const Y: &str = "Takeout/Google Photos/Photos from 2019";

    #[test]
    fn exact_and_supplemental_names_match() {
        let p = solve(&[
            (&format!("{Y}/a.jpg"), "aa"),
            (&format!("{Y}/a.jpg.json"), &sidecar("a.jpg", 1)),
            (&format!("{Y}/b.jpg"), "bb"),
            (
                &format!("{Y}/b.jpg.supplemental-metadata.json"),
                &sidecar("b.jpg", 2),
            ),
        ]);
        assert_eq!(taken(&p, "Photos from 2019/a.jpg"), Some(1));
        assert_eq!(taken(&p, "Photos from 2019/b.jpg"), Some(2));
    }

    #[test]
    fn names_cut_at_51_characters_match() {
        // 40 + ".supplemental-metadata" cut to 46 → ".suppl", then ".json": 51.
        let m40 = "PXL_20190712_181512345.PORTRAIT-ORIG.jpg";
        assert_eq!(m40.len(), 40);
        // 47-character name: the sidecar keeps its first 46.
        let m47 = "Screenshot_20190712-181512_A Long App Name1.jpg";
        assert_eq!(m47.len(), 47);
        let j47 = format!("{}.json", &m47[..46]);
        let m30 = "Screenshot_20190712-181512.png";
        let j30 = format!("{m30}.supplemental-me.json");
        assert_eq!(j30.len(), 51);
        let p = solve(&[
            (&format!("{Y}/{m40}"), "x"),
            (&format!("{Y}/{m40}.suppl.json"), &sidecar(m40, 3)),
            (&format!("{Y}/{m47}"), "y"),
            (&format!("{Y}/{j47}"), &sidecar(m47, 4)),
            (&format!("{Y}/{m30}"), "z"),
            (&format!("{Y}/{j30}"), &sidecar(m30, 5)),
        ]);
        assert_eq!(taken(&p, &format!("Photos from 2019/{m40}")), Some(3));
        assert_eq!(taken(&p, &format!("Photos from 2019/{m47}")), Some(4));
        assert_eq!(taken(&p, &format!("Photos from 2019/{m30}")), Some(5));
    }

    #[test]
    fn short_prefixes_are_not_mistaken_for_cut_names() {
        let p = solve(&[
            (&format!("{Y}/IMG_1.jpg"), "a"),
            (&format!("{Y}/IMG_1.json"), &sidecar("IMG_1", 9)),
        ]);
        assert_eq!(taken(&p, "Photos from 2019/IMG_1.jpg"), None);
    }

    #[test]
    fn numbered_duplicates_take_the_numbered_sidecar() {
        let p = solve(&[
            (&format!("{Y}/IMG_1.JPG"), "a"),
            (&format!("{Y}/IMG_1(1).JPG"), "bb"),
            (&format!("{Y}/IMG_1.JPG.json"), &sidecar("IMG_1.JPG", 1)),
            (&format!("{Y}/IMG_1.JPG(1).json"), &sidecar("IMG_1.JPG", 2)),
            (&format!("{Y}/IMG_2.JPG"), "c"),
            (&format!("{Y}/IMG_2(1).JPG"), "dd"),
            (
                &format!("{Y}/IMG_2.JPG.supplemental-metadata.json"),
                &sidecar("IMG_2.JPG", 3),
            ),
            (
                &format!("{Y}/IMG_2.JPG.supplemental-metadata(1).json"),
                &sidecar("IMG_2.JPG", 4),
            ),
        ]);
        assert_eq!(taken(&p, "Photos from 2019/IMG_1.JPG"), Some(1));
        assert_eq!(taken(&p, "Photos from 2019/IMG_1(1).JPG"), Some(2));
        assert_eq!(taken(&p, "Photos from 2019/IMG_2.JPG"), Some(3));
        assert_eq!(taken(&p, "Photos from 2019/IMG_2(1).JPG"), Some(4));
    }

    #[test]
    fn a_title_chooses_between_files_a_cut_name_fits() {
        let stem = "Screenshot_2019-07-12-18-15-12-123_com.example";
        assert_eq!(stem.len(), 46);
        let a = format!("{stem}X.jpg");
        let b = format!("{stem}Y.jpg");
        let p = solve(&[
            (&format!("{Y}/{a}"), "a"),
            (&format!("{Y}/{b}"), "bb"),
            (&format!("{Y}/{stem}.json"), &sidecar(&b, 7)),
        ]);
        assert_eq!(taken(&p, &format!("Photos from 2019/{a}")), None);
        assert_eq!(taken(&p, &format!("Photos from 2019/{b}")), Some(7));
    }

    #[test]
    fn edited_copies_share_the_original_sidecar() {
        let p = solve(&[
            (&format!("{Y}/IMG_1.jpg"), "a"),
            (&format!("{Y}/IMG_1-edited.jpg"), "aa"),
            (&format!("{Y}/IMG_1.jpg.json"), &sidecar("IMG_1.jpg", 1)),
            (&format!("{Y}/IMG_2-bearbeitet.jpg"), "b"),
            (&format!("{Y}/IMG_2.jpg.json"), &sidecar("IMG_2.jpg", 2)),
        ]);
        assert_eq!(taken(&p, "Photos from 2019/IMG_1-edited.jpg"), Some(1));
        let edited = p
            .items
            .iter()
            .find(|i| i.key == "Photos from 2019/IMG_1-edited.jpg")
            .unwrap();
        assert!(
            edited
                .meta
                .extra
                .contains(&(EXTRA_EDITED_OF.into(), "Photos from 2019/IMG_1.jpg".into()))
        );
        // The original is missing: the copy still gets the metadata, no link.
        assert_eq!(taken(&p, "Photos from 2019/IMG_2-bearbeitet.jpg"), Some(2));
        let lone = p
            .items
            .iter()
            .find(|i| i.key == "Photos from 2019/IMG_2-bearbeitet.jpg")
            .unwrap();
        assert!(!lone.meta.extra.iter().any(|(k, _)| k == EXTRA_EDITED_OF));
    }

    #[test]
    fn repeats_are_one_item_keyed_by_the_year_folder() {
        let p = solve(&[
            ("Takeout/Google Photos/Trip/a.jpg", "aaa"),
            (
                "Takeout/Google Photos/Trip/metadata.json",
                r#"{"title": "Paris"}"#,
            ),
            ("Takeout/Google Photos/Beach/a.jpg", "aaa"),
            (&format!("{Y}/a.jpg"), "aaa"),
            ("Takeout/Google Photos/Only album/b.jpg", "b"),
            ("Takeout/Google Photos/Another/b.jpg", "b"),
        ]);
        assert_eq!(p.items.len(), 2, "{:?}", p.items);
        let a = &p.items[1];
        assert_eq!(a.key, "Photos from 2019/a.jpg");
        let names: Vec<&str> = a.albums.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, vec!["Beach", "Paris"]);
        assert_eq!(p.items[0].key, "Another/b.jpg");
    }

    #[test]
    fn other_products_in_the_takeout_are_left_alone() {
        let p = solve(&[
            (&format!("{Y}/a.jpg"), "a"),
            ("Takeout/Drive/My folder/scan.jpg", "s"),
            ("Takeout/archive_browser.html", "<html>"),
        ]);
        let keys: Vec<&str> = p.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, vec!["Photos from 2019/a.jpg"]);
    }
}
