//! CloudKit Web Services for `com.apple.photos.cloud`, as the Photos clients
//! use it: zones, indexing state, counts, the list queries with Apple's
//! paging (`startRank` in items, `resultsLimit` in records, all masters of a
//! page before its assets, pairs never split), lookups and the remote-delete
//! modify, with records in Apple's field shapes and fresh download URLs.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::content::{Derived, Resource, download_url};
use super::{
    FakeAlbum, FakeKind, FakePhoto, Inner, Shared, SharedZone, THIRTY_DAYS_MS, json_response,
    now_ms, pseudo_uuid,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const MAX_RECORDS: u64 = 200;
const DEVICE_ID: &str = "10D26FAEB98CF62382056A6813126093E3CC11C07B3DF3BDEBC4B50A7649973B";

fn ck_error(status: u16, code: &str, reason: &str) -> Response {
    json_response(
        StatusCode::from_u16(status).expect("status"),
        &json!({"uuid": pseudo_uuid(), "serverErrorCode": code, "reason": reason}),
    )
}

/// Which of the fake's zones a request names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Zone {
    Primary,
    Shared,
    /// An unrelated zone (`CMM-…`): exists, holds nothing Photos lists.
    Decoy,
}

fn decoy_name(inner: &Inner) -> String {
    format!("CMM-{}", &inner.owner[1..17].to_uppercase())
}

const DELETED_ZONE: &str = "AppLibrarySync-com.apple.GenerativePlayground-1";

fn zone_of(inner: &Inner, area: &str, name: &str) -> Option<Zone> {
    match area {
        "private" if name == "PrimarySync" => Some(Zone::Primary),
        "private" if name == decoy_name(inner) => Some(Zone::Decoy),
        "private"
            if inner.library.shared_zone == Some(SharedZone::Owned)
                && name == inner.shared_zone_name =>
        {
            Some(Zone::Shared)
        }
        "shared"
            if inner.library.shared_zone == Some(SharedZone::Joined)
                && name == inner.shared_zone_name =>
        {
            Some(Zone::Shared)
        }
        _ => None,
    }
}

fn zone_id(inner: &Inner, zone: Zone) -> Value {
    let (name, owner) = match zone {
        Zone::Primary => ("PrimarySync".to_string(), inner.owner.clone()),
        Zone::Decoy => (decoy_name(inner), inner.owner.clone()),
        Zone::Shared => (
            inner.shared_zone_name.clone(),
            if inner.library.shared_zone == Some(SharedZone::Joined) {
                inner.shared_owner.clone()
            } else {
                inner.owner.clone()
            },
        ),
    };
    json!({"zoneName": name, "ownerRecordName": owner, "zoneType": "REGULAR_CUSTOM_ZONE"})
}

fn sync_token(inner: &Inner) -> String {
    let mut b = vec![0x01, 0, 0, 0, 0, 0, 0x03];
    b.extend_from_slice(&inner.change_counter.to_be_bytes());
    b.extend_from_slice(inner.owner.as_bytes().get(1..9).unwrap_or_default());
    B64.encode(b)
}

/// `{ck}/database/1/com.apple.photos.cloud/production/{area}/{name}`.
pub(crate) fn handle(
    shared: &Shared,
    method: &Method,
    area: &str,
    name: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let mut guard = shared.lock();
    let inner = &mut *guard;
    if !inner.auth.web_session_alive(headers) {
        return ck_error(
            421,
            "AUTHENTICATION_REQUIRED",
            "Authentication required for Account",
        );
    }
    if method != Method::POST {
        return ck_error(400, "BAD_REQUEST", "POST required");
    }
    if area != "private" && area != "shared" {
        return ck_error(400, "BAD_REQUEST", "Unknown database");
    }
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let result = match name {
        "zones/list" | "changes/database" => Ok(zones(inner, area, name)),
        "records/query" => query(shared, inner, area, &v),
        "records/query/batch" => batch(shared, inner, area, &v),
        "records/lookup" => lookup(shared, inner, area, &v),
        "records/modify" => modify(shared, inner, area, &v),
        _ => Err(ck_error(400, "BAD_REQUEST", "Unknown operation")),
    };
    match result {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(r) => r,
    }
}

fn zones(inner: &Inner, area: &str, name: &str) -> Value {
    let mut list = Vec::new();
    let token = sync_token(inner);
    let mut push = |zid: Value, deleted: bool| {
        let mut z = json!({"zoneID": zid, "deleted": deleted});
        if name == "zones/list" && !deleted {
            z["syncToken"] = json!(token);
        }
        list.push(z);
    };
    if area == "private" {
        push(zone_id(inner, Zone::Primary), false);
        if inner.library.shared_zone == Some(SharedZone::Owned) {
            push(zone_id(inner, Zone::Shared), false);
        }
        push(zone_id(inner, Zone::Decoy), false);
        push(
            json!({"zoneName": DELETED_ZONE, "ownerRecordName": inner.owner, "zoneType": "REGULAR_CUSTOM_ZONE"}),
            true,
        );
    } else if inner.library.shared_zone == Some(SharedZone::Joined) {
        push(zone_id(inner, Zone::Shared), false);
    }
    json!({"zones": list, "moreComing": false, "syncToken": sync_token(inner)})
}

