//! Usage statistics without cookies (P10). A view is counted in memory
//! under its day, path and referring site, and the counts are added to
//! `page_views` every few seconds, so a page view costs no database
//! round trip. Nothing about the visitor is kept, and what decides
//! whether a view counts ([`domain::stats`]) never looks at who they are.

use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::library::admin_only;
use bytes::Bytes;
use domain::account::Viewer;
use domain::library::DAY;
use domain::stats::{PageViews, StatsQuery, TOP, ViewRow, counted_path, matches_route};
use futures::Stream;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where views go once a day has [`DAY_ROWS`] rows, or the memory
/// [`PENDING_KEYS`]: someone making up paths or referrers cannot grow
/// the table without bound.
pub const OTHER: &str = "(other)";

/// Most distinct rows kept for one day.
pub const DAY_ROWS: i64 = 1_000;

/// Most distinct counts held in memory between flushes: twice what a day
/// keeps, so a flush stays a short write however views are made up.
const PENDING_KEYS: usize = 2_000;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Key {
    day: i64,
    path: String,
    referrer: String,
}

/// Views counted since the last [`Counter::flush`], shared by every
/// request of this instance. Only paths of the app's own pages count.
#[derive(Clone, Debug, Default)]
pub struct Counter {
    pending: Arc<Mutex<HashMap<Key, i64>>>,
    /// The app's page routes (`/services/:slug`).
    routes: Arc<[String]>,
}

impl Counter {
    /// A counter for the pages whose route patterns are `routes`.
    pub fn new(routes: impl IntoIterator<Item = String>) -> Self {
        Self {
            pending: Arc::default(),
            routes: routes.into_iter().collect(),
        }
    }

    /// Counts one view of `path` at `now`, from `referrer` (a host, see
    /// [`domain::stats::referring_host`]). Returns whether it counted: a
    /// path that is no page of the app does not.
    pub fn count(&self, now: i64, path: &str, referrer: Option<String>) -> bool {
        let Some(path) = counted_path(path) else {
            return false;
        };
        let Some(route) = self.routes.iter().find(|route| matches_route(path, route)) else {
            return false;
        };
        let key = Key {
            day: now.div_euclid(DAY) * DAY,
            path: counted_as(path, route).to_owned(),
            // Where a member or an administrator came from, with the
            // day, could point at one organisation: kept for the public
            // pages only.
            referrer: referrer
                .filter(|_| !domain::account::is_signed_in_page(path))
                .unwrap_or_default(),
        };
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let key = bounded(&pending, key);
        *pending.entry(key).or_default() += 1;
        true
    }

    /// Adds the counts held in memory to the database. Counts that could
    /// not be written are kept for the next flush.
    pub async fn flush(&self, db: &Db) -> Result<()> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if taken.is_empty() {
            return Ok(());
        }
        match write(db, &taken).await {
            Ok(()) => Ok(()),
            Err(error) => {
                // Kept for the next flush, within the same bound as new
                // counts, however long the database is away.
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (key, views) in taken {
                    let key = bounded(&pending, key);
                    *pending.entry(key).or_default() += views;
                }
                Err(error)
            }
        }
    }
}

/// `key`, or its day's [`OTHER`] row once memory holds [`PENDING_KEYS`]
/// counts.
fn bounded(pending: &HashMap<Key, i64>, key: Key) -> Key {
    if pending.len() >= PENDING_KEYS && !pending.contains_key(&key) {
        Key {
            path: OTHER.to_owned(),
            referrer: String::new(),
            ..key
        }
    } else {
        key
    }
}

/// What a view of `path` (which `route` matches) is counted under: the
/// route itself when it has a parameter (`/portal/messages/{id}`), so a
/// count never says whose page was seen, and no text a visitor made up is
/// kept; the path otherwise.
fn counted_as<'a>(path: &'a str, route: &'a str) -> &'a str {
    if route.contains(['{', ':']) {
        route
    } else {
        path
    }
}

