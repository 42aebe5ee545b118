use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::throttle::{self, Limit};
use domain::enquiry::EnquiryInput;

/// How many enquiries one client may send: enough for a real person who
/// thinks of something else to say, too few to be a useful spam channel.
pub const ENQUIRY_LIMIT: Limit = Limit {
    max_hits: 5,
    window_secs: 15 * 60,
};

/// Validates and stores a public enquiry for administrators to read, and
/// records it in the audit trail. It is stored before anything else (such as
/// an email to the team) is attempted, so nothing is lost if mail is down.
/// `client` is a pseudonymous key for the sender's network address.
pub async fn submit_enquiry(db: &Db, client: &str, input: &EnquiryInput) -> Result<i64> {
    let enquiry = input.validate().map_err(Error::Invalid)?;
    let mut tx = db.begin_write().await?;
    throttle::hit(&mut tx, &format!("enquiry:{client}"), ENQUIRY_LIMIT).await?;
    let now = clock::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into enquiries (name, organisation, email, telephone, message, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $6) returning id",
    )
    .bind(&enquiry.name)
    .bind(&enquiry.organisation)
    .bind(enquiry.email.as_str())
    .bind(enquiry.telephone.as_deref())
    .bind(&enquiry.message)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::Public {
            client: client.to_owned(),
        },
        "enquiry.received",
        Some(&format!("enquiry:{id}")),
        &serde_json::json!({ "organisation": enquiry.organisation }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A stored enquiry, as administrators read it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEnquiry {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub email: String,
    pub telephone: Option<String>,
    pub message: String,
    pub created_at: i64,
}

/// Newest first.
pub async fn recent_enquiries(db: &Db, limit: i64) -> Result<Vec<StoredEnquiry>> {
    Ok(sqlx::query_as(
        "select id, name, organisation, email, telephone, message, created_at \
         from enquiries order by id desc limit $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}
