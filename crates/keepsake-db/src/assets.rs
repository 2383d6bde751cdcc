//! Assets: insert with per-owner checksum uniqueness, reads with filters
//! (timeline, search, statistics), metadata edits, trash and removal.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::jobs::NewJob;
use crate::{AssetRecord, Db, Engine, ExifRecord, NewAsset, Result, get_bool, get_opt_i64, now_ms};

pub(crate) const ASSET_COLUMNS: &str = "a.id, a.owner_id, a.asset_type, a.original_path, a.original_file_name, a.sidecar_path, a.checksum, a.file_size, \
    a.file_created_at, a.file_modified_at, a.local_date_time, a.is_favorite, a.visibility, a.deleted_at, a.duration_ms, a.width, a.height, \
    a.thumbhash, a.live_photo_video_id, a.created_at, a.updated_at, a.library_id, a.is_offline, \
    e.make, e.model, e.lens_model, e.exif_image_width, e.exif_image_height, e.file_size AS exif_file_size, e.orientation, \
    e.date_time_original, e.modify_date, e.time_zone, e.latitude, e.longitude, e.city, e.state, e.country, e.description, e.rating, \
    e.f_number, e.focal_length, e.iso, e.exposure_time, e.fps, e.projection_type, e.profile_description, e.colorspace, \
    e.bits_per_sample, e.live_photo_cid";

pub(crate) fn asset_from_row(row: &AnyRow) -> Result<AssetRecord> {
    let description: Option<String> = row.try_get("description")?;
    Ok(AssetRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        asset_type: row.try_get("asset_type")?,
        original_path: row.try_get("original_path")?,
        original_file_name: row.try_get("original_file_name")?,
        sidecar_path: row.try_get("sidecar_path")?,
        checksum: row.try_get("checksum")?,
        file_size: row.try_get("file_size")?,
        file_created_at: row.try_get("file_created_at")?,
        file_modified_at: row.try_get("file_modified_at")?,
        local_date_time: row.try_get("local_date_time")?,
        is_favorite: get_bool(row, "is_favorite")?,
        visibility: row.try_get("visibility")?,
        deleted_at: get_opt_i64(row, "deleted_at")?,
        library_id: row.try_get("library_id")?,
        is_offline: get_bool(row, "is_offline")?,
        duration_ms: get_opt_i64(row, "duration_ms")?,
        width: get_opt_i64(row, "width")?,
        height: get_opt_i64(row, "height")?,
        thumbhash: row.try_get("thumbhash")?,
        live_photo_video_id: row.try_get("live_photo_video_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        exif: ExifRecord {
            make: row.try_get("make")?,
            model: row.try_get("model")?,
            lens_model: row.try_get("lens_model")?,
            exif_image_width: get_opt_i64(row, "exif_image_width")?,
            exif_image_height: get_opt_i64(row, "exif_image_height")?,
            file_size: get_opt_i64(row, "exif_file_size")?,
            orientation: row.try_get("orientation")?,
            date_time_original: get_opt_i64(row, "date_time_original")?,
            modify_date: get_opt_i64(row, "modify_date")?,
            time_zone: row.try_get("time_zone")?,
            latitude: row.try_get("latitude")?,
            longitude: row.try_get("longitude")?,
            city: row.try_get("city")?,
            state: row.try_get("state")?,
            country: row.try_get("country")?,
            description: description.unwrap_or_default(),
            rating: get_opt_i64(row, "rating")?,
            f_number: row.try_get("f_number")?,
            focal_length: row.try_get("focal_length")?,
            iso: get_opt_i64(row, "iso")?,
            exposure_time: row.try_get("exposure_time")?,
            fps: row.try_get("fps")?,
            projection_type: row.try_get("projection_type")?,
            profile_description: row.try_get("profile_description")?,
            colorspace: row.try_get("colorspace")?,
            bits_per_sample: get_opt_i64(row, "bits_per_sample")?,
            live_photo_cid: row.try_get("live_photo_cid")?,
        },
    })
}

