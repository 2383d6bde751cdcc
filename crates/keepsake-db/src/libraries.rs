//! External libraries: their settings, the state a scan compares files
//! against (path, size, mtime), and the writes a scan makes (a changed file's
//! new checksum, offline and back online, the scan's report).
//!
//! An external asset's `original_path` is the absolute path of its file, which
//! this crate never opens; the library crate walks and hashes the files.

use sqlx::Row;

use crate::assets::{Param, RemovedFiles, bind_all, delete_asset_in};
use crate::jobs::NewJob;
use crate::{Db, LibraryRecord, Result, ScanReport, get_bool, get_opt_i64, now_ms};

const IMPORT: &str = "import";
const EXCLUSION: &str = "exclusion";

/// A library to create.
#[derive(Debug, Clone)]
pub struct NewLibrary {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub import_paths: Vec<String>,
    pub exclusion_patterns: Vec<String>,
}

/// Changes to a library's settings; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct LibraryChanges {
    pub name: Option<String>,
    pub import_paths: Option<Vec<String>>,
    pub exclusion_patterns: Option<Vec<String>>,
}

/// What a scan compares a file against: the asset's path and what was
/// recorded of the file when it was last hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryAssetState {
    pub id: String,
    pub original_path: String,
    pub file_size: i64,
    pub file_modified_at: i64,
    pub is_offline: bool,
    pub is_trashed: bool,
}

/// Counts and bytes of a library's assets that are not in the trash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LibraryStatistics {
    pub photos: i64,
    pub videos: i64,
    pub usage: i64,
}

