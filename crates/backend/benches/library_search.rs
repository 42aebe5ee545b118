//! The library at scale: 100,000 resources of synthetic text (a fifth with
//! extracted file text), then search and list latencies with 32 requests
//! in flight, on SQLite and, when `PRIMARYPOINT_TEST_POSTGRES` names a
//! server, on PostgreSQL. `cargo xtask bench` runs it; BENCHMARKS.md has
//! the figures.
//!
//! The requests go through `backend::library` exactly as the server's
//! functions call it (visibility scope, ranking, snippets), as a member of
//! an organisation subscribed to every service, but without HTTP, so the
//! figures are the library's own.
#![allow(clippy::print_stdout)]

use backend::Db;
use backend::library;
use domain::account::{Role, Viewer};
use domain::library::{LibraryQuery, LibrarySort, ResourceKind};
use std::time::{Duration, Instant};

const RESOURCES: usize = 100_000;
const SERVICES: usize = 7;
const IN_FLIGHT: usize = 32;
const RUN_FOR: Duration = Duration::from_secs(10);

/// Filler words: common ones appear in most resources, the numbered ones
/// in a few each.
const COMMON: &[&str] = &[
    "practice",
    "staff",
    "patients",
    "policy",
    "review",
    "training",
    "records",
    "safety",
    "clinical",
    "manager",
    "responsible",
    "procedure",
    "guidance",
    "team",
    "support",
];

