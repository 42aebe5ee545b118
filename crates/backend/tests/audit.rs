//! The audit trail is a hash chain (P5), on SQLite and PostgreSQL: an
//! untouched chain verifies; altering, deleting or reordering an event is
//! named by `verify`; writers and sealers on several pools at once (as
//! several instances would) still form one chain. The viewer filters and
//! pages the trail for administrators only, and its CSV export streams a
//! long trail in bounded pieces and is itself recorded.

use backend::audit::{self, Actor, Break, trail};
use backend::testing::fixtures;
use backend::{Db, Error, stories};
use domain::account::{Role, Viewer};
use domain::audit::{Action, AuditQuery};
use domain::organisation::OrgStatus;
use futures::TryStreamExt;

stories!(
    an_untouched_chain_verifies,
    altering_deleting_or_reordering_an_event_is_named,
    events_written_before_the_chain_are_sealed_into_it,
    the_viewer_filters_and_pages_the_trail_for_administrators_only,
    an_export_of_a_hundred_thousand_events_streams_in_bounded_pieces,
    the_dashboard_counts_the_service_and_the_last_thirty_days,
    pruning_old_events_leaves_a_signed_checkpoint_the_check_starts_from,
);

fn keys() -> backend::keys::Keys {
    backend::keys::Keys::derive(b"test-secret-test-secret-test-secret!").expect("keys")
}

async fn write(db: &Db, n: usize) {
    for i in 0..n {
        let mut tx = db.begin_write().await.expect("tx");
        audit::record(
            &mut tx,
            &Actor::System,
            Action::ContentSeeded,
            Some(&format!("thing:{i}")),
            &serde_json::json!({ "n": i }),
        )
        .await
        .expect("recorded");
        tx.commit().await.expect("commit");
    }
    audit::seal_backlog(db).await.expect("sealed");
}

async fn first_break(db: &Db) -> Option<Break> {
    audit::verify(db, &keys())
        .await
        .expect("verify")
        .first_break
}

/// The id and place of the `n`th event (1-based) in chain order.
async fn event(db: &Db, n: i64) -> (i64, i64) {
    sqlx::query_as("select id, seq from audit_events order by seq limit 1 offset $1")
        .bind(n - 1)
        .fetch_one(db.pool())
        .await
        .expect("event")
}

async fn run(db: &Db, sql: &str, id: i64) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(id)
        .execute(db.pool())
        .await
        .expect("tamper");
}

async fn an_untouched_chain_verifies(db: Db) {
    assert_eq!(
        audit::verify(&db, &keys()).await.expect("verify"),
        audit::Verification {
            checked: 0,
            first_break: None
        }
    );
    write(&db, 12).await;
    assert_eq!(
        audit::verify(&db, &keys()).await.expect("verify"),
        audit::Verification {
            checked: 12,
            first_break: None
        }
    );
}

async fn altering_deleting_or_reordering_an_event_is_named(db: Db) {
    write(&db, 6).await;
    let (third, seq3) = event(&db, 3).await;

    // Altered: its detail changed after it was written.
    run(
        &db,
        "update audit_events set detail = '{\"n\":99}' where id = $1",
        third,
    )
    .await;
    assert_eq!(
        first_break(&db).await,
        Some(Break::Altered {
            id: third,
            seq: seq3
        })
    );
    run(
        &db,
        "update audit_events set detail = '{\"n\":2}' where id = $1",
        third,
    )
    .await;
    assert_eq!(first_break(&db).await, None, "restored");

    // Altered: an organisation given to an event that had none.
    run(
        &db,
        "update audit_events set organisation_id = 1 where id = $1",
        third,
    )
    .await;
    assert_eq!(
        first_break(&db).await,
        Some(Break::Altered {
            id: third,
            seq: seq3
        })
    );
    run(
        &db,
        "update audit_events set organisation_id = null where id = $1",
        third,
    )
    .await;
    assert_eq!(first_break(&db).await, None, "restored");

    // Reordered: the third and fourth events swap places.
    let (fourth, seq4) = event(&db, 4).await;
    run(&db, "update audit_events set seq = -1 where id = $1", third).await;
    sqlx::query("update audit_events set seq = $1 where id = $2")
        .bind(seq3)
        .bind(fourth)
        .execute(db.pool())
        .await
        .expect("move");
    sqlx::query("update audit_events set seq = $1 where id = $2")
        .bind(seq4)
        .bind(third)
        .execute(db.pool())
        .await
        .expect("move");
    assert_eq!(
        first_break(&db).await,
        Some(Break::Misplaced {
            id: fourth,
            seq: seq3
        })
    );

    // Deleted from the middle: the place it held is named.
    run(&db, "delete from audit_events where id = $1", fourth).await;
    assert_eq!(
        first_break(&db).await,
        Some(Break::Missing {
            seq: seq3,
            found: seq4
        })
    );

    // Deleted from the end: the chain stops short of its recorded end.
    let fresh = backend::testing::sqlite().await;
    write(&fresh.db, 3).await;
    let (last, _) = event(&fresh.db, 3).await;
    run(&fresh.db, "delete from audit_events where id = $1", last).await;
    assert_eq!(
        first_break(&fresh.db).await,
        Some(Break::Truncated { last: 2, head: 3 })
    );
    fresh.finish().await;
}

