//! Import runs and the memory of what each source item became.
//!
//! `import_items` outlives the assets it points at on purpose: a row whose
//! asset is gone is a tombstone, and the engine never brings such an item (or
//! any item with its checksum) back. `import_run_items` is the per-run report
//! and the resume point: an item already there is not fetched again.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Db, Result, get_bool, get_opt_i64, now_ms};

/// One import run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRunRecord {
    pub id: String,
    pub owner_id: String,
    pub source_kind: String,
    pub source_label: String,
    pub dry_run: bool,
    /// `running`, `completed`, `failed` or `interrupted`.
    pub state: String,
    pub source_cursor: String,
    pub seen: i64,
    pub imported: i64,
    pub duplicate: i64,
    pub skipped: i64,
    pub failed: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// The album a source album became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAlbum {
    pub album_id: String,
    /// `false` once the person deleted the album: it is not made again.
    pub present: bool,
    /// Archived: later imports leave its members alone.
    pub frozen: bool,
}

/// What a run did with one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunItemRecord {
    pub source_key: String,
    pub seq: i64,
    pub file_name: String,
    /// `pending`, `imported`, `duplicate`, `skipped` or `failed`.
    pub outcome: String,
    pub reason: Option<String>,
    pub asset_id: Option<String>,
}

/// What a source item became, across runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportItemRecord {
    pub asset_id: String,
    pub checksum: Vec<u8>,
    /// Whether the asset still exists (in the timeline or the trash).
    pub asset_exists: bool,
    pub asset_trashed: bool,
    /// What the source said when last applied (see `set_import_meta`).
    pub meta_hash: Option<String>,
}

/// Source metadata to apply to an asset. Properties the asset has locked (a
/// person's edits, or an earlier import's values) are left alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportMetadata {
    pub description: Option<String>,
    /// `(instant, wall clock as UTC, zone name)`.
    pub date: Option<(i64, i64, Option<String>)>,
    /// Latitude, longitude, and city, state, country.
    pub location: Option<(f64, f64, [Option<String>; 3])>,
    pub favorite: bool,
    /// `archive` or `hidden`; only ever moves an asset out of the timeline.
    pub visibility: Option<String>,
    pub tags: Vec<String>,
}

const RUN_COLUMNS: &str = "id, owner_id, source_kind, source_label, dry_run, state, source_cursor, seen, imported, duplicate, skipped, failed, error, created_at, updated_at, finished_at";

fn run_from_row(row: &AnyRow) -> Result<ImportRunRecord> {
    Ok(ImportRunRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        source_kind: row.try_get("source_kind")?,
        source_label: row.try_get("source_label")?,
        dry_run: get_bool(row, "dry_run")?,
        state: row.try_get("state")?,
        source_cursor: row.try_get("source_cursor")?,
        seen: get_opt_i64(row, "seen")?.unwrap_or(0),
        imported: get_opt_i64(row, "imported")?.unwrap_or(0),
        duplicate: get_opt_i64(row, "duplicate")?.unwrap_or(0),
        skipped: get_opt_i64(row, "skipped")?.unwrap_or(0),
        failed: get_opt_i64(row, "failed")?.unwrap_or(0),
        error: row.try_get("error")?,
        created_at: get_opt_i64(row, "created_at")?.unwrap_or(0),
        updated_at: get_opt_i64(row, "updated_at")?.unwrap_or(0),
        finished_at: get_opt_i64(row, "finished_at")?,
    })
}

fn run_item_from_row(row: &AnyRow) -> Result<RunItemRecord> {
    Ok(RunItemRecord {
        source_key: row.try_get("source_key")?,
        seq: get_opt_i64(row, "seq")?.unwrap_or(0),
        file_name: row.try_get("file_name")?,
        outcome: row.try_get("outcome")?,
        reason: row.try_get("reason")?,
        asset_id: row.try_get("asset_id")?,
    })
}

