//! iCloud Photos as an import source: the personal library and a Shared
//! Library, with Hidden items (kept out of the timeline), Live Photos as
//! linked pairs, edits by policy, and album membership with folder paths.
//!
//! The listing is taken up front in `open` (parsed structs only, no JSON),
//! because CloudKit pages by rank and a resumed run lists again anyway; the
//! engine skips what it already has by key. Download URLs expire after
//! 30–60 minutes, so `fetch` looks a record up again when its URL is stale.
//!
//! The engine fetches one item at a time; downloads still overlap: given a
//! prefetch folder, the source downloads the next items (up to
//! [`super::IcloudConfig::download_concurrency`] at once) while the engine
//! stores the current one, leaving out items the caller says it already has.
//! `fetch` then only moves a finished file into place; a prefetch that
//! failed (an expired link, a drop) is simply done again the careful way.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use keepsake_core::import::{
    ItemLocation, ItemMeta, Source, SourceAlbum, SourceDate, SourceError, SourceItem,
};
use keepsake_core::time::Timestamp;

use super::auth::IcloudClient;
use super::cloudkit::PhotoList;
use super::error::IcloudError;
use super::model::{Photo, Resource, Zone};

/// Which version of an edited item to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EditPolicy {
    /// The original only.
    #[default]
    Original,
    /// The edited version instead of the original when there is one (same key).
    Edited,
    /// The original, plus the edit as a second item `<asset>-edited`.
    Both,
}

/// What to do with items of a Shared Library.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SharedPolicy {
    /// Import them, marked `icloud_library = shared`.
    #[default]
    Include,
    /// Import them and also put them in an album of this name.
    Album(String),
    /// Leave them out.
    Skip,
}

/// What to import from the account.
#[derive(Debug, Clone, Default)]
pub struct IcloudOptions {
    /// Which version of edited items to import.
    pub edits: EditPolicy,
    /// What to do with Shared Library items.
    pub shared: SharedPolicy,
    /// Only this album (its name, its full path `Folder/Album`, or its record name).
    pub album: Option<String>,
    /// Where to download upcoming items ahead of `fetch` (a folder on the same
    /// file system as the engine's temp files); `None` downloads on demand only.
    pub prefetch_dir: Option<PathBuf>,
    /// Item keys the caller already has: never prefetched.
    pub already_have: HashSet<String>,
}

/// A download started ahead of `fetch`; dropped unfinished, it stops and
/// leaves no file behind.
struct Prefetch {
    handle: tokio::task::JoinHandle<Result<u64, IcloudError>>,
    path: PathBuf,
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        if !self.handle.is_finished() {
            self.handle.abort();
        }
        // Taken files were moved away first; a missing file is fine.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Original,
    Live,
    Edited,
}

/// Where an item's bytes are, and how to find them again when the URL expires.
#[derive(Debug, Clone)]
struct Target {
    zone: String,
    asset: String,
    part: Part,
    resource: Resource,
}

/// An iCloud Photos library to import.
pub struct IcloudSource {
    client: IcloudClient,
    items: std::vec::IntoIter<SourceItem>,
    targets: HashMap<String, Target>,
    zones: HashMap<String, Zone>,
    deleted: Vec<String>,
    listed: Vec<String>,
    total: u64,
    prefetch_dir: Option<PathBuf>,
    already_have: HashSet<String>,
    inflight: HashMap<String, Prefetch>,
    /// The item yielded last: if the engine did not fetch it, its prefetch goes.
    last_key: Option<String>,
}

impl std::fmt::Debug for IcloudSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcloudSource")
            .field("total", &self.total)
            .field("deleted", &self.deleted.len())
            .finish_non_exhaustive()
    }
}

impl IcloudSource {
    /// Lists the library (a signed-in `client`): zones, the indexing check,
    /// albums and their members, then All, Hidden and Recently Deleted.
    /// On failure the client comes back too, so its state can be saved.
    pub async fn open(
        mut client: IcloudClient,
        options: IcloudOptions,
    ) -> Result<IcloudSource, (IcloudClient, IcloudError)> {
        match list(&mut client, &options).await {
            Ok(listing) => {
                let listed = listing.items.iter().map(|i| i.key.clone()).collect();
                Ok(IcloudSource {
                    client,
                    total: listing.items.len() as u64,
                    items: listing.items.into_iter(),
                    targets: listing.targets,
                    zones: listing
                        .zones
                        .into_iter()
                        .map(|z| (z.name.clone(), z))
                        .collect(),
                    deleted: listing.deleted,
                    listed,
                    prefetch_dir: options.prefetch_dir.clone(),
                    already_have: options.already_have.clone(),
                    inflight: HashMap::new(),
                    last_key: None,
                })
            }
            Err(e) => Err((client, e)),
        }
    }

