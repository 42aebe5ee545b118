//! Everything held about one person (P6), and erasing it.
//!
//! What is held is gathered from one declaration:
//! [`SOURCES`] names each table that holds data about a person, how to
//! find their rows, and every column, each either shown (with what it
//! means) or withheld (with why). The page, the JSON download and the
//! test that compares the declaration with the database's own schema all
//! read it, so a column added to one of these tables without a decision
//! about it fails that test.

use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::keys::Keys;
use crate::sessions::Session;
use crate::sql::escape_like;
use domain::account::Viewer;
use domain::audit::Action;
use domain::mydata::{Field, MyData, Section, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

/// What a column holds, for the person reading their data.
#[derive(Clone, Copy, Debug)]
pub enum Column {
    /// Shown: its name and what it means.
    Shown(&'static str, &'static str),
    /// Held but not shown: its name and why.
    Withheld(&'static str, &'static str),
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::Shown(name, _) | Column::Withheld(name, _) => name,
        }
    }
}

/// Which of the person's identifiers a source's condition takes as `$1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Their account number.
    Id,
    /// Their account as the audit trail names it (`user:12`).
    Actor,
    /// Their email address.
    Email,
}

/// One table holding data about people.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    /// The section's name in the download.
    pub name: &'static str,
    pub table: &'static str,
    pub about: &'static str,
    /// Picks the person's rows, with `$1` standing for [`Source::key`].
    pub rows: &'static str,
    pub key: Key,
    pub order: &'static str,
    /// Every column of the table.
    pub columns: &'static [Column],
}

use Column::{Shown, Withheld};

const TIMES: [Column; 2] = [
    Shown(
        "created_at",
        "When it was made, in Unix seconds (as every time here)",
    ),
    Shown("updated_at", "When it last changed"),
];

/// A data-rights request's columns, for both ways it can be about someone.
const RIGHTS_REQUEST_COLUMNS: &[Column] = &[
    Shown("id", "The request's number"),
    Shown("user_id", "Your account's number"),
    Shown(
        "requester_name",
        "The name given by someone who wrote in without an account (empty for yours)",
    ),
    Shown("requester_email", "Their email address (empty for yours)"),
    Shown(
        "kind",
        "access, rectification, erasure, restriction or objection",
    ),
    Shown("details", "What was asked for"),
    Shown("received_on", "The day it was received"),
    Shown(
        "due_on",
        "The day it must be answered by: one calendar month after it was received, \
                 or later if extended",
    ),
    Shown(
        "extended_months",
        "Months added to the time limit (at most two)",
    ),
    Shown("extension_reason", "Why the time limit was extended"),
    Shown("state", "open, completed or refused"),
    Shown("outcome_note", "What was done, or why it was refused"),
    Shown("closed_at", "When it was completed or refused"),
    Shown(
        "logged_by",
        "The administrator who recorded it, if it arrived by letter or email",
    ),
    Shown(
        "erased_at",
        "When the person's details were removed from it, on erasing their account",
    ),
    TIMES[0],
    TIMES[1],
];

