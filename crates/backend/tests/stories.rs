//! Each story runs the same steps against SQLite and against PostgreSQL.

use backend::accounts::{self, Password};
use backend::throttle::{self, Limit};
use backend::{Db, Error, audit, contact, content, stories};
use domain::Email;
use domain::enquiry::EnquiryInput;

stories!(
    a_fresh_install_is_seeded_once_with_the_catalogue_and_statutory_pages,
    content_pages_fill_in_deployment_details_and_refuse_odd_slugs,
    an_enquiry_is_stored_with_its_audit_event_and_repeat_senders_are_throttled,
    an_invalid_enquiry_is_refused_field_by_field_and_nothing_is_stored,
    throttle_windows_count_per_key_and_reopen,
    an_administrator_is_created_with_a_hash_never_the_password,
);

async fn a_fresh_install_is_seeded_once_with_the_catalogue_and_statutory_pages(db: Db) {
    assert!(content::list_services(&db).await.expect("list").is_empty());
    assert!(content::seed_demo_content(&db).await.expect("seed"));
    assert!(
        !content::seed_demo_content(&db)
            .await
            .expect("second seed is a no-op")
    );

    let services = content::list_services(&db).await.expect("list");
    let slugs: Vec<_> = services.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(slugs.len(), 7, "{slugs:?}");
    assert_eq!(slugs[0], "medicines-management", "catalogue order is kept");
    for slug in ["about", "privacy-policy", "cookies", "accessibility"] {
        content::page(&db, slug, &[])
            .await
            .unwrap_or_else(|e| panic!("{slug}: {e}"));
    }
    let service = content::service(&db, "information-governance")
        .await
        .expect("service");
    assert!(
        service.body_html.starts_with("<p>"),
        "{}",
        service.body_html
    );
    assert!(!service.portal_offers.is_empty());

    let events = audit::recent(&db, 10).await.expect("audit");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "content.seeded")
            .count(),
        1
    );
}

async fn content_pages_fill_in_deployment_details_and_refuse_odd_slugs(db: Db) {
    content::seed_demo_content(&db).await.expect("seed");
    let page = content::page(
        &db,
        "privacy-policy",
        &[
            ("controller_name", "Example CSU"),
            ("dpo_email", "dpo@example.nhs.uk"),
        ],
    )
    .await
    .expect("page");
    assert!(
        page.body_html.contains("<strong>Example CSU</strong>"),
        "controller named"
    );
    assert!(page.body_html.contains("dpo@example.nhs.uk"));
    assert!(!page.body_html.contains("{{controller_name}}"));

    for slug in ["missing", "../etc/passwd", "", "UPPER"] {
        assert!(
            matches!(content::page(&db, slug, &[]).await, Err(Error::NotFound)),
            "{slug:?} should be not found"
        );
    }
    assert!(matches!(
        content::service(&db, "nope").await,
        Err(Error::NotFound)
    ));
}

/// Sends `input` as `client`, telling the team at a test address.
async fn submit(db: &Db, client: &str, input: &EnquiryInput) -> backend::Result<i64> {
    let team = Email::parse("team@csu.example").expect("email");
    contact::submit_enquiry(db, client, input, &team, &domain::site::SiteInfo::default()).await
}

fn enquiry(message: &str) -> EnquiryInput {
    EnquiryInput {
        name: "Jo Bloggs".into(),
        organisation: "Riverside Surgery".into(),
        email: "jo.bloggs@nhs.net".into(),
        telephone: "01632 960 001".into(),
        message: message.into(),
    }
}

async fn an_enquiry_is_stored_with_its_audit_event_and_repeat_senders_are_throttled(db: Db) {
    let id = submit(&db, "client-a", &enquiry("Tell me about HR support"))
        .await
        .expect("stored");
    let stored = contact::recent_enquiries(&db, 10).await.expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, id);
    assert_eq!(stored[0].message, "Tell me about HR support");
    assert_eq!(stored[0].telephone.as_deref(), Some("01632 960 001"));

    let events = audit::recent(&db, 10).await.expect("audit");
    let event = events
        .iter()
        .find(|e| e.action == "enquiry.received")
        .expect("audited");
    assert_eq!(event.actor, "public:client-a");
    assert_eq!(
        event.subject.as_deref(),
        Some(format!("message:{id}").as_str())
    );
    // The team is told there is a new message, without what it says.
    let (recipient, body): (String, String) =
        sqlx::query_as("select recipient, body from outbox order by id desc limit 1")
            .fetch_one(db.pool())
            .await
            .expect("a notice to the team");
    assert_eq!(recipient, "team@csu.example");
    assert!(body.contains(&format!("/admin/messages/{id}")), "{body}");
    assert!(!body.contains("HR support"), "{body}");

    for n in 2..=contact::ENQUIRY_LIMIT.max_hits {
        submit(&db, "client-a", &enquiry(&format!("follow-up {n}")))
            .await
            .expect("within the limit");
    }
    let refused = submit(&db, "client-a", &enquiry("one too many")).await;
    assert!(matches!(refused, Err(Error::Throttled { retry_after_secs }) if retry_after_secs > 0));
    submit(&db, "client-b", &enquiry("someone else"))
        .await
        .expect("other clients unaffected");
    let stored = contact::recent_enquiries(&db, 100).await.expect("read");
    assert_eq!(stored.len() as i64, contact::ENQUIRY_LIMIT.max_hits + 1);
    assert!(
        stored.iter().all(|e| e.message != "one too many"),
        "refused enquiry not stored"
    );
}

