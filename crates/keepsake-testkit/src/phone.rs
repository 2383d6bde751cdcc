//! The phone simulator: [`Phone`], a client that does what the Immich app
//! does (its headers, a cookie jar that keeps what the server sets, discovery
//! and login, uploads in the app's exact multipart encodings, sync and ack),
//! and [`PhoneDb`], the app's own SQLite tables for the remote mirror, created at test time from the app's drift schema export
//! (`drift_schema_v31.json`, read from the shared reference folder, never
//! copied into this repository) with `PRAGMA foreign_keys = ON`. Each sync
//! stream line is written the way the app writes it, so the app's real primary
//! keys, unique indexes, foreign keys, `STRICT` types and `CHECK`s judge the
//! stream; a rejected line is an error naming that line.
//!
//! Enum columns are stored as the app's `EnumIndexConverter` does (the index in
//! the Dart enum); see [`enum_index`] for the orders assumed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::{Client, Reply, TestServer};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// The mirror tables the sync stream fills, parents before children.
pub const TABLES: [&str; 7] = [
    "user_entity",
    "auth_user_entity",
    "remote_asset_entity",
    "remote_exif_entity",
    "remote_album_entity",
    "remote_album_user_entity",
    "remote_album_asset_entity",
];

/// Types the app knows but whose tables this simulator does not model; they
/// are accepted and counted in [`PhoneDb::skipped`].
const NOT_MODELLED: [&str; 24] = [
    "PartnerV1",
    "PartnerDeleteV1",
    "StackV1",
    "StackDeleteV1",
    "PartnerStackV1",
    "PartnerStackBackfillV1",
    "PartnerStackDeleteV1",
    "PersonV1",
    "PersonDeleteV1",
    "AssetFaceV2",
    "AssetFaceDeleteV1",
    "MemoryV1",
    "MemoryDeleteV1",
    "MemoryToAssetV1",
    "MemoryToAssetDeleteV1",
    "AssetMetadataV1",
    "AssetMetadataDeleteV1",
    "UserMetadataV1",
    "UserMetadataDeleteV1",
    "AssetEditV1",
    "AssetEditDeleteV1",
    "AssetOcrV1",
    "AssetOcrDeleteV1",
    "SyncAckV1",
];

/// Where the schema export is expected: `$KEEPSAKE_SHARED/reference/...`,
/// by default `<repo>/../shared/reference/...`.
pub fn schema_path() -> PathBuf {
    let shared = std::env::var_os("KEEPSAKE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("reference/immich-mobile/drift_schema_v31.json")
}

/// Whether the app's schema export is on this machine. The repository holds
/// no copy of it, so on a machine without the shared reference folder the
/// phone-database tests say so on stderr and do not run.
pub fn schema_available() -> bool {
    let path = schema_path();
    if path.is_file() {
        return true;
    }
    eprintln!(
        "SKIPPED: the phone-database tests need the Immich app's schema export at {} \
         (set KEEPSAKE_SHARED to the folder holding reference/)",
        path.display()
    );
    false
}

/// The `CREATE TABLE` / `CREATE INDEX` statements for [`TABLES`], generated
/// from the schema export's columns, primary keys, constraints and indexes.
pub fn schema_sql() -> Vec<String> {
    let path = schema_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the app's drift schema export is needed for the phone simulator; \
             looked for it at {} ({e})",
            path.display()
        )
    });
    let schema: Value = serde_json::from_str(&text).expect("drift schema is JSON");
    let entities = schema["entities"].as_array().expect("entities");
    let mut ids = BTreeMap::new();
    let mut statements = Vec::new();
    for name in TABLES {
        let entity = entities
            .iter()
            .find(|e| e["type"] == "table" && e["data"]["name"] == name)
            .unwrap_or_else(|| panic!("table {name} not in {}", path.display()));
        ids.insert(entity["id"].as_i64().expect("entity id"), name);
        statements.push(create_table(&entity["data"]));
    }
    for entity in entities.iter().filter(|e| e["type"] == "index") {
        let on = entity["data"]["on"].as_i64().expect("index target");
        if ids.contains_key(&on) {
            let sql = entity["data"]["sql"].as_str().expect("index sql");
            statements.push(sql.trim().to_string());
        }
    }
    statements
}

