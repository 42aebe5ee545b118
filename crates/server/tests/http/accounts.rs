//! Registration, sign-in and sessions over HTTP (P2, P3, P12).

use super::{PASSWORD, TestServer, launch, launch_with, location, plain_client};
use app::api::account::{Register, SignIn, SignOut, VerifyEmail};
use backend::audit::Actor;
use backend::keys::{CodeKey, Keys};
use backend::orgs;
use domain::authcode::AuthCode;
use domain::organisation::{OrgStatus, OrganisationForm};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use reqwest::header::{ORIGIN, SET_COOKIE};

http_stories!(
    a_member_registers_verifies_signs_in_and_out_without_javascript,
    known_and_unknown_emails_get_the_same_answers,
    failed_sign_ins_are_throttled_and_the_throttle_lifts,
    the_session_id_changes_at_sign_in_and_the_cookie_is_locked_down,
    cross_origin_sign_ins_are_refused,
    next_is_followed_only_to_a_local_path,
    a_suspended_organisations_member_is_refused_at_the_next_request,
    signed_out_people_are_sent_to_sign_in,
    a_link_token_never_travels_in_a_form_address,
    a_member_sees_and_downloads_everything_held_about_them,
);

/// The keys the test servers derive from their secret.
pub(super) fn keys() -> Keys {
    Keys::derive(super::SECRET.as_bytes()).expect("keys")
}

pub(super) fn key() -> CodeKey {
    keys().codes().clone()
}

pub(super) async fn organisation(server: &TestServer) -> (i64, AuthCode) {
    let org = OrganisationForm::example("Riverside Surgery", "")
        .validate()
        .expect("valid");
    orgs::create(&server.db, &key(), &Actor::Operator, &org)
        .await
        .expect("organisation")
}

/// The token in the newest mail to `to`.
pub(super) async fn mailed_token(server: &TestServer, to: &str) -> String {
    let (body,): (String,) =
        sqlx::query_as("select body from outbox where recipient = $1 order by id desc limit 1")
            .bind(to)
            .fetch_one(server.db.pool())
            .await
            .expect("a mail");
    let start = body.find("token=").expect("a link") + "token=".len();
    body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Registers `email` with `code` through the backend and confirms the
/// address from the mailed link.
pub(super) async fn registered(server: &TestServer, code: &AuthCode, email: &str) {
    backend::auth::register(
        &server.db,
        &key(),
        &domain::site::SiteInfo::default(),
        "setup",
        &domain::account::RegistrationInput {
            code: code.to_string(),
            full_name: "Sam Member".into(),
            email: email.into(),
            password: PASSWORD.into(),
            privacy: true,
        },
    )
    .await
    .expect("registered");
    let token = mailed_token(server, email).await;
    assert!(
        backend::auth::verify_email(&server.db, "setup", &token, PASSWORD)
            .await
            .expect("verify")
    );
}

/// A verified member of a new organisation; the organisation's id.
async fn member(server: &TestServer, email: &str) -> i64 {
    let (org, code) = organisation(server).await;
    registered(server, &code, email).await;
    org
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("pp_session="))
        .map(str::to_owned)
}

async fn sign_in_form(
    server: &TestServer,
    email: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    server
        .post_form::<SignIn>("/login")
        .body(
            serde_urlencoded::to_string([("email", email), ("password", password), ("next", next)])
                .expect("form"),
        )
        .send()
        .await
        .expect("sign in")
}

