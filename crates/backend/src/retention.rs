//! Personal data deleted when it is no longer needed (P9): one list of
//! what is due, which the administrators' preview shows and a run deletes,
//! so a preview (or `primarypoint retention run --dry-run`) says exactly
//! what the next run will delete. Runs are idempotent, and one at a time
//! when several instances share PostgreSQL (an advisory lock).

use crate::audit::{self, Actor};
use crate::clock;
use crate::db::{Backend, Db};
use crate::error::Result;
use crate::library::admin_only;
use domain::account::{Viewer, session_limits, unverified_cutoff};
use domain::audit::Action;
use serde::Serialize;
use sqlx::{Any, AssertSqlSafe, Transaction};

/// How long what is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Members of an organisation that has ended, or been suspended, are
    /// kept this many months after it did (`MEMBER_RETENTION_MONTHS`).
    pub member_months: u32,
    /// Messages are kept this many months after they were closed
    /// (`MESSAGE_RETENTION_MONTHS`).
    pub message_months: u32,
    /// Data-rights requests are kept this many months after they were
    /// completed or refused (`RIGHTS_RETENTION_MONTHS`).
    pub rights_months: u32,
}

/// `n` months in seconds, a month being the average Gregorian month (so
/// 12 months is a year, 72 is six).
pub fn months(n: u32) -> i64 {
    i64::from(n) * 2_629_746
}

/// What a run deletes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Registrations never confirmed within 7 days.
    UnverifiedSignUps,
    /// Members of organisations ended or suspended for longer than the
    /// policy's months.
    FormerMembers,
    /// Sessions past their idle or absolute limit.
    ExpiredSessions,
    /// Emailed links past their expiry, used or not.
    ExpiredLinks,
    /// Messages closed longer ago than the policy's months, with their
    /// replies and notes.
    ClosedMessages,
    /// Data-rights requests completed or refused longer ago than the
    /// policy's months.
    ClosedRightsRequests,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::UnverifiedSignUps,
        Category::FormerMembers,
        Category::ExpiredSessions,
        Category::ExpiredLinks,
        Category::ClosedMessages,
        Category::ClosedRightsRequests,
    ];

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Category::UnverifiedSignUps => "Registrations not confirmed within 7 days",
            Category::FormerMembers => "Members of organisations that ended or were suspended",
            Category::ExpiredSessions => "Sessions past their time limits",
            Category::ExpiredLinks => "Emailed links past their expiry",
            Category::ClosedMessages => "Messages closed longer ago than they are kept",
            Category::ClosedRightsRequests => {
                "Data-rights requests closed longer ago than they are kept"
            }
        }
    }
}

/// How much of one category is due, and the oldest of it (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Due {
    pub category: Category,
    pub count: i64,
    pub oldest: Option<i64>,
}

/// The rows of `category` that are due at `now`: `(table, key column,
/// condition)`, the condition binding `$1` (and `$2`) from [`bounds`].
fn rows(category: Category) -> (&'static str, &'static str, &'static str) {
    match category {
        Category::UnverifiedSignUps => (
            "users",
            "created_at",
            "email_verified_at is null and role = 'member' and created_at < $1",
        ),
        Category::FormerMembers => (
            "users",
            "(select o.status_changed_at from organisations o where o.id = users.organisation_id)",
            "role = 'member' and organisation_id in (select id from organisations \
             where status in ('ended', 'suspended') and status_changed_at < $1)",
        ),
        Category::ExpiredSessions => (
            "sessions",
            "last_seen_at",
            "(created_at < $1 or last_seen_at < $2)",
        ),
        Category::ExpiredLinks => ("email_tokens", "expires_at", "expires_at < $1"),
        // A closed message changes state (and `updated_at`) when it is
        // closed, and again if it is reopened.
        Category::ClosedMessages => (
            "messages",
            "updated_at",
            "state = 'closed' and updated_at < $1",
        ),
        // Completed and refused requests note when; an open one is kept
        // however old it is.
        Category::ClosedRightsRequests => (
            "rights_requests",
            "closed_at",
            "state in ('completed', 'refused') and closed_at < $1",
        ),
    }
}