fn create_table(table: &Value) -> String {
    let name = table["name"].as_str().expect("table name");
    let mut parts = Vec::new();
    for col in table["columns"].as_array().expect("columns") {
        let cname = col["name"].as_str().expect("column name");
        let ty = match col["moor_type"].as_str().expect("moor_type") {
            "string" | "dateTime" => "TEXT", // store_date_time_values_as_text
            "int" | "bool" | "bigInt" => "INTEGER",
            "double" => "REAL",
            "blob" => "BLOB",
            other => panic!("unknown drift type {other} in {name}.{cname}"),
        };
        let mut def = format!("\"{cname}\" {ty}");
        if let Some(custom) = col["customConstraints"].as_str() {
            def.push(' ');
            def.push_str(custom);
        } else {
            def.push_str(if col["nullable"] == true {
                " NULL"
            } else {
                " NOT NULL"
            });
            if let Some(default) = col["default_dart"].as_str() {
                let expr = default
                    .strip_prefix("const CustomExpression('")
                    .and_then(|d| d.strip_suffix("')"))
                    .unwrap_or_else(|| panic!("default {default} of {name}.{cname}"))
                    .replace("\\'", "'");
                def.push_str(&format!(" DEFAULT ({expr})"));
            }
            let constraint = col["dialectAwareDefaultConstraints"]["sqlite"]
                .as_str()
                .or(col["defaultConstraints"].as_str());
            if let Some(c) = constraint {
                def.push(' ');
                def.push_str(c);
            }
        }
        parts.push(def);
    }
    if let Some(pk) = table["explicit_pk"].as_array() {
        let cols: Vec<String> = pk
            .iter()
            .map(|c| format!("\"{}\"", c.as_str().expect("pk column")))
            .collect();
        parts.push(format!("PRIMARY KEY ({})", cols.join(", ")));
    }
    for c in table["constraints"].as_array().into_iter().flatten() {
        parts.push(c.as_str().expect("table constraint").to_string());
    }
    let mut sql = format!("CREATE TABLE \"{name}\" ({})", parts.join(", "));
    let mut options = Vec::new();
    if table["without_rowid"] == true {
        options.push("WITHOUT ROWID");
    }
    if table["strict"] == true {
        options.push("STRICT");
    }
    if !options.is_empty() {
        sql.push(' ');
        sql.push_str(&options.join(", "));
    }
    sql
}

/// The Dart enum order behind each `EnumIndexConverter` column; the stored
/// value is the position. `AlbumUserRole` puts `owner` after the two roles the
/// older app knew (not verified against the app source here).
pub fn enum_index(kind: &str, value: &str) -> Option<i64> {
    let order: &[&str] = match kind {
        "AssetType" => &["OTHER", "IMAGE", "VIDEO", "AUDIO"],
        "AssetVisibility" => &["timeline", "hidden", "archive", "locked"],
        "AlbumAssetOrder" => &["asc", "desc"],
        "AlbumUserRole" => &["editor", "viewer", "owner"],
        "AvatarColor" => &[
            "primary", "pink", "red", "yellow", "blue", "green", "purple", "orange", "gray",
            "amber",
        ],
        _ => return None,
    };
    order.iter().position(|v| *v == value).map(|i| i as i64)
}

