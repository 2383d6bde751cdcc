//! Tags, as Immich has them: per owner, hierarchical by value
//! ("Places/France/Paris" is a row whose parent is "Places/France"), linked
//! to assets. Tags read from files and tags people set land in the same rows.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Db, Result, now_ms};

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRecord {
    pub id: String,
    pub owner_id: String,
    /// The full path, levels joined by `/`.
    pub value: String,
    pub parent_id: Option<String>,
    pub color: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TagRecord {
    /// The last level of the path.
    pub fn name(&self) -> &str {
        self.value.rsplit('/').next().unwrap_or(&self.value)
    }
}

const TAG_COLUMNS: &str = "id, owner_id, value, parent_id, color, created_at, updated_at";

fn tag_from_row(row: &AnyRow) -> Result<TagRecord> {
    Ok(TagRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        value: row.try_get("value")?,
        parent_id: row.try_get("parent_id")?,
        color: row.try_get("color")?,
        created_at: crate::get_opt_i64(row, "created_at")?.unwrap_or(0),
        updated_at: crate::get_opt_i64(row, "updated_at")?.unwrap_or(0),
    })
}

/// Tidies a tag path: levels trimmed, empty levels dropped. `None` if nothing is left.
pub fn normalize_tag_value(value: &str) -> Option<String> {
    let levels: Vec<&str> = value
        .split('/')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    (!levels.is_empty()).then(|| levels.join("/"))
}

