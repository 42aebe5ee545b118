//! The administrators' area over HTTP: nobody else gets in, by page, by
//! form or by calling a server function directly (P2).

use super::{Browser, PASSWORD, TestServer, launch, location, plain_client};
use app::api::admin::{
    ChangeOrganisationStatus, CreateOrganisation, RotateOrganisationCode, SetCodeLimits,
    ShareDomain,
};
use backend::sessions::SessionToken;
use domain::organisation::OrganisationForm;
use leptos::server_fn::ServerFn;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, LOCATION, REFERER, SET_COOKIE};
use reqwest::{Method, StatusCode};

http_stories!(
    only_administrators_get_into_the_admin_area,
    an_administrator_creates_an_organisation_and_rotates_its_code,
    every_form_posts_the_fields_its_server_function_reads,
    organisation_names_cannot_add_markup_to_the_page_title,
    an_administrator_reads_and_exports_the_audit_trail,
    an_administrator_changes_a_website_page_and_it_is_audited,
    page_views_are_counted_without_cookies_unless_the_browser_opts_out,
    an_administrator_downloads_the_data_an_access_request_asks_for,
);

/// Every page of the admin area, read from the app's own routes (each
/// `{id}` as 1), so a new page is in the refusal matrix without a list to
/// keep by hand, and the downloads under `/admin`.
fn pages() -> Vec<String> {
    let mut pages: Vec<String> = server::router::routes()
        .iter()
        .map(|route| route.path().replace("{id}", "1"))
        .filter(|path| path == "/admin" || path.starts_with("/admin/"))
        .collect();
    assert!(pages.len() >= 17, "{pages:?}");
    pages.push(domain::audit::AUDIT_EXPORT_ROUTE.to_owned());
    pages.push(domain::stats::STATS_EXPORT_ROUTE.to_owned());
    pages.push(domain::rights::request_export_path(1));
    pages
}

/// Every administrators' server function, with arguments it would accept.
/// A function under `/api/admin` missing here fails the test: the refusal
/// matrix covers every one the app registers.
fn server_functions() -> Vec<(&'static str, String)> {
    let listed = listed_server_functions();
    let mut registered: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|path| path.starts_with("/api/admin/"))
        // A multipart upload: `http/files.rs` refuses it to everyone else.
        .filter(|path| *path != app::api::files::UploadResourceFile::PATH)
        .collect();
    registered.sort_unstable();
    let mut covered: Vec<&str> = listed.iter().map(|(path, _)| *path).collect();
    covered.sort_unstable();
    assert_eq!(
        covered, registered,
        "every administrators' server function is called with a body it accepts"
    );
    listed
}