/// A bound SQL value.
#[derive(Clone, Debug)]
enum Arg {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// The phone's database: a temp SQLite file holding the app's mirror tables.
pub struct PhoneDb {
    pool: SqlitePool,
    /// Lines of types the app knows but this simulator has no table for.
    pub skipped: Vec<String>,
    _dir: tempfile::TempDir,
}

impl PhoneDb {
    pub async fn open() -> PhoneDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("immich.sqlite"))
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("open phone db");
        let on: (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .expect("pragma");
        assert_eq!(on.0, 1, "foreign keys are on, as in the app");
        for sql in schema_sql() {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
        PhoneDb {
            pool,
            skipped: Vec::new(),
            _dir: dir,
        }
    }

    /// Applies every line in order, stopping at the first rejected one.
    pub async fn apply_all(&mut self, lines: &[Value]) -> Result<(), String> {
        for line in lines {
            self.apply(line).await?;
        }
        Ok(())
    }

    /// Writes one sync line as the app does; the error names the line.
    pub async fn apply(&mut self, line: &Value) -> Result<(), String> {
        self.apply_inner(line)
            .await
            .map_err(|e| format!("{e}\n  line: {line}"))
    }

    async fn apply_inner(&mut self, line: &Value) -> Result<(), String> {
        let kind = line["type"].as_str().ok_or("no type")?;
        let d = &line["data"];
        match kind {
            "AuthUserV1" => {
                let cols = vec![
                    ("id", Some(text(d, "id")?)),
                    ("name", Some(text(d, "name")?)),
                    ("email", Some(text(d, "email")?)),
                    ("is_admin", Some(boolean(d, "isAdmin")?)),
                    ("has_profile_image", Some(boolean(d, "hasProfileImage")?)),
                    ("profile_changed_at", Some(date(d, "profileChangedAt")?)),
                    ("avatar_color", Some(avatar(d)?)),
                    (
                        "quota_size_in_bytes",
                        non_null(int_opt(d, "quotaSizeInBytes")?),
                    ),
                    ("quota_usage_in_bytes", Some(int(d, "quotaUsageInBytes")?)),
                    ("pin_code", Some(text_opt(d, "pinCode")?)),
                ];
                self.upsert("auth_user_entity", &["id"], cols).await
            }
            "UserV1" => {
                // The app patches hasProfileImage / profileChangedAt if missing.
                let cols = vec![
                    ("id", Some(text(d, "id")?)),
                    ("name", Some(text(d, "name")?)),
                    ("email", Some(text(d, "email")?)),
                    (
                        "has_profile_image",
                        non_null(bool_opt(d, "hasProfileImage")?),
                    ),
                    (
                        "profile_changed_at",
                        non_null(date_opt(d, "profileChangedAt")?),
                    ),
                    ("avatar_color", Some(avatar(d)?)),
                ];
                self.upsert("user_entity", &["id"], cols).await
            }
            "UserDeleteV1" => {
                self.delete("user_entity", &[("id", text(d, "userId")?)])
                    .await
            }
            "AssetV2"
            | "PartnerAssetV2"
            | "PartnerAssetBackfillV2"
            | "AlbumAssetCreateV2"
            | "AlbumAssetUpdateV2"
            | "AlbumAssetBackfillV2" => {
                let cols = vec![
                    ("id", Some(text(d, "id")?)),
                    ("name", Some(text(d, "originalFileName")?)),
                    ("type", Some(enumerated(d, "type", "AssetType")?)),
                    ("created_at", non_null(date_opt(d, "fileCreatedAt")?)),
                    ("updated_at", non_null(date_opt(d, "fileModifiedAt")?)),
                    ("width", Some(int_opt(d, "width")?)),
                    ("height", Some(int_opt(d, "height")?)),
                    ("duration_ms", Some(int_opt(d, "duration")?)),
                    ("checksum", Some(text(d, "checksum")?)),
                    ("is_favorite", Some(boolean(d, "isFavorite")?)),
                    ("owner_id", Some(text(d, "ownerId")?)),
                    ("local_date_time", Some(date_opt(d, "localDateTime")?)),
                    ("thumb_hash", Some(text_opt(d, "thumbhash")?)),
                    ("deleted_at", Some(date_opt(d, "deletedAt")?)),
                    ("uploaded_at", Some(date_opt(d, "createdAt")?)),
                    (
                        "live_photo_video_id",
                        Some(text_opt(d, "livePhotoVideoId")?),
                    ),
                    (
                        "visibility",
                        Some(enumerated(d, "visibility", "AssetVisibility")?),
                    ),
                    ("stack_id", Some(text_opt(d, "stackId")?)),
                    ("library_id", Some(text_opt(d, "libraryId")?)),
                    ("is_edited", Some(boolean(d, "isEdited")?)),
                ];
                self.upsert("remote_asset_entity", &["id"], cols).await
            }
            "AssetDeleteV1" | "PartnerAssetDeleteV1" => {
                self.delete("remote_asset_entity", &[("id", text(d, "assetId")?)])
                    .await
            }
            "AssetExifV1"
            | "PartnerAssetExifV1"
            | "PartnerAssetExifBackfillV1"
            | "AlbumAssetExifCreateV1"
            | "AlbumAssetExifUpdateV1"
            | "AlbumAssetExifBackfillV1" => {
                let cols = vec![
                    ("asset_id", Some(text(d, "assetId")?)),
                    ("city", Some(text_opt(d, "city")?)),
                    ("state", Some(text_opt(d, "state")?)),
                    ("country", Some(text_opt(d, "country")?)),
                    ("date_time_original", Some(date_opt(d, "dateTimeOriginal")?)),
                    ("description", Some(text_opt(d, "description")?)),
                    ("height", Some(int_opt(d, "exifImageHeight")?)),
                    ("width", Some(int_opt(d, "exifImageWidth")?)),
                    ("exposure_time", Some(text_opt(d, "exposureTime")?)),
                    ("f_number", Some(real_opt(d, "fNumber")?)),
                    ("file_size", Some(int_opt(d, "fileSizeInByte")?)),
                    ("focal_length", Some(real_opt(d, "focalLength")?)),
                    ("latitude", Some(real_opt(d, "latitude")?)),
                    ("longitude", Some(real_opt(d, "longitude")?)),
                    ("iso", Some(int_opt(d, "iso")?)),
                    ("make", Some(text_opt(d, "make")?)),
                    ("model", Some(text_opt(d, "model")?)),
                    ("lens", Some(text_opt(d, "lensModel")?)),
                    ("orientation", Some(text_opt(d, "orientation")?)),
                    ("time_zone", Some(text_opt(d, "timeZone")?)),
                    ("rating", Some(int_opt(d, "rating")?)),
                    ("projection_type", Some(text_opt(d, "projectionType")?)),
                ];
                self.upsert("remote_exif_entity", &["asset_id"], cols).await
            }
            "AlbumV2" => {
                let cols = vec![
                    ("id", Some(text(d, "id")?)),
                    ("name", Some(text(d, "name")?)),
                    ("description", Some(text(d, "description")?)),
                    ("created_at", Some(date(d, "createdAt")?)),
                    ("updated_at", Some(date(d, "updatedAt")?)),
                    ("thumbnail_asset_id", Some(text_opt(d, "thumbnailAssetId")?)),
                    (
                        "is_activity_enabled",
                        Some(boolean(d, "isActivityEnabled")?),
                    ),
                    ("order", Some(enumerated(d, "order", "AlbumAssetOrder")?)),
                ];
                self.upsert("remote_album_entity", &["id"], cols).await
            }
            "AlbumDeleteV1" => {
                self.delete("remote_album_entity", &[("id", text(d, "albumId")?)])
                    .await
            }
            "AlbumUserV1" | "AlbumUserBackfillV1" => {
                let cols = vec![
                    ("album_id", Some(text(d, "albumId")?)),
                    ("user_id", Some(text(d, "userId")?)),
                    ("role", Some(enumerated(d, "role", "AlbumUserRole")?)),
                ];
                self.upsert("remote_album_user_entity", &["album_id", "user_id"], cols)
                    .await
            }
            "AlbumUserDeleteV1" => {
                let key = [
                    ("album_id", text(d, "albumId")?),
                    ("user_id", text(d, "userId")?),
                ];
                self.delete("remote_album_user_entity", &key).await
            }
            "AlbumToAssetV1" | "AlbumToAssetBackfillV1" => {
                // ON CONFLICT DO NOTHING, which does not swallow FK errors.
                let sql = "INSERT INTO \"remote_album_asset_entity\" (\"asset_id\", \"album_id\") \
                           VALUES (?, ?) ON CONFLICT DO NOTHING";
                self.exec(sql, vec![text(d, "assetId")?, text(d, "albumId")?])
                    .await
            }
            "AlbumToAssetDeleteV1" => {
                let key = [
                    ("album_id", text(d, "albumId")?),
                    ("asset_id", text(d, "assetId")?),
                ];
                self.delete("remote_album_asset_entity", &key).await
            }
            "SyncResetV1" => {
                for table in TABLES.iter().rev() {
                    self.exec(&format!("DELETE FROM \"{table}\""), vec![])
                        .await?;
                }
                Ok(())
            }
            "SyncCompleteV1" => Ok(()),
            k if NOT_MODELLED.contains(&k) => {
                self.skipped.push(k.to_string());
                Ok(())
            }
            other => Err(format!("the app does not know the type {other}")),
        }
    }

    async fn upsert(
        &self,
        table: &str,
        key: &[&str],
        cols: Vec<(&str, Option<Arg>)>,
    ) -> Result<(), String> {
        // `None` means "not sent": the column keeps its default / old value.
        let cols: Vec<(&str, Arg)> = cols
            .into_iter()
            .filter_map(|(c, v)| v.map(|v| (c, v)))
            .collect();
        let names: Vec<String> = cols.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let marks = vec!["?"; cols.len()].join(", ");
        let keys: Vec<String> = key.iter().map(|c| format!("\"{c}\"")).collect();
        let updates: Vec<String> = cols
            .iter()
            .filter(|(c, _)| !key.contains(c))
            .map(|(c, _)| format!("\"{c}\" = excluded.\"{c}\""))
            .collect();
        let sql = format!(
            "INSERT INTO \"{table}\" ({}) VALUES ({marks}) ON CONFLICT ({}) DO UPDATE SET {}",
            names.join(", "),
            keys.join(", "),
            updates.join(", ")
        );
        self.exec(&sql, cols.into_iter().map(|(_, v)| v).collect())
            .await
    }

    async fn delete(&self, table: &str, key: &[(&str, Arg)]) -> Result<(), String> {
        let wheres: Vec<String> = key.iter().map(|(c, _)| format!("\"{c}\" = ?")).collect();
        let sql = format!("DELETE FROM \"{table}\" WHERE {}", wheres.join(" AND "));
        self.exec(&sql, key.iter().map(|(_, v)| v.clone()).collect())
            .await
    }

    async fn exec(&self, sql: &str, args: Vec<Arg>) -> Result<(), String> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for a in args {
            q = match a {
                Arg::Null => q.bind(None::<String>),
                Arg::Int(i) => q.bind(i),
                Arg::Real(f) => q.bind(f),
                Arg::Text(s) => q.bind(s),
            };
        }
        q.execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| format!("the phone's database rejected it: {e}\n  sql: {sql}"))
    }

    /// Every remote asset: id → `deleted_at`.
    pub async fn assets(&self) -> BTreeMap<String, Option<String>> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, deleted_at FROM remote_asset_entity")
                .fetch_all(&self.pool)
                .await
                .expect("assets");
        rows.into_iter().collect()
    }

    /// Every remote album: id → name.
    pub async fn albums(&self) -> BTreeMap<String, String> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM remote_album_entity")
                .fetch_all(&self.pool)
                .await
                .expect("albums");
        rows.into_iter().collect()
    }

    /// Album members: (album, user) → role, decoded back to the API spelling.
    pub async fn album_users(&self) -> BTreeMap<(String, String), String> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT album_id, user_id, role FROM remote_album_user_entity")
                .fetch_all(&self.pool)
                .await
                .expect("album users");
        rows.into_iter()
            .map(|(a, u, r)| {
                let role = ["editor", "viewer", "owner"]
                    .iter()
                    .find(|name| enum_index("AlbumUserRole", name) == Some(r))
                    .expect("known role");
                ((a, u), role.to_string())
            })
            .collect()
    }

    /// Album contents: (album, asset).
    pub async fn album_assets(&self) -> BTreeSet<(String, String)> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT album_id, asset_id FROM remote_album_asset_entity")
                .fetch_all(&self.pool)
                .await
                .expect("album assets");
        rows.into_iter().collect()
    }

    /// Asset ids that have an EXIF row.
    pub async fn exif_assets(&self) -> BTreeSet<String> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT asset_id FROM remote_exif_entity")
            .fetch_all(&self.pool)
            .await
            .expect("exif");
        rows.into_iter().map(|r| r.0).collect()
    }

    /// Every row of every mirror table, each as SQLite's `quote()` of its
    /// columns in schema order, sorted: two phones whose dumps are equal
    /// show the same library, field for field.
    pub async fn dump(&self) -> BTreeMap<&'static str, Vec<String>> {
        let mut out = BTreeMap::new();
        for table in TABLES {
            let columns: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            )))
            .fetch_all(&self.pool)
            .await
            .expect("columns");
            let quoted: Vec<String> = columns
                .iter()
                .map(|(c,)| format!("quote(\"{c}\")"))
                .collect();
            let sql = format!("SELECT {} FROM \"{table}\"", quoted.join(" || ' | ' || "));
            let mut rows: Vec<String> = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await
                .expect("rows")
                .into_iter()
                .map(|r| r.0)
                .collect();
            rows.sort();
            out.insert(table, rows);
        }
        out
    }

    /// Users in `user_entity` (the FK target for everything).
    pub async fn users(&self) -> BTreeSet<String> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM user_entity")
            .fetch_all(&self.pool)
            .await
            .expect("users");
        rows.into_iter().map(|r| r.0).collect()
    }
}

