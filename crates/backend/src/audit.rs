//! Audit events are written inside the transaction of the change they
//! describe, so a change and its record commit or roll back together.
//!
//! The trail is a hash chain (P5): each event has a place (`seq`), the
//! previous event's hash and a SHA-256 over its own content and that hash.
//! Altering, deleting or reordering a sealed event breaks the chain at
//! that event, and [`verify`] names it. Events are written plainly in the
//! change's transaction (so no change waits on another's audit lock) and
//! [`seal_backlog`] gives them their places, in a short transaction of its
//! own that holds the one-row `audit_head`: the background jobs run it
//! every second, and [`verify`] runs it first, so several instances
//! writing at once still form one chain.

use crate::clock;
use crate::db::Db;
use crate::error::Result;
use crate::keys::Keys;
use domain::audit::Action;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, AssertSqlSafe, Transaction};

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

/// Where the request being served came from, as the trail records it: the
/// caller's pseudonymous client key and their browser's family. The server
/// sets it around each request ([`Origin::scope`]), so every event written
/// while serving it carries it; events written by background jobs and
/// commands have none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub client: Option<String>,
    pub agent: Option<&'static str>,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

impl Origin {
    /// The origin of a request from `client` (a [`crate::pseudonym`] key)
    /// sending `user_agent`.
    pub fn of(client: &str, user_agent: Option<&str>) -> Self {
        Self {
            client: Some(client.to_owned()),
            agent: Some(domain::audit::agent_family(user_agent.unwrap_or_default())),
        }
    }

    /// Runs `work` with this origin: the events it writes carry it.
    pub async fn scope<F: std::future::Future>(self, work: F) -> F::Output {
        ORIGIN.scope(self, work).await
    }

    fn current() -> Self {
        ORIGIN.try_with(Clone::clone).unwrap_or_default()
    }

    /// `work`, to be run on a task of its own, with the origin of the
    /// request being served now (if any): a task spawned while serving a
    /// request would otherwise lose it.
    pub fn carried<F: std::future::Future>(
        work: F,
    ) -> impl std::future::Future<Output = F::Output> {
        let origin = ORIGIN.try_with(Clone::clone).ok();
        async move {
            match origin {
                Some(origin) => ORIGIN.scope(origin, work).await,
                None => work.await,
            }
        }
    }
}

