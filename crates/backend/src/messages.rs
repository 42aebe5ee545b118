//! The service team's inbox: members' messages from the portal and public
//! enquiries, with assignment, internal notes, replies by email and
//! closing (P4).
//!
//! Who may read which message is decided in one place, [`Reader`]: an
//! administrator reads the inbox, a member only their own messages, and
//! every list, count and detail here starts from [`Reader::select`]. A
//! message the reader may not see is [`Error::NotFound`], exactly like one
//! that does not exist.

use crate::audit::{self, Actor};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::library::scope::Scope;
use crate::sql::Sql;
use crate::{clock, mail};
use domain::Email;
use domain::account::Viewer;
use domain::audit::Action;
use domain::messages::{
    Entry, EntryKind, InboxOptions, InboxQuery, MessageDetail, MessagePage, MessageState,
    MessageSummary, NewMessage, PAGE_SIZE, Sender, inbox_message_path, my_message_path,
};
use domain::site::SiteInfo;
use sqlx::{Any, Transaction};

/// Whose messages a person may read, read from the database for the
/// person asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    /// An administrator: the whole inbox.
    Team { id: i64 },
    /// Anyone else: the messages they sent, and nothing more.
    Sender { id: i64 },
}

impl Reader {
    async fn of(tx: &mut Transaction<'static, Any>, viewer: &Viewer) -> Result<Self> {
        Ok(if Scope::of(&mut **tx, viewer.id).await?.is_admin() {
            Reader::Team { id: viewer.id }
        } else {
            Reader::Sender { id: viewer.id }
        })
    }

    fn team(self) -> Result<i64> {
        match self {
            Reader::Team { id } => Ok(id),
            Reader::Sender { .. } => Err(Error::NotFound),
        }
    }

    /// Appends `select {columns} from messages m …joins… where <who may
    /// read>` to `sql`; callers add `and …`.
    fn select(self, sql: &mut Sql, columns: &'static str) {
        sql.push("select ").push(columns).push(FROM).push(" where ");
        match self {
            Reader::Team { .. } => sql.push("1 = 1"),
            Reader::Sender { id } => sql.push("m.user_id = ").bind(id),
        };
    }
}

const FROM: &str = " from messages m \
     left join users u on u.id = m.user_id \
     left join organisations o on o.id = m.organisation_id \
     left join services s on s.id = m.service_id \
     left join users a on a.id = m.assignee_id";

const SUMMARY: &str = "m.id, m.subject, m.state, m.user_id, \
     coalesce(u.full_name, m.sender_name, ''), coalesce(u.email, m.sender_email, ''), \
     coalesce(o.name, m.sender_organisation), m.sender_telephone, s.name, a.full_name, m.assignee_id, \
     (select count(*) from message_entries e where e.message_id = m.id and e.kind = 'reply'), \
     m.created_at, m.updated_at";

type SummaryRow = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    i64,
);

fn summary(row: SummaryRow) -> Result<MessageSummary> {
    let (
        id,
        subject,
        state,
        user_id,
        name,
        email,
        organisation,
        telephone,
        service,
        assignee,
        assignee_id,
        replies,
        created_at,
        updated_at,
    ) = row;
    Ok(MessageSummary {
        id,
        subject,
        state: stored_state(&state)?,
        sender: Sender {
            name,
            email,
            organisation,
            telephone,
            member: user_id.is_some(),
        },
        service,
        assignee,
        assignee_id,
        answered: replies > 0,
        created_at,
        updated_at,
    })
}

fn stored_state(raw: &str) -> Result<MessageState> {
    MessageState::parse(raw).ok_or_else(|| Error::Unreadable {
        column: "messages.state",
        value: raw.to_owned(),
    })
}

/// Tells the team's address that the inbox has a new message: a link,
/// never the message itself.
async fn notify_team(
    tx: &mut Transaction<'static, Any>,
    team: &Email,
    site: &SiteInfo,
    id: i64,
) -> Result<()> {
    mail::enqueue(
        tx,
        team,
        &format!("New message in the {} inbox", site.product_name),
        &format!(
            "A new message is waiting in the inbox:\n\n{}\n\nSign in to read it.\n",
            site.canonical(&inbox_message_path(id))
        ),
    )
    .await
}