fn non_null(a: Arg) -> Option<Arg> {
    match a {
        Arg::Null => None,
        a => Some(a),
    }
}

fn text(d: &Value, k: &str) -> Result<Arg, String> {
    match &d[k] {
        Value::String(s) => Ok(Arg::Text(s.clone())),
        v => Err(format!("{k} must be a string, got {v}")),
    }
}

fn text_opt(d: &Value, k: &str) -> Result<Arg, String> {
    match &d[k] {
        Value::Null => Ok(Arg::Null),
        _ => text(d, k),
    }
}

fn int(d: &Value, k: &str) -> Result<Arg, String> {
    d[k].as_i64()
        .map(Arg::Int)
        .ok_or_else(|| format!("{k} must be a JSON integer, got {}", d[k]))
}

fn int_opt(d: &Value, k: &str) -> Result<Arg, String> {
    match &d[k] {
        Value::Null => Ok(Arg::Null),
        _ => int(d, k),
    }
}

fn real_opt(d: &Value, k: &str) -> Result<Arg, String> {
    match &d[k] {
        Value::Null => Ok(Arg::Null),
        v => v
            .as_f64()
            .map(Arg::Real)
            .ok_or_else(|| format!("{k} must be a number, got {v}")),
    }
}

fn boolean(d: &Value, k: &str) -> Result<Arg, String> {
    d[k].as_bool()
        .map(|b| Arg::Int(b as i64))
        .ok_or_else(|| format!("{k} must be a boolean, got {}", d[k]))
}