/// Appends one event, naming the acting person's organisation as it is
/// now, and where the request came from ([`Origin`]). `detail` is stored
/// as JSON; it must never carry a password, token or code (P12).
pub async fn record(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    action: Action,
    subject: Option<&str>,
    detail: &impl Serialize,
) -> Result<()> {
    let detail = serde_json::to_string(detail).unwrap_or_else(|_| "{}".to_owned());
    let user = match actor {
        Actor::User { id } => Some(*id),
        _ => None,
    };
    let origin = Origin::current();
    sqlx::query(
        "insert into audit_events (actor, action, subject, detail, organisation_id, client, agent, \
         created_at, updated_at) \
         values ($1, $2, $3, $4, (select organisation_id from users where id = $5), $6, $7, $8, $8)",
    )
    .bind(actor.label())
    .bind(action.code())
    .bind(subject)
    .bind(detail)
    .bind(user)
    .bind(origin.client)
    .bind(origin.agent)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The next place in the chain and the hash it follows. Updating the head
/// first takes its lock (PostgreSQL) or relies on the write lock already
/// held (SQLite), so no other writer gets the same place.
async fn take_place(tx: &mut Transaction<'static, Any>, now: i64) -> Result<(i64, String)> {
    sqlx::query("update audit_head set seq = seq + 1, updated_at = $1 where id = 1")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(
        sqlx::query_as("select seq, hash from audit_head where id = 1")
            .fetch_one(&mut **tx)
            .await?,
    )
}

async fn set_head_hash(tx: &mut Transaction<'static, Any>, hash: &str) -> Result<()> {
    sqlx::query("update audit_head set hash = $1 where id = 1")
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What an event's hash covers, besides its place and the hash before it.
#[derive(Debug, sqlx::FromRow)]
struct Content {
    created_at: i64,
    actor: String,
    action: String,
    subject: Option<String>,
    detail: String,
    organisation_id: Option<i64>,
    client: Option<String>,
    agent: Option<String>,
}

/// The columns [`Content`] reads.
const CONTENT_COLUMNS: &str =
    "created_at, actor, action, subject, detail, organisation_id, client, agent";

impl Content {
    /// SHA-256 over the event's place, content and the previous event's
    /// hash, as a JSON array (so no field can run into the next), in hex.
    /// The organisation joins the array only when there is one, and the
    /// origin (as one inner array, so its two parts cannot trade places) only
    /// when it has a part, so events written before they were recorded
    /// keep their hashes; adding or removing either still changes the hash.
    fn hash(&self, seq: i64, prev_hash: &str) -> String {
        let mut canonical = serde_json::json!([
            seq,
            self.created_at,
            self.actor,
            self.action,
            self.subject,
            self.detail,
            prev_hash
        ]);
        if let (Some(organisation), Some(fields)) = (self.organisation_id, canonical.as_array_mut())
        {
            fields.push(organisation.into());
        }
        if (self.client.is_some() || self.agent.is_some())
            && let Some(fields) = canonical.as_array_mut()
        {
            fields.push(serde_json::json!([self.client, self.agent]));
        }
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

#[derive(sqlx::FromRow)]
struct Unsealed {
    id: i64,
    #[sqlx(flatten)]
    content: Content,
}

/// Gives every committed event without a place its place in the chain,
/// in the order they were written; how many. Holds `audit_head` for its
/// short transaction, so sealers on several instances take turns; an
/// event sealed by one is not sealed again by the next.
pub async fn seal_backlog(db: &Db) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    sqlx::query("update audit_head set updated_at = $1 where id = 1")
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
    let rows: Vec<Unsealed> = sqlx::query_as(AssertSqlSafe(format!(
        "select id, {CONTENT_COLUMNS} from audit_events where seq is null order by id"
    )))
    .fetch_all(&mut *tx)
    .await?;
    for row in &rows {
        let (seq, prev_hash) = take_place(&mut tx, clock::now()).await?;
        let hash = row.content.hash(seq, &prev_hash);
        sqlx::query("update audit_events set seq = $1, prev_hash = $2, hash = $3 where id = $4")
            .bind(seq)
            .bind(&prev_hash)
            .bind(&hash)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        set_head_hash(&mut tx, &hash).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Where and how the chain is broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// The event at place `seq` is missing: the chain jumps to `found`.
    Missing { seq: i64, found: i64 },
    /// Event `id` (place `seq`) does not follow the event before it:
    /// moved, or the one before was altered or replaced.
    Misplaced { id: i64, seq: i64 },
    /// Event `id` (place `seq`) was altered after it was written.
    Altered { id: i64, seq: i64 },
    /// The chain ends before its recorded end (`head`): the last events
    /// were deleted.
    Truncated { last: i64, head: i64 },
    /// The checkpoint the chain starts from (at place `seq`) is not signed
    /// with this deployment's key: it was forged or altered.
    Checkpoint { seq: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Missing { seq, found } => {
                write!(f, "event #{seq} is missing (the chain jumps to #{found})")
            }
            Break::Misplaced { id, seq } => write!(
                f,
                "event #{seq} (id {id}) does not follow the event before it"
            ),
            Break::Altered { id, seq } => write!(f, "event #{seq} (id {id}) was altered"),
            Break::Truncated { last, head } => write!(
                f,
                "the chain ends at #{last} but was written up to #{head}: the last events were deleted"
            ),
            Break::Checkpoint { seq } => write!(
                f,
                "the checkpoint at #{seq}, where old events were pruned, is not this deployment's"
            ),
        }
    }
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Events checked before the first break (or all of them).
    pub checked: i64,
    pub first_break: Option<Break>,
}

/// A sealed event as the chain check reads it.
#[derive(sqlx::FromRow)]
struct ChainRow {
    id: i64,
    seq: i64,
    prev_hash: String,
    hash: String,
    #[sqlx(flatten)]
    content: Content,
}

/// Events read per query while verifying, so memory stays flat.
const VERIFY_BATCH: i64 = 1_000;

/// Seals what is waiting, then walks the chain in order up to its end as
/// recorded then, and reports the first break, if any. The walk starts at
/// the newest checkpoint left by [`prune`], once its signature is checked,
/// or at the beginning.
pub async fn verify(db: &Db, keys: &Keys) -> Result<Verification> {
    seal_backlog(db).await?;
    // The end to check up to, read first: events sealed while the check
    // runs (by this or another instance) are past it, not a break.
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("select seq, hash from audit_head where id = 1")
            .fetch_one(db.pool())
            .await?;
    let (mut prev_seq, mut prev_hash) = match checkpoint(db).await? {
        Some((seq, hash, signature)) if keys.audit().verify(seq, &hash, &signature) => (seq, hash),
        Some((seq, ..)) => {
            return Ok(Verification {
                checked: 0,
                first_break: Some(Break::Checkpoint { seq }),
            });
        }
        None => (0, GENESIS.to_owned()),
    };
    let mut checked = 0_i64;
    loop {
        let rows: Vec<ChainRow> = sqlx::query_as(AssertSqlSafe(format!(
            "select id, seq, prev_hash, hash, {CONTENT_COLUMNS} \
             from audit_events where seq > $1 and seq <= $2 order by seq limit $3"
        )))
        .bind(prev_seq)
        .bind(head_seq)
        .bind(VERIFY_BATCH)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for ChainRow {
            id,
            seq,
            prev_hash: row_prev,
            hash,
            content,
        } in rows
        {
            let fault = if seq != prev_seq + 1 {
                Some(Break::Missing {
                    seq: prev_seq + 1,
                    found: seq,
                })
            } else if row_prev != prev_hash {
                Some(Break::Misplaced { id, seq })
            } else if hash != content.hash(seq, &row_prev) {
                Some(Break::Altered { id, seq })
            } else {
                None
            };
            if let Some(fault) = fault {
                return Ok(Verification {
                    checked,
                    first_break: Some(fault),
                });
            }
            prev_seq = seq;
            prev_hash = hash;
            checked += 1;
        }
    }
    let first_break =
        (head_seq != prev_seq || head_hash != prev_hash).then_some(Break::Truncated {
            last: prev_seq,
            head: head_seq,
        });
    Ok(Verification {
        checked,
        first_break,
    })
}

/// The newest checkpoint: its place, hash and signature.
async fn checkpoint(db: &Db) -> Result<Option<(i64, String, String)>> {
    Ok(sqlx::query_as(
        "select seq, hash, signature from audit_checkpoints order by seq desc limit 1",
    )
    .fetch_optional(db.pool())
    .await?)
}

/// Deletes the sealed events written before `before` (Unix seconds), from
/// the start of the chain up to the first event that is not that old, and
/// leaves a checkpoint signed with this deployment's key: the place and
/// hash of the last event deleted, which [`verify`] starts from. Records
/// the pruning as an event of its own; returns how many were deleted.
/// Safe with several instances: each pruning holds the chain's head.
pub async fn prune(db: &Db, keys: &Keys, before: i64) -> Result<u64> {
    seal_backlog(db).await?;
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    sqlx::query("update audit_head set updated_at = $1 where id = 1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // The last place to delete: just before the first event that is new
    // enough to keep, or the end of the chain when every event is old.
    let (through, done): (i64, i64) = sqlx::query_as(
        "select coalesce((select min(seq) from audit_events \
                          where seq is not null and created_at >= $1) - 1, \
                         (select seq from audit_head where id = 1)), \
                coalesce((select max(seq) from audit_checkpoints), 0)",
    )
    .bind(before)
    .fetch_one(&mut *tx)
    .await?;
    if through <= done {
        return Ok(0);
    }
    let (hash,): (String,) = sqlx::query_as("select hash from audit_events where seq = $1")
        .bind(through)
        .fetch_one(&mut *tx)
        .await?;
    let (doomed,): (i64,) =
        sqlx::query_as("select count(*) from audit_events where seq is not null and seq <= $1")
            .bind(through)
            .fetch_one(&mut *tx)
            .await?;
    // Recorded first, so that it is never among the events it deletes and
    // takes an id after every one of them.
    record(
        &mut tx,
        &Actor::System,
        Action::AuditPruned,
        None,
        &serde_json::json!({ "through": through, "deleted": doomed, "before": before }),
    )
    .await?;
    let deleted = sqlx::query("delete from audit_events where seq is not null and seq <= $1")
        .bind(through)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query(
        "insert into audit_checkpoints (seq, hash, pruned, signature, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(through)
    .bind(&hash)
    .bind(doomed)
    .bind(keys.audit().sign(through, &hash))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(deleted)
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
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<AuditEvent>> {
    Ok(sqlx::query_as(
        "select id, actor, action, subject, detail, created_at from audit_events \
         order by id desc limit $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// The administrators' viewer: filters, pages, CSV export, chain check.
pub mod trail;

#[cfg(test)]
mod tests {
    use super::{Content, GENESIS};

    fn content(organisation_id: Option<i64>) -> Content {
        Content {
            created_at: 1_795_442_709,
            actor: "user:7".into(),
            action: "resource.viewed".into(),
            subject: Some("resource:4".into()),
            detail: "{}".into(),
            organisation_id,
            client: None,
            agent: None,
        }
    }

    fn from(client: Option<&str>, agent: Option<&str>, organisation_id: Option<i64>) -> Content {
        Content {
            client: client.map(str::to_owned),
            agent: agent.map(str::to_owned),
            ..content(organisation_id)
        }
    }

    /// Known answers, computed outside Rust (SHA-256 of the JSON arrays
    /// written out by hand), so a change to the canonical form, which
    /// would make every stored event look altered, fails here first.
    #[test]
    fn the_hash_covers_a_fixed_canonical_form() {
        assert_eq!(
            content(None).hash(1, GENESIS),
            "74d8da6a345ad70348148984f5ea07516dbebd4ee3972dc6121992edf8cbb4c6"
        );
        assert_eq!(
            content(Some(12)).hash(1, GENESIS),
            "cbdbb75cac6bf57061a13b9e84342026287a1d08c471350bd46cc09a992592be"
        );
        let system = Content {
            created_at: 5,
            actor: "system".into(),
            action: "content.seeded".into(),
            subject: None,
            detail: r#"{"n":1}"#.into(),
            organisation_id: None,
            client: None,
            agent: None,
        };
        assert_eq!(
            system.hash(2, &"ab".repeat(32)),
            "5bd74c433edc74085a0777f092cac0216ccdd91c433cd6076c1bdfc77bb29d33"
        );
        // The origin, when there is one; its parts cannot trade places.
        assert_eq!(
            from(Some("k3y"), Some("Firefox"), Some(12)).hash(1, GENESIS),
            "05b2783d300b3d826242c0975cb8fed04a6aecad1bc7d9eecb992d0a3971dd76"
        );
        assert_eq!(
            from(Some("k3y"), None, None).hash(1, GENESIS),
            "3bbd0caef058d11b96fc0a894fa3bd205aca90f1b9e3e68020f77cdf294f44f6"
        );
        assert_eq!(
            from(None, Some("k3y"), None).hash(1, GENESIS),
            "102aac3dbcf1863ad747ae28c0eec6b80039180e224453536e9627e0e1b303e9"
        );
    }
}
