//! End-to-end smoke test of the fake over real HTTP: a client-side SRP written
//! here, MFA with a sent code, trust, accountLogin, a query page, a download
//! that matches its checksum, and the expiry paths (410, 421, trust re-use).

use base64::Engine as _;
use num_bigint::BigUint;
use rand::Rng;
use serde_json::{Value, json};

use super::srp::{bytes, g, k, n, pad, password_key, sha256, u, x};
use super::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

struct Signin {
    status: u16,
    session_id: String,
    token: String,
    scnt: String,
}

/// The client half of SRP, computed independently of the server formula.
async fn sign_in(
    http: &reqwest::Client,
    fake: &FakeIcloud,
    user: &str,
    password: &str,
    trust: Option<&str>,
) -> Signin {
    let a: [u8; 32] = rand::thread_rng().r#gen();
    let a = BigUint::from_bytes_be(&a);
    let a_pub = g().modpow(&a, &n());
    let r = http
        .post(format!("{}/signin/init", fake.auth_url()))
        .json(&json!({"a": B64.encode(bytes(&a_pub)), "accountName": user, "protocols": ["s2k", "s2k_fo"]}))
        .send()
        .await
        .expect("init");
    assert_eq!(r.status(), 200);
    let scnt = r.headers()["scnt"].to_str().expect("scnt").to_string();
    let init: Value = r.json().await.expect("json");
    let salt = B64
        .decode(init["salt"].as_str().expect("salt"))
        .expect("b64");
    let b_pub = BigUint::from_bytes_be(&B64.decode(init["b"].as_str().expect("b")).expect("b64"));
    let protocol = if init["protocol"] == "s2k_fo" {
        SrpProtocol::S2kFo
    } else {
        SrpProtocol::S2k
    };
    let key = password_key(
        protocol,
        password,
        &salt,
        init["iteration"].as_u64().expect("it") as u32,
    );
    let xv = x(&salt, &key);
    let uv = u(&a_pub, &b_pub);
    let nn = n();
    let kgx = (k() * g().modpow(&xv, &nn)) % &nn;
    let base = (&b_pub + &nn - kgx) % &nn;
    let s = base.modpow(&(&a + &uv * &xv), &nn);
    let kk = sha256(&[&bytes(&s)]);
    let hn = sha256(&[&bytes(&nn)]);
    let hg = sha256(&[&pad(&g())]);
    let xor: Vec<u8> = hn.iter().zip(hg.iter()).map(|(p, q)| p ^ q).collect();
    let m1 = sha256(&[
        &xor,
        &sha256(&[user.as_bytes()]),
        &salt,
        &bytes(&a_pub),
        &bytes(&b_pub),
        &kk,
    ]);
    let m2 = sha256(&[&bytes(&a_pub), &m1, &kk]);
    let r = http
        .post(format!("{}/signin/complete?isRememberMeEnabled=true", fake.auth_url()))
        .header("scnt", scnt)
        .json(&json!({"accountName": user, "c": init["c"], "m1": B64.encode(&m1), "m2": B64.encode(&m2),
                      "rememberMe": true, "trustTokens": trust.map(|t| vec![t]).unwrap_or_default()}))
        .send()
        .await
        .expect("complete");
    let h = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_string())
            .unwrap_or_default()
    };
    Signin {
        status: r.status().as_u16(),
        session_id: h("X-Apple-ID-Session-Id"),
        token: h("X-Apple-Session-Token"),
        scnt: h("scnt"),
    }
}