fn listed_server_functions() -> Vec<(&'static str, String)> {
    let organisation =
        serde_urlencoded::to_string(OrganisationForm::example("X", "")).expect("organisation form");
    let resource = "title=T&summary=S&service_id=1&kind=policy&owner_id=1";
    let service = serde_urlencoded::to_string(domain::content::ServiceForm::example("X", "x"))
        .expect("service form");
    [
        ("/api/admin/organisations", "q=&status=&page=1".to_owned()),
        ("/api/admin/organisation", "id=1".to_owned()),
        ("/api/admin/organisation-create", organisation.clone()),
        (
            "/api/admin/organisation-update",
            format!("id=1&{organisation}"),
        ),
        (
            "/api/admin/organisation-status",
            "id=1&status=ended&reason=x".to_owned(),
        ),
        ("/api/admin/organisation-rotate-code", "id=1".to_owned()),
        ("/api/admin/organisation-revoke-code", "id=1".to_owned()),
        (
            "/api/admin/organisation-services",
            "id=1&services[]=1".to_owned(),
        ),
        (
            "/api/admin/organisation-code-limits",
            "id=1&expires=&max_uses=5".to_owned(),
        ),
        ("/api/admin/shared-domain", "domain=nhs.net".to_owned()),
        ("/api/admin/resource-options", String::new()),
        ("/api/admin/resource-create", resource.to_owned()),
        ("/api/admin/resource-update", format!("id=1&{resource}")),
        (
            "/api/admin/resource-status",
            "id=1&status=archived".to_owned(),
        ),
        ("/api/admin/markdown-preview", "body_md=x".to_owned()),
        ("/api/admin/reviews", String::new()),
        ("/api/admin/services", String::new()),
        ("/api/admin/service", "id=1".to_owned()),
        ("/api/admin/service-create", service.clone()),
        ("/api/admin/service-update", format!("id=1&{service}")),
        ("/api/admin/inbox-options", String::new()),
        ("/api/admin/message-assign", "id=1&assignee_id=1".to_owned()),
        ("/api/admin/message-reply", "id=1&body=Hello".to_owned()),
        ("/api/admin/message-note", "id=1&note=Hello".to_owned()),
        ("/api/admin/message-state", "id=1&state=closed".to_owned()),
        (
            "/api/admin/audit",
            "action=resource.viewed&page=2".to_owned(),
        ),
        ("/api/admin/audit-organisations", String::new()),
        ("/api/admin/audit-chain", String::new()),
        ("/api/admin/dashboard", String::new()),
        ("/api/admin/retention", String::new()),
        ("/api/admin/statistics", "days=7".to_owned()),
        ("/api/admin/pages", String::new()),
        (
            "/api/admin/members",
            "q=sam&status=active&page=2".to_owned(),
        ),
        ("/api/admin/member-organisations", String::new()),
        ("/api/admin/member", "id=1".to_owned()),
        ("/api/admin/member-resend", "id=1".to_owned()),
        ("/api/admin/member-suspend", "id=1&reason=Left".to_owned()),
        ("/api/admin/member-reinstate", "id=1".to_owned()),
        ("/api/admin/member-delete", "id=1&confirm=yes".to_owned()),
        ("/api/admin/member-second-factor", "id=1".to_owned()),
        (
            "/api/admin/member-role",
            "id=1&role=admin&code=123456".to_owned(),
        ),
        ("/api/admin/rights-requests", "page=1".to_owned()),
        ("/api/admin/rights-request", "id=1".to_owned()),
        (
            "/api/admin/rights-log",
            "kind=access&name=Pat&email=pat%40example.org&details=Copy&received=2026-01-31&link=no"
                .to_owned(),
        ),
        (
            "/api/admin/rights-extend",
            "id=1&months=1&reason=Busy".to_owned(),
        ),
        (
            "/api/admin/rights-close",
            "id=1&outcome=completed&note=Done".to_owned(),
        ),
        ("/api/admin/rights-erase", "id=1&confirm=yes".to_owned()),
        ("/api/admin/page", "slug=about".to_owned()),
        (
            "/api/admin/page-update",
            "slug=about&title=Hacked&summary=S&body_md=B".to_owned(),
        ),
    ]
    .into()
}

/// Signs in through the form, from a browser of its own (signing in ends
/// that browser's earlier session, and nobody else's), and returns the
/// session cookie's value.
pub(super) async fn sign_in(server: &TestServer, email: &str) -> String {
    let response = server
        .post_form_from::<app::api::account::SignIn>(&plain_client(), "/login")
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

pub(super) async fn admin(server: &TestServer, email: &str, second_factor: bool) -> String {
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
            &super::accounts::keys(),
            "PrimaryPoint",
            &session,
            PASSWORD,
            &setup.secret_text,
            &backend::mfa::current_code(&setup.secret_text),
        )
        .await
        .expect("enrolled");
    }
    cookie
}

/// A signed-in member of a new organisation; their session cookie.
pub(super) async fn member(server: &TestServer) -> String {
    let (_, code) = super::accounts::organisation(server).await;
    super::accounts::registered(server, &code, "sam@riverside.example").await;
    sign_in(server, "sam@riverside.example").await
}

/// Every page, form and server function of the admin area, as `cookie`.
async fn everything(
    server: &TestServer,
    cookie: Option<&str>,
) -> Vec<(String, StatusCode, String)> {
    let browser = Browser::new(server, cookie.unwrap_or_default().to_owned());
    let mut seen = Vec::new();
    for page in pages() {
        let response = browser
            .request(Method::GET, &page)
            .send()
            .await
            .expect("get");
        seen.push((
            format!("GET {page}"),
            response.status(),
            location(&response),
        ));
    }
    // Each server function, called as the page calls it and posted as a
    // plain form from the admin area.
    for (path, body) in server_functions() {
        for accept in ["application/json", "text/html"] {
            let response = browser
                .request(Method::POST, path)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, accept)
                .header(REFERER, server.url("/admin/organisations"))
                .header("sec-fetch-site", "same-origin")
                .body(body.clone())
                .send()
                .await
                .expect("post");
            seen.push((
                format!("POST {path} ({accept}) {body}"),
                response.status(),
                String::new(),
            ));
        }
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
    let (shared, limited, resources, suspended, admins): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "select (select count(*) from shared_domains), \
                    (select count(*) from authorisation_codes where max_uses is not null), \
                    (select count(*) from resources), \
                    (select count(*) from users where suspended_at is not null), \
                    (select count(*) from users where role = 'admin')",
        )
        .fetch_one(server.db.pool())
        .await
        .expect("count");
    assert_eq!(
        (shared, limited, resources, suspended, admins),
        (0, 0, 0, 0, 1)
    );
}