impl Db {
    /// Starts a run.
    pub async fn create_import_run(
        &self,
        owner_id: &str,
        source_kind: &str,
        source_label: &str,
        dry_run: bool,
    ) -> Result<ImportRunRecord> {
        let id = crate::new_id();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO import_runs (id, owner_id, source_kind, source_label, dry_run, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'running', $6, $6)",
        )
        .bind(&id)
        .bind(owner_id)
        .bind(source_kind)
        .bind(source_label)
        .bind(dry_run)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(self
            .import_run(&id)
            .await?
            .expect("a run just inserted exists"))
    }

    /// The newest unfinished (running or interrupted) real run of the same
    /// source, which a new start resumes.
    pub async fn resumable_import_run(
        &self,
        owner_id: &str,
        source_kind: &str,
        source_label: &str,
    ) -> Result<Option<ImportRunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM import_runs WHERE owner_id = $1 AND source_kind = $2 AND source_label = $3 \
             AND state IN ('running', 'interrupted') ORDER BY created_at DESC LIMIT 1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .bind(source_kind)
            .bind(source_label)
            .fetch_all(self.pool())
            .await?;
        for row in &rows {
            let run = run_from_row(row)?;
            if !run.dry_run {
                return Ok(Some(run));
            }
        }
        Ok(None)
    }

    pub async fn import_run(&self, id: &str) -> Result<Option<ImportRunRecord>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM import_runs WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// The owner's runs, newest first.
    pub async fn list_import_runs(&self, owner_id: &str) -> Result<Vec<ImportRunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM import_runs WHERE owner_id = $1 ORDER BY created_at DESC, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(run_from_row).collect()
    }

    /// Marks a resumed run running again.
    pub async fn reopen_import_run(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE import_runs SET state = 'running', error = NULL, finished_at = NULL, updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now_ms())
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the source's cursor and recounts the outcomes (the checkpoint).
    pub async fn checkpoint_import_run(&self, id: &str, cursor: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE import_runs SET source_cursor = $2, updated_at = $3, \
             seen = (SELECT COUNT(*) FROM import_run_items WHERE run_id = $1), \
             imported = (SELECT COUNT(*) FROM import_run_items WHERE run_id = $1 AND outcome = 'imported'), \
             duplicate = (SELECT COUNT(*) FROM import_run_items WHERE run_id = $1 AND outcome = 'duplicate'), \
             skipped = (SELECT COUNT(*) FROM import_run_items WHERE run_id = $1 AND outcome = 'skipped'), \
             failed = (SELECT COUNT(*) FROM import_run_items WHERE run_id = $1 AND outcome = 'failed') \
             WHERE id = $1",
        )
        .bind(id)
        .bind(cursor)
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a run: `completed`, `failed` (with the reason) or `interrupted`.
    pub async fn finish_import_run(
        &self,
        id: &str,
        state: &str,
        cursor: &str,
        error: Option<&str>,
    ) -> Result<()> {
        self.checkpoint_import_run(id, cursor).await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE import_runs SET state = $2, error = $3, finished_at = $4, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(error)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs left `running` by a process that is gone become `interrupted`
    /// (called by the server at start, when it holds the data directory alone).
    pub async fn interrupt_running_imports(&self) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE import_runs SET state = 'interrupted', updated_at = $1 WHERE state = 'running'",
        )
        .bind(now_ms())
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// What this run already did with `key`.
    pub async fn run_item(&self, run_id: &str, key: &str) -> Result<Option<RunItemRecord>> {
        let row = sqlx::query(
            "SELECT source_key, seq, file_name, outcome, reason, asset_id FROM import_run_items WHERE run_id = $1 AND source_key = $2",
        )
        .bind(run_id)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(run_item_from_row).transpose()
    }

    /// Records (or updates) what a run did with one item.
    pub async fn set_run_item(&self, run_id: &str, item: &RunItemRecord) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO import_run_items (run_id, source_key, seq, file_name, outcome, reason, asset_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (run_id, source_key) DO UPDATE SET seq = excluded.seq, outcome = excluded.outcome, reason = excluded.reason, \
             asset_id = excluded.asset_id, updated_at = excluded.updated_at",
        )
        .bind(run_id)
        .bind(&item.source_key)
        .bind(item.seq)
        .bind(&item.file_name)
        .bind(&item.outcome)
        .bind(item.reason.clone())
        .bind(item.asset_id.clone())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of a run's items in the order the run met them; `outcome` narrows.
    pub async fn run_items(
        &self,
        run_id: &str,
        outcome: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<RunItemRecord>> {
        let rows = sqlx::query(
            "SELECT source_key, seq, file_name, outcome, reason, asset_id FROM import_run_items \
             WHERE run_id = $1 AND ($2 = '' OR outcome = $2) ORDER BY seq LIMIT $3 OFFSET $4",
        )
        .bind(run_id)
        .bind(outcome.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(run_item_from_row).collect()
    }

    /// What `key` became in an earlier run, if anything.
    pub async fn import_item(
        &self,
        owner_id: &str,
        source_kind: &str,
        key: &str,
    ) -> Result<Option<ImportItemRecord>> {
        let row = sqlx::query(
            "SELECT i.asset_id, i.checksum, i.meta_hash, a.id AS present, a.deleted_at FROM import_items i \
             LEFT JOIN assets a ON a.id = i.asset_id \
             WHERE i.owner_id = $1 AND i.source_kind = $2 AND i.source_key = $3",
        )
        .bind(owner_id)
        .bind(source_kind)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let present: Option<String> = row.try_get("present")?;
        Ok(Some(ImportItemRecord {
            asset_id: row.try_get("asset_id")?,
            checksum: row.try_get("checksum")?,
            asset_exists: present.is_some(),
            asset_trashed: get_opt_i64(&row, "deleted_at")?.is_some(),
            meta_hash: row.try_get("meta_hash")?,
        }))
    }

    /// Whether the owner deleted an imported asset with this content (from any source).
    pub async fn import_tombstone(&self, owner_id: &str, checksum: &[u8]) -> Result<bool> {
        let row = sqlx::query(
            "SELECT i.asset_id FROM import_items i LEFT JOIN assets a ON a.id = i.asset_id \
             WHERE i.owner_id = $1 AND i.checksum = $2 AND a.id IS NULL LIMIT 1",
        )
        .bind(owner_id)
        .bind(checksum.to_vec())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Remembers what a source item became.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_import_item(
        &self,
        owner_id: &str,
        source_kind: &str,
        key: &str,
        asset_id: &str,
        checksum: &[u8],
        run_id: &str,
        extra: &str,
        meta_hash: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO import_items (owner_id, source_kind, source_key, asset_id, checksum, run_id, extra, created_at, meta_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (owner_id, source_kind, source_key) DO UPDATE SET asset_id = excluded.asset_id, \
             checksum = excluded.checksum, extra = excluded.extra, meta_hash = excluded.meta_hash",
        )
        .bind(owner_id)
        .bind(source_kind)
        .bind(key)
        .bind(asset_id)
        .bind(checksum.to_vec())
        .bind(run_id)
        .bind(extra)
        .bind(now_ms())
        .bind(meta_hash)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remembers that an item's current metadata has been applied.
    pub async fn set_import_meta(
        &self,
        owner_id: &str,
        source_kind: &str,
        key: &str,
        extra: &str,
        meta_hash: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE import_items SET extra = $4, meta_hash = $5 \
             WHERE owner_id = $1 AND source_kind = $2 AND source_key = $3",
        )
        .bind(owner_id)
        .bind(source_kind)
        .bind(key)
        .bind(extra)
        .bind(meta_hash)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The asset a source item became, by key (for pairing Live Photos).
    pub async fn imported_asset_id(
        &self,
        owner_id: &str,
        source_kind: &str,
        key: &str,
    ) -> Result<Option<String>> {
        Ok(self
            .import_item(owner_id, source_kind, key)
            .await?
            .filter(|i| i.asset_exists)
            .map(|i| i.asset_id))
    }

    /// Every item of a source kind the owner has here, as (key, asset id), for
    /// assets that exist and are not in the trash.
    pub async fn imported_items(
        &self,
        owner_id: &str,
        source_kind: &str,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT i.source_key, i.asset_id FROM import_items i JOIN assets a ON a.id = i.asset_id \
             WHERE i.owner_id = $1 AND i.source_kind = $2 AND a.deleted_at IS NULL ORDER BY i.source_key",
        )
        .bind(owner_id)
        .bind(source_kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("source_key")?, r.try_get("asset_id")?)))
            .collect()
    }

    /// Where an asset was imported from: `(source kind, item key, facts as a JSON object)`.
    pub async fn import_sources_of(&self, asset_id: &str) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT source_kind, source_key, extra FROM import_items WHERE asset_id = $1 ORDER BY source_kind, source_key",
        )
        .bind(asset_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("source_kind")?,
                    r.try_get("source_key")?,
                    r.try_get("extra")?,
                ))
            })
            .collect()
    }

    /// The album a source album became, if it was imported.
    pub async fn import_album(
        &self,
        owner_id: &str,
        source_kind: &str,
        key: &str,
    ) -> Result<Option<ImportedAlbum>> {
        let row = sqlx::query(
            "SELECT i.album_id, i.frozen_at, a.id AS present FROM import_albums i LEFT JOIN albums a ON a.id = i.album_id \
             WHERE i.owner_id = $1 AND i.source_kind = $2 AND i.source_key = $3",
        )
        .bind(owner_id)
        .bind(source_kind)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let present: Option<String> = row.try_get("present")?;
        Ok(Some(ImportedAlbum {
            album_id: row.try_get("album_id")?,
            present: present.is_some(),
            frozen: get_opt_i64(&row, "frozen_at")?.is_some(),
        }))
    }

    pub async fn record_import_album(
        &self,
        owner_id: &str,
        source_kind: &str,
        key: &str,
        album_id: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO import_albums (owner_id, source_kind, source_key, album_id, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (owner_id, source_kind, source_key) DO NOTHING",
        )
        .bind(owner_id)
        .bind(source_kind)
        .bind(key)
        .bind(album_id)
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies source metadata to an asset in one transaction, leaving locked
    /// properties alone and locking what it sets, so re-reading the file does
    /// not undo it.
    pub async fn apply_import_metadata(
        &self,
        owner_id: &str,
        asset_id: &str,
        m: &ImportMetadata,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT locked_properties FROM asset_exif WHERE asset_id = $1")
            .bind(asset_id)
            .fetch_optional(tx.conn())
            .await?;
        let locked: String = match row {
            Some(r) => r.try_get("locked_properties")?,
            None => String::new(),
        };
        let is_locked = |p: &str| locked.split(',').any(|l| l == p);
        let mut newly: Vec<&str> = Vec::new();
        if let Some(d) = &m.description
            && !is_locked("description")
        {
            sqlx::query("UPDATE asset_exif SET description = $2 WHERE asset_id = $1")
                .bind(asset_id)
                .bind(d.as_str())
                .execute(tx.conn())
                .await?;
            newly.push("description");
        }
        if let Some((instant, local, zone)) = &m.date
            && !is_locked("dateTimeOriginal")
        {
            sqlx::query(
                "UPDATE asset_exif SET date_time_original = $2, time_zone = $3 WHERE asset_id = $1",
            )
            .bind(asset_id)
            .bind(*instant)
            .bind(zone.clone())
            .execute(tx.conn())
            .await?;
            sqlx::query(
                "UPDATE assets SET file_created_at = $2, local_date_time = $3 WHERE id = $1",
            )
            .bind(asset_id)
            .bind(*instant)
            .bind(*local)
            .execute(tx.conn())
            .await?;
            newly.push("dateTimeOriginal");
        }
        if let Some((lat, lon, place)) = &m.location
            && !is_locked("latitude")
        {
            // Floats as literals: both engines parse them exactly (see update_assets).
            let sql = format!(
                "UPDATE asset_exif SET latitude = {lat:?}, longitude = {lon:?}, city = $2, state = $3, country = $4 WHERE asset_id = $1"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(asset_id)
                .bind(place[0].clone())
                .bind(place[1].clone())
                .bind(place[2].clone())
                .execute(tx.conn())
                .await?;
            newly.push("latitude");
            newly.push("longitude");
        }
        if m.favorite {
            sqlx::query("UPDATE assets SET is_favorite = $2 WHERE id = $1")
                .bind(asset_id)
                .bind(true)
                .execute(tx.conn())
                .await?;
        }
        if let Some(v) = &m.visibility {
            sqlx::query(
                "UPDATE assets SET visibility = $2 WHERE id = $1 AND visibility = 'timeline'",
            )
            .bind(asset_id)
            .bind(v.as_str())
            .execute(tx.conn())
            .await?;
        }
        if !m.tags.is_empty() {
            // Re-reading the file must not replace the source's tags with the file's.
            newly.push("tags");
        }
        for value in m
            .tags
            .iter()
            .filter_map(|v| crate::tags::normalize_tag_value(v))
        {
            let tag = crate::tags::upsert_in(tx.conn(), owner_id, &value).await?;
            sqlx::query(
                "INSERT INTO tag_assets (tag_id, asset_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(tag)
            .bind(asset_id)
            .execute(tx.conn())
            .await?;
        }
        sqlx::query("UPDATE assets SET updated_at = $2 WHERE id = $1")
            .bind(asset_id)
            .bind(now)
            .execute(tx.conn())
            .await?;
        crate::assets::lock_properties_in(tx.conn(), asset_id, &newly).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Db {
    /// Stores (replacing) a user's sign-in to an outside service.
    pub async fn set_service_credential(
        &self,
        user_id: &str,
        service: &str,
        secret: &str,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO service_credentials (user_id, service, secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (user_id, service) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(service)
        .bind(secret)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user's sign-in to an outside service, if stored.
    pub async fn service_credential(&self, user_id: &str, service: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT secret FROM service_credentials WHERE user_id = $1 AND service = $2",
        )
        .bind(user_id)
        .bind(service)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get("secret"))
            .transpose()
            .map_err(Into::into)
    }
}
