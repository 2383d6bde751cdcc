//! The queries behind the mobile sync stream: per-session checkpoints, and
//! paged reads of what one user may see, by change id, inside one read
//! snapshot so that every page agrees with every other.
//!
//! A [`SyncSnapshot`] holds one read-only transaction (SQLite: a deferred
//! `BEGIN` in WAL mode, which reads one snapshot; PostgreSQL: `REPEATABLE
//! READ`). Dropping it rolls back. Each page is a keyset query with a bounded
//! `LIMIT`, so nothing here reads a whole library at once.
//!
//! Cursors: most entities page by their own `change_id` (unique across the
//! whole database: one counter). Rows seen through an album membership page by
//! `k`, the newest change id among the row, the membership and the user's own
//! `album_users` row (so joining an album brings everything in it), with
//! (album id, second id) breaking ties.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::changes::DeleteRecord;
use crate::{Db, Engine, Result, get_bool, get_opt_i64, now_ms};

/// A user as the sync stream sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub avatar_color: Option<String>,
    pub is_admin: bool,
    pub storage_label: Option<String>,
    pub quota_size_bytes: Option<i64>,
    /// Bytes of originals the user owns.
    pub quota_usage_bytes: i64,
    pub profile_changed_at: i64,
    pub deleted_at: Option<i64>,
    pub change_id: i64,
}

/// An asset as the sync stream sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncAsset {
    pub id: String,
    pub owner_id: String,
    pub original_file_name: String,
    pub checksum: Vec<u8>,
    pub asset_type: String,
    pub visibility: String,
    pub is_favorite: bool,
    pub thumbhash: Option<Vec<u8>>,
    pub file_created_at: i64,
    pub file_modified_at: i64,
    pub created_at: i64,
    pub local_date_time: i64,
    pub duration_ms: Option<i64>,
    pub deleted_at: Option<i64>,
    pub live_photo_video_id: Option<String>,
    pub library_id: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub change_id: i64,
}

/// An asset's EXIF row as the sync stream sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncExif {
    pub asset_id: String,
    pub description: String,
    pub exif_image_width: Option<i64>,
    pub exif_image_height: Option<i64>,
    pub file_size: Option<i64>,
    pub orientation: Option<String>,
    pub date_time_original: Option<i64>,
    pub modify_date: Option<i64>,
    pub time_zone: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub projection_type: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens_model: Option<String>,
    pub f_number: Option<f64>,
    pub focal_length: Option<f64>,
    pub iso: Option<i64>,
    pub exposure_time: Option<String>,
    pub profile_description: Option<String>,
    pub rating: Option<i64>,
    pub fps: Option<f64>,
    pub change_id: i64,
}

/// An album as the sync stream sends it to one user.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncAlbum {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Only when that user can see the asset (else the phone's foreign key fails).
    pub thumbnail_asset_id: Option<String>,
    pub is_activity_enabled: bool,
    pub sort_order: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The cursor: the newer of the album's change id and the user's membership's.
    pub key: i64,
}

/// A position in a stream of rows seen through album memberships.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyset {
    pub key: i64,
    pub album_id: String,
    pub other_id: String,
}

/// Which delete records a user receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteScope {
    /// Every deleted user (everyone is in everyone's user list).
    Users,
    /// The user's own deleted assets (never other people's: see `immich-mobile.md` §3.9).
    OwnAssets,
    /// Albums the user was a member of when they were deleted.
    Albums,
    /// Memberships removed from albums the user is in now.
    AlbumUsers,
    /// Assets removed from albums the user is in now.
    AlbumAssets,
}

/// A stored checkpoint: the cursor's name and the acknowledged position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCheckpoint {
    pub sync_type: String,
    pub ack: String,
}

