//! Remote accounts: services a person connects once and Keepsake then syncs on
//! its own (iCloud Photos). A row holds the person's choices and schedule and
//! the state of the current run. A sign-in that needs a code blocks the run;
//! the code arrives through the API, possibly in another process than the one
//! waiting, so it travels through this row: the API puts it, the run takes it.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Db, Result, get_opt_i64, now_ms};

/// One person's connection to one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAccount {
    pub user_id: String,
    pub service: String,
    /// The account at the service (an Apple ID).
    pub account: String,
    /// The person's choices, as JSON the service's driver understands.
    pub settings: String,
    /// A cron schedule, or `None` when syncs run only on demand.
    pub schedule: Option<String>,
    pub next_run_at: Option<i64>,
    /// `ready`, `running` or `blocked` (waiting for a code).
    pub state: String,
    pub state_message: Option<String>,
    pub state_at: i64,
    /// While blocked: the numbers a code can be sent to (JSON).
    pub mfa_phones: Option<String>,
    pub mfa_deadline: Option<i64>,
    pub last_run_id: Option<String>,
    pub last_error: Option<String>,
    pub last_finished_at: Option<i64>,
    pub trust_expires_at: Option<i64>,
}

/// What the person handed in for a blocked sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaInput {
    pub code: Option<String>,
    /// How to send a new code (`device`, `sms:<id>`, `voice:<id>`).
    pub resend: Option<String>,
}

const COLUMNS: &str = "user_id, service, account, settings, schedule, next_run_at, state, state_message, state_at, \
     mfa_phones, mfa_deadline, last_run_id, last_error, last_finished_at, trust_expires_at";

fn account_of(row: &AnyRow) -> Result<RemoteAccount> {
    Ok(RemoteAccount {
        user_id: row.try_get("user_id")?,
        service: row.try_get("service")?,
        account: row.try_get("account")?,
        settings: row.try_get("settings")?,
        schedule: row.try_get("schedule")?,
        next_run_at: get_opt_i64(row, "next_run_at")?,
        state: row.try_get("state")?,
        state_message: row.try_get("state_message")?,
        state_at: row.try_get("state_at")?,
        mfa_phones: row.try_get("mfa_phones")?,
        mfa_deadline: get_opt_i64(row, "mfa_deadline")?,
        last_run_id: row.try_get("last_run_id")?,
        last_error: row.try_get("last_error")?,
        last_finished_at: get_opt_i64(row, "last_finished_at")?,
        trust_expires_at: get_opt_i64(row, "trust_expires_at")?,
    })
}