async fn a_member_registers_verifies_signs_in_and_out_without_javascript(server: TestServer) {
    let (_, code) = organisation(&server).await;
    let form = serde_urlencoded::to_string([
        ("code", code.to_string().to_lowercase().as_str()),
        ("full_name", "Robin Reception"),
        ("email", "robin@riverside.example"),
        ("password", PASSWORD),
        ("privacy", "yes"),
    ])
    .expect("form");
    let registered = server
        .post_form::<Register>("/register")
        .body(form)
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&registered), "/register/check-email");

    let token = mailed_token(&server, "robin@riverside.example").await;
    // Opening the link changes nothing (mail scanners follow links).
    let page = server
        .client
        .get(server.url(&format!("/verify-email?token={token}")))
        .send()
        .await
        .expect("link");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        sign_in_form(&server, "robin@riverside.example", PASSWORD, "")
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not usable before the address is confirmed"
    );
    let verified = server
        .post_form::<VerifyEmail>(&format!("/verify-email?token={token}"))
        .body(
            serde_urlencoded::to_string([("token", token.as_str()), ("password", PASSWORD)])
                .expect("form"),
        )
        .send()
        .await
        .expect("verify");
    assert_eq!(location(&verified), "/login?verified=1");

    let signed_in = sign_in_form(&server, "robin@riverside.example", PASSWORD, "").await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), "/portal");
    let portal = server
        .client
        .get(server.url("/portal"))
        .send()
        .await
        .expect("portal");
    assert_eq!(portal.status(), StatusCode::OK);
    assert_eq!(
        portal.headers()[reqwest::header::CACHE_CONTROL],
        "no-store",
        "signed-in pages are never cached"
    );
    let html = portal.text().await.expect("html");
    assert!(html.contains("Welcome, Robin Reception"));
    assert!(html.contains("Riverside Surgery"));
    assert!(!html.contains(PASSWORD), "P12");

    let signed_out = server
        .post_form::<SignOut>("/portal")
        .body("")
        .send()
        .await
        .expect("sign out");
    assert_eq!(location(&signed_out), "/login?signed-out=1");
    assert_eq!(signed_out.headers()["clear-site-data"], "\"cache\"");
    assert!(session_cookie(&signed_out).is_some_and(|c| c.contains("Max-Age=0")));
    let after = server
        .client
        .get(server.url("/portal"))
        .send()
        .await
        .expect("portal");
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

async fn known_and_unknown_emails_get_the_same_answers(server: TestServer) {
    member(&server, "sam@riverside.example").await;
    let (_, code) = organisation(&server).await;

    let api = |path: &'static str, form: Vec<(&'static str, String)>| {
        let request = server
            .client
            .post(server.url(path))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header("sec-fetch-site", "same-origin")
            .body(serde_urlencoded::to_string(form).expect("form"));
        async move {
            let response = request.send().await.expect("call");
            (response.status(), response.text().await.expect("body"))
        }
    };
    let sign_in = |email: &str| {
        vec![
            ("email", email.to_owned()),
            ("password", "not the password".to_owned()),
        ]
    };
    let known = api("/api/account/sign-in", sign_in("sam@riverside.example")).await;
    let unknown = api("/api/account/sign-in", sign_in("nobody@riverside.example")).await;
    assert_eq!(known.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(known, unknown, "sign-in");
    assert!(known.1.contains(domain::account::SIGN_IN_REFUSED));

    let register = |email: &str| {
        vec![
            ("code", code.to_string()),
            ("full_name", "Someone".to_owned()),
            ("email", email.to_owned()),
            ("password", PASSWORD.to_owned()),
            ("privacy", "yes".to_owned()),
        ]
    };
    let known = api("/api/account/register", register("sam@riverside.example")).await;
    let unknown = api("/api/account/register", register("new@riverside.example")).await;
    assert_eq!(known.0, StatusCode::OK);
    assert_eq!(known, unknown, "registration");

    let reset = |email: &str| vec![("email", email.to_owned())];
    let known = api(
        "/api/account/forgot-password",
        reset("sam@riverside.example"),
    )
    .await;
    let unknown = api(
        "/api/account/forgot-password",
        reset("nobody@riverside.example"),
    )
    .await;
    assert_eq!(known.0, StatusCode::OK);
    assert_eq!(known, unknown, "reset");
}

