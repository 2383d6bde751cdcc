//! Accounts.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Db, Result, UserRecord, get_bool, get_opt_i64, now_ms};

const COLUMNS: &str = "id, email, name, password_hash, is_admin, should_change_password, storage_label, quota_size_bytes, avatar_color, created_at, updated_at, profile_changed_at, deleted_at";

fn from_row(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        is_admin: get_bool(row, "is_admin")?,
        should_change_password: get_bool(row, "should_change_password")?,
        storage_label: row.try_get("storage_label")?,
        quota_size_bytes: get_opt_i64(row, "quota_size_bytes")?,
        avatar_color: row.try_get("avatar_color")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        profile_changed_at: row.try_get("profile_changed_at")?,
        deleted_at: get_opt_i64(row, "deleted_at")?,
    })
}

/// Fields for a new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub should_change_password: bool,
    pub storage_label: Option<String>,
    pub quota_size_bytes: Option<i64>,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub is_admin: Option<bool>,
    pub should_change_password: Option<bool>,
    pub storage_label: Option<Option<String>>,
    pub quota_size_bytes: Option<Option<i64>>,
    pub avatar_color: Option<Option<String>>,
}

impl Db {
    /// Creates an account. With `only_if_no_admin`, the insert happens only when
    /// no admin exists yet, checked in the same transaction (admin sign-up).
    pub async fn insert_user(
        &self,
        new: &NewUser,
        only_if_no_admin: bool,
    ) -> Result<Option<UserRecord>> {
        let mut tx = self.begin_write().await?;
        if only_if_no_admin {
            let admins: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM users WHERE is_admin = TRUE AND deleted_at IS NULL",
            )
            .fetch_one(tx.conn())
            .await?
            .try_get("n")?;
            if admins > 0 {
                return Ok(None);
            }
        }
        let exists: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE lower(email) = lower($1)")
                .bind(&new.email)
                .fetch_one(tx.conn())
                .await?
                .try_get("n")?;
        if exists > 0 {
            return Err(crate::DbError::Conflict { what: "email" });
        }
        let id = crate::new_id();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, is_admin, should_change_password, storage_label, quota_size_bytes, created_at, updated_at, profile_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)",
        )
        .bind(&id)
        .bind(&new.email)
        .bind(&new.name)
        .bind(&new.password_hash)
        .bind(new.is_admin)
        .bind(new.should_change_password)
        .bind(new.storage_label.clone())
        .bind(new.quota_size_bytes)
        .bind(now)
        .execute(tx.conn())
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(&id)
        .fetch_one(tx.conn())
        .await?;
        let user = from_row(&row)?;
        tx.commit().await?;
        Ok(Some(user))
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Looks an account up by e-mail, ignoring case.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1)"
        )))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// All accounts, oldest first; deleted ones only when asked.
    pub async fn list_users(&self, include_deleted: bool) -> Result<Vec<UserRecord>> {
        let filter = if include_deleted {
            ""
        } else {
            "WHERE deleted_at IS NULL"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users {filter} ORDER BY created_at, id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn count_admins(&self) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM users WHERE is_admin = TRUE AND deleted_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    /// Applies `changes` and returns the updated account, or `None` when it does not exist.
    pub async fn update_user(&self, id: &str, changes: &UserChanges) -> Result<Option<UserRecord>> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        else {
            return Ok(None);
        };
        let mut user = from_row(&row)?;
        if let Some(email) = &changes.email {
            if !email.eq_ignore_ascii_case(&user.email) {
                let taken: i64 = sqlx::query(
                    "SELECT COUNT(*) AS n FROM users WHERE lower(email) = lower($1) AND id <> $2",
                )
                .bind(email)
                .bind(id)
                .fetch_one(tx.conn())
                .await?
                .try_get("n")?;
                if taken > 0 {
                    return Err(crate::DbError::Conflict { what: "email" });
                }
            }
            user.email = email.clone();
        }
        if let Some(v) = &changes.name {
            user.name = v.clone();
        }
        if let Some(v) = &changes.password_hash {
            user.password_hash = v.clone();
        }
        if let Some(v) = changes.is_admin {
            user.is_admin = v;
        }
        if let Some(v) = changes.should_change_password {
            user.should_change_password = v;
        }
        if let Some(v) = &changes.storage_label {
            user.storage_label = v.clone();
        }
        if let Some(v) = changes.quota_size_bytes {
            user.quota_size_bytes = v;
        }
        if let Some(v) = &changes.avatar_color {
            user.avatar_color = v.clone();
        }
        user.updated_at = now_ms();
        sqlx::query(
            "UPDATE users SET email = $2, name = $3, password_hash = $4, is_admin = $5, should_change_password = $6, \
             storage_label = $7, quota_size_bytes = $8, avatar_color = $9, updated_at = $10 WHERE id = $1",
        )
        .bind(id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(user.is_admin)
        .bind(user.should_change_password)
        .bind(user.storage_label.clone())
        .bind(user.quota_size_bytes)
        .bind(user.avatar_color.clone())
        .bind(user.updated_at)
        .execute(tx.conn())
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => crate::DbError::Conflict { what: "storage label" },
            _ => e.into(),
        })?;
        tx.commit().await?;
        Ok(Some(user))
    }

    /// Marks an account deleted (its rows stay until a hard delete) and ends its sessions and keys.
    pub async fn soft_delete_user(&self, id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE users SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .bind(now_ms())
            .execute(tx.conn())
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        sqlx::query("DELETE FROM api_keys WHERE user_id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Total bytes of originals an account uploaded or imported (trash included,
    /// as Immich counts): what the quota limits. External libraries' files are
    /// not counted, as in Immich.
    pub async fn usage_bytes(&self, user_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(file_size), 0) AS BIGINT) AS n FROM assets WHERE owner_id = $1 AND library_id IS NULL")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Bytes of originals an account owns, split into (photos, videos).
    pub async fn usage_by_type(&self, user_id: &str) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN asset_type = 'VIDEO' THEN 0 ELSE file_size END), 0) AS BIGINT) AS photos, \
             CAST(COALESCE(SUM(CASE WHEN asset_type = 'VIDEO' THEN file_size ELSE 0 END), 0) AS BIGINT) AS videos \
             FROM assets WHERE owner_id = $1",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("photos")?, row.try_get("videos")?))
    }

    /// Reads a key from `system_metadata`.
    pub async fn system_value(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM system_metadata WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Writes a key in `system_metadata`, replacing any old value.
    pub async fn set_system_value(&self, key: &str, value: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO system_metadata (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }
}
