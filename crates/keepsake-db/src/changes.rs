//! Reading the change log the schema's triggers write: the newest change id and
//! the delete records, for the sync stream, incremental backups and live updates.

use sqlx::Row;

use crate::{Db, Result};

/// A synced row that was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRecord {
    pub change_id: i64,
    /// `user`, `asset`, `asset_exif`, `album`, `album_user` or `album_asset`.
    pub entity: String,
    pub id1: String,
    pub id2: Option<String>,
    pub user_id: Option<String>,
    pub deleted_at: i64,
}

impl Db {
    /// The newest change id handed out so far.
    pub async fn latest_change_id(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT value FROM change_counter WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get("value")?)
    }

    /// The change id a synced row carries now, for tests and diagnostics.
    pub async fn row_change_id(&self, table: ChangeTable, id: &str) -> Result<Option<i64>> {
        let sql = match table {
            ChangeTable::Users => "SELECT change_id FROM users WHERE id = $1",
            ChangeTable::Assets => "SELECT change_id FROM assets WHERE id = $1",
            ChangeTable::AssetExif => "SELECT change_id FROM asset_exif WHERE asset_id = $1",
            ChangeTable::Albums => "SELECT change_id FROM albums WHERE id = $1",
        };
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.try_get("change_id")).transpose()?)
    }

    /// Delete records of one entity after `after`, oldest first.
    pub async fn deletes_since(
        &self,
        entity: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<DeleteRecord>> {
        let rows = sqlx::query(
            "SELECT change_id, entity, id1, id2, user_id, deleted_at FROM change_delete WHERE entity = $1 AND change_id > $2 ORDER BY change_id LIMIT $3",
        )
        .bind(entity)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
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

    /// Drops delete records older than `before` (the retention window, 30 days by default).
    pub async fn prune_deletes(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM change_delete WHERE deleted_at < $1")
            .bind(before)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

/// Tables whose rows carry a change id.
#[derive(Debug, Clone, Copy)]
pub enum ChangeTable {
    Users,
    Assets,
    AssetExif,
    Albums,
}
