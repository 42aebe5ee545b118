//! Fresh databases for tests: every test gets its own, so tests never
//! depend on order or on what another test left behind.
//!
//! PostgreSQL tests need `PRIMARYPOINT_TEST_POSTGRES`, a URL to a server
//! on which the user may create databases (for example
//! `postgres://postgres@127.0.0.1:5432/postgres`). Without it they are
//! skipped with a note, unless `CI` is set, when its absence fails the test.

use crate::db::{Db, PoolSettings};
use sqlx::Connection;
use std::path::PathBuf;

/// A database made for one test. Call [`TestDb::finish`] at the end.
#[derive(Debug)]
pub struct TestDb {
    pub db: Db,
    /// The URL the database was opened with, for code that opens its own pool.
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "PRIMARYPOINT_TEST_POSTGRES";

/// A migrated SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path: PathBuf = dir.path().join("test.db");
    let url = format!("sqlite:{}?mode=rwc", path.display());
    let db = Db::connect(&url, &PoolSettings::default())
        .await
        .expect("open sqlite");
    db.migrate().await.expect("migrate sqlite");
    TestDb {
        db,
        url,
        cleanup: Cleanup::Sqlite(dir),
    }
}

/// A migrated database of its own on the test PostgreSQL server, or `None`
/// (after saying so) when none is configured outside CI.
pub async fn postgres() -> Option<TestDb> {
    let admin_url = match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some() => {
            panic!("{POSTGRES_ENV} must be set in CI: the PostgreSQL tests may not be skipped")
        }
        _ => {
            eprintln!("skipped: {POSTGRES_ENV} is not set, so this PostgreSQL test did not run");
            return None;
        }
    };
    let prefix =
        std::env::var("PRIMARYPOINT_TEST_DB_PREFIX").unwrap_or_else(|_| "pp_test".to_owned());
    let name = format!("{prefix}_{:016x}", rand::random::<u64>());
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&admin_url)
        .await
        .expect("connect to the PostgreSQL test server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.ok();
    let url = database_url(&admin_url, &name);
    let db = Db::connect(&url, &PoolSettings::default())
        .await
        .expect("open test database");
    db.migrate().await.expect("migrate postgres");
    Some(TestDb {
        db,
        url,
        cleanup: Cleanup::Postgres { admin_url, name },
    })
}

/// `admin_url` with its database name replaced by `name`.
pub fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}

impl TestDb {
    /// Closes the pool and drops the PostgreSQL database (SQLite's
    /// directory goes with the value).
    pub async fn finish(self) {
        self.db.close().await;
        if let Cleanup::Postgres { admin_url, name } = self.cleanup
            && let Ok(mut admin) = sqlx::AnyConnection::connect(&admin_url).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "drop database if exists {name} with (force)"
            )))
            .execute(&mut admin)
            .await;
            admin.close().await.ok();
        }
    }
}

/// Runs one story against SQLite and PostgreSQL: `stories!(a, b)` makes
/// `a::sqlite`, `a::postgres`, `b::sqlite`, … from `async fn a(db: Db)`.
#[macro_export]
macro_rules! stories {
    ($($story:ident),+ $(,)?) => {
        $(
            mod $story {
                #[tokio::test]
                async fn sqlite() {
                    let test = $crate::testing::sqlite().await;
                    super::$story(test.db.clone()).await;
                    test.finish().await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(test) = $crate::testing::postgres().await else { return };
                    super::$story(test.db.clone()).await;
                    test.finish().await;
                }
            }
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn replaces_the_database_name_and_keeps_options() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/test", "pp_1"),
            "postgres://postgres@127.0.0.1:5432/pp_1"
        );
        assert_eq!(
            database_url("postgres://u:p@db:5432/x?sslmode=require", "pp_2"),
            "postgres://u:p@db:5432/pp_2?sslmode=require"
        );
        assert_eq!(
            database_url("postgres://localhost", "pp_3"),
            "postgres://localhost/pp_3"
        );
    }
}