const USER_COLUMNS: &str = "u.id, u.name, u.email, u.avatar_color, u.is_admin, u.storage_label, u.quota_size_bytes, u.profile_changed_at, u.deleted_at, u.change_id, CAST((SELECT COALESCE(SUM(x.file_size), 0) FROM assets x WHERE x.owner_id = u.id) AS BIGINT) AS usage";

const ASSET_COLUMNS: &str = "a.id, a.owner_id, a.original_file_name, a.checksum, a.asset_type, a.visibility, a.is_favorite, a.thumbhash, a.file_created_at, a.file_modified_at, a.created_at, a.local_date_time, a.duration_ms, a.deleted_at, a.live_photo_video_id, a.library_id, a.width, a.height, a.change_id";

const EXIF_COLUMNS: &str = "e.asset_id, e.description, e.exif_image_width, e.exif_image_height, e.file_size AS exif_file_size, e.orientation, e.date_time_original, e.modify_date, e.time_zone, e.latitude, e.longitude, e.projection_type, e.city, e.state, e.country, e.make, e.model, e.lens_model, e.f_number, e.focal_length, e.iso, e.exposure_time, e.profile_description, e.rating, e.fps, e.change_id AS exif_change_id";

/// The newest of three change ids, in SQL both engines run.
fn newest(a: &str, b: &str, c: &str) -> String {
    format!("CASE WHEN {a} >= {b} AND {a} >= {c} THEN {a} WHEN {b} >= {c} THEN {b} ELSE {c} END")
}

/// Rows after `after` in (k, album_id, other_id) order, for a subquery `t`.
const AFTER_KEYSET: &str =
    "(t.k > $2 OR (t.k = $2 AND (t.album_id > $3 OR (t.album_id = $3 AND t.other_id > $4))))";

