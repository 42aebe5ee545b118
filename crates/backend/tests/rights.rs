//! Data-rights requests on SQLite and PostgreSQL: a request is due one
//! calendar month after it was received, may be extended by at most two
//! months in all while open (with a reason, emailed to the requester),
//! members see only their own, administrators alone list, extend,
//! download, erase and close, and each of those is on the audit trail.

use backend::keys::Keys;
use backend::rights;
use backend::testing::fixtures::{self, organisation, user};
use backend::{Db, Error, audit, stories};
use domain::Email;
use domain::account::{Role, Viewer};
use domain::library::{DAY, iso_date, long_date, parse_date};
use domain::organisation::OrgStatus;
use domain::rights::{
    Closing, Extension, LoggedRequest, NewRequest, RequestKind, RequestQuery, RequestState,
    Urgency, day_of, due_date, extended_due,
};
use domain::site::SiteInfo;

stories!(
    a_members_request_is_due_a_calendar_month_later_and_only_they_and_administrators_see_it,
    an_extension_needs_an_open_request_a_reason_and_at_most_two_months_and_tells_the_requester,
    an_erasure_request_erases_the_account_and_the_trail_still_verifies,
    an_access_request_downloads_the_persons_data_on_record,
    a_logged_request_links_to_an_account_only_when_asked,
);

fn site() -> SiteInfo {
    SiteInfo {
        public_url: "https://portal.example".into(),
        ..SiteInfo::default()
    }
}

fn team() -> Email {
    Email::parse("team@csu.example").expect("email")
}

fn day(raw: &str) -> i64 {
    parse_date(raw).expect("date").expect("not blank")
}

async fn submit(db: &Db, who: &Viewer, kind: RequestKind, details: &str) -> i64 {
    let request = NewRequest {
        kind,
        details: details.to_owned(),
    };
    rights::submit(db, who, &request, &team(), &site())
        .await
        .expect("submitted")
}

fn pat(received: &str, link: bool) -> LoggedRequest {
    LoggedRequest {
        kind: RequestKind::Access,
        name: "Pat Writer".into(),
        email: Email::parse("pat@example.org").expect("email"),
        details: "A copy of everything, please.".into(),
        received: day(received),
        link,
    }
}

/// The actions recorded against request `id`, oldest first.
async fn trail_of(db: &Db, subject: &str) -> Vec<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("select action from audit_events where subject = $1 order by id")
            .bind(subject)
            .fetch_all(db.pool())
            .await
            .expect("trail");
    rows.into_iter().map(|(a,)| a).collect()
}

fn is_not_found(result: Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::NotFound))
}

