//! The member library: browsing, searching and reading resources, saving
//! them, and administrators writing them.
//!
//! Who may see what is decided in one place, [`scope::Scope`], which every
//! query here starts from: members of active organisations see published
//! resources of the services their organisation subscribes to, and those
//! for all customers; administrators see everything; anyone else nothing.
//! A resource the caller may not see is [`Error::NotFound`], exactly like
//! one that does not exist.

use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::markdown;
use domain::FieldErrors;
use domain::account::Viewer;
use domain::audit::Action;
use domain::library::{
    DAY, KindCount, LibraryPage, LibraryQuery, LibrarySort, MAX_RESULTS, PER_PAGE, REVIEW_DUE_DAYS,
    Resource, ResourceDetail, ResourceFormOptions, ResourceKind, ResourceOwner, ResourceStatus,
    ResourceSummary, ReviewBadge, ReviewItem, ServiceRef, library_page, normalise_search,
};
use scope::{Scope, Sql};
use search::Matcher;
use serde::Serialize;
use snippet::Highlighter;
use sqlx::{Any, AnyConnection, Transaction};

pub mod reminders;

/// Files: versioned uploads, downloads, text extraction for search.
pub mod files;
pub(crate) mod scope;
mod search;
mod snippet;

/// The resources table on its own, for queries that need nothing else.
const RESOURCES: &str = "resources r";
/// Resources `r` with their services `s`, as a summary shows them.
macro_rules! with_services {
    () => {
        "resources r join services s on s.id = r.service_id"
    };
}
const WITH_SERVICES: &str = with_services!();

/// What a list row needs; with `from` joined to services `s` and the
/// viewer's bookmark `b` by [`Scope::select`].
macro_rules! summary_columns {
    () => {
        "r.id, r.title, r.summary, r.kind, r.status, \
         s.id as service_id, s.slug as service_slug, s.name as service_name, r.tags, \
         r.review_date, r.published_at, r.updated_at, r.for_all_customers, \
         cast(case when b.user_id is null then 0 else 1 end as bigint) as bookmarked"
    };
}
const SUMMARY_COLUMNS: &str = summary_columns!();

/// A search result's row: its summary, then the text its snippet is made
/// from after the summary, the start of its body and of its file's text
/// (a document's first pages) as `body_md` and `file_text`. Bounded, so a
/// page of results reads and marks little whatever was uploaded. A text
/// of at most 20,000 bytes is read whole: counting characters into a long
/// text costs more than the text (PostgreSQL's `substr` walks it a
/// character at a time), and its length in bytes is known without reading
/// it.
const HIT_COLUMNS: &str = concat!(
    summary_columns!(),
    ", case when octet_length(r.body_md) <= 20000 then r.body_md \
     else substr(r.body_md, 1, 20000) end as body_md, \
     case when octet_length(r.file_text) <= 20000 then r.file_text \
     else substr(r.file_text, 1, 20000) end as file_text"
);

/// A list row and how many the list has (`found`), from `listed`.
const LISTED_COLUMNS: &str = concat!(
    summary_columns!(),
    ", (select count(*) from listed) as found"
);

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    title: String,
    summary: String,
    kind: String,
    status: String,
    service_id: i64,
    service_slug: String,
    service_name: String,
    tags: String,
    review_date: Option<i64>,
    published_at: Option<i64>,
    updated_at: i64,
    for_all_customers: i64,
    bookmarked: i64,
}

impl SummaryRow {
    /// Fails closed: a kind or status this build does not know is an
    /// error, never shown as something else.
    fn into_summary(self) -> Result<ResourceSummary> {
        Ok(ResourceSummary {
            kind: stored_kind(&self.kind)?,
            status: stored_status(&self.status)?,
            id: self.id,
            title: self.title,
            summary: self.summary,
            service: ServiceRef {
                id: self.service_id,
                slug: self.service_slug,
                name: self.service_name,
            },
            tags: split_tags(&self.tags),
            badge: ReviewBadge::for_review(self.review_date, clock::now()),
            review_date: self.review_date,
            published_at: self.published_at,
            updated_at: self.updated_at,
            for_all_customers: self.for_all_customers != 0,
            bookmarked: self.bookmarked != 0,
            snippet: Vec::new(),
        })
    }
}

fn stored_kind(raw: &str) -> Result<ResourceKind> {
    ResourceKind::parse(raw).ok_or_else(|| Error::Unreadable {
        column: "resources.kind",
        value: raw.to_owned(),
    })
}

