//! Resources' files: administrators upload versions, members download the
//! ones they may see, and a background job extracts their text for search.
//!
//! Every download lookup starts from [`Scope::select`], so a file of a
//! resource the caller may not see is [`Error::NotFound`], exactly like a
//! file that does not exist.

use super::require_admin;
use super::scope::{Scope, Sql};
use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::files::{Extractor, PutError, Storage};
use bytes::Bytes;
use domain::account::Viewer;
use domain::audit::Action;
use domain::files::{
    FileType, ResourceFile, TextStatus, accepted_list, clean_file_name, human_size,
};
use domain::library::version_download_path;
use futures::Stream;
use sqlx::{Any, Executor};

/// How long a claimed file is left to its extractor before another
/// instance may try it.
const LEASE_SECS: i64 = 5 * 60;
/// Tries before a file whose extraction never finished (the instance
/// stopped, say) is given up on.
const MAX_ATTEMPTS: i64 = 3;

/// What an upload needs besides its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Upload<'a> {
    pub resource_id: i64,
    /// The name the browser sent, as it sent it.
    pub file_name: &'a str,
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
}

/// Stores `body` as the next version of resource `upload.resource_id`'s
/// file and returns its version number. Administrators only (anyone else:
/// [`Error::NotFound`], before a byte is stored). A name without an
/// accepted extension, contents that are not what the name says, an empty
/// file or one over the limit are field errors on `file`, and nothing is
/// kept. The resource's address and its latest-download address stay the
/// same; earlier versions stay listed and downloadable.
pub async fn upload<S, E>(
    db: &Db,
    storage: &Storage,
    viewer: &Viewer,
    upload: Upload<'_>,
    body: S,
) -> Result<i64>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    // Checked before anything is stored, and again when it is recorded.
    {
        let scope = Scope::of(db.pool(), viewer.id).await?;
        if !scope.is_admin() {
            return Err(Error::NotFound);
        }
        let exists: Option<(i64,)> = sqlx::query_as("select id from resources where id = $1")
            .bind(upload.resource_id)
            .fetch_optional(db.pool())
            .await?;
        if exists.is_none() {
            return Err(Error::NotFound);
        }
    }
    let file_name = if upload.file_name.trim().is_empty() {
        return Err(Error::on_field("file", "Select a file"));
    } else {
        clean_file_name(upload.file_name).ok_or_else(|| {
            Error::on_field(
                "file",
                &format!("The selected file must be a {}", accepted_list()),
            )
        })?
    };
    let file_type = FileType::from_name(&file_name).ok_or(Error::NotFound)?;
    let stored = match storage.put(body, upload.max_bytes, file_type).await {
        Ok(stored) => stored,
        Err(PutError::TooLarge(limit)) => {
            return Err(Error::on_field(
                "file",
                &format!(
                    "The selected file must be smaller than {}",
                    human_size(i64::try_from(limit).unwrap_or(i64::MAX))
                ),
            ));
        }
        Err(PutError::Empty) => return Err(Error::on_field("file", "The selected file is empty")),
        Err(PutError::BrokenOff(why)) => {
            tracing::info!(%why, "an upload broke off");
            return Err(Error::on_field(
                "file",
                "The file did not finish uploading. Try again",
            ));
        }
        Err(PutError::Mismatch(claimed)) => {
            return Err(Error::on_field(
                "file",
                &format!(
                    "The selected file is not a real {} file: its contents do not match its .{} name",
                    claimed.extension().to_uppercase(),
                    claimed.extension()
                ),
            ));
        }
        Err(PutError::Storage(error)) => return Err(Error::Storage(error.to_string())),
    };
    match record(db, viewer, upload.resource_id, &file_name, &stored).await {
        Ok(version) => Ok(version),
        Err(error) => {
            storage.delete(&stored.key).await;
            Err(error)
        }
    }
}

