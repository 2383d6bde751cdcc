//! Remote accounts: a person's connection to a service Keepsake syncs from on
//! its own (iCloud Photos), its schedule, and the state of the current run —
//! including a sign-in that waits for a code. Only the owner reads or changes
//! their connection; the code can come from any of their clients (CLI prompt,
//! API, web app) and reaches the waiting run, in whichever process it runs,
//! through the database.

pub use keepsake_db::remote::{MfaInput, RemoteAccount};

use crate::{Caller, Library, LibraryError, Result};

/// A run that has not confirmed itself for this long crashed: another may start.
pub const STALE_RUN_MS: i64 = 5 * 60 * 1000;

impl Library {
    /// The caller's connection to `service`, if they made one.
    pub async fn remote_account(
        &self,
        caller: &Caller,
        service: &str,
    ) -> Result<Option<RemoteAccount>> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        Ok(self.db().remote_account(caller.user_id(), service).await?)
    }

    /// Makes or updates the caller's connection: which account, their choices
    /// (JSON for the service's driver) and schedule.
    pub async fn connect_remote_account(
        &self,
        caller: &Caller,
        service: &str,
        account: &str,
        settings: &str,
        schedule: Option<&str>,
        next_run_at: Option<i64>,
    ) -> Result<()> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        Ok(self
            .db()
            .upsert_remote_account(
                caller.user_id(),
                service,
                account,
                settings,
                schedule,
                next_run_at,
            )
            .await?)
    }

    /// Marks a run as started, unless another one is live. `force` takes over
    /// from a run that looks live (another machine's, say) anyway.
    pub async fn claim_remote_run(
        &self,
        caller: &Caller,
        service: &str,
        force: bool,
    ) -> Result<()> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        let stale_before = keepsake_db::now_ms() - STALE_RUN_MS;
        if self
            .db()
            .claim_remote_run(caller.user_id(), service, stale_before, force)
            .await?
        {
            return Ok(());
        }
        Err(LibraryError::Conflict(format!(
            "a {service} sync for this account is already running (started elsewhere or in the server); \
             wait for it, or pass --force if you are sure it is gone"
        )))
    }

    /// Confirms the caller's run is alive and says what it is doing.
    pub async fn remote_running(
        &self,
        caller: &Caller,
        service: &str,
        message: Option<&str>,
    ) -> Result<()> {
        Ok(self
            .db()
            .set_remote_running(caller.user_id(), service, message)
            .await?)
    }

    /// The caller's run waits for a code until `deadline` (ms since the epoch).
    pub async fn remote_blocked(
        &self,
        caller: &Caller,
        service: &str,
        message: &str,
        phones: &str,
        deadline: i64,
    ) -> Result<()> {
        Ok(self
            .db()
            .set_remote_blocked(caller.user_id(), service, message, phones, deadline)
            .await?)
    }

    /// Hands in a code or a resend request; `Conflict` when no sign-in of the
    /// caller's waits for one.
    pub async fn hand_in_mfa(
        &self,
        caller: &Caller,
        service: &str,
        input: &MfaInput,
    ) -> Result<()> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        if self
            .db()
            .put_mfa_input(caller.user_id(), service, input)
            .await?
        {
            Ok(())
        } else {
            Err(LibraryError::Conflict(
                "MFA code not expected at this time.".into(),
            ))
        }
    }

    /// What was handed in for the caller's blocked sign-in since last asked.
    pub async fn take_mfa_input(&self, caller: &Caller, service: &str) -> Result<MfaInput> {
        Ok(self.db().take_mfa_input(caller.user_id(), service).await?)
    }

    /// Ends the caller's run with its report.
    pub async fn finish_remote_run(
        &self,
        caller: &Caller,
        service: &str,
        run_id: Option<&str>,
        error: Option<&str>,
        next_run_at: Option<i64>,
        trust_expires_at: Option<i64>,
    ) -> Result<()> {
        Ok(self
            .db()
            .finish_remote_run(
                caller.user_id(),
                service,
                run_id,
                error,
                next_run_at,
                trust_expires_at,
            )
            .await?)
    }

    /// Scheduled connections whose time has come (the server's scheduler).
    pub async fn due_remote_accounts(&self, service: &str) -> Result<Vec<RemoteAccount>> {
        let now = keepsake_db::now_ms();
        Ok(self
            .db()
            .due_remote_accounts(service, now, now - STALE_RUN_MS)
            .await?)
    }

    /// The account behind a remote connection, acting for it (the server's
    /// scheduler runs syncs as their owners).
    pub async fn remote_owner(&self, account: &RemoteAccount) -> Result<Caller> {
        let user = self
            .db()
            .user_by_id(&account.user_id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or_else(|| LibraryError::NotFound("the account's owner is gone".into()))?;
        Ok(Caller::local(user))
    }

    /// Keeps an imported source album as it is now: later runs neither add to
    /// it nor take from it. Its Keepsake album id, or `NotFound`.
    pub async fn freeze_source_album(
        &self,
        caller: &Caller,
        kind: &str,
        key: &str,
    ) -> Result<String> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        let owner = caller.user_id();
        match self.db().import_album(owner, kind, key).await? {
            Some(a) if a.present => {
                self.db().freeze_import_album(owner, kind, key).await?;
                Ok(a.album_id)
            }
            _ => Err(LibraryError::NotFound(format!(
                "that {kind} album was never imported here (or its album was deleted); sync first"
            ))),
        }
    }
}
