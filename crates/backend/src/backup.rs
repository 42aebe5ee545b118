//! Encrypted, rotated backups and their restore (P11).
//!
//! A backup is one file in the backup directory,
//! `primarypoint-YYYYMMDDTHHMMSSZ.tar.age`: a tar archive, encrypted with
//! [age](https://age-encryption.org) to an X25519 public key as it is
//! written, holding `manifest.json` (format, database kind, when), the
//! database (`vacuum into` on SQLite; `pg_dump --format=custom` on
//! PostgreSQL, one consistent snapshot either way) and every object of the
//! file store under `files/`, read through the store so any kind of store
//! is backed up. The server holds only the public key: the backups alone,
//! wherever they are copied, reveal nothing without the identity (private
//! key) file kept elsewhere.
//!
//! The archive is written under a hidden temporary name and renamed once
//! complete, so a failed run never leaves something that counts as a
//! backup; then all but the newest [`Plan::keep`] backups are deleted (only
//! files named as backups are). Plaintext never touches the disk except
//! the database snapshot, in a private temporary directory (`0700`, under
//! `TMPDIR`) removed when the run ends (a restore on PostgreSQL does the
//! same with the dump it hands to `pg_restore`). Each backup is an audit
//! event.
//!
//! [`restore`] decrypts with the identity file into an empty database and
//! an empty file store, and refuses anything else before changing it.

use crate::audit::{self, Actor};
use crate::clock;
use crate::db::{Backend, Db, PoolSettings};
use crate::error::{Error, Result};
use crate::files::{Object, Storage};
use age::secrecy::ExposeSecret;
use bytes::{Buf, Bytes};
use domain::audit::Action;
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tokio::runtime::Handle;

pub use age::x25519::{Identity, Recipient};

/// The archive layout this build writes, and the only one it reads.
const FORMAT: u32 = 1;
/// A backup's name is `PREFIX` + `YYYYMMDDTHHMMSSZ` + `SUFFIX`.
const PREFIX: &str = "primarypoint-";
const SUFFIX: &str = ".tar.age";
/// The entries of the archive, in order.
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "database";
const FILES: &str = "files/";
/// The largest manifest read.
const MANIFEST_BYTES: u64 = 64 * 1024;
/// One scheduled backup at a time across instances (retention holds
/// 7263541, page-view counts 7263543).
const SCHEDULE_LOCK: i64 = 7_263_542;
/// Bytes read at a time from an archive entry being restored.
const CHUNK_BYTES: usize = 256 * 1024;

/// Where backups go, whom they are encrypted to, and how many are kept.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The age public key (`age1…`) every backup is encrypted to.
    pub recipient: Recipient,
    /// The directory backups are written to (made, private, if missing).
    pub dir: PathBuf,
    /// How many of the newest backups are kept; older ones are deleted.
    pub keep: usize,
}

/// A backup that was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Made {
    pub path: PathBuf,
    /// The encrypted file's size.
    pub bytes: u64,
    /// How many stored files it holds.
    pub files: usize,
    /// Older backups deleted to keep the newest [`Plan::keep`].
    pub removed: Vec<PathBuf>,
}

/// What a restore put back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    pub database: Backend,
    /// When the backup was made (Unix seconds).
    pub created_at: i64,
    pub files: usize,
}

/// The first entry of every archive.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// `sqlite` or `postgres`: a backup is restored into the same kind.
    database: String,
    created_at: i64,
    /// The version of PrimaryPoint that made it.
    version: String,
    /// The stored files listed when the backup began; the archive holds
    /// them all but any removed before they could be read.
    files: usize,
}

/// The age public key in `text` (`age1…`), or why it is not one.
pub fn parse_recipient(text: &str) -> std::result::Result<Recipient, String> {
    Recipient::from_str(text.trim())
        .map_err(|reason| format!("expected an age public key starting age1 ({reason})"))
}

/// A new key pair: the text of an identity file (the private key, for
/// restoring; keep it away from the server) and its public key (for
/// `BACKUP_RECIPIENT`).
pub fn new_key() -> (String, Recipient) {
    let identity = Identity::generate();
    let recipient = identity.to_public();
    let text = format!(
        "# PrimaryPoint backup key, created {}\n# public key: {recipient}\n{}\n",
        stamp(clock::now()),
        identity.to_string().expose_secret()
    );
    (text, recipient)
}

