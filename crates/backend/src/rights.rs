//! Data-rights requests (P5, P6): a member asks from their data page, an
//! administrator logs one that arrived by letter or email, and
//! administrators extend, fulfil and close them. Each is due one calendar
//! month after it was received ([`domain::rights::due_date`]).
//!
//! Members only ever see their own requests ([`mine`]); everything else
//! here is for administrators, and anyone else gets [`Error::NotFound`].
//! Every change is recorded in the audit trail, in its own transaction,
//! naming the request by number and never the requester.

use crate::audit::{self, Actor};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::library::{admin_only, require_admin};
use crate::{clock, mail};
use domain::Email;
use domain::account::Viewer;
use domain::audit::Action;
use domain::library::{DAY, iso_date, long_date};
use domain::rights::{
    Closing, DUE_SOON_DAYS, Extension, LoggedRequest, MAX_EXTENSION_MONTHS, NewRequest, PAGE_SIZE,
    RequestDetail, RequestKind, RequestPage, RequestQuery, RequestState, RequestSummary, Urgency,
    day_of, due_date, extended_due, request_path,
};
use domain::site::SiteInfo;
use sqlx::{Any, Transaction};

/// Requests a member's own list shows, newest first.
const MINE_LIMIT: i64 = 50;

const SUMMARY: &str = "select r.id, r.kind, r.state, \
     coalesce(u.full_name, r.requester_name, ''), coalesce(u.email, r.requester_email, ''), \
     r.user_id, r.erased_at, r.received_on, r.due_on, r.extended_months, r.closed_at \
     from rights_requests r left join users u on u.id = r.user_id";

type SummaryRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    Option<i64>,
);

fn stored_kind(raw: &str) -> Result<RequestKind> {
    RequestKind::parse(raw).ok_or_else(|| Error::Unreadable {
        column: "rights_requests.kind",
        value: raw.to_owned(),
    })
}

fn stored_state(raw: &str) -> Result<RequestState> {
    RequestState::parse(raw).ok_or_else(|| Error::Unreadable {
        column: "rights_requests.state",
        value: raw.to_owned(),
    })
}

fn summary(row: SummaryRow, now: i64) -> Result<RequestSummary> {
    let (
        id,
        kind,
        state,
        name,
        email,
        user_id,
        erased_at,
        received_on,
        due_on,
        extended_months,
        closed_at,
    ) = row;
    let state = stored_state(&state)?;
    Ok(RequestSummary {
        id,
        kind: stored_kind(&kind)?,
        state,
        name,
        email,
        member: user_id.is_some(),
        erased: erased_at.is_some(),
        received_on,
        due_on,
        extended_months,
        urgency: (state == RequestState::Open).then(|| Urgency::of(due_on, now)),
        closed_at,
    })
}

fn target(id: i64) -> String {
    format!("rights_request:{id}")
}

/// Tells the team's address there is a new request: a link, never what
/// it says or who made it.
async fn notify_team(
    tx: &mut Transaction<'static, Any>,
    team: &Email,
    site: &SiteInfo,
    id: i64,
    due_on: i64,
) -> Result<()> {
    mail::enqueue(
        tx,
        team,
        &format!("New data-rights request in {}", site.product_name),
        &format!(
            "A member has made a data-rights request. It is due by {}:\n\n{}\n\nSign in to read it.\n",
            long_date(due_on),
            site.canonical(&request_path(id))
        ),
    )
    .await
}

/// The signed-in person's own request, received today; its id. The
/// team's address is told there is one.
/// How many requests a member may make in a day.
const SUBMIT_LIMIT: crate::throttle::Limit = crate::throttle::Limit {
    max_hits: 5,
    window_secs: DAY,
};

