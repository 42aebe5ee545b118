//! Audit events are written inside the transaction of the change they
//! describe, so a change and its record commit or roll back together.

use crate::clock;
use crate::error::Result;
use serde::Serialize;
use sqlx::{Any, Transaction};

/// Who did something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// Someone not signed in. `client` is a keyed, truncated hash of their
    /// network address, never the address itself.
    Public { client: String },
    /// A signed-in user.
    User { id: i64 },
    /// A command run by an operator on the server (`primarypoint admin …`).
    Operator,
    /// The application itself (scheduled jobs, seeding).
    System,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Actor::Public { client } => format!("public:{client}"),
            Actor::User { id } => format!("user:{id}"),
            Actor::Operator => "operator".to_owned(),
            Actor::System => "system".to_owned(),
        }
    }
}

/// Appends one event. `detail` is stored as JSON; it must never carry a
/// password, token or code (P12).
pub async fn record(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    action: &str,
    subject: Option<&str>,
    detail: &impl Serialize,
) -> Result<()> {
    let detail = serde_json::to_string(detail).unwrap_or_else(|_| "{}".to_owned());
    let now = clock::now();
    sqlx::query(
        "insert into audit_events (actor, action, subject, detail, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(actor.label())
    .bind(action)
    .bind(subject)
    .bind(detail)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One row of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: String,
    pub created_at: i64,
}

/// The most recent events first.
pub async fn recent(db: &crate::Db, limit: i64) -> Result<Vec<AuditEvent>> {
    Ok(sqlx::query_as(
        "select id, actor, action, subject, detail, created_at from audit_events \
         order by id desc limit $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}