/// `YYYYMMDDTHHMMSSZ` for Unix time `at`.
fn stamp(at: i64) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "19700101T000000Z".to_owned())
}

/// The file name of a backup made at `at`.
pub fn file_name(at: i64) -> String {
    format!("{PREFIX}{}{SUFFIX}", stamp(at))
}

/// Whether `name` is a backup's file name: only these are ever rotated.
pub fn is_backup_name(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|stamp| {
            let bytes = stamp.as_bytes();
            bytes.len() == 16
                && bytes[8] == b'T'
                && bytes[15] == b'Z'
                && bytes[..8]
                    .iter()
                    .chain(&bytes[9..15])
                    .all(u8::is_ascii_digit)
        })
}

/// Makes one backup of `db` (opened from `database_url`) and `storage`
/// into `plan.dir`, deletes all but the newest `plan.keep`, and records it
/// in the audit trail as done by `actor`.
pub async fn make(
    db: &Db,
    database_url: &str,
    storage: &Storage,
    plan: &Plan,
    actor: &Actor,
) -> Result<Made> {
    let created_at = clock::now();
    let name = file_name(created_at);
    private_dir(&plan.dir)?;
    let path = plan.dir.join(&name);
    if path.exists() {
        return Err(Error::Backup(format!(
            "a backup named {name} exists already; try again in a second"
        )));
    }
    let scratch = scratch_dir()?;
    let snapshot = scratch.path().join(DATABASE);
    snapshot_database(db, database_url, &snapshot).await?;
    // Listed after the snapshot: every file the snapshot refers to was
    // stored before its row was committed, so it is listed.
    let objects = storage.list().await?;
    let manifest = Manifest {
        format: FORMAT,
        database: db.backend().name().to_owned(),
        created_at,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        files: objects.len(),
    };
    let job = Archive {
        handle: Handle::current(),
        storage: storage.clone(),
        recipient: plan.recipient.clone(),
        dir: plan.dir.clone(),
        path: path.clone(),
        snapshot,
        manifest,
        objects,
    };
    let (bytes, files) = tokio::task::spawn_blocking(move || job.write()).await??;
    drop(scratch);
    let removed = rotate(&plan.dir, plan.keep)?;
    let mut tx = db.begin_write().await?;
    audit::record(
        &mut tx,
        actor,
        Action::BackupMade,
        Some(name.as_str()),
        &serde_json::json!({ "bytes": bytes, "files": files, "removed": removed.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Made {
        path,
        bytes,
        files,
        removed,
    })
}

/// Makes a backup if none was made in the last `every_secs` (by any
/// instance: the audit trail is asked), one instance at a time on
/// PostgreSQL. `None` when none was due or another instance is making one.
pub async fn make_if_due(
    db: &Db,
    database_url: &str,
    storage: &Storage,
    plan: &Plan,
    every_secs: i64,
) -> Result<Option<Made>> {
    let lock = match db.backend() {
        Backend::Sqlite => None,
        Backend::Postgres => {
            // A connection of its own, never returned to the pool: the
            // session lock goes with it however the run ends.
            let mut conn = db.pool().acquire().await?.detach();
            let (taken,): (bool,) = sqlx::query_as("select pg_try_advisory_lock($1)")
                .bind(SCHEDULE_LOCK)
                .fetch_one(&mut conn)
                .await?;
            if !taken {
                conn.close().await.ok();
                return Ok(None);
            }
            Some(conn)
        }
    };
    let outcome = make_unless_recent(db, database_url, storage, plan, every_secs).await;
    if let Some(conn) = lock {
        // Closing the session releases its lock.
        conn.close().await.ok();
    }
    outcome
}

async fn make_unless_recent(
    db: &Db,
    database_url: &str,
    storage: &Storage,
    plan: &Plan,
    every_secs: i64,
) -> Result<Option<Made>> {
    let (last,): (Option<i64>,) =
        sqlx::query_as("select max(created_at) from audit_events where action = $1")
            .bind(Action::BackupMade.code())
            .fetch_one(db.pool())
            .await?;
    if last.is_some_and(|last| clock::now() - last < every_secs) {
        return Ok(None);
    }
    make(db, database_url, storage, plan, &Actor::System)
        .await
        .map(Some)
}

/// Deletes all but the newest `keep` backups in `dir` (by the time in their
/// names); other files are left alone. Returns what was deleted.
pub fn rotate(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| is_backup_name(name))
        .collect();
    names.sort_unstable_by(|a, b| b.cmp(a));
    let mut removed = Vec::new();
    for name in names.into_iter().skip(keep) {
        let path = dir.join(name);
        std::fs::remove_file(&path)?;
        removed.push(path);
    }
    Ok(removed)
}

/// `dir`, made readable by its owner only if it did not exist.
fn private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    Ok(())
}