async fn a_members_request_is_due_a_calendar_month_later_and_only_they_and_administrators_see_it(
    db: Db,
) {
    let riverside = organisation(&db, "Riverside Surgery", OrgStatus::Active, &[]).await;
    let admin = user(&db, "alex@csu.example", Role::Admin, None).await;
    let sam = user(&db, "sam@riverside.example", Role::Member, Some(riverside)).await;
    let kim = user(&db, "kim@riverside.example", Role::Member, Some(riverside)).await;
    let id = submit(&db, &sam, RequestKind::Access, "Sam's request").await;
    submit(&db, &kim, RequestKind::Objection, "Kim's request").await;

    // Stored as received today, due a calendar month later.
    let today = day_of(backend::clock::now());
    let mine = rights::mine(&db, &sam).await.expect("mine");
    assert_eq!(mine.len(), 1, "only Sam's own: {mine:?}");
    assert_eq!(mine[0].id, id);
    assert_eq!(mine[0].received_on, today);
    assert_eq!(mine[0].due_on, due_date(today));
    assert_eq!(mine[0].state, RequestState::Open);
    assert_eq!(mine[0].name, "Person sam@riverside.example");

    // The team hears of it by a link, not its words.
    let (body,): (String,) =
        sqlx::query_as("select body from outbox where recipient = 'team@csu.example' limit 1")
            .fetch_one(db.pool())
            .await
            .expect("the team is told");
    assert!(body.contains(&format!("/admin/requests/{id}")), "{body}");
    assert!(!body.contains("Sam's request"), "{body}");

    // Members cannot list, read or change anyone's requests.
    assert!(is_not_found(
        rights::list(&db, &sam, &RequestQuery::default()).await
    ));
    assert!(is_not_found(rights::detail(&db, &sam, id).await));
    let extension = Extension {
        months: 1,
        reason: "Busy".into(),
    };
    assert!(is_not_found(
        rights::extend(&db, &sam, id, &extension, &site()).await
    ));
    let closing = Closing {
        outcome: RequestState::Completed,
        note: "Done".into(),
    };
    assert!(is_not_found(rights::close(&db, &sam, id, &closing).await));
    assert!(is_not_found(rights::access_export(&db, &sam, id).await));
    assert!(is_not_found(rights::erase_account(&db, &sam, id).await));
    assert!(is_not_found(
        rights::log(&db, &sam, &pat("2026-01-31", false)).await
    ));

    // Administrators list every request, open ones first, soonest due
    // first; an old one stands out as overdue.
    let old = rights::log(&db, &admin, &pat("2026-01-31", false))
        .await
        .expect("logged");
    rights::close(&db, &admin, old, &closing)
        .await
        .expect("closed");
    let overdue = rights::log(&db, &admin, &pat("2026-02-15", false))
        .await
        .expect("logged");
    let list = rights::list(&db, &admin, &RequestQuery::default())
        .await
        .expect("list");
    assert_eq!(list.total, 4);
    let order: Vec<i64> = list.rows.iter().map(|r| r.id).collect();
    assert_eq!(order[0], overdue, "{order:?}");
    assert_eq!(order[3], old, "closed ones last: {order:?}");
    assert_eq!(list.rows[0].urgency, Some(Urgency::Overdue));
    assert_eq!(iso_date(list.rows[0].due_on), "2026-03-15");
    assert_eq!(list.rows[3].urgency, None);
    let detail = rights::detail(&db, &admin, id).await.expect("detail");
    assert_eq!(detail.details, "Sam's request");
    assert!(detail.summary.member);

    // The dashboard counts the overdue one, and one due within the week.
    let soon = LoggedRequest {
        received: today - 25 * DAY,
        ..pat("2026-01-31", false)
    };
    let soon = rights::log(&db, &admin, &soon).await.expect("logged");
    let listed = rights::list(&db, &admin, &RequestQuery::default())
        .await
        .expect("list");
    let row = listed.rows.iter().find(|r| r.id == soon).expect("listed");
    assert_eq!(row.urgency, Some(Urgency::DueThisWeek));
    let figures = backend::console::dashboard(&db, &admin)
        .await
        .expect("dashboard");
    assert_eq!((figures.rights_overdue, figures.rights_due_soon), (1, 1));

    assert_eq!(
        trail_of(&db, &format!("rights_request:{id}")).await,
        ["rights.requested"]
    );
    assert_eq!(
        trail_of(&db, &format!("rights_request:{old}")).await,
        ["rights.logged", "rights.closed"]
    );
    // Closed is closed.
    let again = rights::close(&db, &admin, old, &closing)
        .await
        .expect_err("closed already");
    assert!(matches!(again, Error::Invalid(_)), "{again:?}");
}

