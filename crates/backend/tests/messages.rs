//! The team's inbox on SQLite and PostgreSQL (P4): members' messages and
//! public enquiries in one place, read only by administrators and by
//! their own senders; replies by email; everything audited.

use backend::audit;
use backend::messages;
use backend::testing::fixtures::{organisation, service, user};
use backend::{Db, Error, contact, stories};
use domain::Email;
use domain::account::{Role, Viewer};
use domain::enquiry::EnquiryInput;
use domain::messages::{EntryKind, InboxQuery, MessageState, NewMessage};
use domain::organisation::OrgStatus;
use domain::site::SiteInfo;

stories!(
    only_administrators_and_the_sender_read_a_message,
    replies_reach_the_sender_and_notes_stay_with_the_team,
    enquiries_and_messages_share_one_inbox_filtered_by_state_service_and_organisation,
    each_change_is_audited_once_and_only_administrators_change_messages,
);

fn team() -> Email {
    Email::parse("team@csu.example").expect("email")
}

fn message(subject: &str, service_id: Option<i64>) -> NewMessage {
    NewMessage {
        subject: subject.to_owned(),
        body: format!("{subject}: the details, which only the team may read."),
        service_id,
    }
}

struct Inbox {
    admin: Viewer,
    sam: Viewer,
    other: Viewer,
    medicines: i64,
    riverside: i64,
}

async fn inbox(db: &Db) -> Inbox {
    let medicines = service(db, "medicines").await;
    let riverside = organisation(db, "Riverside Surgery", OrgStatus::Active, &[medicines]).await;
    let hillside = organisation(db, "Hillside Practice", OrgStatus::Active, &[]).await;
    Inbox {
        admin: user(db, "alex@csu.example", Role::Admin, None).await,
        sam: user(db, "sam@riverside.example", Role::Member, Some(riverside)).await,
        other: user(db, "kim@hillside.example", Role::Member, Some(hillside)).await,
        medicines,
        riverside,
    }
}

async fn outbox(db: &Db) -> Vec<(String, String, String)> {
    sqlx::query_as("select recipient, subject, body from outbox order by id")
        .fetch_all(db.pool())
        .await
        .expect("outbox")
}

async fn send(db: &Db, viewer: &Viewer, subject: &str, service: Option<i64>) -> i64 {
    messages::send(
        db,
        viewer,
        &message(subject, service),
        &team(),
        &SiteInfo::default(),
    )
    .await
    .expect("sent")
}

async fn only_administrators_and_the_sender_read_a_message(db: Db) {
    let inbox = inbox(&db).await;
    let id = send(&db, &inbox.sam, "Cold chain breach", Some(inbox.medicines)).await;

    // The team is told, with a link and nothing of what it says.
    let mail = outbox(&db).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].0, "team@csu.example");
    assert!(
        mail[0].2.contains(&format!("/admin/messages/{id}")),
        "{}",
        mail[0].2
    );
    assert!(!mail[0].2.contains("Cold chain"), "{}", mail[0].2);
    assert!(!mail[0].1.contains("Cold chain"), "{}", mail[0].1);

    // The sender reads it; another member finds it in no list and gets
    // "not found" at its id, exactly as for one that does not exist.
    let mine = messages::detail(&db, &inbox.sam, id).await.expect("own");
    assert_eq!(mine.summary.subject, "Cold chain breach");
    assert_eq!(mine.summary.state, MessageState::New);
    assert_eq!(mine.summary.service.as_deref(), Some("Service medicines"));
    assert_eq!(
        mine.summary.sender.organisation.as_deref(),
        Some("Riverside Surgery")
    );
    let everything = InboxQuery::default();
    assert_eq!(
        messages::list(&db, &inbox.sam, &everything)
            .await
            .expect("list")
            .total,
        1
    );
    for missing in [id, id + 1_000] {
        assert!(matches!(
            messages::detail(&db, &inbox.other, missing).await,
            Err(Error::NotFound)
        ));
    }
    let theirs = messages::list(&db, &inbox.other, &everything)
        .await
        .expect("list");
    assert_eq!((theirs.total, theirs.rows.len()), (0, 0));
    // Filtering by organisation cannot reach round the rule.
    let sneaky = InboxQuery {
        organisation: Some(inbox.riverside),
        ..InboxQuery::default()
    };
    assert_eq!(
        messages::list(&db, &inbox.other, &sneaky)
            .await
            .expect("list")
            .total,
        0
    );

    // Administrators read the whole inbox.
    let all = messages::list(&db, &inbox.admin, &everything)
        .await
        .expect("inbox");
    assert_eq!(all.rows.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
    assert!(all.rows[0].sender.member);
    assert_eq!(all.rows[0].sender.email, "sam@riverside.example");
    // A member cannot see the inbox's options or change anything.
    assert!(matches!(
        messages::options(&db, &inbox.sam).await,
        Err(Error::NotFound)
    ));
}

