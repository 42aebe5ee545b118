//! The member library over HTTP, without JavaScript: administrators write
//! and publish, members find, read and save, and nobody sees what their
//! organisation does not subscribe to (P1, P5).

use super::admin::{HOSTILE, admin, assert_body_is_text, assert_title_is_text, sign_in};
use super::{Browser, TestServer, launch};
use app::api::library::{CreateResource, SaveResource, SetResourceStatus};
use backend::audit::Actor;
use domain::library::ResourceInput;
use domain::organisation::OrganisationForm;
use reqwest::StatusCode;

http_stories!(
    members_find_read_and_save_only_what_their_organisation_subscribes_to,
    resource_titles_and_search_words_cannot_add_markup_to_the_page_title,
);

/// A service of the seeded catalogue, by position.
async fn service(server: &TestServer, nth: i64) -> i64 {
    let (id,): (i64,) = sqlx::query_as("select id from services order by id limit 1 offset $1")
        .bind(nth)
        .fetch_one(server.db.pool())
        .await
        .expect("a seeded service");
    id
}

/// A signed-in member of a new organisation subscribed to `services`.
pub(super) async fn member_of(
    server: &TestServer,
    organisation: &str,
    email: &str,
    services: &[i64],
) -> String {
    let (id, code) = backend::orgs::create(
        &server.db,
        &super::accounts::key(),
        &Actor::Operator,
        &OrganisationForm::example(organisation, "")
            .validate()
            .expect("valid"),
    )
    .await
    .expect("organisation");
    backend::orgs::set_services(&server.db, &Actor::Operator, id, services)
        .await
        .expect("subscribe");
    super::accounts::registered(server, &code, email).await;
    sign_in(server, email).await
}

/// A published resource written through the administrators' form; its id.
async fn published(admin: &Browser<'_>, form: ResourceInput) -> i64 {
    let (status, to) = admin
        .post::<CreateResource>("/admin/library/new", &form)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "created");
    let id: i64 = to
        .strip_prefix("/admin/library/")
        .and_then(|id| id.parse().ok())
        .expect("the new resource's page");
    let (status, to) = admin
        .post::<SetResourceStatus>(
            &to,
            &[("id", id.to_string()), ("status", "published".into())],
        )
        .await;
    assert_eq!(
        (status, to),
        (
            StatusCode::SEE_OTHER,
            format!("/admin/library/{id}?updated=published")
        )
    );
    id
}

/// A draft resource written by the administrator signed in as `cookie`.
pub(super) async fn draft(server: &TestServer, cookie: &str) -> i64 {
    let admin = Browser::new(server, cookie.to_owned());
    let form = ResourceInput {
        title: "Chaperone policy".into(),
        summary: "Who may act as a chaperone.".into(),
        service_id: service(server, 0).await.to_string(),
        kind: "policy".into(),
        owner_id: admin_id(server).await,
        ..ResourceInput::default()
    };
    let (status, to) = admin
        .post::<CreateResource>("/admin/library/new", &form)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "created");
    to.strip_prefix("/admin/library/")
        .and_then(|id| id.parse().ok())
        .expect("the new resource's page")
}

async fn admin_id(server: &TestServer) -> String {
    let (id,): (i64,) =
        sqlx::query_as("select id from users where role = 'admin' order by id limit 1")
            .fetch_one(server.db.pool())
            .await
            .expect("the administrator");
    id.to_string()
}

