//! Messages to the team over HTTP, without JavaScript: a member writes, an
//! administrator answers, nobody else reads (P4).

use super::admin::{HOSTILE, admin, assert_title_is_text, member};
use super::{Browser, TestServer, launch};
use app::api::messages::{ReplyToMessage, SendMessage};
use reqwest::StatusCode;

http_stories!(
    a_member_writes_and_an_administrator_answers_without_javascript,
    services_are_added_and_counted_on_their_public_pages,
);

/// A public enquiry in the inbox; its id.
pub(super) async fn enquiry(server: &TestServer) -> i64 {
    backend::contact::submit_enquiry(
        &server.db,
        "setup",
        &domain::enquiry::EnquiryInput {
            name: "Jo Bloggs".into(),
            organisation: "Not Yet A Customer".into(),
            email: "jo@example.org".into(),
            telephone: String::new(),
            message: "Do you cover estates?".into(),
        },
        &domain::Email::parse("team@csu.example").expect("email"),
        &domain::site::SiteInfo::default(),
    )
    .await
    .expect("enquiry")
}

async fn a_member_writes_and_an_administrator_answers_without_javascript(server: TestServer) {
    let alex = Browser::new(&server, admin(&server, "alex@csu.example", true).await);
    let sam = Browser::new(&server, member(&server).await);
    let subject = format!("Fridge {HOSTILE}");

    // A message without a subject comes back with the error and the text.
    let (status, _) = sam
        .post::<SendMessage>(
            "/portal/messages/new",
            &[
                ("subject", ""),
                ("body", "It read 9 degrees."),
                ("service_id", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, to) = sam
        .post::<SendMessage>(
            "/portal/messages/new",
            &[
                ("subject", subject.as_str()),
                ("body", "It read 9 degrees."),
                ("service_id", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id: i64 = to
        .strip_prefix("/portal/messages/")
        .and_then(|rest| rest.strip_suffix("?sent=1"))
        .and_then(|id| id.parse().ok())
        .expect("the message's page");
    let (status, html) = sam.get(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("It read 9 degrees."));
    assert_title_is_text(&to, &html);

    // Nobody else reads it: another member gets the 404 page.
    let kim = Browser::new(
        &server,
        super::library::member_of(&server, "Hillside Practice", "kim@hillside.example", &[]).await,
    );
    let (status, html) = kim.get(&format!("/portal/messages/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("It read 9 degrees."));
    let (_, html) = kim.get("/portal/messages").await;
    assert!(!html.contains("Fridge"), "not in their list");

    // The administrator finds it in the inbox and replies.
    let (status, html) = alex.get("/admin/messages?state=new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/admin/messages/{id}")));
    let page = format!("/admin/messages/{id}");
    let (_, html) = alex.get(&page).await;
    assert_title_is_text(&page, &html);
    let (status, to) = alex
        .post::<ReplyToMessage>(
            &page,
            &[
                ("id", id.to_string().as_str()),
                ("body", "Use the spare fridge."),
            ],
        )
        .await;
    assert_eq!(
        (status, to),
        (StatusCode::SEE_OTHER, format!("{page}?done=replied"))
    );

    // The member reads the reply in the portal; it went by email too.
    let (_, html) = sam.get(&format!("/portal/messages/{id}")).await;
    assert!(html.contains("Use the spare fridge."));
    assert!(html.contains("Answered"));
    let (recipient,): (String,) =
        sqlx::query_as("select recipient from outbox where subject like 'Re: Fridge%'")
            .fetch_one(server.db.pool())
            .await
            .expect("the reply's mail");
    assert_eq!(recipient, "sam@riverside.example");
}

async fn services_are_added_and_counted_on_their_public_pages(server: TestServer) {
    use app::api::content::{CreateService, UpdateService};
    use domain::content::ServiceForm;
    let alex = Browser::new(&server, admin(&server, "alex@csu.example", true).await);
    let form = ServiceForm::example(&format!("Estates {HOSTILE}"), "estates");

    // A bad address is refused on its field; a member cannot add one.
    let bad = ServiceForm {
        slug: "Not An Address".into(),
        ..form.clone()
    };
    let (status, _) = alex
        .post::<CreateService>("/admin/services/new", &bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let sam = Browser::new(&server, member(&server).await);
    let (status, _) = sam
        .post::<CreateService>("/admin/services/new", &form)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, to) = alex
        .post::<CreateService>("/admin/services/new", &form)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id: i64 = to
        .strip_prefix("/admin/services/")
        .and_then(|rest| rest.strip_suffix("?saved=added"))
        .and_then(|id| id.parse().ok())
        .expect("the service's page");
    for page in [to.as_str(), "/services/estates", "/admin/services"] {
        let (status, html) = alex.get(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        if page != "/admin/services" {
            assert_title_is_text(page, &html);
        }
    }

    // Taking another service's address is refused and changes nothing.
    let taken = ServiceForm {
        slug: "medicines-management".into(),
        ..form.clone()
    };
    let mut fields = serde_urlencoded::to_string(&taken).expect("form");
    fields.push_str(&format!("&id={id}"));
    let response = alex
        .form::<UpdateService>(&format!("/admin/services/{id}"))
        .body(fields)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("page");
    assert!(html.contains("Another service already has this address"));
    let (status, _) = alex.get("/services/estates").await;
    assert_eq!(status, StatusCode::OK, "still at its address");

    // The demo catalogue's public page counts what subscribers get.
    let medicines: (i64,) =
        sqlx::query_as("select id from services where slug = 'medicines-management'")
            .fetch_one(server.db.pool())
            .await
            .expect("a seeded service");
    let resource = super::library::draft(&server, &alex.cookie).await;
    sqlx::query("update resources set status = 'published', service_id = $1 where id = $2")
        .bind(medicines.0)
        .bind(resource)
        .execute(server.db.pool())
        .await
        .expect("published");
    let (_, html) = alex.get("/services/medicines-management").await;
    assert!(
        html.contains("Subscribers have 1 policy, kept up to date."),
        "{html}"
    );
}