/// The filters of a query by field name (`filterBy` is a list, or one object
/// in the batch form).
fn filters(query: &Value) -> HashMap<String, Value> {
    let list = match &query["filterBy"] {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![query["filterBy"].clone()],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|f| {
            Some((
                f["fieldName"].as_str()?.to_string(),
                f["fieldValue"]["value"].clone(),
            ))
        })
        .collect()
}

fn zone_for_request(inner: &Inner, area: &str, v: &Value) -> Result<Zone, Response> {
    let name = v["zoneID"]["zoneName"].as_str().unwrap_or("_defaultZone");
    zone_of(inner, area, name).ok_or_else(|| {
        ck_error(
            404,
            "ZONE_NOT_FOUND",
            &format!("Zone '{name}' does not exist"),
        )
    })
}

fn in_zone(p: &FakePhoto, zone: Zone) -> bool {
    match zone {
        Zone::Primary => !p.shared,
        Zone::Shared => p.shared,
        Zone::Decoy => false,
    }
}

fn smart_match(p: &FakePhoto, smart: &str) -> bool {
    match smart.to_ascii_uppercase().as_str() {
        "FAVORITE" => p.favorite,
        "VIDEO" => matches!(p.kind, FakeKind::Video),
        "LIVE" => matches!(p.kind, FakeKind::Live { .. }),
        _ => false,
    }
}

fn count_for(inner: &Inner, zone: Zone, index: &str) -> i64 {
    let photos = inner.library.photos.iter().filter(|p| in_zone(p, zone));
    let live = |p: &&FakePhoto| !p.hidden && !p.deleted;
    let n = match index {
        "CPLAssetByAssetDateWithoutHiddenOrDeleted" => photos.filter(live).count(),
        "CPLAssetByAddedDate" => photos.filter(|p| !p.deleted).count(),
        "CPLAssetHiddenByAssetDate" => photos.filter(|p| p.hidden && !p.deleted).count(),
        "CPLAssetDeletedByExpungedDate" => photos.filter(|p| p.deleted).count(),
        other => {
            if let Some(album) = other.strip_prefix("CPLContainerRelationNotDeletedByAssetDate:") {
                if zone != Zone::Primary {
                    return 0;
                }
                album_members(inner, album).len()
            } else if let Some(smart) = other.strip_prefix("CPLAssetInSmartAlbumByAssetDate:") {
                photos
                    .filter(live)
                    .filter(|p| smart_match(p, smart))
                    .count()
            } else {
                0
            }
        }
    };
    n as i64
}

/// Indices of an album's live members, in album order.
fn album_members(inner: &Inner, album: &str) -> Vec<usize> {
    let Some(a) = inner.library.albums.iter().find(|a| a.record_name == album) else {
        return Vec::new();
    };
    a.members
        .iter()
        .filter_map(|m| inner.photo_index(m))
        .filter(|&i| {
            let p = &inner.library.photos[i];
            !p.deleted && !p.shared
        })
        .collect()
}

fn system_record(inner: &Inner, zone: Zone, name: &str, record_type: &str, fields: Value) -> Value {
    json!({
        "recordName": name, "recordType": record_type, "fields": fields, "pluginFields": {},
        "recordChangeTag": "0",
        "created": {"timestamp": 1_533_040_623_320i64, "userRecordName": "_10", "deviceID": "1"},
        "modified": {"timestamp": 1_533_040_623_320i64, "userRecordName": "_10", "deviceID": "1"},
        "deleted": false, "zoneID": zone_id(inner, zone),
    })
}