/// A small deterministic generator, so every run loads the same text.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// `words` words: a third numbered terms, the rest common words, each
    /// choice from its own bits of the number (taking both from its low
    /// bits would tie them, and leave some common words out).
    fn sentence(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| {
                let n = self.next();
                if n.is_multiple_of(3) {
                    format!("term{}", (n >> 8) % 20_000)
                } else {
                    COMMON[((n >> 32) as usize) % COMMON.len()].to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn load(db: &Db) -> Viewer {
    let mut tx = db.begin_write().await.expect("tx");
    let mut services = Vec::new();
    for n in 0..SERVICES {
        let (id,): (i64,) = sqlx::query_as(
            "insert into services (slug, name, summary, body_md, created_at, updated_at) \
             values ($1, $2, 'A service.', 'About it.', 1, 1) returning id",
        )
        .bind(format!("service-{n}"))
        .bind(format!("Service {n}"))
        .fetch_one(&mut *tx)
        .await
        .expect("service");
        services.push(id);
    }
    let (organisation,): (i64,) = sqlx::query_as(
        "insert into organisations (name, address_line1, town, postcode, telephone, email, status, status_changed_at, created_at, updated_at) \
         values ('Bench Surgery', '1 High Street', 'Exampletown', 'EX1 1AA', '01632 960111', 'bench@example.org', 'active', 1, 1, 1) \
         returning id",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("organisation");
    for &service in &services {
        sqlx::query(
            "insert into organisation_services (organisation_id, service_id, created_at, updated_at) \
             values ($1, $2, 1, 1)",
        )
        .bind(organisation)
        .bind(service)
        .execute(&mut *tx)
        .await
        .expect("subscribe");
    }
    let (admin,): (i64,) = sqlx::query_as(
        "insert into users (email, full_name, password_hash, role, email_verified_at, created_at, updated_at) \
         values ('admin@bench.example', 'Bench Admin', 'x', 'admin', 1, 1, 1) returning id",
    )
    .fetch_one(&mut *tx)
    .await
    .expect("admin");
    let (member,): (i64,) = sqlx::query_as(
        "insert into users (email, full_name, password_hash, role, organisation_id, email_verified_at, created_at, updated_at) \
         values ('member@bench.example', 'Bench Member', 'x', 'member', $1, 1, 1, 1) returning id",
    )
    .bind(organisation)
    .fetch_one(&mut *tx)
    .await
    .expect("member");
    tx.commit().await.expect("commit");

    let mut words = Words(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    for chunk in 0..RESOURCES / 1_000 {
        let mut tx = db.begin_write().await.expect("tx");
        for n in chunk * 1_000..(chunk + 1) * 1_000 {
            let file_text = n.is_multiple_of(5).then(|| words.sentence(400));
            sqlx::query(
                "insert into resources (service_id, kind, title, summary, body_md, tags, owner_id, status, \
                 published_at, file_text, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, 'published', $8, $9, $8, $8)",
            )
            .bind(services[n % SERVICES])
            .bind(ResourceKind::ALL[n % ResourceKind::ALL.len()].as_str())
            .bind(format!("{} {n}", words.sentence(5)))
            .bind(words.sentence(25))
            .bind(words.sentence(150))
            .bind(words.sentence(3))
            .bind(admin)
            .bind(1_700_000_000 + i64::try_from(n).expect("fits"))
            .bind(file_text)
            .execute(&mut *tx)
            .await
            .expect("resource");
        }
        tx.commit().await.expect("commit");
    }
    if db.backend() == backend::db::Backend::Postgres {
        // As autovacuum would soon after a load this size: the planner
        // needs to know how common each word is, and a count read from an
        // index alone needs the visibility map.
        sqlx::raw_sql("vacuum analyze")
            .execute(db.pool())
            .await
            .expect("analyze");
    }
    println!(
        "loaded {RESOURCES} resources in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Viewer {
        id: member,
        full_name: "Bench Member".into(),
        email: "member@bench.example".into(),
        role: Role::Member,
        organisation: Some("Bench Surgery".into()),
        second_factor: false,
    }
}

/// Runs `query` from [`IN_FLIGHT`] tasks for [`RUN_FOR`]; prints requests
/// per second, p50 and p99.
async fn measure(db: &Db, viewer: &Viewer, name: &str, query: LibraryQuery) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (db, viewer, query) = (db.clone(), viewer.clone(), query.clone());
            tokio::spawn(async move {
                let (mut took, mut found) = (Vec::new(), (0, false));
                while started.elapsed() < RUN_FOR {
                    let at = Instant::now();
                    let page = if query.q.is_empty() {
                        library::list(&db, &viewer, &query).await
                    } else {
                        library::search(&db, &viewer, &query).await
                    };
                    let page = page.expect("query");
                    took.push(at.elapsed());
                    found = (page.total, page.more);
                }
                (took, found)
            })
        })
        .collect();
    let (mut took, mut found) = (Vec::new(), (0, false));
    for task in tasks {
        let (times, last) = task.await.expect("task");
        took.extend(times);
        found = last;
    }
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    let found = match found {
        (total, true) => format!("more than {total}"),
        (total, false) => total.to_string(),
    };
    println!(
        "| {name} | {found} | {:.0} | {:.1} ms | {:.1} ms |",
        took.len() as f64 / started.elapsed().as_secs_f64(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    );
}

async fn bench(engine: &str, db: &Db) -> Viewer {
    let viewer = load(db).await;
    // A copy of the loaded SQLite database, for `explain query plan` in
    // the `sqlite3` shell.
    if let (backend::db::Backend::Sqlite, Ok(path)) = (
        db.backend(),
        std::env::var("PRIMARYPOINT_BENCH_KEEP_SQLITE"),
    ) {
        let _ = std::fs::remove_file(&path);
        sqlx::query("vacuum into $1")
            .bind(&path)
            .execute(db.pool())
            .await
            .expect("a copy of the database");
        println!("the loaded database is copied to {path}");
    }
    println!(
        "\n{engine}, {IN_FLIGHT} requests in flight, {} s each, {} connections:\n",
        RUN_FOR.as_secs(),
        db.pool().options().get_max_connections()
    );
    measure_all(db, &viewer).await;
    viewer
}

/// The four requests, one table.
async fn measure_all(db: &Db, viewer: &Viewer) {
    println!("| request | found | requests/s | p50 | p99 |\n|---|---:|---:|---:|---:|");
    let search = |q: &str| LibraryQuery {
        q: q.to_owned(),
        ..LibraryQuery::default()
    };
    measure(
        db,
        viewer,
        "search, selective term (`term12345`)",
        search("term12345"),
    )
    .await;
    measure(
        db,
        viewer,
        "search, common term (`practice`)",
        search("practice"),
    )
    .await;
    measure(
        db,
        viewer,
        "list, newest first, page 1",
        LibraryQuery::default(),
    )
    .await;
    measure(
        db,
        viewer,
        "list, one service and kind, by title, page 5",
        LibraryQuery {
            service: Some("service-3".into()),
            kind: Some(ResourceKind::Toolkit),
            sort: LibrarySort::Title,
            page: 5,
            ..LibraryQuery::default()
        },
    )
    .await;
}

/// Pool sizes to measure PostgreSQL at as well, on the same loaded data
/// (`PRIMARYPOINT_BENCH_POOLS=4,8`): the server runs on the benchmark's
/// cores here, so how many statements it runs at once matters.
fn extra_pools() -> Vec<u32> {
    std::env::var("PRIMARYPOINT_BENCH_POOLS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let sqlite = backend::testing::sqlite().await;
        bench("SQLite", &sqlite.db).await;
        sqlite.finish().await;
        match backend::testing::postgres().await {
            Some(postgres) => {
                let viewer = bench("PostgreSQL", &postgres.db).await;
                for size in extra_pools() {
                    let settings = backend::db::PoolSettings {
                        max_connections: Some(size),
                        ..backend::db::PoolSettings::default()
                    };
                    let db = Db::connect(&postgres.url, &settings)
                        .await
                        .expect("connect");
                    println!("\nPostgreSQL again, {size} connections:\n");
                    measure_all(&db, &viewer).await;
                    db.close().await;
                }
                // Kept loaded, for `explain analyze` in `psql`.
                if std::env::var_os("PRIMARYPOINT_BENCH_KEEP_POSTGRES").is_some() {
                    postgres.db.close().await;
                    println!("the loaded database is kept at {}", postgres.url);
                } else {
                    postgres.finish().await;
                }
            }
            None => println!("\nPostgreSQL: skipped (set PRIMARYPOINT_TEST_POSTGRES)"),
        }
    });
}
