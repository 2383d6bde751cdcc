//! Keepsake's metadata store: one schema, two engines.
//!
//! The main type is [`Db`]. You get one from [`Db::connect`] with a SQLite path
//! or a `postgres://` URL; it runs the engine's migrations before it returns.
//! Every query is hand-written SQL through sqlx's runtime `Any` driver, written
//! once in the dialect both engines share (`$1` parameters, integer
//! milliseconds for time, text ids); the few places where the engines differ
//! branch on [`Engine`]. The contract suite in `tests/contract` runs every
//! function here against a real SQLite file and a real PostgreSQL.
//!
//! Change tracking lives in the schema, not here: triggers stamp `change_id` on
//! every synced row and record every delete (see the migrations). Code in this
//! crate never writes `change_id` itself.
//!
//! Invariant: this crate knows nothing about HTTP, files or Immich's JSON.

pub mod albums;
pub mod assets;
pub mod auth;
pub mod changes;
pub mod imports;
pub mod jobs;
pub mod libraries;
pub mod media;
pub mod records;
pub mod remote;
pub mod sync;
pub mod tags;
#[doc(hidden)]
pub mod testing;
pub mod users;

use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub use records::*;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// An error from the metadata store. Messages say what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "cannot open the database at {target}: {source}. Check the path or URL, and that the server is reachable"
    )]
    Connect { target: String, source: sqlx::Error },
    #[error(
        "database migration {version} failed: {source}. The database was left at the previous version"
    )]
    Migrate { version: i64, source: sqlx::Error },
    #[error(
        "the database was written by a newer Keepsake (schema {found}, this build knows {known}); upgrade Keepsake"
    )]
    TooNew { found: i64, known: i64 },
    #[error("a row with the same {what} already exists")]
    Conflict { what: &'static str },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

impl DbError {
    /// Whether this is a unique-constraint violation (a duplicate insert).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Conflict { .. } => true,
            DbError::Sql(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, DbError>;

/// The metadata store: a pool on one engine, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    /// SQLite allows one writer; taking this lock before a write transaction
    /// turns "database is locked" races inside one process into a queue.
    write_lock: Arc<tokio::sync::Mutex<()>>,
}

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "media",
        sqlite: include_str!("../migrations/sqlite/0002_media.sql"),
        postgres: include_str!("../migrations/postgres/0002_media.sql"),
    },
    Migration {
        version: 3,
        name: "imports",
        sqlite: include_str!("../migrations/sqlite/0003_imports.sql"),
        postgres: include_str!("../migrations/postgres/0003_imports.sql"),
    },
    Migration {
        version: 4,
        name: "libraries",
        sqlite: include_str!("../migrations/sqlite/0004_libraries.sql"),
        postgres: include_str!("../migrations/postgres/0004_libraries.sql"),
    },
    Migration {
        version: 5,
        name: "sync",
        sqlite: include_str!("../migrations/sqlite/0005_sync.sql"),
        postgres: include_str!("../migrations/postgres/0005_sync.sql"),
    },
    Migration {
        version: 6,
        name: "remote_accounts",
        sqlite: include_str!("../migrations/sqlite/0006_remote_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0006_remote_accounts.sql"),
    },
    Migration {
        version: 7,
        name: "read_paths",
        sqlite: include_str!("../migrations/sqlite/0007_read_paths.sql"),
        postgres: include_str!("../migrations/postgres/0007_read_paths.sql"),
    },
];

/// How many migrations this build knows (what `keepsake_migrations` holds once
/// the schema is up to date).
pub fn migration_count() -> usize {
    MIGRATIONS.len()
}

