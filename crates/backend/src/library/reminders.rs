//! Emails to a resource's owner as its review comes due: 30 days before
//! the review date, and on the day (or at once, for a date already past).
//! Each is sent once, however many instances run the job: the reminder's
//! row is claimed in the same transaction as its mail is queued.

use crate::clock;
use crate::db::Db;
use crate::error::Result;
use crate::mail;
use domain::Email;
use domain::library::{DAY, REVIEW_DUE_DAYS, admin_resource_path, long_date};

/// Queues the reminders due at `now`; returns how many. `public_url` makes
/// the link to the resource's page.
pub async fn send_due(db: &Db, public_url: &str, now: i64) -> Result<usize> {
    let today = now.div_euclid(DAY) * DAY;
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "select r.id, r.title, r.review_date, u.email from resources r \
         join users u on u.id = r.owner_id \
         where r.status <> 'archived' and r.review_date is not null and r.review_date <= $1 \
         and not exists (select 1 from review_reminders m where m.resource_id = r.id \
             and m.review_date = r.review_date \
             and m.stage = case when r.review_date <= $2 then 'day' else 'month' end)",
    )
    .bind(today + REVIEW_DUE_DAYS * DAY)
    .bind(today)
    .fetch_all(db.pool())
    .await?;
    let mut sent = 0;
    for (id, title, review_date, owner) in rows {
        let Ok(owner) = Email::parse(&owner) else {
            continue;
        };
        let stage = if review_date <= today { "day" } else { "month" };
        let mut tx = db.begin_write().await?;
        let claimed = sqlx::query(
            "insert into review_reminders (resource_id, review_date, stage, created_at, updated_at) \
             values ($1, $2, $3, $4, $4) on conflict do nothing",
        )
        .bind(id)
        .bind(review_date)
        .bind(stage)
        .bind(clock::now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 1 {
            let (subject, body) = message(public_url, id, &title, review_date, stage == "day");
            mail::enqueue(&mut tx, &owner, &subject, &body).await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// The reminder's subject and body.
fn message(
    public_url: &str,
    id: i64,
    title: &str,
    review_date: i64,
    due: bool,
) -> (String, String) {
    // A title is one line in a subject, whatever was stored.
    let title: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let date = long_date(review_date);
    let subject = if due {
        format!("Review due: {title}")
    } else {
        format!("Review due on {date}: {title}")
    };
    let body = format!(
        "Hello,\n\n\
         You own the library resource \"{title}\", which is due for review on {date}.\n\n\
         Check that it is still right, change it if it needs it, and set its next review date:\n\
         {public_url}{path}\n",
        path = admin_resource_path(id),
    );
    (subject, body)
}