fn query(shared: &Shared, inner: &mut Inner, area: &str, v: &Value) -> Result<Value, Response> {
    let zone = zone_for_request(inner, area, v)?;
    let q = &v["query"];
    let record_type = q["recordType"].as_str().unwrap_or("");
    let f = filters(q);
    let limit = match &v["resultsLimit"] {
        Value::Null => MAX_RECORDS,
        l => l
            .as_u64()
            .ok_or_else(|| ck_error(400, "BAD_REQUEST", "resultsLimit must be a number"))?,
    };
    if limit > MAX_RECORDS {
        return Err(ck_error(
            400,
            "BAD_REQUEST",
            &format!("resultsLimit {limit} exceeds the maximum of {MAX_RECORDS}"),
        ));
    }
    let desired: Option<Vec<String>> = v["desiredKeys"].as_array().map(|a| {
        a.iter()
            .filter_map(|k| k.as_str().map(String::from))
            .collect()
    });
    let token = sync_token(inner);
    let mut out = match record_type {
        "CheckIndexingState" => {
            let (state, progress) = if inner.indexing_finished {
                ("FINISHED", 100)
            } else {
                ("RUNNING", 42)
            };
            let rec = system_record(
                inner,
                zone,
                "_ac333066-5d55-4c42-b033-f05bb9d2873c",
                "CheckIndexingState",
                json!({"progress": {"value": progress, "type": "INT64"}, "state": {"value": state, "type": "STRING"}}),
            );
            json!({"records": [rec]})
        }
        "HyperionIndexCountLookup" => {
            let ids: Vec<String> = match f.get("indexCountID") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            let records: Vec<Value> = ids
                .iter()
                .map(|id| {
                    let n = count_for(inner, zone, id);
                    system_record(
                        inner,
                        zone,
                        id,
                        "IndexCountResult",
                        json!({"itemCount": {"value": n, "type": "INT64"}}),
                    )
                })
                .collect();
            json!({"records": records})
        }
        "CPLAlbumByPositionLive" => albums_page(inner, zone, &f, limit, v)?,
        _ => {
            let per_item: u64 = if record_type.starts_with("CPLContainerRelation") {
                3
            } else {
                2
            };
            let items = list_items(inner, zone, record_type, &f)?;
            let start = match v["continuationMarker"].as_str() {
                Some(m) => decode_marker(m, record_type)?,
                None => f.get("startRank").and_then(Value::as_u64).unwrap_or(0) as usize,
            };
            let (page, next) = page_of(&items, start, limit, per_item);
            let album = f.get("parentId").and_then(Value::as_str).map(String::from);
            let mut masters = Vec::new();
            let mut assets = Vec::new();
            let mut relations = Vec::new();
            for &(idx, position) in page {
                let (m, a) = pair_records(shared, inner, idx, zone);
                masters.push(m);
                assets.push(a);
                if let Some(album) = &album {
                    let asset_id = inner.library.photos[idx].asset_id.clone();
                    relations.push(relation_record(inner, &asset_id, album, position));
                }
            }
            let mut records = masters;
            records.extend(assets);
            records.extend(relations);
            let mut out = json!({"records": records});
            if let Some(next) = next {
                out["continuationMarker"] = json!(encode_marker(record_type, next));
            }
            out
        }
    };
    if let Some(keys) = &desired
        && let Some(records) = out["records"].as_array_mut()
    {
        for r in records {
            filter_fields(r, keys);
        }
    }
    out["syncToken"] = json!(token);
    Ok(out)
}

/// The page of `items` starting at item `start`: as many whole items as fit
/// in `limit` records (at least one), and the next start if more remain.
pub(crate) fn page_of<T>(
    items: &[T],
    start: usize,
    limit: u64,
    per_item: u64,
) -> (&[T], Option<usize>) {
    let fit = ((limit / per_item) as usize).max(1);
    let from = start.min(items.len());
    let to = (from + fit).min(items.len());
    (&items[from..to], (to < items.len()).then_some(to))
}

fn encode_marker(record_type: &str, next: usize) -> String {
    B64.encode(format!("{record_type}\u{1}{next}"))
}

fn decode_marker(marker: &str, record_type: &str) -> Result<usize, Response> {
    let bad = || ck_error(400, "BAD_REQUEST", "Invalid continuationMarker");
    let text = String::from_utf8(B64.decode(marker).map_err(|_| bad())?).map_err(|_| bad())?;
    let (t, n) = text.split_once('\u{1}').ok_or_else(bad)?;
    if t != record_type {
        return Err(bad());
    }
    n.parse().map_err(|_| bad())
}

fn filter_fields(record: &mut Value, keys: &[String]) {
    if let Some(fields) = record.get_mut("fields").and_then(Value::as_object_mut) {
        fields.retain(|k, _| keys.iter().any(|d| d == k));
    }
}