/// A member's message to the team; its id. The team's address is told
/// there is a new message (not what it says).
pub async fn send(
    db: &Db,
    viewer: &Viewer,
    message: &NewMessage,
    team: &Email,
    site: &SiteInfo,
) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    if let Some(service) = message.service_id {
        let exists: Option<(i64,)> = sqlx::query_as("select id from services where id = $1")
            .bind(service)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(Error::on_field(
                "service_id",
                "Choose a service from the list",
            ));
        }
    }
    let now = clock::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into messages (user_id, organisation_id, service_id, subject, body, state, created_at, updated_at) \
         select id, organisation_id, $1, $2, $3, 'new', $4, $4 from users where id = $5 returning id",
    )
    .bind(message.service_id)
    .bind(&message.subject)
    .bind(&message.body)
    .bind(now)
    .bind(viewer.id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    audit::record(
        &mut tx,
        &Actor::User { id: viewer.id },
        Action::MessageSent,
        Some(&format!("message:{id}")),
        &serde_json::json!({ "service_id": message.service_id }),
    )
    .await?;
    notify_team(&mut tx, team, site, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// A public enquiry joins the inbox; called by [`crate::contact`] inside
/// its transaction.
pub(crate) async fn receive_enquiry(
    tx: &mut Transaction<'static, Any>,
    enquiry: &domain::enquiry::Enquiry,
    team: &Email,
    site: &SiteInfo,
) -> Result<i64> {
    let now = clock::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into messages (sender_name, sender_email, sender_organisation, sender_telephone, \
         subject, body, state, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, 'new', $7, $7) returning id",
    )
    .bind(&enquiry.name)
    .bind(enquiry.email.as_str())
    .bind(&enquiry.organisation)
    .bind(enquiry.telephone.as_deref())
    .bind(format!("Enquiry from {}", enquiry.organisation))
    .bind(&enquiry.message)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    notify_team(tx, team, site, id).await?;
    Ok(id)
}

/// A page of messages `viewer` may read, newest activity first: the inbox
/// (filtered by `query`) for administrators, their own messages for
/// anyone else (who cannot filter by organisation).
pub async fn list(db: &Db, viewer: &Viewer, query: &InboxQuery) -> Result<MessagePage> {
    let mut tx = db.begin_write().await?;
    let reader = Reader::of(&mut tx, viewer).await?;
    let filters = |sql: &mut Sql| {
        if let Some(state) = query.state {
            sql.push(" and m.state = ").bind(state.as_str());
        }
        if let Some(service) = query.service {
            sql.push(" and m.service_id = ").bind(service);
        }
        if let (Reader::Team { .. }, Some(organisation)) = (reader, query.organisation) {
            sql.push(" and m.organisation_id = ").bind(organisation);
        }
    };
    let mut count = Sql::new();
    reader.select(&mut count, "count(*)");
    filters(&mut count);
    let (total,): (i64,) = count.query_as().fetch_one(&mut *tx).await?;
    let mut rows = Sql::new();
    reader.select(&mut rows, SUMMARY);
    filters(&mut rows);
    rows.push(" order by m.updated_at desc, m.id desc limit ")
        .bind(PAGE_SIZE)
        .push(" offset ")
        .bind(query.offset());
    let found: Vec<SummaryRow> = rows.query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(MessagePage::new(
        found.into_iter().map(summary).collect::<Result<_>>()?,
        total,
        query.page(),
        PAGE_SIZE,
    ))
}

/// Message `id` in full, if `viewer` may read it: administrators see every
/// reply and note, its sender only the replies. Reading is not a change,
/// and is not recorded.
pub async fn detail(db: &Db, viewer: &Viewer, id: i64) -> Result<MessageDetail> {
    let mut tx = db.begin_write().await?;
    let reader = Reader::of(&mut tx, viewer).await?;
    let mut sql = Sql::new();
    reader.select(&mut sql, "m.body");
    sql.push(" and m.id = ").bind(id);
    let (body,): (String,) = sql
        .query_as()
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
    let mut sql = Sql::new();
    reader.select(&mut sql, SUMMARY);
    sql.push(" and m.id = ").bind(id);
    let row: SummaryRow = sql.query_as().fetch_one(&mut *tx).await?;
    let entries: Vec<(String, String, String, i64)> = sqlx::query_as(
        "select kind, author_name, body, created_at from message_entries \
         where message_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let entries = entries
        .into_iter()
        .map(|(kind, author, body, created_at)| {
            let kind = EntryKind::parse(&kind).ok_or_else(|| Error::Unreadable {
                column: "message_entries.kind",
                value: kind.clone(),
            })?;
            Ok(Entry {
                kind,
                author,
                body,
                created_at,
            })
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|entry| matches!(reader, Reader::Team { .. }) || entry.kind == EntryKind::Reply)
        .collect();
    Ok(MessageDetail {
        summary: summary(row)?,
        body,
        entries,
    })
}

/// What the inbox's filters and assignment offer. Administrators only.
pub async fn options(db: &Db, viewer: &Viewer) -> Result<InboxOptions> {
    let mut tx = db.begin_write().await?;
    Reader::of(&mut tx, viewer).await?.team()?;
    let services = sqlx::query_as("select id, name from services order by name, id")
        .fetch_all(&mut *tx)
        .await?;
    let organisations = sqlx::query_as(
        "select id, name from organisations o where exists \
         (select 1 from messages m where m.organisation_id = o.id) order by name, id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let administrators = sqlx::query_as(
        "select id, full_name from users where role = 'admin' order by full_name, id",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(InboxOptions {
        services,
        organisations,
        administrators,
    })
}

/// The acting administrator's id, and the message's subject, sender's
/// address, whether the sender is a member and its state, for an
/// administrator about to change it; anyone else gets
/// [`Error::NotFound`].
async fn for_change(
    tx: &mut Transaction<'static, Any>,
    viewer: &Viewer,
    id: i64,
) -> Result<(i64, String, String, bool, MessageState)> {
    let admin = Reader::of(tx, viewer).await?.team()?;
    let row: Option<(String, String, Option<i64>, String)> = sqlx::query_as(
        "select m.subject, coalesce(u.email, m.sender_email, ''), m.user_id, m.state \
         from messages m left join users u on u.id = m.user_id where m.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let (subject, email, user_id, state) = row.ok_or(Error::NotFound)?;
    Ok((
        admin,
        subject,
        email,
        user_id.is_some(),
        stored_state(&state)?,
    ))
}

async fn touch(tx: &mut Transaction<'static, Any>, id: i64, state: MessageState) -> Result<()> {
    sqlx::query("update messages set state = $1, updated_at = $2 where id = $3")
        .bind(state.as_str())
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives message `id` to administrator `assignee` (or to nobody); a new
/// message is then in progress. Administrators only.
pub async fn assign(db: &Db, viewer: &Viewer, id: i64, assignee: Option<i64>) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (admin, _, _, _, state) = for_change(&mut tx, viewer, id).await?;
    if let Some(assignee) = assignee {
        let admin_row: Option<(i64,)> =
            sqlx::query_as("select id from users where id = $1 and role = 'admin'")
                .bind(assignee)
                .fetch_optional(&mut *tx)
                .await?;
        if admin_row.is_none() {
            return Err(Error::on_field("assignee_id", "Choose an administrator"));
        }
    }
    sqlx::query("update messages set assignee_id = $1 where id = $2")
        .bind(assignee)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let state = if state == MessageState::New {
        MessageState::InProgress
    } else {
        state
    };
    touch(&mut tx, id, state).await?;
    audit::record(
        &mut tx,
        &Actor::User { id: admin },
        Action::MessageAssigned,
        Some(&format!("message:{id}")),
        &serde_json::json!({ "assignee_id": assignee }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a reply or an internal note to message `id`. A reply is emailed to
/// the sender (a member is also pointed to the portal, where it is kept).
/// Either moves a new message into progress, and reopens a closed one.
/// Administrators only.
pub async fn add_entry(
    db: &Db,
    viewer: &Viewer,
    id: i64,
    kind: EntryKind,
    body: &str,
    site: &SiteInfo,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (admin, subject, email, member, _) = for_change(&mut tx, viewer, id).await?;
    let (author,): (String,) = sqlx::query_as("select full_name from users where id = $1")
        .bind(admin)
        .fetch_one(&mut *tx)
        .await?;
    let now = clock::now();
    sqlx::query(
        "insert into message_entries (message_id, kind, author_id, author_name, body, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(admin)
    .bind(&author)
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    touch(&mut tx, id, MessageState::InProgress).await?;
    if kind == EntryKind::Reply {
        let to = Email::parse(&email).map_err(|_| Error::Unreadable {
            column: "messages.sender_email",
            value: String::new(),
        })?;
        let portal = if member {
            format!(
                "\n\nYou can also read it, with your message, in the portal:\n{}\n",
                site.canonical(&my_message_path(id))
            )
        } else {
            String::new()
        };
        mail::enqueue(
            &mut tx,
            &to,
            &format!("Re: {subject}"),
            &format!("{body}\n\n{author}, {}{portal}", site.organisation_name),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &Actor::User { id: admin },
        match kind {
            EntryKind::Reply => Action::MessageReplied,
            EntryKind::Note => Action::MessageNoted,
        },
        Some(&format!("message:{id}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Closes message `id` or reopens it (in progress). Administrators only.
pub async fn set_state(db: &Db, viewer: &Viewer, id: i64, state: MessageState) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (admin, _, _, _, before) = for_change(&mut tx, viewer, id).await?;
    touch(&mut tx, id, state).await?;
    audit::record(
        &mut tx,
        &Actor::User { id: admin },
        Action::MessageStateChanged,
        Some(&format!("message:{id}")),
        &serde_json::json!({ "before": before.as_str(), "after": state.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The services a message may be about, by name.
pub async fn services(db: &Db) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("select id, name from services order by name, id")
            .fetch_all(db.pool())
            .await?,
    )
}
