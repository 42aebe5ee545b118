//! Retention (P9) on SQLite and PostgreSQL: what a dry run lists is
//! exactly what the real run then deletes, a second run deletes nothing,
//! members of an organisation that ended are kept for the configured
//! months and then erased, closed messages and data-rights requests go
//! after theirs, and each run's counts are audited.

use backend::retention::{self, Category, Policy};
use backend::testing::fixtures::{organisation, user};
use backend::{Db, stories};
use domain::account::Role;
use domain::organisation::OrgStatus;

stories!(a_dry_run_lists_exactly_what_the_run_deletes_and_a_second_run_deletes_nothing,);

const POLICY: Policy = Policy {
    member_months: 6,
    message_months: 24,
    rights_months: 36,
};

fn count(due: &[retention::Due], category: Category) -> i64 {
    due.iter()
        .find(|d| d.category == category)
        .map_or(-1, |d| d.count)
}

async fn users(db: &Db) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("select email from users order by email")
        .fetch_all(db.pool())
        .await
        .expect("users");
    rows.into_iter().map(|(e,)| e).collect()
}

async fn a_dry_run_lists_exactly_what_the_run_deletes_and_a_second_run_deletes_nothing(db: Db) {
    let now = backend::clock::now();
    let month = retention::months(1);
    let active = organisation(&db, "Active Surgery", OrgStatus::Active, &[]).await;
    let ended_long_ago = organisation(&db, "Ended Surgery", OrgStatus::Ended, &[]).await;
    let ended_lately = organisation(&db, "Lately Ended Surgery", OrgStatus::Ended, &[]).await;
    let suspended_long_ago = organisation(&db, "Paused Surgery", OrgStatus::Suspended, &[]).await;
    for (org, since) in [
        (ended_long_ago, now - 7 * month),
        (ended_lately, now - 5 * month),
        (suspended_long_ago, now - 7 * month),
    ] {
        sqlx::query("update organisations set status_changed_at = $1 where id = $2")
            .bind(since)
            .bind(org)
            .execute(db.pool())
            .await
            .expect("age");
    }
    user(&db, "a@active.example", Role::Member, Some(active)).await;
    user(&db, "b@ended.example", Role::Member, Some(ended_long_ago)).await;
    user(&db, "c@lately.example", Role::Member, Some(ended_lately)).await;
    user(
        &db,
        "d@paused.example",
        Role::Member,
        Some(suspended_long_ago),
    )
    .await;
    user(&db, "admin@csu.example", Role::Admin, Some(ended_long_ago)).await;
    // Two registrations never confirmed: one eight days old, one a day old.
    for (email, age) in [("old@active.example", 8), ("new@active.example", 1)] {
        sqlx::query(
            "insert into users (email, full_name, password_hash, role, organisation_id, created_at, updated_at) \
             values ($1, 'Unconfirmed', 'not-a-hash', 'member', $2, $3, $3)",
        )
        .bind(email)
        .bind(active)
        .bind(now - age * 86_400)
        .execute(db.pool())
        .await
        .expect("registration");
    }
    // A link that expired, and one that has not.
    let (a,): (i64,) = sqlx::query_as("select id from users where email = 'a@active.example'")
        .fetch_one(db.pool())
        .await
        .expect("a");
    for (hash, expires) in [("expired", now - 10), ("live", now + 3600)] {
        sqlx::query(
            "insert into email_tokens (token_hash, user_id, purpose, expires_at, created_at, updated_at) \
             values ($1, $2, 'reset', $3, $4, $4)",
        )
        .bind(hash)
        .bind(a)
        .bind(expires)
        .bind(now - 100)
        .execute(db.pool())
        .await
        .expect("link");
    }

    // Messages: closed 25 months ago (due), closed 23 months ago, and
    // open since long ago (neither due), each with a reply.
    for (subject, state, age) in [
        ("Old closed", "closed", 25),
        ("Lately closed", "closed", 23),
        ("Old open", "in_progress", 30),
    ] {
        let (message,): (i64,) = sqlx::query_as(
            "insert into messages (user_id, organisation_id, subject, body, state, created_at, updated_at) \
             values ($1, $2, $3, 'Body', $4, $5, $5) returning id",
        )
        .bind(a)
        .bind(active)
        .bind(subject)
        .bind(state)
        .bind(now - age * month)
        .fetch_one(db.pool())
        .await
        .expect("message");
        sqlx::query(
            "insert into message_entries (message_id, kind, author_name, body, created_at, updated_at) \
             values ($1, 'reply', 'Team', 'Reply', $2, $2)",
        )
        .bind(message)
        .bind(now - age * month)
        .execute(db.pool())
        .await
        .expect("reply");
    }

    // Data-rights requests: completed 37 months ago and refused 38 months
    // ago (due), completed 35 months ago, and open since long ago (neither).
    for (details, state, age) in [
        ("Old completed", "completed", Some(37)),
        ("Old refused", "refused", Some(38)),
        ("Lately completed", "completed", Some(35)),
        ("Old open", "open", None),
    ] {
        sqlx::query(
            "insert into rights_requests (requester_name, requester_email, kind, details, received_on, \
             due_on, state, closed_at, created_at, updated_at) \
             values ('Pat Example', 'pat@example.org', 'access', $1, $2, $2, $3, $4, $2, $2)",
        )
        .bind(details)
        .bind(now - 40 * month)
        .bind(state)
        .bind(age.map(|months: i64| now - months * month))
        .execute(db.pool())
        .await
        .expect("rights request");
    }

    let before = users(&db).await;
    let dry = retention::run(&db, POLICY, now, true)
        .await
        .expect("dry run");
    assert_eq!(users(&db).await, before, "a dry run deletes nothing");
    assert_eq!(count(&dry, Category::UnverifiedSignUps), 1);
    assert_eq!(count(&dry, Category::FormerMembers), 2);
    assert_eq!(count(&dry, Category::ExpiredLinks), 1);
    assert_eq!(count(&dry, Category::ClosedMessages), 1);
    assert_eq!(count(&dry, Category::ClosedRightsRequests), 2);
    let oldest = dry
        .iter()
        .find(|d| d.category == Category::FormerMembers)
        .and_then(|d| d.oldest);
    assert_eq!(oldest, Some(now - 7 * month));

    let done = retention::run(&db, POLICY, now, false).await.expect("run");
    assert_eq!(done, dry, "the run deletes exactly what the dry run listed");
    assert_eq!(
        users(&db).await,
        [
            "a@active.example",
            "admin@csu.example",
            "c@lately.example",
            "new@active.example"
        ]
    );
    let (links,): (i64,) = sqlx::query_as("select count(*) from email_tokens")
        .fetch_one(db.pool())
        .await
        .expect("links");
    assert_eq!(links, 1, "the live link stays");
    let messages: Vec<(String,)> = sqlx::query_as("select subject from messages order by subject")
        .fetch_all(db.pool())
        .await
        .expect("messages");
    assert_eq!(
        messages,
        [("Lately closed".to_owned(),), ("Old open".to_owned(),)]
    );
    let (replies,): (i64,) = sqlx::query_as("select count(*) from message_entries")
        .fetch_one(db.pool())
        .await
        .expect("replies");
    assert_eq!(replies, 2, "the closed message's reply went with it");
    let requests: Vec<(String,)> =
        sqlx::query_as("select details from rights_requests order by details")
            .fetch_all(db.pool())
            .await
            .expect("rights requests");
    assert_eq!(
        requests,
        [("Lately completed".to_owned(),), ("Old open".to_owned(),)]
    );
    let (recorded,): (String,) =
        sqlx::query_as("select detail from audit_events where action = 'retention.run'")
            .fetch_one(db.pool())
            .await
            .expect("the run is recorded");
    let recorded: serde_json::Value = serde_json::from_str(&recorded).expect("JSON");
    assert_eq!(recorded["former_members"], 2);
    assert_eq!(recorded["unverified_sign_ups"], 1);
    assert_eq!(recorded["closed_rights_requests"], 2);

    let again = retention::run(&db, POLICY, now, false)
        .await
        .expect("again");
    assert!(again.iter().all(|d| d.count == 0), "{again:?}");
    let (runs,): (i64,) =
        sqlx::query_as("select count(*) from audit_events where action = 'retention.run'")
            .fetch_one(db.pool())
            .await
            .expect("runs");
    assert_eq!(runs, 1, "a run that deletes nothing records nothing");
}