/// Every table that holds data about a person, and every column of each.
pub const SOURCES: &[Source] = &[
    Source {
        name: "account",
        table: "users",
        about: "Your account.",
        rows: "id = $1",
        key: Key::Id,
        order: "id",
        columns: &[
            Shown("id", "Your account's number"),
            Shown("email", "Your work email address"),
            Shown("full_name", "Your full name"),
            Withheld(
                "password_hash",
                "A one-way hash of your password. It cannot be turned back into the password, \
                 and nobody here can see the password itself",
            ),
            Shown("role", "member or admin (administrator)"),
            Shown("email_verified_at", "When you confirmed your email address"),
            TIMES[0],
            TIMES[1],
            Shown("organisation_id", "The number of your organisation (below)"),
            Withheld(
                "totp_secret",
                "The secret your authenticator app also holds, encrypted. Anyone who had it \
                 could make your codes",
            ),
            Shown(
                "totp_enabled_at",
                "When you set up your authenticator app, if you did",
            ),
            Withheld(
                "totp_last_step",
                "Which 30-second period your last code was for, so it cannot be used twice",
            ),
            Shown(
                "suspended_at",
                "When an administrator suspended your account, if they did",
            ),
            Shown("suspension_reason", "Why, as they wrote it"),
            Shown("last_sign_in_at", "When you last signed in"),
        ],
    },
    Source {
        name: "organisation",
        table: "organisations",
        about: "The organisation your account belongs to.",
        rows: "id = (select organisation_id from users where id = $1)",
        key: Key::Id,
        order: "id",
        columns: &[
            Shown("id", "Its number"),
            Shown("name", "Its name"),
            Shown("ods_code", "Its ODS code"),
            Shown("address_line1", "Address"),
            Shown("address_line2", "Address"),
            Shown("town", "Town"),
            Shown("postcode", "Postcode"),
            Shown("telephone", "Telephone"),
            Shown("email", "Email address"),
            Shown("website", "Website"),
            Shown("status", "active, suspended or ended"),
            Shown("status_changed_at", "When its status last changed"),
            Shown("status_reason", "Why"),
            TIMES[0],
            TIMES[1],
        ],
    },
    Source {
        name: "sessions",
        table: "sessions",
        about: "Where you are signed in: one row for each browser.",
        rows: "user_id = $1",
        key: Key::Id,
        order: "created_at",
        columns: &[
            Withheld(
                "token_hash",
                "A hash of the browser's session cookie. It would sign that browser in",
            ),
            Shown("user_id", "Your account's number"),
            Shown(
                "stage",
                "signed_in, or second_factor while a sign-in waits for your code",
            ),
            Shown("created_at", "When you signed in"),
            Shown("last_seen_at", "When that browser was last used"),
            TIMES[1],
        ],
    },
    Source {
        name: "email_links",
        table: "email_tokens",
        about: "Links we emailed you: to confirm an address or reset your password.",
        rows: "user_id = $1",
        key: Key::Id,
        order: "created_at",
        columns: &[
            Withheld(
                "token_hash",
                "A hash of the link's secret part. It would open the link",
            ),
            Shown("user_id", "Your account's number"),
            Shown("purpose", "verify, reset or change_email"),
            Shown(
                "new_email",
                "The address being confirmed, for an email change",
            ),
            Shown("expires_at", "When the link stops working"),
            Shown("used_at", "When it was used, if it was"),
            TIMES[0],
            TIMES[1],
        ],
    },
    Source {
        name: "recovery_codes",
        table: "recovery_codes",
        about: "Your recovery codes, for when your authenticator app is not to hand.",
        rows: "user_id = $1",
        key: Key::Id,
        order: "id",
        columns: &[
            Shown("id", "The code's number"),
            Shown("user_id", "Your account's number"),
            Withheld(
                "code_hash",
                "A keyed hash of the code. Only you were shown the code itself",
            ),
            Shown("used_at", "When it was used, if it was"),
            TIMES[0],
            TIMES[1],
        ],
    },
    Source {
        name: "saved_resources",
        table: "bookmarks",
        about: "Resources you saved in the library.",
        rows: "user_id = $1",
        key: Key::Id,
        order: "created_at",
        columns: &[
            Shown("user_id", "Your account's number"),
            Shown(
                "resource_id",
                "The resource's number: /portal/library/<number>",
            ),
            Shown("created_at", "When you saved it"),
            TIMES[1],
        ],
    },
    Source {
        name: "messages",
        table: "messages",
        about: "Messages you sent to the team.",
        rows: "user_id = $1",
        key: Key::Id,
        order: "id",
        columns: &[
            Shown("id", "The message's number"),
            Shown("user_id", "Your account's number"),
            Shown(
                "organisation_id",
                "Your organisation's number when you sent it",
            ),
            Shown("sender_name", "Your name as sent"),
            Shown("sender_email", "Your email address as sent"),
            Shown("sender_organisation", "Your organisation's name as sent"),
            Shown("sender_telephone", "A telephone number, if you gave one"),
            Shown("service_id", "The service it was about, if any"),
            Shown("subject", "Its subject"),
            Shown("body", "What you wrote"),
            Shown("state", "new, in_progress or closed"),
            Shown("assignee_id", "The administrator dealing with it"),
            TIMES[0],
            TIMES[1],
        ],
    },
    Source {
        name: "replies",
        table: "message_entries",
        about: "Replies to your messages. The team's internal notes are not shown here; \
                ask for them with a data-rights request.",
        rows: "message_id in (select id from messages where user_id = $1) and kind <> 'note'",
        key: Key::Id,
        order: "id",
        columns: &[
            Shown("id", "The reply's number"),
            Shown("message_id", "The message it answers"),
            Shown("kind", "reply"),
            Shown("author_id", "The administrator who wrote it"),
            Shown("author_name", "Their name"),
            Shown("body", "What they wrote"),
            TIMES[0],
            TIMES[1],
        ],
    },
    Source {
        name: "data_rights_requests",
        table: "rights_requests",
        about: "Requests you made under data-protection law (to see, correct or erase your \
                data, or to restrict or object to its use), or that were made about your account.",
        rows: "user_id = $1",
        key: Key::Id,
        order: "id",
        columns: RIGHTS_REQUEST_COLUMNS,
    },
    Source {
        name: "data_rights_requests_by_email",
        table: "rights_requests",
        about: "Requests under data-protection law that arrived by letter or email from your \
                address and were logged without linking them to your account.",
        rows: "user_id is null and lower(requester_email) = lower($1)",
        key: Key::Email,
        order: "id",
        columns: RIGHTS_REQUEST_COLUMNS,
    },
    Source {
        name: "emails",
        table: "outbox",
        about: "Emails we are sending or have sent you.",
        rows: "recipient = $1",
        key: Key::Email,
        order: "id",
        columns: &[
            Shown("id", "The email's number"),
            Shown("recipient", "Your address"),
            Shown("subject", "Its subject"),
            Withheld(
                "body",
                "It may hold a link that works (to sign in, confirm or reset); it was emailed \
                 to you, and is cleared once sent or once its link expires",
            ),
            Shown("attempts", "How many times we tried to send it"),
            Shown(
                "next_attempt_at",
                "When we will try again, if it is not sent",
            ),
            Shown("sent_at", "When it was sent"),
            Shown("last_error", "Why the last try failed, if it did"),
            TIMES[0],
            TIMES[1],
            Shown(
                "purge_after",
                "When its text is cleared, if it carries a link",
            ),
        ],
    },
    Source {
        name: "known_devices",
        table: "sign_in_known_clients",
        about: "Networks you have signed in from, as pseudonyms (never the address), so that \
                failed sign-ins elsewhere do not lock you out.",
        rows: "account = $1",
        key: Key::Email,
        order: "created_at",
        columns: &[
            Shown("account", "Your email address"),
            Shown("client", "A keyed pseudonym of the network address"),
            Shown("created_at", "When you first signed in from it"),
            Shown("updated_at", "When you last did"),
        ],
    },
    Source {
        name: "audit_events",
        table: "audit_events",
        about: "The audit trail's record of what you did and what was done to your account.",
        rows: "actor = $1 or subject = $1",
        key: Key::Actor,
        order: "id",
        columns: &[
            Shown("id", "The event's number"),
            Shown(
                "actor",
                "Who acted: you (user:<your number>), an administrator, or the system",
            ),
            Shown("action", "What happened, as a code (account.signed_in)"),
            Shown("subject", "What it was done to"),
            Shown("detail", "The circumstances, as JSON"),
            TIMES[0],
            TIMES[1],
            Shown("seq", "Its place in the tamper-evident chain"),
            Shown("prev_hash", "The previous event's hash"),
            Shown("hash", "This event's hash"),
            Shown("organisation_id", "The actor's organisation at the time"),
            Shown(
                "client",
                "A keyed pseudonym of the network address it came from",
            ),
            Shown("agent", "The browser's family (Firefox, Chrome…)"),
        ],
    },
];

