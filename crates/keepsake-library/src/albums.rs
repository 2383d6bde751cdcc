//! Albums and sharing them with other users as editors or viewers.
//!
//! Access rule: members (owner, editor, viewer) see an album and its assets;
//! editors and the owner add and remove assets; only the owner renames,
//! deletes and manages members. Assets added must be the caller's own or
//! already visible to them.

use keepsake_core::{AlbumRole, Permission};
use keepsake_db::AlbumRecord;
use keepsake_db::albums::{AddOutcome, AlbumChanges, AlbumFilter};

use crate::{Caller, Library, LibraryError, Result};

/// A new album.
#[derive(Debug, Clone, Default)]
pub struct NewAlbum {
    pub name: String,
    pub description: String,
    pub members: Vec<(String, AlbumRole)>,
    pub asset_ids: Vec<String>,
}

/// A member to add or a role to change.
#[derive(Debug, Clone)]
pub struct AlbumMemberChange {
    pub user_id: String,
    pub role: AlbumRole,
}

/// Per-id result of adding or removing assets, in request order.
pub type BulkResults = Vec<(String, std::result::Result<(), BulkError>)>;

/// Why one id of a bulk request was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkError {
    Duplicate,
    NoPermission,
    NotFound,
}

impl Library {
    async fn album_with_role(
        &self,
        caller: &Caller,
        album_id: &str,
    ) -> Result<(AlbumRecord, AlbumRole)> {
        let not_found = || LibraryError::NotFound("Album not found or no access".into());
        let role = self
            .db()
            .album_role(album_id, caller.user_id())
            .await?
            .and_then(|r| AlbumRole::parse(&r))
            .ok_or_else(not_found)?;
        let album = self
            .db()
            .album_by_id(album_id)
            .await?
            .ok_or_else(not_found)?;
        Ok((album, role))
    }

    /// Albums the caller can see, with Immich's filters.
    pub async fn list_albums(
        &self,
        caller: &Caller,
        filter: &AlbumFilter,
    ) -> Result<Vec<AlbumRecord>> {
        caller.require(Permission::ALBUM_READ)?;
        Ok(self.db().list_albums(caller.user_id(), filter).await?)
    }

    pub async fn create_album(&self, caller: &Caller, new: &NewAlbum) -> Result<AlbumRecord> {
        caller.require(Permission::ALBUM_CREATE)?;
        let mut members = Vec::new();
        for (user_id, role) in &new.members {
            if user_id == caller.user_id() {
                continue;
            }
            if *role == AlbumRole::Owner {
                return Err(LibraryError::Invalid(
                    "An album has one owner: share it as editor or viewer".into(),
                ));
            }
            self.db()
                .user_by_id(user_id)
                .await?
                .filter(|u| u.deleted_at.is_none())
                .ok_or_else(|| LibraryError::Invalid("User not found".into()))?;
            members.push((user_id.clone(), role.as_str().to_string()));
        }
        let mut assets = Vec::new();
        for id in &new.asset_ids {
            if self.readable_asset(caller, id).await.is_ok() && !assets.contains(id) {
                assets.push(id.clone());
            }
        }
        let id = self
            .db()
            .create_album(
                caller.user_id(),
                &new.name,
                &new.description,
                "desc",
                &members,
                &assets,
            )
            .await?;
        self.db()
            .album_by_id(&id)
            .await?
            .ok_or_else(|| LibraryError::Internal("album vanished after insert".into()))
    }

    pub async fn get_album(&self, caller: &Caller, id: &str) -> Result<AlbumRecord> {
        caller.require(Permission::ALBUM_READ)?;
        Ok(self.album_with_role(caller, id).await?.0)
    }

    /// Owner only: name, description, cover, order, activity.
    pub async fn update_album(
        &self,
        caller: &Caller,
        id: &str,
        changes: &AlbumChanges,
    ) -> Result<AlbumRecord> {
        caller.require(Permission::ALBUM_UPDATE)?;
        let (_, role) = self.album_with_role(caller, id).await?;
        if role != AlbumRole::Owner {
            return Err(LibraryError::Forbidden(
                "Only the album's owner can change it".into(),
            ));
        }
        if let Some(order) = &changes.sort_order
            && order != "asc"
            && order != "desc"
        {
            return Err(LibraryError::Invalid("order must be asc or desc".into()));
        }
        if let Some(thumb) = &changes.thumbnail_asset_id {
            let in_album = self
                .db()
                .album_ids_for_asset(thumb)
                .await?
                .iter()
                .any(|a| a == id);
            if !in_album {
                return Err(LibraryError::Invalid("Invalid album thumbnail".into()));
            }
        }
        self.db().update_album(id, changes).await?;
        self.emit_album_updated(id).await;
        self.get_album(caller, id).await
    }