async fn replies_reach_the_sender_and_notes_stay_with_the_team(db: Db) {
    let inbox = inbox(&db).await;
    let site = SiteInfo::default();
    let id = send(&db, &inbox.sam, "Fridge log", None).await;
    messages::add_entry(
        &db,
        &inbox.admin,
        id,
        EntryKind::Note,
        "Checked with pharmacy: fine.",
        &site,
    )
    .await
    .expect("note");
    messages::add_entry(
        &db,
        &inbox.admin,
        id,
        EntryKind::Reply,
        "Your log is fine & complete.",
        &site,
    )
    .await
    .expect("reply");

    // The member sees the reply, never the note; the message is answered.
    let mine = messages::detail(&db, &inbox.sam, id).await.expect("own");
    assert_eq!(
        mine.entries
            .iter()
            .map(|e| (e.kind, e.body.as_str()))
            .collect::<Vec<_>>(),
        [(EntryKind::Reply, "Your log is fine & complete.")]
    );
    assert!(mine.summary.answered);
    assert_eq!(mine.summary.state, MessageState::InProgress);
    // Administrators see both, in order, with their author.
    let full = messages::detail(&db, &inbox.admin, id).await.expect("full");
    assert_eq!(
        full.entries.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [EntryKind::Note, EntryKind::Reply]
    );
    assert_eq!(full.entries[1].author, "Person alex@csu.example");

    // The reply went by email to the member, pointing to the portal; the
    // note went nowhere.
    let mail = outbox(&db).await;
    let (to, subject, body) = mail.last().expect("a reply");
    assert_eq!(to, "sam@riverside.example");
    assert_eq!(subject, "Re: Fridge log");
    assert!(body.starts_with("Your log is fine & complete."), "{body}");
    assert!(body.contains(&format!("/portal/messages/{id}")), "{body}");
    assert!(mail.iter().all(|(_, _, body)| !body.contains("pharmacy")));

    // Closing and reopening.
    messages::set_state(&db, &inbox.admin, id, MessageState::Closed)
        .await
        .expect("closed");
    assert_eq!(
        messages::detail(&db, &inbox.sam, id)
            .await
            .expect("own")
            .summary
            .state,
        MessageState::Closed
    );
}