/// What happened to an insert.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    Created(String),
    /// The owner already has an asset with this checksum (possibly trashed).
    Duplicate(String),
}

/// Adds `properties` to an asset's locked properties: user edits that
/// re-reading the file must not undo (see `Db::apply_metadata`).
pub(crate) async fn lock_properties_in(
    conn: &mut sqlx::AnyConnection,
    asset_id: &str,
    properties: &[&str],
) -> Result<()> {
    let row = sqlx::query("SELECT locked_properties FROM asset_exif WHERE asset_id = $1")
        .bind(asset_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(()) };
    let current: String = row.try_get("locked_properties")?;
    let mut all: Vec<&str> = current.split(',').filter(|p| !p.is_empty()).collect();
    let before = all.len();
    for p in properties {
        if !all.contains(p) {
            all.push(p);
        }
    }
    if all.len() == before {
        return Ok(());
    }
    sqlx::query("UPDATE asset_exif SET locked_properties = $2 WHERE asset_id = $1")
        .bind(asset_id)
        .bind(all.join(","))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A bound SQL parameter for queries built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
    Bytes(Vec<u8>),
}

pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    params: &'q [Param],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for p in params {
        query = match p {
            Param::Text(s) => query.bind(s.as_str()),
            Param::Int(i) => query.bind(*i),
            Param::Bool(b) => query.bind(*b),
            Param::Bytes(b) => query.bind(b.as_slice()),
        };
    }
    query
}

/// Which assets a read covers. Every field narrows; the default is "all of the owners' assets".
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    /// Owners whose assets are visible (the caller and later partners).
    pub owner_ids: Vec<String>,
    /// Only assets in this album (then `owner_ids` may be empty: membership was checked).
    pub album_id: Option<String>,
    pub ids: Option<Vec<String>>,
    pub is_favorite: Option<bool>,
    /// `Some(true)` for trash only, `Some(false)` (the usual) for untrashed only.
    pub is_trashed: Option<bool>,
    pub visibility: Option<String>,
    /// When no visibility is asked for, these are left out (e.g. hidden and locked).
    pub exclude_visibilities: Vec<String>,
    pub asset_type: Option<String>,
    pub taken_after: Option<i64>,
    pub taken_before: Option<i64>,
    /// `[from, to)` on `local_date_time`: a timeline bucket.
    pub local_from: Option<i64>,
    pub local_to: Option<i64>,
    pub file_name_contains: Option<String>,
    pub description_contains: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens_model: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub checksum: Option<Vec<u8>>,
    pub original_path: Option<String>,
    pub rating: Option<i64>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub updated_after: Option<i64>,
    pub updated_before: Option<i64>,
    pub with_location: Option<bool>,
}

impl AssetFilter {
    /// Builds the `FROM … WHERE …` part and its parameters, with the assets'
    /// metadata joined as `e` for the columns a caller selects.
    pub(crate) fn sql(&self, params: &mut Vec<Param>) -> String {
        self.sql_joining(params, true)
    }

    /// Whether the filter itself reads the metadata table.
    fn reads_exif(&self) -> bool {
        [
            &self.make,
            &self.model,
            &self.lens_model,
            &self.city,
            &self.state,
            &self.country,
            &self.description_contains,
        ]
        .iter()
        .any(|v| v.is_some())
            || self.rating.is_some()
            || self.with_location.is_some()
    }

    /// [`AssetFilter::sql`] for a query that selects no metadata: the join is
    /// left out unless the filter needs it, so counts can be answered from an
    /// index on `assets` alone (SQLite does not drop the unused join itself).
    pub(crate) fn sql_without_exif(&self, params: &mut Vec<Param>) -> String {
        self.sql_joining(params, self.reads_exif())
    }

