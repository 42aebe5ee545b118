//! The audit viewer: the trail filtered a page at a time, or streamed whole
//! as CSV, and the chain check as a page reports it. Administrators only;
//! anyone else gets [`Error::NotFound`], as if there were nothing here.

use super::{record, verify};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::keys::Keys;
use crate::library::{admin_only, require_admin};
use crate::sql::Sql;
use bytes::Bytes;
use domain::Email;
use domain::account::Viewer;
use domain::audit::{
    AUDIT_COUNT_LIMIT, AUDIT_PAGE_SIZE, Action, AuditEntry, AuditPage, AuditQuery, ChainReport,
};
use futures::{Stream, StreamExt};
use sqlx::{Any, Executor};

/// Events read per query while exporting, so memory stays flat however
/// long the trail.
const EXPORT_BATCH: i64 = 1_000;

/// The viewer's filters, resolved against the database: an email address
/// becomes the actor it names.
#[derive(Clone, Debug, Default)]
struct Filters {
    actor: Option<String>,
    organisation: Option<i64>,
    action: Option<Action>,
    target: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
}

impl Filters {
    async fn resolve<'e>(
        executor: impl Executor<'e, Database = Any>,
        query: &AuditQuery,
    ) -> Result<Self> {
        let actor = match query.actor.as_deref() {
            Some(raw) if raw.contains('@') => {
                let user: Option<(i64,)> = match Email::parse(raw) {
                    Ok(email) => {
                        sqlx::query_as("select id from users where email = $1")
                            .bind(email.as_str())
                            .fetch_optional(executor)
                            .await?
                    }
                    Err(_) => None,
                };
                // An address with no account matches no event.
                Some(user.map_or_else(|| "user:none".to_owned(), |(id,)| format!("user:{id}")))
            }
            other => other.map(str::to_owned),
        };
        let (from, to) = query.time_range();
        Ok(Self {
            actor,
            organisation: query.organisation,
            action: query.action,
            target: query.target.clone(),
            from,
            to,
        })
    }

    /// Appends ` and …` for each filter set; the events table is `a`.
    fn conditions(&self, sql: &mut Sql) {
        if let Some(actor) = &self.actor {
            sql.push(" and a.actor = ").bind(actor.as_str());
        }
        if let Some(organisation) = self.organisation {
            sql.push(" and a.organisation_id = ").bind(organisation);
        }
        if let Some(action) = self.action {
            sql.push(" and a.action = ").bind(action.code());
        }
        if let Some(target) = &self.target {
            sql.push(" and a.subject = ").bind(target.as_str());
        }
        if let Some(from) = self.from {
            sql.push(" and a.created_at >= ").bind(from);
        }
        if let Some(to) = self.to {
            sql.push(" and a.created_at <= ").bind(to);
        }
    }

    /// `select <an event as the viewer shows it> … where <filters>`; the
    /// caller orders and limits.
    fn select(&self) -> Sql {
        let mut sql = Sql::new();
        sql.push(
            "select a.id, a.seq, a.created_at, a.actor, a.action, a.subject, a.detail, \
             a.client, a.agent, o.name as organisation, u.full_name as actor_name, u.email as actor_email \
             from audit_events a \
             left join organisations o on o.id = a.organisation_id \
             left join users u on u.id = \
             (case when a.actor like 'user:%' then cast(substr(a.actor, 6) as bigint) end) \
             where 1 = 1",
        );
        self.conditions(&mut sql);
        sql
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    seq: Option<i64>,
    created_at: i64,
    actor: String,
    action: String,
    subject: Option<String>,
    detail: String,
    client: Option<String>,
    agent: Option<String>,
    organisation: Option<String>,
    actor_name: Option<String>,
    actor_email: Option<String>,
}

impl EntryRow {
    /// The entry. An action code this build does not know is shown as it
    /// is, so one row from another version cannot hide the rest.
    fn into_entry(self) -> AuditEntry {
        AuditEntry {
            id: self.id,
            seq: self.seq,
            at: self.created_at,
            actor: self.actor,
            actor_name: self.actor_name,
            actor_email: self.actor_email,
            organisation: self.organisation,
            action: Action::parse(&self.action),
            code: self.action,
            target: self.subject,
            detail: self.detail,
            client: self.client,
            agent: self.agent,
        }
    }
}

/// One page of the events `query` picks, newest first.
pub async fn page(db: &Db, viewer: &Viewer, query: &AuditQuery) -> Result<AuditPage> {
    admin_only(db, viewer).await?;
    let filters = Filters::resolve(db.pool(), query).await?;
    let mut count = Sql::new();
    count.push("select count(*) from (select 1 from audit_events a where 1 = 1");
    filters.conditions(&mut count);
    count
        .push(" limit ")
        .bind(AUDIT_COUNT_LIMIT + 1)
        .push(") counted");
    let (found,): (i64,) = count.query_as().fetch_one(db.pool()).await?;
    let mut sql = filters.select();
    sql.push(" order by a.id desc limit ")
        .bind(AUDIT_PAGE_SIZE)
        .push(" offset ")
        .bind(query.offset());
    let rows: Vec<EntryRow> = sql.query_as().fetch_all(db.pool()).await?;
    Ok(AuditPage::counted_to(
        rows.into_iter().map(EntryRow::into_entry).collect(),
        found,
        AUDIT_COUNT_LIMIT,
        query.page(),
        AUDIT_PAGE_SIZE,
    ))
}