/// The cut-offs `category`'s condition binds, at `now`.
fn bounds(category: Category, policy: Policy, now: i64) -> (i64, Option<i64>) {
    match category {
        Category::UnverifiedSignUps => (unverified_cutoff(now), None),
        Category::FormerMembers => (now - months(policy.member_months), None),
        Category::ExpiredSessions => (
            now - session_limits::ABSOLUTE,
            Some(now - session_limits::IDLE),
        ),
        Category::ExpiredLinks => (now, None),
        Category::ClosedMessages => (now - months(policy.message_months), None),
        Category::ClosedRightsRequests => (now - months(policy.rights_months), None),
    }
}

async fn due_in(tx: &mut Transaction<'static, Any>, policy: Policy, now: i64) -> Result<Vec<Due>> {
    let mut due = Vec::with_capacity(Category::ALL.len());
    for category in Category::ALL {
        let (table, age, condition) = rows(category);
        // Only the fixed fragments above become SQL text.
        let sql = format!("select count(*), min({age}) from {table} where {condition}");
        let (first, second) = bounds(category, policy, now);
        let mut query = sqlx::query_as::<_, (i64, Option<i64>)>(AssertSqlSafe(sql)).bind(first);
        if let Some(second) = second {
            query = query.bind(second);
        }
        let (count, oldest) = query.fetch_one(&mut **tx).await?;
        due.push(Due {
            category,
            count,
            oldest,
        });
    }
    Ok(due)
}

/// What the next run would delete, for an administrator.
pub async fn preview(db: &Db, viewer: &Viewer, policy: Policy) -> Result<Vec<Due>> {
    admin_only(db, viewer).await?;
    // A read: one consistent view of every category, without the write
    // lock (SQLite's writers do not wait for it).
    let mut tx = db.pool().begin().await?;
    let due = due_in(&mut tx, policy, clock::now()).await?;
    tx.rollback().await?;
    Ok(due)
}

/// Deletes everything due at `now` (or, with `dry_run`, only says what it
/// would), in one transaction, and records the counts in the audit trail.
/// People are erased as their own erasure would ([`crate::mydata::erase_in`]).
/// Returns what was due.
pub async fn run(db: &Db, policy: Policy, now: i64, dry_run: bool) -> Result<Vec<Due>> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        // One run at a time across instances; the lock ends with the
        // transaction.
        sqlx::query("select pg_advisory_xact_lock(7263541)")
            .execute(&mut *tx)
            .await?;
    }
    let due = due_in(&mut tx, policy, now).await?;
    if dry_run || due.iter().all(|d| d.count == 0) {
        tx.rollback().await?;
        return Ok(due);
    }
    for category in Category::ALL {
        let (table, _, condition) = rows(category);
        let (first, second) = bounds(category, policy, now);
        match table {
            "users" => {
                let sql = format!("select id from users where {condition}");
                let people: Vec<(i64,)> = sqlx::query_as(AssertSqlSafe(sql))
                    .bind(first)
                    .fetch_all(&mut *tx)
                    .await?;
                for (person,) in people {
                    crate::mydata::erase_in(&mut tx, person).await?;
                }
            }
            _ => {
                let sql = format!("delete from {table} where {condition}");
                let mut query = sqlx::query(AssertSqlSafe(sql)).bind(first);
                if let Some(second) = second {
                    query = query.bind(second);
                }
                query.execute(&mut *tx).await?;
            }
        }
    }
    let counts: serde_json::Map<String, serde_json::Value> = due
        .iter()
        .map(|d| {
            (
                serde_json::to_value(d.category)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                d.count.into(),
            )
        })
        .collect();
    audit::record(&mut tx, &Actor::System, Action::RetentionRun, None, &counts).await?;
    tx.commit().await?;
    Ok(due)
}
