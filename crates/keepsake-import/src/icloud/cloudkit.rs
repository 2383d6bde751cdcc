//! CloudKit Photos calls (PROTOCOL.md §2): zones, the indexing check,
//! counts, paged photo lists, albums and their members, record lookups and
//! the remote delete. Every call goes through [`IcloudClient::ck_post`],
//! which renews an expired session once and turns CloudKit's
//! `serverErrorCode`s into errors that say what to do.

use std::collections::{HashMap, HashSet, VecDeque};

use reqwest::Method;
use serde_json::{Value, json};

use super::auth::{IcloudClient, Service};
use super::error::IcloudError;
use super::model::{Album, Database, Photo, Zone, parse_album, parse_photos};

/// CloudKit's largest page, counted in records (§2.5).
const RESULTS_LIMIT: u64 = 200;
/// CloudKit's largest modify request.
const MAX_OPERATIONS: usize = 200;

/// Which photo list to page through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoList {
    /// Everything not hidden or deleted.
    All,
    /// The Hidden album.
    Hidden,
    /// Recently Deleted.
    RecentlyDeleted,
}

impl PhotoList {
    /// The CloudKit record type of the list.
    pub fn record_type(self) -> &'static str {
        match self {
            PhotoList::All => "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted",
            PhotoList::Hidden => "CPLAssetAndMasterHiddenByAssetDate",
            PhotoList::RecentlyDeleted => "CPLAssetAndMasterDeletedByExpungedDate",
        }
    }

    /// The `HyperionIndexCountLookup` id counting the same items.
    pub fn index_id(self) -> &'static str {
        match self {
            PhotoList::All => "CPLAssetByAssetDateWithoutHiddenOrDeleted",
            PhotoList::Hidden => "CPLAssetHiddenByAssetDate",
            PhotoList::RecentlyDeleted => "CPLAssetDeletedByExpungedDate",
        }
    }
}

/// What happened to one asset of [`IcloudClient::delete_assets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteResult {
    /// The `CPLAsset` record name.
    pub record_name: String,
    /// `None`: moved to Recently Deleted; else why not (`CODE: reason`).
    pub error: Option<String>,
}

/// A per-record CloudKit failure: its code and reason.
type RecordError = (String, String);

fn error_code(v: &Value) -> Option<&str> {
    v.get("serverErrorCode")
        .or_else(|| v.get("errorCode"))
        .and_then(Value::as_str)
}