async fn an_extension_needs_an_open_request_a_reason_and_at_most_two_months_and_tells_the_requester(
    db: Db,
) {
    let admin = user(&db, "alex@csu.example", Role::Admin, None).await;
    // Received today: extensions are made within the first month. (The
    // dates themselves are the table-driven tests in `domain::rights`.)
    let today = iso_date(backend::clock::now());
    let received = day(&today);
    let id = rights::log(&db, &admin, &pat(&today, false))
        .await
        .expect("logged");
    let detail = rights::detail(&db, &admin, id).await.expect("detail");
    assert_eq!(detail.summary.due_on, due_date(received));

    let one = |reason: &str| Extension {
        months: 1,
        reason: reason.to_owned(),
    };
    let due = rights::extend(&db, &admin, id, &one("Many records to search"), &site())
        .await
        .expect("extended");
    assert_eq!(Some(due), extended_due(received, 1));
    let due = rights::extend(&db, &admin, id, &one("Still searching"), &site())
        .await
        .expect("extended again");
    assert_eq!(
        Some(due),
        extended_due(received, 2),
        "counted from the day received"
    );
    let refused = rights::extend(&db, &admin, id, &one("More"), &site())
        .await
        .expect_err("two months in all");
    let Error::Invalid(errors) = refused else {
        panic!("{refused:?}")
    };
    assert!(errors.get("months").is_some(), "{errors:?}");

    let detail = rights::detail(&db, &admin, id).await.expect("detail");
    assert_eq!(detail.summary.extended_months, 2);
    assert_eq!(Some(detail.summary.due_on), extended_due(received, 2));
    let reason = detail.extension_reason.expect("a reason");
    assert!(reason.contains("Many records to search") && reason.contains("Still searching"));

    // The requester is told each time, with the new date and why.
    let mails: Vec<(String, String)> = sqlx::query_as(
        "select subject, body from outbox where recipient = 'pat@example.org' order by id",
    )
    .fetch_all(db.pool())
    .await
    .expect("mail");
    assert_eq!(mails.len(), 2);
    let last = long_date(extended_due(received, 2).expect("due"));
    assert!(mails[1].1.contains(&last), "{}", mails[1].1);
    assert!(mails[1].1.contains("Still searching"), "{}", mails[1].1);

    // Not once the first month is over: the requester had to be told
    // within it.
    let late = rights::log(
        &db,
        &admin,
        &pat(&iso_date(backend::clock::now() - 40 * DAY), false),
    )
    .await
    .expect("logged");
    let refused = rights::extend(&db, &admin, late, &one("Late"), &site())
        .await
        .expect_err("past the first month");
    let Error::Invalid(errors) = refused else {
        panic!("{refused:?}")
    };
    assert!(errors.get("months").is_some(), "{errors:?}");

    // Not once it is closed.
    let other = rights::log(&db, &admin, &pat(&today, false))
        .await
        .expect("logged");
    rights::close(
        &db,
        &admin,
        other,
        &Closing {
            outcome: RequestState::Refused,
            note: "Manifestly unfounded".into(),
        },
    )
    .await
    .expect("refused");
    let refused = rights::extend(&db, &admin, other, &one("Late"), &site())
        .await
        .expect_err("closed");
    assert!(matches!(refused, Error::Invalid(_)), "{refused:?}");
    assert_eq!(
        trail_of(&db, &format!("rights_request:{id}")).await,
        ["rights.logged", "rights.extended", "rights.extended"]
    );
}

async fn an_erasure_request_erases_the_account_and_the_trail_still_verifies(db: Db) {
    let keys = Keys::derive(b"test-secret-test-secret-test-secret!").expect("keys");
    let riverside = organisation(&db, "Riverside Surgery", OrgStatus::Active, &[]).await;
    let admin = user(&db, "alex@csu.example", Role::Admin, None).await;
    let (email, name) = ("quinn_q@riverside.example", "Quinn Zebedee");
    let quinn = fixtures::member(&db, riverside, email, name).await;
    let session = fixtures::signed_in(&db, email).await;
    let access = submit(
        &db,
        &session.viewer,
        RequestKind::Access,
        &format!("{name} asks for a copy"),
    )
    .await;
    let erasure = submit(
        &db,
        &session.viewer,
        RequestKind::Erasure,
        &format!("Please erase {name}"),
    )
    .await;

    // Only an open erasure request with an account erases it.
    let wrong = rights::erase_account(&db, &admin, access)
        .await
        .expect_err("not an erasure request");
    assert!(matches!(wrong, Error::Invalid(_)), "{wrong:?}");
    rights::erase_account(&db, &admin, erasure)
        .await
        .expect("erased");

    let (users,): (i64,) = sqlx::query_as("select count(*) from users where id = $1")
        .bind(quinn)
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(users, 0, "the account is gone");
    let detail = rights::detail(&db, &admin, erasure).await.expect("kept");
    assert_eq!(detail.summary.state, RequestState::Completed);
    assert!(detail.summary.erased && !detail.summary.member);
    assert_eq!(detail.summary.name, "");
    assert_eq!(detail.details, "");
    // Their other request stays as a record, without their words.
    let other = rights::detail(&db, &admin, access).await.expect("kept");
    assert!(other.summary.erased);
    assert_eq!(other.details, "");
    for needle in [email, name] {
        let (n,): (i64,) = sqlx::query_as(
            "select count(*) from rights_requests where lower(coalesce(requester_name, '') || \
             coalesce(requester_email, '') || details || coalesce(outcome_note, '')) like $1",
        )
        .bind(format!("%{}%", needle.to_lowercase()))
        .fetch_one(db.pool())
        .await
        .expect("count");
        assert_eq!(n, 0, "{needle} is held");
    }
    assert_eq!(
        trail_of(&db, &format!("user:{quinn}"))
            .await
            .last()
            .map(String::as_str),
        Some("rights.account_erased")
    );
    assert_eq!(
        audit::verify(&db, &keys).await.expect("verify").first_break,
        None
    );
    // Once completed, it cannot erase again.
    let again = rights::erase_account(&db, &admin, erasure)
        .await
        .expect_err("closed");
    assert!(matches!(again, Error::Invalid(_)), "{again:?}");
}