async fn record(
    db: &Db,
    viewer: &Viewer,
    resource_id: i64,
    file_name: &str,
    stored: &crate::files::Stored,
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let now = clock::now();
    // Locks the resource's row on PostgreSQL, so concurrent uploads to one
    // resource take their version numbers one after the other. Its indexed
    // text is of the previous file until this one's is extracted.
    let touched =
        sqlx::query("update resources set updated_at = $1, file_text = null where id = $2")
            .bind(now)
            .bind(resource_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if touched == 0 {
        return Err(Error::NotFound);
    }
    let (version,): (i64,) = sqlx::query_as(
        "select coalesce(max(version), 0) + 1 from resource_files where resource_id = $1",
    )
    .bind(resource_id)
    .fetch_one(&mut *tx)
    .await?;
    let size = i64::try_from(stored.size).unwrap_or(i64::MAX);
    sqlx::query(
        "insert into resource_files (resource_id, version, file_name, content_type, size_bytes, sha256, \
         storage_key, text_status, uploaded_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9)",
    )
    .bind(resource_id)
    .bind(version)
    .bind(file_name)
    .bind(stored.file_type.content_type())
    .bind(size)
    .bind(&stored.sha256)
    .bind(&stored.key)
    .bind(viewer.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &actor,
        Action::ResourceFileUploaded,
        Some(&format!("resource:{resource_id}")),
        &serde_json::json!({
            "version": version,
            "file_name": file_name,
            "type": stored.file_type.extension(),
            "size_bytes": size,
            "sha256": stored.sha256,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

#[derive(sqlx::FromRow)]
struct FileRow {
    version: i64,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    text_status: String,
    created_at: i64,
}

fn stored_type(raw: &str) -> Result<FileType> {
    FileType::from_content_type(raw).ok_or_else(|| Error::Unreadable {
        column: "resource_files.content_type",
        value: raw.to_owned(),
    })
}

/// Every version of resource `id`'s file, latest first. The caller has
/// already established that the viewer may see the resource.
pub(super) async fn versions<'e>(
    executor: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Vec<ResourceFile>> {
    let rows: Vec<FileRow> = sqlx::query_as(
        "select version, file_name, content_type, size_bytes, text_status, created_at \
         from resource_files where resource_id = $1 order by version desc",
    )
    .bind(id)
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(ResourceFile {
                file_type: stored_type(&row.content_type)?,
                text_status: TextStatus::parse(&row.text_status).ok_or_else(|| {
                    Error::Unreadable {
                        column: "resource_files.text_status",
                        value: row.text_status.clone(),
                    }
                })?,
                download_path: version_download_path(id, row.version),
                version: row.version,
                file_name: row.file_name,
                size_bytes: row.size_bytes,
                uploaded_at: row.created_at,
            })
        })
        .collect()
}

/// A file about to be sent: what the response says about it, and where its
/// bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    pub version: i64,
    /// Cleaned at upload: safe in a `Content-Disposition` header.
    pub file_name: String,
    pub file_type: FileType,
    pub size_bytes: i64,
    pub storage_key: String,
}

#[derive(sqlx::FromRow)]
struct DownloadRow {
    version: i64,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    storage_key: String,
}

/// Resource `id`'s file as `viewer` may download it: version `version`, or
/// the latest when `None`. Recorded as a download (P5). A resource the
/// viewer may not see, one without that version, or one that does not
/// exist are all [`Error::NotFound`], and none is recorded.
pub async fn download(db: &Db, viewer: &Viewer, id: i64, version: Option<i64>) -> Result<Download> {
    let mut tx = db.begin_write().await?;
    let scope = Scope::of(&mut *tx, viewer.id).await?;
    let mut sql = Sql::new();
    scope.select(
        &mut sql,
        "f.version, f.file_name, f.content_type, f.size_bytes, f.storage_key",
        "resources r join resource_files f on f.resource_id = r.id",
        false,
    );
    sql.push(" and r.id = ").bind(id);
    if let Some(version) = version {
        sql.push(" and f.version = ").bind(version);
    }
    sql.push(" order by f.version desc limit 1");
    let row: DownloadRow = sql
        .query_as()
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
    let file_type = stored_type(&row.content_type)?;
    audit::record(
        &mut tx,
        &Actor::User { id: viewer.id },
        Action::ResourceDownloaded,
        Some(&format!("resource:{id}")),
        &serde_json::json!({ "version": row.version, "latest": version.is_none() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Download {
        version: row.version,
        file_name: row.file_name,
        file_type,
        size_bytes: row.size_bytes,
        storage_key: row.storage_key,
    })
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    resource_id: i64,
    version: i64,
    content_type: String,
    storage_key: String,
    text_attempts: i64,
}

/// Takes the oldest file waiting for extraction that no other instance
/// holds, holding it for [`LEASE_SECS`].
async fn claim(db: &Db) -> Result<Option<ClaimRow>> {
    let now = clock::now();
    let row: Option<ClaimRow> = sqlx::query_as(
        "update resource_files set text_claimed_until = $1, text_attempts = text_attempts + 1, \
         updated_at = $2 \
         where id = (select id from resource_files where text_status = 'pending' \
                     and (text_claimed_until is null or text_claimed_until < $2) order by id limit 1) \
         and text_status = 'pending' and (text_claimed_until is null or text_claimed_until < $2) \
         returning id, resource_id, version, content_type, storage_key, text_attempts",
    )
    .bind(now + LEASE_SECS)
    .bind(now)
    .fetch_optional(db.writer())
    .await?;
    Ok(row)
}

/// Records what extraction of a claimed file found: its status and, when
/// it is still its resource's latest version, the text the search index
/// reads (`None`: no text).
async fn finish(db: &Db, claimed: &ClaimRow, text: Option<&str>) -> Result<()> {
    let status = if text.is_some() {
        TextStatus::Extracted
    } else {
        TextStatus::Unavailable
    };
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    sqlx::query(
        "update resource_files set text_status = $1, text_claimed_until = null, updated_at = $2 \
         where id = $3",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(claimed.id)
    .execute(&mut *tx)
    .await?;
    let (latest,): (i64,) =
        sqlx::query_as("select max(version) from resource_files where resource_id = $1")
            .bind(claimed.resource_id)
            .fetch_one(&mut *tx)
            .await?;
    if latest == claimed.version {
        // Not a change anyone made: the resource's updated date stays.
        sqlx::query("update resources set file_text = $1 where id = $2")
            .bind(text)
            .bind(claimed.resource_id)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        &Actor::System,
        Action::ResourceTextExtracted,
        Some(&format!("resource:{}", claimed.resource_id)),
        &serde_json::json!({
            "version": claimed.version,
            "status": status.as_str(),
            "chars": text.map(|t| t.chars().count()),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Extracts the text of every file waiting for it, one at a time, and
/// returns how many were done, each through `extractor` (a limited child
/// process in the server). A file that cannot be read is marked as having no text and
/// stays listed and downloadable. Safe to run on many instances at once.
pub async fn extract_pending(db: &Db, storage: &Storage, extractor: &Extractor) -> Result<usize> {
    let mut done = 0;
    while let Some(claimed) = claim(db).await? {
        let text = if claimed.text_attempts > MAX_ATTEMPTS {
            tracing::warn!(
                file = claimed.id,
                "giving up on a file whose extraction never finished"
            );
            None
        } else {
            let file_type = stored_type(&claimed.content_type)?;
            match storage.get(&claimed.storage_key).await {
                Ok(bytes) => extractor.extract(file_type, bytes).await,
                Err(error) => {
                    // Left claimed: tried again once the lease runs out.
                    tracing::error!(%error, file = claimed.id, "could not read a stored file");
                    continue;
                }
            }
        };
        finish(db, &claimed, text.as_deref()).await?;
        done += 1;
    }
    Ok(done)
}
