//! Google's file-naming habits in a Takeout, read backwards: JSON sidecar
//! names (`.json`, `.supplemental-metadata.json`, truncated to 51 characters,
//! `(n)` numbering), numbered duplicates, localized `-edited` suffixes, year
//! folders and album metadata files. Pure string functions.

use keepsake_core::AssetType;

/// Google cuts a sidecar's name so that the whole of it, `.json` included,
/// fits in this many characters.
pub const MAX_JSON_NAME: usize = 51;

/// What newer Takeouts put between the media name and `.json`.
pub const SUPPLEMENTAL: &str = ".supplemental-metadata";

/// Suffixes Google appends to the name of an edited copy, by locale
/// (decomposed accents included, as macOS writes them when extracting).
pub const EDITED_SUFFIXES: &[&str] = &[
    "-edited",
    "-modifié",
    "-modifie\u{301}",
    "-bearbeitet",
    "-editado",
    "-modificato",
    "-bewerkt",
    "-redigeret",
    "-redigert",
    "-redigerad",
    "-muokattu",
    "-edytowane",
    "-upraveno",
    "-upravené",
    "-szerkesztett",
    "-düzenlendi",
    "-editat",
    "-επεξεργασμένο",
    "-изменено",
    "-відредаговано",
    "-編集済み",
    "-已修改",
    "-已編輯",
    "-편집됨",
];

/// How year folders start, by locale (`Photos from 2019`, `Fotos von 2019`, …).
const YEAR_PREFIXES: &[&str] = &[
    "photos from ",
    "fotos von ",
    "photos de ",
    "fotos de ",
    "fotos del ",
    "foto dal ",
    "foto del ",
    "foto's uit ",
    "fotos fra ",
    "fotos från ",
    "fotos frá ",
    "zdjęcia z ",
    "fotky z ",
    "fotók ",
    "valokuvat vuodelta ",
    "фото за ",
    "фотографии за ",
    "φωτογραφίες από ",
    "fotoğraflar ",
];

/// The first word of a year folder in locales not listed above.
const YEAR_FIRST_WORDS: &[&str] = &["photo", "foto", "fotó", "zdj", "фото", "φωτ", "valokuv"];

/// Known names of an album's metadata file (the content decides; these only
/// break ties when a folder holds several candidates).
pub const ALBUM_METADATA_NAMES: &[&str] = &[
    "metadata.json",
    "métadonnées.json",
    "metadaten.json",
    "metadatos.json",
    "metadati.json",
    "metadados.json",
    "metagegevens.json",
    "metadane.json",
    "metadata(1).json",
    "метаданные.json",
    "メタデータ.json",
    "元数据.json",
    "中繼資料.json",
    "메타데이터.json",
];

/// JSON files of a Takeout that describe no photo and no album.
pub const OTHER_JSON_NAMES: &[&str] = &[
    "print-subscriptions.json",
    "shared_album_comments.json",
    "user-generated-memory-titles.json",
];

/// Files that are neither media nor sidecars: skipped silently.
const IGNORED_EXTENSIONS: &[&str] = &[
    ".html", ".htm", ".txt", ".csv", ".xml", ".md", ".ini", ".db", ".xmp", ".css", ".js",
];

/// What a file in a Takeout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Json,
    Media(AssetType),
    /// Looks like content, but not a type Keepsake imports (yielded as skipped).
    Unsupported,
    /// Takeout furniture (`archive_browser.html`, `.DS_Store`…).
    Ignored,
}

pub fn file_kind(name: &str) -> FileKind {
    if name.starts_with('.')
        || name.eq_ignore_ascii_case("thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
    {
        return FileKind::Ignored;
    }
    let ext = keepsake_core::media::extension(name);
    match ext.as_deref() {
        Some(".json") => FileKind::Json,
        Some(e) if IGNORED_EXTENSIONS.contains(&e) => FileKind::Ignored,
        _ => match AssetType::from_file_name(name) {
            Some(t) => FileKind::Media(t),
            None => FileKind::Unsupported,
        },
    }
}

/// `name` split at its last dot: (`IMG_1234`, `.JPG`); no extension → (`name`, ``).
pub fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// A trailing `(n)` of `s`: (`s` without it, n).
fn trailing_number(s: &str) -> Option<(&str, u32)> {
    let inner = s.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let digits = &inner[open + 1..];
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&s[..open], digits.parse().ok()?))
}

/// A sidecar's name read Google's way: `<stem>[(n)].json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonName {
    pub stem: String,
    pub n: u32,
}

