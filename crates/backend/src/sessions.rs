//! Server-side sessions in the database, shared by every instance.
//!
//! The browser holds a random token; the table holds its SHA-256. A session
//! ends after 30 idle minutes, after 12 hours whatever happens, at sign-out,
//! when the password is reset or changed, and at the next request once the
//! account is suspended or the member's organisation is no longer active.

use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::tokens;
use domain::account::{Role, Viewer, session_limits};
use domain::flash::Flash;
use domain::organisation::OrgStatus;
use sqlx::{Any, Transaction};

/// How far a session has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is still due.
    SecondFactor,
    /// Fully signed in.
    SignedIn,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::SecondFactor => "second_factor",
            Stage::SignedIn => "signed_in",
        }
    }

    /// The stage a stored value names, or `None` for anything else.
    fn parse(raw: &str) -> Option<Self> {
        [Stage::SecondFactor, Stage::SignedIn]
            .into_iter()
            .find(|stage| stage.as_str() == raw)
    }
}

/// A session token as the browser holds it. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

impl SessionToken {
    pub fn from_cookie(value: &str) -> Self {
        Self(value.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        tokens::hash(&self.0)
    }
}

/// A live session and whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token: SessionToken,
    pub stage: Stage,
    pub viewer: Viewer,
    pub organisation_id: Option<i64>,
}

/// Sessions waiting for a second factor end sooner than signed-in ones.
const SECOND_FACTOR_IDLE: i64 = 10 * 60;

/// Only write `last_seen_at` when it is this stale, so browsing a page of
/// links does not turn every request into a write.
const TOUCH_EVERY: i64 = 60;

