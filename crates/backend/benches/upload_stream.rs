//! A 50 MB upload through `backend::library::files::upload` into the local
//! file store, fed in 64 KiB chunks as the multipart reader feeds it: its
//! throughput against writing the same bytes straight to a file (the
//! baseline), and how much the process's peak memory grew while it ran.
//! Streaming keeps that growth near the size of a few chunks; buffering
//! would add the whole file. `cargo xtask bench` runs it; BENCHMARKS.md
//! has the figures.
#![allow(clippy::print_stdout)]

use backend::files::Storage;
use backend::library::files::{Upload, upload};
use bytes::Bytes;
use domain::account::{Role, Viewer};
use std::io::Write;
use std::time::Instant;

const MEGABYTES: usize = 50;
const CHUNK: usize = 64 * 1024;
const RUNS: usize = 5;

/// The process's peak resident memory so far, in KiB (Linux `VmHWM`).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A CSV file of `MEGABYTES` MB, as chunks a multipart body would arrive
/// in: one 64 KiB chunk of lines, repeated, so the benchmark itself never
/// holds the file (a buffering upload would then show as growth).
fn chunks() -> impl Iterator<Item = Bytes> {
    let line = b"date,practice,audit,result,notes about the hand hygiene audit\n";
    let chunk: Bytes = line
        .iter()
        .copied()
        .cycle()
        .take(CHUNK)
        .collect::<Vec<u8>>()
        .into();
    std::iter::repeat_n(chunk, MEGABYTES * 1024 * 1024 / CHUNK)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let test_db = backend::testing::sqlite().await;
        let db = &test_db.db;
        let dir = tempfile::tempdir().expect("a directory");
        let storage = Storage::local(dir.path()).expect("a file store");
        let (admin,): (i64,) = sqlx::query_as(
            "insert into users (email, full_name, password_hash, role, email_verified_at, created_at, updated_at) \
             values ('admin@bench.example', 'Bench Admin', 'x', 'admin', 1, 1, 1) returning id",
        )
        .fetch_one(db.pool())
        .await
        .expect("admin");
        let (service,): (i64,) = sqlx::query_as(
            "insert into services (slug, name, summary, body_md, created_at, updated_at) \
             values ('bench', 'Bench', 'A service.', 'About it.', 1, 1) returning id",
        )
        .fetch_one(db.pool())
        .await
        .expect("service");
        let (resource,): (i64,) = sqlx::query_as(
            "insert into resources (service_id, kind, title, summary, body_md, tags, owner_id, status, created_at, updated_at) \
             values ($1, 'toolkit', 'Audit data', 'Data.', '', '', $2, 'draft', 1, 1) returning id",
        )
        .bind(service)
        .bind(admin)
        .fetch_one(db.pool())
        .await
        .expect("resource");
        let viewer = Viewer {
            id: admin,
            full_name: "Bench Admin".into(),
            email: "admin@bench.example".into(),
            role: Role::Admin,
            organisation: None,
            second_factor: true,
        };

        let megabytes = MEGABYTES as f64;

        // Baseline: the same chunks written straight to a file.
        let mut plain = Vec::new();
        for run in 0..RUNS {
            let path = dir.path().join(format!("plain-{run}.csv"));
            let started = Instant::now();
            let mut file = std::fs::File::create(&path).expect("file");
            for chunk in chunks() {
                file.write_all(&chunk).expect("write");
            }
            file.sync_all().expect("sync");
            plain.push(megabytes / started.elapsed().as_secs_f64());
        }

        let before = peak_kib();
        let mut uploads = Vec::new();
        for run in 0..RUNS {
            let stream = futures::stream::iter(chunks().map(Ok::<_, std::convert::Infallible>));
            let started = Instant::now();
            upload(
                db,
                &storage,
                &viewer,
                Upload {
                    resource_id: resource,
                    file_name: &format!("audit-{run}.csv"),
                    max_bytes: 60 * 1024 * 1024,
                },
                stream,
            )
            .await
            .expect("uploaded");
            uploads.push(megabytes / started.elapsed().as_secs_f64());
        }
        let growth_kib = peak_kib().saturating_sub(before);

        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (plain, uploaded) = (median(plain), median(uploads));
        println!("\n| {MEGABYTES} MB upload, median of {RUNS} | MB/s |\n|---|---:|");
        println!("| plain file write (baseline) | {plain:.0} |");
        println!("| `library::files::upload` (SHA-256, type sniffing, local store) | {uploaded:.0} |");
        println!("| **ratio** (upload ÷ plain) | **{:.2}** |", uploaded / plain);
        println!(
            "\npeak memory growth during {RUNS} uploads of {MEGABYTES} MB: {:.1} MB (the file is {MEGABYTES} MB)",
            growth_kib as f64 / 1024.0
        );
        test_db.finish().await;
    });
}
