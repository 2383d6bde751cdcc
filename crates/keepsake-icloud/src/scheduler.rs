//! The server's iCloud scheduler: runs each connected account's sync when its
//! schedule (or a request through the API) says so, one at a time, as its
//! owner, with codes only through the API. A run that needs a code and gets
//! none in time fails cleanly and the schedule goes on.

use std::sync::Arc;
use std::time::Duration;

use keepsake_import::icloud::IcloudConfig;
use keepsake_library::Library;
use tokio::sync::Notify;

use crate::run::{CodeInput, SERVICE};
use crate::sync::{SyncRequest, sync};

/// How often the scheduler looks for due runs when nobody wakes it.
const TICK: Duration = Duration::from_secs(30);

/// A running scheduler; wake it to look for due runs at once.
#[derive(Clone)]
pub struct Scheduler {
    wake: Arc<Notify>,
}

impl Scheduler {
    /// Starts the scheduler on the current runtime.
    pub fn start(library: Library, config: IcloudConfig) -> Scheduler {
        let wake = Arc::new(Notify::new());
        let notified = wake.clone();
        tokio::spawn(async move {
            loop {
                match library.due_remote_accounts(SERVICE).await {
                    Ok(due) => {
                        for account in due {
                            run_one(&library, &config, &account).await;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot look for due iCloud syncs"),
                }
                tokio::select! {
                    _ = notified.notified() => {}
                    _ = tokio::time::sleep(TICK) => {}
                }
            }
        });
        Scheduler { wake }
    }

    /// Looks for due runs now (after a run was asked for through the API).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

async fn run_one(
    library: &Library,
    config: &IcloudConfig,
    account: &keepsake_library::remote::RemoteAccount,
) {
    let caller = match library.remote_owner(account).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "skipping an iCloud sync whose owner is gone");
            return;
        }
    };
    tracing::info!(apple_id = %account.account, "scheduled iCloud sync starting");
    let mut input = CodeInput::api_only();
    match sync(
        library,
        &caller,
        config.clone(),
        SyncRequest::default(),
        &mut input,
        &|_| {},
    )
    .await
    {
        Ok(report) => {
            tracing::info!(
                run = %report.run.id,
                imported = report.run.imported,
                failed = report.run.failed,
                deleted_in_icloud = report.deleted_in_icloud.len(),
                "scheduled iCloud sync finished"
            );
            // Told before it happens: past this, a scheduled sync waits for a code.
            if let Some(t) = report.trust_expires_at
                && t - jiff::Timestamp::now().as_millisecond() < 7 * 86_400_000
            {
                tracing::warn!(
                    apple_id = %account.account,
                    "Apple's trust in this server ends within a week; run `keepsake icloud login` to renew it"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "scheduled iCloud sync failed"),
    }
}