/// The id of the tag `value` of `owner`, creating it and its parents as needed.
pub(crate) async fn upsert_in(
    conn: &mut sqlx::AnyConnection,
    owner_id: &str,
    value: &str,
) -> Result<String> {
    let mut parent: Option<String> = None;
    let mut path = String::new();
    for level in value.split('/') {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(level);
        let found = sqlx::query("SELECT id FROM tags WHERE owner_id = $1 AND value = $2")
            .bind(owner_id)
            .bind(path.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        let id = match found {
            Some(row) => row.try_get("id")?,
            None => {
                let id = crate::new_id();
                let now = now_ms();
                sqlx::query(
                    "INSERT INTO tags (id, owner_id, value, parent_id, color, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, NULL, $5, $5)",
                )
                .bind(id.as_str())
                .bind(owner_id)
                .bind(path.as_str())
                .bind(parent.clone())
                .bind(now)
                .execute(&mut *conn)
                .await?;
                id
            }
        };
        parent = Some(id);
    }
    Ok(parent.unwrap_or_default())
}

/// Makes `values` the asset's tags (leaf tags linked; parents exist as rows).
pub(crate) async fn replace_asset_tags_in(
    conn: &mut sqlx::AnyConnection,
    owner_id: &str,
    asset_id: &str,
    values: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM tag_assets WHERE asset_id = $1")
        .bind(asset_id)
        .execute(&mut *conn)
        .await?;
    let mut seen = Vec::new();
    for value in values.iter().filter_map(|v| normalize_tag_value(v)) {
        let id = upsert_in(conn, owner_id, &value).await?;
        if seen.contains(&id) {
            continue;
        }
        sqlx::query("INSERT INTO tag_assets (tag_id, asset_id) VALUES ($1, $2)")
            .bind(id.as_str())
            .bind(asset_id)
            .execute(&mut *conn)
            .await?;
        seen.push(id);
    }
    Ok(())
}

impl Db {
    /// The owner's tags for `values` (full paths), created with their parents
    /// where missing; one per distinct value, in order.
    pub async fn upsert_tags(&self, owner_id: &str, values: &[String]) -> Result<Vec<TagRecord>> {
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::new();
        for value in values.iter().filter_map(|v| normalize_tag_value(v)) {
            let id = upsert_in(tx.conn(), owner_id, &value).await?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        tx.commit().await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(t) = self.tag_by_id(&id).await? {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Creates one tag under `parent` (already checked to be the owner's).
    /// `None` when the owner already has a tag with that path.
    pub async fn create_tag(
        &self,
        owner_id: &str,
        name: &str,
        parent: Option<&TagRecord>,
        color: Option<&str>,
    ) -> Result<Option<TagRecord>> {
        let value = match parent {
            Some(p) => format!("{}/{}", p.value, name.trim()),
            None => name.trim().to_string(),
        };
        let id = crate::new_id();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM tags WHERE owner_id = $1 AND value = $2")
            .bind(owner_id)
            .bind(value.as_str())
            .fetch_optional(tx.conn())
            .await?;
        if exists.is_some() {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO tags (id, owner_id, value, parent_id, color, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.as_str())
        .bind(owner_id)
        .bind(value.as_str())
        .bind(parent.map(|p| p.id.clone()))
        .bind(color.map(String::from))
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        self.tag_by_id(&id).await
    }

    pub async fn tag_by_id(&self, id: &str) -> Result<Option<TagRecord>> {
        let sql = format!("SELECT {TAG_COLUMNS} FROM tags WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(tag_from_row).transpose()
    }

    /// The owner's tags, by path.
    pub async fn list_tags(&self, owner_id: &str) -> Result<Vec<TagRecord>> {
        let sql = format!("SELECT {TAG_COLUMNS} FROM tags WHERE owner_id = $1 ORDER BY value");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tag_from_row).collect()
    }

    pub async fn set_tag_color(&self, id: &str, color: Option<&str>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE tags SET color = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(color.map(String::from))
            .bind(now_ms())
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Removes a tag, its children and their links. Returns the assets that
    /// lost a tag (their sidecars need rewriting).
    pub async fn delete_tag(&self, id: &str) -> Result<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let Some(tag) = sqlx::query("SELECT owner_id, value FROM tags WHERE id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
        else {
            return Ok(Vec::new());
        };
        let owner: String = tag.try_get("owner_id")?;
        let value: String = tag.try_get("value")?;
        let prefix = format!("{value}/%");
        let affected = sqlx::query(
            "SELECT DISTINCT ta.asset_id FROM tag_assets ta JOIN tags t ON t.id = ta.tag_id \
             WHERE t.owner_id = $1 AND (t.value = $2 OR t.value LIKE $3) ORDER BY ta.asset_id",
        )
        .bind(owner.as_str())
        .bind(value.as_str())
        .bind(prefix.as_str())
        .fetch_all(tx.conn())
        .await?;
        let assets: Vec<String> = affected
            .iter()
            .map(|r| r.try_get("asset_id"))
            .collect::<std::result::Result<_, _>>()?;
        // Children by path as well as by foreign key, so no engine setting matters.
        sqlx::query("DELETE FROM tags WHERE owner_id = $1 AND (value = $2 OR value LIKE $3)")
            .bind(owner.as_str())
            .bind(value.as_str())
            .bind(prefix.as_str())
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(assets)
    }

    /// Links a tag to assets (already checked to be the tag owner's); per id,
    /// whether it was newly linked. Tagged assets lock their tags against
    /// re-extraction from the file.
    pub async fn tag_assets(&self, tag_id: &str, asset_ids: &[String]) -> Result<Vec<bool>> {
        self.change_tag_links(
            "INSERT INTO tag_assets (tag_id, asset_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            tag_id,
            asset_ids,
        )
        .await
    }

    /// Unlinks a tag from assets; per id, whether it had been linked.
    pub async fn untag_assets(&self, tag_id: &str, asset_ids: &[String]) -> Result<Vec<bool>> {
        self.change_tag_links(
            "DELETE FROM tag_assets WHERE tag_id = $1 AND asset_id = $2",
            tag_id,
            asset_ids,
        )
        .await
    }

    async fn change_tag_links(
        &self,
        sql: &'static str,
        tag_id: &str,
        asset_ids: &[String],
    ) -> Result<Vec<bool>> {
        let mut tx = self.begin_write().await?;
        let mut out = Vec::new();
        for asset in asset_ids {
            let changed = sqlx::query(sql)
                .bind(tag_id)
                .bind(asset.as_str())
                .execute(tx.conn())
                .await?
                .rows_affected()
                > 0;
            if changed {
                crate::assets::lock_properties_in(tx.conn(), asset, &["tags"]).await?;
            }
            out.push(changed);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The tags linked to an asset, by path.
    pub async fn asset_tags(&self, asset_id: &str) -> Result<Vec<TagRecord>> {
        let sql = format!(
            "SELECT {} FROM tags t JOIN tag_assets ta ON ta.tag_id = t.id WHERE ta.asset_id = $1 ORDER BY t.value",
            TAG_COLUMNS
                .split(", ")
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(asset_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tag_from_row).collect()
    }
}