    /// The client back (to persist its state, or log out).
    pub fn into_client(self) -> IcloudClient {
        self.client
    }

    /// Starts downloads of the next items (the one about to be yielded
    /// included) until `download_concurrency` are under way.
    fn prefetch_ahead(&mut self) {
        let Some(dir) = self.prefetch_dir.clone() else {
            return;
        };
        let window = self.client.config().download_concurrency;
        if window <= 1 {
            return;
        }
        let upcoming: Vec<String> = self
            .items
            .as_slice()
            .iter()
            .take(window)
            .filter(|i| i.skip_reason.is_none() && !i.meta.trashed)
            .map(|i| i.key.clone())
            .collect();
        for key in upcoming {
            if self.inflight.len() >= window {
                break;
            }
            if self.inflight.contains_key(&key) || self.already_have.contains(&key) {
                continue;
            }
            let Some(target) = self.targets.get(&key) else {
                continue;
            };
            let Some(url) = target.resource.url.clone() else {
                continue;
            };
            let safe: String = key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let path = dir.join(format!("icloud-prefetch-{}-{safe}", std::process::id()));
            let (http, config) = self.client.downloader();
            let checksum = target.resource.checksum.clone();
            let dest = path.clone();
            let handle = tokio::spawn(async move {
                super::download::download(&http, &config, &url, Some(&checksum), &dest).await
            });
            self.inflight.insert(key, Prefetch { handle, path });
        }
    }

    /// The prefetched file for `key`, moved to `dest`; `false` when there was
    /// none or it failed (the caller then downloads it itself).
    async fn take_prefetched(&mut self, key: &str, dest: &Path) -> bool {
        let Some(mut p) = self.inflight.remove(key) else {
            return false;
        };
        // Whatever happens, dropping `p` removes what is left of its file.
        match (&mut p.handle).await {
            Ok(Ok(_)) => {
                tokio::fs::rename(&p.path, dest).await.is_ok()
                    || tokio::fs::copy(&p.path, dest).await.is_ok()
            }
            Ok(Err(e)) => {
                tracing::debug!(key, error = %e, "prefetch failed; downloading again");
                false
            }
            Err(_) => false,
        }
    }

    /// The client, e.g. to save its state between items.
    pub fn client(&self) -> &IcloudClient {
        &self.client
    }

    /// Every item key of the listing (incl. `-live` and `-edited` halves and
    /// items recorded as skipped): what exists at iCloud right now.
    pub fn listed_keys(&self) -> &[String] {
        &self.listed
    }

    /// Asset keys found in Recently Deleted (known after `open`).
    pub fn deleted_keys(&self) -> &[String] {
        &self.deleted
    }

    async fn refreshed(&mut self, target: &Target) -> Result<Resource, IcloudError> {
        let zone = self
            .zones
            .get(&target.zone)
            .cloned()
            .ok_or_else(|| IcloudError::NotFound {
                what: format!("zone {}", target.zone),
            })?;
        let photo = self
            .client
            .lookup(&zone, std::slice::from_ref(&target.asset))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| IcloudError::NotFound {
                what: format!("asset {} (deleted meanwhile?)", target.asset),
            })?;
        let resource = match target.part {
            Part::Original => photo.original,
            Part::Live => photo.live_video,
            Part::Edited => photo.edited,
        };
        resource.ok_or_else(|| IcloudError::NotFound {
            what: format!("the file of asset {}", target.asset),
        })
    }
}

/// What `open` lists up front.
struct Listing {
    items: Vec<SourceItem>,
    targets: HashMap<String, Target>,
    zones: Vec<Zone>,
    deleted: Vec<String>,
}