pub async fn submit(
    db: &Db,
    viewer: &Viewer,
    request: &NewRequest,
    team: &Email,
    site: &SiteInfo,
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    // Counted before anything is stored, in the same transaction, so a
    // flood of requests can fill neither the list nor the team's inbox.
    crate::throttle::hit(
        &mut tx,
        &format!("rights-request:{}", viewer.id),
        SUBMIT_LIMIT,
    )
    .await?;
    let now = clock::now();
    let received = day_of(now);
    let due = due_date(received);
    let (id,): (i64,) = sqlx::query_as(
        "insert into rights_requests (user_id, kind, details, received_on, due_on, state, \
         created_at, updated_at) \
         select id, $1, $2, $3, $4, 'open', $5, $5 from users where id = $6 returning id",
    )
    .bind(request.kind.as_str())
    .bind(&request.details)
    .bind(received)
    .bind(due)
    .bind(now)
    .bind(viewer.id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    audit::record(
        &mut tx,
        &Actor::User { id: viewer.id },
        Action::RightsRequestMade,
        Some(&target(id)),
        &serde_json::json!({ "kind": request.kind.as_str(), "due_on": iso_date(due) }),
    )
    .await?;
    notify_team(&mut tx, team, site, id, due).await?;
    tx.commit().await?;
    Ok(id)
}

/// A request that arrived by letter or email, logged by an administrator;
/// its id. Linked to the account with the requester's address when asked
/// (the account then names them, and nothing is copied), otherwise the
/// requester's name and address are kept with it.
pub async fn log(db: &Db, viewer: &Viewer, request: &LoggedRequest) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let account = if request.link {
        let found: Option<(i64,)> = sqlx::query_as("select id from users where email = $1")
            .bind(request.email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let (id,) = found.ok_or_else(|| {
            Error::on_field(
                "email",
                "No account has this email address: choose not to link the request, or check the address",
            )
        })?;
        Some(id)
    } else {
        None
    };
    let (name, email) = match account {
        Some(_) => (None, None),
        None => (Some(request.name.as_str()), Some(request.email.as_str())),
    };
    let due = due_date(request.received);
    let now = clock::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into rights_requests (user_id, requester_name, requester_email, kind, details, \
         received_on, due_on, state, logged_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $9) returning id",
    )
    .bind(account)
    .bind(name)
    .bind(email)
    .bind(request.kind.as_str())
    .bind(&request.details)
    .bind(request.received)
    .bind(due)
    .bind(viewer.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &actor,
        Action::RightsRequestLogged,
        Some(&target(id)),
        &serde_json::json!({
            "kind": request.kind.as_str(),
            "account": account.map(|a| format!("user:{a}")),
            "received_on": iso_date(request.received),
            "due_on": iso_date(due),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every request, a page at a time: open ones first, soonest due first,
/// then closed ones, most recently closed first. Administrators only.
pub async fn list(db: &Db, viewer: &Viewer, query: &RequestQuery) -> Result<RequestPage> {
    admin_only(db, viewer).await?;
    let (total,): (i64,) = sqlx::query_as("select count(*) from rights_requests")
        .fetch_one(db.pool())
        .await?;
    let rows: Vec<SummaryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUMMARY} order by case when r.state = 'open' then 0 else 1 end, \
         case when r.state = 'open' then r.due_on else 0 end, \
         coalesce(r.closed_at, 0) desc, r.id desc limit $1 offset $2"
    )))
    .bind(PAGE_SIZE)
    .bind(query.offset())
    .fetch_all(db.pool())
    .await?;
    let now = clock::now();
    Ok(RequestPage::new(
        rows.into_iter()
            .map(|row| summary(row, now))
            .collect::<Result<_>>()?,
        total,
        query.page(),
        PAGE_SIZE,
    ))
}

/// The signed-in person's own requests, newest first: theirs and nobody
/// else's, whoever is asking.
pub async fn mine(db: &Db, viewer: &Viewer) -> Result<Vec<RequestSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUMMARY} where r.user_id = $1 order by r.id desc limit $2"
    )))
    .bind(viewer.id)
    .bind(MINE_LIMIT)
    .fetch_all(db.pool())
    .await?;
    let now = clock::now();
    rows.into_iter().map(|row| summary(row, now)).collect()
}

/// Request `id` in full. Administrators only.
pub async fn detail(db: &Db, viewer: &Viewer, id: i64) -> Result<RequestDetail> {
    admin_only(db, viewer).await?;
    let row: SummaryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SUMMARY} where r.id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(Error::NotFound)?;
    let (details, extension_reason, outcome_note, logged_by): (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "select r.details, r.extension_reason, r.outcome_note, a.full_name \
         from rights_requests r left join users a on a.id = r.logged_by where r.id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    Ok(RequestDetail {
        summary: summary(row, clock::now())?,
        details,
        extension_reason,
        outcome_note,
        logged_by,
    })
}

/// What a change needs to know about request `id`.
struct Current {
    kind: RequestKind,
    state: RequestState,
    received_on: i64,
    extended_months: i64,
    extension_reason: Option<String>,
    user_id: Option<i64>,
    /// The requester's address: their account's, or the one they gave.
    email: Option<String>,
}

type CurrentRow = (
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
);