impl Db {
    pub async fn remote_account(
        &self,
        user_id: &str,
        service: &str,
    ) -> Result<Option<RemoteAccount>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM remote_accounts WHERE user_id = $1 AND service = $2"
        )))
        .bind(user_id)
        .bind(service)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(account_of).transpose()
    }

    /// Creates the connection, or updates its account, choices and schedule
    /// (leaving the state of a run in progress alone).
    pub async fn upsert_remote_account(
        &self,
        user_id: &str,
        service: &str,
        account: &str,
        settings: &str,
        schedule: Option<&str>,
        next_run_at: Option<i64>,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO remote_accounts (user_id, service, account, settings, schedule, next_run_at, state, state_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'ready', $7, $7, $7) \
             ON CONFLICT (user_id, service) DO UPDATE SET account = excluded.account, settings = excluded.settings, \
             schedule = excluded.schedule, next_run_at = excluded.next_run_at, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(service)
        .bind(account)
        .bind(settings)
        .bind(schedule)
        .bind(next_run_at)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims the account for a run by `holder` (`<host>:<pid>`): `true` when
    /// it was not running, or its run stopped confirming itself before
    /// `stale_before` (a crashed run), or was held by a process of
    /// `dead_host_prefix` (`<host>:`, given when the caller knows every run of
    /// its host is gone), or `force` is set.
    pub async fn claim_remote_run(
        &self,
        user_id: &str,
        service: &str,
        holder: &str,
        stale_before: i64,
        dead_host_prefix: Option<&str>,
        force: bool,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE remote_accounts SET state = 'running', state_message = NULL, state_at = $3, holder = $6, \
             mfa_phones = NULL, mfa_code = NULL, mfa_resend = NULL, mfa_deadline = NULL, updated_at = $3 \
             WHERE user_id = $1 AND service = $2 AND (state = 'ready' OR state_at < $4 OR $5 = 1 \
             OR (holder IS NOT NULL AND $7 <> '' AND substr(holder, 1, length($7)) = $7))",
        )
        .bind(user_id)
        .bind(service)
        .bind(now)
        .bind(stale_before)
        .bind(i64::from(force))
        .bind(holder)
        .bind(dead_host_prefix.unwrap_or(""))
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Confirms a run is alive and says what it is doing.
    pub async fn set_remote_running(
        &self,
        user_id: &str,
        service: &str,
        message: Option<&str>,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE remote_accounts SET state = 'running', state_message = $3, state_at = $4, \
             mfa_phones = NULL, mfa_code = NULL, mfa_resend = NULL, mfa_deadline = NULL, updated_at = $4 \
             WHERE user_id = $1 AND service = $2",
        )
        .bind(user_id)
        .bind(service)
        .bind(message)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The run waits for a code until `deadline`; earlier input is dropped.
    pub async fn set_remote_blocked(
        &self,
        user_id: &str,
        service: &str,
        message: &str,
        phones: &str,
        deadline: i64,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE remote_accounts SET state = 'blocked', state_message = $3, state_at = $4, mfa_phones = $5, \
             mfa_code = NULL, mfa_resend = NULL, mfa_deadline = $6, updated_at = $4 \
             WHERE user_id = $1 AND service = $2",
        )
        .bind(user_id)
        .bind(service)
        .bind(message)
        .bind(now)
        .bind(phones)
        .bind(deadline)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Hands in a code (or a resend request) for a blocked sign-in; `false`
    /// when no sign-in is waiting for one.
    pub async fn put_mfa_input(
        &self,
        user_id: &str,
        service: &str,
        input: &MfaInput,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE remote_accounts SET mfa_code = COALESCE($3, mfa_code), mfa_resend = COALESCE($4, mfa_resend), updated_at = $5 \
             WHERE user_id = $1 AND service = $2 AND state = 'blocked'",
        )
        .bind(user_id)
        .bind(service)
        .bind(input.code.as_deref())
        .bind(input.resend.as_deref())
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Takes what was handed in (once) and keeps the blocked run confirmed alive.
    pub async fn take_mfa_input(&self, user_id: &str, service: &str) -> Result<MfaInput> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT mfa_code, mfa_resend FROM remote_accounts WHERE user_id = $1 AND service = $2",
        )
        .bind(user_id)
        .bind(service)
        .fetch_optional(tx.conn())
        .await?;
        let input = match row {
            Some(r) => MfaInput {
                code: r.try_get("mfa_code")?,
                resend: r.try_get("mfa_resend")?,
            },
            None => MfaInput::default(),
        };
        sqlx::query(
            "UPDATE remote_accounts SET mfa_code = NULL, mfa_resend = NULL, state_at = $3 \
             WHERE user_id = $1 AND service = $2",
        )
        .bind(user_id)
        .bind(service)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(input)
    }

    /// Ends a run: back to `ready`, with its report and the next scheduled time.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_remote_run(
        &self,
        user_id: &str,
        service: &str,
        run_id: Option<&str>,
        error: Option<&str>,
        next_run_at: Option<i64>,
        trust_expires_at: Option<i64>,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE remote_accounts SET state = 'ready', state_message = NULL, state_at = $3, mfa_phones = NULL, \
             mfa_code = NULL, mfa_resend = NULL, mfa_deadline = NULL, last_run_id = COALESCE($4, last_run_id), \
             last_error = $5, last_finished_at = $3, next_run_at = $6, \
             trust_expires_at = COALESCE($7, trust_expires_at), updated_at = $3 \
             WHERE user_id = $1 AND service = $2",
        )
        .bind(user_id)
        .bind(service)
        .bind(now)
        .bind(run_id)
        .bind(error)
        .bind(next_run_at)
        .bind(trust_expires_at)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Connections of a service whose next run is due (by their schedule, or
    /// asked for) and that are not running (or whose run stopped confirming
    /// itself before `stale_before`).
    pub async fn due_remote_accounts(
        &self,
        service: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<Vec<RemoteAccount>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM remote_accounts WHERE service = $1 \
             AND next_run_at IS NOT NULL AND next_run_at <= $2 AND (state = 'ready' OR state_at < $3) \
             ORDER BY next_run_at"
        )))
        .bind(service)
        .bind(now)
        .bind(stale_before)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(account_of).collect()
    }

    /// Asks for a run as soon as possible; `false` when one is running.
    pub async fn request_remote_run(&self, user_id: &str, service: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE remote_accounts SET next_run_at = $3, updated_at = $3 \
             WHERE user_id = $1 AND service = $2 AND state = 'ready'",
        )
        .bind(user_id)
        .bind(service)
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Assets in the owner's archived (frozen) albums from a source kind.
    pub async fn frozen_album_assets(
        &self,
        owner_id: &str,
        source_kind: &str,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT aa.asset_id FROM import_albums i JOIN album_assets aa ON aa.album_id = i.album_id \
             WHERE i.owner_id = $1 AND i.source_kind = $2 AND i.frozen_at IS NOT NULL",
        )
        .bind(owner_id)
        .bind(source_kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get("asset_id").map_err(Into::into))
            .collect()
    }

    /// Keeps a source album as it is: later imports neither add to it nor
    /// take from it. `false` when no such source album was imported.
    pub async fn freeze_import_album(
        &self,
        owner_id: &str,
        source_kind: &str,
        key: &str,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE import_albums SET frozen_at = COALESCE(frozen_at, $4) \
             WHERE owner_id = $1 AND source_kind = $2 AND source_key = $3",
        )
        .bind(owner_id)
        .bind(source_kind)
        .bind(key)
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }
}