/// Names the temporary directory holding a run's plaintext.
const SCRATCH_PREFIX: &str = "primarypoint-backup-";
/// Names an archive being written in the backup directory.
const PARTIAL_PREFIX: &str = ".primarypoint-";
/// Leftovers of a run older than this were left by one that was killed
/// part way (a crash, a power cut), as no run takes so long.
const STALE: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// A private (`0700`) temporary directory, removed when dropped. One left
/// by a run that was killed part way holds a plaintext copy of the
/// database: such leftovers are removed first.
fn scratch_dir() -> Result<tempfile::TempDir> {
    remove_stale(&std::env::temp_dir(), SCRATCH_PREFIX);
    Ok(tempfile::Builder::new().prefix(SCRATCH_PREFIX).tempdir()?)
}

/// Removes what in `dir` is named with `prefix` and is older than
/// [`STALE`]. Best effort: what cannot be removed (another user's) stays.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(prefix));
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|at| at.elapsed().ok())
            .is_some_and(|age| age > STALE);
        if ours && stale {
            let path = entry.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            match removed {
                Ok(()) => {
                    tracing::warn!(path = %path.display(), "removed what a killed backup or restore left")
                }
                Err(error) => {
                    tracing::warn!(%error, path = %path.display(), "could not remove what a killed backup or restore left")
                }
            }
        }
    }
}

/// One consistent copy of the database at `to`.
async fn snapshot_database(db: &Db, database_url: &str, to: &Path) -> Result<()> {
    match db.backend() {
        Backend::Sqlite => {
            let to = to.to_str().ok_or_else(|| {
                Error::Backup("the temporary directory's path is not UTF-8; set TMPDIR".to_owned())
            })?;
            sqlx::query("vacuum into $1")
                .bind(to)
                .execute(db.pool())
                .await?;
            Ok(())
        }
        Backend::Postgres => {
            let target = Libpq::from_url(database_url)?;
            let mut command = tokio::process::Command::new("pg_dump");
            command
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(to);
            target.apply(command.as_std_mut());
            let output = command
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .output()
                .await
                .map_err(|e| missing_tool("pg_dump", e))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(Error::Backup(format!(
                    "pg_dump failed ({}): {}",
                    output.status,
                    last_line(&output.stderr)
                )))
            }
        }
    }
}

fn missing_tool(tool: &str, error: io::Error) -> Error {
    if error.kind() == io::ErrorKind::NotFound {
        Error::Backup(format!(
            "{tool} was not found: install the PostgreSQL client tools (the server's major \
             version or newer) on this machine's PATH"
        ))
    } else {
        Error::Backup(format!("could not run {tool}: {error}"))
    }
}

/// The last non-empty line a tool wrote to its standard error.
fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_owned()
}

/// Everything the blocking writer needs.
struct Archive {
    handle: Handle,
    storage: Storage,
    recipient: Recipient,
    dir: PathBuf,
    path: PathBuf,
    snapshot: PathBuf,
    manifest: Manifest,
    objects: Vec<Object>,
}