/// Tables that refer to people without holding data about them, and why.
pub const NOT_ABOUT_PEOPLE: &[(&str, &str)] = &[
    (
        "resources",
        "the library's documents; an administrator is named as each one's owner",
    ),
    (
        "resource_files",
        "files attached to the library's documents; the administrator who uploaded each is named",
    ),
];

/// A stored value, whatever its column's type.
fn value(row: &AnyRow, index: usize) -> Value {
    if let Ok(number) = row.try_get::<Option<i64>, _>(index) {
        return number.map_or(Value::Null, Value::Number);
    }
    if let Ok(number) = row.try_get::<Option<i32>, _>(index) {
        return number.map_or(Value::Null, |n| Value::Number(n.into()));
    }
    match row.try_get::<Option<String>, _>(index) {
        Ok(Some(text)) => Value::Text(text),
        _ => Value::Null,
    }
}

/// Everything held about `viewer`, as stored now: every row, oldest first,
/// or with `newest` only that many of each section, newest first (for
/// the page; each section still says how many there are in all).
pub async fn gather(db: &Db, viewer: &Viewer, newest: Option<i64>) -> Result<MyData> {
    gather_for(db, viewer.id, newest).await
}

/// Everything held about account `user`, as [`gather`] reads it.
async fn gather_for(db: &Db, user: i64, newest: Option<i64>) -> Result<MyData> {
    let email: Option<(String,)> = sqlx::query_as("select email from users where id = $1")
        .bind(user)
        .fetch_optional(db.pool())
        .await?;
    let (email,) = email.ok_or(Error::NotFound)?;
    let actor = format!("user:{user}");
    let mut sections = Vec::with_capacity(SOURCES.len());
    for source in SOURCES {
        let shown: Vec<&'static str> = source
            .columns
            .iter()
            .filter_map(|c| match c {
                Shown(name, _) => Some(*name),
                Withheld(..) => None,
            })
            .collect();
        // Only fixed names from the declaration above become SQL text.
        let select = format!(
            "select {} from {} where {}",
            shown.join(", "),
            source.table,
            source.rows
        );
        let sql = match newest {
            Some(n) => format!("{select} order by {} desc limit {n}", source.order),
            None => format!("{select} order by {}", source.order),
        };
        let count = format!(
            "select count(*) from {} where {}",
            source.table, source.rows
        );
        let (query, count) = (
            sqlx::query(AssertSqlSafe(sql)),
            sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count)),
        );
        let (query, count) = match source.key {
            Key::Id => (query.bind(user), count.bind(user)),
            Key::Actor => (query.bind(actor.clone()), count.bind(actor.clone())),
            Key::Email => (query.bind(email.clone()), count.bind(email.clone())),
        };
        let rows = query.fetch_all(db.pool()).await?;
        let (total,) = count.fetch_one(db.pool()).await?;
        let fields = |withheld: bool| -> Vec<Field> {
            source
                .columns
                .iter()
                .filter_map(|c| match (c, withheld) {
                    (Shown(name, about), false) | (Withheld(name, about), true) => Some(Field {
                        name: (*name).to_owned(),
                        about: (*about).to_owned(),
                    }),
                    _ => None,
                })
                .collect()
        };
        sections.push(Section {
            name: source.name.to_owned(),
            about: source.about.to_owned(),
            fields: fields(false),
            rows: rows
                .iter()
                .map(|row| (0..shown.len()).map(|i| value(row, i)).collect())
                .collect(),
            total,
            withheld: fields(true),
        });
    }
    Ok(MyData {
        at: clock::now(),
        sections,
    })
}

