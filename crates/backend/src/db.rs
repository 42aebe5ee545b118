use crate::error::{Error, Result};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Which engine a [`Db`] talks to. Almost every query is the same on both;
/// the few that are not ask this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::UnsupportedDatabase(
                "expected a URL starting sqlite: or postgres://".to_owned(),
            ))
        }
    }

    /// The pool size for `url` when none is configured. Queries that run
    /// on this machine's cores (SQLite's, on threads of ours, or those of
    /// a PostgreSQL server on this machine) gain nothing from more
    /// connections than twice its cores: the rest only take turns, and the
    /// turns make some requests wait much longer than the rest (measured
    /// in BENCHMARKS.md). A PostgreSQL server elsewhere has cores of its
    /// own, and serves each connection from a process: 16 keeps it busy.
    pub fn default_max_connections(self, url: &str) -> u32 {
        let here = match self {
            Backend::Sqlite => true,
            Backend::Postgres => on_this_machine(url),
        };
        if !here {
            return 16;
        }
        std::thread::available_parallelism()
            .map_or(2, |cores| u32::try_from(cores.get()).unwrap_or(u32::MAX))
            .saturating_mul(2)
            .max(4)
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Whether a PostgreSQL URL names a server on this machine: `localhost`,
/// a loopback address or a Unix socket.
fn on_this_machine(url: &str) -> bool {
    let Ok(options) = sqlx::postgres::PgConnectOptions::from_str(url) else {
        return false;
    };
    let host = options.get_host();
    options.get_socket().is_some()
        || host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The file a SQLite URL opens, read as sqlx and SQLite read it: the
/// name percent-decoded, and a `file:` name taken as SQLite's URI;
/// `None` for PostgreSQL or a database in memory.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use sqlx::sqlite::SqliteConnectOptions;
    if Backend::from_url(url).ok()? != Backend::Sqlite || url.contains("mode=memory") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let name = options.get_filename().to_str()?;
    if url.contains(":memory:") || name.is_empty() {
        return None;
    }
    let Some(uri) = name.strip_prefix("file:") else {
        return Some(name.into());
    };
    let uri = uri
        .strip_prefix("//localhost")
        .or_else(|| uri.strip_prefix("//"))
        .unwrap_or(uri);
    let path = uri.split(['?', '#']).next().unwrap_or_default();
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    Some(path.as_ref().into())
}

/// How big the pool may grow and how long a caller waits for a connection.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// `None`: [`Backend::default_max_connections`].
    pub max_connections: Option<u32>,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: None,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The application's database: one pool, shared by every request, and
/// the public pages' content kept in memory beside it.
///
/// On SQLite, transactions that write take their connection from a second
/// pool of one: SQLite lets one writer in at a time, so writers queue for
/// that connection in this process, not inside SQLite's busy wait holding
/// one of the readers' connections. A long write then delays other
/// writes only, never a page that just reads.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Where [`Db::begin_write`] starts transactions: on SQLite its own
    /// pool of one connection, on PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
    content: Arc<crate::content::cache::Cache>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Opens a pool on `url` (`sqlite:path?mode=rwc` or `postgres://…`).
    /// SQLite connections get WAL, a busy timeout, foreign keys and a
    /// memory-mapped file.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool_of = |size: u32| {
            let pool = AnyPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(settings.acquire_timeout);
            match backend {
                Backend::Sqlite => pool.after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // Reads go through a shared memory map of the file
                        // (up to 1 GiB) rather than a copy per connection.
                        conn.execute(
                            "pragma journal_mode = wal; pragma synchronous = normal; \
                             pragma busy_timeout = 5000; pragma foreign_keys = on; \
                             pragma mmap_size = 1073741824;",
                        )
                        .await?;
                        Ok(())
                    })
                }),
                Backend::Postgres => pool,
            }
        };
        let size = settings
            .max_connections
            .unwrap_or_else(|| backend.default_max_connections(url));
        let pool = pool_of(size).connect_with(options.clone()).await?;
        let writer = match backend {
            // The writer connects when first asked for, so a database
            // opened only to read never holds it.
            Backend::Sqlite => pool_of(1).connect_lazy_with(options),
            Backend::Postgres => pool.clone(),
        };
        Ok(Self {
            pool,
            writer,
            backend,
            content: Arc::default(),
        })
    }

    /// Brings the schema up to date. Safe to run from several instances at
    /// once: sqlx takes a lock for the duration.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For reads: any pooled connection.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// For a write of one statement, outside any transaction: on SQLite
    /// the writer connection, which [`Db::begin_write`]'s transactions
    /// queue for too. Never use it while holding one of those.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// True while a write holds SQLite's writer connection, so a write that
    /// a later request can make instead need not queue behind it. Always
    /// false on PostgreSQL, where writers do not queue for one connection.
    pub fn writer_busy(&self) -> bool {
        self.backend == Backend::Sqlite && self.writer.size() > 0 && self.writer.num_idle() == 0
    }

    /// Starts a transaction that will write. On SQLite it takes the write
    /// lock up front (`begin immediate`) so two writers queue instead of
    /// failing half-way with "database is locked".
    /// On SQLite the transaction holds the one writer connection, so
    /// writers wait their turn for it here (see [`Db`]).
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("begin immediate").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// The public pages' content in memory (see [`crate::content::cache`]).
    pub(crate) fn content(&self) -> &crate::content::cache::Cache {
        &self.content
    }

    /// How often this instance reads the shared content version (every
    /// second unless a test says otherwise).
    #[cfg(feature = "testing")]
    pub fn set_content_recheck(&self, every: Duration) {
        self.content.set_recheck(every);
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, on_this_machine};

    #[test]
    fn the_default_pool_fits_the_machine_the_queries_run_on() {
        for (url, here) in [
            ("postgres://postgres@127.0.0.1:5432/primarypoint", true),
            ("postgresql://u@localhost/primarypoint", true),
            ("postgres://u@[::1]:5432/primarypoint", true),
            ("postgres:///primarypoint?host=/var/run/postgresql", true),
            ("postgres://u@db.example.org:5432/primarypoint", false),
            ("postgres://u@10.0.0.5/primarypoint", false),
        ] {
            assert_eq!(on_this_machine(url), here, "{url}");
        }
        let here = Backend::Sqlite.default_max_connections("sqlite::memory:");
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(here as usize, (cores * 2).max(4));
        for url in [
            "postgres://postgres@127.0.0.1:5432/primarypoint",
            "postgres://u@127.0.0.2/primarypoint",
            "postgresql://u@localhost/primarypoint",
            "postgres://u@[::1]:5432/primarypoint",
            "postgres:///primarypoint?host=/var/run/postgresql",
        ] {
            assert_eq!(
                Backend::Postgres.default_max_connections(url),
                here,
                "{url}"
            );
        }
        for url in [
            "postgres://u@db.example.org:5432/primarypoint",
            "postgres://u@localhost.example.org/primarypoint",
            "postgres://u@10.0.0.5/primarypoint",
            "postgres://u@[2001:db8::1]/primarypoint",
        ] {
            assert_eq!(Backend::Postgres.default_max_connections(url), 16, "{url}");
        }
    }
}