pub fn parse_json_name(name: &str) -> Option<JsonName> {
    let (base, ext) = split_ext(name);
    if !ext.eq_ignore_ascii_case(".json") {
        return None;
    }
    Some(match trailing_number(base) {
        Some((stem, n)) => JsonName {
            stem: stem.to_string(),
            n,
        },
        None => JsonName {
            stem: base.to_string(),
            n: 0,
        },
    })
}

/// Whether a sidecar's name is long enough that Google may have cut it
/// (counted in characters or bytes: the limit is 51 and truncated names are
/// at it; a little slack covers other ways of counting).
pub fn may_be_truncated(json_name: &JsonName) -> bool {
    let len = json_name.stem.len() + ".json".len();
    let chars = json_name.stem.chars().count() + ".json".len();
    len >= MAX_JSON_NAME - 5 || chars >= MAX_JSON_NAME - 5
}

/// A numbered duplicate's name without its number:
/// `IMG_1234(1).JPG` → (`IMG_1234.JPG`, 1).
pub fn numbered(name: &str) -> Option<(String, u32)> {
    let (base, ext) = split_ext(name);
    let (stripped, n) = trailing_number(base)?;
    if stripped.is_empty() {
        return None;
    }
    Some((format!("{stripped}{ext}"), n))
}

/// The names a media file may be known by in its sidecar's name, with the
/// number that sidecar carries: its own name (number 0), and for a numbered
/// duplicate the name without the number.
pub fn sidecar_names(name: &str) -> Vec<(String, u32)> {
    let mut out = vec![(name.to_string(), 0)];
    if let Some((orig, n)) = numbered(name) {
        out.push((orig, n));
    }
    out
}

/// `base` without a trailing edited suffix, compared without ASCII case.
fn strip_edited(base: &str) -> Option<&str> {
    EDITED_SUFFIXES.iter().find_map(|suffix| {
        let cut = base.len().checked_sub(suffix.len())?;
        if cut == 0 || !base.is_char_boundary(cut) {
            return None;
        }
        base[cut..]
            .eq_ignore_ascii_case(suffix)
            .then(|| &base[..cut])
    })
}

/// For an edited copy, the names its original may have, most likely first:
/// `IMG_1234-edited.JPG` → [`IMG_1234.JPG`]; `IMG_1234-edited(1).JPG` →
/// [`IMG_1234(1).JPG`]. Empty when `name` is not an edited copy.
pub fn edited_originals(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (base, ext) = split_ext(name);
    if let Some(orig) = strip_edited(base) {
        out.push(format!("{orig}{ext}"));
    }
    if let Some((base_n, n)) = trailing_number(base)
        && let Some(orig) = strip_edited(base_n)
    {
        out.push(format!("{orig}({n}){ext}"));
    }
    out
}