async fn list(client: &mut IcloudClient, options: &IcloudOptions) -> Result<Listing, IcloudError> {
    let zones: Vec<Zone> = client
        .zones()
        .await?
        .into_iter()
        .filter(|z| !(z.is_shared_library() && options.shared == SharedPolicy::Skip))
        .collect();
    if !zones.iter().any(|z| z.name == "PrimarySync") {
        tracing::warn!("iCloud lists no PrimarySync zone; only shared zones will be read");
    }
    for zone in &zones {
        let (finished, progress) = client.indexing_state(zone).await?;
        if !finished {
            return Err(IcloudError::IndexingInProgress {
                zone: zone.name.clone(),
                progress,
            });
        }
    }

    let albums = client.albums().await?;
    let mut memberships: HashMap<String, Vec<SourceAlbum>> = HashMap::new();
    let mut wanted: Option<HashSet<String>> = None;
    for album in albums.iter().filter(|a| !a.is_folder) {
        let ids = client.album_member_ids(album).await?;
        let reference = SourceAlbum {
            key: album.record_name.clone(),
            name: album.path.clone(),
            description: None,
        };
        if let Some(want) = &options.album
            && (want == &album.record_name || want == &album.path || want == &album.name)
            && wanted.is_none()
        {
            wanted = Some(ids.iter().cloned().collect());
        }
        for id in ids {
            memberships.entry(id).or_default().push(reference.clone());
        }
    }
    if let Some(want) = &options.album
        && wanted.is_none()
    {
        return Err(IcloudError::NoSuchAlbum { name: want.clone() });
    }

    let mut items = Vec::new();
    let mut targets = HashMap::new();
    let mut deleted = Vec::new();
    let mut seen = HashSet::new();
    for zone in &zones {
        let all = client.all_photos(zone, PhotoList::All).await?;
        match client.count(zone, PhotoList::All.index_id()).await {
            Ok(n) if n != all.len() as u64 => tracing::warn!(
                zone = %zone.name, counted = n, listed = all.len(),
                "iCloud's count and listing disagree (a known iCloud inconsistency); importing what was listed"
            ),
            Ok(_) => {}
            Err(e) if e.is_auth() => return Err(e),
            Err(e) => tracing::debug!(error = %e, "could not read the iCloud item count"),
        }
        let hidden = client.all_photos(zone, PhotoList::Hidden).await?;
        for photo in client.all_photos(zone, PhotoList::RecentlyDeleted).await? {
            if seen.insert(photo.asset_record.clone()) {
                deleted.push(photo.asset_record.clone());
            }
        }
        let listed = all
            .into_iter()
            .map(|p| (p, false))
            .chain(hidden.into_iter().map(|p| (p, true)));
        for (photo, from_hidden) in listed {
            if photo.deleted {
                if seen.insert(photo.asset_record.clone()) {
                    deleted.push(photo.asset_record.clone());
                }
                continue;
            }
            if !seen.insert(photo.asset_record.clone()) {
                continue;
            }
            if let Some(w) = &wanted
                && !w.contains(&photo.asset_record)
            {
                continue;
            }
            let mut albums = memberships
                .get(&photo.asset_record)
                .cloned()
                .unwrap_or_default();
            if zone.is_shared_library()
                && let SharedPolicy::Album(name) = &options.shared
            {
                albums.push(SourceAlbum {
                    key: format!("icloud-shared-library:{name}"),
                    name: name.clone(),
                    description: None,
                });
            }
            for (item, target) in items_for(&photo, zone, from_hidden, albums, options.edits) {
                if let Some(t) = target {
                    targets.insert(item.key.clone(), t);
                }
                items.push(item);
            }
        }
    }
    Ok(Listing {
        items,
        targets,
        zones,
        deleted,
    })
}

fn iso(ms: i64) -> String {
    Timestamp(ms).to_iso()
}

