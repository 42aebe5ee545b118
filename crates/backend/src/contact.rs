use crate::audit::{self, Actor};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::throttle::{self, Limit};
use domain::Email;
use domain::audit::Action;
use domain::enquiry::EnquiryInput;
use domain::site::SiteInfo;

/// How many enquiries one client may send: enough for a real person who
/// thinks of something else to say, too few to be a useful spam channel.
pub const ENQUIRY_LIMIT: Limit = Limit {
    max_hits: 5,
    window_secs: 15 * 60,
};

/// Validates a public enquiry and puts it in the team's inbox
/// ([`crate::messages`]), recording it in the audit trail; the team's
/// address `team` is told there is a new message. It is stored before
/// anything is sent, so nothing is lost if mail is down. `client` is a
/// pseudonymous key for the sender's network address.
pub async fn submit_enquiry(
    db: &Db,
    client: &str,
    input: &EnquiryInput,
    team: &Email,
    site: &SiteInfo,
) -> Result<i64> {
    let enquiry = input.validate().map_err(Error::Invalid)?;
    let mut tx = db.begin_write().await?;
    throttle::hit(&mut tx, &format!("enquiry:{client}"), ENQUIRY_LIMIT).await?;
    let id = crate::messages::receive_enquiry(&mut tx, &enquiry, team, site).await?;
    audit::record(
        &mut tx,
        &Actor::Public {
            client: client.to_owned(),
        },
        Action::EnquiryReceived,
        Some(&format!("message:{id}")),
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

/// Public enquiries in the inbox, newest first.
pub async fn recent_enquiries(db: &Db, limit: i64) -> Result<Vec<StoredEnquiry>> {
    Ok(sqlx::query_as(
        "select id, sender_name as name, sender_organisation as organisation, sender_email as email, \
         sender_telephone as telephone, body as message, created_at \
         from messages where user_id is null order by id desc limit $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}