fn stored_status(raw: &str) -> Result<ResourceStatus> {
    ResourceStatus::parse(raw).ok_or_else(|| Error::Unreadable {
        column: "resources.status",
        value: raw.to_owned(),
    })
}

/// Tags are stored lower case, joined by `", "`.
fn join_tags(tags: &[String]) -> String {
    tags.join(", ")
}

fn split_tags(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Appends the service and kind filters of `query`.
fn filters(sql: &mut Sql, query: &LibraryQuery) {
    if let Some(service) = &query.service {
        // A subquery rather than `s.slug = …`, so the service is known
        // before the resources are read, and an index in the page's order
        // can be walked from the start.
        sql.push(" and r.service_id = (select id from services where slug = ")
            .bind(service.as_str())
            .push(")");
    }
    if let Some(kind) = query.kind {
        sql.push(" and r.kind = ").bind(kind.as_str());
    }
}

fn empty_page(query: &LibraryQuery) -> LibraryPage {
    library_page(Vec::new(), 0, query.page())
}

/// A page of the library as `viewer` may see it, filtered by service and
/// kind and sorted as asked, [`PER_PAGE`] to a page. Ignores `query.q`
/// (see [`search`]).
pub async fn list(db: &Db, viewer: &Viewer, query: &LibraryQuery) -> Result<LibraryPage> {
    let mut conn = db.pool().acquire().await?;
    let scope = Scope::of(&mut *conn, viewer.id).await?;
    // One statement: what the viewer may see, counted up to one more than
    // [`MAX_RESULTS`]…
    let mut sql = Sql::new();
    sql.push("with listed as (");
    listed(&mut sql, &scope, query);
    sql.push(") ");
    // …and the page.
    scope.select(&mut sql, LISTED_COLUMNS, WITH_SERVICES, true);
    filters(&mut sql, query);
    sql.push(match query.sort {
        LibrarySort::Updated => " order by r.updated_at desc, r.id desc",
        LibrarySort::Title => " order by lower(r.title), r.id",
    });
    sql.push(" limit ")
        .bind(PER_PAGE)
        .push(" offset ")
        .bind(query.offset());
    let rows: Vec<ListedRow> = sql.query_as().fetch_all(&mut *conn).await?;
    let total = match rows.first() {
        Some(row) => row.found,
        // Past the last page (or nothing at all): counted on its own.
        None if query.offset() > 0 => browse_count(&mut conn, &scope, query).await?,
        None => 0,
    };
    Ok(library_page(
        rows.into_iter()
            .map(|row| row.summary.into_summary())
            .collect::<Result<_>>()?,
        total,
        query.page(),
    ))
}

#[derive(sqlx::FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    /// How many the list has, up to one more than [`MAX_RESULTS`].
    found: i64,
}

/// Appends a select of the ids the list has, up to one more than
/// [`MAX_RESULTS`].
fn listed(sql: &mut Sql, scope: &Scope, query: &LibraryQuery) {
    scope.select(sql, "r.id", RESOURCES, false);
    filters(sql, query);
    sql.push(" limit ").bind(MAX_RESULTS + 1);
}

/// How many resources the list would show, counted up to one more than
/// [`MAX_RESULTS`].
async fn browse_count(
    conn: &mut AnyConnection,
    scope: &Scope,
    query: &LibraryQuery,
) -> Result<i64> {
    let mut sql = Sql::new();
    sql.push("select count(*) from (");
    listed(&mut sql, scope, query);
    sql.push(") listed");
    let (total,): (i64,) = sql.query_as().fetch_one(conn).await?;
    Ok(total)
}

/// How many matches the search would rank, counted up to one more than
/// [`MAX_RESULTS`].
async fn search_count(
    conn: &mut AnyConnection,
    scope: &Scope,
    matcher: &Matcher,
    query: &LibraryQuery,
) -> Result<i64> {
    let mut sql = Sql::new();
    sql.push("with matches as (");
    scope.select(&mut sql, "r.id", matcher.from(), false);
    filters(&mut sql, query);
    matcher.condition(&mut sql);
    sql.push(" limit ")
        .bind(MAX_RESULTS + 1)
        .push(") select count(*) from matches");
    let (total,): (i64,) = sql
        .query_as()
        .persistent(matcher.persistent())
        .fetch_one(conn)
        .await?;
    Ok(total)
}

