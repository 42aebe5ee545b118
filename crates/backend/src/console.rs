//! The administrators' dashboard: counts of what the service holds, and
//! sign-ins and downloads per day from the audit trail. Administrators
//! only; anyone else gets [`crate::Error::NotFound`].

use crate::clock;
use crate::db::Db;
use crate::error::Result;
use crate::library::admin_only;
use domain::account::Viewer;
use domain::audit::Action;
use domain::console::{ACTIVITY_DAYS, Dashboard, DayActivity, fill_days};
use domain::library::{DAY, REVIEW_DUE_DAYS};

/// The sign-ins the activity chart counts: each completed sign-in once,
/// whichever way it finished.
const SIGN_INS: [Action; 3] = [
    Action::AccountSignedIn,
    Action::AccountSecondFactorUsed,
    Action::AccountRecoveryCodeUsed,
];

/// The dashboard as it stands now.
pub async fn dashboard(db: &Db, viewer: &Viewer) -> Result<Dashboard> {
    admin_only(db, viewer).await?;
    let pool = db.pool();
    let (organisations_active, organisations_suspended, organisations_ended): (i64, i64, i64) =
        sqlx::query_as(
            "select cast(coalesce(sum(case when status = 'active' then 1 else 0 end), 0) as bigint), \
                    cast(coalesce(sum(case when status = 'suspended' then 1 else 0 end), 0) as bigint), \
                    cast(coalesce(sum(case when status = 'ended' then 1 else 0 end), 0) as bigint) \
             from organisations",
        )
        .fetch_one(pool)
        .await?;
    let (members, administrators): (i64, i64) = sqlx::query_as(
        "select cast(coalesce(sum(case when role = 'member' then 1 else 0 end), 0) as bigint), \
                cast(coalesce(sum(case when role = 'admin' then 1 else 0 end), 0) as bigint) \
         from users where email_verified_at is not null",
    )
    .fetch_one(pool)
    .await?;
    let (resources_published, resources_draft, resources_archived): (i64, i64, i64) =
        sqlx::query_as(
            "select cast(coalesce(sum(case when status = 'published' then 1 else 0 end), 0) as bigint), \
                    cast(coalesce(sum(case when status = 'draft' then 1 else 0 end), 0) as bigint), \
                    cast(coalesce(sum(case when status = 'archived' then 1 else 0 end), 0) as bigint) \
             from resources",
        )
        .fetch_one(pool)
        .await?;
    let (messages_open, messages_new): (i64, i64) = sqlx::query_as(
        "select count(*), cast(coalesce(sum(case when state = 'new' then 1 else 0 end), 0) as bigint) \
         from messages where state <> 'closed'",
    )
    .fetch_one(pool)
    .await?;
    let now = clock::now();
    let today = now.div_euclid(DAY) * DAY;
    let (reviews_overdue, reviews_due): (i64, i64) = sqlx::query_as(
        "select cast(coalesce(sum(case when review_date < $1 then 1 else 0 end), 0) as bigint), \
                cast(coalesce(sum(case when review_date >= $1 then 1 else 0 end), 0) as bigint) \
         from resources where status = 'published' and review_date < $2",
    )
    .bind(today)
    .bind(today + (REVIEW_DUE_DAYS + 1) * DAY)
    .fetch_one(pool)
    .await?;
    let (rights_overdue, rights_due_soon) = crate::rights::pressing(db, now).await?;
    Ok(Dashboard {
        organisations_active,
        organisations_suspended,
        organisations_ended,
        members,
        administrators,
        resources_published,
        resources_draft,
        resources_archived,
        messages_open,
        messages_new,
        reviews_overdue,
        reviews_due,
        rights_overdue,
        rights_due_soon,
        days: activity(db, today).await?,
    })
}

/// Sign-ins and downloads on each of the last [`ACTIVITY_DAYS`] days up to
/// `today` (Unix seconds at 00:00 UTC).
async fn activity(db: &Db, today: i64) -> Result<Vec<DayActivity>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select cast(created_at / 86400 as bigint) * 86400 as day, \
                cast(sum(case when action = $2 then 0 else 1 end) as bigint) as sign_ins, \
                cast(sum(case when action = $2 then 1 else 0 end) as bigint) as downloads \
         from audit_events \
         where created_at >= $1 and action in ($2, $3, $4, $5) \
         group by cast(created_at / 86400 as bigint) order by 1",
    )
    .bind(today - (ACTIVITY_DAYS - 1) * DAY)
    .bind(Action::ResourceDownloaded.code())
    .bind(SIGN_INS[0].code())
    .bind(SIGN_INS[1].code())
    .bind(SIGN_INS[2].code())
    .fetch_all(db.pool())
    .await?;
    let known: Vec<DayActivity> = rows
        .into_iter()
        .map(|(day, sign_ins, downloads)| DayActivity {
            day,
            sign_ins,
            downloads,
        })
        .collect();
    Ok(fill_days(today, &known))
}