async fn write(db: &Db, counts: &HashMap<Key, i64>) -> Result<()> {
    let now = clock::now();
    let mut tx = db.begin_write().await?;
    if db.backend() == crate::db::Backend::Postgres {
        // One instance at a time, so a day's row limit holds across
        // instances; the lock ends with the transaction.
        sqlx::query("select pg_advisory_xact_lock(7263543)")
            .execute(&mut *tx)
            .await?;
    }
    let mut rows_per_day: HashMap<i64, i64> = HashMap::new();
    for (key, views) in counts {
        let added = sqlx::query(
            "update page_views set views = views + $4, updated_at = $5 \
             where day = $1 and path = $2 and referrer = $3",
        )
        .bind(key.day)
        .bind(&key.path)
        .bind(&key.referrer)
        .bind(views)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added > 0 {
            continue;
        }
        let rows = match rows_per_day.get(&key.day) {
            Some(rows) => *rows,
            None => {
                let rows: i64 =
                    sqlx::query_scalar("select count(*) from page_views where day = $1")
                        .bind(key.day)
                        .fetch_one(&mut *tx)
                        .await?;
                rows
            }
        };
        let (path, referrer) = if rows < DAY_ROWS {
            (key.path.as_str(), key.referrer.as_str())
        } else {
            (OTHER, "")
        };
        // Another instance may have added the same row since the update.
        sqlx::query(
            "insert into page_views (day, path, referrer, views, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5) \
             on conflict (day, path, referrer) \
             do update set views = page_views.views + excluded.views, updated_at = excluded.updated_at",
        )
        .bind(key.day)
        .bind(path)
        .bind(referrer)
        .bind(views)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        rows_per_day.insert(key.day, rows + 1);
    }
    tx.commit().await?;
    Ok(())
}

/// The figures for `query`'s period up to `now`, for an administrator.
pub async fn report(db: &Db, viewer: &Viewer, query: &StatsQuery, now: i64) -> Result<PageViews> {
    admin_only(db, viewer).await?;
    let (first, last) = query.range(now);
    let known: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "select day, cast(sum(views) as bigint) from page_views \
         where day between $1 and $2 group by day",
    )
    .bind(first)
    .bind(last)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let per_day = (0..query.days())
        .map(|n| first + n * DAY)
        .map(|day| (day, known.get(&day).copied().unwrap_or(0)))
        .collect();
    let pages = sqlx::query_as::<_, (String, i64)>(
        "select path, cast(sum(views) as bigint) as total from page_views \
         where day between $1 and $2 group by path order by total desc, path limit $3",
    )
    .bind(first)
    .bind(last)
    .bind(TOP)
    .fetch_all(db.pool())
    .await?;
    let referrers = sqlx::query_as::<_, (String, i64)>(
        "select referrer, cast(sum(views) as bigint) as total from page_views \
         where day between $1 and $2 and referrer <> '' \
         group by referrer order by total desc, referrer limit $3",
    )
    .bind(first)
    .bind(last)
    .bind(TOP)
    .fetch_all(db.pool())
    .await?;
    Ok(PageViews {
        days: query.days(),
        per_day,
        pages,
        referrers,
    })
}

/// Every row of `query`'s period up to `now` as CSV, read a day at a
/// time, for an administrator.
pub async fn export(
    db: &Db,
    viewer: &Viewer,
    query: &StatsQuery,
    now: i64,
) -> Result<impl Stream<Item = Result<Bytes>> + Send + 'static> {
    admin_only(db, viewer).await?;
    let (first, last) = query.range(now);
    let header = csv_bytes(&[], true)?;
    let db = db.clone();
    let days = futures::stream::unfold(Some(first), move |day| {
        let db = db.clone();
        async move {
            let day = day.filter(|day| *day <= last)?;
            match rows_of(&db, day)
                .await
                .and_then(|rows| csv_bytes(&rows, false))
            {
                Ok(bytes) => Some((Ok(bytes), Some(day + DAY))),
                Err(error) => Some((Err(error), None)),
            }
        }
    });
    Ok(futures::StreamExt::fuse(futures::StreamExt::chain(
        futures::stream::once(async move { Ok(header) }),
        days,
    )))
}

async fn rows_of(db: &Db, day: i64) -> Result<Vec<ViewRow>> {
    let rows = sqlx::query_as::<_, (String, String, i64)>(
        "select path, referrer, views from page_views where day = $1 \
         order by views desc, path, referrer",
    )
    .bind(day)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(path, referrer, views)| ViewRow {
            day,
            path,
            referrer,
            views,
        })
        .collect())
}

/// `rows` as CSV, after the header if `header`.
fn csv_bytes(rows: &[ViewRow], header: bool) -> Result<Bytes> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
    if header {
        writer
            .write_record(["day", "path", "referring_site", "views"])
            .map_err(io)?;
    }
    for row in rows {
        writer
            .write_record([
                domain::library::iso_date(row.day),
                row.path.clone(),
                row.referrer.clone(),
                row.views.to_string(),
            ])
            .map_err(io)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    Ok(Bytes::from(bytes))
}