/// How many resources `viewer` would find with `query`: the `total` of
/// [`search`] when it has words to search for, otherwise of [`list`].
pub async fn count(db: &Db, viewer: &Viewer, query: &LibraryQuery) -> Result<i64> {
    let mut conn = db.pool().acquire().await?;
    let scope = Scope::of(&mut *conn, viewer.id).await?;
    let q = normalise_search(&query.q);
    let found = if q.is_empty() {
        browse_count(&mut conn, &scope, query).await?
    } else {
        match Matcher::new(db.backend(), &q) {
            Some(matcher) => search_count(&mut conn, &scope, &matcher, query).await?,
            None => 0,
        }
    };
    Ok(found.min(MAX_RESULTS))
}

#[derive(sqlx::FromRow)]
struct HitRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    /// The text a snippet is made from, after the summary.
    body_md: String,
    file_text: Option<String>,
}

/// The resources `viewer` may see that match `query.q` (any text at all:
/// it is never an error), best match first, filtered by service and kind,
/// with a short snippet marking where the words occur. Snippets are made
/// for the rows of the page only. Blank words browse, as [`list`].
pub async fn search(db: &Db, viewer: &Viewer, query: &LibraryQuery) -> Result<LibraryPage> {
    let q = normalise_search(&query.q);
    if q.is_empty() {
        return list(db, viewer, query).await;
    }
    let Some(matcher) = Matcher::new(db.backend(), &q) else {
        return Ok(empty_page(query));
    };
    let mut conn = db.pool().acquire().await?;
    let scope = Scope::of(&mut *conn, viewer.id).await?;
    // The newest matches under the viewer's scope, scored (one more than
    // are ranked, to know whether there are more), and of those the ids on
    // this page with how many there are. This statement is all that
    // depends on the words; on PostgreSQL it is planned for them.
    let mut sql = Sql::new();
    sql.push("with matches as (");
    scope.select_with(
        &mut sql,
        |sql| matcher.match_columns(sql),
        matcher.from(),
        false,
    );
    filters(&mut sql, query);
    matcher.condition(&mut sql);
    sql.push(matcher.newest_first())
        .push(" limit ")
        .bind(MAX_RESULTS + 1)
        .push(
            ") select id, (select count(*) from matches) as found from \
             (select id, updated_at, rank from matches order by id desc limit ",
        )
        .bind(MAX_RESULTS)
        .push(") ranked order by rank, updated_at desc, id limit ")
        .bind(PER_PAGE)
        .push(" offset ")
        .bind(query.offset());
    let hits: Vec<(i64, i64)> = sql
        .query_as()
        .persistent(matcher.persistent())
        .fetch_all(&mut *conn)
        .await?;
    let found = match hits.first() {
        Some(&(_, found)) => found,
        // Past the last page (or nothing at all): counted on its own.
        None if query.offset() > 0 => search_count(&mut conn, &scope, &matcher, query).await?,
        None => 0,
    };
    if hits.is_empty() {
        return Ok(library_page(Vec::new(), found, query.page()));
    }
    let page: Vec<i64> = hits.into_iter().map(|(id, _)| id).collect();
    // …then those rows alone, with the text their snippets are made from,
    // read under the scope again: one archived in between is left out.
    // The same statement for any words (one per page length), prepared
    // once.
    let mut sql = Sql::new();
    scope.select(&mut sql, HIT_COLUMNS, WITH_SERVICES, true);
    sql.push(" and r.id in (");
    for (n, id) in page.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    let mut rows: Vec<HitRow> = sql.query_as().fetch_all(&mut *conn).await?;
    rows.sort_by_key(|row| page.iter().position(|&id| id == row.summary.id));
    drop(conn);
    // Marking words is CPU work, done off the request threads.
    let rows = tokio::task::spawn_blocking(move || {
        let mut highlighter = Highlighter::new(&q);
        rows.into_iter()
            .map(|row| {
                let mut summary = row.summary.into_summary()?;
                let file_text = row.file_text.unwrap_or_default();
                summary.snippet =
                    highlighter.snippet(&[&summary.summary, &row.body_md, &file_text]);
                Ok(summary)
            })
            .collect::<Result<Vec<_>>>()
    })
    .await??;
    Ok(library_page(rows, found, query.page()))
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    body_md: String,
    owner_id: i64,
    owner_name: String,
    created_at: i64,
}