fn bool_opt(d: &Value, k: &str) -> Result<Arg, String> {
    match &d[k] {
        Value::Null => Ok(Arg::Null),
        _ => boolean(d, k),
    }
}

/// An ISO-8601 date as the app's `DateTime.tryParse` accepts and drift stores
/// it (text). Only the shape is checked: `YYYY-MM-DDTHH:MM:SS` then optional
/// fraction and a `Z` or `±HH:MM` zone.
fn date(d: &Value, k: &str) -> Result<Arg, String> {
    let s = d[k]
        .as_str()
        .ok_or_else(|| format!("{k} must be an ISO date string, got {}", d[k]))?;
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T') | Some(b' '))
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16);
    if !shape {
        return Err(format!("{k} is not an ISO-8601 date: {s}"));
    }
    Ok(Arg::Text(s.to_string()))
}

fn date_opt(d: &Value, k: &str) -> Result<Arg, String> {
    match &d[k] {
        Value::Null => Ok(Arg::Null),
        _ => date(d, k),
    }
}

fn enumerated(d: &Value, k: &str, kind: &str) -> Result<Arg, String> {
    let s = d[k]
        .as_str()
        .ok_or_else(|| format!("{k} must be a string, got {}", d[k]))?;
    enum_index(kind, s)
        .map(Arg::Int)
        .ok_or_else(|| format!("{k} {s:?} is not a {kind} the app knows"))
}