/// Everything held about `viewer` as JSON for them to keep: each section's
/// rows as objects keyed by field name, and the fields' meanings. The
/// download is recorded in the audit trail.
pub async fn export(db: &Db, viewer: &Viewer) -> Result<serde_json::Value> {
    let document = document(db, viewer.id).await?;
    let mut tx = db.begin_write().await?;
    audit::record(
        &mut tx,
        &Actor::User { id: viewer.id },
        Action::AccountDataExported,
        Some(&format!("user:{}", viewer.id)),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(document)
}

/// Everything held about account `user` as the JSON download carries it;
/// the caller records who took it. Shared by the person's own download and
/// an administrator answering an access request ([`crate::rights`]).
pub(crate) async fn document(db: &Db, user: i64) -> Result<serde_json::Value> {
    let data = gather_for(db, user, None).await?;
    let sections: serde_json::Map<String, serde_json::Value> = data
        .sections
        .iter()
        .map(|section| {
            let rows: Vec<serde_json::Value> = section
                .rows
                .iter()
                .map(|row| {
                    section
                        .fields
                        .iter()
                        .zip(row)
                        .map(|(field, value)| {
                            (
                                field.name.clone(),
                                serde_json::to_value(value).unwrap_or_default(),
                            )
                        })
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                })
                .collect();
            let about = |fields: &[Field]| -> serde_json::Map<String, serde_json::Value> {
                fields
                    .iter()
                    .map(|f| (f.name.clone(), f.about.clone().into()))
                    .collect()
            };
            (
                section.name.clone(),
                serde_json::json!({
                    "about": section.about,
                    "fields": about(&section.fields),
                    "withheld": about(&section.withheld),
                    "rows": rows,
                }),
            )
        })
        .collect();
    Ok(serde_json::json!({
        "exported_at": data.at,
        "times": "Every time is in Unix seconds (seconds since 1 January 1970, UTC).",
        "sections": sections,
    }))
}

/// What an erased account was, for the audit trail (never who).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Erased {
    pub role: String,
    pub organisation_id: Option<i64>,
}