/// (photo index, position in album) of a list query, in answer order.
fn list_items(
    inner: &Inner,
    zone: Zone,
    record_type: &str,
    f: &HashMap<String, Value>,
) -> Result<Vec<(usize, usize)>, Response> {
    let descending = f.get("direction").and_then(Value::as_str) == Some("DESCENDING");
    let photos = &inner.library.photos;
    let all = || (0..photos.len()).filter(|&i| in_zone(&photos[i], zone));
    let mut keyed: Vec<(i64, usize, usize)> = match record_type {
        "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted" => all()
            .filter(|&i| !photos[i].hidden && !photos[i].deleted)
            .map(|i| (photos[i].asset_date_ms, i, 0))
            .collect(),
        // Apple's added-date index keeps hidden items (flagged isHidden:1).
        "CPLAssetAndMasterByAddedDate" => all()
            .filter(|&i| !photos[i].deleted)
            .map(|i| (photos[i].added_ms, i, 0))
            .collect(),
        "CPLAssetAndMasterHiddenByAssetDate" => all()
            .filter(|&i| photos[i].hidden && !photos[i].deleted)
            .map(|i| (photos[i].asset_date_ms, i, 0))
            .collect(),
        "CPLAssetAndMasterDeletedByExpungedDate" => all()
            .filter(|&i| photos[i].deleted)
            .map(|i| {
                let at = inner
                    .derived
                    .get(&photos[i].asset_id)
                    .and_then(|d| d.date_expunged_ms)
                    .unwrap_or(0);
                (at, i, 0)
            })
            .collect(),
        "CPLAssetAndMasterInSmartAlbumByAssetDate" => {
            let smart = f.get("smartAlbum").and_then(Value::as_str).unwrap_or("");
            all()
                .filter(|&i| {
                    !photos[i].hidden && !photos[i].deleted && smart_match(&photos[i], smart)
                })
                .map(|i| (photos[i].asset_date_ms, i, 0))
                .collect()
        }
        "CPLContainerRelationLiveByPosition" | "CPLContainerRelationLiveByAssetDate" => {
            let Some(album) = f.get("parentId").and_then(Value::as_str) else {
                return Err(ck_error(400, "BAD_REQUEST", "parentId is required"));
            };
            if zone != Zone::Primary {
                Vec::new()
            } else {
                let by_position = record_type.ends_with("ByPosition");
                let a = inner.library.albums.iter().find(|a| a.record_name == album);
                album_members(inner, album)
                    .into_iter()
                    .map(|i| {
                        let pos = a
                            .and_then(|a| a.members.iter().position(|m| *m == photos[i].asset_id))
                            .unwrap_or(0);
                        let key = if by_position {
                            pos as i64
                        } else {
                            photos[i].asset_date_ms
                        };
                        (key, i, pos)
                    })
                    .collect()
            }
        }
        other => {
            return Err(ck_error(
                400,
                "BAD_REQUEST",
                &format!("Unknown record type '{other}'"),
            ));
        }
    };
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| photos[a.1].asset_id.cmp(&photos[b.1].asset_id))
    });
    if descending {
        keyed.reverse();
    }
    Ok(keyed.into_iter().map(|(_, i, pos)| (i, pos)).collect())
}

fn albums_page(
    inner: &Inner,
    zone: Zone,
    f: &HashMap<String, Value>,
    limit: u64,
    v: &Value,
) -> Result<Value, Response> {
    let parent = f.get("parentId").and_then(Value::as_str);
    let mut records = Vec::new();
    if zone == Zone::Primary {
        if parent.is_none() {
            records.push(root_folder(inner));
        }
        for (pos, a) in inner.library.albums.iter().enumerate() {
            if a.parent.as_deref() == parent {
                records.push(album_record(inner, a, pos));
            }
        }
    }
    let start = match v["continuationMarker"].as_str() {
        Some(m) => decode_marker(m, "CPLAlbumByPositionLive")?,
        None => 0,
    };
    let per_page = (inner.album_page_size as u64).min(limit.max(1));
    let (page, next) = page_of(&records, start, per_page, 1);
    let mut out = json!({"records": page});
    if let Some(next) = next {
        out["continuationMarker"] = json!(encode_marker("CPLAlbumByPositionLive", next));
    }
    Ok(out)
}

fn stamp(inner: &Inner, ms: i64) -> Value {
    json!({"timestamp": ms, "userRecordName": inner.owner, "deviceID": DEVICE_ID})
}

fn root_folder(inner: &Inner) -> Value {
    json!({
        "recordName": "----Root-Folder----", "recordType": "CPLAlbum",
        "fields": {"albumType": {"value": 3, "type": "INT64"}, "sortAscending": {"value": 1, "type": "INT64"},
                   "sortType": {"value": 0, "type": "INT64"}, "position": {"value": 0, "type": "INT64"}},
        "pluginFields": {}, "recordChangeTag": "1",
        "created": stamp(inner, 1_420_070_400_000), "modified": stamp(inner, 1_420_070_400_000),
        "deleted": false, "zoneID": zone_id(inner, Zone::Primary),
    })
}