/// `avatarColor` is optional in the stream; the app then stores `primary` (0).
fn avatar(d: &Value) -> Result<Arg, String> {
    match &d["avatarColor"] {
        Value::Null => Ok(Arg::Int(0)),
        _ => enumerated(d, "avatarColor", "AvatarColor"),
    }
}

/// The 22 request types the 3.1.0 app sends (immich-mobile.md §3.2).
pub const APP_TYPES: [&str; 22] = [
    "AuthUsersV1",
    "UsersV1",
    "AssetsV2",
    "AssetExifsV1",
    "AssetEditsV1",
    "AssetMetadataV1",
    "PartnersV1",
    "PartnerAssetsV2",
    "PartnerAssetExifsV1",
    "AlbumsV2",
    "AlbumUsersV1",
    "AlbumAssetsV2",
    "AlbumAssetExifsV1",
    "AlbumToAssetsV1",
    "MemoriesV1",
    "MemoryToAssetsV1",
    "StacksV1",
    "PartnerStacksV1",
    "UserMetadataV1",
    "PeopleV1",
    "AssetFacesV2",
    "AssetOcrV1",
];

// ---- the phone as a client: what the app sends, with its cookie jar ----

/// A phone: the app's headers and a cookie jar that keeps whatever
/// `Set-Cookie` the server sends (OkHttp's `PersistentCookieJar`, iOS's
/// `HTTPCookieStorage`). It never sends a token of its own.
pub struct Phone {
    pub client: Client,
    /// The cookies the server set, by name.
    pub jar: Vec<(String, String)>,
    pub user_agent: &'static str,
    pub model: &'static str,
    pub os: &'static str,
}

impl Phone {
    pub fn iphone(server: &TestServer) -> Phone {
        Phone {
            client: server.anonymous(),
            jar: Vec::new(),
            user_agent: "immich-ios/3.1.0",
            model: "iPhone15,2",
            os: "iOS",
        }
    }