impl Archive {
    /// Writes the encrypted archive under a temporary name in the backup
    /// directory and renames it into place; its size and how many files it
    /// holds. On any failure the temporary file is removed.
    fn write(self) -> Result<(u64, usize)> {
        remove_stale(&self.dir, PARTIAL_PREFIX);
        let partial = tempfile::Builder::new()
            .prefix(PARTIAL_PREFIX)
            .suffix(".partial")
            .tempfile_in(&self.dir)?;
        let encryptor = age::Encryptor::with_recipients(std::iter::once(
            &self.recipient as &dyn age::Recipient,
        ))
        .map_err(|e| Error::Backup(format!("could not encrypt to BACKUP_RECIPIENT: {e}")))?;
        let encrypted =
            encryptor.wrap_output(BufWriter::with_capacity(CHUNK_BYTES, partial.as_file()))?;
        let mut tar = tar::Builder::new(encrypted);
        let at = u64::try_from(self.manifest.created_at).unwrap_or_default();
        let manifest = serde_json::to_vec_pretty(&self.manifest)
            .map_err(|e| Error::Backup(format!("manifest: {e}")))?;
        append(&mut tar, MANIFEST, manifest.len() as u64, at, &manifest[..])?;
        let snapshot = std::fs::File::open(&self.snapshot)?;
        let size = snapshot.metadata()?.len();
        append(&mut tar, DATABASE, size, at, BufReader::new(snapshot))?;
        let mut files = 0;
        for object in &self.objects {
            let Some(stream) = self
                .handle
                .block_on(self.storage.get_if_present(&object.key))?
            else {
                tracing::warn!(key = %object.key, "a stored file went before it was backed up");
                continue;
            };
            let reader = ObjectReader {
                handle: &self.handle,
                stream,
                pending: Bytes::new(),
                left: object.size,
            };
            append(
                &mut tar,
                &format!("{FILES}{}", object.key),
                object.size,
                at,
                reader,
            )?;
            files += 1;
        }
        let buffered = tar.into_inner()?.finish()?;
        let file = buffered
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        let bytes = file.metadata()?.len();
        partial
            .persist_noclobber(&self.path)
            .map_err(|e| Error::Io(e.error))?;
        #[cfg(unix)]
        std::fs::File::open(&self.dir)?.sync_all()?;
        Ok((bytes, files))
    }
}

/// Appends a regular file `name` of `size` bytes read from `data`.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    at: u64,
    data: impl Read,
) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(at);
    tar.append_data(&mut header, name, data)?;
    Ok(())
}

/// A stored object read synchronously (on a blocking thread) from its
/// stream, checked to be exactly the size it was listed with, so the
/// archive's entry header stays true.
struct ObjectReader<'a, S> {
    handle: &'a Handle,
    stream: S,
    pending: Bytes,
    left: u64,
}

impl<S: Stream<Item = io::Result<Bytes>> + Unpin> Read for ObjectReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                Some(chunk) => self.pending = chunk?,
                None if self.left == 0 => return Ok(0),
                None => {
                    return Err(io::Error::other(
                        "a stored file shrank while being backed up",
                    ));
                }
            }
        }
        let n = buf.len().min(self.pending.len());
        if n as u64 > self.left {
            return Err(io::Error::other("a stored file grew while being backed up"));
        }
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        self.left -= n as u64;
        Ok(n)
    }
}

/// Restores the backup `archive`, decrypted with the identity file
/// `identity`, into the database at `database_url` and into `storage`.
/// Both must be empty (no tables; no objects): otherwise nothing is
/// changed and [`Error::RestoreTargetNotEmpty`] says which is not.
pub async fn restore(
    database_url: &str,
    storage: &Storage,
    archive: &Path,
    identity: &Path,
) -> Result<Restored> {
    let backend = Backend::from_url(database_url)?;
    let identities = age::IdentityFile::from_file(identity.display().to_string())
        .map_err(|e| {
            Error::Backup(format!(
                "could not read the identity file {}: {e}",
                identity.display()
            ))
        })?
        .into_identities()
        .map_err(|e| Error::Backup(format!("the identity file is unusable: {e}")))?;
    if identities.is_empty() {
        return Err(Error::Backup(format!(
            "the identity file {} holds no age identity (AGE-SECRET-KEY-1…)",
            identity.display()
        )));
    }
    let sqlite_file = match backend {
        Backend::Sqlite => Some(empty_sqlite(database_url).await?),
        Backend::Postgres => {
            empty_postgres(database_url).await?;
            None
        }
    };
    if !storage.is_empty().await? {
        return Err(Error::RestoreTargetNotEmpty("the file store"));
    }
    let file = std::fs::File::open(archive).map_err(|e| {
        Error::Backup(format!(
            "could not open the backup {}: {e}",
            archive.display()
        ))
    })?;
    let job = Unpack {
        handle: Handle::current(),
        storage: storage.clone(),
        backend,
        database_url: database_url.to_owned(),
        sqlite_file,
    };
    tokio::task::spawn_blocking(move || job.run(file, identities)).await?
}

