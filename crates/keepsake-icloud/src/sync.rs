//! A sync: sign in with the sealed session (a code only when Apple asks),
//! list the iCloud library, and hand it to the import engine — which keeps
//! what it has already, fetches what is new, and resumes an interrupted run
//! where it stopped. Items deleted in iCloud are kept, or moved to the trash
//! here when the person chose so; they are never removed for good by a sync.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keepsake_import::icloud::{
    EditPolicy, IcloudClient, IcloudConfig, IcloudOptions, IcloudSource, SharedPolicy,
};
use keepsake_library::imports::{ImportOptions, ImportProgress, ImportRunRecord};
use keepsake_library::{Caller, Library};

use crate::run::{
    self, CodeInput, RunError, SERVICE, Settings, load_session, next_run_at, save_session,
    trust_expires_ms,
};

/// The source kind iCloud items are recorded under.
pub const KIND: &str = "icloud";

/// How a sync is asked for.
#[derive(Debug, Clone, Default)]
pub struct SyncRequest {
    /// The Apple ID password; the sealed one when `None`.
    pub password: Option<String>,
    /// Take over from a run that looks alive elsewhere.
    pub force: bool,
    pub dry_run: bool,
    /// Choices for this run only (else the stored ones).
    pub settings: Option<Settings>,
}

/// What a sync did.
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub run: ImportRunRecord,
    /// Items here whose iCloud original was deleted (Recently Deleted, or gone).
    pub deleted_in_icloud: Vec<String>,
    /// Of those, the assets moved to the trash (when the person chose `trash`).
    pub trashed: usize,
    /// When the trust token runs out (ms since the epoch), if known.
    pub trust_expires_at: Option<i64>,
}