    pub fn pixel(server: &TestServer) -> Phone {
        Phone {
            client: server.anonymous(),
            jar: Vec::new(),
            user_agent: "immich-android/3.1.0",
            model: "Pixel 8",
            os: "Android",
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self
            .client
            .request(method, path)
            .header("user-agent", self.user_agent)
            .header("deviceModel", self.model)
            .header("deviceType", self.os);
        if !self.jar.is_empty() {
            let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            rb = rb.header("cookie", cookies.join("; "));
        }
        rb
    }

    pub async fn send(&mut self, rb: reqwest::RequestBuilder) -> Reply {
        let reply = self.client.send(rb).await;
        for c in set_cookies(&reply) {
            let (pair, attrs) = c.split_once(';').unwrap_or((&c, ""));
            let (name, value) = pair.split_once('=').expect("cookie pair");
            self.jar.retain(|(k, _)| k != name);
            if !attrs.contains("Max-Age=0") {
                self.jar.push((name.to_string(), value.to_string()));
            }
        }
        reply
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let rb = self.request(reqwest::Method::GET, path);
        self.send(rb).await
    }

    pub async fn post(&mut self, path: &str, body: &Value) -> Reply {
        let rb = self.request(reqwest::Method::POST, path).json(body);
        self.send(rb).await
    }

    /// Discovery, the public server calls and the password login, as the
    /// login form does them; returns the login answer.
    pub async fn log_in(&mut self, server: &TestServer, email: &str, password: &str) -> Value {
        let well_known = self
            .send(
                self.client
                    .http
                    .get(format!("{}/.well-known/immich", server.url)),
            )
            .await;
        assert_eq!(well_known.status, 200);
        assert_eq!(well_known.json(), json!({ "api": { "endpoint": "/api" } }));
        assert_eq!(
            self.get("/server/ping").await.json(),
            json!({ "res": "pong" })
        );
        let login = self
            .post(
                "/auth/login",
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(login.status, 201, "{}", login.body);
        login.json()
    }

    pub async fn upload(&mut self, body: Multipart) -> Reply {
        let rb = self
            .request(reqwest::Method::POST, "/assets")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={}", body.boundary),
            )
            .body(body.bytes);
        self.send(rb).await
    }
}

pub fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

pub fn cookie<'a>(cookies: &'a [String], name: &str) -> &'a str {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

/// A multipart body written byte for byte.
pub struct Multipart {
    pub boundary: &'static str,
    pub bytes: Vec<u8>,
}

impl Multipart {
    pub fn new(boundary: &'static str) -> Multipart {
        Multipart {
            boundary,
            bytes: Vec::new(),
        }
    }

    /// One part: its header lines exactly as given, then the content.
    pub fn part(mut self, headers: &[&str], content: &[u8]) -> Multipart {
        self.bytes.extend_from_slice(b"--");
        self.bytes.extend_from_slice(self.boundary.as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
        for h in headers {
            self.bytes.extend_from_slice(h.as_bytes());
            self.bytes.extend_from_slice(b"\r\n");
        }
        self.bytes.extend_from_slice(b"\r\n");
        self.bytes.extend_from_slice(content);
        self.bytes.extend_from_slice(b"\r\n");
        self
    }

    pub fn end(mut self) -> Multipart {
        self.bytes.extend_from_slice(b"--");
        self.bytes.extend_from_slice(self.boundary.as_bytes());
        self.bytes.extend_from_slice(b"--\r\n");
        self
    }
}

pub const DART_BOUNDARY: &str =
    "dart-http-boundary-Qh8x+vd2r_0.T1lq3f-Fz9Pk4Zl1sLNcVb.aG6uJmEwRo7yHx";
pub const IOS_BOUNDARY: &str = "-----background_downloader-akjhfw281onqciyhnIk";

/// A plain field as Dart's `MultipartRequest` writes it: only a
/// content-disposition, plus a text content type for non-ASCII values.
pub fn dart_field(m: Multipart, name: &str, value: &str) -> Multipart {
    let disposition = format!("content-disposition: form-data; name=\"{name}\"");
    if value.is_ascii() {
        m.part(&[&disposition], value.as_bytes())
    } else {
        m.part(
            &[
                "content-type: text/plain; charset=utf-8",
                "content-transfer-encoding: binary",
                &disposition,
            ],
            value.as_bytes(),
        )
    }
}

/// The file part as Dart writes it: content type first, raw UTF-8 file name.
pub fn dart_file(m: Multipart, file_name: &str, bytes: &[u8]) -> Multipart {
    let name = file_name.replace('"', "%22");
    m.part(
        &[
            "content-type: application/octet-stream",
            &format!("content-disposition: form-data; name=\"assetData\"; filename=\"{name}\""),
        ],
        bytes,
    )
}

/// The foreground upload (§2.2): every field first, then the file.
pub fn dart_upload(file_name: &str, bytes: &[u8], extra: &[(&str, &str)]) -> Multipart {
    let mut m = Multipart::new(DART_BOUNDARY);
    for (k, v) in [
        (
            "deviceAssetId",
            "9A1F6C2E-1B2C-4D5E-8F90-ABCDEF012345/L0/001",
        ),
        ("deviceId", "5e1c5f0f0c9b4c43a2f1c5a2b7d0e9f1"),
        ("fileCreatedAt", "2024-05-01T10:11:12.123456Z"),
        ("fileModifiedAt", "2024-05-02T08:00:00.000001Z"),
        ("isFavorite", "false"),
        ("duration", "0"),
    ] {
        if !extra.iter().any(|(name, _)| *name == k) {
            m = dart_field(m, k, v);
        }
    }
    for (k, v) in extra {
        m = dart_field(m, k, v);
    }
    dart_file(m, file_name, bytes).end()
}

impl Phone {
    /// One stream as the app runs it, into the app's own tables: the stream
    /// (cookie only), every line applied to `db` (foreign keys on; a
    /// `SyncResetV1` wipes the mirror tables as the app's `reset()` does),
    /// then the last ack of each run of one type. It does not follow a reset
    /// with the second stream: [`Phone::sync`] does.
    pub async fn sync_into(&mut self, db: &mut PhoneDb, types: &[&str]) -> Vec<Value> {
        let lines = self.stream_lines(types).await;
        db.apply_all(&lines)
            .await
            .expect("every line fits the app's schema");
        self.ack_runs(&lines).await;
        lines
    }

