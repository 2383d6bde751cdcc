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

/// A claimed run: holds this machine's lock on the connection until dropped.
pub struct RemoteRunClaim {
    _lock: std::fs::File,
}

/// This machine's name, to tell its runs from other machines' (which share
/// the database but not the lock files).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

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

    /// Marks a run as started, unless another one is live, and returns the
    /// claim (hold it for the run). A run of this machine that died is seen
    /// at once: its file lock in `<data>/locks/` is free. A run that stopped
    /// confirming itself for [`STALE_RUN_MS`] (another machine's) is taken
    /// over; `force` takes over from one that looks live anyway.
    pub async fn claim_remote_run(
        &self,
        caller: &Caller,
        service: &str,
        force: bool,
    ) -> Result<RemoteRunClaim> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        let busy = || {
            LibraryError::Conflict(format!(
                "a {service} sync for this account is already running (started elsewhere or in the server); \
                 wait for it, or pass --force if you are sure it is gone"
            ))
        };
        let Some(lock) = self.try_lock_file(&format!("remote-{service}-{}", caller.user_id()))?
        else {
            // A live process of this machine runs it; --force cannot help.
            return Err(busy());
        };
        let host = host_name();
        let holder = format!("{host}:{}", std::process::id());
        let here = format!("{host}:");
        let stale_before = keepsake_db::now_ms() - STALE_RUN_MS;
        if self
            .db()
            .claim_remote_run(
                caller.user_id(),
                service,
                &holder,
                stale_before,
                Some(&here),
                force,
            )
            .await?
        {
            return Ok(RemoteRunClaim { _lock: lock });
        }
        Err(busy())
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

    /// Asks the server's scheduler to run the caller's connection now;
    /// `Conflict` while a run is going on.
    pub async fn request_remote_run(&self, caller: &Caller, service: &str) -> Result<()> {
        caller.require(keepsake_core::Permission::ASSET_UPLOAD)?;
        if self
            .db()
            .remote_account(caller.user_id(), service)
            .await?
            .is_none()
        {
            return Err(LibraryError::NotFound(format!(
                "no {service} account is connected for this user; connect one first"
            )));
        }
        if self
            .db()
            .request_remote_run(caller.user_id(), service)
            .await?
        {
            Ok(())
        } else {
            Err(LibraryError::Conflict(
                "Cannot perform action while sync is in progress".into(),
            ))
        }
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

    /// Assets in the caller's archived albums from a source kind: a snapshot
    /// the source no longer governs (its items may be deleted there on
    /// purpose, by the archive itself).
    pub async fn archived_source_assets(&self, caller: &Caller, kind: &str) -> Result<Vec<String>> {
        caller.require(keepsake_core::Permission::ASSET_READ)?;
        Ok(self
            .db()
            .frozen_album_assets(caller.user_id(), kind)
            .await?)
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