impl Db {
    /// Opens (creating if needed) the database and brings its schema up to date.
    ///
    /// `target` is either a `postgres://` / `postgresql://` URL or a path to a
    /// SQLite file.
    pub async fn connect(target: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let engine = if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        let url = match engine {
            Engine::Postgres => target.to_string(),
            Engine::Sqlite => {
                let path = target.strip_prefix("sqlite://").unwrap_or(target);
                format!("sqlite://{path}?mode=rwc")
            }
        };
        let connect_err = |source| DbError::Connect {
            target: redact(target),
            source,
        };
        let options = AnyConnectOptions::from_str(&url).map_err(connect_err)?;
        let pool_options = match engine {
            Engine::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 15000").await?;
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            Ok(())
                        })
                    })
            }
            Engine::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        let db = Db {
            pool,
            engine,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
        };
        db.migrate().await?;
        Ok(db)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (tests use this before dropping a database).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE` behind an
    /// in-process lock, so it never fails half-way with "database is locked";
    /// other processes (the CLI next to a running server) wait on the busy timeout.
    /// On PostgreSQL it first locks the change counter's row: writers queue
    /// as on SQLite, across processes too.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        self.begin_write_with(true).await
    }

    /// `begin_write`; `order` false only before the change counter exists
    /// (the first migration).
    async fn begin_write_with(&self, order: bool) -> Result<WriteTx> {
        match self.engine {
            Engine::Sqlite => {
                let guard = self.write_lock.clone().lock_owned().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx {
                    tx,
                    _guard: Some(guard),
                })
            }
            Engine::Postgres => {
                // Writers take the change counter's row lock first, so every
                // write transaction queues in one order: no deadlocks between
                // a delete cascading into rows a job is updating, twin jobs
                // claimed one after the other, and change ids that commit in
                // the order they were taken (what the sync stream relies on).
                let mut tx = self.pool.begin().await?;
                if order {
                    sqlx::query("SELECT value FROM change_counter WHERE id = 1 FOR UPDATE")
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(WriteTx { tx, _guard: None })
            }
        }
    }

    /// Applies the migrations this build knows and the database lacks (idempotent).
    pub async fn migrate(&self) -> Result<()> {
        let create = "CREATE TABLE IF NOT EXISTS keepsake_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
        self.pool.execute(create).await?;
        let applied: Option<i64> = sqlx::query("SELECT MAX(version) AS v FROM keepsake_migrations")
            .fetch_one(&self.pool)
            .await?
            .try_get::<Option<i64>, _>("v")?;
        let applied = applied.unwrap_or(0);
        let known = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
        if applied > known {
            return Err(DbError::TooNew {
                found: applied,
                known,
            });
        }
        for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
            let sql = match self.engine {
                Engine::Sqlite => migration.sqlite,
                Engine::Postgres => migration.postgres,
            };
            let mut tx = self.begin_write_with(applied > 0).await?;
            let run = async {
                tx.conn().execute(sql).await?;
                sqlx::query("INSERT INTO keepsake_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(migration.version)
                    .bind(migration.name)
                    .bind(now_ms())
                    .execute(tx.conn())
                    .await?;
                Ok::<(), sqlx::Error>(())
            };
            run.await.map_err(|source| DbError::Migrate {
                version: migration.version,
                source,
            })?;
            tx.commit().await?;
            tracing::info!(
                version = migration.version,
                name = migration.name,
                "applied database migration"
            );
        }
        Ok(())
    }
}

/// A write transaction (see [`Db::begin_write`]). Dropping it rolls back.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// The current time in the one representation the store uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new random (v4) id, the form Immich's clients validate.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Reads a boolean column on either engine (SQLite hands booleans back as integers).
pub(crate) fn get_bool(row: &AnyRow, column: &str) -> Result<bool> {
    if let Ok(v) = row.try_get::<bool, _>(column) {
        return Ok(v);
    }
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// The same for a nullable integer that may come back as a 32-bit value.
pub(crate) fn get_opt_i64(row: &AnyRow, column: &str) -> Result<Option<i64>> {
    match row.try_get::<Option<i64>, _>(column) {
        Ok(v) => Ok(v),
        Err(_) => Ok(row.try_get::<Option<i32>, _>(column)?.map(i64::from)),
    }
}

fn redact(target: &str) -> String {
    // Never print a password that came in a URL.
    match (target.find("://"), target.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &target[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &target[..scheme + 3],
                    &creds[..colon],
                    &target[at..]
                ),
                None => target.to_string(),
            }
        }
        _ => target.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("/tmp/k.db"), "/tmp/k.db");
    }
}
