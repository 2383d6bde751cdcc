//! Accounts' credentials: passwords (argon2id), login sessions and API keys.
//!
//! Session tokens and API-key secrets are 32 random bytes, shown to the client
//! once and stored only as SHA-256, as Immich does; a stolen database does not
//! give away a way in.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use keepsake_core::Permission;
use keepsake_core::permission::is_subset;
use keepsake_db::auth::DeviceInfo;
use keepsake_db::users::{NewUser, UserChanges};
use keepsake_db::{ApiKeyRecord, SessionRecord, UserRecord};
use sha2::{Digest, Sha256};

use crate::events::EndedSessions;
use crate::{Caller, Credential, Library, LibraryError, Result};

/// A new login: the token to hand to the client, its session and user.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub session: SessionRecord,
    pub user: UserRecord,
}

/// A new API key: the secret (shown once) and its record.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub secret: String,
    pub key: ApiKeyRecord,
}

/// A random secret in Immich's shape: base64 of 32 bytes, non-word characters removed.
/// 43 characters from [A-Za-z0-9]: about 256 bits, URL- and header-safe.
/// (Filtering base64 used to give a varying length, sometimes under 40.)
pub(crate) fn random_secret() -> String {
    use rand::Rng;
    rand::rngs::OsRng
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(43)
        .map(char::from)
        .collect()
}

pub(crate) fn sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| LibraryError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| LibraryError::Internal(e.to_string()))?
}

/// Checks a password in constant time against `hash`; an unknown account is
/// checked against a dummy hash so that timing does not reveal which e-mails exist.
async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        let salt = SaltString::encode_b64(b"keepsake-dummy-salt").expect("static salt");
        Argon2::default()
            .hash_password(b"not a password", &salt)
            .expect("hash")
            .to_string()
    });
    let hash = hash.unwrap_or(dummy).to_string();
    let known = hash != *dummy;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
}

pub(crate) fn validate_password(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(LibraryError::Invalid("password should not be empty".into()));
    }
    Ok(())
}

pub(crate) fn validate_email(email: &str) -> Result<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email.to_string())
    } else {
        Err(LibraryError::Invalid("email must be an email".into()))
    }
}

