//! Archiving an iCloud album, as icloud-photos-sync has it: sync first, so the
//! album's photos are all here; then keep the album as it is now (later iCloud
//! changes to it are ignored here); then, if asked, delete its photos that are
//! not favourites from iCloud to free space there. Deleting sends each
//! record's current change tag, so a photo changed in iCloud since it was
//! read is not deleted blindly; deleted photos go to iCloud's Recently
//! Deleted, from where the person can still recover them for 30 days. A dry
//! run lists what would be deleted and changes nothing, here or there.

use keepsake_import::icloud::{IcloudConfig, Zone};
use keepsake_library::{Caller, Library};

use crate::run::{CodeInput, RunError, SERVICE, next_run_at, save_session, trust_expires_ms};
use crate::sync::{KIND, SyncRequest, sync_signed_in};

/// How an archive is asked for.
#[derive(Debug, Clone, Default)]
pub struct ArchiveRequest {
    /// The album's name, full path (`Trips/2019/Paris`) or record name.
    pub album: String,
    pub remote_delete: bool,
    pub dry_run: bool,
    pub force: bool,
    pub password: Option<String>,
}

/// What an archive did (or, in a dry run, would do).
#[derive(Debug, Clone, Default)]
pub struct ArchiveReport {
    pub album_id: String,
    pub album_name: String,
    pub members: usize,
    pub kept_favourites: usize,
    /// File names deleted from iCloud (or that would be).
    pub deleted: Vec<String>,
    /// Photos that could not be deleted, with why.
    pub failed: Vec<(String, String)>,
}

/// Archives one album of the caller's connected iCloud account.
pub async fn archive(
    library: &Library,
    caller: &Caller,
    config: IcloudConfig,
    request: ArchiveRequest,
    input: &mut CodeInput,
    progress: &(dyn Fn(&keepsake_library::imports::ImportProgress) + Send + Sync),
) -> Result<ArchiveReport, RunError> {
    let (account, settings) = crate::run::connected(library, caller).await?;
    // The whole library: the album's photos must all be here first.
    let settings = crate::run::Settings {
        album: None,
        ..settings
    };
    let _claim = library
        .claim_remote_run(caller, SERVICE, request.force)
        .await?;
    let sync_request = SyncRequest {
        password: request.password.clone(),
        force: request.force,
        dry_run: request.dry_run,
        settings: None,
    };
    let (client, synced) = sync_signed_in(
        library,
        caller,
        config,
        &sync_request,
        &settings,
        input,
        progress,
    )
    .await;
    let result = match (client, synced) {
        (Some(mut client), Ok(_report)) => {
            let r = archive_album(library, caller, &mut client, &request).await;
            if let Err(e) = client.logout().await {
                tracing::debug!(error = %e, "iCloud logout after the archive failed");
            }
            save_session(library, caller, &client).await?;
            r.map(|r| (r, trust_expires_ms(client.state())))
        }
        (_, Err(e)) => Err(e),
        (None, Ok(_)) => Err(RunError::Invalid("the sync ended without a session".into())),
    };
    let next = next_run_at(account.schedule.as_deref()).unwrap_or(None);
    let error = result.as_ref().err().map(|e| e.to_string());
    let trust = result.as_ref().ok().and_then(|(_, t)| *t);
    library
        .finish_remote_run(caller, SERVICE, None, error.as_deref(), next, trust)
        .await?;
    result.map(|(r, _)| r)
}

async fn archive_album(
    library: &Library,
    caller: &Caller,
    client: &mut keepsake_import::icloud::IcloudClient,
    request: &ArchiveRequest,
) -> Result<ArchiveReport, RunError> {
    let albums = client.albums().await?;
    let wanted = request.album.trim_matches('/');
    let album = albums
        .iter()
        .filter(|a| !a.is_folder)
        .find(|a| a.record_name == wanted || a.path == wanted)
        .or_else(|| {
            let by_name: Vec<_> = albums
                .iter()
                .filter(|a| !a.is_folder && a.name == wanted)
                .collect();
            (by_name.len() == 1).then(|| by_name[0])
        })
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = albums
                .iter()
                .filter(|a| !a.is_folder)
                .map(|a| a.path.as_str())
                .collect();
            RunError::Invalid(format!(
                "no iCloud album {wanted:?} (or more than one by that name: give the full path); albums: {}",
                names.join(", ")
            ))
        })?;
    let album_id = if request.dry_run {
        String::new()
    } else {
        library
            .freeze_source_album(caller, KIND, &album.record_name)
            .await?
    };
    let members = client.album_member_ids(&album).await?;
    let mut report = ArchiveReport {
        album_id,
        album_name: album.path.clone(),
        members: members.len(),
        ..Default::default()
    };
    if !request.remote_delete {
        return Ok(report);
    }
    let zones = client.zones().await?;
    let Some(zone) = zones.iter().find(|z| z.is_primary()).cloned() else {
        return Err(RunError::Invalid(
            "the iCloud library has no PrimarySync zone; open icloud.com once and try again".into(),
        ));
    };
    // Read the photos now: their favourite flag and current change tag.
    let mut photos = Vec::new();
    for chunk in members.chunks(100) {
        photos.extend(client.lookup(&zone, chunk).await?);
    }
    let here: std::collections::HashSet<String> = library
        .imported_items(caller, KIND)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut doomed = Vec::new();
    for p in &photos {
        if p.favorite {
            report.kept_favourites += 1;
            continue;
        }
        // Never delete in iCloud what is not safely here. (A dry run's sync
        // stored nothing: there, what the real run would import counts.)
        if !request.dry_run && !here.contains(&p.asset_record) {
            report.failed.push((
                p.file_name.clone(),
                "not in this library (it failed to import); kept in iCloud".into(),
            ));
            continue;
        }
        doomed.push(p);
    }
    if request.dry_run {
        report.deleted = doomed.iter().map(|p| p.file_name.clone()).collect();
        return Ok(report);
    }
    delete(client, &zone, &doomed, &mut report).await?;
    Ok(report)
}

async fn delete(
    client: &mut keepsake_import::icloud::IcloudClient,
    zone: &Zone,
    doomed: &[&keepsake_import::icloud::Photo],
    report: &mut ArchiveReport,
) -> Result<(), RunError> {
    let names: std::collections::HashMap<&str, &str> = doomed
        .iter()
        .map(|p| (p.asset_record.as_str(), p.file_name.as_str()))
        .collect();
    let items: Vec<(String, String)> = doomed
        .iter()
        .map(|p| (p.asset_record.clone(), p.change_tag.clone()))
        .collect();
    for result in client.delete_assets(zone, &items).await? {
        let name = names
            .get(result.record_name.as_str())
            .map(|n| n.to_string())
            .unwrap_or_else(|| result.record_name.clone());
        match result.error {
            None => report.deleted.push(name),
            Some(why) => report.failed.push((name, why)),
        }
    }
    Ok(())
}
