//! Flickr through its API as an import source: the whole photostream (photos
//! in no album included), album membership from photosets, and each
//! original downloaded only when the engine asks for it.
//!
//! The listing is taken up front (one call per 500 photos and per album
//! page), so a resumed run lists again and the engine skips what it has.
//! Item keys are Flickr photo ids, shared with the account-export source, so
//! a photo brought in either way is recognised by the other.

use std::collections::HashMap;
use std::path::Path;

use keepsake_core::import::{
    Granularity as ItemGranularity, ItemLocation, ItemMeta, Source, SourceAlbum, SourceDate,
    SourceError, SourceItem,
};
use keepsake_core::time::Timestamp;

use super::model::{Granularity, Photo, Privacy};
use super::{FlickrClient, FlickrError, PhotosQuery};

/// A Flickr account (or one of its albums) to import.
pub struct FlickrSource {
    client: FlickrClient,
    items: std::vec::IntoIter<SourceItem>,
    photos: HashMap<String, Photo>,
    total: u64,
}

impl FlickrSource {
    /// Lists `user_or_url` (an NSID, a username, a profile or photo URL, or
    /// `me`); with `album`, only that photoset's items.
    pub async fn open(
        client: FlickrClient,
        user_or_url: &str,
        album: Option<&str>,
    ) -> Result<FlickrSource, FlickrError> {
        let user_id = client.resolve_user(user_or_url).await?;
        let started = now_secs();
        let mut query = PhotosQuery::all_of(user_id.clone());
        // Uploads made while the run lists must not shift the pages.
        query.max_upload_date = Some(started);
        let photos = client.all_photos(&query).await?;
        let sets = client.all_photosets(&user_id).await?;
        // Albums inside collections are named by their full path (`Trips/2019/Paris`).
        let folders = match client.collection_tree(&user_id).await {
            Ok(tree) => super::model::album_folders(&tree),
            Err(e @ FlickrError::RateLimited { .. }) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the Flickr collections; albums keep their own names");
                HashMap::new()
            }
        };
        let mut memberships: HashMap<String, Vec<SourceAlbum>> = HashMap::new();
        let mut wanted: Option<Vec<String>> = None;
        for set in &sets {
            let ids = client.all_photoset_photo_ids(&set.id, &user_id).await?;
            let album_ref = SourceAlbum {
                key: set.id.clone(),
                name: {
                    let title = match super::text::decode_entities(set.title.trim()).trim() {
                        "" => format!("Flickr album {}", set.id),
                        title => title.to_string(),
                    };
                    match folders.get(&set.id) {
                        Some(folder) if !folder.is_empty() => {
                            format!("{}/{title}", super::text::decode_entities(folder))
                        }
                        _ => title,
                    }
                },
                description: Some(super::text::html_to_text(&set.description))
                    .filter(|d| !d.is_empty()),
            };
            if album == Some(set.id.as_str()) {
                wanted = Some(ids.clone());
            }
            for id in ids {
                memberships.entry(id).or_default().push(album_ref.clone());
            }
        }
        if let Some(a) = album
            && wanted.is_none()
        {
            return Err(FlickrError::NotFound {
                message: format!("album {a} is not one of this account's albums"),
            });
        }
        // Spellings as the person typed them ("New York" for `newyork`).
        let raw_tags: HashMap<String, String> = match client.raw_tags().await {
            Ok(tags) => tags
                .into_iter()
                .filter_map(|t| t.raw.into_iter().next().map(|r| (t.clean, r)))
                .collect(),
            Err(e @ FlickrError::RateLimited { .. }) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the raw tag spellings; using Flickr's normalised tags");
                HashMap::new()
            }
        };
        let mut items = Vec::with_capacity(photos.len());
        let mut by_id = HashMap::with_capacity(photos.len());
        for photo in photos {
            if let Some(w) = &wanted
                && !w.contains(&photo.id)
            {
                continue;
            }
            let albums = memberships.remove(&photo.id).unwrap_or_default();
            items.push(item_for(&photo, albums, &raw_tags));
            by_id.insert(photo.id.clone(), photo);
        }
        items.sort_by(|a, b| numeric_then_text(&a.key, &b.key));
        let total = items.len() as u64;
        Ok(FlickrSource {
            client,
            items: items.into_iter(),
            photos: by_id,
            total,
        })
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn numeric_then_text(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn item_for(
    photo: &Photo,
    albums: Vec<SourceAlbum>,
    raw_tags: &HashMap<String, String>,
) -> SourceItem {
    let decoded = super::text::decode_entities(photo.title.trim());
    let title = decoded.trim();
    let extension = if photo.is_video() {
        "mp4".to_string()
    } else {
        photo
            .original_format
            .clone()
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "jpg".into())
            .to_ascii_lowercase()
    };
    let title_stem = super::text::file_name_title(title);
    let stem = title_stem.as_deref().unwrap_or(photo.id.as_str());
    let taken = photo.taken();
    let granularity = match taken.granularity {
        Granularity::Exact | Granularity::Other(_) => ItemGranularity::Second,
        Granularity::Month => ItemGranularity::Month,
        Granularity::Year => ItemGranularity::Year,
        Granularity::Circa => ItemGranularity::Circa,
    };
    let privacy = match photo.privacy() {
        Privacy::Public => "public",
        Privacy::FriendsAndFamily => "friends & family",
        Privacy::Friends => "friends",
        Privacy::Family => "family",
        Privacy::Private => "private",
    };
    let mut extra = vec![
        ("flickr_id".to_string(), photo.id.clone()),
        ("flickr_privacy".to_string(), privacy.to_string()),
        (
            "flickr_url".to_string(),
            format!(
                "https://www.flickr.com/photos/{}/{}/",
                photo.path_alias.as_deref().unwrap_or(&photo.owner),
                photo.id
            ),
        ),
    ];
    if let Some(l) = &photo.license {
        extra.push(("flickr_license".into(), l.clone()));
    }
    if let Some(t) = photo.date_upload {
        extra.push(("flickr_uploaded_at".into(), Timestamp(t * 1000).to_iso()));
    }
    SourceItem {
        key: photo.id.clone(),
        file_name: format!("{stem}.{extension}"),
        location: photo
            .url_o
            .clone()
            .filter(|_| !photo.is_video())
            .map(ItemLocation::Url)
            .unwrap_or_default(),
        meta: ItemMeta {
            taken: taken
                .wall_time
                .map(|c| SourceDate::Local(Timestamp::from_civil(c).0, granularity)),
            // When nothing else dates it, the upload is the best guess.
            file_modified_at: photo.date_upload.map(|s| s * 1000),
            location: photo.geo().map(|g| (g.latitude, g.longitude)),
            title: (!title.is_empty() && title_stem.is_none()).then(|| title.to_string()),
            description: Some(super::text::html_to_text(&photo.description))
                .filter(|d| !d.is_empty()),
            tags: photo
                .tags
                .iter()
                .map(|t| raw_tags.get(t).cloned().unwrap_or_else(|| t.clone()))
                .collect(),
            extra,
            ..Default::default()
        },
        albums,
        ..Default::default()
    }
}