async fn current(tx: &mut Transaction<'static, Any>, id: i64) -> Result<Current> {
    let row: Option<CurrentRow> = sqlx::query_as(
        "select r.kind, r.state, r.received_on, r.extended_months, r.extension_reason, r.user_id, \
         coalesce(u.email, r.requester_email) \
         from rights_requests r left join users u on u.id = r.user_id where r.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let (kind, state, received_on, extended_months, extension_reason, user_id, email) =
        row.ok_or(Error::NotFound)?;
    Ok(Current {
        kind: stored_kind(&kind)?,
        state: stored_state(&state)?,
        received_on,
        extended_months,
        extension_reason,
        user_id,
        email,
    })
}

/// Extends open request `id`'s time limit by `extension.months`, at most
/// [`MAX_EXTENSION_MONTHS`] in all, counted from the day received; keeps
/// the reason with the request and emails it, with the new date, to the
/// requester. Its new due date. Administrators only.
pub async fn extend(
    db: &Db,
    viewer: &Viewer,
    id: i64,
    extension: &Extension,
    site: &SiteInfo,
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let request = current(&mut tx, id).await?;
    if request.state != RequestState::Open {
        return Err(Error::on_field(
            "months",
            "This request is closed: its time limit cannot be extended",
        ));
    }
    // The requester must be told within the first month (the ICO's rule),
    // and by email, so an extension needs both.
    let first_month = due_date(request.received_on);
    if day_of(clock::now()) > first_month {
        return Err(Error::on_field(
            "months",
            &format!(
                "The first month ended on {}: a time limit can only be extended within it",
                long_date(first_month)
            ),
        ));
    }
    let Some(email) = request.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        return Err(Error::on_field(
            "months",
            "There is no email address to tell the requester at, so the time limit cannot be extended",
        ));
    };
    let total = request.extended_months + extension.months;
    let due = extended_due(request.received_on, total).ok_or_else(|| {
        Error::on_field(
            "months",
            &format!(
                "The time limit can be extended by at most {MAX_EXTENSION_MONTHS} months in all, \
                 and it has been extended by {} already",
                request.extended_months
            ),
        )
    })?;
    let reason = match &request.extension_reason {
        Some(earlier) => format!("{earlier}\n\n{}", extension.reason),
        None => extension.reason.clone(),
    };
    let changed = sqlx::query(
        "update rights_requests set extended_months = $1, due_on = $2, extension_reason = $3, \
         updated_at = $4 where id = $5 and state = 'open' and extended_months = $6",
    )
    .bind(total)
    .bind(due)
    .bind(&reason)
    .bind(clock::now())
    .bind(id)
    .bind(request.extended_months)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(Error::on_field(
            "months",
            "The request changed while you were looking at it: look again",
        ));
    }
    {
        mail::enqueue(
            &mut tx,
            &email,
            "Your data-rights request: we need more time",
            &format!(
                "Hello,\n\nWe received your request ({} of your data) on {}. We need more time \
                 to answer it, as the law allows, and will answer by {}.\n\nWhy: {}\n\n{}\n",
                request.kind.name().to_lowercase(),
                long_date(request.received_on),
                long_date(due),
                extension.reason,
                site.organisation_name
            ),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &actor,
        Action::RightsRequestExtended,
        Some(&target(id)),
        &serde_json::json!({
            "months": extension.months,
            "extended_months": total,
            "due_on": iso_date(due),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(due)
}

/// Closes open request `id` as completed or refused, with a note of what
/// was done or why not. Administrators only.
pub async fn close(db: &Db, viewer: &Viewer, id: i64, closing: &Closing) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let request = current(&mut tx, id).await?;
    if request.state != RequestState::Open || closing.outcome == RequestState::Open {
        return Err(Error::on_field("outcome", "This request is already closed"));
    }
    let now = clock::now();
    let changed = sqlx::query(
        "update rights_requests set state = $1, outcome_note = $2, closed_at = $3, updated_at = $3 \
         where id = $4 and state = 'open'",
    )
    .bind(closing.outcome.as_str())
    .bind(&closing.note)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(Error::on_field("outcome", "This request is already closed"));
    }
    audit::record(
        &mut tx,
        &actor,
        Action::RightsRequestClosed,
        Some(&target(id)),
        &serde_json::json!({ "outcome": closing.outcome.as_str(), "kind": request.kind.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Everything held about the account access request `id` is linked to,
/// as the person's own download carries it, for the administrator to
/// send them. Recorded in the audit trail. Administrators only; a request
/// of another kind, or with no account, has nothing to download.
pub async fn access_export(db: &Db, viewer: &Viewer, id: i64) -> Result<serde_json::Value> {
    admin_only(db, viewer).await?;
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("select kind, user_id from rights_requests where id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let (kind, user) = row.ok_or(Error::NotFound)?;
    let (RequestKind::Access, Some(user)) = (stored_kind(&kind)?, user) else {
        return Err(Error::NotFound);
    };
    let document = crate::mydata::document(db, user).await?;
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    audit::record(
        &mut tx,
        &actor,
        Action::RightsDataExported,
        Some(&target(id)),
        &serde_json::json!({ "account": format!("user:{user}") }),
    )
    .await?;
    tx.commit().await?;
    Ok(document)
}

/// Fulfils open erasure request `id`: erases the linked account exactly
/// as its owner's own erasure would ([`crate::mydata::erase_in`]), and
/// completes the request, in one transaction. Administrators only, and
/// never their own account.
pub async fn erase_account(db: &Db, viewer: &Viewer, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let request = current(&mut tx, id).await?;
    let refuse = |why: &str| Err(Error::on_field("confirm", why));
    if request.state != RequestState::Open {
        return refuse("This request is closed");
    }
    if request.kind != RequestKind::Erasure {
        return refuse("Only an erasure request erases an account");
    }
    let Some(user) = request.user_id else {
        return refuse("No account is linked to this request: there is no account to erase");
    };
    if user == viewer.id {
        return refuse("You cannot erase your own account from here");
    }
    let now = clock::now();
    // Claimed before anything is erased: a request closed, or erased for,
    // by someone else meanwhile changes no row, and nothing happens.
    let claimed = sqlx::query(
        "update rights_requests set state = 'completed', closed_at = $1, updated_at = $1 \
         where id = $2 and state = 'open'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return refuse("This request changed while you were looking at it: look again");
    }
    // Recorded first, while the account is still there to name.
    audit::record(
        &mut tx,
        &actor,
        Action::RightsAccountErased,
        Some(&format!("user:{user}")),
        &serde_json::json!({ "request": target(id) }),
    )
    .await?;
    let erased = crate::mydata::erase_in(&mut tx, user).await?;
    // After the erasure, which clears the notes on the person's requests.
    sqlx::query("update rights_requests set outcome_note = $1 where id = $2")
        .bind("The account and everything held with it were erased.")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tracing::info!(role = %erased.role, "an account was erased for a data-rights request");
    tx.commit().await?;
    Ok(())
}

/// Removes a person's name, address and words from the requests by or
/// about them, keeping what was asked for, when, and what was done: for
/// account `user`, or (without an account) address `address`. Called as
/// their account is erased ([`crate::mydata::erase_in`]).
pub(crate) async fn forget_person(
    tx: &mut Transaction<'static, Any>,
    user: Option<i64>,
    address: Option<&str>,
) -> Result<()> {
    // An open request ends with the account: nobody is left to answer,
    // and it must not stay overdue on the dashboard for ever.
    const FORGET: &str = "update rights_requests set requester_name = null, requester_email = null, \
         details = '', extension_reason = null, \
         outcome_note = case when state = 'open' then 'Closed when the account was erased.' else null end, \
         closed_at = case when state = 'open' then $1 else closed_at end, \
         state = case when state = 'open' then 'completed' else state end, \
         erased_at = $1, updated_at = $1 ";
    let now = clock::now();
    if let Some(user) = user {
        sqlx::query(sqlx::AssertSqlSafe(format!("{FORGET} where user_id = $2")))
            .bind(now)
            .bind(user)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(address) = address {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{FORGET} where user_id is null and lower(requester_email) = $2"
        )))
        .bind(now)
        .bind(address)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Open requests past their due date, and those due within
/// [`DUE_SOON_DAYS`] days, seen at `now`: for the dashboard.
pub(crate) async fn pressing(db: &Db, now: i64) -> Result<(i64, i64)> {
    let today = day_of(now);
    Ok(sqlx::query_as(
        "select cast(coalesce(sum(case when due_on < $1 then 1 else 0 end), 0) as bigint), \
                cast(coalesce(sum(case when due_on >= $1 then 1 else 0 end), 0) as bigint) \
         from rights_requests where state = 'open' and due_on <= $2",
    )
    .bind(today)
    .bind(today + DUE_SOON_DAYS * DAY)
    .fetch_one(db.pool())
    .await?)
}
