//! Fixed-window counters in the database. Every instance behind a load
//! balancer sees the same counts, so adding instances does not multiply the
//! limit.

use crate::clock;
use crate::error::{Error, Result};
use sqlx::{Any, Transaction};

/// A limit: at most `max_hits` in any window of `window_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max_hits: i64,
    pub window_secs: i64,
}

/// Counts one hit against `key` and refuses it with [`Error::Throttled`]
/// when the window is already full. Runs inside the caller's transaction so
/// a refused attempt leaves nothing else behind.
pub async fn hit(tx: &mut Transaction<'static, Any>, key: &str, limit: Limit) -> Result<()> {
    match count(tx, key, limit).await? {
        None => Ok(()),
        Some(retry_after_secs) => Err(Error::Throttled { retry_after_secs }),
    }
}

/// Counts one hit against `key`: `true` while the window has room. For
/// limits the caller enforces silently (saying so would reveal something).
pub async fn allow(tx: &mut Transaction<'static, Any>, key: &str, limit: Limit) -> Result<bool> {
    Ok(count(tx, key, limit).await?.is_none())
}

/// Counts one hit; `Some(seconds until the window ends)` when it is over
/// the limit.
async fn count(tx: &mut Transaction<'static, Any>, key: &str, limit: Limit) -> Result<Option<i64>> {
    let now = clock::now();
    let row: (i64, i64) = sqlx::query_as(
        "insert into throttles (key, window_start, hits, created_at, updated_at) \
         values ($1, $2, 1, $2, $2) \
         on conflict (key) do update set \
           hits = case when throttles.window_start <= $3 then 1 else throttles.hits + 1 end, \
           window_start = case when throttles.window_start <= $3 then $2 else throttles.window_start end, \
           updated_at = $2 \
         returning window_start, hits",
    )
    .bind(key)
    .bind(now)
    .bind(now - limit.window_secs)
    .fetch_one(&mut **tx)
    .await?;
    let (window_start, hits) = row;
    Ok((hits > limit.max_hits).then(|| (window_start + limit.window_secs - now).max(1)))
}