fn error_reason(v: &Value) -> String {
    ["reason", "errorMessage", "error"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

fn records(v: &Value) -> &[Value] {
    v.get("records")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn filter(name: &str, value: Value, kind: &str) -> Value {
    json!({"fieldName": name, "comparator": "EQUALS", "fieldValue": {"value": value, "type": kind}})
}

/// The `PrimarySync` zone, as used when no zone list was read.
fn primary_zone() -> Zone {
    Zone {
        name: "PrimarySync".into(),
        owner_record_name: None,
        zone_type: Some("REGULAR_CUSTOM_ZONE".into()),
        database: Database::Private,
    }
}

impl IcloudClient {
    /// POSTs to CloudKit. A 421 (or 401 `AUTHENTICATION_REQUIRED`, 450, an
    /// auth 500) renews the session once and repeats the call.
    pub(crate) async fn ck_post(
        &mut self,
        db: Database,
        path: &str,
        body: &Value,
    ) -> Result<Value, IcloudError> {
        let mut renewed = false;
        loop {
            let url = self.ck_endpoint(db, path)?;
            let reply = self
                .send(
                    Service::CloudKit,
                    Method::POST,
                    &url,
                    Some(body),
                    "application/json",
                )
                .await?;
            let v = reply.json();
            let code = error_code(&v).unwrap_or_default().to_string();
            let reason = error_reason(&v);
            let needs_login = match reply.status {
                200..=299 => return Ok(v),
                421 | 450 => true,
                401 => true,
                500 => {
                    code.starts_with("AUTHENTICATION")
                        || reason
                            .to_ascii_lowercase()
                            .contains("authentication required")
                        || reason
                            .to_ascii_lowercase()
                            .contains("invalid global session")
                }
                403 if code == "ACCESS_DENIED" || code.is_empty() => {
                    if reason
                        .to_ascii_lowercase()
                        .contains("private db access disabled")
                    {
                        return Err(IcloudError::WebAccessDisabled);
                    }
                    return Err(IcloudError::AccessDenied {
                        reason: if reason.is_empty() { code } else { reason },
                    });
                }
                404 if code == "ZONE_NOT_FOUND" => {
                    return Err(IcloudError::SetupIncomplete { reason: code });
                }
                s => {
                    return Err(IcloudError::Http {
                        status: s,
                        what: path.to_string(),
                        detail: format!("{code} {reason}").trim().to_string(),
                    });
                }
            };
            if needs_login && renewed {
                return Err(if code == "AUTHENTICATION_FAILED" {
                    IcloudError::SetupIncomplete { reason: code }
                } else {
                    IcloudError::SessionExpired
                });
            }
            renewed = true;
            tracing::info!(status = reply.status, %code, "iCloud session expired; signing in again");
            self.reauthenticate().await?;
        }
    }

    /// The photo zones: `PrimarySync` and `SharedSync-*`, private and shared,
    /// without deleted ones and the other zones Apple keeps there.
    pub async fn zones(&mut self) -> Result<Vec<Zone>, IcloudError> {
        let mut out = Vec::new();
        for db in [Database::Private, Database::Shared] {
            let v = match self.ck_post(db, "zones/list", &json!({})).await {
                Ok(v) => v,
                Err(e) if db == Database::Shared && !e.is_auth() && !e.is_temporary() => {
                    tracing::warn!(error = %e, "could not list the shared iCloud zones; going on without them");
                    continue;
                }
                Err(e) => return Err(e),
            };
            for z in v
                .get("zones")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if z.get("deleted").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                let id = z.get("zoneID").unwrap_or(&Value::Null);
                let Some(name) = id.get("zoneName").and_then(Value::as_str) else {
                    continue;
                };
                if name != "PrimarySync" && !name.starts_with("SharedSync-") {
                    tracing::debug!(zone = name, "ignoring a non-photo iCloud zone");
                    continue;
                }
                let zone = Zone {
                    name: name.to_string(),
                    owner_record_name: id
                        .get("ownerRecordName")
                        .and_then(Value::as_str)
                        .map(String::from),
                    zone_type: id.get("zoneType").and_then(Value::as_str).map(String::from),
                    database: db,
                };
                if !out
                    .iter()
                    .any(|o: &Zone| o.name == zone.name && o.database == db)
                {
                    out.push(zone);
                }
            }
        }
        Ok(out)
    }

    /// True when the zone's index is built (`CheckIndexingState` = FINISHED).
    pub async fn indexing_finished(&mut self, zone: &Zone) -> Result<bool, IcloudError> {
        Ok(self.indexing_state(zone).await?.0)
    }

    /// Whether indexing is done, and its progress in percent when not.
    pub(crate) async fn indexing_state(
        &mut self,
        zone: &Zone,
    ) -> Result<(bool, Option<i64>), IcloudError> {
        let v = self
            .ck_post(
                zone.database,
                "records/query",
                &json!({"query": {"recordType": "CheckIndexingState"}, "zoneID": zone.zone_id()}),
            )
            .await?;
        let fields = records(&v).first().and_then(|r| r.get("fields"));
        let state = fields
            .and_then(|f| f.pointer("/state/value"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let progress = fields
            .and_then(|f| f.pointer("/progress/value"))
            .and_then(Value::as_i64);
        Ok((state == "FINISHED", progress))
    }

    /// `HyperionIndexCountLookup` for `index_id` (e.g. [`PhotoList::index_id`]).
    pub async fn count(&mut self, zone: &Zone, index_id: &str) -> Result<u64, IcloudError> {
        let body = json!({
            "query": {
                "recordType": "HyperionIndexCountLookup",
                "filterBy": [{"fieldName": "indexCountID", "comparator": "IN",
                    "fieldValue": {"value": [index_id], "type": "STRING_LIST"}}],
            },
            "zoneID": zone.zone_id(),
        });
        let v = self.ck_post(zone.database, "records/query", &body).await?;
        records(&v)
            .first()
            .and_then(|r| r.pointer("/fields/itemCount/value"))
            .and_then(Value::as_u64)
            .ok_or_else(|| IcloudError::Decode {
                what: "HyperionIndexCountLookup".into(),
                detail: "no itemCount".into(),
            })
    }

    /// One page (up to 200 records, i.e. about 100 items) of `list` from
    /// `start_rank`, masters joined to assets, tombstones dropped.
    pub async fn photos_page(
        &mut self,
        zone: &Zone,
        list: PhotoList,
        start_rank: u64,
    ) -> Result<Vec<Photo>, IcloudError> {
        Ok(self.photos_page_raw(zone, list, start_rank).await?.0)
    }

    /// A page and how many masters it held (the rank to add for the next page).
    async fn photos_page_raw(
        &mut self,
        zone: &Zone,
        list: PhotoList,
        start_rank: u64,
    ) -> Result<(Vec<Photo>, u64), IcloudError> {
        let body = json!({
            "query": {
                "recordType": list.record_type(),
                "filterBy": [
                    filter("startRank", json!(start_rank), "INT64"),
                    filter("direction", json!("ASCENDING"), "STRING"),
                ],
            },
            "zoneID": zone.zone_id(),
            "resultsLimit": RESULTS_LIMIT,
        });
        let v = self.ck_post(zone.database, "records/query", &body).await?;
        let recs = records(&v);
        let masters = recs
            .iter()
            .filter(|r| r.get("recordType").and_then(Value::as_str) == Some("CPLMaster"))
            .count() as u64;
        Ok((parse_photos(recs, &zone.name), masters))
    }

    /// Every item of `list`, paging by `startRank` until a page has no masters.
    pub async fn all_photos(
        &mut self,
        zone: &Zone,
        list: PhotoList,
    ) -> Result<Vec<Photo>, IcloudError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut rank = 0u64;
        loop {
            let (photos, masters) = self.photos_page_raw(zone, list, rank).await?;
            if masters == 0 {
                break;
            }
            rank += masters;
            for p in photos {
                if seen.insert(p.asset_record.clone()) {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    /// Albums and folders of the personal library, folders walked
    /// breadth-first (`parentId`), each with its full path.
    pub async fn albums(&mut self) -> Result<Vec<Album>, IcloudError> {
        let zone = primary_zone();
        let mut out: Vec<Album> = Vec::new();
        let mut paths: HashMap<String, String> = HashMap::new();
        let mut queue: VecDeque<Option<String>> = VecDeque::from([None]);
        let mut visited = HashSet::new();
        while let Some(parent) = queue.pop_front() {
            let mut marker: Option<Value> = None;
            loop {
                let mut query = json!({"recordType": "CPLAlbumByPositionLive"});
                if let Some(p) = &parent {
                    query["filterBy"] = json!([filter("parentId", json!(p), "STRING")]);
                }
                let mut body = json!({"query": query, "zoneID": zone.zone_id(), "resultsLimit": RESULTS_LIMIT});
                if let Some(m) = &marker {
                    body["continuationMarker"] = m.clone();
                }
                let v = self.ck_post(zone.database, "records/query", &body).await?;
                let before = visited.len();
                for record in records(&v) {
                    let Some(mut album) = parse_album(record) else {
                        continue;
                    };
                    if !visited.insert(album.record_name.clone()) {
                        continue;
                    }
                    // A root query may list nested albums too; trust their parentId.
                    if album.parent.is_none() {
                        album.parent = parent.clone();
                    }
                    if let Some(prefix) = album.parent.as_ref().and_then(|p| paths.get(p)) {
                        album.path = format!("{prefix}/{}", album.name);
                    }
                    paths.insert(album.record_name.clone(), album.path.clone());
                    if album.is_folder {
                        queue.push_back(Some(album.record_name.clone()));
                    }
                    out.push(album);
                }
                // Apple may send a marker with every page; a page with
                // nothing new ends the level either way.
                match v.get("continuationMarker") {
                    Some(m) if !m.is_null() && visited.len() > before => marker = Some(m.clone()),
                    _ => break,
                }
            }
        }
        // Albums seen before their folder got the bare name; fix them up.
        for _ in 0..8 {
            let mut changed = false;
            for album in &mut out {
                if let Some(prefix) = album.parent.as_ref().and_then(|p| paths.get(p)) {
                    let path = format!("{prefix}/{}", album.name);
                    if path != album.path {
                        paths.insert(album.record_name.clone(), path.clone());
                        album.path = path;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        Ok(out)
    }

    /// The `CPLAsset` record names in an album, in the album's order.
    pub async fn album_member_ids(&mut self, album: &Album) -> Result<Vec<String>, IcloudError> {
        let zone = primary_zone();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut rank = 0u64;
        loop {
            let body = json!({
                "query": {
                    "recordType": "CPLContainerRelationLiveByAssetDate",
                    "filterBy": [
                        filter("startRank", json!(rank), "INT64"),
                        filter("direction", json!("ASCENDING"), "STRING"),
                        filter("parentId", json!(album.record_name), "STRING"),
                    ],
                },
                "zoneID": zone.zone_id(),
                "resultsLimit": RESULTS_LIMIT,
            });
            let v = self.ck_post(zone.database, "records/query", &body).await?;
            let recs = records(&v);
            let (mut masters, mut assets, mut relations) = (0u64, 0u64, 0u64);
            for r in recs {
                if r.get("deleted").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                let id = match r.get("recordType").and_then(Value::as_str) {
                    Some("CPLAsset") => r.get("recordName").and_then(Value::as_str),
                    Some("CPLContainerRelation") => {
                        r.pointer("/fields/itemId/value").and_then(Value::as_str)
                    }
                    _ => None,
                };
                match r.get("recordType").and_then(Value::as_str) {
                    Some("CPLMaster") => masters += 1,
                    Some("CPLAsset") => assets += 1,
                    Some("CPLContainerRelation") => relations += 1,
                    _ => {}
                }
                if let Some(id) = id
                    && seen.insert(id.to_string())
                {
                    out.push(id.to_string());
                }
            }
            // Items are triples (relation, master, asset); count whichever came.
            let page_items = masters.max(assets).max(relations);
            if page_items == 0 {
                break;
            }
            rank += page_items;
        }
        Ok(out)
    }

    /// Fresh records for these assets (new download URLs, current change
    /// tags), joined with their masters. Missing ones are left out.
    pub async fn lookup(
        &mut self,
        zone: &Zone,
        record_names: &[String],
    ) -> Result<Vec<Photo>, IcloudError> {
        let mut out = Vec::new();
        for chunk in record_names.chunks(MAX_OPERATIONS) {
            let assets = self.lookup_raw(zone, chunk).await?;
            let masters: Vec<String> = assets
                .iter()
                .filter_map(|a| a.pointer("/fields/masterRef/value/recordName"))
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            let mut all = self.lookup_raw(zone, &masters).await?;
            all.extend(assets);
            out.extend(parse_photos(&all, &zone.name));
        }
        Ok(out)
    }

    async fn lookup_raw(
        &mut self,
        zone: &Zone,
        names: &[String],
    ) -> Result<Vec<Value>, IcloudError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let body = json!({
            "records": names.iter().map(|n| json!({"recordName": n})).collect::<Vec<_>>(),
            "zoneID": zone.zone_id(),
        });
        let v = self.ck_post(zone.database, "records/lookup", &body).await?;
        Ok(records(&v)
            .iter()
            .filter(|r| error_code(r).is_none())
            .cloned()
            .collect())
    }

    /// Moves assets to Recently Deleted (`isDeleted = 1`), at most 200 per
    /// request, each with its current change tag; a stale tag is read again
    /// once and retried. Never called by the import source.
    pub async fn delete_assets(
        &mut self,
        zone: &Zone,
        items: &[(String, String)],
    ) -> Result<Vec<DeleteResult>, IcloudError> {
        let result = |record_name: String, error: Option<RecordError>| DeleteResult {
            record_name,
            error: error.map(|(code, reason)| format!("{code}: {reason}")),
        };
        let mut results = Vec::new();
        for chunk in items.chunks(MAX_OPERATIONS) {
            let mut conflicts = Vec::new();
            for (name, error) in self.modify_delete(zone, chunk).await? {
                match error {
                    Some((code, _)) if code == "CONFLICT" => conflicts.push(name),
                    error => results.push(result(name, error)),
                }
            }
            if conflicts.is_empty() {
                continue;
            }
            let fresh = self.lookup_raw(zone, &conflicts).await?;
            let mut retry = Vec::new();
            for name in conflicts {
                let tag = fresh
                    .iter()
                    .find(|r| r.get("recordName").and_then(Value::as_str) == Some(&name))
                    .and_then(|r| r.get("recordChangeTag"))
                    .and_then(Value::as_str);
                match tag {
                    Some(tag) => retry.push((name, tag.to_string())),
                    None => results.push(result(
                        name,
                        Some(("NOT_FOUND".into(), "the asset is gone".into())),
                    )),
                }
            }
            for (name, error) in self.modify_delete(zone, &retry).await? {
                results.push(result(name, error));
            }
        }
        Ok(results)
    }

    async fn modify_delete(
        &mut self,
        zone: &Zone,
        items: &[(String, String)],
    ) -> Result<Vec<(String, Option<RecordError>)>, IcloudError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let operations: Vec<Value> = items
            .iter()
            .map(|(name, tag)| {
                json!({"operationType": "update", "record": {
                    "recordName": name, "recordType": "CPLAsset", "recordChangeTag": tag,
                    "fields": {"isDeleted": {"value": 1}}}})
            })
            .collect();
        // Not atomic: one stale tag must not fail the others.
        let body = json!({"atomic": false, "zoneID": zone.zone_id(), "desiredKeys": ["isDeleted"], "operations": operations});
        let v = self.ck_post(zone.database, "records/modify", &body).await?;
        let recs = records(&v);
        Ok(items
            .iter()
            .map(|(name, _)| {
                let r = recs
                    .iter()
                    .find(|r| r.get("recordName").and_then(Value::as_str) == Some(name));
                let error = match r {
                    Some(r) => error_code(r).map(|code| (code.to_string(), error_reason(r))),
                    None => Some((
                        "MISSING".to_string(),
                        "iCloud did not answer for this record".to_string(),
                    )),
                };
                (name.clone(), error)
            })
            .collect())
    }
}
