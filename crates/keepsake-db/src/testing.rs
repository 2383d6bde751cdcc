//! Fresh databases for tests, on both engines. Used by this crate's contract
//! suite and by the testkit; not part of the product.
//!
//! PostgreSQL is used when `KEEPSAKE_TEST_POSTGRES_URL` names a maintenance
//! database on a server where we may `CREATE DATABASE` (`scripts/test.sh` starts
//! a throw-away cluster and sets it).

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use crate::Engine;

/// The engines this test run covers: SQLite always, PostgreSQL when configured.
pub fn engines() -> Vec<Engine> {
    let mut out = vec![Engine::Sqlite];
    if postgres_admin_url().is_some() {
        out.push(Engine::Postgres);
    }
    out
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("KEEPSAKE_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A database target for a new, empty database of `engine`. For SQLite it is a
/// file inside `dir`; for PostgreSQL a newly created database.
pub async fn fresh_database(engine: Engine, dir: &std::path::Path) -> String {
    match engine {
        Engine::Sqlite => dir.join("keepsake.db").to_string_lossy().into_owned(),
        Engine::Postgres => {
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let admin = postgres_admin_url().expect("KEEPSAKE_TEST_POSTGRES_URL is not set");
            let name = format!(
                "keepsake_t{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                crate::now_ms() % 100_000
            );
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create a test database");
            conn.close().await.ok();
            with_database_name(&admin, &name)
        }
    }
}

/// Replaces the database name in a `postgres://…/name?…` URL.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced_and_the_socket_query_kept() {
        assert_eq!(
            super::with_database_name(
                "postgres://postgres@localhost:5/postgres?host=/tmp/x&port=5",
                "t1"
            ),
            "postgres://postgres@localhost:5/t1?host=/tmp/x&port=5"
        );
        assert_eq!(
            super::with_database_name("postgres://u@h", "t2"),
            "postgres://u@h/t2"
        );
    }
}