async fn failed_sign_ins_are_throttled_and_the_throttle_lifts(server: TestServer) {
    use domain::account::sign_in_throttle::{FREE_FAILURES, WINDOW_SECS, wait_secs};
    member(&server, "sam@riverside.example").await;
    for _ in 0..FREE_FAILURES {
        let refused = sign_in_form(&server, "sam@riverside.example", "wrong password!", "").await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let waiting = sign_in_form(&server, "sam@riverside.example", PASSWORD, "").await;
    assert_eq!(waiting.status(), StatusCode::TOO_MANY_REQUESTS);
    // At most the first wait after the free failures, in whole seconds.
    let wait = wait_secs(FREE_FAILURES, FREE_FAILURES);
    let retry_after: Option<i64> = waiting
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    assert!(
        retry_after.is_some_and(|secs| (1..=wait).contains(&secs)),
        "Retry-After {retry_after:?}, at most {wait}"
    );
    assert!(
        waiting
            .text()
            .await
            .expect("page")
            .contains("Too many attempts. Wait")
    );

    sqlx::query("update sign_in_failures set failed_at = failed_at - $1")
        .bind(WINDOW_SECS + 1)
        .execute(server.db.pool())
        .await
        .expect("age");
    let signed_in = sign_in_form(&server, "sam@riverside.example", PASSWORD, "").await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
}

async fn the_session_id_changes_at_sign_in_and_the_cookie_is_locked_down(server: TestServer) {
    member(&server, "sam@riverside.example").await;
    let first = session_cookie(&sign_in_form(&server, "sam@riverside.example", PASSWORD, "").await)
        .expect("a session cookie");
    let second =
        session_cookie(&sign_in_form(&server, "sam@riverside.example", PASSWORD, "").await)
            .expect("a session cookie");
    let value = |cookie: &str| cookie.split(';').next().unwrap_or_default().to_owned();
    assert_ne!(value(&first), value(&second), "a new id at every sign-in");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(first.contains(attribute), "{attribute} in {first}");
    }
    assert!(!first.contains("Max-Age") && !first.contains("Expires"));
    // The old session ended when the new one began in this browser.
    let (live,): (i64,) = sqlx::query_as("select count(*) from sessions")
        .fetch_one(server.db.pool())
        .await
        .expect("count");
    assert_eq!(live, 1);

    // Served over HTTPS (here: PUBLIC_URL says so), the cookie is Secure
    // and __Host- prefixed.
    let https = launch_with(&server.test_db_url, "https://portal.example").await;
    let response = sign_in_form(&https, "sam@riverside.example", PASSWORD, "").await;
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(cookie.starts_with("__Host-pp_session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Domain="));
}

async fn cross_origin_sign_ins_are_refused(server: TestServer) {
    member(&server, "sam@riverside.example").await;
    let response = server
        .client
        .post(server.url("/api/account/sign-in"))
        .header(ORIGIN, "https://evil.example")
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(format!(
            "email=sam%40riverside.example&password={}",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&response).is_none());
}

async fn next_is_followed_only_to_a_local_path(server: TestServer) {
    member(&server, "sam@riverside.example").await;
    for (next, expected) in [
        ("//evil.example", "/portal"),
        ("https://evil.example/", "/portal"),
        ("/\\evil.example", "/portal"),
        ("/account", "/account"),
    ] {
        let response = sign_in_form(&server, "sam@riverside.example", PASSWORD, next).await;
        assert_eq!(location(&response), expected, "next={next}");
    }
}

async fn a_suspended_organisations_member_is_refused_at_the_next_request(server: TestServer) {
    let org = member(&server, "sam@riverside.example").await;
    sign_in_form(&server, "sam@riverside.example", PASSWORD, "").await;
    let portal = server
        .client
        .get(server.url("/portal"))
        .send()
        .await
        .expect("portal");
    assert_eq!(portal.status(), StatusCode::OK);

    orgs::change_status(
        &server.db,
        &Actor::Operator,
        org,
        OrgStatus::Suspended,
        "Contract ended",
    )
    .await
    .expect("suspend");
    let portal = server
        .client
        .get(server.url("/portal"))
        .send()
        .await
        .expect("portal");
    assert_eq!(portal.status(), StatusCode::SEE_OTHER);
    assert!(location(&portal).starts_with("/login"));
    assert_eq!(
        sign_in_form(&server, "sam@riverside.example", PASSWORD, "")
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn signed_out_people_are_sent_to_sign_in(server: TestServer) {
    for (path, next) in [
        ("/portal", "%2Fportal"),
        ("/account", "%2Faccount"),
        ("/account/two-factor", "%2Faccount%2Ftwo-factor"),
        ("/admin", "%2Fadmin"),
    ] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), format!("/login?next={next}"));
    }
    let change = server
        .call("/api/account/change-password")
        .body("current_password=x&new_password=y")
        .send()
        .await
        .expect("post");
    assert_eq!(change.status(), StatusCode::UNAUTHORIZED);
}

