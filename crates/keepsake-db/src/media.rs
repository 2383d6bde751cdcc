//! What the media pipeline writes: metadata read from files (respecting what
//! the user edited by hand), derived files (preview, thumbnail, encoded video),
//! which pipeline steps have run per asset, and Live Photo pairing.
//!
//! Every write here is one transaction, and a derived file's row is written
//! only after the file is on disk, so a row in `asset_files` always points at a
//! real file (the same invariant as originals).

use sqlx::Row;

use crate::jobs::NewJob;
use crate::{Db, Result, now_ms};

/// Metadata extracted from an original, as the store keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetadataUpdate {
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens_model: Option<String>,
    pub exif_image_width: Option<i64>,
    pub exif_image_height: Option<i64>,
    pub orientation: Option<String>,
    /// The resolved capture instant (ms, UTC); also becomes the asset's `file_created_at`.
    pub date_time_original: Option<i64>,
    /// Immich's `localDateTime` for the timeline.
    pub local_date_time: Option<i64>,
    pub time_zone: Option<String>,
    pub modify_date: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub description: Option<String>,
    pub rating: Option<i64>,
    pub tags: Vec<String>,
    pub f_number: Option<f64>,
    pub focal_length: Option<f64>,
    pub iso: Option<i64>,
    pub exposure_time: Option<String>,
    pub fps: Option<f64>,
    pub projection_type: Option<String>,
    pub profile_description: Option<String>,
    pub colorspace: Option<String>,
    pub bits_per_sample: Option<i64>,
    pub live_photo_cid: Option<String>,
    /// Display size (orientation applied), for the asset row.
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub duration_ms: Option<i64>,
}

/// A pipeline step whose completion is recorded per asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaStep {
    Metadata,
    Thumbnails,
    VideoEncode,
}

impl MediaStep {
    fn column(self) -> &'static str {
        match self {
            MediaStep::Metadata => "metadata_extracted_at",
            MediaStep::Thumbnails => "thumbnails_generated_at",
            MediaStep::VideoEncode => "video_encoded_at",
        }
    }
}

/// A derived file of an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile {
    pub kind: String,
    pub path: String,
}