async fn an_administrator_creates_an_organisation_and_rotates_its_code(server: TestServer) {
    let cookie = admin(&server, "alex@csu.example", true).await;
    // A form posted from `page` to the server function at `path`.
    let send = |path: &str, page: &str, body: String| {
        server
            .client
            .post(server.url(path))
            .header(COOKIE, format!("pp_session={cookie}"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "text/html")
            .header(REFERER, server.url(page))
            .header("sec-fetch-site", "same-origin")
            .body(body)
            .send()
    };
    let get = |page: String| {
        server
            .client
            .get(server.url(&page))
            .header(COOKIE, format!("pp_session={cookie}"))
            .header(ACCEPT, "text/html")
            .send()
    };
    let form = |form: &OrganisationForm| serde_urlencoded::to_string(form).expect("form");
    let mut fields = OrganisationForm {
        ods_code: "a81001".into(),
        website: "not a url".into(),
        email_domains: "riverside.example".into(),
        ..OrganisationForm::example("Riverside Surgery", "")
    };
    // A bad website: shown on its field, everything typed kept.
    let refused = send(
        CreateOrganisation::PATH,
        "/admin/organisations/new",
        form(&fields),
    )
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

    fields.website = "https://riverside.example".into();
    let created = send(
        CreateOrganisation::PATH,
        "/admin/organisations/new",
        form(&fields),
    )
    .await
    .expect("post");
    // Post/redirect/get: the organisation's page shows the code, once.
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let (id,): (i64,) = sqlx::query_as("select id from organisations where ods_code = 'A81001'")
        .fetch_one(server.db.pool())
        .await
        .expect("stored with a normalised ODS code");
    let at = format!("/admin/organisations/{id}");
    assert_eq!(created.headers()[LOCATION], at.as_str());
    let page = get(at.clone())
        .await
        .expect("page")
        .text()
        .await
        .expect("page");
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

    // A refresh shows it no more.
    let detail = get(at.clone()).await.expect("detail");
    assert_eq!(detail.status(), StatusCode::OK);
    let html = detail.text().await.expect("page");
    assert!(html.contains("EX1 1AA"));
    assert!(!html.contains(&code), "the code is shown once only");

    let rotated = send(RotateOrganisationCode::PATH, &at, format!("id={id}"))
        .await
        .expect("rotate");
    assert_eq!(rotated.status(), StatusCode::SEE_OTHER);
    let fresh = code_on(
        &get(at.clone())
            .await
            .expect("page")
            .text()
            .await
            .expect("page"),
    );
    assert_ne!(fresh, code);
    let again = get(at.clone())
        .await
        .expect("page")
        .text()
        .await
        .expect("page");
    assert!(!again.contains(&fresh), "the new code is shown once only");

    // Limits on the new code: a bad date is shown on its field.
    let bad = send(
        SetCodeLimits::PATH,
        &at,
        format!("id={id}&expires=31%2F03%2F2027&max_uses=25"),
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
        SetCodeLimits::PATH,
        &at,
        format!("id={id}&expires=2027-03-31&max_uses=25"),
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
    let end_of_day = domain::organisation::parse_code_expiry("2027-03-31").expect("a date");
    assert_eq!((max_uses, expires), (Some(25), end_of_day));

    // A shared domain may then be listed by a second organisation.
    let shared = send(
        ShareDomain::PATH,
        "/admin/organisations",
        "domain=NHS.net".into(),
    )
    .await
    .expect("share");
    assert_eq!(shared.status(), StatusCode::SEE_OTHER);
    let (domain,): (String,) = sqlx::query_as("select domain from shared_domains")
        .fetch_one(server.db.pool())
        .await
        .expect("shared");
    assert_eq!(domain, "nhs.net");

    let suspended = send(
        ChangeOrganisationStatus::PATH,
        &at,
        format!("id={id}&status=suspended&reason=Contract+paused"),
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

/// The `(action, fields)` of each POST form in `html`: every input,
/// select and textarea by name, with its value (or "x").
pub(super) fn post_forms(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    fn attr(tag: &str, name: &str) -> Option<String> {
        let needle = format!(" {name}=\"");
        let start = tag.find(&needle)? + needle.len();
        Some(tag[start..].split('"').next()?.replace("&amp;", "&"))
    }
    html.split("<form")
        .skip(1)
        .filter_map(|chunk| {
            let (tag, rest) = chunk.split_once('>')?;
            // Uploads are multipart; the files tests post those.
            if !tag.contains("method=\"post\"") || tag.contains("multipart/form-data") {
                return None;
            }
            let action = attr(tag, "action")?;
            let body = rest.split("</form>").next()?;
            let fields = ["<input", "<select", "<textarea"]
                .iter()
                .flat_map(|open| body.split(open).skip(1))
                .filter_map(|element| {
                    let tag = element.split('>').next()?;
                    let name = attr(tag, "name")?;
                    let value = attr(tag, "value").unwrap_or_else(|| "x".to_owned());
                    Some((name, value))
                })
                .collect();
            Some((action, fields))
        })
        .collect()
}

async fn every_form_posts_the_fields_its_server_function_reads(server: TestServer) {
    let (id, _) = super::accounts::organisation(&server).await;
    let new_admin = admin(&server, "new.admin@csu.example", false).await;
    let admin = admin(&server, "alex@csu.example", true).await;
    let resource = super::library::draft(&server, &admin).await;
    let message = super::messages::enquiry(&server).await;
    // Someone yet to confirm their address, and someone suspended: their
    // records offer every form an account can have.
    let (unconfirmed, suspended): (i64, i64) = {
        let add = |email: &'static str, verified: Option<i64>, suspended: Option<i64>| {
            sqlx::query_as::<_, (i64,)>(
                "insert into users (email, full_name, password_hash, role, organisation_id, \
                 email_verified_at, suspended_at, created_at, updated_at) \
                 values ($1, 'Pat Person', 'not-a-hash', 'member', $2, $3, $4, 1, 1) returning id",
            )
            .bind(email)
            .bind(id)
            .bind(verified)
            .bind(suspended)
            .fetch_one(server.db.pool())
        };
        let (unconfirmed,) = add("pat@riverside.example", None, None)
            .await
            .expect("user");
        let (suspended,) = add("lee@riverside.example", Some(1), Some(1))
            .await
            .expect("user");
        (unconfirmed, suspended)
    };
    // An erasure request about a member of its own (the form posted here
    // with every box ticked erases them): its page offers every form a
    // request can have.
    let (request,): (i64,) = sqlx::query_as(
        "insert into rights_requests (user_id, kind, details, received_on, due_on, state, \
         created_at, updated_at) \
         select id, 'erasure', 'Erase me', 0, 2678400, 'open', 1, 1 from users where email = $1 \
         returning id",
    )
    .bind(
        sqlx::query_as::<_, (String,)>(
            "insert into users (email, full_name, password_hash, role, organisation_id, \
             email_verified_at, created_at, updated_at) \
             values ('quinn@riverside.example', 'Quinn Person', 'not-a-hash', 'member', $1, 1, 1, 1) \
             returning email",
        )
        .bind(id)
        .fetch_one(server.db.pool())
        .await
        .expect("user")
        .0,
    )
    .fetch_one(server.db.pool())
    .await
    .expect("request");
    let pages: Vec<(String, Option<&str>)> = vec![
        ("/contact".into(), None),
        (domain::rights::REQUESTS.into(), Some(&admin)),
        (domain::rights::request_path(request), Some(&admin)),
        ("/register".into(), None),
        ("/login".into(), None),
        ("/forgot-password".into(), None),
        ("/reset-password?token=x".into(), None),
        ("/verify-email?token=x".into(), None),
        ("/confirm-email?token=x".into(), None),
        ("/account/two-factor".into(), Some(&new_admin)),
        ("/account/password".into(), Some(&admin)),
        ("/account/email".into(), Some(&admin)),
        ("/admin/organisations".into(), Some(&admin)),
        ("/admin/organisations/new".into(), Some(&admin)),
        (format!("/admin/organisations/{id}/edit"), Some(&admin)),
        (format!("/admin/organisations/{id}"), Some(&admin)),
        ("/admin/library/new".into(), Some(&admin)),
        (format!("/admin/library/{resource}"), Some(&admin)),
        (format!("/admin/library/{resource}/edit"), Some(&admin)),
        ("/admin/services/new".into(), Some(&admin)),
        ("/admin/services/1".into(), Some(&admin)),
        ("/portal/messages/new".into(), Some(&admin)),
        (format!("/admin/messages/{message}"), Some(&admin)),
        ("/portal/library".into(), Some(&admin)),
        (format!("/portal/library/{resource}"), Some(&admin)),
        (format!("/admin/members/{unconfirmed}"), Some(&admin)),
        (format!("/admin/members/{suspended}"), Some(&admin)),
        (domain::mydata::MY_DATA.into(), Some(&admin)),
    ];
    let mut checked = 0;
    for (page, cookie) in pages {
        let browser = Browser::new(&server, cookie.unwrap_or_default().to_owned());
        let (_, html) = browser.get(&page).await;
        // The header's sign-out form is checked once, not on every page.
        let forms: Vec<_> = post_forms(&html)
            .into_iter()
            .filter(|(action, _)| action != app::api::account::SignOut::PATH)
            .collect();
        assert!(!forms.is_empty(), "{page} has a form");
        for (action, fields) in forms {
            assert!(
                action.starts_with("/api/"),
                "{page} posts to a server function: {action}"
            );
            let response = browser
                .request(Method::POST, &action)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "application/json")
                .header("sec-fetch-site", "same-origin")
                .body(serde_urlencoded::to_string(&fields).expect("form"))
                .send()
                .await
                .expect("post");
            let status = response.status();
            let body = response.text().await.expect("body");
            assert_ne!(
                status,
                StatusCode::BAD_REQUEST,
                "{page} → {action}: the function could not read {fields:?}: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 39, "only {checked} forms checked");
}

async fn organisation_names_cannot_add_markup_to_the_page_title(server: TestServer) {
    let cookie = admin(&server, "alex@csu.example", true).await;
    let hostile = HOSTILE;
    let (id, _) = super::accounts::organisation(&server).await;
    sqlx::query("update organisations set name = $1 where id = $2")
        .bind(hostile)
        .bind(id)
        .execute(server.db.pool())
        .await
        .expect("rename");
    sqlx::query("update services set name = $1")
        .bind(hostile)
        .execute(server.db.pool())
        .await
        .expect("rename services");
    let (slug,): (String,) = sqlx::query_as("select slug from services order by id limit 1")
        .fetch_one(server.db.pool())
        .await
        .expect("a service");
    sqlx::query("update pages set title = $1 where slug = 'about'")
        .bind(hostile)
        .execute(server.db.pool())
        .await
        .expect("rename page");
    let (person,): (i64,) = sqlx::query_as(
        "insert into users (email, full_name, password_hash, role, organisation_id, suspended_at, \
         suspension_reason, created_at, updated_at) \
         values ('pat@riverside.example', $1, 'not-a-hash', 'member', $2, 1, $1, 1, 1) returning id",
    )
    // Their name and the reason they were suspended, both shown on their
    // record.
    .bind(hostile)
    .bind(id)
    .fetch_one(server.db.pool())
    .await
    .expect("a person");
    // A request from someone who wrote in: their name and words.
    let (request,): (i64,) = sqlx::query_as(
        "insert into rights_requests (requester_name, requester_email, kind, details, received_on, \
         due_on, state, created_at, updated_at) \
         values ($1, 'pat@example.org', 'access', $1, 0, 2678400, 'open', 1, 1) returning id",
    )
    .bind(hostile)
    .fetch_one(server.db.pool())
    .await
    .expect("a request");
    for page in [
        format!("/admin/members/{person}"),
        format!("/admin/organisations/{id}"),
        format!("/services/{slug}"),
        "/page/about".to_owned(),
        "/admin/pages/about".to_owned(),
    ] {
        let html = server
            .client
            .get(server.url(&page))
            .header(COOKIE, format!("pp_session={cookie}"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert_title_is_text(&page, &html);
    }
    // The lists show the hostile names as text: the website pages' titles,
    // and the member list's person and organisation.
    // A request's page names the person as text, and its title (kept in
    // the tab and the browser's history) names only the request.
    let page = domain::rights::request_path(request);
    let html = server
        .client
        .get(server.url(&page))
        .header(COOKIE, format!("pp_session={cookie}"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert_body_is_text(&page, &html);
    let title = html
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .expect("the title");
    assert_eq!(title, format!("Access request {request} – PrimaryPoint"));
    for list in ["/admin/pages", "/admin/members", domain::rights::REQUESTS] {
        let html = server
            .client
            .get(server.url(list))
            .header(COOKIE, format!("pp_session={cookie}"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert_body_is_text(list, &html);
    }
}

/// Checks that the hostile name reached `page`'s body as text: shown, and
/// no markup of its own.
pub(super) fn assert_body_is_text(page: &str, html: &str) {
    assert!(
        !html.contains("<meta http-equiv=\"refresh\"") && !html.contains("<script>alert(1)"),
        "{page}: markup injected"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}: the name is not shown"
    );
}

/// Checks that the hostile name used by these tests reached `page`'s title
/// as text: one title, closed once, no injected markup anywhere.
pub(super) fn assert_title_is_text(page: &str, html: &str) {
    let head = html.split("</head>").next().expect("a head");
    assert_eq!(head.matches("<title>").count(), 1, "{page}");
    assert_eq!(
        head.matches("</title>").count(),
        1,
        "{page}: the name closed the title"
    );
    if let Some(at) = html.find("<meta http-equiv=\"refresh\"") {
        let from = html[..at]
            .char_indices()
            .rev()
            .nth(200)
            .map_or(0, |(i, _)| i);
        panic!("{page}: markup injected: …{}", &html[from..at + 40]);
    }
    assert!(
        !html.contains("<script>alert(1)"),
        "{page}: script injected"
    );
    let title = head
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .expect("the title");
    assert!(
        title.contains("&lt;/title&gt;&lt;meta http-equiv=\"refresh\"")
            && title.contains(" &amp; \"Sons\" &lt;script&gt;"),
        "{page}: {title}"
    );
}

/// A name that tries to close the title (or a text area holding it) and
/// add markup.
pub(super) const HOSTILE: &str = r#"</textarea></title><meta http-equiv="refresh" content="0;url=https://evil.example/"> & "Sons" <script>alert(1)</script>"#;

async fn an_administrator_reads_and_exports_the_audit_trail(server: TestServer) {
    let member_cookie = member(&server).await;
    let browser = Browser::new(&server, admin(&server, "alex@csu.example", true).await);

    // The member's sign-in is on the trail, with their organisation.
    let (status, html) = browser
        .get("/admin/audit?actor=sam%40riverside.example&action=account.signed_in")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1 event"), "{html}");
    assert!(html.contains("Riverside Surgery"), "{html}");
    assert!(
        html.contains(
            "/admin/audit/export.csv?actor=sam%40riverside.example&amp;action=account.signed_in"
        ),
        "{html}"
    );

    // The dashboard draws the sign-ins, the member's and the
    // administrator's, as SVG with a table beside it.
    let (status, html) = browser.get("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains("Sign-ins per day: 2 in all"), "{html}");
    assert!(html.contains("1 active, 0 suspended, 0 ended"), "{html}");

    // The trail shows stored names as text.
    sqlx::query("update organisations set name = $1")
        .bind(HOSTILE)
        .execute(server.db.pool())
        .await
        .expect("rename");
    let (status, html) = browser.get("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert_body_is_text("/admin/audit", &html);

    let (status, html) = browser.get("/admin/audit/chain").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"chain-intact\""), "{html}");

    // The export: CSV, to be saved, never cached, and itself on record.
    let response = browser
        .request(
            Method::GET,
            "/admin/audit/export.csv?action=account.signed_in",
        )
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header(CONTENT_TYPE), "text/csv; charset=utf-8");
    assert!(
        header(reqwest::header::CONTENT_DISPOSITION).starts_with("attachment; filename=\"audit-")
    );
    assert_eq!(header(reqwest::header::CACHE_CONTROL), "private, no-store");
    let csv = response.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,seq,time_utc,actor,"), "{csv}");
    assert_eq!(lines.len(), 3, "a header and two sign-ins: {csv}");
    assert!(
        lines
            .iter()
            .skip(1)
            .all(|l| l.contains(",account.signed_in,")),
        "{csv}"
    );
    assert_eq!(exports(&server).await, 1);

    // Compressed as a browser asks, it still arrives whole (the body is
    // read to its end, and a second export is recorded).
    let response = browser
        .request(
            Method::GET,
            "/admin/audit/export.csv?action=account.signed_in",
        )
        .header(reqwest::header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .contains_key(reqwest::header::CONTENT_ENCODING)
    );
    let compressed = response.bytes().await.expect("the whole body");
    assert!(!compressed.is_empty());
    assert_eq!(exports(&server).await, 2);

    // A link from another site does not start one in the administrator's
    // name, and a member is refused; neither is recorded.
    let response = browser
        .request(Method::GET, "/admin/audit/export.csv")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = Browser::new(&server, member_cookie)
        .request(Method::GET, "/admin/audit/export.csv")
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(exports(&server).await, 2);
}

async fn exports(server: &TestServer) -> i64 {
    let (exports,): (i64,) =
        sqlx::query_as("select count(*) from audit_events where action = 'audit.exported'")
            .fetch_one(server.db.pool())
            .await
            .expect("count");
    exports
}

async fn an_administrator_changes_a_website_page_and_it_is_audited(server: TestServer) {
    let browser = Browser::new(&server, admin(&server, "alex@csu.example", true).await);
    let (status, html) = browser.get("/admin/pages").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/admin/pages/privacy-policy"), "{html}");

    // A blank title is refused on its field, and what was typed is kept.
    let mut form = domain::content::PageForm {
        title: " ".into(),
        summary: "Who we are.".into(),
        body_md: "## We support practices\n\nKept as typed.".into(),
    };
    let slug = [("slug", "about")];
    let body = |form: &domain::content::PageForm| {
        format!(
            "{}&{}",
            serde_urlencoded::to_string(slug).expect("slug"),
            serde_urlencoded::to_string(form).expect("form")
        )
    };
    let response = browser
        .form::<app::api::content::UpdatePage>("/admin/pages/about")
        .body(body(&form))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("Enter a title"), "{html}");
    assert!(html.contains("Kept as typed."), "{html}");

    // A first-time visitor's copy of the page (kept rendered for the
    // next one) changes as soon as the page does.
    let visitor = Browser::new(&server, String::new());
    let (_, before) = visitor.get("/page/about").await;
    assert!(!before.contains("We support practices"), "{before}");

    form.title = "About the unit".into();
    let response = browser
        .form::<app::api::content::UpdatePage>("/admin/pages/about")
        .body(body(&form))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/pages/about?saved=changed");
    let (_, html) = browser.get("/page/about").await;
    assert!(html.contains("We support practices"), "{html}");
    let (_, after) = visitor.get("/page/about").await;
    assert!(after.contains("We support practices"), "{after}");
    let (detail,): (String,) = sqlx::query_as(
        "select detail from audit_events where action = 'page.updated' and subject = 'page:about'",
    )
    .fetch_one(server.db.pool())
    .await
    .expect("one audit event");
    let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
    assert_eq!(detail["after"]["title"], "About the unit");
    assert_ne!(detail["before"]["title"], detail["after"]["title"]);
}

/// P8 and P10: a visit sets no cookie and is counted by page and
/// referring site, in total only; a browser sending Do Not Track or Global
/// Privacy Control is not counted, nor is a page that does not exist.
async fn page_views_are_counted_without_cookies_unless_the_browser_opts_out(server: TestServer) {
    let visitor = plain_client();
    let visit = |path: &str, header: Option<(&'static str, &'static str)>| {
        let mut request = visitor
            .get(server.url(path))
            .header(ACCEPT, "text/html")
            .header(REFERER, "https://www.nhs.uk/conditions/?name=someone");
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };
    let counted = visit("/", None).await.expect("home");
    assert_eq!(counted.status(), StatusCode::OK);
    assert!(
        counted.headers().get(SET_COOKIE).is_none(),
        "no cookie before sign-in"
    );
    for (path, header) in [
        ("/services", Some(("dnt", "1"))),
        ("/about-us-not-here", None),
        ("/page/cookies", Some(("sec-gpc", "1"))),
    ] {
        let response = visit(path, header).await.expect("visit");
        assert!(response.headers().get(SET_COOKIE).is_none(), "{path}");
    }
    // Pages reached without a reload are counted by the page's own call,
    // with the same rule.
    let moved = |path: &str, header: Option<(&'static str, &'static str)>| {
        let mut request = server
            .call(app::api::stats::CountView::PATH)
            .body(format!("path={path}"));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };
    for (path, header) in [
        ("/contact", None),
        ("/register", Some(("dnt", "1"))),
        ("/login", Some(("sec-gpc", "1"))),
        ("/made/up/path", None),
    ] {
        let response = moved(path, header).await.expect("count");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }

    let browser = Browser::new(&server, admin(&server, "alex@csu.example", true).await);
    let (status, html) = browser.get("/admin/statistics?days=7").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Page views per day: 2 in all"), "{html}");
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains("<td>www.nhs.uk</td><td>1</td>"), "{html}");
    let pages = html
        .split("data-testid=\"pages\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("the pages table");
    assert!(pages.contains("<td>/contact</td><td>1</td>"), "{pages}");
    assert!(
        !pages.contains("/register") && !pages.contains("/login"),
        "{pages}"
    );

    let response = browser
        .request(Method::GET, "/admin/statistics.csv?days=7")
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment")),
        "{response:?}"
    );
    let csv = response.text().await.expect("csv");
    let today = domain::library::iso_date(backend::clock::now());
    let mut rows: Vec<&str> = csv.lines().skip(1).collect();
    rows.sort_unstable();
    assert_eq!(
        rows,
        [
            format!("{today},/,www.nhs.uk,1"),
            format!("{today},/admin/statistics,,1"),
            format!("{today},/contact,,1"),
        ],
        "{csv}"
    );
    // The table holds the counts and nothing else.
    let stored: Vec<(String, String)> =
        sqlx::query_as("select path, referrer from page_views order by path")
            .fetch_all(server.db.pool())
            .await
            .expect("rows");
    assert_eq!(stored.len(), 3, "{stored:?}");
}

async fn an_administrator_downloads_the_data_an_access_request_asks_for(server: TestServer) {
    let member_cookie = member(&server).await;
    let browser = Browser::new(&server, admin(&server, "alex@csu.example", true).await);
    let (sam,): (i64,) =
        sqlx::query_as("select id from users where email = 'sam@riverside.example'")
            .fetch_one(server.db.pool())
            .await
            .expect("sam");
    // Sam asks from their data page, as a form posted without JavaScript.
    let sam_browser = Browser::new(&server, member_cookie);
    let response = sam_browser
        .request(Method::POST, app::api::rights::MakeRightsRequest::PATH)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "text/html")
        .header(REFERER, server.url(domain::mydata::MY_DATA))
        .header("sec-fetch-site", "same-origin")
        .body("kind=access&details=A+copy+of+everything")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (id,): (i64,) = sqlx::query_as("select id from rights_requests where user_id = $1")
        .bind(sam)
        .fetch_one(server.db.pool())
        .await
        .expect("a request");
    let (status, html) = sam_browser.get(domain::mydata::MY_DATA).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"my-requests\""), "{html}");

    // The administrators' list and the request's page show it, due.
    let (status, html) = browser.get(domain::rights::REQUESTS).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&domain::rights::request_path(id)), "{html}");
    let due = domain::rights::due_date(domain::rights::day_of(backend::clock::now()));
    assert!(
        html.contains(&domain::library::long_date(due)),
        "due a calendar month after today: {html}"
    );
    let (status, html) = browser.get(&domain::rights::request_path(id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("download-their-data"), "{html}");

    // The dashboard counts it with the others to answer.
    let (status, html) = browser.get("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("0 overdue, 0 due within 7 days"),
        "due in a month: {html}"
    );

    // The download: Sam's data, as JSON, to be saved, and on record.
    let response = browser
        .request(Method::GET, &domain::rights::request_export_path(id))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let json: serde_json::Value = response.json().await.expect("json");
    assert_eq!(json["sections"]["account"]["rows"][0]["id"], sam);
    let (events,): (i64,) = sqlx::query_as(
        "select count(*) from audit_events where action = 'rights.data_exported' and subject = $1",
    )
    .bind(format!("rights_request:{id}"))
    .fetch_one(server.db.pool())
    .await
    .expect("count");
    assert_eq!(events, 1);
    // Not started from another site.
    let response = browser
        .request(Method::GET, &domain::rights::request_export_path(id))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
