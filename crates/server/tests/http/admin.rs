//! The administrators' area over HTTP: nobody else gets in, by page, by
//! form or by calling a server function directly (P2).

use super::{TestServer, launch};
use backend::sessions::SessionToken;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

const PASSWORD: &str = "correct horse battery staple";

http_stories!(
    only_administrators_get_into_the_admin_area,
    an_administrator_creates_an_organisation_and_rotates_its_code,
);

const PAGES: &[&str] = &[
    "/admin",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/organisations/1",
    "/admin/organisations/1/edit",
];

const SERVER_FUNCTIONS: &[(&str, &str)] = &[
    ("/api/admin/organisations", "q=&status=&page=1"),
    ("/api/admin/organisation", "id=1"),
    (
        "/api/admin/organisation-create",
        "fields[name]=X&fields[address_line1]=1+High+St&fields[town]=T&fields[postcode]=EX1+1AA&fields[telephone]=01632+960+111&fields[email]=a%40b.example&fields[contact_name]=P&fields[contact_role]=R&fields[contact_email]=p%40b.example",
    ),
    (
        "/api/admin/organisation-update",
        "id=1&fields[name]=X&fields[address_line1]=1+High+St&fields[town]=T&fields[postcode]=EX1+1AA&fields[telephone]=01632+960+111&fields[email]=a%40b.example&fields[contact_name]=P&fields[contact_role]=R&fields[contact_email]=p%40b.example",
    ),
    (
        "/api/admin/organisation-status",
        "id=1&status=ended&reason=x",
    ),
    ("/api/admin/organisation-rotate-code", "id=1"),
    ("/api/admin/organisation-revoke-code", "id=1"),
    ("/api/admin/organisation-services", "id=1&services[0]=1"),
    (
        "/api/admin/organisation-code-limits",
        "id=1&expires=&max_uses=5",
    ),
    ("/api/admin/shared-domain", "domain=nhs.net"),
];

const FORMS: &[(&str, &str)] = &[
    ("/admin/organisations/new", "name=X"),
    ("/admin/organisations/1", "action=rotate"),
    ("/admin/organisations/1", "action=revoke"),
    (
        "/admin/organisations/1",
        "action=status&status=ended&reason=x",
    ),
    ("/admin/organisations/1/edit", "name=X"),
    ("/admin/organisations/1", "action=limits&max_uses=5"),
    ("/admin/organisations", "domain=nhs.net"),
];