fn album_record(inner: &Inner, a: &FakeAlbum, pos: usize) -> Value {
    let created = 1_500_000_000_000i64 + pos as i64 * 86_400_000;
    let mut fields = json!({
        "albumNameEnc": {"value": B64.encode(a.name.as_bytes()), "type": "ENCRYPTED_BYTES"},
        "albumType": {"value": if a.folder { 3 } else { 0 }, "type": "INT64"},
        "position": {"value": 1024 * (pos as i64 + 1), "type": "INT64"},
        "sortAscending": {"value": 1, "type": "INT64"},
        "sortType": {"value": 0, "type": "INT64"},
        "sortTypeExt": {"value": 0, "type": "INT64"},
        "recordModificationDate": {"value": created, "type": "TIMESTAMP"},
    });
    if let Some(p) = &a.parent {
        fields["parentId"] = json!({"value": p, "type": "STRING"});
    }
    json!({
        "recordName": a.record_name, "recordType": "CPLAlbum", "fields": fields, "pluginFields": {},
        "recordChangeTag": super::base36(1_000 + pos as u64),
        "created": stamp(inner, created), "modified": stamp(inner, created),
        "deleted": false, "zoneID": zone_id(inner, Zone::Primary),
    })
}

fn relation_record(inner: &Inner, asset: &str, album: &str, position: usize) -> Value {
    json!({
        "recordName": format!("{asset}-IN-{album}"), "recordType": "CPLContainerRelation",
        "fields": {
            "itemId": {"value": asset, "type": "STRING"},
            "containerId": {"value": album, "type": "STRING"},
            "position": {"value": 1024 * (position as i64 + 1), "type": "INT64"},
            "isKeyAsset": {"value": i64::from(position == 0), "type": "INT64"},
        },
        "pluginFields": {}, "recordChangeTag": super::base36(7_000 + position as u64),
        "created": stamp(inner, 1_550_000_000_000), "modified": stamp(inner, 1_550_000_000_000),
        "deleted": false, "zoneID": zone_id(inner, Zone::Primary),
    })
}

fn asset_id_field(shared: &Shared, inner: &mut Inner, res: &Resource, zone_name: &str) -> Value {
    let url = download_url(shared, inner, res, zone_name);
    json!({"value": {"fileChecksum": res.checksum, "size": res.size, "wrappingKey": res.wrapping_key,
                     "referenceChecksum": res.reference, "downloadURL": url}, "type": "ASSETID"})
}

fn put_resource(fields: &mut Map<String, Value>, prefix: &str, res: &Resource, asset: Value) {
    fields.insert(format!("{prefix}Res"), asset);
    fields.insert(
        format!("{prefix}FileType"),
        json!({"value": res.uti, "type": "STRING"}),
    );
    fields.insert(
        format!("{prefix}Width"),
        json!({"value": res.width, "type": "INT64"}),
    );
    fields.insert(
        format!("{prefix}Height"),
        json!({"value": res.height, "type": "INT64"}),
    );
    fields.insert(
        format!("{prefix}Fingerprint"),
        json!({"value": res.checksum, "type": "STRING"}),
    );
}

/// The item's data without its bytes, so records can be built while URLs
/// are minted (which needs the state mutably).
struct Meta {
    photo: FakePhoto,
    derived: Derived,
}

fn meta(inner: &Inner, idx: usize) -> Meta {
    let p = &inner.library.photos[idx];
    let photo = FakePhoto {
        bytes: Vec::new(),
        kind: match p.kind {
            FakeKind::Live { .. } => FakeKind::Live { video: Vec::new() },
            ref k => k.clone(),
        },
        edited: p.edited.as_ref().map(|(_, uti)| (Vec::new(), uti.clone())),
        ..p.clone_without_bytes()
    };
    Meta {
        photo,
        derived: inner.derived.get(&p.asset_id).cloned().expect("derived"),
    }
}

impl FakePhoto {
    fn clone_without_bytes(&self) -> FakePhoto {
        FakePhoto {
            asset_id: self.asset_id.clone(),
            file_name: self.file_name.clone(),
            bytes: Vec::new(),
            uti: self.uti.clone(),
            kind: FakeKind::Photo,
            edited: None,
            asset_date_ms: self.asset_date_ms,
            tz_offset_s: self.tz_offset_s,
            added_ms: self.added_ms,
            favorite: self.favorite,
            hidden: self.hidden,
            deleted: self.deleted,
            location: self.location,
            caption: self.caption.clone(),
            shared: self.shared,
            change_tag: self.change_tag.clone(),
        }
    }
}

