//! Reading many assets at once: the timeline's month buckets and metadata search.

use keepsake_core::{Permission, Timestamp, Visibility};
use keepsake_db::AssetRecord;
use keepsake_db::assets::AssetFilter;

use crate::{Caller, Library, LibraryError, Result};

/// Filters the timeline endpoints take.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    pub album_id: Option<String>,
    pub is_favorite: Option<bool>,
    pub is_trashed: Option<bool>,
    pub visibility: Option<Visibility>,
    pub user_id: Option<String>,
    pub ascending: bool,
}

/// Metadata search filters (Immich's `MetadataSearchDto`, the basic ones).
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub id: Option<String>,
    pub checksum: Option<String>,
    pub original_file_name: Option<String>,
    pub original_path: Option<String>,
    pub description: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens_model: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub asset_type: Option<String>,
    pub is_favorite: Option<bool>,
    pub visibility: Option<Visibility>,
    pub with_deleted: bool,
    pub taken_after: Option<Timestamp>,
    pub taken_before: Option<Timestamp>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    pub updated_after: Option<Timestamp>,
    pub updated_before: Option<Timestamp>,
    pub rating: Option<i64>,
    pub album_ids: Vec<String>,
    pub ascending: bool,
    pub page: i64,
    pub size: i64,
}

impl Library {
    /// The asset filter a timeline query stands for, after access checks.
    async fn timeline_filter(&self, caller: &Caller, q: &TimelineQuery) -> Result<AssetFilter> {
        caller.require(Permission::ASSET_READ)?;
        let mut filter = AssetFilter {
            is_favorite: q.is_favorite,
            is_trashed: Some(q.is_trashed.unwrap_or(false)),
            ..Default::default()
        };
        match &q.album_id {
            Some(album) => {
                if self
                    .db()
                    .album_role(album, caller.user_id())
                    .await?
                    .is_none()
                {
                    return Err(LibraryError::NotFound(
                        "Album not found or no access".into(),
                    ));
                }
                filter.album_id = Some(album.clone());
            }
            None => {
                if let Some(user) = &q.user_id
                    && user != caller.user_id()
                {
                    return Err(LibraryError::Forbidden(
                        "Not allowed to see another user's timeline".into(),
                    ));
                }
                filter.owner_ids = vec![caller.user.id.clone()];
            }
        }
        match q.visibility {
            Some(Visibility::Locked) => {
                return Err(LibraryError::Forbidden(
                    "The locked folder needs an unlocked session".into(),
                ));
            }
            Some(v) => filter.visibility = Some(v.as_str().to_string()),
            None if q.is_trashed == Some(true) || q.album_id.is_some() => {
                filter.exclude_visibilities = vec![
                    Visibility::Hidden.as_str().into(),
                    Visibility::Locked.as_str().into(),
                ];
            }
            None => {
                filter.exclude_visibilities = vec![
                    Visibility::Hidden.as_str().into(),
                    Visibility::Locked.as_str().into(),
                    Visibility::Archive.as_str().into(),
                ];
            }
        }
        Ok(filter)
    }

    /// Month buckets (`YYYY-MM-01`) with counts, newest first unless ascending.
    pub async fn time_buckets(
        &self,
        caller: &Caller,
        q: &TimelineQuery,
    ) -> Result<Vec<(String, i64)>> {
        let filter = self.timeline_filter(caller, q).await?;
        Ok(self.db().time_buckets(&filter, q.ascending).await?)
    }

    /// The assets of one month bucket; `bucket` is a date inside the month (`2019-07-01`).
    pub async fn time_bucket(
        &self,
        caller: &Caller,
        q: &TimelineQuery,
        bucket: &str,
    ) -> Result<Vec<AssetRecord>> {
        let start = Timestamp::parse_iso(bucket)
            .ok_or_else(|| LibraryError::Invalid(format!("timeBucket {bucket:?} is not a date")))?;
        let mut filter = self.timeline_filter(caller, q).await?;
        filter.local_from = Some(start.month_start().0);
        filter.local_to = Some(start.next_month_start().0);
        Ok(self
            .db()
            .find_assets(&filter, q.ascending, i64::MAX / 2, 0)
            .await?)
    }