/// The SQLite file `database_url` names, once it is known to be missing or
/// to hold no table.
async fn empty_sqlite(database_url: &str) -> Result<PathBuf> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(database_url)?;
    let path = options.get_filename().to_owned();
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") {
        return Err(Error::Backup(
            "DATABASE_URL must name a SQLite file to restore into".to_owned(),
        ));
    }
    if !path.exists() {
        return Ok(path);
    }
    let db = Db::connect(database_url, &PoolSettings::default()).await?;
    let tables: std::result::Result<(i64,), sqlx::Error> =
        sqlx::query_as("select count(*) from sqlite_master where type = 'table'")
            .fetch_one(db.pool())
            .await;
    db.close().await;
    if tables?.0 > 0 {
        return Err(Error::RestoreTargetNotEmpty("the database"));
    }
    Ok(path)
}

/// Refuses a PostgreSQL database with any table outside the system schemas.
async fn empty_postgres(database_url: &str) -> Result<()> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await?;
    // The catalogue, not information_schema, which lists only what the
    // connecting role has privileges on: a table owned by another role
    // must count too.
    let tables: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
        "select count(*) from pg_catalog.pg_class c \
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') \
         and n.nspname not in ('pg_catalog', 'information_schema') \
         and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'",
    )
    .fetch_one(&mut conn)
    .await;
    conn.close().await.ok();
    if tables?.0 > 0 {
        return Err(Error::RestoreTargetNotEmpty("the database"));
    }
    Ok(())
}

/// Everything the blocking reader needs.
struct Unpack {
    handle: Handle,
    storage: Storage,
    backend: Backend,
    database_url: String,
    /// On SQLite, the file to restore into.
    sqlite_file: Option<PathBuf>,
}

