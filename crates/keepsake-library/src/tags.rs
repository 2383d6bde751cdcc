//! Tags: create, list, colour, delete, and put on or take off assets. A
//! change to an asset's tags is written back to its XMP sidecar, and locks the
//! asset's tags so re-reading the file does not undo it.

use keepsake_core::Permission;
use keepsake_db::tags::{TagRecord, normalize_tag_value};

use crate::albums::{BulkError, BulkResults};
use crate::{Caller, Library, LibraryError, Result};

fn valid_color(color: &str) -> bool {
    let hex = color.strip_prefix('#').unwrap_or(color);
    matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

impl Library {
    async fn own_tag(&self, caller: &Caller, id: &str) -> Result<TagRecord> {
        match self.db().tag_by_id(id).await? {
            Some(t) if t.owner_id == caller.user.id => Ok(t),
            _ => Err(LibraryError::NotFound("Tag not found".into())),
        }
    }

    pub async fn list_tags(&self, caller: &Caller) -> Result<Vec<TagRecord>> {
        caller.require(Permission::TAG_READ)?;
        Ok(self.db().list_tags(caller.user_id()).await?)
    }

    pub async fn get_tag(&self, caller: &Caller, id: &str) -> Result<TagRecord> {
        caller.require(Permission::TAG_READ)?;
        self.own_tag(caller, id).await
    }

    /// A new tag, under `parent_id` if given.
    pub async fn create_tag(
        &self,
        caller: &Caller,
        name: &str,
        parent_id: Option<&str>,
        color: Option<&str>,
    ) -> Result<TagRecord> {
        caller.require(Permission::TAG_CREATE)?;
        let name = name.trim();
        if name.is_empty() || name.contains('/') {
            return Err(LibraryError::Invalid(
                "A tag name must not be empty or contain '/'; use parentId for nesting".into(),
            ));
        }
        if let Some(c) = color
            && !valid_color(c)
        {
            return Err(LibraryError::Invalid(
                "color must be a hex colour such as #ff8800".into(),
            ));
        }
        let parent = match parent_id {
            Some(id) => Some(self.own_tag(caller, id).await?),
            None => None,
        };
        self.db()
            .create_tag(caller.user_id(), name, parent.as_ref(), color)
            .await?
            .ok_or_else(|| LibraryError::Invalid("A tag with that name already exists".into()))
    }

    /// The tags for these paths ("A/B/C"), created with their parents as needed.
    pub async fn upsert_tags(&self, caller: &Caller, values: &[String]) -> Result<Vec<TagRecord>> {
        caller.require(Permission::TAG_CREATE)?;
        if values.iter().any(|v| normalize_tag_value(v).is_none()) {
            return Err(LibraryError::Invalid("Tag names must not be empty".into()));
        }
        Ok(self.db().upsert_tags(caller.user_id(), values).await?)
    }

    pub async fn set_tag_color(
        &self,
        caller: &Caller,
        id: &str,
        color: Option<&str>,
    ) -> Result<TagRecord> {
        caller.require(Permission::TAG_UPDATE)?;
        if let Some(c) = color
            && !valid_color(c)
        {
            return Err(LibraryError::Invalid(
                "color must be a hex colour such as #ff8800".into(),
            ));
        }
        let tag = self.own_tag(caller, id).await?;
        self.db().set_tag_color(&tag.id, color).await?;
        self.own_tag(caller, id).await
    }

    /// Removes a tag and the tags under it; assets keep everything else.
    pub async fn delete_tag(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::TAG_DELETE)?;
        let tag = self.own_tag(caller, id).await?;
        let assets = self.db().delete_tag(&tag.id).await?;
        self.queue_sidecar_writes(&assets).await
    }

    /// Puts a tag on assets the caller owns; per id, in request order.
    pub async fn tag_assets(
        &self,
        caller: &Caller,
        id: &str,
        asset_ids: &[String],
    ) -> Result<BulkResults> {
        caller.require(Permission::TAG_ASSET)?;
        let tag = self.own_tag(caller, id).await?;
        self.change_tag_links(caller, &tag, asset_ids, true).await
    }

    /// Takes a tag off assets; per id, in request order.
    pub async fn untag_assets(
        &self,
        caller: &Caller,
        id: &str,
        asset_ids: &[String],
    ) -> Result<BulkResults> {
        caller.require(Permission::TAG_ASSET)?;
        let tag = self.own_tag(caller, id).await?;
        self.change_tag_links(caller, &tag, asset_ids, false).await
    }

    /// Every tag on every asset; returns how many links were new.
    pub async fn tag_assets_bulk(
        &self,
        caller: &Caller,
        tag_ids: &[String],
        asset_ids: &[String],
    ) -> Result<usize> {
        caller.require(Permission::TAG_ASSET)?;
        let mut tags = Vec::new();
        for id in tag_ids {
            tags.push(self.own_tag(caller, id).await?);
        }
        for id in asset_ids {
            self.owned_asset(caller, id).await?;
        }
        let mut count = 0;
        for tag in &tags {
            count += self
                .db()
                .tag_assets(&tag.id, asset_ids)
                .await?
                .into_iter()
                .filter(|added| *added)
                .count();
        }
        self.queue_sidecar_writes(asset_ids).await?;
        Ok(count)
    }

    async fn change_tag_links(
        &self,
        caller: &Caller,
        tag: &TagRecord,
        asset_ids: &[String],
        add: bool,
    ) -> Result<BulkResults> {
        let mut results: BulkResults = Vec::new();
        let mut allowed = Vec::new();
        for id in asset_ids {
            match self.owned_asset(caller, id).await {
                Ok(_) => allowed.push(id.clone()),
                Err(LibraryError::NotFound(_)) => {
                    results.push((id.clone(), Err(BulkError::NoPermission)))
                }
                Err(e) => return Err(e),
            }
        }
        let changed = if add {
            self.db().tag_assets(&tag.id, &allowed).await?
        } else {
            self.db().untag_assets(&tag.id, &allowed).await?
        };
        let mut touched = Vec::new();
        for (id, did) in allowed.iter().zip(changed) {
            if did {
                touched.push(id.clone());
                results.push((id.clone(), Ok(())));
            } else if add {
                results.push((id.clone(), Err(BulkError::Duplicate)));
            } else {
                results.push((id.clone(), Err(BulkError::NotFound)));
            }
        }
        // Answer in request order.
        results.sort_by_key(|(id, _)| asset_ids.iter().position(|a| a == id));
        self.queue_sidecar_writes(&touched).await?;
        Ok(results)
    }

    /// The tags on an asset the caller may see.
    pub async fn asset_tags(&self, caller: &Caller, asset_id: &str) -> Result<Vec<TagRecord>> {
        caller.require(Permission::ASSET_READ)?;
        let asset = self.readable_asset(caller, asset_id).await?;
        Ok(self.db().asset_tags(&asset.id).await?)
    }
}