async fn an_invalid_enquiry_is_refused_field_by_field_and_nothing_is_stored(db: Db) {
    let mut input = enquiry("");
    input.email = "not an email".into();
    let Err(Error::Invalid(errors)) = submit(&db, "client-a", &input).await else {
        panic!("expected field errors");
    };
    assert!(errors.get("email").is_some());
    assert!(errors.get("message").is_some());
    assert!(errors.get("name").is_none());
    assert!(
        contact::recent_enquiries(&db, 10)
            .await
            .expect("read")
            .is_empty()
    );
}

async fn throttle_windows_count_per_key_and_reopen(db: Db) {
    let limit = Limit {
        max_hits: 2,
        window_secs: 60,
    };
    for _ in 0..2 {
        let mut tx = db.begin_write().await.expect("tx");
        throttle::hit(&mut tx, "k", limit).await.expect("allowed");
        tx.commit().await.expect("commit");
    }
    let mut tx = db.begin_write().await.expect("tx");
    assert!(matches!(
        throttle::hit(&mut tx, "k", limit).await,
        Err(Error::Throttled { .. })
    ));
    drop(tx);

    // A window that ended opens afresh.
    let expired = Limit {
        max_hits: 2,
        window_secs: 0,
    };
    let mut tx = db.begin_write().await.expect("tx");
    throttle::hit(&mut tx, "k", expired)
        .await
        .expect("new window");
    tx.commit().await.expect("commit");
}

async fn an_administrator_is_created_with_a_hash_never_the_password(db: Db) {
    let email = Email::parse("Admin@Example.NHS.uk").expect("email");
    let password = Password::new("correct horse battery staple".into()).expect("long enough");
    let id = accounts::create_admin(&db, &email, "Ada Admin", &password)
        .await
        .expect("created");
    assert!(id > 0);

    let hash = accounts::password_hash_for(&db, &email)
        .await
        .expect("read")
        .expect("exists");
    assert!(
        hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        hash.as_phc()
    );
    assert!(!hash.as_phc().contains("horse"));
    assert!(
        accounts::verify_password(&password, &hash)
            .await
            .expect("verify")
    );
    let wrong = Password::new("incorrect horse battery".into()).expect("long enough");
    assert!(
        !accounts::verify_password(&wrong, &hash)
            .await
            .expect("verify")
    );
    assert_eq!(
        format!("{password:?} {hash:?}"),
        "Password(<redacted>) PasswordHash(<redacted>)"
    );

    let again = accounts::create_admin(&db, &email, "Someone Else", &password).await;
    let Err(Error::Invalid(errors)) = again else {
        panic!("duplicate email must be a field error")
    };
    assert!(errors.get("email").is_some());

    let events = audit::recent(&db, 10).await.expect("audit");
    let event = events
        .iter()
        .find(|e| e.action == "account.admin_created")
        .expect("audited");
    assert!(
        !event.detail.contains("horse"),
        "no password in the audit trail"
    );
}

/// On SQLite, writers queue for the one writer connection, never in
/// SQLite's busy wait holding a connection that a page reading needs: with
/// a pool of two, a long write and three writers behind it still leave a
/// connection for reads.
#[tokio::test]
async fn waiting_writers_never_hold_the_connections_reads_need() {
    use backend::db::PoolSettings;
    use std::time::Duration;

    let test = backend::testing::sqlite().await;
    let settings = PoolSettings {
        max_connections: Some(2),
        acquire_timeout: Duration::from_secs(10),
    };
    let db = Db::connect(&test.url, &settings).await.expect("open");
    let mut long = db.begin_write().await.expect("the long write");
    sqlx::query("create table queued (writer integer not null)")
        .execute(&mut *long)
        .await
        .expect("create");
    let writers: Vec<_> = (1..=3)
        .map(|writer: i64| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin_write().await?;
                sqlx::query("insert into queued (writer) values ($1)")
                    .bind(writer)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok::<(), backend::Error>(())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (one,): (i64,) = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_as("select 1").fetch_one(db.pool()),
    )
    .await
    .expect("a read is not kept waiting by the writers")
    .expect("read");
    assert_eq!(one, 1);

    long.commit().await.expect("commit");
    for writer in writers {
        writer
            .await
            .expect("task")
            .expect("each writer has its turn");
    }
    let (written,): (i64,) = sqlx::query_as("select count(*) from queued")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(written, 3);
    db.close().await;
    test.finish().await;
}
