//! Albums, their members (owner, editors, viewers) and their assets.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::assets::{Param, bind_all};
use crate::{AlbumMember, AlbumRecord, Db, Result, get_bool, get_opt_i64, now_ms};

/// Which albums a listing shows, from one user's point of view.
#[derive(Debug, Clone, Default)]
pub struct AlbumFilter {
    /// `Some(true)`: albums the user owns; `Some(false)`: albums shared with them.
    pub is_owned: Option<bool>,
    /// `Some(true)`: albums with at least one member besides the owner.
    pub is_shared: Option<bool>,
    pub asset_id: Option<String>,
    pub name: Option<String>,
    pub id: Option<String>,
}

/// Result of adding one asset to an album.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    Duplicate,
}

/// Changes to an album; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AlbumChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub thumbnail_asset_id: Option<String>,
    pub is_activity_enabled: Option<bool>,
    pub sort_order: Option<String>,
}

const ALBUM_SELECT: &str = "SELECT al.id, al.name, al.description, al.thumbnail_asset_id, al.is_activity_enabled, al.sort_order, al.created_at, al.updated_at, \
    (SELECT COUNT(*) FROM album_assets x JOIN assets a ON a.id = x.asset_id WHERE x.album_id = al.id AND a.deleted_at IS NULL) AS asset_count, \
    (SELECT MIN(a.file_created_at) FROM album_assets x JOIN assets a ON a.id = x.asset_id WHERE x.album_id = al.id AND a.deleted_at IS NULL) AS start_date, \
    (SELECT MAX(a.file_created_at) FROM album_assets x JOIN assets a ON a.id = x.asset_id WHERE x.album_id = al.id AND a.deleted_at IS NULL) AS end_date, \
    (SELECT MAX(a.updated_at) FROM album_assets x JOIN assets a ON a.id = x.asset_id WHERE x.album_id = al.id AND a.deleted_at IS NULL) AS last_modified \
    FROM albums al";

fn album_from_row(row: &AnyRow) -> Result<AlbumRecord> {
    Ok(AlbumRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        thumbnail_asset_id: row.try_get("thumbnail_asset_id")?,
        is_activity_enabled: get_bool(row, "is_activity_enabled")?,
        sort_order: row.try_get("sort_order")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        asset_count: get_opt_i64(row, "asset_count")?.unwrap_or(0),
        start_date: get_opt_i64(row, "start_date")?,
        end_date: get_opt_i64(row, "end_date")?,
        last_modified_asset_at: get_opt_i64(row, "last_modified")?,
        users: Vec::new(),
    })
}