async fn events_written_before_the_chain_are_sealed_into_it(db: Db) {
    write(&db, 2).await;
    // Events written before the chain existed, as after an upgrade.
    sqlx::query(
        "insert into audit_events (actor, action, subject, detail, created_at, updated_at) \
         values ('system', 'test.old', null, '{}', 1, 1)",
    )
    .execute(db.pool())
    .await
    .expect("insert");
    assert_eq!(audit::seal_backlog(&db).await.expect("sealed"), 1);
    assert_eq!(audit::seal_backlog(&db).await.expect("again"), 0);
    let (unsealed,): (i64,) = sqlx::query_as("select count(*) from audit_events where seq is null")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(unsealed, 0);
    write(&db, 1).await;
    assert_eq!(
        audit::verify(&db, &keys()).await.expect("verify"),
        audit::Verification {
            checked: 4,
            first_break: None
        }
    );
}

/// Two pools on one database, as two instances would have, each with
/// several writers at once: one unbroken chain.
async fn two_instances_write_one_chain(test: &backend::testing::TestDb) {
    let other = Db::connect(&test.url, &backend::db::PoolSettings::default())
        .await
        .expect("second instance");
    let writers: Vec<_> = (0..8)
        .map(|n| {
            let db = if n % 2 == 0 {
                test.db.clone()
            } else {
                other.clone()
            };
            tokio::spawn(async move { write(&db, 25).await })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
    assert_eq!(
        audit::verify(&test.db, &keys()).await.expect("verify"),
        audit::Verification {
            checked: 200,
            first_break: None
        }
    );
    other.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_write_one_chain_on_postgres() {
    let Some(test) = backend::testing::postgres().await else {
        return;
    };
    two_instances_write_one_chain(&test).await;
    test.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_write_one_chain_on_sqlite() {
    let test = backend::testing::sqlite().await;
    two_instances_write_one_chain(&test).await;
    test.finish().await;
}

/// Records `action` by `actor` on `target`.
async fn event_by(db: &Db, actor: &Actor, action: Action, target: &str) {
    let mut tx = db.begin_write().await.expect("tx");
    audit::record(&mut tx, actor, action, Some(target), &serde_json::json!({}))
        .await
        .expect("recorded");
    tx.commit().await.expect("commit");
}

async fn the_viewer_filters_and_pages_the_trail_for_administrators_only(db: Db) {
    let admin = fixtures::user(&db, "ada@csu.example", Role::Admin, None).await;
    let organisation =
        fixtures::organisation(&db, "Riverside </title><script>&", OrgStatus::Active, &[]).await;
    let member = fixtures::user(
        &db,
        "sam@riverside.example",
        Role::Member,
        Some(organisation),
    )
    .await;
    let as_member = Actor::User { id: member.id };
    for n in 0..60 {
        event_by(
            &db,
            &as_member,
            Action::ResourceViewed,
            &format!("resource:{n}"),
        )
        .await;
    }
    event_by(&db, &Actor::System, Action::ContentSeeded, "site").await;
    event_by(
        &db,
        &Actor::User { id: admin.id },
        Action::ServiceUpdated,
        "service:1",
    )
    .await;

    let page = |query: AuditQuery| {
        let (db, admin) = (db.clone(), admin.clone());
        async move { trail::page(&db, &admin, &query).await.expect("page") }
    };
    let all = page(AuditQuery::default()).await;
    assert_eq!((all.total, all.pages, all.rows.len()), (62, 2, 50));
    let newest = &all.rows[0];
    assert_eq!(newest.action, Some(Action::ServiceUpdated), "newest first");
    assert_eq!(newest.actor_name.as_deref(), Some("Person ada@csu.example"));
    assert_eq!(newest.actor_email.as_deref(), Some("ada@csu.example"));
    let second = page(AuditQuery {
        page: 2,
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(second.rows.len(), 12);
    assert_eq!(
        second.rows.last().map(|r| r.target.as_deref()),
        Some(Some("resource:0"))
    );

    // The member's events name their organisation; the system's none.
    let theirs = page(AuditQuery {
        actor: Some("SAM@riverside.example".into()),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(theirs.total, 60);
    assert!(
        theirs
            .rows
            .iter()
            .all(|r| r.organisation.as_deref() == Some("Riverside </title><script>&"))
    );
    let by_organisation = page(AuditQuery {
        organisation: Some(organisation),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(by_organisation.total, 60);
    let system = page(AuditQuery {
        actor: Some("system".into()),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(system.total, 1);
    assert_eq!(system.rows[0].organisation, None);
    let nobody = page(AuditQuery {
        actor: Some("nobody@nowhere.example".into()),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(
        nobody.total, 0,
        "an address with no account matches nothing"
    );

    let one = page(AuditQuery {
        action: Some(Action::ResourceViewed),
        target: Some("resource:7".into()),
        ..AuditQuery::default()
    })
    .await;
    assert_eq!(one.total, 1);
    let now = backend::clock::now();
    let (yesterday, tomorrow) = (
        domain::library::iso_date(now - domain::library::DAY),
        domain::library::iso_date(now + domain::library::DAY),
    );
    let dated = |from: &str, to: &str| AuditQuery {
        from: Some(from.into()),
        to: Some(to.into()),
        ..AuditQuery::default()
    };
    assert_eq!(page(dated(&yesterday, &tomorrow)).await.total, 62);
    assert_eq!(page(dated("2001-01-01", "2001-01-31")).await.total, 0);

    // The organisations offered are those the trail names.
    let offered = trail::organisations(&db, &admin)
        .await
        .expect("organisations");
    assert_eq!(
        offered,
        vec![(organisation, "Riverside </title><script>&".to_owned())]
    );

    // A member gets nothing, as if there were nothing there, and nothing
    // is recorded for them.
    let before = audit::recent(&db, 1_000).await.expect("recent").len();
    assert!(matches!(
        trail::page(&db, &member, &AuditQuery::default()).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        trail::organisations(&db, &member).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        trail::chain(&db, &keys(), &member).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        trail::export(&db, &member, &AuditQuery::default()).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        audit::recent(&db, 1_000).await.expect("recent").len(),
        before
    );

    // The chain check reports every sealed event.
    let report = trail::chain(&db, &keys(), &admin).await.expect("chain");
    assert_eq!((report.checked, report.first_break), (62, None));

    // An action this build does not know (written by another version) is
    // shown as its code, and hides nothing else.
    sqlx::query(
        "insert into audit_events (actor, action, subject, detail, created_at, updated_at) \
         values ('system', 'future.action', null, '{}', $1, $1)",
    )
    .bind(backend::clock::now())
    .execute(db.pool())
    .await
    .expect("insert");
    let with_unknown = page(AuditQuery::default()).await;
    assert_eq!(with_unknown.total, 63);
    assert_eq!(with_unknown.rows[0].action, None);
    assert_eq!(with_unknown.rows[0].action_label(), "future.action");
}

/// Writes `n` events in one statement.
async fn many_events(db: &Db, n: i64) {
    sqlx::query(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < $1) \
         insert into audit_events (actor, action, subject, detail, created_at, updated_at) \
         select 'system', 'content.seeded', 'thing:' || i, '{\"n\":1}', i, i from n",
    )
    .bind(n)
    .execute(db.pool())
    .await
    .expect("events");
}

async fn an_export_of_a_hundred_thousand_events_streams_in_bounded_pieces(db: Db) {
    let admin: Viewer = fixtures::user(&db, "ada@csu.example", Role::Admin, None).await;
    many_events(&db, 100_000).await;
    let export = trail::export(&db, &admin, &AuditQuery::default())
        .await
        .expect("export");
    // Recorded before the first byte, so it is in the export itself.
    let exported = audit::recent(&db, 1).await.expect("recent");
    assert_eq!(exported[0].action, Action::AuditExported.code());
    assert_eq!(exported[0].actor, format!("user:{}", admin.id));

    let (mut pieces, mut largest, mut lines) = (0_usize, 0_usize, 0_usize);
    let mut stream = std::pin::pin!(export.into_stream());
    while let Some(piece) = stream.try_next().await.expect("piece") {
        pieces += 1;
        largest = largest.max(piece.len());
        lines += piece.iter().filter(|&&b| b == b'\n').count();
    }
    assert_eq!(lines, 1 + 100_001, "a header and every event");
    assert!(pieces > 100, "{pieces} pieces: streamed, not built whole");
    assert!(largest < 256 * 1024, "the largest piece is {largest} bytes");

    // The viewer counts no further than it is useful to, and says so.
    let page = trail::page(&db, &admin, &AuditQuery::default())
        .await
        .expect("page");
    assert_eq!(
        (page.total, page.more, page.pages, page.rows.len()),
        (domain::audit::AUDIT_COUNT_LIMIT, true, 200, 50)
    );
}

async fn the_dashboard_counts_the_service_and_the_last_thirty_days(db: Db) {
    use domain::library::DAY;
    let admin = fixtures::user(&db, "ada@csu.example", Role::Admin, None).await;
    let service = fixtures::service(&db, "infection").await;
    let active = fixtures::organisation(&db, "Riverside", OrgStatus::Active, &[service]).await;
    fixtures::organisation(&db, "Hillside", OrgStatus::Suspended, &[]).await;
    fixtures::organisation(&db, "Valley", OrgStatus::Ended, &[]).await;
    let member = fixtures::user(&db, "sam@riverside.example", Role::Member, Some(active)).await;
    fixtures::user(&db, "kim@riverside.example", Role::Member, Some(active)).await;
    let now = backend::clock::now();
    let today = now.div_euclid(DAY) * DAY;
    // Published: overdue, due today, due in 30 days, due in 31 days, none;
    // a draft overdue (not counted as a review), an archived one.
    for (status, review) in [
        ("published", Some(today - DAY)),
        ("published", Some(today)),
        ("published", Some(today + 30 * DAY)),
        ("published", Some(today + 31 * DAY)),
        ("published", None),
        ("draft", Some(today - DAY)),
        ("archived", None),
    ] {
        sqlx::query(
            "insert into resources (service_id, kind, title, summary, body_md, tags, owner_id, status, \
             review_date, created_at, updated_at) values ($1, 'policy', 'T', 'S', 'B', '', $2, $3, $4, 1, 1)",
        )
        .bind(service)
        .bind(admin.id)
        .bind(status)
        .bind(review)
        .execute(db.pool())
        .await
        .expect("resource");
    }
    for state in ["new", "new", "in_progress", "closed"] {
        sqlx::query(
            "insert into messages (user_id, organisation_id, subject, body, state, created_at, updated_at) \
             values ($1, $2, 'Hello', 'Body', $3, 1, 1)",
        )
        .bind(member.id)
        .bind(active)
        .bind(state)
        .execute(db.pool())
        .await
        .expect("message");
    }
    // Sign-ins three ways today, one 29 days ago, one 30 days ago (outside);
    // a download today; a password accepted awaiting its second factor
    // (not a sign-in).
    for (action, at) in [
        (Action::AccountSignedIn, now),
        (Action::AccountSecondFactorUsed, now),
        (Action::AccountRecoveryCodeUsed, now),
        (Action::AccountSignedIn, today - 29 * DAY),
        (Action::AccountSignedIn, today - 30 * DAY),
        (Action::ResourceDownloaded, now),
        (Action::AccountPasswordAccepted, now),
    ] {
        sqlx::query(
            "insert into audit_events (actor, action, subject, detail, created_at, updated_at) \
             values ('system', $1, null, '{}', $2, $2)",
        )
        .bind(action.code())
        .bind(at)
        .execute(db.pool())
        .await
        .expect("event");
    }

    let figures = backend::console::dashboard(&db, &admin)
        .await
        .expect("dashboard");
    assert_eq!(
        (
            figures.organisations_active,
            figures.organisations_suspended,
            figures.organisations_ended
        ),
        (1, 1, 1)
    );
    assert_eq!((figures.members, figures.administrators), (2, 1));
    assert_eq!(
        (
            figures.resources_published,
            figures.resources_draft,
            figures.resources_archived
        ),
        (5, 1, 1)
    );
    assert_eq!((figures.messages_open, figures.messages_new), (3, 2));
    assert_eq!((figures.reviews_overdue, figures.reviews_due), (1, 2));
    assert_eq!(figures.days.len(), 30);
    let last = figures.days[29];
    assert_eq!((last.day, last.sign_ins, last.downloads), (today, 3, 1));
    assert_eq!(figures.days[0].day, today - 29 * DAY);
    assert_eq!(figures.days[0].sign_ins, 1);
    assert_eq!(figures.days.iter().map(|d| d.sign_ins).sum::<i64>(), 4);

    assert!(matches!(
        backend::console::dashboard(&db, &member).await,
        Err(Error::NotFound)
    ));
}

async fn pruning_old_events_leaves_a_signed_checkpoint_the_check_starts_from(db: Db) {
    // Four events from long ago, then three from now.
    for n in 0..4 {
        sqlx::query(
            "insert into audit_events (actor, action, subject, detail, created_at, updated_at) \
             values ('system', 'content.seeded', $1, '{}', 1000, 1000)",
        )
        .bind(format!("old:{n}"))
        .execute(db.pool())
        .await
        .expect("insert");
    }
    write(&db, 3).await;
    let year_2000 = 946_684_800;

    assert_eq!(
        audit::prune(&db, &keys(), year_2000).await.expect("prune"),
        4
    );
    let (left, oldest): (i64, i64) = sqlx::query_as("select count(*), min(seq) from audit_events")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!((left, oldest), (4, 5), "three kept, and the pruning itself");
    // The check starts at the checkpoint: the kept events and the pruning.
    assert_eq!(
        audit::verify(&db, &keys()).await.expect("verify"),
        audit::Verification {
            checked: 4,
            first_break: None
        }
    );
    // Pruning again finds nothing more that old.
    assert_eq!(
        audit::prune(&db, &keys(), year_2000).await.expect("again"),
        0
    );

    // A checkpoint moved, or signed with another key, is named.
    run(
        &db,
        "update audit_checkpoints set seq = 5 where seq = $1",
        4,
    )
    .await;
    assert_eq!(first_break(&db).await, Some(Break::Checkpoint { seq: 5 }));
    run(
        &db,
        "update audit_checkpoints set seq = 4 where seq = $1",
        5,
    )
    .await;
    assert_eq!(first_break(&db).await, None, "restored");
    let other =
        backend::keys::Keys::derive(b"another-deployment-secret-xxxxxxxxxxx").expect("keys");
    assert_eq!(
        audit::verify(&db, &other)
            .await
            .expect("verify")
            .first_break,
        Some(Break::Checkpoint { seq: 4 })
    );
    // Without its checkpoint, the pruned chain is missing its start.
    run(&db, "delete from audit_checkpoints where seq = $1", 4).await;
    assert_eq!(
        first_break(&db).await,
        Some(Break::Missing { seq: 1, found: 5 })
    );
}