async fn write_paths(
    conn: &mut sqlx::AnyConnection,
    library_id: &str,
    kind: &str,
    values: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM library_paths WHERE library_id = $1 AND kind = $2")
        .bind(library_id)
        .bind(kind)
        .execute(&mut *conn)
        .await?;
    for (position, value) in values.iter().enumerate() {
        sqlx::query(
            "INSERT INTO library_paths (library_id, kind, position, value) VALUES ($1, $2, $3, $4)",
        )
        .bind(library_id)
        .bind(kind)
        .bind(position as i64)
        .bind(value.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Db {
    pub async fn insert_library(&self, new: &NewLibrary) -> Result<LibraryRecord> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO libraries (id, owner_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&new.id)
        .bind(&new.owner_id)
        .bind(&new.name)
        .bind(now)
        .execute(tx.conn())
        .await?;
        write_paths(tx.conn(), &new.id, IMPORT, &new.import_paths).await?;
        write_paths(tx.conn(), &new.id, EXCLUSION, &new.exclusion_patterns).await?;
        tx.commit().await?;
        self.library_by_id(&new.id)
            .await?
            .ok_or(crate::DbError::Conflict {
                what: "library id (it vanished while being created)",
            })
    }

    pub async fn library_by_id(&self, id: &str) -> Result<Option<LibraryRecord>> {
        let row = sqlx::query("SELECT * FROM libraries WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.library_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    /// Every library, oldest first.
    pub async fn list_libraries(&self) -> Result<Vec<LibraryRecord>> {
        let rows = sqlx::query("SELECT * FROM libraries ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.library_from_row(row).await?);
        }
        Ok(out)
    }

    async fn library_from_row(&self, row: &sqlx::any::AnyRow) -> Result<LibraryRecord> {
        let id: String = row.try_get("id")?;
        let paths = sqlx::query(
            "SELECT kind, value FROM library_paths WHERE library_id = $1 ORDER BY kind, position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?;
        let mut import_paths = Vec::new();
        let mut exclusion_patterns = Vec::new();
        for p in &paths {
            let kind: String = p.try_get("kind")?;
            let value: String = p.try_get("value")?;
            match kind.as_str() {
                IMPORT => import_paths.push(value),
                _ => exclusion_patterns.push(value),
            }
        }
        let asset_count: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM assets WHERE library_id = $1 AND deleted_at IS NULL",
        )
        .bind(&id)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let count = |c: &str| -> Result<i64> { Ok(get_opt_i64(row, c)?.unwrap_or(0)) };
        Ok(LibraryRecord {
            owner_id: row.try_get("owner_id")?,
            name: row.try_get("name")?,
            import_paths,
            exclusion_patterns,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            refreshed_at: get_opt_i64(row, "refreshed_at")?,
            asset_count,
            last_scan: ScanReport {
                added: count("scan_added")?,
                changed: count("scan_changed")?,
                moved: count("scan_moved")?,
                unchanged: count("scan_unchanged")?,
                offline: count("scan_offline")?,
                online: count("scan_online")?,
                duplicates: count("scan_duplicates")?,
                failed: count("scan_failed")?,
                hashed: count("scan_hashed")?,
            },
            id,
        })
    }

    /// Applies `changes`; `None` when there is no such library.
    pub async fn update_library(
        &self,
        id: &str,
        changes: &LibraryChanges,
    ) -> Result<Option<LibraryRecord>> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE libraries SET name = COALESCE($2, name), updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(changes.name.clone())
        .bind(now_ms())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(None);
        }
        if let Some(paths) = &changes.import_paths {
            write_paths(tx.conn(), id, IMPORT, paths).await?;
        }
        if let Some(patterns) = &changes.exclusion_patterns {
            write_paths(tx.conn(), id, EXCLUSION, patterns).await?;
        }
        tx.commit().await?;
        self.library_by_id(id).await
    }

    /// Removes a library and its assets' rows in one transaction, queueing the
    /// removal of their derived files (never their originals, which are not
    /// Keepsake's). `None` when there is no such library.
    pub async fn delete_library(&self, id: &str) -> Result<Option<Vec<RemovedFiles>>> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM libraries WHERE id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let rows = sqlx::query("SELECT id FROM assets WHERE library_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(tx.conn())
            .await?;
        let mut removed = Vec::with_capacity(rows.len());
        for row in &rows {
            let asset_id: String = row.try_get("id")?;
            if let Some(files) = delete_asset_in(tx.conn(), &asset_id).await? {
                removed.push(files);
            }
        }
        sqlx::query("DELETE FROM libraries WHERE id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(Some(removed))
    }

    /// Every asset of a library with what a scan compares its file against.
    pub async fn library_assets(&self, library_id: &str) -> Result<Vec<LibraryAssetState>> {
        let rows = sqlx::query(
            "SELECT id, original_path, file_size, file_modified_at, is_offline, deleted_at FROM assets WHERE library_id = $1",
        )
        .bind(library_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LibraryAssetState {
                    id: r.try_get("id")?,
                    original_path: r.try_get("original_path")?,
                    file_size: r.try_get("file_size")?,
                    file_modified_at: r.try_get("file_modified_at")?,
                    is_offline: get_bool(r, "is_offline")?,
                    is_trashed: get_opt_i64(r, "deleted_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Records a changed file's new content: checksum, size and mtime (on the
    /// asset and its exif row), back online if it was offline, and enqueues
    /// `jobs` (re-reading it) in the same transaction. False when the asset is
    /// gone. Fails with a unique violation when the owner already has another
    /// asset with `checksum`.
    pub async fn update_external_file(
        &self,
        asset_id: &str,
        checksum: &[u8],
        file_size: i64,
        file_modified_at: i64,
        jobs: &[NewJob],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE assets SET checksum = $2, file_size = $3, file_modified_at = $4, updated_at = $5, \
             deleted_at = CASE WHEN is_offline THEN NULL ELSE deleted_at END, is_offline = FALSE \
             WHERE id = $1 AND library_id IS NOT NULL",
        )
        .bind(asset_id)
        .bind(checksum.to_vec())
        .bind(file_size)
        .bind(file_modified_at)
        .bind(now_ms())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE asset_exif SET file_size = $2 WHERE asset_id = $1")
            .bind(asset_id)
            .bind(file_size)
            .execute(tx.conn())
            .await?;
        for job in jobs {
            crate::jobs::enqueue_in(tx.conn(), job).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Points an external asset at the path its file moved to (same content):
    /// new path, name, size and mtime, online again, and `jobs` (re-reading it)
    /// in the same transaction. A sidecar that lay next to the old path is
    /// forgotten (the metadata step looks beside the new one); one in the store
    /// stays. False when the asset is gone.
    pub async fn relocate_external_asset(
        &self,
        asset_id: &str,
        path: &str,
        file_name: &str,
        file_size: i64,
        file_modified_at: i64,
        jobs: &[NewJob],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query("SELECT sidecar_path FROM assets WHERE id = $1 AND library_id IS NOT NULL")
                .bind(asset_id)
                .fetch_optional(tx.conn())
                .await?;
        let Some(row) = row else { return Ok(false) };
        let sidecar: Option<String> = row.try_get("sidecar_path")?;
        let sidecar = sidecar.filter(|s| !std::path::Path::new(s).is_absolute());
        sqlx::query(
            "UPDATE assets SET original_path = $2, original_file_name = $3, file_size = $4, file_modified_at = $5, \
             sidecar_path = $6, updated_at = $7, deleted_at = CASE WHEN is_offline THEN NULL ELSE deleted_at END, \
             is_offline = FALSE WHERE id = $1",
        )
        .bind(asset_id)
        .bind(path)
        .bind(file_name)
        .bind(file_size)
        .bind(file_modified_at)
        .bind(sidecar)
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
        for job in jobs {
            crate::jobs::enqueue_in(tx.conn(), job).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Marks external assets offline and moves them to the trash (keeping an
    /// earlier trash date). Returns how many changed.
    pub async fn set_assets_offline(&self, ids: &[String]) -> Result<u64> {
        self.set_offline_state(
            ids,
            "UPDATE assets SET is_offline = TRUE, deleted_at = COALESCE(deleted_at, $1), updated_at = $1 \
             WHERE library_id IS NOT NULL AND (is_offline = FALSE OR deleted_at IS NULL) AND id IN",
        )
        .await
    }

    /// Brings offline assets back: online and out of the trash. Returns how many changed.
    pub async fn set_assets_online(&self, ids: &[String]) -> Result<u64> {
        self.set_offline_state(
            ids,
            "UPDATE assets SET is_offline = FALSE, deleted_at = NULL, updated_at = $1 \
             WHERE library_id IS NOT NULL AND is_offline = TRUE AND id IN",
        )
        .await
    }

    async fn set_offline_state(&self, ids: &[String], update: &str) -> Result<u64> {
        let mut n = 0;
        for chunk in ids.chunks(500) {
            let mut tx = self.begin_write().await?;
            let mut params = vec![Param::Int(now_ms())];
            let list: Vec<String> = chunk
                .iter()
                .map(|id| {
                    params.push(Param::Text(id.clone()));
                    format!("${}", params.len())
                })
                .collect();
            let sql = format!("{update} ({})", list.join(", "));
            n += bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
                .execute(tx.conn())
                .await?
                .rows_affected();
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Records a finished full scan: its time (`refreshedAt`) and report.
    pub async fn finish_library_scan(&self, id: &str, report: &ScanReport) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE libraries SET refreshed_at = $2, scan_added = $3, scan_changed = $4, scan_unchanged = $5, \
             scan_offline = $6, scan_online = $7, scan_duplicates = $8, scan_failed = $9, scan_hashed = $10, \
             scan_moved = $11 WHERE id = $1",
        )
        .bind(id)
        .bind(now_ms())
        .bind(report.added)
        .bind(report.changed)
        .bind(report.unchanged)
        .bind(report.offline)
        .bind(report.online)
        .bind(report.duplicates)
        .bind(report.failed)
        .bind(report.hashed)
        .bind(report.moved)
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }

    /// Photos, videos and bytes of a library's assets that are not in the trash.
    pub async fn library_statistics(&self, id: &str) -> Result<LibraryStatistics> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN asset_type = 'IMAGE' THEN 1 ELSE 0 END), 0) AS BIGINT) AS photos, \
             CAST(COALESCE(SUM(CASE WHEN asset_type = 'VIDEO' THEN 1 ELSE 0 END), 0) AS BIGINT) AS videos, \
             CAST(COALESCE(SUM(file_size), 0) AS BIGINT) AS bytes \
             FROM assets WHERE library_id = $1 AND deleted_at IS NULL",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(LibraryStatistics {
            photos: row.try_get("photos")?,
            videos: row.try_get("videos")?,
            usage: row.try_get("bytes")?,
        })
    }
}