    /// Metadata search over the caller's assets; returns one page and whether more follow.
    pub async fn search_metadata(
        &self,
        caller: &Caller,
        q: &SearchQuery,
    ) -> Result<(Vec<AssetRecord>, bool)> {
        caller.require(Permission::ASSET_READ)?;
        let size = q.size.clamp(1, 1000);
        let page = q.page.max(1);
        let checksum = match &q.checksum {
            Some(c) => Some(
                keepsake_core::parse_sha1_checksum(c)
                    .ok_or_else(|| {
                        LibraryError::Invalid("checksum must be SHA-1 in hex or base64".into())
                    })?
                    .to_vec(),
            ),
            None => None,
        };
        let mut filter = AssetFilter {
            owner_ids: vec![caller.user.id.clone()],
            ids: q.id.clone().map(|i| vec![i]),
            checksum,
            original_path: q.original_path.clone(),
            file_name_contains: q.original_file_name.clone(),
            description_contains: q.description.clone(),
            make: q.make.clone(),
            model: q.model.clone(),
            lens_model: q.lens_model.clone(),
            city: q.city.clone(),
            state: q.state.clone(),
            country: q.country.clone(),
            asset_type: q.asset_type.clone(),
            is_favorite: q.is_favorite,
            is_trashed: if q.with_deleted { None } else { Some(false) },
            taken_after: q.taken_after.map(|t| t.0),
            taken_before: q.taken_before.map(|t| t.0),
            created_after: q.created_after.map(|t| t.0),
            created_before: q.created_before.map(|t| t.0),
            updated_after: q.updated_after.map(|t| t.0),
            updated_before: q.updated_before.map(|t| t.0),
            rating: q.rating,
            ..Default::default()
        };
        match q.visibility {
            Some(Visibility::Locked) => {
                return Err(LibraryError::Forbidden(
                    "The locked folder needs an unlocked session".into(),
                ));
            }
            Some(v) => filter.visibility = Some(v.as_str().to_string()),
            None => {
                filter.exclude_visibilities = vec![
                    Visibility::Hidden.as_str().into(),
                    Visibility::Locked.as_str().into(),
                ]
            }
        }
        let mut results: Vec<AssetRecord> = Vec::new();
        if q.album_ids.is_empty() {
            results = self
                .db()
                .find_assets(&filter, q.ascending, size + 1, (page - 1) * size)
                .await?;
        } else {
            // Assets in every listed album: narrow by the first, then check the rest.
            for album in &q.album_ids {
                if self
                    .db()
                    .album_role(album, caller.user_id())
                    .await?
                    .is_none()
                {
                    return Err(LibraryError::NotFound(
                        "Album not found or no access".into(),
                    ));
                }
            }
            filter.album_id = Some(q.album_ids[0].clone());
            let candidates = self
                .db()
                .find_assets(&filter, q.ascending, i64::MAX / 2, 0)
                .await?;
            let mut kept = Vec::new();
            for a in candidates {
                let albums = self.db().album_ids_for_asset(&a.id).await?;
                if q.album_ids.iter().all(|x| albums.contains(x)) {
                    kept.push(a);
                }
            }
            results.extend(
                kept.into_iter()
                    .skip(((page - 1) * size) as usize)
                    .take(size as usize + 1),
            );
        }
        let more = results.len() as i64 > size;
        results.truncate(size as usize);
        Ok((results, more))
    }
}

/// Filters of the map (Immich's `/map/markers` query).
#[derive(Debug, Clone, Default)]
pub struct MapQuery {
    /// `Some(true)`: archived only; `Some(false)` or `None`: the timeline's.
    pub is_archived: Option<bool>,
    pub is_favorite: Option<bool>,
    pub taken_after: Option<Timestamp>,
    pub taken_before: Option<Timestamp>,
}

impl Library {
    /// The caller's assets that have a place, for the map.
    pub async fn map_markers(
        &self,
        caller: &Caller,
        q: &MapQuery,
    ) -> Result<Vec<keepsake_db::assets::MapMarker>> {
        caller.require(Permission::MAP_READ)?;
        let visibility = match q.is_archived {
            Some(true) => Visibility::Archive,
            _ => Visibility::Timeline,
        };
        let filter = AssetFilter {
            owner_ids: vec![caller.user.id.clone()],
            is_trashed: Some(false),
            visibility: Some(visibility.as_str().to_string()),
            is_favorite: q.is_favorite,
            taken_after: q.taken_after.map(|t| t.0),
            taken_before: q.taken_before.map(|t| t.0),
            ..Default::default()
        };
        Ok(self.db().map_markers(&filter).await?)
    }
}

/// What a search suggestion lists (Immich's `SearchSuggestionType`), and the
/// narrowing values a client may pass with it.
#[derive(Debug, Clone, Default)]
pub struct SuggestionQuery {
    /// `country`, `state`, `city`, `camera-make`, `camera-model` or `camera-lens-model`.
    pub kind: String,
    pub country: Option<String>,
    pub state: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
}

impl Library {
    /// Values people can pick in metadata search, from their own assets.
    pub async fn search_suggestions(
        &self,
        caller: &Caller,
        q: &SuggestionQuery,
    ) -> Result<Vec<String>> {
        caller.require(Permission::ASSET_READ)?;
        let (column, narrowing): (&str, &[(&str, &Option<String>)]) = match q.kind.as_str() {
            "country" => ("country", &[]),
            "state" => ("state", &[("country", &q.country)]),
            "city" => ("city", &[("country", &q.country), ("state", &q.state)]),
            "camera-make" => ("make", &[("model", &q.model)]),
            "camera-model" => ("model", &[("make", &q.make)]),
            "camera-lens-model" => ("lens_model", &[("make", &q.make), ("model", &q.model)]),
            other => {
                return Err(LibraryError::Invalid(format!(
                    "Validation failed: type must be one of country, state, city, camera-make, camera-model, camera-lens-model (got {other})"
                )));
            }
        };
        let filters: Vec<(&str, String)> = narrowing
            .iter()
            .filter_map(|(c, v)| v.as_ref().map(|v| (*c, v.clone())))
            .collect();
        Ok(self
            .db()
            .exif_suggestions(caller.user_id(), column, &filters)
            .await?)
    }
}