/// Starts a session for `user`, returning the token for the cookie.
pub async fn start(
    tx: &mut Transaction<'static, Any>,
    user: i64,
    stage: Stage,
) -> Result<SessionToken> {
    let token = SessionToken(tokens::new_token());
    let now = clock::now();
    sqlx::query(
        "insert into sessions (token_hash, user_id, stage, created_at, last_seen_at, updated_at) \
         values ($1, $2, $3, $4, $4, $4)",
    )
    .bind(token.hash())
    .bind(user)
    .bind(stage.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if stage == Stage::SignedIn {
        sqlx::query("update users set last_sign_in_at = $1 where id = $2")
            .bind(now)
            .bind(user)
            .execute(&mut **tx)
            .await?;
    }
    Ok(token)
}

#[derive(sqlx::FromRow)]
struct Row {
    stage: String,
    created_at: i64,
    last_seen_at: i64,
    user_id: i64,
    full_name: String,
    email: String,
    role: String,
    totp_enabled_at: Option<i64>,
    suspended_at: Option<i64>,
    organisation_id: Option<i64>,
    organisation_name: Option<String>,
    organisation_status: Option<String>,
}

/// The live session for `token`, or `None`. A session past its limits, of
/// a suspended account, or of a member whose organisation is no longer
/// active, is deleted here.
pub async fn resolve(db: &Db, token: &SessionToken) -> Result<Option<Session>> {
    let hash = token.hash();
    let row: Option<Row> = sqlx::query_as(
        "select s.stage, s.created_at, s.last_seen_at, u.id as user_id, u.full_name, u.email, u.role, \
                u.totp_enabled_at, u.suspended_at, u.organisation_id, o.name as organisation_name, o.status as organisation_status \
         from sessions s join users u on u.id = s.user_id \
         left join organisations o on o.id = u.organisation_id \
         where s.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let now = clock::now();
    // Fail closed: a stage or role this build does not know is an error,
    // never "signed in" or a guess.
    let stage = Stage::parse(&row.stage).ok_or_else(|| Error::Unreadable {
        column: "sessions.stage",
        value: row.stage.clone(),
    })?;
    let idle_limit = match stage {
        Stage::SecondFactor => SECOND_FACTOR_IDLE,
        Stage::SignedIn => session_limits::IDLE,
    };
    let role = Role::parse(&row.role).ok_or_else(|| Error::Unreadable {
        column: "users.role",
        value: row.role.clone(),
    })?;
    let organisation_active =
        row.organisation_status.as_deref() == Some(OrgStatus::Active.as_str());
    let expired = now - row.last_seen_at > idle_limit
        || now - row.created_at > session_limits::ABSOLUTE
        || row.suspended_at.is_some()
        || (role == Role::Member && !organisation_active);
    if expired {
        sqlx::query("delete from sessions where token_hash = $1")
            .bind(&hash)
            .execute(db.writer())
            .await?;
        return Ok(None);
    }
    let idle_for = now - row.last_seen_at;
    // Early in the idle window a busy writer (a long import, say) is not
    // waited for: a later request moves the clock on. Past half the window
    // the touch waits its turn, so a session in use never expires.
    if idle_for >= TOUCH_EVERY && !(db.writer_busy() && idle_for * 2 < idle_limit) {
        sqlx::query("update sessions set last_seen_at = $1, updated_at = $1 where token_hash = $2")
            .bind(now)
            .bind(&hash)
            .execute(db.writer())
            .await?;
    }
    Ok(Some(Session {
        token: token.clone(),
        stage,
        organisation_id: row.organisation_id,
        viewer: Viewer {
            id: row.user_id,
            full_name: row.full_name,
            email: row.email,
            role,
            organisation: row.organisation_name,
            second_factor: row.totp_enabled_at.is_some(),
        },
    }))
}

/// Keeps `flash` to show once on this session's next page, replacing any
/// flash not yet shown.
pub async fn set_flash(db: &Db, token: &SessionToken, flash: &Flash) -> Result<()> {
    let body = serde_json::to_string(flash).map_err(|_| Error::Unreadable {
        column: "session_flashes.body",
        value: "<not encodable>".to_owned(),
    })?;
    let now = clock::now();
    sqlx::query(
        "insert into session_flashes (token_hash, body, created_at, updated_at) values ($1, $2, $3, $3) \
         on conflict (token_hash) do update set body = excluded.body, \
           created_at = excluded.created_at, updated_at = excluded.updated_at",
    )
    .bind(token.hash())
    .bind(body)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// A flash not shown within this many seconds is dropped: it holds a
/// secret, so it is kept no longer than the next page needs.
pub const FLASH_LIFETIME_SECS: i64 = 10 * 60;

/// The session's flash, deleted as it is read: shown once, never again.
/// Most pages have none, so a plain read comes first and only a page with
/// one takes the write lock.
pub async fn take_flash(db: &Db, token: &SessionToken) -> Result<Option<Flash>> {
    let hash = token.hash();
    let waiting: Option<(i64,)> =
        sqlx::query_as("select created_at from session_flashes where token_hash = $1")
            .bind(&hash)
            .fetch_optional(db.pool())
            .await?;
    if waiting.is_none() {
        return Ok(None);
    }
    let taken: Option<(String, i64)> = sqlx::query_as(
        "delete from session_flashes where token_hash = $1 returning body, created_at",
    )
    .bind(&hash)
    .fetch_optional(db.writer())
    .await?;
    let Some((body, created_at)) = taken else {
        return Ok(None);
    };
    if clock::now() - created_at > FLASH_LIFETIME_SECS {
        return Ok(None);
    }
    // Never put the body in the error: it holds a secret.
    serde_json::from_str(&body)
        .map(Some)
        .map_err(|_| Error::Unreadable {
            column: "session_flashes.body",
            value: "<unreadable>".to_owned(),
        })
}

/// Ends one session.
pub async fn end(tx: &mut Transaction<'static, Any>, token: &SessionToken) -> Result<()> {
    sqlx::query("delete from sessions where token_hash = $1")
        .bind(token.hash())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every session of `user` except `keep` (the one making the change).
pub async fn end_all(
    tx: &mut Transaction<'static, Any>,
    user: i64,
    keep: Option<&SessionToken>,
) -> Result<()> {
    let keep = keep.map(SessionToken::hash).unwrap_or_default();
    sqlx::query("delete from sessions where user_id = $1 and token_hash <> $2")
        .bind(user)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes sessions past their absolute limit or idle for longer than the
/// idle limit. Returns how many went.
pub async fn sweep(db: &Db) -> Result<u64> {
    let now = clock::now();
    sqlx::query("delete from session_flashes where created_at < $1")
        .bind(now - FLASH_LIFETIME_SECS)
        .execute(db.writer())
        .await?;
    Ok(
        sqlx::query("delete from sessions where created_at < $1 or last_seen_at < $2")
            .bind(now - session_limits::ABSOLUTE)
            .bind(now - session_limits::IDLE)
            .execute(db.writer())
            .await?
            .rows_affected(),
    )
}
