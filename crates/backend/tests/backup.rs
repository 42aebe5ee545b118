//! Encrypted, rotated backups (P11) on SQLite and PostgreSQL: a backup,
//! restored into an empty database and file store, gives back every row of
//! every table and every stored file's bytes, and the server can use it; the
//! backup file holds none of the plaintext; a target holding anything is
//! refused and left as it was, as is a restore with the wrong key; only the
//! newest backups are kept, and only backups are ever deleted.

use backend::Error;
use backend::audit::Actor;
use backend::backup::{self, Plan};
use backend::files::Storage;
use backend::library::files;
use backend::testing::{self, TestDb, Unopened, fixtures};
use backend::{Backend, Db};
use bytes::Bytes;
use domain::account::Role;
use domain::organisation::OrgStatus;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Plaintext that must never appear in a backup file.
const MEMBER_NAME: &str = "Zephyrine Quillfeather";
const MEMBER_EMAIL: &str = "zephyrine.quillfeather@riverside.example";
const FILE_TEXT: &str = "Riverside handwashing rota: marker 7f3a-plaintext";

#[tokio::test]
async fn a_backup_restores_every_row_and_file_and_reveals_nothing_on_sqlite() {
    round_trip(testing::sqlite().await, testing::sqlite_unopened()).await;
}

#[tokio::test]
async fn a_backup_restores_every_row_and_file_and_reveals_nothing_on_postgres() {
    let Some(source) = testing::postgres().await else {
        return;
    };
    let Some(target) = testing::postgres_unopened().await else {
        return;
    };
    round_trip(source, target).await;
}

#[tokio::test]
async fn a_target_holding_anything_is_refused_and_left_as_it_was_on_sqlite() {
    refusals(
        testing::sqlite().await,
        testing::sqlite_unopened(),
        testing::sqlite_unopened(),
    )
    .await;
}

#[tokio::test]
async fn a_target_holding_anything_is_refused_and_left_as_it_was_on_postgres() {
    let Some(source) = testing::postgres().await else {
        return;
    };
    let (Some(one), Some(two)) = (
        testing::postgres_unopened().await,
        testing::postgres_unopened().await,
    ) else {
        return;
    };
    refusals(source, one, two).await;
}

/// A store in a directory of its own, as the server's default.
struct Store {
    storage: Storage,
    _dir: tempfile::TempDir,
}

fn store() -> Store {
    let dir = tempfile::tempdir().expect("store directory");
    Store {
        storage: Storage::local(dir.path()).expect("local store"),
        _dir: dir,
    }
}

/// Fills `db` and `storage` as a live deployment would be: an organisation
/// with a member who signs in, a published resource with a small file and
/// one large enough to be written in parts, and a sealed audit trail.
async fn fill(db: &Db, storage: &Storage) {
    let service = fixtures::service(db, "medicines").await;
    let org = fixtures::organisation(db, "Riverside Surgery", OrgStatus::Active, &[service]).await;
    fixtures::member(db, org, MEMBER_EMAIL, MEMBER_NAME).await;
    fixtures::signed_in(db, MEMBER_EMAIL).await;
    let admin = fixtures::user(db, "alex@csu.example", Role::Admin, None).await;
    let resource = fixtures::published(db, &admin, service, "Hand hygiene").await;
    let big: String = (0..200_000)
        .map(|n| format!("Line {n} of the long handbook.\n"))
        .collect();
    assert!(
        big.len() > 5 * 1024 * 1024,
        "large enough for a multipart write"
    );
    for (name, text) in [("rota.txt", FILE_TEXT), ("handbook.txt", big.as_str())] {
        let chunks: Vec<Result<Bytes, std::io::Error>> = text
            .as_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        files::upload(
            db,
            storage,
            &admin,
            files::Upload {
                resource_id: resource,
                file_name: name,
                max_bytes: 16 * 1024 * 1024,
            },
            futures::stream::iter(chunks),
        )
        .await
        .expect("upload");
    }
    backend::audit::seal_backlog(db).await.expect("seal");
}