/// The organisations the viewer can filter by: those named by any event.
pub async fn organisations(db: &Db, viewer: &Viewer) -> Result<Vec<(i64, String)>> {
    admin_only(db, viewer).await?;
    Ok(sqlx::query_as(
        "select id, name from organisations o where exists \
         (select 1 from audit_events a where a.organisation_id = o.id) order by name, id",
    )
    .fetch_all(db.pool())
    .await?)
}

/// Checks the whole chain for an administrator.
pub async fn chain(db: &Db, keys: &Keys, viewer: &Viewer) -> Result<ChainReport> {
    admin_only(db, viewer).await?;
    let verification = verify(db, keys).await?;
    Ok(ChainReport {
        checked: verification.checked,
        first_break: verification.first_break.map(|b| b.to_string()),
        at: clock::now(),
    })
}

/// The events `query` picks, all of them, on their way out as CSV.
#[derive(Debug)]
pub struct Export {
    db: Db,
    filters: Filters,
}

/// The CSV's columns.
const HEADER: [&str; 13] = [
    "id",
    "seq",
    "time_utc",
    "actor",
    "actor_name",
    "actor_email",
    "organisation",
    "action",
    "action_label",
    "target",
    "detail",
    "client",
    "browser",
];

/// Starts an export for `viewer`, recording it with its filters before a
/// byte is sent, so an export that is cut short is still on record.
pub async fn export(db: &Db, viewer: &Viewer, query: &AuditQuery) -> Result<Export> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let filters = Filters::resolve(&mut *tx, query).await?;
    // The filters as resolved: an email address typed as the actor is
    // recorded as the account it names, so the trail never holds it.
    let recorded = AuditQuery {
        actor: filters.actor.clone(),
        ..query.all_pages()
    };
    record(&mut tx, &actor, Action::AuditExported, None, &recorded).await?;
    tx.commit().await?;
    Ok(Export {
        db: db.clone(),
        filters,
    })
}

impl Export {
    /// The CSV, newest event first, read [`EXPORT_BATCH`] events at a time.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
        let header = futures::stream::once(async { csv_bytes(|w| w.write_record(HEADER)) });
        let batches = futures::stream::unfold(Some((self, None)), |state| async move {
            let (export, before) = state?;
            match export.batch(before).await {
                Ok(None) => None,
                Ok(Some((bytes, last))) => Some((Ok(bytes), Some((export, Some(last))))),
                Err(error) => Some((Err(error), None)),
            }
        });
        // Fused: a compressing body polls once more after the end.
        header.chain(batches).fuse()
    }

    /// The CSV of the next events older than `before`, and the last id in
    /// it; `None` when there are no more.
    async fn batch(&self, before: Option<i64>) -> Result<Option<(Bytes, i64)>> {
        let mut sql = self.filters.select();
        if let Some(before) = before {
            sql.push(" and a.id < ").bind(before);
        }
        sql.push(" order by a.id desc limit ").bind(EXPORT_BATCH);
        let rows: Vec<EntryRow> = sql.query_as().fetch_all(self.db.pool()).await?;
        let Some(last) = rows.last().map(|row| row.id) else {
            return Ok(None);
        };
        let entries: Vec<AuditEntry> = rows.into_iter().map(EntryRow::into_entry).collect();
        let bytes = csv_bytes(|w| {
            entries
                .iter()
                .try_for_each(|entry| w.write_record(csv_record(entry)))
        })?;
        Ok(Some((bytes, last)))
    }
}

/// What `write` writes, as CSV bytes.
fn csv_bytes(write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Result<Bytes> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    write(&mut writer).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    Ok(Bytes::from(bytes))
}

/// An entry's cells. Text a spreadsheet would take as a formula (starting
/// `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.
fn csv_record(entry: &AuditEntry) -> [String; 13] {
    let text = |value: &str| {
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_owned()
        }
    };
    let optional = |value: &Option<String>| value.as_deref().map(text).unwrap_or_default();
    [
        entry.id.to_string(),
        entry.seq.map(|s| s.to_string()).unwrap_or_default(),
        iso_time(entry.at),
        text(&entry.actor),
        optional(&entry.actor_name),
        optional(&entry.actor_email),
        optional(&entry.organisation),
        text(&entry.code),
        text(entry.action_label()),
        optional(&entry.target),
        text(&entry.detail),
        optional(&entry.client),
        optional(&entry.agent),
    ]
}

/// Unix seconds as `2026-11-23T14:05:09Z`.
fn iso_time(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_defused() {
        let entry = AuditEntry {
            id: 7,
            seq: Some(3),
            at: 1_795_442_709,
            actor: "user:1".into(),
            actor_name: Some("=HYPERLINK(\"http://evil.example\")".into()),
            actor_email: Some("a@b.example".into()),
            organisation: Some("@SUM(A1)".into()),
            code: "resource.viewed".into(),
            action: Some(Action::ResourceViewed),
            target: Some("resource:4".into()),
            detail: "{}".into(),
            client: Some("-k3y".into()),
            agent: Some("Firefox".into()),
        };
        let cells = csv_record(&entry);
        assert_eq!(cells[2], "2026-11-23T14:05:09Z");
        assert_eq!(cells[4], "'=HYPERLINK(\"http://evil.example\")");
        assert_eq!(cells[6], "'@SUM(A1)");
        assert_eq!(cells[7], "resource.viewed");
        assert_eq!(cells[11..], ["'-k3y", "Firefox"]);
    }
}