async fn members_find_read_and_save_only_what_their_organisation_subscribes_to(server: TestServer) {
    let admin = Browser::new(&server, admin(&server, "alex@csu.example", true).await);
    let (ours, theirs) = (service(&server, 0).await, service(&server, 1).await);
    let member = Browser::new(
        &server,
        member_of(
            &server,
            "Riverside Surgery",
            "sam@riverside.example",
            &[ours],
        )
        .await,
    );
    let outsider = Browser::new(
        &server,
        member_of(
            &server,
            "Hillside Practice",
            "kim@hillside.example",
            &[theirs],
        )
        .await,
    );

    // A draft: nobody but administrators sees it.
    let form = ResourceInput {
        title: "Hand hygiene policy".into(),
        summary: "When and how to clean hands.".into(),
        body_md: "Use **alcohol rub** between patients.".into(),
        service_id: ours.to_string(),
        kind: "policy".into(),
        tags: "Infection control".into(),
        owner_id: admin_id(&server).await,
        ..ResourceInput::default()
    };
    let (status, to) = admin
        .post::<CreateResource>("/admin/library/new", &form)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let draft: i64 = to
        .strip_prefix("/admin/library/")
        .and_then(|id| id.parse().ok())
        .expect("the draft's page");
    assert_eq!(
        member.get(&format!("/portal/library/{draft}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, page) = admin.get(&format!("/admin/library/{draft}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<strong>alcohol rub</strong>"),
        "the body as members will see it"
    );

    // A refused form keeps what was typed and says what is wrong, where.
    let (status, _) = admin
        .post::<CreateResource>(
            "/admin/library/new",
            &ResourceInput {
                service_id: String::new(),
                ..form.clone()
            },
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let id = published(&admin, form).await;
    let resource = format!("/portal/library/{id}");

    // The member browses, searches and reads it.
    let (status, list) = member.get("/portal/library").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Hand hygiene policy"), "listed");
    let (_, found) = member.get("/portal/library?q=alcohol").await;
    assert!(
        found.contains("Hand hygiene policy"),
        "found by a word in its body"
    );
    assert!(found.contains("<mark>alcohol</mark>"), "the word is marked");
    let (_, filtered) = member.get("/portal/library?kind=toolkit").await;
    assert!(
        !filtered.contains("Hand hygiene policy"),
        "filtered out by kind"
    );
    let (status, page) = member.get(&resource).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<strong>alcohol rub</strong>"));
    // The view is audited with where it came from, though the page's
    // render reads the resource on a task of its own; so is the sign-in,
    // a server function.
    let origins: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "select action, client, agent from audit_events \
         where (action = 'resource.viewed' and subject = $1) \
            or (action = 'account.signed_in' and actor = \
                (select 'user:' || id from users where email = 'sam@riverside.example')) \
         order by id",
    )
    .bind(format!("resource:{id}"))
    .fetch_all(server.db.pool())
    .await
    .expect("events");
    assert_eq!(origins.len(), 2, "{origins:?}");
    for (action, client, agent) in &origins {
        assert_eq!(agent.as_deref(), Some("Firefox"), "{action}");
        assert!(
            client.as_ref().is_some_and(|c| c.len() >= 8),
            "{action}: {client:?}"
        );
    }
    let (_, home) = member.get("/portal").await;
    assert!(home.contains("Hand hygiene policy"), "what's new");

    // Saving comes back to the page it was saved from.
    let (status, to) = member
        .post::<SaveResource>(
            "/portal/library",
            &[
                ("id", id.to_string()),
                ("save", "true".into()),
                ("back", "/portal/library".into()),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/portal/library")
    );
    let (_, saved) = member.get("/portal/saved").await;
    assert!(saved.contains("Hand hygiene policy"), "saved");

    // Another organisation's member finds nothing and gets 404 at its address.
    let (_, list) = outsider.get("/portal/library").await;
    assert!(!list.contains("Hand hygiene policy"));
    let (_, found) = outsider.get("/portal/library?q=alcohol").await;
    assert!(!found.contains("Hand hygiene policy"));
    assert!(found.contains("data-testid=\"no-results\""));
    let (status, page) = outsider.get(&resource).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Hand hygiene"));
    let (status, _) = outsider
        .post::<SaveResource>(
            "/portal/library",
            &[
                ("id", id.to_string()),
                ("save", "true".into()),
                ("back", "/portal/library".into()),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "cannot save what it cannot see"
    );

    // Archived: gone for members, still there for administrators.
    admin
        .post::<SetResourceStatus>(
            &resource,
            &[("id", id.to_string()), ("status", "archived".into())],
        )
        .await;
    assert_eq!(member.get(&resource).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        admin.get(&format!("/admin/library/{id}")).await.0,
        StatusCode::OK
    );

    // Signed out: sent to sign in.
    let signed_out = Browser::new(&server, String::new());
    let (status, _) = signed_out.get("/portal/library").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn resource_titles_and_search_words_cannot_add_markup_to_the_page_title(server: TestServer) {
    let admin = Browser::new(&server, admin(&server, "alex@csu.example", true).await);
    // A body whose markup a search snippet shows: the searched word is
    // marked, the markup around it is text.
    published(
        &admin,
        ResourceInput {
            title: "Cold chain".into(),
            summary: "Vaccine storage.".into(),
            body_md: format!("Check the thermometer {HOSTILE} twice a day."),
            service_id: service(&server, 0).await.to_string(),
            kind: "guidance".into(),
            owner_id: admin_id(&server).await,
            ..ResourceInput::default()
        },
    )
    .await;
    let (status, html) = admin.get("/portal/library?q=thermometer").await;
    assert_eq!(status, StatusCode::OK);
    let snippet = html
        .split(r#"pp-snippet">"#)
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .expect("a snippet");
    assert!(snippet.contains("<mark>thermometer</mark>"), "{snippet}");
    assert!(
        snippet.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{snippet}"
    );
    assert_body_is_text("the search results", &html);

    let id = published(
        &admin,
        ResourceInput {
            title: HOSTILE.into(),
            summary: HOSTILE.into(),
            service_id: service(&server, 0).await.to_string(),
            kind: "guidance".into(),
            owner_id: admin_id(&server).await,
            ..ResourceInput::default()
        },
    )
    .await;
    let search = format!(
        "/portal/library?{}",
        serde_urlencoded::to_string([("q", HOSTILE)]).expect("query")
    );
    for page in [
        format!("/portal/library/{id}"),
        format!("/admin/library/{id}"),
        format!("/admin/library/{id}/edit"),
        search,
    ] {
        let (status, html) = admin.get(&page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_title_is_text(&page, &html);
    }
}