/// Every row of every table, as text, by table.
async fn rows(db: &Db) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<(String,)> = match db.backend() {
        Backend::Sqlite => {
            sqlx::query_as("select name from sqlite_master where type = 'table' order by name")
                .fetch_all(db.pool())
                .await
        }
        Backend::Postgres => {
            sqlx::query_as(
                "select table_name::text from information_schema.tables \
                 where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
            )
            .fetch_all(db.pool())
            .await
        }
    }
    .expect("tables");
    let mut all = BTreeMap::new();
    for (table,) in tables {
        let sql = match db.backend() {
            Backend::Sqlite => {
                let columns: Vec<(String,)> =
                    sqlx::query_as("select name from pragma_table_info($1) order by cid")
                        .bind(&table)
                        .fetch_all(db.pool())
                        .await
                        .expect("columns");
                let quoted: Vec<String> = columns
                    .iter()
                    .map(|(c,)| format!("quote(\"{c}\")"))
                    .collect();
                format!(
                    "select {} from \"{table}\" order by 1",
                    quoted.join(" || ',' || ")
                )
            }
            Backend::Postgres => format!("select t::text from \"{table}\" t order by 1"),
        };
        let found: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(db.pool())
            .await
            .expect("rows");
        all.insert(table, found.into_iter().map(|(row,)| row).collect());
    }
    if db.backend() == Backend::Postgres {
        // Where each sequence stands, so the next row gets the same id.
        let sequences: Vec<(String,)> = sqlx::query_as(
            "select sequencename::text || '=' || coalesce(last_value, 0)::text \
             from pg_sequences where schemaname = 'public' order by 1",
        )
        .fetch_all(db.pool())
        .await
        .expect("sequences");
        all.insert(
            "(sequences)".to_owned(),
            sequences.into_iter().map(|(s,)| s).collect(),
        );
    }
    all
}

/// Every stored object's key and bytes.
async fn objects(storage: &Storage) -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    for object in storage.list().await.expect("list") {
        let mut bytes = Vec::new();
        let mut stream = storage.get(&object.key).await.expect("get");
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.expect("chunk"));
        }
        assert_eq!(bytes.len() as u64, object.size);
        all.insert(object.key, bytes);
    }
    all
}

/// A fresh key pair: the plan's recipient and the identity file's path.
fn key(dir: &Path) -> (Plan, PathBuf) {
    let (identity, recipient) = backup::new_key();
    let path = dir.join("backup-key.txt");
    std::fs::write(&path, identity).expect("identity file");
    let plan = Plan {
        recipient,
        dir: dir.join("backups"),
        keep: 3,
    };
    (plan, path)
}

async fn round_trip(source: TestDb, target: Unopened) {
    let source_store = store();
    fill(&source.db, &source_store.storage).await;
    let before = rows(&source.db).await;
    let stored = objects(&source_store.storage).await;
    assert!(
        format!("{before:?}").contains(MEMBER_NAME),
        "the database holds the plaintext the backup must hide"
    );
    assert_eq!(stored.len(), 2, "{:?}", stored.keys());

    let keys = tempfile::tempdir().expect("key directory");
    let (plan, identity) = key(keys.path());
    let made = backup::make(
        &source.db,
        &source.url,
        &source_store.storage,
        &plan,
        &Actor::Operator,
    )
    .await
    .expect("backup");
    assert_eq!(made.files, 2);
    assert!(made.removed.is_empty());
    let name = made
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    assert!(backup::is_backup_name(name), "{name}");
    let listed: Vec<_> = std::fs::read_dir(&plan.dir)
        .expect("backups")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(listed.len(), 1, "no temporary file is left: {listed:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&plan.dir), 0o700, "the backup directory is private");
        assert_eq!(
            mode(&made.path),
            0o600,
            "the backup is readable by its owner only"
        );
    }

    // Nothing readable in the file: not the data, nor the shape of it.
    let sealed = std::fs::read(&made.path).expect("read the backup");
    assert_eq!(sealed.len() as u64, made.bytes);
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    for marker in [
        MEMBER_NAME,
        MEMBER_EMAIL,
        FILE_TEXT,
        "Line 1234 of the long handbook",
        "Riverside Surgery",
        "SQLite format 3",
        "PGDMP",
        "manifest.json",
        "resource-files/",
        "ustar",
    ] {
        assert!(
            !sealed.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "the backup file contains {marker:?} in plaintext"
        );
    }
    let (events,): (i64,) =
        sqlx::query_as("select count(*) from audit_events where action = 'backup.made' and subject = $1 and actor = 'operator'")
            .bind(name)
            .fetch_one(source.db.pool())
            .await
            .expect("audit");
    assert_eq!(events, 1, "the backup is in the audit trail");

    // Wipe: a new empty database and store, as on a new machine.
    let target_store = store();
    let restored = backup::restore(&target.url, &target_store.storage, &made.path, &identity)
        .await
        .expect("restore");
    assert_eq!(restored.files, 2);
    assert_eq!(restored.database, source.db.backend());
    let target = target.open().await;
    let after = rows(&target.db).await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, expected) in &before {
        assert_eq!(&after[table], expected, "the rows of {table}");
    }
    assert!(
        objects(&target_store.storage).await == stored,
        "the same files, byte for byte"
    );

    // The server can use it as it is: nothing to migrate, the chain
    // verifies, the member signs in with their password.
    target
        .db
        .migrate()
        .await
        .expect("migrations already recorded");
    assert_eq!(rows(&target.db).await, before, "migrating changed nothing");
    let keys = backend::keys::Keys::derive(&[7; 32]).expect("keys");
    let verified = backend::audit::verify(&target.db, &keys)
        .await
        .expect("verify");
    assert_eq!(verified.first_break, None);
    fixtures::signed_in(&target.db, MEMBER_EMAIL).await;

    target.finish().await;
    source.finish().await;
}