/// (CPLMaster, CPLAsset) of one item, with fresh download URLs.
fn pair_records(shared: &Shared, inner: &mut Inner, idx: usize, zone: Zone) -> (Value, Value) {
    let Meta {
        photo: p,
        derived: d,
    } = meta(inner, idx);
    let zid = zone_id(inner, zone);
    let zone_name = zid["zoneName"]
        .as_str()
        .unwrap_or("PrimarySync")
        .to_string();
    let is_video = matches!(p.kind, FakeKind::Video);

    let mut mf = Map::new();
    mf.insert(
        "filenameEnc".into(),
        json!({"value": B64.encode(p.file_name.as_bytes()), "type": "ENCRYPTED_BYTES"}),
    );
    mf.insert("itemType".into(), json!({"value": p.uti, "type": "STRING"}));
    mf.insert(
        "originalOrientation".into(),
        json!({"value": 1, "type": "INT64"}),
    );
    mf.insert(
        "dataClassType".into(),
        json!({"value": if is_video { 2 } else { 1 }, "type": "INT64"}),
    );
    let orig = asset_id_field(shared, inner, &d.original, &zone_name);
    put_resource(&mut mf, "resOriginal", &d.original, orig);
    if let Some(v) = &d.vid_compl {
        let field = asset_id_field(shared, inner, v, &zone_name);
        put_resource(&mut mf, "resOriginalVidCompl", v, field);
    }
    let master = json!({
        "recordName": d.original.checksum, "recordType": "CPLMaster", "fields": mf, "pluginFields": {},
        "recordChangeTag": d.master_tag,
        "created": stamp(inner, d.created_ms), "modified": stamp(inner, d.master_modified_ms),
        "deleted": false, "zoneID": zid,
    });

    let int = |v: i64| json!({"value": v, "type": "INT64"});
    let mut af = Map::new();
    af.insert("masterRef".into(), json!({"value": {"recordName": d.original.checksum, "action": "DELETE_SELF", "zoneID": zid}, "type": "REFERENCE"}));
    af.insert(
        "assetDate".into(),
        json!({"value": p.asset_date_ms, "type": "TIMESTAMP"}),
    );
    af.insert(
        "addedDate".into(),
        json!({"value": p.added_ms, "type": "TIMESTAMP"}),
    );
    if let Some(tz) = p.tz_offset_s {
        af.insert("timeZoneOffset".into(), int(tz as i64));
    }
    af.insert("isFavorite".into(), int(p.favorite as i64));
    af.insert("isHidden".into(), int(p.hidden as i64));
    af.insert("isDeleted".into(), int(p.deleted as i64));
    af.insert("isExpunged".into(), int(0));
    if let Some(at) = d.date_expunged_ms.filter(|_| p.deleted) {
        af.insert(
            "dateExpunged".into(),
            json!({"value": at, "type": "TIMESTAMP"}),
        );
    }
    af.insert("orientation".into(), int(1));
    for k in [
        "assetSubtype",
        "assetHDRType",
        "burstFlags",
        "customRenderedValue",
        "vidComplDispScale",
        "vidComplDispValue",
        "vidComplDurScale",
        "vidComplDurValue",
        "vidComplVisibilityState",
    ] {
        af.insert(k.into(), int(0));
    }
    af.insert("duration".into(), int(if is_video { 2000 } else { 0 }));
    af.insert(
        "assetSubtypeV2".into(),
        int(if matches!(p.kind, FakeKind::Live { .. }) {
            2
        } else {
            0
        }),
    );
    af.insert("adjustmentRenderType".into(), int(0));
    if let Some(e) = &d.edited {
        af.insert(
            "adjustmentType".into(),
            json!({"value": "com.apple.photo", "type": "STRING"}),
        );
        let field = asset_id_field(shared, inner, e, &zone_name);
        let prefix = if is_video {
            "resVidFull"
        } else {
            "resJPEGFull"
        };
        put_resource(&mut af, prefix, e, field);
    }
    if let Some((lat, lon)) = p.location {
        af.insert("locationEnc".into(), json!({"value": B64.encode(location_plist(lat, lon, p.asset_date_ms)), "type": "ENCRYPTED_BYTES"}));
        af.insert(
            "locationLatitude".into(),
            json!({"value": lat, "type": "DOUBLE"}),
        );
        af.insert(
            "locationLongitude".into(),
            json!({"value": lon, "type": "DOUBLE"}),
        );
    }
    if let Some(c) = &p.caption {
        af.insert(
            "captionEnc".into(),
            json!({"value": B64.encode(c.as_bytes()), "type": "ENCRYPTED_BYTES"}),
        );
    }
    let asset = json!({
        "recordName": p.asset_id, "recordType": "CPLAsset", "fields": af, "pluginFields": {},
        "recordChangeTag": p.change_tag,
        "created": stamp(inner, d.created_ms), "modified": stamp(inner, d.modified_ms),
        "deleted": false, "zoneID": zid,
    });
    (master, asset)
}