    /// A whole sync as the app's `syncRemote()` does it: one stream, and when
    /// that was a reset (mirror wiped, reset acked), at once a second stream,
    /// which is a full sync. Returns each stream's lines.
    pub async fn sync(&mut self, db: &mut PhoneDb, types: &[&str]) -> Vec<Vec<Value>> {
        let first = self.sync_into(db, types).await;
        let reset = first.last().is_some_and(|l| l["type"] == "SyncResetV1");
        let mut streams = vec![first];
        if reset {
            assert_eq!(streams[0].len(), 1, "a reset is the only line");
            streams.push(self.sync_into(db, types).await);
        }
        let last = streams.last().and_then(|s| s.last());
        assert_eq!(
            last.map(|l| l["type"].clone()),
            Some(json!("SyncCompleteV1")),
            "a sync ends complete"
        );
        streams
    }

    /// The stream's lines, read whole, neither applied nor acked (a phone
    /// that was killed before it stored anything).
    pub async fn stream_lines(&mut self, types: &[&str]) -> Vec<Value> {
        let r = self.post("/sync/stream", &json!({ "types": types })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.is_empty() || r.body.ends_with('\n'),
            "the app drops a last line without its newline"
        );
        r.body
            .split_terminator('\n')
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// A stream the connection drops after `n` whole lines: the phone stores
    /// and acks what it read (the last ack of each run, as the app does per
    /// processed batch) and nothing after. Returns the lines it read, fewer
    /// than `n` only if the stream ended first.
    pub async fn sync_cut_off(&mut self, db: &mut PhoneDb, types: &[&str], n: usize) -> Vec<Value> {
        let mut response = self
            .request(reqwest::Method::POST, "/sync/stream")
            .json(&json!({ "types": types }))
            .send()
            .await
            .expect("the stream starts");
        assert_eq!(response.status(), 200);
        let mut text = Vec::new();
        while text.iter().filter(|b| **b == b'\n').count() < n {
            match response.chunk().await.expect("the stream reads") {
                Some(chunk) => text.extend_from_slice(&chunk),
                None => break,
            }
        }
        // The connection goes; the rest of the answer is never read.
        drop(response);
        let text = String::from_utf8(text).expect("UTF-8");
        let lines: Vec<Value> = text
            .split_terminator('\n')
            .take(n)
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        db.apply_all(&lines)
            .await
            .expect("every line fits the app's schema");
        self.ack_runs(&lines).await;
        lines
    }

    /// Acks the last line of each run of one type, one call per run.
    pub async fn ack_runs(&mut self, lines: &[Value]) {
        for (i, line) in lines.iter().enumerate() {
            if lines
                .get(i + 1)
                .is_none_or(|next| next["type"] != line["type"])
            {
                let r = self
                    .post("/sync/ack", &json!({ "acks": [line["ack"].clone()] }))
                    .await;
                assert_eq!(r.status, 204, "{}", r.body);
            }
        }
    }
}