impl Unpack {
    fn run(
        self,
        file: std::fs::File,
        identities: Vec<Box<dyn age::Identity + Send + Sync>>,
    ) -> Result<Restored> {
        let decryptor = age::Decryptor::new_buffered(BufReader::with_capacity(CHUNK_BYTES, file))
            .map_err(not_a_backup)?;
        let plaintext = decryptor
            .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .map_err(not_a_backup)?;
        let mut archive = tar::Archive::new(plaintext);
        let mut entries = archive.entries()?;
        let manifest = match entries.next() {
            Some(entry) => {
                let mut entry = entry?;
                if entry.path_bytes().as_ref() != MANIFEST.as_bytes() {
                    return Err(Error::Backup(
                        "the backup does not start with its manifest".to_owned(),
                    ));
                }
                let mut text = Vec::new();
                entry.by_ref().take(MANIFEST_BYTES).read_to_end(&mut text)?;
                serde_json::from_slice::<Manifest>(&text).map_err(|e| {
                    Error::Backup(format!("the backup's manifest is unreadable: {e}"))
                })?
            }
            None => return Err(Error::Backup("the backup is empty".to_owned())),
        };
        if manifest.format != FORMAT {
            return Err(Error::Backup(format!(
                "the backup is in format {}; this version of PrimaryPoint reads format {FORMAT}",
                manifest.format
            )));
        }
        if manifest.database != self.backend.name() {
            return Err(Error::Backup(format!(
                "the backup is of a {} database, and DATABASE_URL names {}: restore into the same kind",
                manifest.database,
                self.backend.name()
            )));
        }
        let mut database = false;
        let mut files = 0;
        for entry in entries {
            let mut entry = entry?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                return Err(Error::Backup(
                    "the backup holds something other than files".to_owned(),
                ));
            }
            let name = String::from_utf8(entry.path_bytes().into_owned()).map_err(|_| {
                Error::Backup("the backup holds a name that is not UTF-8".to_owned())
            })?;
            if name == DATABASE && !database {
                self.restore_database(&mut entry)?;
                database = true;
            } else if let Some(key) = name.strip_prefix(FILES)
                && database
            {
                let size = entry.size();
                let chunks = std::iter::from_fn(|| {
                    let mut chunk = vec![0; CHUNK_BYTES];
                    match entry.read(&mut chunk) {
                        Ok(0) => None,
                        Ok(n) => {
                            chunk.truncate(n);
                            Some(Ok(Bytes::from(chunk)))
                        }
                        Err(error) => Some(Err(error)),
                    }
                });
                let written = self.handle.block_on(self.storage.put_as_is(
                    key,
                    size,
                    futures::stream::iter(chunks),
                ))?;
                if written != size {
                    return Err(Error::Backup(format!(
                        "the backup's copy of {key} is cut short"
                    )));
                }
                files += 1;
            } else {
                return Err(Error::Backup(format!(
                    "the backup holds an unexpected entry {name:?}"
                )));
            }
        }
        // Read to the end, so the whole file is authenticated (age checks
        // that nothing was cut off only at its last chunk).
        io::copy(&mut archive.into_inner(), &mut io::sink())?;
        if !database || files > manifest.files {
            return Err(Error::Backup(format!(
                "the backup does not match its manifest: {} the database, and {files} files of \
                 the {} listed",
                if database { "with" } else { "without" },
                manifest.files
            )));
        }
        Ok(Restored {
            database: self.backend,
            created_at: manifest.created_at,
            files,
        })
    }

    fn restore_database(&self, entry: &mut impl Read) -> Result<()> {
        match &self.sqlite_file {
            Some(path) => {
                let dir = match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir,
                    _ => Path::new("."),
                };
                std::fs::create_dir_all(dir)?;
                let mut copy = tempfile::Builder::new()
                    .prefix(".primarypoint-restore-")
                    .tempfile_in(dir)?;
                io::copy(entry, &mut copy)?;
                copy.as_file().sync_all()?;
                // Checked again now the copy is ready (decrypting can take
                // minutes, and a server may have started meanwhile); the
                // target still holds no table, so it and its journal go.
                self.handle.block_on(empty_sqlite(&self.database_url))?;
                for leftover in [
                    path.clone(),
                    with_suffix(path, "-wal"),
                    with_suffix(path, "-shm"),
                ] {
                    match std::fs::remove_file(&leftover) {
                        Err(error) if error.kind() != io::ErrorKind::NotFound => {
                            return Err(error.into());
                        }
                        _ => {}
                    }
                }
                copy.persist_noclobber(path)
                    .map_err(|e| Error::Io(e.error))?;
                Ok(())
            }
            None => {
                let scratch = scratch_dir()?;
                let dump = scratch.path().join(DATABASE);
                io::copy(entry, &mut std::fs::File::create_new(&dump)?)?;
                let target = Libpq::from_url(&self.database_url)?;
                let mut command = std::process::Command::new("pg_restore");
                command.args([
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                ]);
                target.apply(&mut command);
                let output = command
                    .arg(&dump)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .output()
                    .map_err(|e| missing_tool("pg_restore", e))?;
                if output.status.success() {
                    Ok(())
                } else {
                    Err(Error::Backup(format!(
                        "pg_restore failed ({}): {}",
                        output.status,
                        last_line(&output.stderr)
                    )))
                }
            }
        }
    }
}