/// `locationEnc`: a binary plist dict like Apple's (lat, lon, alt, speeds,
/// accuracies, timestamp in seconds since 2001).
pub(crate) fn location_plist(lat: f64, lon: f64, at_ms: i64) -> Vec<u8> {
    let entries: [(&str, f64); 8] = [
        ("course", -1.0),
        ("speed", 0.0),
        ("alt", 35.0),
        ("lon", lon),
        ("vertAcc", 10.0),
        ("lat", lat),
        ("timestamp", at_ms as f64 / 1000.0 - 978_307_200.0),
        ("horzAcc", 5.0),
    ];
    let mut out = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    // Object 0 is the dict, 1..=8 the keys, 9..=16 the values.
    offsets.push(out.len());
    out.push(0xD0 | entries.len() as u8);
    for i in 0..entries.len() {
        out.push(1 + i as u8);
    }
    for i in 0..entries.len() {
        out.push(1 + entries.len() as u8 + i as u8);
    }
    for (k, _) in &entries {
        offsets.push(out.len());
        out.push(0x50 | k.len() as u8);
        out.extend_from_slice(k.as_bytes());
    }
    for (_, v) in &entries {
        offsets.push(out.len());
        out.push(0x23);
        out.extend_from_slice(&v.to_be_bytes());
    }
    let table = out.len();
    let wide = table > 0xFF;
    for o in &offsets {
        if wide {
            out.extend_from_slice(&(*o as u16).to_be_bytes());
        } else {
            out.push(*o as u8);
        }
    }
    out.extend_from_slice(&[0; 6]);
    out.push(if wide { 2 } else { 1 });
    out.push(1);
    out.extend_from_slice(&(offsets.len() as u64).to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&(table as u64).to_be_bytes());
    out
}

fn batch(shared: &Shared, inner: &mut Inner, area: &str, v: &Value) -> Result<Value, Response> {
    let mut out = Vec::new();
    for item in v["batch"].as_array().cloned().unwrap_or_default() {
        out.push(query(shared, inner, area, &item)?);
    }
    Ok(json!({"batch": out}))
}

fn lookup(shared: &Shared, inner: &mut Inner, area: &str, v: &Value) -> Result<Value, Response> {
    let zone = zone_for_request(inner, area, v)?;
    let desired: Option<Vec<String>> = v["desiredKeys"].as_array().map(|a| {
        a.iter()
            .filter_map(|k| k.as_str().map(String::from))
            .collect()
    });
    let mut records = Vec::new();
    for r in v["records"].as_array().cloned().unwrap_or_default() {
        let name = r["recordName"].as_str().unwrap_or("").to_string();
        let by_asset = inner
            .photo_index(&name)
            .filter(|&i| in_zone(&inner.library.photos[i], zone));
        let by_master = || {
            inner.library.photos.iter().position(|p| {
                in_zone(p, zone)
                    && inner
                        .derived
                        .get(&p.asset_id)
                        .is_some_and(|d| d.original.checksum == name)
            })
        };
        let mut rec = if let Some(i) = by_asset {
            pair_records(shared, inner, i, zone).1
        } else if let Some(i) = by_master() {
            pair_records(shared, inner, i, zone).0
        } else if let Some((pos, a)) = inner
            .library
            .albums
            .iter()
            .enumerate()
            .find(|(_, a)| a.record_name == name && zone == Zone::Primary)
        {
            album_record(inner, a, pos)
        } else {
            json!({"recordName": name, "reason": "Record not found", "serverErrorCode": "NOT_FOUND"})
        };
        if let Some(keys) = &desired {
            filter_fields(&mut rec, keys);
        }
        records.push(rec);
    }
    Ok(json!({"records": records, "syncToken": sync_token(inner)}))
}

/// One checked operation: (photo index, field changes) or its error record.
type Checked = Result<(usize, Vec<(String, i64)>), Value>;