impl Library {
    /// Creates the first admin account; refused once any admin exists.
    pub async fn admin_sign_up(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<UserRecord> {
        let email = validate_email(email)?;
        validate_password(password)?;
        let new = NewUser {
            email,
            name: name.trim().to_string(),
            password_hash: hash_password(password).await?,
            is_admin: true,
            should_change_password: false,
            storage_label: Some("admin".into()),
            quota_size_bytes: None,
        };
        match self.db().insert_user(&new, true).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(LibraryError::Invalid(
                "The server already has an admin".into(),
            )),
            Err(e) if e.is_unique_violation() => Err(LibraryError::Invalid(
                "The server already has an admin".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether an admin exists yet (the web app's first-run page asks).
    pub async fn is_initialized(&self) -> Result<bool> {
        Ok(self.db().count_admins().await? > 0)
    }

    /// Password login; the same error for an unknown e-mail and a wrong password.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        device: &DeviceInfo,
    ) -> Result<LoginOutcome> {
        let user = self
            .db()
            .user_by_email(email.trim())
            .await?
            .filter(|u| u.deleted_at.is_none());
        let ok = verify_password(password, user.as_ref().map(|u| u.password_hash.as_str())).await;
        let (true, Some(user)) = (ok, user) else {
            return Err(LibraryError::Unauthorized(
                "Incorrect email or password".into(),
            ));
        };
        let token = random_secret();
        let session = self
            .db()
            .insert_session(&user.id, &sha256(&token), device)
            .await?;
        Ok(LoginOutcome {
            token,
            session,
            user,
        })
    }

    /// Ends the caller's session (a no-op for API keys, which stay valid).
    pub async fn logout(&self, caller: &Caller) -> Result<()> {
        if let Credential::Session { session_id } = &caller.credential {
            self.db()
                .delete_session(caller.user_id(), session_id)
                .await?;
            self.emit_sessions_ended(caller.user_id(), EndedSessions::One(session_id.clone()));
        }
        Ok(())
    }

    /// The caller behind a session token, or `Invalid user token`.
    pub async fn authenticate_session(&self, token: &str) -> Result<Caller> {
        self.authenticate_session_from(token, None).await
    }

    /// [`Library::authenticate_session`] for a request that describes its
    /// device. As Immich does, the session's device and last-seen time are
    /// refreshed when the app's version changed or an hour has passed, so
    /// the session list stays current without a write on every request.
    pub async fn authenticate_session_from(
        &self,
        token: &str,
        device: Option<&DeviceInfo>,
    ) -> Result<Caller> {
        match self.db().session_by_token(&sha256(token)).await? {
            Some((session, user)) => {
                if let Some(device) = device {
                    const HOUR_MS: i64 = 3_600_000;
                    let stale = keepsake_db::now_ms() - session.updated_at > HOUR_MS;
                    let new_version =
                        !device.app_version.is_empty() && device.app_version != session.app_version;
                    if stale || new_version {
                        self.db()
                            .refresh_session_device(&session.id, device)
                            .await?;
                    }
                }
                Ok(Caller {
                    user,
                    credential: Credential::Session {
                        session_id: session.id,
                    },
                })
            }
            None => Err(LibraryError::Unauthorized("Invalid user token".into())),
        }
    }

    /// The caller behind an API-key secret, or `Invalid API key`.
    pub async fn authenticate_api_key(&self, secret: &str) -> Result<Caller> {
        match self.db().api_key_by_hash(&sha256(secret)).await? {
            Some((key, user)) => {
                let permissions = key
                    .permissions
                    .iter()
                    .filter_map(|p| Permission::parse(p))
                    .collect();
                Ok(Caller {
                    user,
                    credential: Credential::ApiKey {
                        key_id: key.id,
                        permissions,
                    },
                })
            }
            None => Err(LibraryError::Unauthorized("Invalid API key".into())),
        }
    }

    /// Changes the caller's password after checking the current one; optionally
    /// ends every other session.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        invalidate_sessions: bool,
    ) -> Result<UserRecord> {
        caller.require(Permission::AUTH_CHANGE_PASSWORD)?;
        if new.chars().count() < 8 {
            return Err(LibraryError::Invalid(
                "newPassword must be at least 8 characters".into(),
            ));
        }
        if !verify_password(current, Some(&caller.user.password_hash)).await {
            return Err(LibraryError::Invalid("Wrong password".into()));
        }
        let changes = UserChanges {
            password_hash: Some(hash_password(new).await?),
            should_change_password: Some(false),
            ..Default::default()
        };
        let user = self
            .db()
            .update_user(caller.user_id(), &changes)
            .await?
            .ok_or_else(|| LibraryError::NotFound("User not found".into()))?;
        if invalidate_sessions {
            let keep = match &caller.credential {
                Credential::Session { session_id } => Some(session_id.as_str()),
                _ => None,
            };
            self.db()
                .delete_other_sessions(caller.user_id(), keep)
                .await?;
            self.emit_sessions_ended(
                caller.user_id(),
                EndedSessions::AllBut(keep.map(str::to_string)),
            );
        }
        Ok(user)
    }

    /// Creates an API key for the caller; it can never hold more than the caller's own credential.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        name: Option<&str>,
        permissions: &[String],
    ) -> Result<NewApiKey> {
        caller.require(Permission::API_KEY_CREATE)?;
        let requested = parse_permissions(permissions)?;
        if let Credential::ApiKey {
            permissions: held, ..
        } = &caller.credential
            && !is_subset(&requested, held)
        {
            return Err(LibraryError::Invalid(
                "Cannot grant permissions you do not have".into(),
            ));
        }
        let secret = random_secret();
        let names: Vec<String> = requested.iter().map(|p| p.as_str().to_string()).collect();
        let key = self
            .db()
            .insert_api_key(
                caller.user_id(),
                name.unwrap_or("API Key"),
                &sha256(&secret),
                &names,
            )
            .await?;
        Ok(NewApiKey { secret, key })
    }

    pub async fn list_api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeyRecord>> {
        caller.require(Permission::API_KEY_READ)?;
        Ok(self.db().list_api_keys(caller.user_id()).await?)
    }

    pub async fn get_api_key(&self, caller: &Caller, id: &str) -> Result<ApiKeyRecord> {
        caller.require(Permission::API_KEY_READ)?;
        self.db()
            .api_key(caller.user_id(), id)
            .await?
            .ok_or_else(|| LibraryError::NotFound("API key not found".into()))
    }

    /// The key the caller is using (`GET /api-keys/me`); only for API-key callers.
    pub async fn current_api_key(&self, caller: &Caller) -> Result<ApiKeyRecord> {
        match &caller.credential {
            Credential::ApiKey { key_id, .. } => self
                .db()
                .api_key(caller.user_id(), key_id)
                .await?
                .ok_or_else(|| LibraryError::NotFound("API key not found".into())),
            _ => Err(LibraryError::Forbidden(
                "Not authenticated with an API key".into(),
            )),
        }
    }

    pub async fn update_api_key(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<&str>,
        permissions: Option<&[String]>,
    ) -> Result<ApiKeyRecord> {
        caller.require(Permission::API_KEY_UPDATE)?;
        let names = match permissions {
            Some(p) => {
                let requested = parse_permissions(p)?;
                if let Credential::ApiKey {
                    permissions: held, ..
                } = &caller.credential
                    && !is_subset(&requested, held)
                {
                    return Err(LibraryError::Invalid(
                        "Cannot grant permissions you do not have".into(),
                    ));
                }
                Some(
                    requested
                        .iter()
                        .map(|p| p.as_str().to_string())
                        .collect::<Vec<_>>(),
                )
            }
            None => None,
        };
        self.db()
            .update_api_key(caller.user_id(), id, name, names.as_deref())
            .await?
            .ok_or_else(|| LibraryError::NotFound("API key not found".into()))
    }

    pub async fn delete_api_key(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::API_KEY_DELETE)?;
        if self.db().delete_api_key(caller.user_id(), id).await? {
            Ok(())
        } else {
            Err(LibraryError::NotFound("API key not found".into()))
        }
    }

    /// The caller's sessions, and which one is the caller's own.
    pub async fn list_sessions(
        &self,
        caller: &Caller,
    ) -> Result<(Vec<SessionRecord>, Option<String>)> {
        caller.require(Permission::SESSION_READ)?;
        let current = match &caller.credential {
            Credential::Session { session_id } => Some(session_id.clone()),
            _ => None,
        };
        Ok((self.db().list_sessions(caller.user_id()).await?, current))
    }

    pub async fn delete_session(&self, caller: &Caller, id: &str) -> Result<()> {
        caller.require(Permission::SESSION_DELETE)?;
        if self.db().delete_session(caller.user_id(), id).await? {
            self.emit_sessions_ended(caller.user_id(), EndedSessions::One(id.to_string()));
            Ok(())
        } else {
            Err(LibraryError::NotFound("Session not found".into()))
        }
    }

    /// Ends every session of the caller but the current one.
    pub async fn delete_other_sessions(&self, caller: &Caller) -> Result<()> {
        caller.require(Permission::SESSION_DELETE)?;
        let keep = match &caller.credential {
            Credential::Session { session_id } => Some(session_id.as_str()),
            _ => None,
        };
        self.db()
            .delete_other_sessions(caller.user_id(), keep)
            .await?;
        self.emit_sessions_ended(
            caller.user_id(),
            EndedSessions::AllBut(keep.map(str::to_string)),
        );
        Ok(())
    }

    /// Creates an API key for a user from the host's command line (full rights unless narrowed).
    pub async fn create_api_key_locally(
        &self,
        email: &str,
        name: &str,
        permissions: &[String],
    ) -> Result<NewApiKey> {
        let caller = self.local_caller(email).await?;
        let permissions = if permissions.is_empty() {
            vec!["all".to_string()]
        } else {
            permissions.to_vec()
        };
        self.create_api_key(&caller, Some(name), &permissions).await
    }

    /// The account `email` acting on this machine (CLI commands): every
    /// permission, as the person who runs commands on the server has.
    pub async fn local_caller(&self, email: &str) -> Result<Caller> {
        let user = self
            .db()
            .user_by_email(email)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or_else(|| {
                LibraryError::NotFound(format!(
                    "no user with e-mail {email}; create one with `keepsake user create`"
                ))
            })?;
        Ok(Caller::local(user))
    }
}

fn parse_permissions(names: &[String]) -> Result<Vec<Permission>> {
    if names.is_empty() {
        return Err(LibraryError::Invalid(
            "permissions must contain at least 1 elements".into(),
        ));
    }
    names
        .iter()
        .map(|n| {
            Permission::parse(n)
                .ok_or_else(|| LibraryError::Invalid(format!("Invalid permission: {n}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_long_random_and_url_safe() {
        let a = super::random_secret();
        let b = super::random_secret();
        assert_ne!(a, b);
        assert!(
            a.len() == 43 && a.chars().all(|c| c.is_ascii_alphanumeric()),
            "{a}"
        );
        assert_eq!(super::sha256("x").len(), 32);
    }

    #[tokio::test]
    async fn passwords_verify_and_unknown_accounts_never_do() {
        let hash = super::hash_password("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(super::verify_password("correct horse", Some(&hash)).await);
        assert!(!super::verify_password("wrong", Some(&hash)).await);
        assert!(!super::verify_password("not a password", None).await);
    }

    #[test]
    fn emails_need_one_at_and_both_halves() {
        assert!(super::validate_email(" a@b ").is_ok());
        for bad in ["", "a", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(super::validate_email(bad).is_err(), "{bad}");
        }
    }
}