impl Db {
    /// One asset and its EXIF row (if extracted yet) as the sync stream
    /// sends them, for a live update; `None` when the asset is gone.
    pub async fn sync_asset_with_exif(
        &self,
        asset_id: &str,
    ) -> Result<Option<(SyncAsset, Option<SyncExif>)>> {
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets a WHERE a.id = $1"
        )))
        .bind(asset_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let exif = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EXIF_COLUMNS} FROM asset_exif e WHERE e.asset_id = $1"
        )))
        .bind(asset_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(Some((
            asset_from_row(&row)?,
            exif.as_ref().map(exif_from_row).transpose()?,
        )))
    }

    /// Opens a read snapshot for one sync stream.
    pub async fn sync_snapshot(&self) -> Result<SyncSnapshot> {
        let begin = match self.engine {
            Engine::Sqlite => "BEGIN",
            Engine::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let tx = self.pool.begin_with(begin).await?;
        Ok(SyncSnapshot { tx })
    }

    /// A session's checkpoints, by cursor name.
    pub async fn sync_checkpoints(&self, session_id: &str) -> Result<Vec<SyncCheckpoint>> {
        let rows = sqlx::query(
            "SELECT sync_type, ack FROM session_sync_checkpoints WHERE session_id = $1 ORDER BY sync_type",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SyncCheckpoint {
                    sync_type: r.try_get("sync_type")?,
                    ack: r.try_get("ack")?,
                })
            })
            .collect()
    }

    /// Stores checkpoints (one per cursor; a later one replaces an earlier one).
    pub async fn set_sync_checkpoints(
        &self,
        session_id: &str,
        checkpoints: &[SyncCheckpoint],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for c in checkpoints {
            sqlx::query(
                "INSERT INTO session_sync_checkpoints (session_id, sync_type, ack, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (session_id, sync_type) DO UPDATE SET ack = excluded.ack, updated_at = excluded.updated_at",
            )
            .bind(session_id)
            .bind(&c.sync_type)
            .bind(&c.ack)
            .bind(now_ms())
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await
    }

    /// Forgets some of a session's checkpoints (`None`: all of them).
    pub async fn delete_sync_checkpoints(
        &self,
        session_id: &str,
        sync_types: Option<&[String]>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut n = 0;
        match sync_types {
            None => {
                n += sqlx::query("DELETE FROM session_sync_checkpoints WHERE session_id = $1")
                    .bind(session_id)
                    .execute(tx.conn())
                    .await?
                    .rows_affected();
            }
            Some(types) => {
                for t in types {
                    n += sqlx::query(
                        "DELETE FROM session_sync_checkpoints WHERE session_id = $1 AND sync_type = $2",
                    )
                    .bind(session_id)
                    .bind(t)
                    .execute(tx.conn())
                    .await?
                    .rows_affected();
                }
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    /// The phone acknowledged a reset: forget every checkpoint of the session
    /// and clear its pending-reset flag, in one transaction.
    pub async fn finish_sync_reset(&self, session_id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM session_sync_checkpoints WHERE session_id = $1")
            .bind(session_id)
            .execute(tx.conn())
            .await?;
        let flag = match self.engine {
            Engine::Sqlite => "UPDATE sessions SET is_pending_sync_reset = 0 WHERE id = $1",
            Engine::Postgres => "UPDATE sessions SET is_pending_sync_reset = FALSE WHERE id = $1",
        };
        sqlx::query(flag)
            .bind(session_id)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Flags every session of a user for a sync reset (their next stream is
    /// only `SyncResetV1`).
    pub async fn flag_sync_reset(&self, user_id: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let flag = match self.engine {
            Engine::Sqlite => "UPDATE sessions SET is_pending_sync_reset = 1 WHERE user_id = $1",
            Engine::Postgres => {
                "UPDATE sessions SET is_pending_sync_reset = TRUE WHERE user_id = $1"
            }
        };
        let n = sqlx::query(flag)
            .bind(user_id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// The highest change id of a pruned delete record (0: none pruned yet).
    pub async fn change_prune_mark(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT value FROM change_prune_mark WHERE id = 1")
                .fetch_one(&self.pool)
                .await?
                .try_get("value")?,
        )
    }
}

/// One consistent read snapshot for a sync stream (see the module docs).
pub struct SyncSnapshot {
    tx: Transaction<'static, Any>,
}

impl SyncSnapshot {
    /// The newest change id this snapshot sees.
    pub async fn latest_change_id(&mut self) -> Result<i64> {
        Ok(sqlx::query("SELECT value FROM change_counter WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await?
            .try_get("value")?)
    }

    /// The prune mark as this snapshot sees it.
    pub async fn prune_mark(&mut self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT value FROM change_prune_mark WHERE id = 1")
                .fetch_one(&mut *self.tx)
                .await?
                .try_get("value")?,
        )
    }

    /// Whether the session is flagged for a reset (`None`: the session is gone).
    pub async fn session_pending_reset(&mut self, session_id: &str) -> Result<Option<bool>> {
        let row = sqlx::query("SELECT is_pending_sync_reset FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| get_bool(&r, "is_pending_sync_reset"))
            .transpose()
    }

    /// Users changed after `after`, oldest change first; with `only`, that
    /// one user as the signed-in user, whose position also counts changes to
    /// their assets (see the query).
    pub async fn users(
        &mut self,
        only: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SyncUser>> {
        let rows = match only {
            Some(id) => {
                // The signed-in user's row carries `quotaUsageInBytes`, summed
                // from their assets: its position is also moved by every change
                // to an asset of theirs (upload, edit, delete record), or a
                // phone that synced before an upload would keep the old usage
                // while a new phone shows the new one.
                let k = newest(
                    "u.change_id",
                    "COALESCE((SELECT MAX(x.change_id) FROM assets x WHERE x.owner_id = u.id), 0)",
                    "COALESCE((SELECT MAX(d.change_id) FROM change_delete d WHERE d.entity = 'asset' AND d.user_id = u.id), 0)",
                );
                let columns = USER_COLUMNS.replace("u.change_id", &format!("{k} AS change_id"));
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT * FROM (SELECT {columns} FROM users u WHERE u.id = $3) s WHERE s.change_id > $1 ORDER BY s.change_id LIMIT $2"
                )))
                .bind(after)
                .bind(limit)
                .bind(id)
                .fetch_all(&mut *self.tx)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.change_id > $1 ORDER BY u.change_id LIMIT $2"
                )))
                .bind(after)
                .bind(limit)
                .fetch_all(&mut *self.tx)
                .await?
            }
        };
        rows.iter().map(user_from_row).collect()
    }

    /// Delete records after `after` that `user_id` receives, oldest first.
    pub async fn deletes(
        &mut self,
        scope: DeleteScope,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<DeleteRecord>> {
        let filter = match scope {
            DeleteScope::Users => "d.entity = 'user' AND $2 <> ''",
            DeleteScope::OwnAssets => "d.entity = 'asset' AND d.user_id = $2",
            DeleteScope::Albums => {
                "d.entity = 'album' AND EXISTS (SELECT 1 FROM change_delete m WHERE m.entity = 'album_user' AND m.id1 = d.id1 AND m.user_id = $2)"
            }
            DeleteScope::AlbumUsers => {
                "d.entity = 'album_user' AND EXISTS (SELECT 1 FROM album_users au WHERE au.album_id = d.id1 AND au.user_id = $2)"
            }
            DeleteScope::AlbumAssets => {
                "d.entity = 'album_asset' AND EXISTS (SELECT 1 FROM album_users au WHERE au.album_id = d.id1 AND au.user_id = $2)"
            }
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT d.change_id, d.entity, d.id1, d.id2, d.user_id, d.deleted_at FROM change_delete d WHERE d.change_id > $1 AND {filter} ORDER BY d.change_id LIMIT $3"
        )))
        .bind(after)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeleteRecord {
                    change_id: r.try_get("change_id")?,
                    entity: r.try_get("entity")?,
                    id1: r.try_get("id1")?,
                    id2: r.try_get("id2")?,
                    user_id: r.try_get("user_id")?,
                    deleted_at: r.try_get("deleted_at")?,
                })
            })
            .collect()
    }

    /// The user's own assets changed after `after`, oldest change first.
    pub async fn own_assets(
        &mut self,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SyncAsset>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets a WHERE a.owner_id = $1 AND a.change_id > $2 ORDER BY a.change_id LIMIT $3"
        )))
        .bind(user_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(asset_from_row).collect()
    }

    /// Other people's assets in albums the user is in, after `after`.
    pub async fn album_assets(
        &mut self,
        user_id: &str,
        after: &Keyset,
        limit: i64,
    ) -> Result<Vec<(Keyset, SyncAsset)>> {
        let k = newest("a.change_id", "aa.change_id", "au.change_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM (SELECT {ASSET_COLUMNS}, aa.album_id AS album_id, a.id AS other_id, {k} AS k
               FROM album_users au JOIN album_assets aa ON aa.album_id = au.album_id JOIN assets a ON a.id = aa.asset_id
               WHERE au.user_id = $1 AND a.owner_id <> $1) t
             WHERE {AFTER_KEYSET} ORDER BY t.k, t.album_id, t.other_id LIMIT $5"
        )))
        .bind(user_id)
        .bind(after.key)
        .bind(&after.album_id)
        .bind(&after.other_id)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| Ok((keyset_from_row(r)?, asset_from_row(r)?)))
            .collect()
    }

    /// Albums the user is in, changed (or joined) after `after`.
    pub async fn albums(
        &mut self,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SyncAlbum>> {
        let k = newest("al.change_id", "au.change_id", "au.change_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM (SELECT al.id, al.name, al.description, al.is_activity_enabled, al.sort_order, al.created_at, al.updated_at,
                    CASE WHEN t.owner_id = $1 OR EXISTS (SELECT 1 FROM album_assets xa JOIN album_users xu ON xu.album_id = xa.album_id
                              WHERE xa.asset_id = al.thumbnail_asset_id AND xu.user_id = $1)
                         THEN al.thumbnail_asset_id ELSE NULL END AS thumbnail_asset_id,
                    {k} AS k
               FROM album_users au JOIN albums al ON al.id = au.album_id LEFT JOIN assets t ON t.id = al.thumbnail_asset_id
               WHERE au.user_id = $1) s
             WHERE s.k > $2 ORDER BY s.k LIMIT $3"
        )))
        .bind(user_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SyncAlbum {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    thumbnail_asset_id: r.try_get("thumbnail_asset_id")?,
                    is_activity_enabled: get_bool(r, "is_activity_enabled")?,
                    sort_order: r.try_get("sort_order")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                    key: r.try_get("k")?,
                })
            })
            .collect()
    }

    /// Memberships (owner included) of albums the user is in, after `after`:
    /// `(position, user id, role)`; the position's `album_id` is the album.
    pub async fn album_users(
        &mut self,
        user_id: &str,
        after: &Keyset,
        limit: i64,
    ) -> Result<Vec<(Keyset, String, String)>> {
        let k = newest("m.change_id", "au.change_id", "au.change_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM (SELECT m.album_id AS album_id, m.user_id AS other_id, m.role AS role, {k} AS k
               FROM album_users au JOIN album_users m ON m.album_id = au.album_id
               WHERE au.user_id = $1) t
             WHERE {AFTER_KEYSET} ORDER BY t.k, t.album_id, t.other_id LIMIT $5"
        )))
        .bind(user_id)
        .bind(after.key)
        .bind(&after.album_id)
        .bind(&after.other_id)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                let pos = keyset_from_row(r)?;
                let member = pos.other_id.clone();
                Ok((pos, member, r.try_get("role")?))
            })
            .collect()
    }

    /// Asset memberships of albums the user is in, after `after`; the
    /// position's ids are the album and the asset.
    pub async fn album_to_assets(
        &mut self,
        user_id: &str,
        after: &Keyset,
        limit: i64,
    ) -> Result<Vec<Keyset>> {
        let k = newest("aa.change_id", "au.change_id", "au.change_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM (SELECT aa.album_id AS album_id, aa.asset_id AS other_id, {k} AS k
               FROM album_users au JOIN album_assets aa ON aa.album_id = au.album_id
               WHERE au.user_id = $1) t
             WHERE {AFTER_KEYSET} ORDER BY t.k, t.album_id, t.other_id LIMIT $5"
        )))
        .bind(user_id)
        .bind(after.key)
        .bind(&after.album_id)
        .bind(&after.other_id)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(keyset_from_row).collect()
    }

    /// EXIF rows of the user's own assets changed after `after`.
    pub async fn own_exif(
        &mut self,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SyncExif>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            // EXISTS, not a join: the planner then walks `asset_exif_change` in
            // order and stops at the page's end, instead of sorting every row
            // of the owner's library for each page (200 sorts for 100k assets).
            "SELECT {EXIF_COLUMNS} FROM asset_exif e
             WHERE e.change_id > $2 AND EXISTS (SELECT 1 FROM assets a WHERE a.id = e.asset_id AND a.owner_id = $1)
             ORDER BY e.change_id LIMIT $3"
        )))
        .bind(user_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(exif_from_row).collect()
    }

    /// EXIF rows of other people's assets in albums the user is in, after `after`.
    pub async fn album_asset_exif(
        &mut self,
        user_id: &str,
        after: &Keyset,
        limit: i64,
    ) -> Result<Vec<(Keyset, SyncExif)>> {
        let k = newest("e.change_id", "aa.change_id", "au.change_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM (SELECT {EXIF_COLUMNS}, aa.album_id AS album_id, e.asset_id AS other_id, {k} AS k
               FROM album_users au JOIN album_assets aa ON aa.album_id = au.album_id
               JOIN assets a ON a.id = aa.asset_id JOIN asset_exif e ON e.asset_id = a.id
               WHERE au.user_id = $1 AND a.owner_id <> $1) t
             WHERE {AFTER_KEYSET} ORDER BY t.k, t.album_id, t.other_id LIMIT $5"
        )))
        .bind(user_id)
        .bind(after.key)
        .bind(&after.album_id)
        .bind(&after.other_id)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| Ok((keyset_from_row(r)?, exif_from_row(r)?)))
            .collect()
    }

    /// Ends the snapshot (it wrote nothing).
    pub async fn finish(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

fn keyset_from_row(r: &AnyRow) -> Result<Keyset> {
    Ok(Keyset {
        key: r.try_get("k")?,
        album_id: r.try_get("album_id")?,
        other_id: r.try_get("other_id")?,
    })
}

fn user_from_row(r: &AnyRow) -> Result<SyncUser> {
    Ok(SyncUser {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        avatar_color: r.try_get("avatar_color")?,
        is_admin: get_bool(r, "is_admin")?,
        storage_label: r.try_get("storage_label")?,
        quota_size_bytes: get_opt_i64(r, "quota_size_bytes")?,
        quota_usage_bytes: r.try_get("usage")?,
        profile_changed_at: r.try_get("profile_changed_at")?,
        deleted_at: r.try_get("deleted_at")?,
        change_id: r.try_get("change_id")?,
    })
}

fn asset_from_row(r: &AnyRow) -> Result<SyncAsset> {
    Ok(SyncAsset {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        original_file_name: r.try_get("original_file_name")?,
        checksum: r.try_get("checksum")?,
        asset_type: r.try_get("asset_type")?,
        visibility: r.try_get("visibility")?,
        is_favorite: get_bool(r, "is_favorite")?,
        thumbhash: r.try_get("thumbhash")?,
        file_created_at: r.try_get("file_created_at")?,
        file_modified_at: r.try_get("file_modified_at")?,
        created_at: r.try_get("created_at")?,
        local_date_time: r.try_get("local_date_time")?,
        duration_ms: get_opt_i64(r, "duration_ms")?,
        deleted_at: r.try_get("deleted_at")?,
        live_photo_video_id: r.try_get("live_photo_video_id")?,
        library_id: r.try_get("library_id")?,
        width: get_opt_i64(r, "width")?,
        height: get_opt_i64(r, "height")?,
        change_id: r.try_get("change_id")?,
    })
}

fn exif_from_row(r: &AnyRow) -> Result<SyncExif> {
    Ok(SyncExif {
        asset_id: r.try_get("asset_id")?,
        description: r.try_get("description")?,
        exif_image_width: get_opt_i64(r, "exif_image_width")?,
        exif_image_height: get_opt_i64(r, "exif_image_height")?,
        file_size: get_opt_i64(r, "exif_file_size")?,
        orientation: r.try_get("orientation")?,
        date_time_original: r.try_get("date_time_original")?,
        modify_date: r.try_get("modify_date")?,
        time_zone: r.try_get("time_zone")?,
        latitude: r.try_get("latitude")?,
        longitude: r.try_get("longitude")?,
        projection_type: r.try_get("projection_type")?,
        city: r.try_get("city")?,
        state: r.try_get("state")?,
        country: r.try_get("country")?,
        make: r.try_get("make")?,
        model: r.try_get("model")?,
        lens_model: r.try_get("lens_model")?,
        f_number: r.try_get("f_number")?,
        focal_length: r.try_get("focal_length")?,
        iso: get_opt_i64(r, "iso")?,
        exposure_time: r.try_get("exposure_time")?,
        profile_description: r.try_get("profile_description")?,
        rating: get_opt_i64(r, "rating")?,
        fps: r.try_get("fps")?,
        change_id: r.try_get("exif_change_id")?,
    })
}