fn modify(shared: &Shared, inner: &mut Inner, area: &str, v: &Value) -> Result<Value, Response> {
    let zone = zone_for_request(inner, area, v)?;
    let ops = v["operations"].as_array().cloned().unwrap_or_default();
    if ops.len() > MAX_RECORDS as usize {
        return Err(ck_error(
            400,
            "BAD_REQUEST",
            &format!("Too many operations: {} (maximum {MAX_RECORDS})", ops.len()),
        ));
    }
    let atomic = v["atomic"].as_bool().unwrap_or(false);
    let desired: Option<Vec<String>> = v["desiredKeys"].as_array().map(|a| {
        a.iter()
            .filter_map(|k| k.as_str().map(String::from))
            .collect()
    });
    // Check every operation first, so an atomic request changes all or nothing.
    let mut checked: Vec<Checked> = Vec::new();
    for op in &ops {
        let rec = &op["record"];
        let name = rec["recordName"].as_str().unwrap_or("").to_string();
        let fail = |code: &str, reason: &str| json!({"recordName": name, "reason": reason, "serverErrorCode": code});
        if op["operationType"].as_str() != Some("update") {
            checked.push(Err(fail("BAD_REQUEST", "Only update is supported here")));
            continue;
        }
        let Some(i) = inner
            .photo_index(&name)
            .filter(|&i| in_zone(&inner.library.photos[i], zone))
        else {
            checked.push(Err(fail("NOT_FOUND", "Record not found")));
            continue;
        };
        if rec["recordChangeTag"].as_str() != Some(inner.library.photos[i].change_tag.as_str()) {
            checked.push(Err(fail("CONFLICT", "The recordChangeTag value expired")));
            continue;
        }
        let mut changes = Vec::new();
        for (k, val) in rec["fields"].as_object().cloned().unwrap_or_default() {
            let Some(n) = val["value"].as_i64() else {
                continue;
            };
            if ["isDeleted", "isFavorite", "isHidden"].contains(&k.as_str()) {
                changes.push((k, n));
            }
        }
        checked.push(Ok((i, changes)));
    }
    let any_failed = checked.iter().any(Result::is_err);
    let mut records = Vec::new();
    let now = now_ms();
    for c in checked {
        match c {
            Err(e) => records.push(e),
            Ok((i, _)) if atomic && any_failed => {
                let name = inner.library.photos[i].asset_id.clone();
                records.push(json!({"recordName": name, "reason": "Atomic failure", "serverErrorCode": "ATOMIC_ERROR"}));
            }
            Ok((i, changes)) => {
                let mut newly_deleted = false;
                let tag = inner.next_tag();
                let asset_id = inner.library.photos[i].asset_id.clone();
                {
                    let p = &mut inner.library.photos[i];
                    for (k, n) in &changes {
                        match k.as_str() {
                            "isDeleted" => {
                                newly_deleted = *n == 1 && !p.deleted;
                                p.deleted = *n == 1;
                            }
                            "isFavorite" => p.favorite = *n == 1,
                            "isHidden" => p.hidden = *n == 1,
                            _ => {}
                        }
                    }
                    p.change_tag = tag;
                }
                let deleted = inner.library.photos[i].deleted;
                if let Some(d) = inner.derived.get_mut(&asset_id) {
                    d.modified_ms = now;
                    if newly_deleted {
                        d.date_expunged_ms = Some(now + THIRTY_DAYS_MS);
                    } else if !deleted {
                        d.date_expunged_ms = None;
                    }
                }
                if newly_deleted {
                    inner.deleted_remotely.push(asset_id);
                }
                let mut rec = pair_records(shared, inner, i, zone).1;
                rec["modified"]["deviceID"] = json!("2");
                if deleted {
                    rec["expirationTime"] = json!((now + 40 * 24 * 3600 * 1000) / 1000);
                }
                if let Some(keys) = &desired {
                    filter_fields(&mut rec, keys);
                }
                records.push(rec);
            }
        }
    }
    inner.change_counter += 1;
    Ok(json!({"records": records, "syncToken": sync_token(inner)}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_whole_pairs_and_point_at_the_next_item() {
        let items: Vec<usize> = (0..250).collect();
        let (page, next) = page_of(&items, 0, 200, 2);
        assert_eq!(page.len(), 100);
        assert_eq!(next, Some(100));
        // 199 records cannot split a pair: 99 items.
        let (page, next) = page_of(&items, 100, 199, 2);
        assert_eq!(
            (page.first(), page.len(), next),
            (Some(&100), 99, Some(199))
        );
        // Triples for album members: 198 records → 66 items.
        let (page, _) = page_of(&items, 0, 198, 3);
        assert_eq!(page.len(), 66);
        let (page, next) = page_of(&items, 240, 200, 2);
        assert_eq!((page.len(), next), (10, None));
        let (page, next) = page_of(&items, 999, 200, 2);
        assert_eq!((page.len(), next), (0, None));
        // A limit below one item still makes progress.
        let (page, next) = page_of(&items, 0, 1, 2);
        assert_eq!((page.len(), next), (1, Some(1)));
    }

    #[test]
    fn markers_round_trip_per_record_type() {
        let m = encode_marker("CPLAlbumByPositionLive", 7);
        assert_eq!(decode_marker(&m, "CPLAlbumByPositionLive").ok(), Some(7));
        assert!(decode_marker(&m, "CPLAssetAndMasterByAddedDate").is_err());
    }

    #[test]
    fn location_plist_is_a_binary_plist_with_the_coordinates() {
        let b = location_plist(48.8584, 2.2945, 1_600_000_000_000);
        assert!(b.starts_with(b"bplist00"));
        assert_eq!(b[8], 0xD8);
        let lat = 48.8584f64.to_be_bytes();
        assert!(b.windows(8).any(|w| w == lat));
        // Trailer: 8 objects + dict = 17, top object 0.
        let t = &b[b.len() - 32..];
        assert_eq!(u64::from_be_bytes(t[8..16].try_into().expect("8")), 17);
        assert_eq!(u64::from_be_bytes(t[16..24].try_into().expect("8")), 0);
    }
}