    fn sql_joining(&self, params: &mut Vec<Param>, exif: bool) -> String {
        let mut clauses: Vec<String> = Vec::new();
        let push = |params: &mut Vec<Param>, p: Param| -> String {
            params.push(p);
            format!("${}", params.len())
        };
        let mut from = if exif {
            "assets a LEFT JOIN asset_exif e ON e.asset_id = a.id".to_string()
        } else {
            "assets a".to_string()
        };
        if let Some(album) = &self.album_id {
            let n = push(params, Param::Text(album.clone()));
            from.push_str(&format!(
                " JOIN album_assets aa ON aa.asset_id = a.id AND aa.album_id = {n}"
            ));
        }
        if !self.owner_ids.is_empty() {
            let list: Vec<String> = self
                .owner_ids
                .iter()
                .map(|o| push(params, Param::Text(o.clone())))
                .collect();
            clauses.push(format!("a.owner_id IN ({})", list.join(", ")));
        } else if self.album_id.is_none() {
            clauses.push("1 = 0".to_string());
        }
        if let Some(ids) = &self.ids {
            if ids.is_empty() {
                clauses.push("1 = 0".to_string());
            } else {
                let list: Vec<String> = ids
                    .iter()
                    .map(|o| push(params, Param::Text(o.clone())))
                    .collect();
                clauses.push(format!("a.id IN ({})", list.join(", ")));
            }
        }
        if let Some(v) = self.is_favorite {
            let n = push(params, Param::Bool(v));
            clauses.push(format!("a.is_favorite = {n}"));
        }
        match self.is_trashed {
            Some(true) => clauses.push("a.deleted_at IS NOT NULL".into()),
            Some(false) => clauses.push("a.deleted_at IS NULL".into()),
            None => {}
        }
        if let Some(v) = &self.visibility {
            let n = push(params, Param::Text(v.clone()));
            clauses.push(format!("a.visibility = {n}"));
        } else {
            for v in &self.exclude_visibilities {
                let n = push(params, Param::Text(v.clone()));
                clauses.push(format!("a.visibility <> {n}"));
            }
        }
        let text_eq: [(&Option<String>, &str); 8] = [
            (&self.asset_type, "a.asset_type"),
            (&self.make, "e.make"),
            (&self.model, "e.model"),
            (&self.lens_model, "e.lens_model"),
            (&self.city, "e.city"),
            (&self.state, "e.state"),
            (&self.country, "e.country"),
            (&self.original_path, "a.original_path"),
        ];
        for (value, column) in text_eq {
            if let Some(v) = value {
                let n = push(params, Param::Text(v.clone()));
                clauses.push(format!("{column} = {n}"));
            }
        }
        let contains: [(&Option<String>, &str); 2] = [
            (&self.file_name_contains, "a.original_file_name"),
            (&self.description_contains, "e.description"),
        ];
        for (value, column) in contains {
            if let Some(v) = value {
                let n = push(params, Param::Text(format!("%{}%", v.to_lowercase())));
                clauses.push(format!("lower({column}) LIKE {n}"));
            }
        }
        let ranges: [(Option<i64>, &str); 10] = [
            (self.taken_after, "a.file_created_at >="),
            (self.taken_before, "a.file_created_at <="),
            (self.local_from, "a.local_date_time >="),
            (self.local_to, "a.local_date_time <"),
            (self.created_after, "a.created_at >="),
            (self.created_before, "a.created_at <="),
            (self.updated_after, "a.updated_at >="),
            (self.updated_before, "a.updated_at <="),
            (self.rating, "e.rating ="),
            (None, ""),
        ];
        for (value, op) in ranges {
            if let Some(v) = value {
                let n = push(params, Param::Int(v));
                clauses.push(format!("{op} {n}"));
            }
        }
        if let Some(c) = &self.checksum {
            let n = push(params, Param::Bytes(c.clone()));
            clauses.push(format!("a.checksum = {n}"));
        }
        match self.with_location {
            Some(true) => clauses.push("e.latitude IS NOT NULL AND e.longitude IS NOT NULL".into()),
            Some(false) => clauses.push("(e.latitude IS NULL OR e.longitude IS NULL)".into()),
            None => {}
        }
        if clauses.is_empty() {
            format!("FROM {from}")
        } else {
            format!("FROM {from} WHERE {}", clauses.join(" AND "))
        }
    }
}