fn cookie_header(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .filter(|c| !c.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn a_client_signs_in_lists_and_downloads() {
    let account = FakeAppleAccount::new("jane@example.com", "hunter2 is long");
    let fake = FakeIcloud::start(account, generated_library(5, 1)).await;
    let http = reqwest::Client::new();

    let bad = sign_in(&http, &fake, "jane@example.com", "wrong", None).await;
    assert_eq!(bad.status, 401);

    let s = sign_in(&http, &fake, "jane@example.com", "hunter2 is long", None).await;
    assert_eq!(s.status, 409);
    let code = fake.last_code().expect("a device code was pushed");
    let idmsa = |m: reqwest::Method, path: &str| {
        http.request(m, format!("{}/{path}", fake.auth_url()))
            .header("scnt", &s.scnt)
            .header("X-Apple-ID-Session-Id", &s.token)
            .header("Accept", "application/json")
    };
    let options: Value = idmsa(reqwest::Method::GET, "")
        .send()
        .await
        .expect("auth")
        .json()
        .await
        .expect("json");
    assert_eq!(options["trustedPhoneNumbers"][0]["id"], 1);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = idmsa(reqwest::Method::POST, "verify/trusteddevice/securitycode")
        .json(&json!({"securityCode": {"code": wrong}}))
        .send()
        .await
        .expect("verify");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("-21669"));
    let r = idmsa(reqwest::Method::POST, "verify/trusteddevice/securitycode")
        .json(&json!({"securityCode": {"code": code}}))
        .send()
        .await
        .expect("verify");
    assert_eq!(r.status(), 204);
    let r = idmsa(reqwest::Method::GET, "2sv/trust")
        .send()
        .await
        .expect("trust");
    assert_eq!(r.status(), 204);
    let trust = r.headers()["X-Apple-TwoSV-Trust-Token"]
        .to_str()
        .expect("trust")
        .to_string();
    let token = r.headers()["X-Apple-Session-Token"]
        .to_str()
        .expect("token")
        .to_string();
    assert_ne!(token, s.token);
    assert!(!s.session_id.is_empty());

    let r = http
        .post(format!("{}/accountLogin", fake.setup_url()))
        .json(&json!({"dsWebAuthToken": token, "extended_login": true}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let cookies = cookie_header(&r);
    assert!(cookies.contains("X-APPLE-WEBAUTH-TOKEN="), "{cookies}");
    let login: Value = r.json().await.expect("json");
    assert_eq!(login["hsaTrustedBrowser"], true);
    assert_eq!(login["dsInfo"]["isWebAccessAllowed"], true);
    let ck = format!(
        "{}/database/1/com.apple.photos.cloud/production/private",
        login["webservices"]["ckdatabasews"]["url"]
            .as_str()
            .expect("ck url")
    );

    let r = http
        .post(format!("{ck}/zones/list"))
        .json(&json!({}))
        .send()
        .await
        .expect("zones");
    assert_eq!(r.status(), 421, "no cookie, no CloudKit");
    let zones: Value = http
        .post(format!("{ck}/zones/list"))
        .header("Cookie", &cookies)
        .json(&json!({}))
        .send()
        .await
        .expect("zones")
        .json()
        .await
        .expect("json");
    assert_eq!(zones["zones"][0]["zoneID"]["zoneName"], "PrimarySync");

    let page_query = |limit: u64| {
        json!({"query": {"recordType": "CPLAssetAndMasterByAddedDate", "filterBy": [
                  {"fieldName": "startRank", "comparator": "EQUALS", "fieldValue": {"value": 0, "type": "INT64"}},
                  {"fieldName": "direction", "comparator": "EQUALS", "fieldValue": {"value": "ASCENDING", "type": "STRING"}}]},
               "zoneID": {"zoneName": "PrimarySync"}, "resultsLimit": limit})
    };
    let r = http
        .post(format!("{ck}/records/query"))
        .header("Cookie", &cookies)
        .json(&page_query(201))
        .send()
        .await
        .expect("q");
    assert_eq!(r.status(), 400);
    let page: Value = http
        .post(format!("{ck}/records/query"))
        .header("Cookie", &cookies)
        .json(&page_query(4))
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    let records = page["records"].as_array().expect("records");
    let types: Vec<&str> = records
        .iter()
        .map(|r| r["recordType"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["CPLMaster", "CPLMaster", "CPLAsset", "CPLAsset"]);
    assert!(page["continuationMarker"].is_string());
    let master = &records[0];
    assert_eq!(
        records[2]["fields"]["masterRef"]["value"]["recordName"],
        master["recordName"]
    );
    let res = &master["fields"]["resOriginalRes"]["value"];
    assert_eq!(res["fileChecksum"], master["recordName"]);
    let url = res["downloadURL"].as_str().expect("url");
    assert!(
        url.starts_with(&fake.url) && url.contains("/${f}?"),
        "{url}"
    );

    let r = http
        .get(url.replace("${f}", "$%7Bf%7D"))
        .send()
        .await
        .expect("download");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    let body = r.bytes().await.expect("bytes");
    assert_eq!(
        B64.encode(content::file_checksum(&body)),
        res["fileChecksum"].as_str().expect("sum")
    );
    assert_eq!(body.len() as u64, res["size"].as_u64().expect("size"));
    let r = http
        .get(url)
        .header("Range", "bytes=10-")
        .send()
        .await
        .expect("range");
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.expect("bytes").len(), body.len() - 10);

    fake.drop_next_downloads(1);
    let r = http.get(url).send().await.expect("headers arrive");
    assert!(r.bytes().await.is_err(), "the body is cut short");

    fake.expire_download_urls();
    assert_eq!(http.get(url).send().await.expect("gone").status(), 410);

    fake.expire_sessions();
    let r = http
        .post(format!("{ck}/zones/list"))
        .header("Cookie", &cookies)
        .json(&json!({}))
        .send()
        .await
        .expect("zones");
    assert_eq!(r.status(), 421);
    let again = sign_in(
        &http,
        &fake,
        "jane@example.com",
        "hunter2 is long",
        Some(&trust),
    )
    .await;
    assert_eq!(again.status, 200, "the trust token spares MFA");
    let codes = fake.codes_sent().len();
    fake.expire_trust_tokens();
    let third = sign_in(
        &http,
        &fake,
        "jane@example.com",
        "hunter2 is long",
        Some(&trust),
    )
    .await;
    assert_eq!(third.status, 409);
    assert_eq!(fake.codes_sent().len(), codes + 1);
    assert_eq!(fake.calls("signin/init"), 4);
}

#[tokio::test]
async fn in_2026_mode_no_code_arrives_until_asked() {
    let mut account = FakeAppleAccount::new("joe@example.com", "pw");
    account.protocol = SrpProtocol::S2kFo;
    account.iterations = 1000;
    let fake = FakeIcloud::start(account, FakeLibrary::default()).await;
    fake.set_2026_mode(true);
    let http = reqwest::Client::new();
    let s = sign_in(&http, &fake, "joe@example.com", "pw", None).await;
    assert_eq!(s.status, 409);
    assert_eq!(fake.last_code(), None);
    let put = |path: &str| {
        http.put(format!("{}/{path}", fake.auth_url()))
            .header("scnt", &s.scnt)
            .header("X-Apple-ID-Session-Id", &s.session_id)
    };
    assert_eq!(
        put("verify/trusteddevice")
            .send()
            .await
            .expect("put")
            .status(),
        405
    );
    assert_eq!(fake.last_code(), None);
    let r = put("verify/trusteddevice/securitycode")
        .send()
        .await
        .expect("trigger");
    assert!(r.status().is_success());
    assert_eq!(fake.codes_sent()[0].0, "device");
    let r = put("verify/phone")
        .json(&json!({"phoneNumber": {"id": 1}, "mode": "sms"}))
        .send()
        .await
        .expect("sms");
    assert_eq!(r.status(), 200);
    let (channel, code) = fake.codes_sent()[1].clone();
    assert_eq!(channel, "sms:1");
    let r = http
        .post(format!("{}/verify/phone/securitycode", fake.auth_url()))
        .header("scnt", &s.scnt)
        .header("X-Apple-ID-Session-Id", &s.session_id)
        .json(&json!({"securityCode": {"code": code}, "phoneNumber": {"id": 1}, "mode": "sms"}))
        .send()
        .await
        .expect("verify");
    assert_eq!(r.status(), 200);
    fake.fail_next("signin/init", 503, 1);
    let r = http
        .post(format!("{}/signin/init", fake.auth_url()))
        .json(&json!({}))
        .send()
        .await
        .expect("init");
    assert_eq!(r.status(), 503);
}

/// POSTs `body` to `{database}/{op}` with `cookie`, returning (status, JSON).
async fn ck(
    http: &reqwest::Client,
    fake: &FakeIcloud,
    area: &str,
    op: &str,
    cookie: &str,
    body: Value,
) -> (u16, Value) {
    let r = http
        .post(format!("{}/{op}", fake.database_url(area)))
        .header("Cookie", cookie)
        .header("Content-Type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .expect("cloudkit");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn list_query(
    record_type: &str,
    zone: &str,
    start: u64,
    limit: u64,
    parent: Option<&str>,
) -> Value {
    let mut filters = vec![
        json!({"fieldName": "startRank", "comparator": "EQUALS", "fieldValue": {"value": start, "type": "INT64"}}),
        json!({"fieldName": "direction", "comparator": "EQUALS", "fieldValue": {"value": "DESCENDING", "type": "STRING"}}),
    ];
    if let Some(p) = parent {
        filters.push(json!({"fieldName": "parentId", "comparator": "EQUALS", "fieldValue": {"value": p, "type": "STRING"}}));
    }
    json!({"query": {"recordType": record_type, "filterBy": filters}, "zoneID": {"zoneName": zone}, "resultsLimit": limit})
}

#[tokio::test]
async fn cloudkit_lists_counts_pages_and_deletes_like_apple() {
    let library = FakeLibrary::generated_with_shared(300, 3, SharedZone::Joined);
    let fake = FakeIcloud::start(FakeAppleAccount::new("a@example.com", "pw"), library).await;
    let http = reqwest::Client::new();
    let cookie = fake.web_session_cookie();
    let lib = fake.library();
    let own_visible = lib
        .photos
        .iter()
        .filter(|p| !p.shared && !p.hidden && !p.deleted)
        .count();

    let (_, zones) = ck(&http, &fake, "private", "zones/list", &cookie, json!({})).await;
    let names: Vec<&str> = zones["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .map(|z| z["zoneID"]["zoneName"].as_str().expect("name"))
        .collect();
    assert_eq!(names[0], "PrimarySync");
    assert!(names.iter().any(|n| n.starts_with("CMM-")));
    assert!(
        zones["zones"]
            .as_array()
            .expect("zones")
            .iter()
            .any(|z| z["deleted"] == true)
    );
    let (_, shared) = ck(
        &http,
        &fake,
        "shared",
        "changes/database",
        &cookie,
        json!({}),
    )
    .await;
    assert_eq!(
        shared["zones"][0]["zoneID"]["zoneName"],
        fake.shared_zone_name()
    );

    // Counts, both request forms.
    let count_filter = json!({"fieldName": "indexCountID", "comparator": "IN",
        "fieldValue": {"value": ["CPLAssetByAssetDateWithoutHiddenOrDeleted"], "type": "STRING_LIST"}});
    let (_, c) = ck(&http, &fake, "private", "records/query", &cookie,
        json!({"query": {"recordType": "HyperionIndexCountLookup", "filterBy": [count_filter]}, "zoneID": {"zoneName": "PrimarySync"}})).await;
    assert_eq!(c["records"][0]["fields"]["itemCount"]["value"], own_visible);
    let (_, c) = ck(&http, &fake, "private", "internal/records/query/batch", &cookie,
        json!({"batch": [{"resultsLimit": 1, "query": {"recordType": "HyperionIndexCountLookup", "filterBy": count_filter},
                          "zoneWide": true, "zoneID": {"zoneName": "PrimarySync"}}]})).await;
    assert_eq!(
        c["batch"][0]["records"][0]["fields"]["itemCount"]["value"],
        own_visible
    );

    // Paging: startRank in items, 199 records → 99 pairs, masters first.
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let (status, page) = ck(
            &http,
            &fake,
            "private",
            "records/query",
            &cookie,
            list_query(
                "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted",
                "PrimarySync",
                start,
                199,
                None,
            ),
        )
        .await;
        assert_eq!(status, 200);
        let records = page["records"].as_array().expect("records");
        let masters = records
            .iter()
            .take_while(|r| r["recordType"] == "CPLMaster")
            .count();
        assert_eq!(
            masters * 2,
            records.len(),
            "pairs never split, masters first"
        );
        assert!(masters <= 99);
        if masters == 0 {
            break;
        }
        for a in &records[masters..] {
            assert_eq!(a["recordType"], "CPLAsset");
            seen.push(a["recordName"].as_str().expect("name").to_string());
        }
        start += masters as u64;
    }
    assert_eq!(seen.len(), own_visible);
    let dates: Vec<i64> = seen
        .iter()
        .map(|id| {
            lib.photos
                .iter()
                .find(|p| &p.asset_id == id)
                .expect("photo")
                .asset_date_ms
        })
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "DESCENDING by assetDate"
    );

    // Shared zone in the shared database.
    let (status, page) = ck(
        &http,
        &fake,
        "shared",
        "records/query",
        &cookie,
        list_query(
            "CPLAssetAndMasterByAddedDate",
            &fake.shared_zone_name(),
            0,
            200,
            None,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        page["records"].as_array().expect("records").len(),
        2 * lib.photos.iter().filter(|p| p.shared && !p.deleted).count()
    );
    let (status, _) = ck(
        &http,
        &fake,
        "private",
        "records/query",
        &cookie,
        list_query(
            "CPLAssetAndMasterByAddedDate",
            &fake.shared_zone_name(),
            0,
            200,
            None,
        ),
    )
    .await;
    assert_eq!(
        status, 404,
        "a joined library is not in the private database"
    );

    // Albums: root level, folders, paging by continuationMarker.
    fake.set_album_page_size(2);
    let mut root = Vec::new();
    let mut body = json!({"query": {"recordType": "CPLAlbumByPositionLive"}, "zoneID": {"zoneName": "PrimarySync"}});
    loop {
        let (_, page) = ck(
            &http,
            &fake,
            "private",
            "records/query",
            &cookie,
            body.clone(),
        )
        .await;
        root.extend(
            page["records"]
                .as_array()
                .expect("records")
                .iter()
                .map(|r| r["recordName"].as_str().expect("n").to_string()),
        );
        match page["continuationMarker"].as_str() {
            Some(m) => body["continuationMarker"] = json!(m),
            None => break,
        }
    }
    let trips = lib
        .albums
        .iter()
        .find(|a| a.name == "Trips")
        .expect("trips");
    let family = lib
        .albums
        .iter()
        .find(|a| a.name == "Family")
        .expect("family");
    assert_eq!(
        root,
        [
            "----Root-Folder----",
            trips.record_name.as_str(),
            family.record_name.as_str()
        ]
    );
    let paris = lib
        .albums
        .iter()
        .find(|a| a.name == "Paris")
        .expect("paris");
    let (_, members) = ck(
        &http,
        &fake,
        "private",
        "records/query",
        &cookie,
        list_query(
            "CPLContainerRelationLiveByPosition",
            "PrimarySync",
            0,
            198,
            Some(&paris.record_name),
        ),
    )
    .await;
    let records = members["records"].as_array().expect("records");
    let live_members = paris
        .members
        .iter()
        .filter(|m| lib.photos.iter().any(|p| &p.asset_id == *m && !p.deleted))
        .count();
    assert_eq!(records.len(), 3 * live_members.min(66));
    assert_eq!(
        records.last().expect("one")["recordType"],
        "CPLContainerRelation"
    );

    // Remote delete: a stale tag conflicts; the current one moves it to Recently Deleted.
    let victim = lib
        .photos
        .iter()
        .find(|p| !p.shared && !p.deleted)
        .expect("victim");
    let op = |tag: &str| {
        json!({"atomic": true, "zoneID": {"zoneName": "PrimarySync"}, "desiredKeys": ["isDeleted"],
        "operations": [{"operationType": "update", "record": {"recordName": victim.asset_id, "recordType": "CPLAsset",
                        "recordChangeTag": tag, "fields": {"isDeleted": {"value": 1}}}}]})
    };
    let (_, r) = ck(
        &http,
        &fake,
        "private",
        "records/modify",
        &cookie,
        op("21h2"),
    )
    .await;
    assert_eq!(r["records"][0]["serverErrorCode"], "CONFLICT");
    let (_, r) = ck(
        &http,
        &fake,
        "private",
        "records/modify",
        &cookie,
        op(&victim.change_tag),
    )
    .await;
    assert_eq!(r["records"][0]["fields"]["isDeleted"]["value"], 1);
    assert!(r["records"][0]["expirationTime"].as_i64().expect("expiry") > now_ms() / 1000);
    assert_eq!(
        r["records"][0]["fields"].as_object().expect("fields").len(),
        1,
        "desiredKeys honoured"
    );
    assert_eq!(
        fake.deleted_remotely(),
        std::slice::from_ref(&victim.asset_id)
    );
    let (_, r) = ck(&http, &fake, "private", "records/lookup", &cookie,
        json!({"records": [{"recordName": victim.asset_id}], "zoneID": {"zoneName": "PrimarySync"}})).await;
    assert_eq!(r["records"][0]["fields"]["isDeleted"]["value"], 1);
    assert!(
        r["records"][0]["fields"]["dateExpunged"]["value"]
            .as_i64()
            .is_some()
    );
    let many: Vec<Value> = (0..201)
        .map(|_| json!({"operationType": "update", "record": {"recordName": "x"}}))
        .collect();
    let (status, _) = ck(
        &http,
        &fake,
        "private",
        "records/modify",
        &cookie,
        json!({"operations": many, "zoneID": {"zoneName": "PrimarySync"}}),
    )
    .await;
    assert_eq!(status, 400);

    // Indexing and faults.
    fake.set_indexing(false);
    let (_, r) = ck(&http, &fake, "private", "records/query", &cookie,
        json!({"query": {"recordType": "CheckIndexingState"}, "zoneID": {"zoneName": "PrimarySync"}})).await;
    assert_eq!(r["records"][0]["fields"]["state"]["value"], "RUNNING");
    fake.fail_next("records/query", 429, 1);
    let r = http
        .post(format!("{}/records/query", fake.database_url("private")))
        .header("Cookie", &cookie)
        .body(json!({"query": {"recordType": "CheckIndexingState"}, "zoneID": {"zoneName": "PrimarySync"}}).to_string())
        .send()
        .await
        .expect("q");
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(
        r.json::<Value>().await.expect("json")["serverErrorCode"],
        "THROTTLED"
    );
    assert!(fake.calls("records/query:CheckIndexingState") >= 2);

    // Runtime changes show up in the next listing.
    fake.expunge_photo(&victim.asset_id);
    let (_, r) = ck(&http, &fake, "private", "records/lookup", &cookie,
        json!({"records": [{"recordName": victim.asset_id}], "zoneID": {"zoneName": "PrimarySync"}})).await;
    assert_eq!(r["records"][0]["serverErrorCode"], "NOT_FOUND");
}

#[tokio::test]
async fn records_carry_apples_fields_and_follow_runtime_changes() {
    let generated = generated_library(60, 9);
    let find = |f: &dyn Fn(&FakePhoto) -> bool| {
        generated
            .photos
            .iter()
            .find(|p| f(p))
            .cloned()
            .expect("kind present")
    };
    let mut live = find(&|p| matches!(p.kind, FakeKind::Live { .. }));
    let video = find(&|p| matches!(p.kind, FakeKind::Video));
    let mut edited = find(&|p| matches!(p.kind, FakeKind::Photo) && p.edited.is_none());
    for p in [&mut live, &mut edited] {
        p.hidden = false;
        p.deleted = false;
        p.shared = false;
    }
    edited.edited = Some((b"\xFF\xD8edited".to_vec(), "public.jpeg".into()));
    edited.location = Some((48.8584, 2.2945));
    edited.tz_offset_s = Some(7200);
    edited.caption = Some("Tour Eiffel".into());
    edited.favorite = true;
    let library = FakeLibrary {
        photos: vec![live.clone(), video.clone(), edited.clone()],
        albums: vec![],
        shared_zone: None,
    };
    let fake = FakeIcloud::start(FakeAppleAccount::new("b@example.com", "pw"), library).await;
    let http = reqwest::Client::new();
    let cookie = fake.web_session_cookie();
    let (_, page) = ck(
        &http,
        &fake,
        "private",
        "records/query",
        &cookie,
        list_query("CPLAssetAndMasterByAddedDate", "PrimarySync", 0, 200, None),
    )
    .await;
    let records = page["records"].as_array().expect("records");
    let asset = |id: &str| {
        records
            .iter()
            .find(|r| r["recordName"] == id)
            .expect("asset")
            .clone()
    };
    let master_of = |a: &Value| {
        let name = a["fields"]["masterRef"]["value"]["recordName"].clone();
        records
            .iter()
            .find(|r| r["recordName"] == name && r["recordType"] == "CPLMaster")
            .expect("master")
            .clone()
    };

    let l = master_of(&asset(&live.asset_id));
    assert_eq!(
        l["fields"]["resOriginalVidComplFileType"]["value"],
        "com.apple.quicktime-movie"
    );
    let FakeKind::Live { video: movie } = &live.kind else {
        unreachable!("live")
    };
    assert_eq!(
        l["fields"]["resOriginalVidComplRes"]["value"]["fileChecksum"],
        B64.encode(file_checksum(movie))
    );
    assert_eq!(
        asset(&live.asset_id)["fields"]["assetSubtypeV2"]["value"],
        2
    );
    assert_eq!(
        l["fields"]["filenameEnc"],
        json!({"value": B64.encode(live.file_name.as_bytes()), "type": "ENCRYPTED_BYTES"})
    );

    let v = master_of(&asset(&video.asset_id));
    assert_eq!(
        v["fields"]["itemType"]["value"],
        "com.apple.quicktime-movie"
    );
    assert_eq!(v["fields"]["dataClassType"]["value"], 2);
    assert_eq!(v["fields"]["resOriginalWidth"]["value"], 64);

    let e = asset(&edited.asset_id);
    let f = &e["fields"];
    assert_eq!(f["adjustmentType"]["value"], "com.apple.photo");
    assert_eq!(f["resJPEGFullFileType"]["value"], "public.jpeg");
    assert_eq!(
        f["resJPEGFullRes"]["value"]["fileChecksum"],
        B64.encode(file_checksum(b"\xFF\xD8edited"))
    );
    assert_eq!(f["timeZoneOffset"], json!({"value": 7200, "type": "INT64"}));
    assert_eq!(f["isFavorite"]["value"], 1);
    assert_eq!(f["locationLatitude"]["value"], 48.8584);
    assert!(
        B64.decode(f["locationEnc"]["value"].as_str().expect("loc"))
            .expect("b64")
            .starts_with(b"bplist00")
    );
    assert_eq!(f["captionEnc"]["value"], B64.encode("Tour Eiffel"));
    assert_eq!(
        f["assetDate"],
        json!({"value": edited.asset_date_ms, "type": "TIMESTAMP"})
    );
    let tag = fake
        .library()
        .photos
        .iter()
        .find(|p| p.asset_id == edited.asset_id)
        .expect("photo")
        .change_tag
        .clone();
    assert!(
        !tag.is_empty(),
        "the fake assigns a tag when the test leaves it empty"
    );
    assert_eq!(e["recordChangeTag"], json!(tag));
    let m = master_of(&e);
    assert_eq!(m["recordName"], B64.encode(file_checksum(&edited.bytes)));
    assert_eq!(
        m["fields"]["resOriginalFingerprint"]["value"],
        m["recordName"]
    );

    // Changes made by the test appear in the next answers.
    fake.delete_photo(&edited.asset_id);
    let (_, gone) = ck(
        &http,
        &fake,
        "private",
        "records/query",
        &cookie,
        list_query(
            "CPLAssetAndMasterDeletedByExpungedDate",
            "PrimarySync",
            0,
            200,
            None,
        ),
    )
    .await;
    let gone = gone["records"].as_array().expect("records");
    assert_eq!(gone.len(), 2);
    assert_eq!(gone[1]["fields"]["isDeleted"]["value"], 1);
    assert_ne!(
        gone[1]["recordChangeTag"],
        json!(tag),
        "a change moves the tag on"
    );
    let mut fresh = video.clone();
    fresh.asset_id = "0F0F0F0F-0000-4000-8000-000000000001".into();
    fresh.bytes.extend_from_slice(b"\0\0\0\x0cfreeNEW!");
    fresh.change_tag = String::new();
    fake.add_photo(fresh.clone());
    fake.edit_photo(&video.asset_id, |p| p.favorite = true);
    let (_, page) = ck(
        &http,
        &fake,
        "private",
        "records/query",
        &cookie,
        list_query(
            "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted",
            "PrimarySync",
            0,
            200,
            None,
        ),
    )
    .await;
    let names: Vec<&str> = page["records"]
        .as_array()
        .expect("r")
        .iter()
        .filter(|r| r["recordType"] == "CPLAsset")
        .map(|r| r["recordName"].as_str().expect("n"))
        .collect();
    assert!(names.contains(&fresh.asset_id.as_str()));
    assert!(!names.contains(&edited.asset_id.as_str()));
    let snapshot = fake.library();
    assert!(
        snapshot
            .photos
            .iter()
            .any(|p| p.asset_id == video.asset_id && p.favorite)
    );
    assert!(
        !snapshot
            .photos
            .iter()
            .find(|p| p.asset_id == fresh.asset_id)
            .expect("fresh")
            .change_tag
            .is_empty()
    );
}
