//! The audit trail is a hash chain (P5), on SQLite and PostgreSQL: an
//! untouched chain verifies; altering, deleting or reordering an event is
//! named by `verify`; writers and sealers on several pools at once (as
//! several instances would) still form one chain.

use backend::audit::{self, Actor, Break};
use backend::{Db, stories};

stories!(
    an_untouched_chain_verifies,
    altering_deleting_or_reordering_an_event_is_named,
    events_written_before_the_chain_are_sealed_into_it,
);

async fn write(db: &Db, n: usize) {
    for i in 0..n {
        let mut tx = db.begin_write().await.expect("tx");
        audit::record(
            &mut tx,
            &Actor::System,
            "test.event",
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
    audit::verify(db).await.expect("verify").first_break
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
        audit::verify(&db).await.expect("verify"),
        audit::Verification {
            checked: 0,
            first_break: None
        }
    );
    write(&db, 12).await;
    assert_eq!(
        audit::verify(&db).await.expect("verify"),
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
        audit::verify(&db).await.expect("verify"),
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
        audit::verify(&test.db).await.expect("verify"),
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