/// Changes to one or more assets; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AssetChanges {
    pub is_favorite: Option<bool>,
    pub visibility: Option<String>,
    pub description: Option<String>,
    /// A new capture time: `(instant, wall-clock as UTC, zone name)`.
    pub date_time_original: Option<(i64, i64, Option<String>)>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// City, state and country for the new coordinates (written with them).
    pub place: [Option<String>; 3],
    /// `Some(None)` clears the rating.
    pub rating: Option<Option<i64>>,
    pub live_photo_video_id: Option<Option<String>>,
}

/// Columns search suggestions may list or filter on.
pub const SUGGESTION_COLUMNS: &[&str] =
    &["country", "state", "city", "make", "model", "lens_model"];

/// An asset's place on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapMarker {
    pub id: String,
    pub latitude: f64,
    pub longitude: f64,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

/// Counts by type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssetCounts {
    pub images: i64,
    pub videos: i64,
}

/// Files a hard delete leaves for the file-removal job.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedFiles {
    pub asset_id: String,
    pub paths: Vec<String>,
}

/// The queue and kind of the job that removes an asset's files after its row is gone.
pub const FILE_DELETE_QUEUE: &str = "backgroundTask";
pub const FILE_DELETE_KIND: &str = "FileDelete";

impl Db {
    /// Records that a file with `checksum` is about to be linked at `path`,
    /// before its asset row exists.
    pub async fn add_pending_file(&self, path: &str, checksum: &[u8]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO pending_files (path, checksum, created_at) VALUES ($1, $2, $3) ON CONFLICT (path) DO UPDATE SET checksum = excluded.checksum")
            .bind(path)
            .bind(checksum.to_vec())
            .bind(now_ms())
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    pub async fn remove_pending_file(&self, path: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM pending_files WHERE path = $1")
            .bind(path)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Pending files that no asset owns, with the checksum their content had:
    /// leftovers of a crash between link and commit.
    pub async fn orphaned_pending_files(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = sqlx::query(
            "SELECT p.path, p.checksum FROM pending_files p WHERE NOT EXISTS (SELECT 1 FROM assets a WHERE a.original_path = p.path OR a.sidecar_path = p.path) ORDER BY p.path",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("path")?, r.try_get("checksum")?)))
            .collect()
    }

