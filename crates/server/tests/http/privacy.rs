//! The privacy statement and the cookies page, as the site serves them,
//! promise only what the code does (P8 and the statement as a whole).

use super::{Browser, TestServer, launch, plain_client};
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use std::collections::BTreeSet;

http_stories!(the_privacy_statement_and_the_cookies_page_promise_only_what_the_code_does,);

/// The statement's text as served: what its `pp-prose` block holds.
fn prose(html: &str) -> &str {
    html.split("class=\"pp-prose\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("the page's text")
}

/// What follows each `open` up to the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    text.split(open)
        .skip(1)
        .filter_map(|rest| rest.split(close).next())
        .collect()
}

async fn the_privacy_statement_and_the_cookies_page_promise_only_what_the_code_does(
    server: TestServer,
) {
    let visitor = Browser::new(&server, String::new());

    // The cookies page names exactly the cookies the code knows, both
    // forms of each name.
    let (status, html) = visitor.get("/page/cookies").await;
    assert_eq!(status, StatusCode::OK);
    let cookies = prose(&html);
    let named: BTreeSet<&str> = between(cookies, "<code>", "</code>").into_iter().collect();
    let known: BTreeSet<&str> = domain::cookies::ALL
        .iter()
        .flat_map(|c| [c.name, c.insecure_name])
        .collect();
    assert_eq!(named, known, "{cookies}");

    // And the code sets no other: signing in sets the session cookie
    // (under its plain-HTTP name here), and nothing before it.
    let (_, code) = super::accounts::organisation(&server).await;
    super::accounts::registered(&server, &code, "sam@riverside.example").await;
    let response = server
        .post_form_from::<app::api::account::SignIn>(&plain_client(), "/login")
        .body(
            serde_urlencoded::to_string([
                ("email", "sam@riverside.example"),
                ("password", super::PASSWORD),
            ])
            .expect("form"),
        )
        .send()
        .await
        .expect("sign in");
    let set: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split('=').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(set, [domain::cookies::SESSION.insecure_name]);

    // The statement fills every value it quotes from the settings, and
    // every page it sends people to exists.
    let (status, html) = visitor.get("/page/privacy-policy").await;
    assert_eq!(status, StatusCode::OK);
    let statement = prose(&html);
    assert!(!statement.contains("{{"), "{statement}");
    let links = between(statement, "href=\"", "\"");
    assert!(links.contains(&"/portal/my-data"), "{links:?}");
    for link in links.iter().chain(between(cookies, "href=\"", "\"").iter()) {
        if !link.starts_with('/') {
            continue;
        }
        let response = plain_client()
            .get(server.url(link))
            .send()
            .await
            .expect("link");
        let status = response.status();
        // Pages for members send a visitor to sign in first.
        let signing_in = status == StatusCode::SEE_OTHER
            && super::location(&response).starts_with("/login?next=");
        assert!(status == StatusCode::OK || signing_in, "{link}: {status}");
    }

    // Each section is a promise some code keeps. A new section fails here
    // until the code that keeps it is named.
    let headings = between(statement, "<h2>", "</h2>");
    assert!(headings.len() >= 10, "{headings:?}");
    for heading in headings {
        match heading {
            "Who we are" | "Complaints" => {} // filled from the settings, above
            "What we hold about organisations" => {
                let _ = domain::organisation::OrganisationForm::validate;
            }
            "Authorisation codes" => {
                let _ = domain::authcode::AuthCode::from_random;
            }
            "What we hold about you as a member" => {
                let _ = backend::accounts::Password::new;
            }
            "Messages you send us" => {
                let _ = (backend::messages::send, backend::messages::list);
            }
            "Audit records" => {
                let _ = (backend::audit::verify, backend::audit::prune);
            }
            "Your rights" => {
                let _ = (backend::mydata::export, backend::mydata::erase_own);
            }
            "Nothing leaves this service" => {} // the CSP test in http.rs
            "Cookies" => {}                     // the cookies page, above
            "How long we keep your data" => {
                let _ = backend::retention::run;
            }
            "Backups" => {
                let _ = (
                    backend::backup::make,
                    backend::backup::rotate,
                    backend::backup::restore,
                );
            }
            "Usage statistics" => {
                let _ = (domain::stats::opted_out, backend::stats::Counter::count);
            }
            other => panic!(
                "the privacy statement promises {other:?}: name the code that keeps it in this test"
            ),
        }
    }
}
