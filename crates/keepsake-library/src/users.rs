//! Accounts: the admin's user management, a user's own profile, and the
//! command line's `user create`.

use keepsake_core::Permission;
use keepsake_db::UserRecord;
use keepsake_db::users::{NewUser, UserChanges};

use crate::auth::{hash_password, validate_email, validate_password};
use crate::{Caller, Library, LibraryError, Result};

/// An account to create.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub is_admin: bool,
    pub should_change_password: bool,
    pub storage_label: Option<String>,
    pub quota_size_bytes: Option<i64>,
}

/// Storage labels name the user's folder under `library/`: keep them to safe characters.
fn validate_storage_label(label: &Option<String>) -> Result<Option<String>> {
    match label.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(l)
            if l.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.')
                && l != "."
                && l != ".." =>
        {
            Ok(Some(l.to_string()))
        }
        Some(l) => Err(LibraryError::Invalid(format!(
            "storage label {l:?} may only hold letters, digits, '-', '_' and '.'"
        ))),
    }
}

impl Library {
    /// Creates an account (admin only, or from the host's command line).
    pub async fn create_user(
        &self,
        caller: Option<&Caller>,
        input: &NewUserInput,
    ) -> Result<UserRecord> {
        if let Some(caller) = caller {
            caller.require(Permission::ADMIN_USER_CREATE)?;
            caller.require_admin()?;
        }
        let email = validate_email(&input.email)?;
        validate_password(&input.password)?;
        if input.quota_size_bytes.is_some_and(|q| q < 0) {
            return Err(LibraryError::Invalid(
                "quotaSizeInBytes must not be less than 0".into(),
            ));
        }
        let mut storage_label = validate_storage_label(&input.storage_label)?;
        let first_admin = input.is_admin && !self.is_initialized().await?;
        if first_admin && storage_label.is_none() {
            storage_label = Some("admin".into());
        }
        let name = if input.name.trim().is_empty() {
            email.split('@').next().unwrap_or("").to_string()
        } else {
            input.name.trim().to_string()
        };
        let new = NewUser {
            email,
            name,
            password_hash: hash_password(&input.password).await?,
            is_admin: input.is_admin,
            should_change_password: input.should_change_password,
            storage_label,
            quota_size_bytes: input.quota_size_bytes,
        };
        match self.db().insert_user(&new, false).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(LibraryError::Internal(
                "user insert returned nothing".into(),
            )),
            Err(e) if e.is_unique_violation() => Err(LibraryError::Invalid("User exists".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// The caller's own account.
    pub async fn me(&self, caller: &Caller) -> Result<UserRecord> {
        caller.require(Permission::USER_READ)?;
        Ok(caller.user.clone())
    }

    /// Updates the caller's name, e-mail or password.
    pub async fn update_me(
        &self,
        caller: &Caller,
        name: Option<&str>,
        email: Option<&str>,
        password: Option<&str>,
    ) -> Result<UserRecord> {
        caller.require(Permission::USER_UPDATE)?;
        let mut changes = UserChanges {
            name: name.map(|n| n.trim().to_string()),
            ..Default::default()
        };
        if let Some(e) = email {
            changes.email = Some(validate_email(e)?);
        }
        if let Some(p) = password {
            validate_password(p)?;
            changes.password_hash = Some(hash_password(p).await?);
        }
        self.apply_user_changes(caller.user_id(), &changes).await
    }

    /// Every active account, as any user may list them (to share albums with).
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<UserRecord>> {
        caller.require(Permission::USER_READ)?;
        Ok(self.db().list_users(false).await?)
    }

    /// One active account, as any user may see it.
    pub async fn get_user(&self, caller: &Caller, id: &str) -> Result<UserRecord> {
        caller.require(Permission::USER_READ)?;
        self.db()
            .user_by_id(id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or_else(|| LibraryError::NotFound("User not found".into()))
    }

    /// Admin: every account, deleted ones too when asked.
    pub async fn admin_list_users(
        &self,
        caller: &Caller,
        with_deleted: bool,
    ) -> Result<Vec<UserRecord>> {
        caller.require(Permission::ADMIN_USER_READ)?;
        caller.require_admin()?;
        Ok(self.db().list_users(with_deleted).await?)
    }

    pub async fn admin_get_user(&self, caller: &Caller, id: &str) -> Result<UserRecord> {
        caller.require(Permission::ADMIN_USER_READ)?;
        caller.require_admin()?;
        self.db()
            .user_by_id(id)
            .await?
            .ok_or_else(|| LibraryError::NotFound("User not found".into()))
    }

    /// Admin: changes any account field.
    pub async fn admin_update_user(
        &self,
        caller: &Caller,
        id: &str,
        input: &AdminUserChanges,
    ) -> Result<UserRecord> {
        caller.require(Permission::ADMIN_USER_UPDATE)?;
        caller.require_admin()?;
        if input.is_admin == Some(false) && id == caller.user_id() {
            return Err(LibraryError::Invalid(
                "Admin cannot remove their own admin status".into(),
            ));
        }
        let mut changes = UserChanges {
            name: input.name.clone(),
            is_admin: input.is_admin,
            should_change_password: input.should_change_password,
            quota_size_bytes: input.quota_size_bytes,
            ..Default::default()
        };
        if let Some(e) = &input.email {
            changes.email = Some(validate_email(e)?);
        }
        if let Some(p) = &input.password {
            validate_password(p)?;
            changes.password_hash = Some(hash_password(p).await?);
        }
        if let Some(label) = &input.storage_label {
            changes.storage_label = Some(validate_storage_label(label)?);
        }
        self.apply_user_changes(id, &changes).await
    }

    /// Admin: deletes an account (not one's own). Its sessions and keys end at once.
    pub async fn admin_delete_user(&self, caller: &Caller, id: &str) -> Result<UserRecord> {
        caller.require(Permission::ADMIN_USER_DELETE)?;
        caller.require_admin()?;
        if id == caller.user_id() {
            return Err(LibraryError::Invalid(
                "Cannot delete your own account".into(),
            ));
        }
        if !self.db().soft_delete_user(id).await? {
            return Err(LibraryError::NotFound("User not found".into()));
        }
        self.emit_sessions_ended(id, crate::events::EndedSessions::UserDeleted);
        self.db()
            .user_by_id(id)
            .await?
            .ok_or_else(|| LibraryError::NotFound("User not found".into()))
    }

    async fn apply_user_changes(&self, id: &str, changes: &UserChanges) -> Result<UserRecord> {
        match self.db().update_user(id, changes).await {
            Ok(Some(u)) => Ok(u),
            Ok(None) => Err(LibraryError::NotFound("User not found".into())),
            Err(e) if e.is_unique_violation() => Err(LibraryError::Invalid(format!("{e}"))),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes the user's originals take.
    pub async fn usage_bytes(&self, user_id: &str) -> Result<i64> {
        Ok(self.db().usage_bytes(user_id).await?)
    }
}

/// Admin changes to an account; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AdminUserChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub is_admin: Option<bool>,
    pub should_change_password: Option<bool>,
    pub storage_label: Option<Option<String>>,
    pub quota_size_bytes: Option<Option<i64>>,
}