    /// Forgets the listed pending-file records, and every one whose file an asset now owns.
    pub async fn clear_pending_files(&self, paths: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for p in paths {
            sqlx::query("DELETE FROM pending_files WHERE path = $1")
                .bind(p.as_str())
                .execute(tx.conn())
                .await?;
        }
        sqlx::query("DELETE FROM pending_files WHERE EXISTS (SELECT 1 FROM assets a WHERE a.original_path = pending_files.path OR a.sidecar_path = pending_files.path)")
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Inserts an asset and its exif row, clears its pending-file records and
    /// enqueues `jobs`, all in one transaction. If the owner already has an asset
    /// with the same checksum, nothing is written and its id is returned.
    pub async fn insert_asset(&self, new: &NewAsset, jobs: &[NewJob]) -> Result<InsertOutcome> {
        if let Some(existing) = self
            .asset_id_by_checksum(&new.owner_id, &new.checksum)
            .await?
        {
            return Ok(InsertOutcome::Duplicate(existing));
        }
        let result = self.try_insert_asset(new, jobs).await;
        match result {
            Err(e) if e.is_unique_violation() => {
                // Lost a race with a concurrent upload of the same bytes.
                match self
                    .asset_id_by_checksum(&new.owner_id, &new.checksum)
                    .await?
                {
                    Some(existing) => Ok(InsertOutcome::Duplicate(existing)),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    async fn try_insert_asset(&self, new: &NewAsset, jobs: &[NewJob]) -> Result<InsertOutcome> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM assets WHERE owner_id = $1 AND checksum = $2")
            .bind(&new.owner_id)
            .bind(new.checksum.clone())
            .fetch_optional(tx.conn())
            .await?;
        if let Some(row) = exists {
            return Ok(InsertOutcome::Duplicate(row.try_get("id")?));
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO assets (id, owner_id, asset_type, original_path, original_file_name, sidecar_path, checksum, file_size, \
             file_created_at, file_modified_at, local_date_time, is_favorite, visibility, duration_ms, live_photo_video_id, created_at, updated_at, library_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)",
        )
        .bind(&new.id)
        .bind(&new.owner_id)
        .bind(&new.asset_type)
        .bind(&new.original_path)
        .bind(&new.original_file_name)
        .bind(new.sidecar_path.clone())
        .bind(new.checksum.clone())
        .bind(new.file_size)
        .bind(new.file_created_at)
        .bind(new.file_modified_at)
        .bind(new.local_date_time)
        .bind(new.is_favorite)
        .bind(&new.visibility)
        .bind(new.duration_ms)
        .bind(new.live_photo_video_id.clone())
        .bind(now)
        .bind(new.library_id.clone())
        .execute(tx.conn())
        .await?;
        sqlx::query("INSERT INTO asset_exif (asset_id, file_size) VALUES ($1, $2)")
            .bind(&new.id)
            .bind(new.file_size)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM pending_files WHERE path = $1 OR path = $2")
            .bind(&new.original_path)
            .bind(new.sidecar_path.clone().unwrap_or_default())
            .execute(tx.conn())
            .await?;
        for job in jobs {
            crate::jobs::enqueue_in(tx.conn(), job).await?;
        }
        tx.commit().await?;
        Ok(InsertOutcome::Created(new.id.clone()))
    }

    pub async fn asset_id_by_checksum(
        &self,
        owner_id: &str,
        checksum: &[u8],
    ) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM assets WHERE owner_id = $1 AND checksum = $2")
            .bind(owner_id)
            .bind(checksum.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// For each checksum the owner already has: `(checksum, asset id, trashed?)`.
    pub async fn assets_by_checksums(
        &self,
        owner_id: &str,
        checksums: &[Vec<u8>],
    ) -> Result<Vec<(Vec<u8>, String, bool)>> {
        let mut out = Vec::new();
        for chunk in checksums.chunks(500) {
            let mut params = vec![Param::Text(owner_id.to_string())];
            let list: Vec<String> = chunk
                .iter()
                .map(|c| {
                    params.push(Param::Bytes(c.clone()));
                    format!("${}", params.len())
                })
                .collect();
            let sql = format!(
                "SELECT checksum, id, deleted_at FROM assets WHERE owner_id = $1 AND checksum IN ({})",
                list.join(", ")
            );
            let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
                .fetch_all(&self.pool)
                .await?;
            for r in rows {
                out.push((
                    r.try_get("checksum")?,
                    r.try_get("id")?,
                    get_opt_i64(&r, "deleted_at")?.is_some(),
                ));
            }
        }
        Ok(out)
    }

    pub async fn asset_by_id(&self, id: &str) -> Result<Option<AssetRecord>> {
        let sql = format!(
            "SELECT {ASSET_COLUMNS} FROM assets a LEFT JOIN asset_exif e ON e.asset_id = a.id WHERE a.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(asset_from_row).transpose()
    }

    /// Assets matching `filter`, newest first, with paging.
    pub async fn find_assets(
        &self,
        filter: &AssetFilter,
        ascending: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AssetRecord>> {
        let mut params = Vec::new();
        let from = filter.sql(&mut params);
        let dir = if ascending { "ASC" } else { "DESC" };
        params.push(Param::Int(limit));
        let l = params.len();
        params.push(Param::Int(offset));
        let o = params.len();
        let sql = format!(
            "SELECT {ASSET_COLUMNS} {from} ORDER BY a.local_date_time {dir}, a.id {dir} LIMIT ${l} OFFSET ${o}"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(asset_from_row).collect()
    }

    /// Places of the assets matching `filter` that have coordinates:
    /// `(id, latitude, longitude, city, state, country)`, newest first.
    pub async fn map_markers(&self, filter: &AssetFilter) -> Result<Vec<MapMarker>> {
        let mut params = Vec::new();
        let filter = AssetFilter {
            with_location: Some(true),
            ..filter.clone()
        };
        let from = filter.sql(&mut params);
        let sql = format!(
            "SELECT a.id, e.latitude, e.longitude, e.city, e.state, e.country {from} ORDER BY a.local_date_time DESC, a.id DESC"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MapMarker {
                    id: r.try_get("id")?,
                    latitude: r.try_get("latitude")?,
                    longitude: r.try_get("longitude")?,
                    city: r.try_get("city")?,
                    state: r.try_get("state")?,
                    country: r.try_get("country")?,
                })
            })
            .collect()
    }

    /// Distinct values of one place or camera column among an owner's assets
    /// (not trashed), narrowed by other columns' values: search suggestions.
    /// `column` and the filter columns come from [`SUGGESTION_COLUMNS`].
    pub async fn exif_suggestions(
        &self,
        owner_id: &str,
        column: &str,
        filters: &[(&str, String)],
    ) -> Result<Vec<String>> {
        let known = |c: &str| SUGGESTION_COLUMNS.contains(&c);
        if !known(column) || filters.iter().any(|(c, _)| !known(c)) {
            return Ok(Vec::new());
        }
        let mut params = vec![Param::Text(owner_id.to_string())];
        let mut sql = format!(
            "SELECT DISTINCT e.{column} AS v FROM assets a JOIN asset_exif e ON e.asset_id = a.id \
             WHERE a.owner_id = $1 AND a.deleted_at IS NULL AND e.{column} IS NOT NULL AND e.{column} <> ''"
        );
        for (c, v) in filters {
            params.push(Param::Text(v.clone()));
            sql.push_str(&format!(" AND e.{c} = ${}", params.len()));
        }
        sql.push_str(" ORDER BY v LIMIT 1000");
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("v")?)).collect()
    }

    /// Image and video counts for `filter`.
    pub async fn count_assets(&self, filter: &AssetFilter) -> Result<AssetCounts> {
        let mut params = Vec::new();
        let from = filter.sql_without_exif(&mut params);
        let sql = format!("SELECT a.asset_type AS t, COUNT(*) AS n {from} GROUP BY a.asset_type");
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_all(&self.pool)
            .await?;
        let mut counts = AssetCounts::default();
        for r in rows {
            let t: String = r.try_get("t")?;
            let n: i64 = r.try_get("n")?;
            match t.as_str() {
                "IMAGE" => counts.images += n,
                "VIDEO" => counts.videos += n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// Month buckets (`YYYY-MM-01` of `local_date_time`) with their counts, newest first unless `ascending`.
    pub async fn time_buckets(
        &self,
        filter: &AssetFilter,
        ascending: bool,
    ) -> Result<Vec<(String, i64)>> {
        let mut params = Vec::new();
        let from = filter.sql_without_exif(&mut params);
        let month = match self.engine {
            Engine::Sqlite => "strftime('%Y-%m-01', a.local_date_time / 1000, 'unixepoch')",
            Engine::Postgres => {
                "to_char(to_timestamp(a.local_date_time / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-01')"
            }
        };
        let dir = if ascending { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {month} AS bucket, COUNT(*) AS n {from} GROUP BY bucket ORDER BY bucket {dir}"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("bucket")?, r.try_get("n")?)))
            .collect()
    }

    /// Applies `changes` to every listed asset in one transaction; returns how many rows changed.
    pub async fn update_assets(&self, ids: &[String], changes: &AssetChanges) -> Result<u64> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let mut touched = 0;
        for id in ids {
            let mut sets = vec!["updated_at = $2".to_string()];
            let mut params = vec![Param::Text(id.clone()), Param::Int(now)];
            if let Some(v) = changes.is_favorite {
                params.push(Param::Bool(v));
                sets.push(format!("is_favorite = ${}", params.len()));
            }
            if let Some(v) = &changes.visibility {
                params.push(Param::Text(v.clone()));
                sets.push(format!("visibility = ${}", params.len()));
            }
            if let Some((instant, local, _)) = &changes.date_time_original {
                params.push(Param::Int(*instant));
                sets.push(format!("file_created_at = ${}", params.len()));
                params.push(Param::Int(*local));
                sets.push(format!("local_date_time = ${}", params.len()));
            }
            if let Some(v) = &changes.live_photo_video_id {
                match v {
                    Some(v) => {
                        params.push(Param::Text(v.clone()));
                        sets.push(format!("live_photo_video_id = ${}", params.len()));
                    }
                    None => sets.push("live_photo_video_id = NULL".into()),
                }
            }
            let sql = format!("UPDATE assets SET {} WHERE id = $1", sets.join(", "));
            touched += bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &params)
                .execute(tx.conn())
                .await?
                .rows_affected();

            let mut exif_sets: Vec<String> = Vec::new();
            let mut exif_params = vec![Param::Text(id.clone())];
            let mut locked: Vec<&str> = Vec::new();
            if let Some(v) = &changes.description {
                exif_params.push(Param::Text(v.clone()));
                exif_sets.push(format!("description = ${}", exif_params.len()));
                locked.push("description");
            }
            if let Some((instant, _, zone)) = &changes.date_time_original {
                exif_params.push(Param::Int(*instant));
                exif_sets.push(format!("date_time_original = ${}", exif_params.len()));
                match zone {
                    Some(z) => {
                        exif_params.push(Param::Text(z.clone()));
                        exif_sets.push(format!("time_zone = ${}", exif_params.len()));
                    }
                    None => exif_sets.push("time_zone = NULL".into()),
                }
                locked.push("dateTimeOriginal");
            }
            if let (Some(lat), Some(lon)) = (changes.latitude, changes.longitude) {
                // Floats are bound as text-free literals: both engines parse them exactly.
                exif_sets.push(format!("latitude = {lat:?}, longitude = {lon:?}"));
                for (column, value) in ["city", "state", "country"].iter().zip(&changes.place) {
                    match value {
                        Some(v) => {
                            exif_params.push(Param::Text(v.clone()));
                            exif_sets.push(format!("{column} = ${}", exif_params.len()));
                        }
                        None => exif_sets.push(format!("{column} = NULL")),
                    }
                }
                locked.push("latitude");
                locked.push("longitude");
            }
            if let Some(rating) = changes.rating {
                match rating {
                    Some(r) => {
                        exif_params.push(Param::Int(r));
                        exif_sets.push(format!("rating = ${}", exif_params.len()));
                    }
                    None => exif_sets.push("rating = NULL".into()),
                }
                locked.push("rating");
            }
            if !exif_sets.is_empty() {
                let sql = format!(
                    "UPDATE asset_exif SET {} WHERE asset_id = $1",
                    exif_sets.join(", ")
                );
                bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &exif_params)
                    .execute(tx.conn())
                    .await?;
                lock_properties_in(tx.conn(), id, &locked).await?;
            }
        }
        tx.commit().await?;
        Ok(touched)
    }

    /// Moves assets to the trash (sets `deleted_at`). Already-trashed ones are left as they are.
    pub async fn trash_assets(&self, ids: &[String]) -> Result<u64> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let mut n = 0;
        for id in ids {
            n += sqlx::query("UPDATE assets SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL")
                .bind(id.as_str())
                .bind(now)
                .execute(tx.conn())
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Takes assets out of the trash; with `ids = None`, all of the owner's.
    pub async fn restore_assets(&self, owner_id: &str, ids: Option<&[String]>) -> Result<u64> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let n = match ids {
            None => sqlx::query("UPDATE assets SET deleted_at = NULL, updated_at = $2 WHERE owner_id = $1 AND deleted_at IS NOT NULL")
                .bind(owner_id)
                .bind(now)
                .execute(tx.conn())
                .await?
                .rows_affected(),
            Some(ids) => {
                let mut n = 0;
                for id in ids {
                    n += sqlx::query("UPDATE assets SET deleted_at = NULL, updated_at = $3 WHERE owner_id = $1 AND id = $2 AND deleted_at IS NOT NULL")
                        .bind(owner_id)
                        .bind(id.as_str())
                        .bind(now)
                        .execute(tx.conn())
                        .await?
                        .rows_affected();
                }
                n
            }
        };
        tx.commit().await?;
        Ok(n)
    }

    /// Ids of the owner's trashed assets.
    pub async fn trashed_asset_ids(&self, owner_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM assets WHERE owner_id = $1 AND deleted_at IS NOT NULL ORDER BY id",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Removes asset rows for good and, in the same transaction, queues the
    /// removal of their files. A row disappears before its file, never after.
    /// An external asset's original (and a sidecar next to it) is not Keepsake's
    /// to remove: only its derived files are queued.
    pub async fn delete_assets(&self, ids: &[String]) -> Result<Vec<RemovedFiles>> {
        let mut tx = self.begin_write().await?;
        let mut removed = Vec::new();
        for id in ids {
            if let Some(files) = delete_asset_in(tx.conn(), id).await? {
                removed.push(files);
            }
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Album ids that contain an asset.
    pub async fn album_ids_for_asset(&self, asset_id: &str) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT album_id FROM album_assets WHERE asset_id = $1 ORDER BY album_id")
                .bind(asset_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok(r.try_get("album_id")?)).collect()
    }
}

/// Deletes one asset row inside an open transaction and queues the removal of
/// the files that are Keepsake's: the original and sidecar under their store
/// keys, and derived files. Paths outside the store (an external asset's file
/// in place) are never listed. `None` when there was no such asset.
pub(crate) async fn delete_asset_in(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Option<RemovedFiles>> {
    let row =
        sqlx::query("SELECT original_path, sidecar_path, library_id FROM assets WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let external = row.try_get::<Option<String>, _>("library_id")?.is_some();
    let mut paths = Vec::new();
    if !external {
        paths.push(row.try_get::<String, _>("original_path")?);
    }
    if let Some(s) = row.try_get::<Option<String>, _>("sidecar_path")?
        && !std::path::Path::new(&s).is_absolute()
    {
        paths.push(s);
    }
    // Derived files (previews, thumbnails, encoded video) go with the original.
    let derived = sqlx::query("SELECT path FROM asset_files WHERE asset_id = $1")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    for d in &derived {
        paths.push(d.try_get("path")?);
    }
    sqlx::query("UPDATE albums SET thumbnail_asset_id = NULL WHERE thumbnail_asset_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM assets WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let payload = format!("{{\"paths\":{}}}", json_string_array(&paths));
    crate::jobs::enqueue_in(
        &mut *conn,
        &NewJob::new(FILE_DELETE_QUEUE, FILE_DELETE_KIND, payload).for_asset(id),
    )
    .await?;
    Ok(Some(RemovedFiles {
        asset_id: id.to_string(),
        paths,
    }))
}

/// A JSON array of strings, escaped by hand to keep this crate free of serde.
pub fn json_string_array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| json_string(s)).collect();
    format!("[{}]", quoted.join(","))
}

pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