async fn an_access_request_downloads_the_persons_data_on_record(db: Db) {
    let riverside = organisation(&db, "Riverside Surgery", OrgStatus::Active, &[]).await;
    let admin = user(&db, "alex@csu.example", Role::Admin, None).await;
    let sam = user(&db, "sam@riverside.example", Role::Member, Some(riverside)).await;
    let id = submit(&db, &sam, RequestKind::Access, "Everything, please").await;
    let export = rights::access_export(&db, &admin, id)
        .await
        .expect("export");
    assert_eq!(export["sections"]["account"]["rows"][0]["id"], sam.id);
    assert_eq!(
        export["sections"]["data_rights_requests"]["rows"][0]["details"],
        "Everything, please"
    );
    let events: Vec<(String, String)> = sqlx::query_as(
        "select actor, detail from audit_events where action = 'rights.data_exported'",
    )
    .fetch_all(db.pool())
    .await
    .expect("trail");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, format!("user:{}", admin.id));
    assert!(events[0].1.contains(&format!("user:{}", sam.id)));
    // Nothing to download for a request of another kind or with no account.
    let erasure = submit(&db, &sam, RequestKind::Erasure, "Erase me").await;
    assert!(is_not_found(
        rights::access_export(&db, &admin, erasure).await
    ));
    let unlinked = rights::log(&db, &admin, &pat("2026-03-01", false))
        .await
        .expect("logged");
    assert!(is_not_found(
        rights::access_export(&db, &admin, unlinked).await
    ));
}

async fn a_logged_request_links_to_an_account_only_when_asked(db: Db) {
    let riverside = organisation(&db, "Riverside Surgery", OrgStatus::Active, &[]).await;
    let admin = user(&db, "alex@csu.example", Role::Admin, None).await;
    let pat_account = user(&db, "pat@example.org", Role::Member, Some(riverside)).await;
    // Not linked: the name and address as given are kept.
    let unlinked = rights::log(&db, &admin, &pat("2026-03-01", false))
        .await
        .expect("logged");
    let detail = rights::detail(&db, &admin, unlinked).await.expect("detail");
    assert_eq!(detail.summary.name, "Pat Writer");
    assert!(!detail.summary.member);
    assert_eq!(detail.logged_by.as_deref(), Some("Person alex@csu.example"));
    // Linked: the account names them, and they see it as their own.
    let linked = rights::log(&db, &admin, &pat("2026-03-01", true))
        .await
        .expect("logged");
    let detail = rights::detail(&db, &admin, linked).await.expect("detail");
    assert!(detail.summary.member);
    assert_eq!(detail.summary.name, "Person pat@example.org");
    let theirs: Vec<i64> = rights::mine(&db, &pat_account)
        .await
        .expect("mine")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(theirs, [linked]);
    let (stored,): (Option<String>,) =
        sqlx::query_as("select requester_email from rights_requests where id = $1")
            .bind(linked)
            .fetch_one(db.pool())
            .await
            .expect("row");
    assert_eq!(stored, None, "nothing copied from the account");
    // Both are in what Pat sees of their data (P6): the linked one as
    // theirs, the other by their address.
    let data = backend::mydata::export(&db, &pat_account)
        .await
        .expect("their data");
    let ids = |section: &str| -> Vec<i64> {
        data["sections"][section]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|row| row["id"].as_i64())
            .collect()
    };
    assert_eq!(ids("data_rights_requests"), [linked]);
    assert_eq!(ids("data_rights_requests_by_email"), [unlinked]);
    // Linking to an address with no account is refused on the field.
    let nobody = LoggedRequest {
        email: Email::parse("nobody@example.org").expect("email"),
        ..pat("2026-03-01", true)
    };
    let refused = rights::log(&db, &admin, &nobody)
        .await
        .expect_err("no account");
    let Error::Invalid(errors) = refused else {
        panic!("{refused:?}")
    };
    assert!(errors.get("email").is_some(), "{errors:?}");
}