/// Runs one sync of the caller's connected iCloud account.
pub async fn sync(
    library: &Library,
    caller: &Caller,
    config: IcloudConfig,
    request: SyncRequest,
    input: &mut CodeInput,
    progress: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> Result<SyncReport, RunError> {
    let (account, stored) = run::connected(library, caller).await?;
    let settings = request.settings.clone().unwrap_or(stored);
    let _claim = library
        .claim_remote_run(caller, SERVICE, request.force)
        .await?;
    let (client, result) = sync_signed_in(
        library, caller, config, &request, &settings, input, progress,
    )
    .await;
    let mut trust = None;
    if let Some(mut client) = client {
        if let Err(e) = client.logout().await {
            tracing::debug!(error = %e, "iCloud logout after the sync failed (the session just expires)");
        }
        if let Err(e) = save_session(library, caller, &client).await {
            tracing::warn!(error = %e, "cannot store the iCloud session after the sync");
        }
        trust = trust_expires_ms(client.state());
    }
    let next = next_run_at(account.schedule.as_deref()).unwrap_or(None);
    let run_id = result.as_ref().ok().map(|r| r.run.id.clone());
    let error = result.as_ref().err().map(|e| e.to_string());
    library
        .finish_remote_run(
            caller,
            SERVICE,
            run_id.as_deref(),
            error.as_deref(),
            next,
            trust,
        )
        .await?;
    result
}

/// The body of a sync, for a caller that has claimed the connection: signs
/// in, imports, handles what was deleted in iCloud. Gives the signed-in
/// client back (not logged out), and always stores the session it got to.
pub(crate) async fn sync_signed_in(
    library: &Library,
    caller: &Caller,
    config: IcloudConfig,
    request: &SyncRequest,
    settings: &Settings,
    input: &mut CodeInput,
    progress: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> (Option<IcloudClient>, Result<SyncReport, RunError>) {
    if let Err(e) = settings.validate() {
        return (None, Err(e));
    }
    let state = match load_session(library, caller).await {
        Ok(s) => s,
        Err(e) => return (None, Err(e)),
    };
    if state.apple_id.is_empty() {
        return (
            None,
            Err(RunError::Invalid(
                "this account has never signed in to iCloud; run `keepsake icloud login` first"
                    .into(),
            )),
        );
    }
    let apple_id = state.apple_id.clone();
    let password = match run::password(library, caller, request.password.clone()).await {
        Ok(p) => p,
        Err(e) => return (None, Err(e)),
    };
    let mut client = IcloudClient::new(config, state);
    client.set_password(Some(password.clone()));
    let signed = run::sign_in(
        library,
        caller,
        &mut client,
        &password,
        Duration::from_secs(settings.mfa_timeout_secs),
        input,
    )
    .await;
    if let Err(e) = save_session(library, caller, &client).await {
        return (Some(client), Err(e));
    }
    if let Err(e) = signed {
        return (Some(client), Err(e));
    }

    // While the run works, keep the connection's state fresh (so it is not
    // taken for a crashed run) and say how far it has got.
    let said = Arc::new(Mutex::new(String::from("listing the iCloud library")));
    let heartbeat = {
        let library = library.clone();
        let caller = caller.clone();
        let said = said.clone();
        tokio::spawn(async move {
            loop {
                let message = said.lock().map(|m| m.clone()).unwrap_or_default();
                if let Err(e) = library
                    .remote_running(&caller, SERVICE, Some(&message))
                    .await
                {
                    tracing::warn!(error = %e, "cannot record the iCloud sync's progress");
                }
                tokio::time::sleep(Duration::from_secs(15)).await;
            }
        })
    };
    let (client, report) = import(
        library, caller, client, request, settings, &apple_id, &said, progress,
    )
    .await;
    heartbeat.abort();
    if let Err(e) = save_session(library, caller, &client).await {
        tracing::warn!(error = %e, "cannot store the iCloud session");
    }
    (Some(client), report)
}

#[allow(clippy::too_many_arguments)]
async fn import(
    library: &Library,
    caller: &Caller,
    client: IcloudClient,
    request: &SyncRequest,
    settings: &Settings,
    apple_id: &str,
    said: &Arc<Mutex<String>>,
    progress: &(dyn Fn(&ImportProgress) + Send + Sync),
) -> (IcloudClient, Result<SyncReport, RunError>) {
    let options = IcloudOptions {
        edits: match settings.edits.as_str() {
            "edited" => EditPolicy::Edited,
            "both" => EditPolicy::Both,
            _ => EditPolicy::Original,
        },
        shared: match settings.shared.as_str() {
            "skip" => SharedPolicy::Skip,
            s => match s.strip_prefix("album:") {
                Some(name) => SharedPolicy::Album(name.to_string()),
                None => SharedPolicy::Include,
            },
        },
        album: settings.album.clone(),
        // Downloads overlap with storing: ahead of the engine, into its temp
        // folder (same file system, swept after a crash), never for items
        // this library already has.
        prefetch_dir: library
            .blobs()
            .temp_path("part")
            .parent()
            .map(std::path::Path::to_path_buf),
        already_have: match library.imported_items(caller, KIND).await {
            Ok(items) => items.into_iter().map(|(k, _)| k).collect(),
            Err(e) => return (client, Err(e.into())),
        },
    };
    let mut source = match IcloudSource::open(client, options).await {
        Ok(s) => s,
        Err((client, e)) => return (client, Err(e.into())),
    };
    let import_options = ImportOptions {
        label: apple_id.to_string(),
        dry_run: request.dry_run,
    };
    let said_progress = |p: &ImportProgress| {
        if let Ok(mut m) = said.lock() {
            *m = match p.total {
                Some(t) => format!("importing: {} of {t}", p.seen),
                None => format!("importing: {}", p.seen),
            };
        }
        progress(p);
    };
    let started = match library.begin_import(caller, KIND, &import_options).await {
        Ok(s) => s,
        Err(e) => return (source.into_client(), Err(e.into())),
    };
    let run = library
        .continue_import(
            caller,
            started,
            &mut source,
            &import_options,
            &said_progress,
        )
        .await;
    let run = match run {
        Ok(r) => r,
        Err(e) => return (source.into_client(), Err(e.into())),
    };
    // Deleted in iCloud: in Recently Deleted, or (after a whole listing) no
    // longer listed at all.
    let mut gone: Vec<String> = source.deleted_keys().to_vec();
    let whole = settings.album.is_none() && settings.shared != "skip";
    let listed: HashSet<&str> = source.listed_keys().iter().map(String::as_str).collect();
    let here = match library.imported_items(caller, KIND).await {
        Ok(h) => h,
        Err(e) => return (source.into_client(), Err(e.into())),
    };
    if whole {
        let already: HashSet<String> = gone.iter().cloned().collect();
        gone.extend(
            here.iter()
                .map(|(k, _)| k)
                .filter(|k| !listed.contains(k.as_str()) && !already.contains(*k))
                .cloned(),
        );
    }
    // Only what is here, and not what an archived album keeps: archiving
    // may have deleted it in iCloud on purpose.
    let archived: HashSet<String> = match library.archived_source_assets(caller, KIND).await {
        Ok(a) => a.into_iter().collect(),
        Err(e) => return (source.into_client(), Err(e.into())),
    };
    let here_keys: HashSet<&str> = here
        .iter()
        .filter(|(_, asset)| !archived.contains(asset))
        .map(|(k, _)| k.as_str())
        .collect();
    gone.retain(|k| here_keys.contains(k.as_str()));
    gone.sort();
    let mut trashed = 0;
    if settings.deleted == "trash" && !request.dry_run && !gone.is_empty() {
        match library.trash_source_items(caller, KIND, &gone).await {
            Ok(ids) => trashed = ids.len(),
            Err(e) => return (source.into_client(), Err(e.into())),
        }
    }
    let client = source.into_client();
    let trust_expires_at = trust_expires_ms(client.state());
    (
        client,
        Ok(SyncReport {
            run,
            deleted_in_icloud: gone,
            trashed,
            trust_expires_at,
        }),
    )
}