/// The items one photo becomes (with where their bytes are).
fn items_for(
    photo: &Photo,
    zone: &Zone,
    from_hidden: bool,
    albums: Vec<SourceAlbum>,
    edits: EditPolicy,
) -> Vec<(SourceItem, Option<Target>)> {
    let key = photo.asset_record.clone();
    let mut extra = vec![("icloud_zone".to_string(), zone.name.clone())];
    if zone.is_shared_library() {
        extra.push(("icloud_library".into(), "shared".into()));
    }
    if let Some(added) = photo.added_date {
        extra.push(("icloud_added".into(), iso(added)));
    }
    let description = match (&photo.caption, &photo.description) {
        (Some(c), Some(d)) if c != d => Some(format!("{c}\n\n{d}")),
        (Some(c), _) => Some(c.clone()),
        (None, d) => d.clone(),
    };
    let meta = ItemMeta {
        taken: photo.asset_date.map(|ms| match photo.time_zone_offset {
            Some(offset) => SourceDate::Zoned(ms, offset),
            None => SourceDate::Instant(ms),
        }),
        file_modified_at: photo.master_modified,
        location: photo.latitude.zip(photo.longitude),
        description,
        tags: photo.keywords.clone(),
        favorite: photo.favorite,
        hidden: photo.hidden || from_hidden,
        extra,
        ..ItemMeta::default()
    };
    let mut base = SourceItem {
        key: key.clone(),
        file_name: photo.file_name.clone(),
        location: ItemLocation::Unknown,
        meta,
        albums,
        ..SourceItem::default()
    };
    let target = |part: Part, resource: &Resource| Target {
        zone: zone.name.clone(),
        asset: key.clone(),
        part,
        resource: resource.clone(),
    };
    if photo.extension.is_none() {
        base.skip_reason = Some(format!(
            "iCloud file type {} is not a supported photo or video",
            photo.item_type.as_deref().unwrap_or("(none)")
        ));
        return vec![(base, None)];
    }
    let original = photo.original.as_ref().filter(|r| r.url.is_some());
    let Some(original) = original else {
        base.skip_reason = Some("iCloud offers no download for the original".into());
        return vec![(base, None)];
    };
    let mut out = Vec::new();
    let edited = photo.edited.as_ref().filter(|r| r.url.is_some());
    let edited_name = |suffix: &str| {
        format!(
            "{}{suffix}.{}",
            photo.stem(),
            photo.edited_extension.as_deref().unwrap_or("jpeg")
        )
    };
    let live = photo
        .live_video
        .as_ref()
        .filter(|r| r.url.is_some() && !photo.is_video());
    let live_key = format!("{key}-live");
    let mut main = base.clone();
    if live.is_some() {
        main.meta.live_video_key = Some(live_key.clone());
    }
    match (edits, edited) {
        (EditPolicy::Edited, Some(e)) => {
            main.file_name = edited_name("");
            main.meta
                .extra
                .push(("icloud_edited".into(), "true".into()));
            out.push((main, Some(target(Part::Edited, e))));
        }
        (EditPolicy::Both, Some(e)) => {
            out.push((main, Some(target(Part::Original, original))));
            let mut ed = base.clone();
            ed.key = format!("{key}-edited");
            ed.file_name = edited_name("-edited");
            ed.meta.extra.push(("icloud_edited".into(), "true".into()));
            out.push((ed, Some(target(Part::Edited, e))));
        }
        _ => out.push((main, Some(target(Part::Original, original)))),
    }
    if let Some(l) = live {
        let mut video = base;
        video.key = live_key;
        video.file_name = format!("{}.MOV", photo.stem());
        video.albums = Vec::new();
        out.push((video, Some(target(Part::Live, l))));
    }
    out
}

fn source_error(e: IcloudError) -> SourceError {
    match e {
        IcloudError::RateLimited { .. } => SourceError::RateLimited(e.to_string()),
        e if e.is_auth() => SourceError::Fatal(e.to_string()),
        e => SourceError::Item(e.to_string()),
    }
}

impl Source for IcloudSource {
    fn kind(&self) -> &'static str {
        "icloud"
    }

    async fn next_item(&mut self) -> Result<Option<SourceItem>, SourceError> {
        // The engine did not want the last item's bytes: drop its prefetch.
        if let Some(last) = self.last_key.take() {
            self.inflight.remove(&last);
        }
        self.prefetch_ahead();
        let item = self.items.next();
        self.last_key = item.as_ref().map(|i| i.key.clone());
        Ok(item)
    }

    async fn fetch(&mut self, item: &SourceItem, dest: &Path) -> Result<(), SourceError> {
        if self.take_prefetched(&item.key, dest).await {
            return Ok(());
        }
        let mut target =
            self.targets.get(&item.key).cloned().ok_or_else(|| {
                SourceError::Item(format!("no iCloud file known for {}", item.key))
            })?;
        let mut refreshed = false;
        loop {
            let url = target.resource.url.clone().unwrap_or_default();
            match self
                .client
                .download(&url, Some(&target.resource.checksum), dest)
                .await
            {
                Ok(_) => return Ok(()),
                Err(IcloudError::UrlExpired) if !refreshed => {
                    refreshed = true;
                    tracing::debug!(key = %item.key, "iCloud download link expired; looking the record up again");
                    target.resource = self.refreshed(&target).await.map_err(source_error)?;
                    self.targets.insert(item.key.clone(), target.clone());
                }
                Err(e) => return Err(source_error(e)),
            }
        }
    }

    fn total(&self) -> Option<u64> {
        Some(self.total)
    }
}