/// Signs in through the form and returns the session cookie's value.
async fn sign_in(server: &TestServer, email: &str) -> String {
    let response = server
        .post_form("/login")
        .body(
            serde_urlencoded::to_string([("email", email), ("password", PASSWORD)]).expect("form"),
        )
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("pp_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

async fn admin(server: &TestServer, email: &str, second_factor: bool) -> String {
    backend::accounts::create_admin(
        &server.db,
        &domain::Email::parse(email).expect("email"),
        "Alex Admin",
        &backend::accounts::Password::new(PASSWORD.into()).expect("password"),
    )
    .await
    .expect("admin");
    let cookie = sign_in(server, email).await;
    if second_factor {
        let session = backend::sessions::resolve(&server.db, &SessionToken::from_cookie(&cookie))
            .await
            .expect("resolve")
            .expect("live");
        let setup = backend::mfa::new_secret("PrimaryPoint", email).expect("secret");
        backend::mfa::enrol(
            &server.db,
            "PrimaryPoint",
            &session,
            &setup.secret_text,
            &backend::mfa::current_code(&setup.secret_text),
        )
        .await
        .expect("enrolled");
    }
    cookie
}

async fn member(server: &TestServer) -> String {
    let (_, code) = super::accounts::organisation(server).await;
    backend::auth::register(
        &server.db,
        &super::accounts::key(),
        &domain::site::SiteInfo::default(),
        "setup",
        &domain::account::RegistrationInput {
            code: code.to_string(),
            full_name: "Sam Member".into(),
            email: "sam@riverside.example".into(),
            password: PASSWORD.into(),
            privacy: true,
        },
    )
    .await
    .expect("registered");
    let token = super::accounts::mailed_token(server, "sam@riverside.example").await;
    assert!(
        backend::auth::verify_email(&server.db, &token)
            .await
            .expect("verify")
    );
    sign_in(server, "sam@riverside.example").await
}

/// Every page, form and server function of the admin area, as `cookie`.
async fn everything(
    server: &TestServer,
    cookie: Option<&str>,
) -> Vec<(String, StatusCode, String)> {
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let with_cookie = |request: reqwest::RequestBuilder| match cookie {
        Some(cookie) => request.header(COOKIE, format!("pp_session={cookie}")),
        None => request,
    };
    let mut seen = Vec::new();
    for page in PAGES {
        let response = with_cookie(plain.get(server.url(page)))
            .send()
            .await
            .expect("get");
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        seen.push((format!("GET {page}"), response.status(), location));
    }
    for (path, body) in SERVER_FUNCTIONS.iter().chain(FORMS) {
        let response = with_cookie(plain.post(server.url(path)))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(*body)
            .send()
            .await
            .expect("post");
        seen.push((
            format!("POST {path} {body}"),
            response.status(),
            String::new(),
        ));
    }
    seen
}

async fn only_administrators_get_into_the_admin_area(server: TestServer) {
    // Signed out: pages send you to sign in; calls are refused with 401.
    for (what, status, location) in everything(&server, None).await {
        if what.starts_with("GET") {
            assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
            assert!(location.starts_with("/login?next="), "{what}: {location}");
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        }
    }
    // A member: 403 everywhere.
    let member = member(&server).await;
    for (what, status, _) in everything(&server, Some(&member)).await {
        assert_eq!(status, StatusCode::FORBIDDEN, "member: {what}");
    }
    // An administrator without a second factor: sent to enrol; calls refused.
    let new_admin = admin(&server, "new.admin@csu.example", false).await;
    for (what, status, location) in everything(&server, Some(&new_admin)).await {
        if what.starts_with("GET") {
            assert_eq!(location, "/account/two-factor", "{what}");
        } else {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "admin without a second factor: {what}"
            );
        }
    }
    // Nothing was changed by any of it.
    let (organisations, codes): (i64, i64) = sqlx::query_as(
        "select (select count(*) from organisations), (select count(*) from authorisation_codes)",
    )
    .fetch_one(server.db.pool())
    .await
    .expect("count");
    assert_eq!((organisations, codes), (1, 1));
    let (shared, limited): (i64, i64) = sqlx::query_as(
        "select (select count(*) from shared_domains), \
                (select count(*) from authorisation_codes where max_uses is not null)",
    )
    .fetch_one(server.db.pool())
    .await
    .expect("count");
    assert_eq!((shared, limited), (0, 0));
}

async fn an_administrator_creates_an_organisation_and_rotates_its_code(server: TestServer) {
    let cookie = admin(&server, "alex@csu.example", true).await;
    let send = |path: &str, body: String| {
        server
            .client
            .post(server.url(path))
            .header(COOKIE, format!("pp_session={cookie}"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let form = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).expect("form");
    let fields = [
        ("name", "Riverside Surgery"),
        ("ods_code", "a81001"),
        ("address_line1", "1 High Street"),
        ("town", "Exampletown"),
        ("postcode", "ex11aa"),
        ("telephone", "01632 960 111"),
        ("email", "reception@riverside.example"),
        ("website", "not a url"),
        ("contact_name", "Pat Manager"),
        ("contact_role", "Practice manager"),
        ("contact_email", "pat@riverside.example"),
        ("email_domains", "riverside.example"),
    ];
    // A bad website: shown on its field, everything typed kept.
    let refused = send("/admin/organisations/new", form(&fields))
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("page");
    assert!(
        page.contains("id=\"website-error\""),
        "error on the website field"
    );
    assert!(
        page.contains("value=\"Riverside Surgery\""),
        "typed values kept"
    );

    let mut fields = fields;
    fields[7] = ("website", "https://riverside.example");
    let created = send("/admin/organisations/new", form(&fields))
        .await
        .expect("post");
    assert_eq!(created.status(), StatusCode::OK);
    let page = created.text().await.expect("page");
    let code = code_on(&page);
    assert_eq!(code.len(), 19, "four groups of four: {code}");
    let dump: (String,) = sqlx::query_as("select code_hash from authorisation_codes")
        .fetch_one(server.db.pool())
        .await
        .expect("row");
    assert!(
        !dump.0.contains(&code.replace('-', "")),
        "P2: only a keyed hash is stored"
    );

    let (id,): (i64,) = sqlx::query_as("select id from organisations where ods_code = 'A81001'")
        .fetch_one(server.db.pool())
        .await
        .expect("stored with a normalised ODS code");
    let detail = server
        .client
        .get(server.url(&format!("/admin/organisations/{id}")))
        .header(COOKIE, format!("pp_session={cookie}"))
        .send()
        .await
        .expect("detail");
    assert_eq!(detail.status(), StatusCode::OK);
    let html = detail.text().await.expect("page");
    assert!(html.contains("EX1 1AA"));
    assert!(!html.contains(&code), "the code is shown once only");

    let rotated = send(
        &format!("/admin/organisations/{id}"),
        "action=rotate".into(),
    )
    .await
    .expect("rotate");
    assert_eq!(rotated.status(), StatusCode::OK);
    let fresh = code_on(&rotated.text().await.expect("page"));
    assert_ne!(fresh, code);

    // Limits on the new code: a bad date is shown on its field.
    let bad = send(
        &format!("/admin/organisations/{id}"),
        "action=limits&expires=31%2F03%2F2027&max_uses=25".into(),
    )
    .await
    .expect("limits");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .expect("page")
            .contains("id=\"expires-error\"")
    );
    let limited = send(
        &format!("/admin/organisations/{id}"),
        "action=limits&expires=2027-03-31&max_uses=25".into(),
    )
    .await
    .expect("limits");
    assert_eq!(limited.status(), StatusCode::SEE_OTHER);
    let (max_uses, expires): (Option<i64>, Option<i64>) = sqlx::query_as(
        "select max_uses, expires_at from authorisation_codes where organisation_id = $1 and revoked_at is null",
    )
    .bind(id)
    .fetch_one(server.db.pool())
    .await
    .expect("limits");
    assert_eq!((max_uses, expires), (Some(25), Some(1_806_537_599)));

    // A shared domain may then be listed by a second organisation.
    let shared = send("/admin/organisations", "domain=NHS.net".into())
        .await
        .expect("share");
    assert_eq!(shared.status(), StatusCode::SEE_OTHER);
    let (domain,): (String,) = sqlx::query_as("select domain from shared_domains")
        .fetch_one(server.db.pool())
        .await
        .expect("shared");
    assert_eq!(domain, "nhs.net");

    let suspended = send(
        &format!("/admin/organisations/{id}"),
        "action=status&status=suspended&reason=Contract+paused".into(),
    )
    .await
    .expect("suspend");
    assert_eq!(suspended.status(), StatusCode::SEE_OTHER);
    let (status,): (String,) = sqlx::query_as("select status from organisations where id = $1")
        .bind(id)
        .fetch_one(server.db.pool())
        .await
        .expect("status");
    assert_eq!(status, "suspended");
}

/// The code in a page's one-time code panel.
fn code_on(page: &str) -> String {
    let at = page
        .find("data-testid=\"authorisation-code\"")
        .expect("a code on the page");
    let start = at + page[at..].find('>').expect("the element's text") + 1;
    page[start..].chars().take_while(|c| *c != '<').collect()
}