async fn enquiries_and_messages_share_one_inbox_filtered_by_state_service_and_organisation(db: Db) {
    let inbox = inbox(&db).await;
    let about_medicines = send(&db, &inbox.sam, "Medicines question", Some(inbox.medicines)).await;
    let general = send(&db, &inbox.other, "General question", None).await;
    let enquiry = contact::submit_enquiry(
        &db,
        "client-a",
        &EnquiryInput {
            name: "Jo Bloggs".into(),
            organisation: "Not Yet A Customer".into(),
            email: "jo@example.org".into(),
            telephone: String::new(),
            message: "Do you cover estates?".into(),
        },
        &team(),
        &SiteInfo::default(),
    )
    .await
    .expect("enquiry");
    messages::set_state(&db, &inbox.admin, general, MessageState::Closed)
        .await
        .expect("closed");

    let ids = |query: InboxQuery| {
        let db = db.clone();
        let admin = inbox.admin.clone();
        async move {
            let mut ids: Vec<i64> = messages::list(&db, &admin, &query)
                .await
                .expect("inbox")
                .rows
                .iter()
                .map(|m| m.id)
                .collect();
            ids.sort_unstable();
            ids
        }
    };
    assert_eq!(
        ids(InboxQuery::default()).await,
        [about_medicines, general, enquiry]
    );
    assert_eq!(
        ids(InboxQuery {
            state: Some(MessageState::New),
            ..InboxQuery::default()
        })
        .await,
        [about_medicines, enquiry]
    );
    assert_eq!(
        ids(InboxQuery {
            service: Some(inbox.medicines),
            ..InboxQuery::default()
        })
        .await,
        [about_medicines]
    );
    assert_eq!(
        ids(InboxQuery {
            organisation: Some(inbox.riverside),
            ..InboxQuery::default()
        })
        .await,
        [about_medicines]
    );
    let public = messages::detail(&db, &inbox.admin, enquiry)
        .await
        .expect("enquiry");
    assert!(!public.summary.sender.member);
    assert_eq!(public.summary.sender.name, "Jo Bloggs");
    assert_eq!(
        public.summary.sender.organisation.as_deref(),
        Some("Not Yet A Customer")
    );
    assert_eq!(public.body, "Do you cover estates?");
    let options = messages::options(&db, &inbox.admin).await.expect("options");
    assert_eq!(options.administrators.len(), 1);
    assert_eq!(
        options.organisations.len(),
        2,
        "both senders' organisations"
    );

    // A reply to an enquiry goes to its address, with no portal link.
    messages::add_entry(
        &db,
        &inbox.admin,
        enquiry,
        EntryKind::Reply,
        "Yes, we do.",
        &SiteInfo::default(),
    )
    .await
    .expect("reply");
    let mail = outbox(&db).await;
    let (to, _, body) = mail.last().expect("a reply");
    assert_eq!(to, "jo@example.org");
    assert!(!body.contains("/portal/"), "{body}");
}

async fn each_change_is_audited_once_and_only_administrators_change_messages(db: Db) {
    let inbox = inbox(&db).await;
    let site = SiteInfo::default();
    let id = send(&db, &inbox.sam, "Audit me", None).await;
    let subject = format!("message:{id}");

    // Members change nothing, and nothing is recorded for them.
    assert!(matches!(
        messages::assign(&db, &inbox.sam, id, Some(inbox.admin.id)).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        messages::add_entry(&db, &inbox.sam, id, EntryKind::Reply, "hi", &site).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        messages::set_state(&db, &inbox.sam, id, MessageState::Closed).await,
        Err(Error::NotFound)
    ));
    // Only an administrator can be assigned.
    match messages::assign(&db, &inbox.admin, id, Some(inbox.sam.id)).await {
        Err(Error::Invalid(errors)) => {
            assert_eq!(errors.get("assignee_id"), Some("Choose an administrator"));
        }
        other => panic!("expected a field error, got {other:?}"),
    }

    messages::assign(&db, &inbox.admin, id, Some(inbox.admin.id))
        .await
        .expect("assigned");
    messages::add_entry(&db, &inbox.admin, id, EntryKind::Note, "noted", &site)
        .await
        .expect("note");
    messages::add_entry(&db, &inbox.admin, id, EntryKind::Reply, "replied", &site)
        .await
        .expect("reply");
    messages::set_state(&db, &inbox.admin, id, MessageState::Closed)
        .await
        .expect("closed");
    let detail = messages::detail(&db, &inbox.admin, id)
        .await
        .expect("detail");
    assert_eq!(detail.summary.assignee_id, Some(inbox.admin.id));

    let events = audit::recent(&db, 100).await.expect("audit");
    let mut about: Vec<(String, String)> = events
        .into_iter()
        .filter(|e| e.subject.as_deref() == Some(subject.as_str()))
        .map(|e| (e.action, e.actor))
        .collect();
    about.reverse();
    let (sam, alex) = (
        format!("user:{}", inbox.sam.id),
        format!("user:{}", inbox.admin.id),
    );
    assert_eq!(
        about,
        [
            ("message.sent".to_owned(), sam),
            ("message.assigned".to_owned(), alex.clone()),
            ("message.noted".to_owned(), alex.clone()),
            ("message.replied".to_owned(), alex.clone()),
            ("message.state_changed".to_owned(), alex),
        ]
    );
    // No message text is written into the audit trail.
    let details: Vec<(String,)> = sqlx::query_as("select detail from audit_events")
        .fetch_all(db.pool())
        .await
        .expect("details");
    assert!(
        details
            .iter()
            .all(|(d,)| !d.contains("Audit me") && !d.contains("replied") && !d.contains("noted")),
        "{details:?}"
    );
}
