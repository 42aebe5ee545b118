//! Failed attempts at a secret (a password, a second-factor code), counted
//! per scope in a sliding window and shared by every instance.
//!
//! An attempt is counted *before* the secret is checked: [`reserve`] locks
//! each scope's row, refuses the attempt if any scope asks for a wait, and
//! otherwise records it as a failure, all in one committed write. Only then
//! does the caller run the slow check, and [`release`] the reservation if it
//! succeeded. Concurrent attempts therefore queue on the scope rows and each
//! sees the ones before it, so a burst cannot all pass under a limit.

use crate::clock;
use crate::error::Result;
use domain::account::{account_throttle, second_factor_throttle, sign_in_throttle};
use sqlx::{Any, Transaction};

/// How failures in a scope turn into waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// One account from one client.
    AccountOnClient,
    /// One client, whatever the account (many people may share an address).
    Client,
    /// One account from every client together.
    Account,
    /// One account's second factor from every client together.
    SecondFactor,
}

impl Rule {
    fn window_secs(self) -> i64 {
        match self {
            Rule::AccountOnClient | Rule::Client => sign_in_throttle::WINDOW_SECS,
            Rule::Account => account_throttle::WINDOW_SECS,
            Rule::SecondFactor => second_factor_throttle::WINDOW_SECS,
        }
    }

    fn wait_secs(self, failures: i64) -> i64 {
        match self {
            Rule::AccountOnClient => {
                sign_in_throttle::wait_secs(failures, sign_in_throttle::FREE_FAILURES)
            }
            Rule::Client => {
                sign_in_throttle::wait_secs(failures, sign_in_throttle::FREE_FAILURES_PER_CLIENT)
            }
            Rule::Account => account_throttle::wait_secs(failures),
            Rule::SecondFactor => second_factor_throttle::wait_secs(failures),
        }
    }
}

/// A scope of failures and its rule.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    pub key: String,
    pub rule: Rule,
}

impl Scope {
    pub fn new(key: String, rule: Rule) -> Self {
        Self { key, rule }
    }
}

/// An attempt counted as a failure in each of its scopes until released.
#[derive(Debug)]
#[must_use = "release the reservation if the attempt succeeds"]
pub(crate) struct Reservation {
    ids: Vec<i64>,
    /// Failures in each scope (in the order given), this attempt included.
    counts: Vec<(String, i64)>,
}

impl Reservation {
    /// Failures in `scope` within its window, this attempt included.
    pub fn count(&self, scope: &str) -> i64 {
        self.counts
            .iter()
            .find(|(key, _)| key == scope)
            .map_or(0, |(_, n)| *n)
    }
}

/// Counts an attempt in every scope before it is checked, or returns the
/// longest wait one of them asks for (and counts nothing). Commit the
/// transaction before checking the secret.
pub(crate) async fn reserve(
    tx: &mut Transaction<'static, Any>,
    scopes: &[Scope],
) -> Result<std::result::Result<Reservation, i64>> {
    let now = clock::now();
    // Lock in one order everywhere, so two attempts sharing scopes cannot
    // deadlock.
    let mut ordered: Vec<&Scope> = scopes.iter().collect();
    ordered.sort_by(|a, b| a.key.cmp(&b.key));
    ordered.dedup_by(|a, b| a.key == b.key);
    let mut wait = 0;
    let mut counts = Vec::with_capacity(ordered.len());
    for scope in ordered {
        // The upsert holds the row's lock until commit: a concurrent attempt
        // on the same scope waits here, then sees this one's failure.
        sqlx::query(
            "insert into sign_in_scopes (scope, created_at, updated_at) values ($1, $2, $2) \
             on conflict (scope) do update set updated_at = excluded.updated_at",
        )
        .bind(&scope.key)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let (failures, last): (i64, Option<i64>) = sqlx::query_as(
            "select count(*), max(failed_at) from sign_in_failures where scope = $1 and failed_at > $2",
        )
        .bind(&scope.key)
        .bind(now - scope.rule.window_secs())
        .fetch_one(&mut **tx)
        .await?;
        if let Some(last) = last {
            wait = wait.max(last + scope.rule.wait_secs(failures) - now);
        }
        counts.push((scope.key.clone(), failures + 1));
    }
    if wait > 0 {
        return Ok(Err(wait));
    }
    let mut ids = Vec::with_capacity(counts.len());
    for (key, _) in &counts {
        let (id,): (i64,) = sqlx::query_as(
            "insert into sign_in_failures (scope, failed_at, created_at, updated_at) \
             values ($1, $2, $2, $2) returning id",
        )
        .bind(key)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        ids.push(id);
    }
    Ok(Ok(Reservation { ids, counts }))
}

/// The attempt succeeded: it no longer counts as a failure.
pub(crate) async fn release(
    tx: &mut Transaction<'static, Any>,
    reservation: Reservation,
) -> Result<()> {
    for id in reservation.ids {
        sqlx::query("delete from sign_in_failures where id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Forgets every failure in `scope`.
pub(crate) async fn clear(tx: &mut Transaction<'static, Any>, scope: &str) -> Result<()> {
    sqlx::query("delete from sign_in_failures where scope = $1")
        .bind(scope)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// True the first time it is asked for `scope` within the rule's window:
/// the owner is warned once, not at every further failure.
pub(crate) async fn first_warning(
    tx: &mut Transaction<'static, Any>,
    scope: &Scope,
) -> Result<bool> {
    let now = clock::now();
    let marked = sqlx::query(
        "update sign_in_scopes set warned_at = $1, updated_at = $1 \
         where scope = $2 and (warned_at is null or warned_at <= $3)",
    )
    .bind(now)
    .bind(&scope.key)
    .bind(now - scope.rule.window_secs())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(marked == 1)
}

/// Deletes failures and scope rows older than the longest window.
pub(crate) async fn sweep(tx: &mut Transaction<'static, Any>) -> Result<()> {
    let oldest = clock::now()
        - [
            sign_in_throttle::WINDOW_SECS,
            account_throttle::WINDOW_SECS,
            second_factor_throttle::WINDOW_SECS,
        ]
        .into_iter()
        .max()
        .unwrap_or_default();
    sqlx::query("delete from sign_in_failures where failed_at < $1")
        .bind(oldest)
        .execute(&mut **tx)
        .await?;
    sqlx::query("delete from sign_in_scopes where updated_at < $1")
        .bind(oldest)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