fn not_a_backup(error: age::DecryptError) -> Error {
    match error {
        age::DecryptError::NoMatchingKeys => Error::Backup(
            "the identity file does not hold the key this backup was encrypted to".to_owned(),
        ),
        other => Error::Backup(format!("the file is not a readable backup: {other}")),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A PostgreSQL URL as `pg_dump` and `pg_restore` take it: the password
/// moved out of the URL (and so off the command line, where any user of
/// the machine could read it) into `PGPASSWORD`, and only the parameters
/// libpq knows, under its names.
#[derive(PartialEq, Eq)]
struct Libpq {
    url: String,
    password: Option<String>,
}

impl std::fmt::Debug for Libpq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Libpq")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Libpq {
    fn from_url(url: &str) -> Result<Self> {
        let unsupported = || Error::UnsupportedDatabase("expected postgres://…".to_owned());
        let mut parsed = url::Url::parse(url).map_err(|_| unsupported())?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(unsupported());
        }
        let mut password = parsed.password().map(|secret| {
            percent_encoding::percent_decode_str(secret)
                .decode_utf8_lossy()
                .into_owned()
        });
        let mut params = Vec::new();
        for (key, value) in parsed.query_pairs() {
            let key = match key.as_ref() {
                "password" => {
                    password = Some(value.into_owned());
                    continue;
                }
                "ssl-mode" => "sslmode",
                "ssl-root-cert" | "ssl-ca" => "sslrootcert",
                "ssl-cert" => "sslcert",
                "ssl-key" => "sslkey",
                known @ ("sslmode"
                | "sslrootcert"
                | "sslcert"
                | "sslkey"
                | "host"
                | "hostaddr"
                | "port"
                | "dbname"
                | "user"
                | "application_name"
                | "options"
                | "connect_timeout"
                | "target_session_attrs") => known,
                // sqlx's own settings (statement-cache-capacity, …).
                _ => continue,
            };
            params.push((key.to_owned(), value.into_owned()));
        }
        let _ = parsed.set_password(None);
        parsed.set_query(None);
        if !params.is_empty() {
            parsed.query_pairs_mut().extend_pairs(&params);
        }
        // libpq reads either scheme; one spelling keeps the tests plain.
        let url = match parsed.as_str().strip_prefix("postgres://") {
            Some(rest) => format!("postgresql://{rest}"),
            None => parsed.to_string(),
        };
        Ok(Self { url, password })
    }

    /// Points `command` at the database. A password in the environment is
    /// replaced, and none is ever asked for.
    fn apply(&self, command: &mut std::process::Command) {
        command.arg("--no-password").arg("--dbname").arg(&self.url);
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_are_named_by_the_time_they_were_made() {
        assert_eq!(file_name(0), "primarypoint-19700101T000000Z.tar.age");
        assert_eq!(
            file_name(1_767_323_045),
            "primarypoint-20260102T030405Z.tar.age"
        );
        assert!(is_backup_name(&file_name(1_767_323_045)));
        for other in [
            "primarypoint-20260102T030405Z.tar",
            "primarypoint-20260102T030405Z.tar.age.partial",
            ".primarypoint-abc.partial",
            "primarypoint-2026010xT030405Z.tar.age",
            "notes.txt",
        ] {
            assert!(!is_backup_name(other), "{other}");
        }
    }

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let target =
            Libpq::from_url("postgres://app:p%40ss%3Aw0rd@db.internal:5433/pp?sslmode=require&statement-cache-capacity=10")
                .expect("url");
        assert_eq!(
            target.url,
            "postgresql://app@db.internal:5433/pp?sslmode=require"
        );
        assert_eq!(target.password.as_deref(), Some("p@ss:w0rd"));
        assert!(!format!("{target:?}").contains("w0rd"));

        let target = Libpq::from_url("postgresql://localhost/pp?password=s3cret&ssl-mode=disable")
            .expect("url");
        assert_eq!(target.url, "postgresql://localhost/pp?sslmode=disable");
        assert_eq!(target.password.as_deref(), Some("s3cret"));

        let target = Libpq::from_url("postgres://postgres@127.0.0.1:5432/x").expect("url");
        assert_eq!(target.url, "postgresql://postgres@127.0.0.1:5432/x");
        assert_eq!(target.password, None);
        assert!(Libpq::from_url("sqlite:x.db").is_err());
    }

    #[test]
    fn a_recipient_must_be_an_age_public_key() {
        let (identity, recipient) = new_key();
        assert_eq!(
            parse_recipient(&recipient.to_string()),
            Ok(recipient.clone())
        );
        assert!(identity.contains(&format!("# public key: {recipient}")));
        assert!(identity.contains("AGE-SECRET-KEY-1"));
        for bad in ["", "age1nope", "AGE-SECRET-KEY-1QQQ", "ssh-ed25519 AAAA"] {
            assert!(parse_recipient(bad).is_err(), "{bad}");
        }
    }
}
