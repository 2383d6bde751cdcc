//! Sessions and API keys. Both are looked up by the SHA-256 of the secret the
//! client holds; the secret itself is never stored.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ApiKeyRecord, Db, Result, SessionRecord, UserRecord, get_bool, get_opt_i64, now_ms};

const SESSION_COLUMNS: &str = "s.id, s.user_id, s.created_at, s.updated_at, s.expires_at, s.device_type, s.device_os, s.app_version, s.is_pending_sync_reset";
const KEY_COLUMNS: &str = "k.id, k.user_id, k.name, k.permissions, k.created_at, k.updated_at";

fn session_from_row(row: &AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        expires_at: get_opt_i64(row, "expires_at")?,
        device_type: row.try_get("device_type")?,
        device_os: row.try_get("device_os")?,
        app_version: row.try_get("app_version")?,
        is_pending_sync_reset: get_bool(row, "is_pending_sync_reset")?,
    })
}

fn key_from_row(row: &AnyRow) -> Result<ApiKeyRecord> {
    let permissions: String = row.try_get("permissions")?;
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        permissions: permissions
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Device details a login records.
#[derive(Debug, Clone, Default)]
pub struct DeviceInfo {
    pub device_type: String,
    pub device_os: String,
    pub app_version: String,
}

impl Db {
    pub async fn insert_session(
        &self,
        user_id: &str,
        token_hash: &[u8],
        device: &DeviceInfo,
    ) -> Result<SessionRecord> {
        let id = crate::new_id();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, updated_at, device_type, device_os, app_version) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(token_hash.to_vec())
        .bind(user_id)
        .bind(now)
        .bind(&device.device_type)
        .bind(&device.device_os)
        .bind(&device.app_version)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(SessionRecord {
            id,
            user_id: user_id.to_string(),
            created_at: now,
            updated_at: now,
            expires_at: None,
            device_type: device.device_type.clone(),
            device_os: device.device_os.clone(),
            app_version: device.app_version.clone(),
            is_pending_sync_reset: false,
        })
    }

    /// The live session with this token hash and its (not deleted) user.
    pub async fn session_by_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(SessionRecord, UserRecord)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND u.deleted_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > $2)"
        )))
        .bind(token_hash.to_vec())
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = session_from_row(&row)?;
        let Some(user) = self.user_by_id(&session.user_id).await? else {
            return Ok(None);
        };
        Ok(Some((session, user)))
    }

    /// Records what a session's device now says about itself and when it was
    /// last seen. Empty values keep what was known (a background uploader
    /// may not describe the device at all).
    pub async fn refresh_session_device(
        &self,
        session_id: &str,
        device: &DeviceInfo,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE sessions SET updated_at = $2, \
             device_type = CASE WHEN $3 = '' THEN device_type ELSE $3 END, \
             device_os = CASE WHEN $4 = '' THEN device_os ELSE $4 END, \
             app_version = CASE WHEN $5 = '' THEN app_version ELSE $5 END \
             WHERE id = $1",
        )
        .bind(session_id)
        .bind(now_ms())
        .bind(&device.device_type)
        .bind(&device.device_os)
        .bind(&device.app_version)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.user_id = $1 ORDER BY s.updated_at DESC, s.id"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Deletes one session of a user; false when there was none.
    pub async fn delete_session(&self, user_id: &str, session_id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(session_id)
            .bind(user_id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Deletes every session of a user except `keep`.
    pub async fn delete_other_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    pub async fn insert_api_key(
        &self,
        user_id: &str,
        name: &str,
        key_hash: &[u8],
        permissions: &[String],
    ) -> Result<ApiKeyRecord> {
        let id = crate::new_id();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, key_hash, user_id, name, permissions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(key_hash.to_vec())
        .bind(user_id)
        .bind(name)
        .bind(permissions.join(","))
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(ApiKeyRecord {
            id,
            user_id: user_id.to_string(),
            name: name.to_string(),
            permissions: permissions.to_vec(),
            created_at: now,
            updated_at: now,
        })
    }

    /// The key with this secret hash and its (not deleted) user.
    pub async fn api_key_by_hash(
        &self,
        key_hash: &[u8],
    ) -> Result<Option<(ApiKeyRecord, UserRecord)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1 AND u.deleted_at IS NULL"
        )))
        .bind(key_hash.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let key = key_from_row(&row)?;
        let Some(user) = self.user_by_id(&key.user_id).await? else {
            return Ok(None);
        };
        Ok(Some((key, user)))
    }

    pub async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.user_id = $1 ORDER BY k.created_at, k.id"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    pub async fn api_key(&self, user_id: &str, id: &str) -> Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.user_id = $1 AND k.id = $2"
        )))
        .bind(user_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    pub async fn update_api_key(
        &self,
        user_id: &str,
        id: &str,
        name: Option<&str>,
        permissions: Option<&[String]>,
    ) -> Result<Option<ApiKeyRecord>> {
        let Some(mut key) = self.api_key(user_id, id).await? else {
            return Ok(None);
        };
        if let Some(name) = name {
            key.name = name.to_string();
        }
        if let Some(p) = permissions {
            key.permissions = p.to_vec();
        }
        key.updated_at = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE api_keys SET name = $3, permissions = $4, updated_at = $5 WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .bind(&key.name)
            .bind(key.permissions.join(","))
            .bind(key.updated_at)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(Some(key))
    }

    pub async fn delete_api_key(&self, user_id: &str, id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM api_keys WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }
}