impl Db {
    /// Creates an album owned by `owner_id` with members and assets (both
    /// already checked by the caller). The first asset becomes the cover.
    pub async fn create_album(
        &self,
        owner_id: &str,
        name: &str,
        description: &str,
        sort_order: &str,
        members: &[(String, String)],
        asset_ids: &[String],
    ) -> Result<String> {
        let id = crate::new_id();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO albums (id, name, description, thumbnail_asset_id, sort_order, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(name)
        .bind(description)
        .bind(asset_ids.first().cloned())
        .bind(sort_order)
        .bind(now)
        .execute(tx.conn())
        .await?;
        sqlx::query("INSERT INTO album_users (album_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
            .bind(&id)
            .bind(owner_id)
            .bind(now)
            .execute(tx.conn())
            .await?;
        for (user_id, role) in members {
            sqlx::query("INSERT INTO album_users (album_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(&id)
                .bind(user_id)
                .bind(role)
                .bind(now)
                .execute(tx.conn())
                .await?;
        }
        for asset_id in asset_ids {
            sqlx::query("INSERT INTO album_assets (album_id, asset_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(&id)
                .bind(asset_id)
                .bind(now)
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn album_by_id(&self, id: &str) -> Result<Option<AlbumRecord>> {
        let sql = format!("{ALBUM_SELECT} WHERE al.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut album = album_from_row(&row)?;
        album.users = self.album_members(id).await?;
        Ok(Some(album))
    }

    /// Members of an album, owner first.
    pub async fn album_members(&self, album_id: &str) -> Result<Vec<AlbumMember>> {
        let rows = sqlx::query(
            "SELECT user_id, role FROM album_users WHERE album_id = $1 ORDER BY CASE role WHEN 'owner' THEN 0 ELSE 1 END, created_at, user_id",
        )
        .bind(album_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AlbumMember {
                    user_id: r.try_get("user_id")?,
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    /// The user's role in an album, or `None` when they have no access.
    pub async fn album_role(&self, album_id: &str, user_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT role FROM album_users WHERE album_id = $1 AND user_id = $2")
            .bind(album_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("role")).transpose()?)
    }

    /// Albums the user can see, newest first.
    pub async fn list_albums(
        &self,
        user_id: &str,
        filter: &AlbumFilter,
    ) -> Result<Vec<AlbumRecord>> {
        let mut params = vec![Param::Text(user_id.to_string())];
        let mut clauses = vec![
            "EXISTS (SELECT 1 FROM album_users me WHERE me.album_id = al.id AND me.user_id = $1)"
                .to_string(),
        ];
        match filter.is_owned {
            Some(true) => clauses.push("EXISTS (SELECT 1 FROM album_users o WHERE o.album_id = al.id AND o.user_id = $1 AND o.role = 'owner')".into()),
            Some(false) => clauses.push("NOT EXISTS (SELECT 1 FROM album_users o WHERE o.album_id = al.id AND o.user_id = $1 AND o.role = 'owner')".into()),
            None => {}
        }
        match filter.is_shared {
            Some(true) => clauses
                .push("(SELECT COUNT(*) FROM album_users m WHERE m.album_id = al.id) > 1".into()),
            Some(false) => clauses
                .push("(SELECT COUNT(*) FROM album_users m WHERE m.album_id = al.id) = 1".into()),
            None => {}
        }
        if let Some(a) = &filter.asset_id {
            params.push(Param::Text(a.clone()));
            clauses.push(format!("EXISTS (SELECT 1 FROM album_assets x WHERE x.album_id = al.id AND x.asset_id = ${})", params.len()));
        }
        if let Some(n) = &filter.name {
            params.push(Param::Text(n.clone()));
            clauses.push(format!("al.name = ${}", params.len()));
        }
        if let Some(i) = &filter.id {
            params.push(Param::Text(i.clone()));
            clauses.push(format!("al.id = ${}", params.len()));
        }
        let sql = format!(
            "{ALBUM_SELECT} WHERE {} ORDER BY al.created_at DESC, al.id",
            clauses.join(" AND ")
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_all(&self.pool)
            .await?;
        let mut albums: Vec<AlbumRecord> =
            rows.iter().map(album_from_row).collect::<Result<_>>()?;
        for album in &mut albums {
            album.users = self.album_members(&album.id).await?;
        }
        Ok(albums)
    }

    pub async fn update_album(&self, id: &str, changes: &AlbumChanges) -> Result<bool> {
        let mut sets = vec!["updated_at = $2".to_string()];
        let mut params = vec![Param::Text(id.to_string()), Param::Int(now_ms())];
        let fields: [(&Option<String>, &str); 4] = [
            (&changes.name, "name"),
            (&changes.description, "description"),
            (&changes.thumbnail_asset_id, "thumbnail_asset_id"),
            (&changes.sort_order, "sort_order"),
        ];
        for (value, column) in fields {
            if let Some(v) = value {
                params.push(Param::Text(v.clone()));
                sets.push(format!("{column} = ${}", params.len()));
            }
        }
        if let Some(v) = changes.is_activity_enabled {
            params.push(Param::Bool(v));
            sets.push(format!("is_activity_enabled = ${}", params.len()));
        }
        let sql = format!("UPDATE albums SET {} WHERE id = $1", sets.join(", "));
        let mut tx = self.begin_write().await?;
        let n = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    pub async fn delete_album(&self, id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM albums WHERE id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Adds assets (already checked by the caller); each id reports added or
    /// already there. The first added asset becomes the cover if there is none.
    pub async fn add_album_assets(
        &self,
        album_id: &str,
        asset_ids: &[String],
    ) -> Result<Vec<AddOutcome>> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(asset_ids.len());
        let mut first_added: Option<&String> = None;
        for asset_id in asset_ids {
            let n = sqlx::query("INSERT INTO album_assets (album_id, asset_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(album_id)
                .bind(asset_id.as_str())
                .bind(now)
                .execute(tx.conn())
                .await?
                .rows_affected();
            if n == 1 {
                first_added.get_or_insert(asset_id);
                out.push(AddOutcome::Added);
            } else {
                out.push(AddOutcome::Duplicate);
            }
        }
        if let Some(first) = first_added {
            sqlx::query("UPDATE albums SET updated_at = $2, thumbnail_asset_id = COALESCE(thumbnail_asset_id, $3) WHERE id = $1")
                .bind(album_id)
                .bind(now)
                .bind(first.as_str())
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Removes assets from an album; each id reports whether it was there.
    pub async fn remove_album_assets(
        &self,
        album_id: &str,
        asset_ids: &[String],
    ) -> Result<Vec<bool>> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(asset_ids.len());
        for asset_id in asset_ids {
            let n = sqlx::query("DELETE FROM album_assets WHERE album_id = $1 AND asset_id = $2")
                .bind(album_id)
                .bind(asset_id.as_str())
                .execute(tx.conn())
                .await?
                .rows_affected();
            out.push(n > 0);
        }
        if out.iter().any(|r| *r) {
            sqlx::query(
                "UPDATE albums SET updated_at = $2, thumbnail_asset_id = CASE WHEN thumbnail_asset_id IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM album_assets x WHERE x.album_id = albums.id AND x.asset_id = albums.thumbnail_asset_id) \
                 THEN (SELECT MIN(asset_id) FROM album_assets x WHERE x.album_id = albums.id) ELSE thumbnail_asset_id END WHERE id = $1",
            )
            .bind(album_id)
            .bind(now)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Adds or changes a member's role (never the owner's).
    pub async fn upsert_album_user(&self, album_id: &str, user_id: &str, role: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO album_users (album_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (album_id, user_id) DO UPDATE SET role = excluded.role WHERE album_users.role <> 'owner'",
        )
        .bind(album_id)
        .bind(user_id)
        .bind(role)
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
        sqlx::query("UPDATE albums SET updated_at = $2 WHERE id = $1")
            .bind(album_id)
            .bind(now_ms())
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Removes a member (never the owner); false when they were not one.
    pub async fn remove_album_user(&self, album_id: &str, user_id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "DELETE FROM album_users WHERE album_id = $1 AND user_id = $2 AND role <> 'owner'",
        )
        .bind(album_id)
        .bind(user_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Counts for `GET /albums/statistics`: (owned, shared, not shared).
    pub async fn album_statistics(&self, user_id: &str) -> Result<(i64, i64, i64)> {
        let owned = self
            .list_albums(
                user_id,
                &AlbumFilter {
                    is_owned: Some(true),
                    ..Default::default()
                },
            )
            .await?;
        let shared = self
            .list_albums(
                user_id,
                &AlbumFilter {
                    is_shared: Some(true),
                    ..Default::default()
                },
            )
            .await?;
        let not_shared = owned.iter().filter(|a| a.users.len() == 1).count() as i64;
        Ok((owned.len() as i64, shared.len() as i64, not_shared))
    }
}