async fn refusals(source: TestDb, spare: Unopened, untouched: Unopened) {
    let source_store = store();
    fill(&source.db, &source_store.storage).await;
    let keys = tempfile::tempdir().expect("key directory");
    let (plan, identity) = key(keys.path());
    let made = backup::make(
        &source.db,
        &source.url,
        &source_store.storage,
        &plan,
        &Actor::System,
    )
    .await
    .expect("backup");
    // The schedule sees it (under its lock, on PostgreSQL) and makes no other.
    let due = backup::make_if_due(&source.db, &source.url, &source_store.storage, &plan, 3600)
        .await
        .expect("schedule");
    assert_eq!(due, None, "one was made moments ago");

    // Into the database it came from (not empty): refused, nothing changed.
    let before = rows(&source.db).await;
    let stored = objects(&source_store.storage).await;
    let empty_store = store();
    let refused = backup::restore(&source.url, &empty_store.storage, &made.path, &identity).await;
    assert!(
        matches!(refused, Err(Error::RestoreTargetNotEmpty("the database"))),
        "{refused:?}"
    );
    assert!(
        refused
            .expect_err("refused")
            .to_string()
            .contains("nothing was changed")
    );
    assert_eq!(rows(&source.db).await, before);
    assert!(empty_store.storage.is_empty().await.expect("list"));

    // An empty database but a store holding files: refused, nothing changed.
    let refused = backup::restore(&spare.url, &source_store.storage, &made.path, &identity).await;
    assert!(
        matches!(refused, Err(Error::RestoreTargetNotEmpty("the file store"))),
        "{refused:?}"
    );
    assert_eq!(objects(&source_store.storage).await, stored);

    // The wrong key: refused before anything is written.
    let elsewhere = keys.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("dir");
    let (_, wrong) = key(&elsewhere);
    let refused = backup::restore(&untouched.url, &empty_store.storage, &made.path, &wrong).await;
    let message = refused.expect_err("the wrong key").to_string();
    assert!(message.contains("does not hold the key"), "{message}");
    assert!(empty_store.storage.is_empty().await.expect("list"));

    for unopened in [spare, untouched] {
        let db = unopened.open().await;
        let (tables,): (i64,) =
            match db.db.backend() {
                Backend::Sqlite => {
                    sqlx::query_as("select count(*) from sqlite_master where type = 'table'")
                        .fetch_one(db.db.pool())
                        .await
                }
                Backend::Postgres => sqlx::query_as(
                    "select count(*) from information_schema.tables where table_schema = 'public'",
                )
                .fetch_one(db.db.pool())
                .await,
            }
            .expect("tables");
        assert_eq!(tables, 0, "a refused restore wrote nothing");
        db.finish().await;
    }
    source.finish().await;
}

#[tokio::test]
async fn only_the_newest_backups_are_kept_and_nothing_else_is_deleted() {
    let source = testing::sqlite().await;
    let keys = tempfile::tempdir().expect("key directory");
    let (plan, _) = key(keys.path());
    std::fs::create_dir_all(&plan.dir).expect("dir");
    let now = backend::clock::now();
    let old: Vec<String> = (1..=4)
        .map(|days| backup::file_name(now - days * 86_400))
        .collect();
    let others = [
        "notes.txt",
        ".primarypoint-crashed.partial",
        "primarypoint-latest.tar.age",
    ];
    for name in old.iter().map(String::as_str).chain(others) {
        std::fs::write(plan.dir.join(name), b"old").expect("file");
    }
    let made = backup::make(
        &source.db,
        &source.url,
        &Storage::memory(),
        &plan,
        &Actor::System,
    )
    .await
    .expect("backup");
    assert_eq!(made.removed.len(), 2, "{:?}", made.removed);
    let mut left: Vec<String> = std::fs::read_dir(&plan.dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    left.sort();
    let mut expected: Vec<String> = others.iter().map(|s| (*s).to_owned()).collect();
    expected.extend([
        old[0].clone(),
        old[1].clone(),
        made.path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned(),
    ]);
    expected.sort();
    assert_eq!(
        left, expected,
        "the newest three backups and every other file"
    );

    // Without a due backup the schedule makes none; with one it does.
    let due = backup::make_if_due(&source.db, &source.url, &Storage::memory(), &plan, 3600)
        .await
        .expect("schedule");
    assert_eq!(due, None, "one was made moments ago");
    source.finish().await;
}