impl Db {
    /// Writes extracted metadata for an asset. Properties the user edited
    /// (`locked_properties`) keep the user's value. Marks the metadata step done
    /// and enqueues `next` (the following pipeline steps) in the same transaction.
    /// Returns false when the asset no longer exists.
    pub async fn apply_metadata(
        &self,
        asset_id: &str,
        m: &MetadataUpdate,
        next: &[NewJob],
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT locked_properties FROM asset_exif WHERE asset_id = $1")
            .bind(asset_id)
            .fetch_optional(tx.conn())
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let locked: String = row.try_get("locked_properties")?;
        let is_locked = |p: &str| locked.split(',').any(|l| l == p);
        let date_locked = is_locked("dateTimeOriginal");
        let place_locked = is_locked("latitude") || is_locked("longitude");

        let mut q = sqlx::query(
            "UPDATE asset_exif SET make = $2, model = $3, lens_model = $4, exif_image_width = $5, exif_image_height = $6, \
             orientation = $7, modify_date = $8, f_number = $9, focal_length = $10, iso = $11, exposure_time = $12, fps = $13, \
             projection_type = $14, profile_description = $15, colorspace = $16, bits_per_sample = $17, live_photo_cid = $18 \
             WHERE asset_id = $1",
        )
        .bind(asset_id)
        .bind(m.make.clone())
        .bind(m.model.clone())
        .bind(m.lens_model.clone())
        .bind(m.exif_image_width)
        .bind(m.exif_image_height)
        .bind(m.orientation.clone())
        .bind(m.modify_date)
        .bind(m.f_number)
        .bind(m.focal_length)
        .bind(m.iso)
        .bind(m.exposure_time.clone())
        .bind(m.fps)
        .bind(m.projection_type.clone())
        .bind(m.profile_description.clone())
        .bind(m.colorspace.clone())
        .bind(m.bits_per_sample)
        .bind(m.live_photo_cid.clone());
        q.execute(tx.conn()).await?;

        if !is_locked("description") {
            q = sqlx::query("UPDATE asset_exif SET description = $2 WHERE asset_id = $1")
                .bind(asset_id)
                .bind(m.description.clone().unwrap_or_default());
            q.execute(tx.conn()).await?;
        }
        if !is_locked("tags") {
            let owner: String = sqlx::query("SELECT owner_id FROM assets WHERE id = $1")
                .bind(asset_id)
                .fetch_one(tx.conn())
                .await?
                .try_get("owner_id")?;
            crate::tags::replace_asset_tags_in(tx.conn(), &owner, asset_id, &m.tags).await?;
        }
        if !is_locked("rating") {
            sqlx::query("UPDATE asset_exif SET rating = $2 WHERE asset_id = $1")
                .bind(asset_id)
                .bind(m.rating)
                .execute(tx.conn())
                .await?;
        }
        if !place_locked {
            sqlx::query(
                "UPDATE asset_exif SET latitude = $2, longitude = $3, city = $4, state = $5, country = $6 WHERE asset_id = $1",
            )
            .bind(asset_id)
            .bind(m.latitude)
            .bind(m.longitude)
            .bind(m.city.clone())
            .bind(m.state.clone())
            .bind(m.country.clone())
            .execute(tx.conn())
            .await?;
        }
        if !date_locked {
            sqlx::query(
                "UPDATE asset_exif SET date_time_original = $2, time_zone = $3 WHERE asset_id = $1",
            )
            .bind(asset_id)
            .bind(m.date_time_original)
            .bind(m.time_zone.clone())
            .execute(tx.conn())
            .await?;
            if let (Some(instant), Some(local)) = (m.date_time_original, m.local_date_time) {
                sqlx::query(
                    "UPDATE assets SET file_created_at = $2, local_date_time = $3, updated_at = $4 WHERE id = $1",
                )
                .bind(asset_id)
                .bind(instant)
                .bind(local)
                .bind(now)
                .execute(tx.conn())
                .await?;
            }
        }
        sqlx::query(
            "UPDATE assets SET width = COALESCE($2, width), height = COALESCE($3, height), \
             duration_ms = COALESCE($4, duration_ms), updated_at = $5 WHERE id = $1",
        )
        .bind(asset_id)
        .bind(m.width)
        .bind(m.height)
        .bind(m.duration_ms)
        .bind(now)
        .execute(tx.conn())
        .await?;
        mark_step(tx.conn(), asset_id, MediaStep::Metadata, now).await?;
        for job in next {
            crate::jobs::enqueue_in(tx.conn(), job).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records derived files (already on disk) and the thumbhash, and marks the
    /// thumbnail step done. Returns false when the asset no longer exists; the
    /// caller then removes the files it wrote.
    pub async fn set_thumbnails(
        &self,
        asset_id: &str,
        thumbhash: Option<&[u8]>,
        files: &[AssetFile],
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE assets SET thumbhash = $2, updated_at = $3 WHERE id = $1")
            .bind(asset_id)
            .bind(thumbhash.map(|t| t.to_vec()))
            .bind(now)
            .execute(tx.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        for f in files {
            upsert_file(tx.conn(), asset_id, f, now).await?;
        }
        mark_step(tx.conn(), asset_id, MediaStep::Thumbnails, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records the browser-playable encoding of a video (or, with `file = None`,
    /// that the original plays as it is) and marks the step done.
    pub async fn set_encoded_video(
        &self,
        asset_id: &str,
        file: Option<&AssetFile>,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM assets WHERE id = $1")
            .bind(asset_id)
            .fetch_optional(tx.conn())
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        if let Some(f) = file {
            upsert_file(tx.conn(), asset_id, f, now).await?;
        }
        mark_step(tx.conn(), asset_id, MediaStep::VideoEncode, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The derived files of an asset.
    pub async fn asset_files(&self, asset_id: &str) -> Result<Vec<AssetFile>> {
        let rows =
            sqlx::query("SELECT kind, path FROM asset_files WHERE asset_id = $1 ORDER BY kind")
                .bind(asset_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(AssetFile {
                    kind: r.try_get("kind")?,
                    path: r.try_get("path")?,
                })
            })
            .collect()
    }

    /// Ids (with their type) of assets that have not had `step`, or all assets
    /// with `all`, for "run missing" / "run all" from the admin's job page.
    /// Trashed assets are included: they come back on restore.
    pub async fn assets_for_step(
        &self,
        step: MediaStep,
        all: bool,
    ) -> Result<Vec<(String, String)>> {
        let sql = if all {
            "SELECT a.id, a.asset_type FROM assets a ORDER BY a.id".to_string()
        } else {
            format!(
                "SELECT a.id, a.asset_type FROM assets a LEFT JOIN asset_job_status s ON s.asset_id = a.id \
                 WHERE s.{} IS NULL ORDER BY a.id",
                step.column()
            )
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("asset_type")?)))
            .collect()
    }

    /// When each pipeline step last completed for an asset (ms), if it has.
    pub async fn media_steps(&self, asset_id: &str) -> Result<[Option<i64>; 3]> {
        let row = sqlx::query(
            "SELECT metadata_extracted_at, thumbnails_generated_at, video_encoded_at FROM asset_job_status WHERE asset_id = $1",
        )
        .bind(asset_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok([None, None, None]);
        };
        Ok([
            crate::get_opt_i64(&row, "metadata_extracted_at")?,
            crate::get_opt_i64(&row, "thumbnails_generated_at")?,
            crate::get_opt_i64(&row, "video_encoded_at")?,
        ])
    }

    /// The other half of a Live Photo: an asset of the same owner, of type
    /// `want_type`, with the same content identifier.
    pub async fn live_photo_partner(
        &self,
        owner_id: &str,
        content_id: &str,
        want_type: &str,
        not_id: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT a.id FROM assets a JOIN asset_exif e ON e.asset_id = a.id \
             WHERE a.owner_id = $1 AND e.live_photo_cid = $2 AND a.asset_type = $3 AND a.id <> $4 \
             ORDER BY a.created_at LIMIT 1",
        )
        .bind(owner_id)
        .bind(content_id)
        .bind(want_type)
        .bind(not_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// Links a Live Photo as Immich does: the still points at the video, the
    /// video is hidden from the timeline and taken out of albums (the still
    /// stands for both).
    pub async fn link_live_photo(&self, still_id: &str, video_id: &str) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE assets SET live_photo_video_id = $2, updated_at = $3 WHERE id = $1")
            .bind(still_id)
            .bind(video_id)
            .bind(now)
            .execute(tx.conn())
            .await?;
        sqlx::query("UPDATE assets SET visibility = 'hidden', updated_at = $2 WHERE id = $1")
            .bind(video_id)
            .bind(now)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM album_assets WHERE asset_id = $1")
            .bind(video_id)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Points an asset's sidecar at `path` if it still is `previous`: an
    /// external asset's edits move from the sidecar next to its original
    /// (read only) to a copy in the store.
    pub async fn replace_sidecar_path(
        &self,
        asset_id: &str,
        previous: Option<&str>,
        path: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE assets SET sidecar_path = $2 WHERE id = $1 AND (sidecar_path IS NULL OR sidecar_path = $3)",
        )
        .bind(asset_id)
        .bind(path)
        .bind(previous.unwrap_or_default())
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }

    /// Records the sidecar path of an asset that had none (written by Keepsake).
    pub async fn set_sidecar_path(&self, asset_id: &str, path: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE assets SET sidecar_path = $2 WHERE id = $1 AND sidecar_path IS NULL")
            .bind(asset_id)
            .bind(path)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM pending_files WHERE path = $1")
            .bind(path)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn upsert_file(
    conn: &mut sqlx::AnyConnection,
    asset_id: &str,
    f: &AssetFile,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO asset_files (asset_id, kind, path, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (asset_id, kind) DO UPDATE SET path = excluded.path, created_at = excluded.created_at",
    )
    .bind(asset_id)
    .bind(f.kind.as_str())
    .bind(f.path.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn mark_step(
    conn: &mut sqlx::AnyConnection,
    asset_id: &str,
    step: MediaStep,
    now: i64,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO asset_job_status (asset_id, {col}) VALUES ($1, $2) \
         ON CONFLICT (asset_id) DO UPDATE SET {col} = excluded.{col}",
        col = step.column()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(asset_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
