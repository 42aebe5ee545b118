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
    let test = postgres_unopened().await?.open().await;
    test.db.migrate().await.expect("migrate postgres");
    Some(test)
}

/// A database not opened yet, for a restore to fill: on SQLite a file
/// that does not exist, on PostgreSQL a database with nothing in it.
/// [`Unopened::open`] connects to it (without migrating).
#[derive(Debug)]
pub struct Unopened {
    pub url: String,
    cleanup: Cleanup,
}

/// A SQLite file not made yet, in a temporary directory.
pub fn sqlite_unopened() -> Unopened {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path: PathBuf = dir.path().join("test.db");
    Unopened {
        url: format!("sqlite:{}?mode=rwc", path.display()),
        cleanup: Cleanup::Sqlite(dir),
    }
}

/// An empty database of its own on the test PostgreSQL server, or `None`
/// (after saying so) when none is configured outside CI.
pub async fn postgres_unopened() -> Option<Unopened> {
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
    Some(Unopened {
        url: database_url(&admin_url, &name),
        cleanup: Cleanup::Postgres { admin_url, name },
    })
}

impl Unopened {
    /// Connects, as the server would, without migrating.
    pub async fn open(self) -> TestDb {
        let db = Db::connect(&self.url, &PoolSettings::default())
            .await
            .expect("open test database");
        TestDb {
            db,
            url: self.url,
            cleanup: self.cleanup,
        }
    }
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

/// Small real documents for tests: the demo's own, and hostile ones.
pub mod documents {
    use crate::documents::CONTENT_TYPES;
    pub use crate::documents::{docx, pdf, pdf_of};
    use std::io::Write;

    /// A hostile PDF: a page whose contents are `depth` nested arrays and
    /// dictionaries, and a page tree that contains itself.
    pub fn hostile_pdf(depth: usize) -> Vec<u8> {
        let nested = format!("{}{}", "[<< /A ".repeat(depth), " >>]".repeat(depth));
        pdf_of(&[
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>".to_owned(),
            format!("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Nested {nested} >>"),
            format!("<< /Length 8 >>\nstream\n{nested}\nendstream"),
        ])
    }

    /// A zip bomb dressed as a Word document: its main part inflates to
    /// `megabytes` MB of nothing from a few kilobytes.
    pub fn zip_bomb_docx(megabytes: usize) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false);
        writer
            .start_file("[Content_Types].xml", options)
            .expect("entry");
        writer.write_all(CONTENT_TYPES.as_bytes()).expect("data");
        writer
            .start_file("word/document.xml", options)
            .expect("entry");
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..megabytes {
            writer.write_all(&zeros).expect("data");
        }
        writer.finish().expect("zip").into_inner()
    }
}

/// Rows the library, files and inbox stories start from, written straight
/// to the database: a service, an organisation with its subscriptions, and
/// a verified user of either role.
pub mod fixtures {
    use crate::Db;
    use domain::account::{Role, Viewer};
    use domain::organisation::OrgStatus;

    /// A service with slug `slug`; its id.
    pub async fn service(db: &Db, slug: &str) -> i64 {
        let (id,): (i64,) = sqlx::query_as(
            "insert into services (slug, name, summary, body_md, created_at, updated_at) \
             values ($1, $2, 'A service.', 'About it.', 1, 1) returning id",
        )
        .bind(slug)
        .bind(format!("Service {slug}"))
        .fetch_one(db.pool())
        .await
        .expect("service");
        id
    }

    /// An organisation of `status` subscribed to `services`; its id.
    pub async fn organisation(db: &Db, name: &str, status: OrgStatus, services: &[i64]) -> i64 {
        let (id,): (i64,) = sqlx::query_as(
            "insert into organisations (name, address_line1, town, postcode, telephone, email, status, \
             status_changed_at, created_at, updated_at) \
             values ($1, '1 High Street', 'Exampletown', 'EX1 1AA', '01632 960 111', 'reception@example.nhs.uk', \
             $2, 1, 1, 1) returning id",
        )
        .bind(name)
        .bind(status.as_str())
        .fetch_one(db.pool())
        .await
        .expect("organisation");
        for &service in services {
            sqlx::query(
                "insert into organisation_services (organisation_id, service_id, created_at, updated_at) \
                 values ($1, $2, 1, 1)",
            )
            .bind(id)
            .bind(service)
            .execute(db.pool())
            .await
            .expect("subscription");
        }
        id
    }

    /// A verified user, as a viewer; `organisation` for members.
    pub async fn user(db: &Db, email: &str, role: Role, organisation: Option<i64>) -> Viewer {
        let (id,): (i64,) = sqlx::query_as(
            "insert into users (email, full_name, password_hash, role, organisation_id, email_verified_at, \
             created_at, updated_at) values ($1, $2, 'not-a-hash', $3, $4, 1, 1, 1) returning id",
        )
        .bind(email)
        .bind(format!("Person {email}"))
        .bind(role.as_str())
        .bind(organisation)
        .fetch_one(db.pool())
        .await
        .expect("user");
        Viewer {
            id,
            full_name: format!("Person {email}"),
            email: email.to_owned(),
            role,
            organisation: None,
            second_factor: true,
        }
    }

    /// The password of every account [`member`] makes.
    pub const PASSWORD: &str = "correct horse battery staple";

    /// A verified member of `organisation` made as an operator would, who
    /// signs in with [`PASSWORD`]; their id.
    pub async fn member(db: &Db, organisation: i64, email: &str, name: &str) -> i64 {
        let password = crate::accounts::Password::new(PASSWORD.to_owned()).expect("password");
        crate::accounts::create_member(
            db,
            organisation,
            &domain::Email::parse(email).expect("email"),
            name,
            &password,
        )
        .await
        .expect("member")
    }

    /// `email`'s session after signing in with [`PASSWORD`] alone.
    pub async fn signed_in(db: &Db, email: &str) -> crate::sessions::Session {
        let outcome = crate::auth::sign_in(db, "client-a", email, PASSWORD)
            .await
            .expect("sign in");
        let crate::auth::SignIn::SignedIn(token) = outcome else {
            panic!("{email} should sign in with the password alone, got {outcome:?}");
        };
        crate::sessions::resolve(db, &token)
            .await
            .expect("resolve")
            .expect("live")
    }

    /// A published policy of `service` titled `title`, owned by `admin`;
    /// its id.
    pub async fn published(db: &Db, admin: &Viewer, service: i64, title: &str) -> i64 {
        let resource = domain::library::Resource {
            title: title.to_owned(),
            summary: format!("Summary of {title}."),
            body_md: "Everyone in the practice follows this.".to_owned(),
            service_id: service,
            kind: domain::library::ResourceKind::Policy,
            tags: Vec::new(),
            owner_id: admin.id,
            review_date: None,
            for_all_customers: false,
        };
        let id = crate::library::create(db, admin, &resource)
            .await
            .expect("create");
        crate::library::set_status(db, admin, id, domain::library::ResourceStatus::Published)
            .await
            .expect("publish");
        id
    }
}
