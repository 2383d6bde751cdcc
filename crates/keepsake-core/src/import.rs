//! What an import source hands the engine: items in a stable order, each with
//! its metadata and album memberships, and the bytes fetched only when the
//! engine asks (so a resumed run skips what it already has without reading it).
//!
//! Sources live in `keepsake-import`, the engine in `keepsake-library`; this
//! is the contract between them, so it carries no protocol detail of any one
//! service and does no I/O itself.

use std::future::Future;
use std::path::{Path, PathBuf};

/// A place items come from: a folder tree, a Takeout, a Flickr account, an export.
pub trait Source: Send {
    /// Which kind of source this is (`folder`, `takeout`, `flickr`, `flickr-export`).
    /// Together with an item's key it names the item across runs.
    fn kind(&self) -> &'static str;

    /// The next item in a stable order, or `None` at the end.
    fn next_item(&mut self)
    -> impl Future<Output = Result<Option<SourceItem>, SourceError>> + Send;

    /// Writes the item's original bytes to `dest` (a new file the engine owns).
    fn fetch(
        &mut self,
        item: &SourceItem,
        dest: &Path,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;

    /// How far the source has got, to resume after a crash (e.g. a listing page).
    /// The engine stores it with the run; sources that can list everything
    /// cheaply again may leave it empty.
    fn cursor(&self) -> String {
        String::new()
    }

    /// How many items the source holds, when it knows (for progress bars).
    fn total(&self) -> Option<u64> {
        None
    }
}

/// Why a source could not go on, or could not deliver one item.
#[derive(Debug)]
pub enum SourceError {
    /// This item cannot be read (corrupt zip entry, vanished file, 404 for its original);
    /// the run records it as failed and goes on.
    Item(String),
    /// The source is rate limiting and the user asked to stop rather than wait.
    RateLimited(String),
    /// The source as a whole failed (bad credentials, unreadable archive); the run stops.
    Fatal(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Item(m) | SourceError::RateLimited(m) | SourceError::Fatal(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for SourceError {}

/// One photo or video at the source.
#[derive(Debug, Clone, Default)]
pub struct SourceItem {
    /// Stable within the source kind: a Flickr photo id, a path inside a Takeout.
    pub key: String,
    /// The name the asset keeps (with an extension that says its type).
    pub file_name: String,
    /// Where the bytes are, for sources that can say without a request.
    pub location: ItemLocation,
    pub meta: ItemMeta,
    /// Albums the item belongs to at the source, in the source's order.
    pub albums: Vec<SourceAlbum>,
    /// An XMP sidecar on disk that belongs to the item (`IMG_1.jpg.xmp` in a
    /// folder): stored with the asset and read with precedence over the file.
    pub sidecar: Option<PathBuf>,
    /// Set when the source already knows the item cannot be imported (not a
    /// photo or video, no original offered): recorded as skipped with this reason.
    pub skip_reason: Option<String>,
}

/// Where a source finds an item's bytes; the source's `fetch` interprets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ItemLocation {
    #[default]
    Unknown,
    /// A file on disk.
    File(PathBuf),
    /// An entry of a zip archive.
    ZipEntry { archive: PathBuf, name: String },
    /// A URL.
    Url(String),
}

/// Everything the source knows about an item besides its bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemMeta {
    /// When it was taken, as the source says.
    pub taken: Option<SourceDate>,
    /// The file's modification time at the source (ms since the epoch).
    pub file_modified_at: Option<i64>,
    /// Latitude, longitude.
    pub location: Option<(f64, f64)>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub favorite: bool,
    pub archived: bool,
    /// Hidden at the source (kept out of the timeline here too).
    pub hidden: bool,
    /// In the source's trash: not imported.
    pub trashed: bool,
    /// The key of this still's Live Photo video half, when the source pairs them.
    pub live_video_key: Option<String>,
    /// Facts kept as metadata only (who could see it at the source, its page URL…),
    /// as `(name, value)` pairs.
    pub extra: Vec<(String, String)>,
}

/// A capture time as sources give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceDate {
    /// An instant (ms since the epoch, UTC), e.g. Takeout's `photoTakenTime`.
    Instant(i64),
    /// A wall-clock time with no zone (ms since the epoch as if it were UTC),
    /// e.g. Flickr's `date_taken`, with how precise the source says it is.
    Local(i64, Granularity),
    /// An instant (ms since the epoch, UTC) with the zone offset it was taken
    /// in (seconds east of UTC), e.g. iCloud's `assetDate` + `timeZoneOffset`.
    Zoned(i64, i32),
}

/// How precise a source's date is (Flickr's `datetakengranularity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    #[default]
    Second,
    Month,
    Year,
    Circa,
}

/// An album at the source. Two albums with the same name but different keys stay two albums.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceAlbum {
    /// Stable within the source kind (a photoset id, a Takeout album folder).
    pub key: String,
    /// The album's name; an album inside folders is named by its full path joined with `/`.
    pub name: String,
    pub description: Option<String>,
}