/// Erases account `user` in `tx`: the account and everything that hangs
/// from it (sessions, links, second factor, saved resources, messages and
/// their replies), messages sent from its address before it registered,
/// mail queued to it, and the sign-in counters and known networks keyed by
/// its address. The audit trail keeps its events, which name the account
/// only by number (`user:12`): a tombstone, so the chain still verifies.
/// Data-rights requests by or about it stay, as the record of what was
/// asked and done, with the person's name, address and words removed.
/// Refuses an administrator who owns library resources.
pub(crate) async fn erase_in(tx: &mut Transaction<'static, Any>, user: i64) -> Result<Erased> {
    let row: Option<(String, String, Option<i64>)> =
        sqlx::query_as("select email, role, organisation_id from users where id = $1")
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?;
    let (email, role, organisation_id) = row.ok_or(Error::NotFound)?;
    let (owned,): (i64,) = sqlx::query_as("select count(*) from resources where owner_id = $1")
        .bind(user)
        .fetch_one(&mut **tx)
        .await?;
    if owned > 0 {
        return Err(Error::on_field(
            "confirm",
            &format!(
                "This administrator owns {} in the library. Give {them} another owner first",
                domain::paging::how_many(owned, "resource", "resources"),
                them = if owned == 1 { "it" } else { "them" },
            ),
        ));
    }
    // Its address, and any it asked to change to and has not confirmed.
    let mut addresses = vec![email];
    let pending: Vec<(String,)> = sqlx::query_as(
        "select new_email from email_tokens where user_id = $1 and new_email is not null",
    )
    .bind(user)
    .fetch_all(&mut **tx)
    .await?;
    addresses.extend(pending.into_iter().map(|(address,)| address));
    for address in &addresses {
        forget_address(tx, address).await?;
    }
    crate::rights::forget_person(tx, Some(user), None).await?;
    sqlx::query("delete from users where id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(Erased {
        role,
        organisation_id,
    })
}

/// Deletes what is kept under an email address rather than an account:
/// known networks, sign-in counters, mail to it, the caps on unasked-for
/// mail, and messages sent from it before it had an account.
async fn forget_address(tx: &mut Transaction<'static, Any>, address: &str) -> Result<()> {
    let escaped = escape_like(address);
    let exact = [
        "delete from sign_in_known_clients where account = $1",
        "delete from sign_in_failures where scope = 'account:' || $1",
        "delete from sign_in_scopes where scope = 'account:' || $1",
        "delete from outbox where recipient = $1",
        "delete from messages where user_id is null and lower(sender_email) = $1",
    ];
    for sql in exact {
        sqlx::query(AssertSqlSafe(sql))
            .bind(address)
            .execute(&mut **tx)
            .await?;
    }
    crate::rights::forget_person(tx, None, Some(address)).await?;
    // Counters for the address on one client or session, and the caps on
    // each kind of mail to it.
    let patterns = [
        (
            "delete from sign_in_failures where scope like $1 escape '\\'",
            format!("account:{escaped}|%"),
        ),
        (
            "delete from sign_in_scopes where scope like $1 escape '\\'",
            format!("account:{escaped}|%"),
        ),
        (
            "delete from throttles where key like $1 escape '\\'",
            format!("mail:%:{escaped}"),
        ),
    ];
    for (sql, pattern) in patterns {
        sqlx::query(AssertSqlSafe(sql))
            .bind(pattern)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Erases the signed-in person's own account, once they have given their
/// password again (counted like a sign-in) and, if they use an
/// authenticator app, a current code from it. Records the erasure, naming
/// the account by number only, in the same transaction.
pub async fn erase_own(
    db: &Db,
    keys: &Keys,
    issuer: &str,
    session: &Session,
    password: &str,
    code: &str,
) -> Result<()> {
    if !crate::auth::own_password_ok(db, session, password).await? {
        return Err(Error::on_field("password", "Your password is not right"));
    }
    if session.viewer.second_factor {
        crate::mfa::confirm(db, keys, issuer, &session.viewer, code).await?;
    }
    let user = session.viewer.id;
    let mut tx = db.begin_write().await?;
    // Recorded first, while the account (and so its organisation) is
    // still there to name.
    audit::record(
        &mut tx,
        &Actor::User { id: user },
        Action::AccountErased,
        Some(&format!("user:{user}")),
        &serde_json::json!({}),
    )
    .await?;
    let erased = erase_in(&mut tx, user).await?;
    tracing::info!(role = %erased.role, "an account was erased at its owner's request");
    tx.commit().await?;
    Ok(())
}