/// Whether a folder name is one of Google's per-year folders (`Photos from
/// 2019`, `Fotos von 2019`, …). Only meaningful for a folder without album
/// metadata.
pub fn is_year_folder(folder: &str) -> bool {
    let Some((head, year)) = folder.trim_end().rsplit_once(' ') else {
        return false;
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let lower = folder.to_lowercase();
    if YEAR_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    let first = head.split(' ').next().unwrap_or("").to_lowercase();
    YEAR_FIRST_WORDS.iter().any(|w| first.starts_with(w))
}

/// Whether an album title is one Google gives albums nobody named.
pub fn is_untitled(title: &str) -> bool {
    let t = title.trim();
    if t.is_empty() {
        return true;
    }
    let t = trailing_number(t).map_or(t, |(s, _)| s).trim();
    t.eq_ignore_ascii_case("untitled") || t.eq_ignore_ascii_case("sans titre")
}

/// Whether a JSON's `title` names this media file (the title is the name the
/// file was uploaded with; Google may have cut or numbered the file's name).
pub fn title_names(title: &str, media: &str) -> bool {
    if title == media {
        return true;
    }
    let candidates = sidecar_names(media);
    candidates.iter().any(|(name, _)| {
        if title == name {
            return true;
        }
        let (tb, te) = split_ext(title);
        let (mb, me) = split_ext(name);
        !mb.is_empty() && te.eq_ignore_ascii_case(me) && tb.starts_with(mb) && mb.len() >= 30
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_split_into_stem_and_number() {
        assert_eq!(
            parse_json_name("IMG_1234.JPG.json"),
            Some(JsonName {
                stem: "IMG_1234.JPG".into(),
                n: 0
            })
        );
        assert_eq!(
            parse_json_name("IMG_1234.JPG(1).json"),
            Some(JsonName {
                stem: "IMG_1234.JPG".into(),
                n: 1
            })
        );
        assert_eq!(
            parse_json_name("IMG_1234.JPG.supplemental-metadata(12).json"),
            Some(JsonName {
                stem: "IMG_1234.JPG.supplemental-metadata".into(),
                n: 12
            })
        );
        assert_eq!(parse_json_name("IMG_1234.JPG"), None);
        assert_eq!(
            parse_json_name("odd().json").map(|j| j.n),
            Some(0),
            "empty parentheses are part of the name"
        );
    }

    #[test]
    fn numbered_duplicates_lose_their_number() {
        assert_eq!(
            numbered("IMG_1234(1).JPG"),
            Some(("IMG_1234.JPG".into(), 1))
        );
        assert_eq!(
            numbered("IMG_1234(23).jpg"),
            Some(("IMG_1234.jpg".into(), 23))
        );
        assert_eq!(numbered("IMG_1234.JPG"), None);
        assert_eq!(numbered("(1).jpg"), None);
        assert_eq!(
            sidecar_names("a(2).png"),
            vec![("a(2).png".to_string(), 0), ("a.png".to_string(), 2)]
        );
    }

    #[test]
    fn edited_copies_name_their_original_in_every_locale() {
        assert_eq!(
            edited_originals("IMG_1234-edited.JPG"),
            vec!["IMG_1234.JPG"]
        );
        assert_eq!(
            edited_originals("IMG_1234-EDITED.jpg"),
            vec!["IMG_1234.jpg"]
        );
        assert_eq!(
            edited_originals("IMG_1234-modifié.jpg"),
            vec!["IMG_1234.jpg"]
        );
        assert_eq!(
            edited_originals("IMG_1234-bearbeitet.jpg"),
            vec!["IMG_1234.jpg"]
        );
        assert_eq!(
            edited_originals("IMG_1234-editado.jpg"),
            vec!["IMG_1234.jpg"]
        );
        assert_eq!(
            edited_originals("IMG_1234-modificato.jpg"),
            vec!["IMG_1234.jpg"]
        );
        assert_eq!(
            edited_originals("IMG_1234-bewerkt.jpg"),
            vec!["IMG_1234.jpg"]
        );
        assert_eq!(
            edited_originals("IMG_1234-edited(1).jpg"),
            vec!["IMG_1234(1).jpg"]
        );
        assert_eq!(
            edited_originals("IMG_1234(1)-edited.jpg"),
            vec!["IMG_1234(1).jpg"]
        );
        assert!(edited_originals("IMG_1234.jpg").is_empty());
        assert!(edited_originals("-edited.jpg").is_empty());
    }

    #[test]
    fn year_folders_are_recognised_in_several_languages() {
        for y in [
            "Photos from 2019",
            "Fotos von 2019",
            "Photos de 2019",
            "Fotos de 2019",
            "Foto dal 2019",
            "Foto's uit 2019",
            "Zdjęcia z 2019",
            "Photos from 1999",
        ] {
            assert!(is_year_folder(y), "{y}");
        }
        for a in [
            "Summer 2019",
            "Trip to Paris",
            "Photos from the trip",
            "2019",
            "Untitled(1)",
        ] {
            assert!(!is_year_folder(a), "{a}");
        }
    }

    #[test]
    fn untitled_albums_are_recognised() {
        assert!(is_untitled(""));
        assert!(is_untitled("  "));
        assert!(is_untitled("Untitled"));
        assert!(is_untitled("Untitled(3)"));
        assert!(!is_untitled("Paris"));
    }

    #[test]
    fn file_kinds() {
        assert_eq!(file_kind("a.JPG"), FileKind::Media(AssetType::Image));
        assert_eq!(file_kind("a.mov"), FileKind::Media(AssetType::Video));
        assert_eq!(file_kind("a.jpg.json"), FileKind::Json);
        assert_eq!(file_kind("archive_browser.html"), FileKind::Ignored);
        assert_eq!(file_kind(".DS_Store"), FileKind::Ignored);
        assert_eq!(file_kind("a.pdf"), FileKind::Unsupported);
        assert_eq!(file_kind("noext"), FileKind::Unsupported);
    }

    #[test]
    fn long_sidecar_names_may_be_truncated() {
        let long = parse_json_name("Screenshot_20190712-181512_Some Long App Na.json").unwrap();
        assert!(may_be_truncated(&long));
        let short = parse_json_name("IMG_1234.JPG.json").unwrap();
        assert!(!may_be_truncated(&short));
    }

    #[test]
    fn titles_name_cut_or_numbered_files() {
        assert!(title_names("IMG_1234.JPG", "IMG_1234.JPG"));
        assert!(title_names("IMG_1234.JPG", "IMG_1234(1).JPG"));
        assert!(!title_names("IMG_1234.JPG", "IMG_1235.JPG"));
        let full = "A very long file name that Google had to cut short somewhere.jpg";
        let cut = "A very long file name that Google had to cut s.jpg";
        assert!(title_names(full, cut));
    }
}