impl Source for FlickrSource {
    fn kind(&self) -> &'static str {
        "flickr"
    }

    async fn next_item(&mut self) -> Result<Option<SourceItem>, SourceError> {
        Ok(self.items.next())
    }

    async fn fetch(&mut self, item: &SourceItem, dest: &Path) -> Result<(), SourceError> {
        let photo = self
            .photos
            .get(&item.key)
            .ok_or_else(|| SourceError::Item(format!("photo {} was not listed", item.key)))?;
        let source = self
            .client
            .original_source(photo)
            .await
            .map_err(flickr_error)?;
        if !source.original {
            tracing::warn!(photo = %photo.id, label = %source.label, "Flickr offers no original for this item; importing its largest rendition");
        }
        self.client
            .download_to_file(&source.url, dest)
            .await
            .map(|_| ())
            .map_err(flickr_error)
    }

    fn total(&self) -> Option<u64> {
        Some(self.total)
    }
}

/// Rate limits and a rejected login stop the run; anything else fails the item.
fn flickr_error(e: FlickrError) -> SourceError {
    match e {
        FlickrError::RateLimited { .. } => SourceError::RateLimited(e.to_string()),
        FlickrError::TokenRejected { .. }
        | FlickrError::InvalidApiKey { .. }
        | FlickrError::InvalidSignature { .. }
        | FlickrError::InsufficientPermissions { .. } => SourceError::Fatal(e.to_string()),
        other => SourceError::Item(other.to_string()),
    }
}