/// Resource `id` as `viewer` may see it, recorded as a view (P5). One the
/// viewer may not see is [`Error::NotFound`], as is one that does not
/// exist, and neither is recorded.
pub async fn detail(db: &Db, viewer: &Viewer, id: i64) -> Result<ResourceDetail> {
    let mut tx = db.begin_write().await?;
    let scope = Scope::of(&mut *tx, viewer.id).await?;
    let mut sql = Sql::new();
    scope.select(
        &mut sql,
        concat!(
            summary_columns!(),
            ", r.body_md, r.owner_id, u.full_name as owner_name, r.created_at"
        ),
        concat!(with_services!(), " join users u on u.id = r.owner_id"),
        true,
    );
    sql.push(" and r.id = ").bind(id);
    let row: DetailRow = sql
        .query_as()
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
    // Read fully (failing closed) before the view is recorded.
    let summary = row.summary.into_summary()?;
    let files = files::versions(&mut *tx, id).await?;
    audit::record(
        &mut tx,
        &Actor::User { id: viewer.id },
        Action::ResourceViewed,
        Some(&format!("resource:{id}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    let admin = scope.is_admin();
    Ok(ResourceDetail {
        summary,
        body_html: markdown::to_safe_html(&row.body_md),
        body_md: admin.then_some(row.body_md),
        owner: admin.then_some(ResourceOwner {
            id: row.owner_id,
            full_name: row.owner_name,
        }),
        created_at: row.created_at,
        files,
    })
}

/// What an audit event records of a resource (not its body, which can be
/// long, and never anything personal beyond the owner's id).
#[derive(Serialize)]
struct Snapshot<'a> {
    title: &'a str,
    service_id: i64,
    kind: &'static str,
    tags: &'a [String],
    owner_id: i64,
    review_date: Option<i64>,
    for_all_customers: bool,
}

impl<'a> Snapshot<'a> {
    fn of(resource: &'a Resource) -> Self {
        Self {
            title: &resource.title,
            service_id: resource.service_id,
            kind: resource.kind.as_str(),
            tags: &resource.tags,
            owner_id: resource.owner_id,
            review_date: resource.review_date,
            for_all_customers: resource.for_all_customers,
        }
    }
}

/// Only administrators write the library. Anyone else gets
/// [`Error::NotFound`], as if there were nothing there.
/// [`Error::NotFound`] unless `viewer` is an administrator: what an
/// administrators' read asks before it reads.
pub(crate) async fn admin_only(db: &Db, viewer: &Viewer) -> Result<()> {
    if Scope::of(db.pool(), viewer.id).await?.is_admin() {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

pub(crate) async fn require_admin(
    tx: &mut Transaction<'static, Any>,
    viewer: &Viewer,
) -> Result<Actor> {
    if Scope::of(&mut **tx, viewer.id).await?.is_admin() {
        Ok(Actor::User { id: viewer.id })
    } else {
        Err(Error::NotFound)
    }
}

/// Field errors for a service that does not exist or an owner who is not
/// an administrator.
async fn check_references(tx: &mut Transaction<'static, Any>, resource: &Resource) -> Result<()> {
    let mut errors = FieldErrors::new();
    let service: Option<(i64,)> = sqlx::query_as("select id from services where id = $1")
        .bind(resource.service_id)
        .fetch_optional(&mut **tx)
        .await?;
    if service.is_none() {
        errors.add("service_id", "Choose a service");
    }
    let owner: Option<(i64,)> =
        sqlx::query_as("select id from users where id = $1 and role = 'admin'")
            .bind(resource.owner_id)
            .fetch_optional(&mut **tx)
            .await?;
    if owner.is_none() {
        errors.add("owner_id", "Choose an administrator as the owner");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Creates a draft resource; returns its id.
pub async fn create(db: &Db, viewer: &Viewer, resource: &Resource) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    check_references(&mut tx, resource).await?;
    let now = clock::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into resources (service_id, kind, title, summary, body_md, tags, owner_id, status, \
         review_date, for_all_customers, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $10, $10) returning id",
    )
    .bind(resource.service_id)
    .bind(resource.kind.as_str())
    .bind(&resource.title)
    .bind(&resource.summary)
    .bind(&resource.body_md)
    .bind(join_tags(&resource.tags))
    .bind(resource.owner_id)
    .bind(resource.review_date)
    .bind(i64::from(resource.for_all_customers))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &actor,
        Action::ResourceCreated,
        Some(&format!("resource:{id}")),
        &Snapshot::of(resource),
    )
    .await?;
    tx.commit().await?;
    // The public service pages count published resources.
    db.content().forget();
    Ok(id)
}

/// Replaces resource `id`'s content (not its status or files).
pub async fn update(db: &Db, viewer: &Viewer, id: i64, resource: &Resource) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    check_references(&mut tx, resource).await?;
    let before: Option<(String,)> = sqlx::query_as("select title from resources where id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let (before_title,) = before.ok_or(Error::NotFound)?;
    let now = clock::now();
    sqlx::query(
        "update resources set service_id = $1, kind = $2, title = $3, summary = $4, body_md = $5, \
         tags = $6, owner_id = $7, review_date = $8, for_all_customers = $9, updated_at = $10 \
         where id = $11",
    )
    .bind(resource.service_id)
    .bind(resource.kind.as_str())
    .bind(&resource.title)
    .bind(&resource.summary)
    .bind(&resource.body_md)
    .bind(join_tags(&resource.tags))
    .bind(resource.owner_id)
    .bind(resource.review_date)
    .bind(i64::from(resource.for_all_customers))
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &actor,
        Action::ResourceUpdated,
        Some(&format!("resource:{id}")),
        &serde_json::json!({ "before_title": before_title, "after": Snapshot::of(resource) }),
    )
    .await?;
    tx.commit().await?;
    // The public service pages count published resources.
    db.content().forget();
    Ok(())
}

/// Publishes, archives or restores resource `id`. The first publication
/// sets its published date, which later ones keep.
pub async fn set_status(db: &Db, viewer: &Viewer, id: i64, status: ResourceStatus) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let before: Option<(String,)> = sqlx::query_as("select status from resources where id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let (before,) = before.ok_or(Error::NotFound)?;
    let before = stored_status(&before)?;
    let now = clock::now();
    sqlx::query(
        "update resources set status = $1, updated_at = $2, \
         published_at = case when $3 = 1 and published_at is null then $2 else published_at end \
         where id = $4",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(i64::from(status == ResourceStatus::Published))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &actor,
        Action::ResourceStatusChanged,
        Some(&format!("resource:{id}")),
        &serde_json::json!({ "before": before.as_str(), "after": status.as_str() }),
    )
    .await?;
    tx.commit().await?;
    // The public service pages count published resources.
    db.content().forget();
    Ok(())
}

/// Stores the text extracted from resource `id`'s latest file (`None` when
/// it could not be read), so search finds words inside the file. Called by
/// the extraction job, never by a person.
pub async fn set_file_text(db: &Db, id: i64, text: Option<&str>) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query("update resources set file_text = $1, updated_at = $2 where id = $3")
        .bind(text)
        .bind(clock::now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        &Actor::System,
        Action::ResourceTextExtracted,
        Some(&format!("resource:{id}")),
        &serde_json::json!({ "chars": text.map(|t| t.chars().count()) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Saves resource `id` to `viewer`'s bookmarks. One they may not see is
/// [`Error::NotFound`]. Saving twice keeps one bookmark.
pub async fn bookmark(db: &Db, viewer: &Viewer, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let scope = Scope::of(&mut *tx, viewer.id).await?;
    let mut sql = Sql::new();
    scope.select(&mut sql, "r.id", RESOURCES, false);
    sql.push(" and r.id = ").bind(id);
    let visible: Option<(i64,)> = sql.query_as().fetch_optional(&mut *tx).await?;
    if visible.is_none() {
        return Err(Error::NotFound);
    }
    sqlx::query(
        "insert into bookmarks (user_id, resource_id, created_at, updated_at) values ($1, $2, $3, $3) \
         on conflict do nothing",
    )
    .bind(viewer.id)
    .bind(id)
    .bind(clock::now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes resource `id` from `viewer`'s bookmarks, if it was there.
pub async fn unbookmark(db: &Db, viewer: &Viewer, id: i64) -> Result<()> {
    sqlx::query("delete from bookmarks where user_id = $1 and resource_id = $2")
        .bind(viewer.id)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// A page of `viewer`'s bookmarks, most recently saved first. Only those
/// they may still see are listed (a resource since archived, or of a
/// service no longer subscribed to, drops out).
pub async fn bookmarks(db: &Db, viewer: &Viewer, page: i64) -> Result<LibraryPage> {
    let query = LibraryQuery {
        page,
        ..LibraryQuery::default()
    };
    let mut conn = db.pool().acquire().await?;
    let scope = Scope::of(&mut *conn, viewer.id).await?;
    let mut sql = Sql::new();
    scope.select(&mut sql, "count(*)", RESOURCES, true);
    sql.push(" and b.user_id is not null");
    let (total,): (i64,) = sql.query_as().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new();
    scope.select(&mut sql, SUMMARY_COLUMNS, WITH_SERVICES, true);
    sql.push(" and b.user_id is not null order by b.created_at desc, r.id desc limit ")
        .bind(PER_PAGE)
        .push(" offset ")
        .bind(query.offset());
    let rows: Vec<SummaryRow> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(library_page(
        rows.into_iter()
            .map(SummaryRow::into_summary)
            .collect::<Result<_>>()?,
        total,
        query.page(),
    ))
}

/// The newest of what `viewer` may see: resources updated at or after
/// `since` (Unix seconds), most recent first, one page at most. For "what's
/// new" on the portal home.
pub async fn recent(db: &Db, viewer: &Viewer, since: i64) -> Result<Vec<ResourceSummary>> {
    let mut conn = db.pool().acquire().await?;
    let scope = Scope::of(&mut *conn, viewer.id).await?;
    let mut sql = Sql::new();
    scope.select(&mut sql, SUMMARY_COLUMNS, WITH_SERVICES, true);
    sql.push(" and r.updated_at >= ")
        .bind(since)
        .push(" order by r.updated_at desc, r.id desc limit ")
        .bind(PER_PAGE);
    let rows: Vec<SummaryRow> = sql.query_as().fetch_all(&mut *conn).await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    owner_id: i64,
    owner_name: String,
}

/// For administrators: resources not archived whose review is overdue or
/// due within 30 days of `now`, by owner then review date. Anyone else
/// gets [`Error::NotFound`].
pub async fn reviews(db: &Db, viewer: &Viewer, now: i64) -> Result<Vec<ReviewItem>> {
    let mut conn = db.pool().acquire().await?;
    let scope = Scope::of(&mut *conn, viewer.id).await?;
    if !scope.is_admin() {
        return Err(Error::NotFound);
    }
    // Review dates are midnights; everything before the day after the
    // last due day is due or overdue.
    let cutoff = (now.div_euclid(DAY) + REVIEW_DUE_DAYS + 1) * DAY;
    let mut sql = Sql::new();
    scope.select(
        &mut sql,
        concat!(
            summary_columns!(),
            ", r.owner_id, u.full_name as owner_name"
        ),
        concat!(with_services!(), " join users u on u.id = r.owner_id"),
        true,
    );
    sql.push(" and r.status <> 'archived' and r.review_date < ")
        .bind(cutoff)
        .push(" order by u.full_name, r.owner_id, r.review_date, r.id");
    let rows: Vec<ReviewRow> = sql.query_as().fetch_all(&mut *conn).await?;
    rows.into_iter()
        .filter_map(|row| {
            let badge = ReviewBadge::for_review(row.summary.review_date, now)?;
            Some((row, badge))
        })
        .map(|(row, badge)| {
            Ok(ReviewItem {
                resource: row.summary.into_summary()?,
                owner: ResourceOwner {
                    id: row.owner_id,
                    full_name: row.owner_name,
                },
                badge,
            })
        })
        .collect()
}

/// How many published resources of each kind service `slug` offers its
/// subscribers, in the usual order of kinds, leaving out kinds it has none
/// of. Public: for the service pages ("34 policies, 12 toolkits").
pub async fn service_counts(db: &Db, slug: &str) -> Result<Vec<KindCount>> {
    let mut sql = Sql::new();
    Scope::catalogue().select(&mut sql, "r.kind, count(*)", WITH_SERVICES, false);
    sql.push(" and s.slug = ")
        .bind(slug)
        .push(" group by r.kind");
    let rows: Vec<(String, i64)> = sql.query_as().fetch_all(db.pool()).await?;
    let mut counts = rows
        .into_iter()
        .map(|(kind, count)| {
            Ok(KindCount {
                kind: stored_kind(&kind)?,
                count,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    counts.sort_by_key(|c| ResourceKind::ALL.iter().position(|k| *k == c.kind));
    Ok(counts)
}

/// What the administrators' resource form offers: every service and every
/// administrator who may own a resource. Anyone else gets
/// [`Error::NotFound`].
pub async fn form_options(db: &Db, viewer: &Viewer) -> Result<ResourceFormOptions> {
    admin_only(db, viewer).await?;
    let services: Vec<(i64, String)> =
        sqlx::query_as("select id, name from services order by name, id")
            .fetch_all(db.pool())
            .await?;
    let owners: Vec<(i64, String)> = sqlx::query_as(
        "select id, full_name from users where role = 'admin' order by full_name, id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(ResourceFormOptions {
        services,
        owners: owners
            .into_iter()
            .map(|(id, full_name)| ResourceOwner { id, full_name })
            .collect(),
    })
}