    /// Owner only.
    pub async fn delete_album(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::ALBUM_DELETE)?;
        let (_, role) = self.album_with_role(caller, id).await?;
        if role != AlbumRole::Owner {
            return Err(LibraryError::Forbidden(
                "Only the album's owner can delete it".into(),
            ));
        }
        self.db().delete_album(id).await?;
        Ok(())
    }

    /// Adds assets; every id gets its own result (already there, no access, not found).
    pub async fn add_album_assets(
        &self,
        caller: &Caller,
        album_id: &str,
        ids: &[String],
    ) -> Result<BulkResults> {
        caller.require(Permission::ALBUM_ASSET_CREATE)?;
        let (_, role) = self.album_with_role(caller, album_id).await?;
        if !role.can_edit_assets() {
            return Err(LibraryError::Forbidden(
                "Viewers cannot add to this album".into(),
            ));
        }
        let mut results: BulkResults = Vec::with_capacity(ids.len());
        let mut allowed = Vec::new();
        for id in ids {
            match self.readable_asset(caller, id).await {
                Ok(_) => {
                    allowed.push(id.clone());
                    results.push((id.clone(), Ok(())));
                }
                Err(_) => results.push((id.clone(), Err(BulkError::NotFound))),
            }
        }
        let outcomes = self.db().add_album_assets(album_id, &allowed).await?;
        let mut outcome_iter = outcomes.into_iter();
        for (_, result) in results.iter_mut() {
            if result.is_ok() && outcome_iter.next() == Some(AddOutcome::Duplicate) {
                *result = Err(BulkError::Duplicate);
            }
        }
        if results.iter().any(|(_, r)| r.is_ok()) {
            self.emit_album_updated(album_id).await;
        }
        Ok(results)
    }

    /// Removes assets; editors may remove their own additions, the owner any.
    pub async fn remove_album_assets(
        &self,
        caller: &Caller,
        album_id: &str,
        ids: &[String],
    ) -> Result<BulkResults> {
        caller.require(Permission::ALBUM_ASSET_DELETE)?;
        let (_, role) = self.album_with_role(caller, album_id).await?;
        if !role.can_edit_assets() {
            return Err(LibraryError::Forbidden(
                "Viewers cannot remove from this album".into(),
            ));
        }
        let removed = self.db().remove_album_assets(album_id, ids).await?;
        if removed.iter().any(|ok| *ok) {
            self.emit_album_updated(album_id).await;
        }
        Ok(ids
            .iter()
            .zip(removed)
            .map(|(id, ok)| {
                (
                    id.clone(),
                    if ok { Ok(()) } else { Err(BulkError::NotFound) },
                )
            })
            .collect())
    }

    /// Owner only: shares the album with users.
    pub async fn add_album_users(
        &self,
        caller: &Caller,
        album_id: &str,
        members: &[AlbumMemberChange],
    ) -> Result<AlbumRecord> {
        caller.require(Permission::ALBUM_USER_CREATE)?;
        let (album, role) = self.album_with_role(caller, album_id).await?;
        if role != AlbumRole::Owner {
            return Err(LibraryError::Forbidden(
                "Only the album's owner can share it".into(),
            ));
        }
        for m in members {
            if m.user_id == caller.user_id() {
                return Err(LibraryError::Invalid("Cannot be shared with owner".into()));
            }
            if album.users.iter().any(|u| u.user_id == m.user_id) {
                return Err(LibraryError::Invalid("User already added".into()));
            }
            if m.role == AlbumRole::Owner {
                return Err(LibraryError::Invalid(
                    "An album has one owner: share it as editor or viewer".into(),
                ));
            }
            self.db()
                .user_by_id(&m.user_id)
                .await?
                .filter(|u| u.deleted_at.is_none())
                .ok_or_else(|| LibraryError::Invalid("User not found".into()))?;
        }
        for m in members {
            self.db()
                .upsert_album_user(album_id, &m.user_id, m.role.as_str())
                .await?;
        }
        self.get_album(caller, album_id).await
    }

    /// Owner only: changes a member's role.
    pub async fn update_album_user(
        &self,
        caller: &Caller,
        album_id: &str,
        change: &AlbumMemberChange,
    ) -> Result<()> {
        caller.require(Permission::ALBUM_USER_UPDATE)?;
        let (album, role) = self.album_with_role(caller, album_id).await?;
        if role != AlbumRole::Owner {
            return Err(LibraryError::Forbidden(
                "Only the album's owner can change roles".into(),
            ));
        }
        if change.role == AlbumRole::Owner {
            return Err(LibraryError::Invalid(
                "An album has one owner: share it as editor or viewer".into(),
            ));
        }
        if !album
            .users
            .iter()
            .any(|u| u.user_id == change.user_id && u.role != "owner")
        {
            return Err(LibraryError::NotFound("Album user not found".into()));
        }
        self.db()
            .upsert_album_user(album_id, &change.user_id, change.role.as_str())
            .await?;
        Ok(())
    }

    /// The owner removes a member, or a member leaves (`user_id` = "me" or their own id).
    pub async fn remove_album_user(
        &self,
        caller: &Caller,
        album_id: &str,
        user_id: &str,
    ) -> Result<()> {
        caller.require(Permission::ALBUM_USER_DELETE)?;
        let (_, role) = self.album_with_role(caller, album_id).await?;
        let target = if user_id == "me" {
            caller.user_id()
        } else {
            user_id
        };
        if role != AlbumRole::Owner && target != caller.user_id() {
            return Err(LibraryError::Forbidden(
                "Only the album's owner can remove other users".into(),
            ));
        }
        if role == AlbumRole::Owner && target == caller.user_id() {
            return Err(LibraryError::Invalid(
                "The owner cannot leave the album".into(),
            ));
        }
        if !self.db().remove_album_user(album_id, target).await? {
            return Err(LibraryError::NotFound("Album user not found".into()));
        }
        Ok(())
    }

    /// `(owned, shared, not shared)` album counts.
    pub async fn album_statistics(&self, caller: &Caller) -> Result<(i64, i64, i64)> {
        caller.require(Permission::ALBUM_STATISTICS)?;
        Ok(self.db().album_statistics(caller.user_id()).await?)
    }
}