/// A one-time link's token stays out of every form address (where it would
/// reach logs and history), yet a refused form keeps it for the next try.
async fn a_link_token_never_travels_in_a_form_address(server: TestServer) {
    const TOKEN: &str = "link-token-7c1e0b9d";
    for page in ["/reset-password", "/verify-email", "/confirm-email"] {
        let html = server
            .client
            .get(server.url(&format!("{page}?token={TOKEN}")))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        let forms = super::admin::post_forms(&html);
        assert!(!forms.is_empty(), "{page} has a form");
        for (action, fields) in forms {
            assert!(!action.contains(TOKEN), "{page}: {action}");
            if action.starts_with(app::api::account::ResetPassword::PATH) {
                let posted: Vec<_> = fields
                    .into_iter()
                    .map(|(name, value)| match name.as_str() {
                        "password" => (name, "short".to_owned()),
                        _ => (name, value),
                    })
                    .collect();
                let refused = server
                    .client
                    .post(server.url(&action))
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .header(reqwest::header::ACCEPT, "text/html")
                    .header("sec-fetch-site", "same-origin")
                    .body(serde_urlencoded::to_string(&posted).expect("form"))
                    .send()
                    .await
                    .expect("post");
                assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
                let again = refused.text().await.expect("page");
                assert!(
                    again.contains(&format!("value=\"{TOKEN}\"")),
                    "the refused form keeps its token"
                );
            }
        }
    }
}

async fn a_member_sees_and_downloads_everything_held_about_them(server: TestServer) {
    let cookie = super::admin::member(&server).await;
    let hostile = super::admin::HOSTILE;
    sqlx::query("update users set full_name = $1 where email = 'sam@riverside.example'")
        .bind(hostile)
        .execute(server.db.pool())
        .await
        .expect("rename");
    let sam = super::Browser::new(&server, cookie);
    let (status, page) = sam.get(domain::mydata::MY_DATA).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("sam@riverside.example"), "their address");
    assert!(page.contains("password_hash"), "what is withheld is named");
    super::admin::assert_body_is_text(domain::mydata::MY_DATA, &page);

    let download = |site: &'static str| {
        sam.request(reqwest::Method::GET, domain::mydata::MY_DATA_EXPORT_ROUTE)
            .header("sec-fetch-site", site)
            .send()
    };
    let response = download("same-origin").await.expect("download");
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response
        .headers()
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"my-data-"),
        "{disposition}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&response.text().await.expect("body")).expect("JSON");
    let account = &json["sections"]["account"]["rows"][0];
    assert_eq!(account["email"], "sam@riverside.example");
    assert_eq!(account["full_name"], hostile);
    // Another site cannot start one in their name.
    let refused = download("cross-site").await.expect("refused");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let (exports,): (i64,) =
        sqlx::query_as("select count(*) from audit_events where action = 'account.data_exported'")
            .fetch_one(server.db.pool())
            .await
            .expect("count");
    assert_eq!(exports, 1, "the one download is recorded");

    // Erasing needs the password: a wrong one erases nothing.
    let erase = |password: &str| domain::mydata::EraseForm {
        password: password.to_owned(),
        code: String::new(),
        confirm: true,
    };
    let (status, _) = sam
        .post::<app::api::mydata::EraseMyAccount>(domain::mydata::MY_DATA, &erase("wrong"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, to) = sam
        .post::<app::api::mydata::EraseMyAccount>(domain::mydata::MY_DATA, &erase(PASSWORD))
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/login?erased=1")
    );
    let (left,): (i64,) =
        sqlx::query_as("select count(*) from users where email = 'sam@riverside.example'")
            .fetch_one(server.db.pool())
            .await
            .expect("count");
    assert_eq!(left, 0, "the account is gone");
    let (status, _) = sam.get(domain::mydata::MY_DATA).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "and its session with it");

    // Signed out: sent to sign in, for the page and the download alike.
    for path in [
        domain::mydata::MY_DATA,
        domain::mydata::MY_DATA_EXPORT_ROUTE,
    ] {
        let response = plain_client()
            .get(server.url(path))
            .send()
            .await
            .expect("signed out");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login"), "{path}");
    }
}
