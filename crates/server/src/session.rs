//! Reads the session cookie on every request, attaches the live session
//! (if any) for pages and server functions, and keeps signed-out people
//! out of the member and administrator areas before anything renders.
//! Server functions check roles again themselves.

use app::state::{AppState, CurrentSession};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use backend::sessions::{Session, SessionToken, Stage};
use domain::account::{is_signed_in_page, under};

/// The session cookie's value, if the request carries one.
fn cookie<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

pub async fn session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let token = cookie(&request, state.session_cookie_name()).map(SessionToken::from_cookie);
    let session = match &token {
        Some(token) => match backend::sessions::resolve(&state.db, token).await {
            Ok(session) => session,
            Err(error) => {
                tracing::error!(%error, "could not read the session");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Something went wrong on our side. Please try again in a few minutes.",
                )
                    .into_response();
            }
        },
        None => None,
    };
    let stale_cookie = token.is_some() && session.is_none();

    if matches!(*request.method(), Method::GET | Method::HEAD) {
        match guard(request.uri(), session.as_ref()) {
            Guard::Pass => {}
            Guard::Redirect(to) => {
                let mut response = Redirect::to(&to).into_response();
                if stale_cookie {
                    clear(&state, &mut response);
                }
                return response;
            }
            // The page itself says no (with a 403), so the server's render
            // and the browser's hydration agree.
            Guard::Forbidden => {}
        }
    }

    if let Some(session) = &session
        && wants_page(&request)
        && let Some(flash) = take_flash(&state, session).await
    {
        request.extensions_mut().insert(flash);
    }
    let signed_in = session.is_some();
    request.extensions_mut().insert(CurrentSession(session));
    let mut response = next.run(request).await;
    let no_store = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if signed_in && !no_store {
        // Nothing shown to a signed-in person is kept by the browser or any
        // cache between it and us: pages may hold a code or personal data.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if stale_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        clear(&state, &mut response);
    }
    response
}

/// A browser loading a page (not a script, image or server function call):
/// the only request that may show, and so use up, a flash.
fn wants_page(request: &Request) -> bool {
    request.method() == Method::GET
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

/// The session's flash, taken so it is shown this once. A flash that
/// cannot be read or taken is logged and dropped; the page still renders.
async fn take_flash(state: &AppState, session: &Session) -> Option<domain::flash::Flash> {
    match backend::sessions::take_flash(&state.db, &session.token).await {
        Ok(flash) => flash,
        Err(error) => {
            tracing::error!(%error, "could not take the session's flash");
            None
        }
    }
}

fn clear(state: &AppState, response: &mut Response) {
    if let Ok(value) = HeaderValue::from_str(&state.clear_session_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Guard {
    Pass,
    Redirect(String),
    /// Signed in, but not allowed: the 403 page.
    Forbidden,
}

/// `path` as a router could resolve it: escapes decoded, empty and `.`
/// segments dropped, `..` removing the segment before it. The guard judges
/// this, so `/x/../admin`, `//admin` and `/%61dmin` are judged as `/admin`
/// whatever the page router makes of them.
fn resolved(path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    format!("/{}", segments.join("/"))
}

/// Who may see which pages.
fn guard(uri: &Uri, session: Option<&Session>) -> Guard {
    let resolved = resolved(uri.path());
    let path = resolved.as_str();
    let signed_in = session.filter(|s| s.stage == Stage::SignedIn);
    let protected = is_signed_in_page(path);
    if path == "/login/two-factor" {
        return match session {
            Some(s) if s.stage == Stage::SecondFactor => Guard::Pass,
            _ => Guard::Redirect("/login".to_owned()),
        };
    }
    if !protected {
        return Guard::Pass;
    }
    let Some(session) = signed_in else {
        let here = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let next: String = form_urlencoded_component(here);
        return Guard::Redirect(format!("/login?next={next}"));
    };
    let viewer = &session.viewer;
    if viewer.must_enrol_second_factor() && !under(path, "/account") {
        return Guard::Redirect("/account/two-factor".to_owned());
    }
    if under(path, "/admin") && !viewer.is_admin() {
        return Guard::Forbidden;
    }
    Guard::Pass
}

fn form_urlencoded_component(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|encoded| encoded.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::account::{Role, Viewer};

    fn session(role: Role, second_factor: bool, stage: Stage) -> Session {
        Session {
            token: SessionToken::from_cookie("t"),
            stage,
            organisation_id: None,
            viewer: Viewer {
                id: 1,
                full_name: "A".into(),
                email: "a@example.nhs.uk".into(),
                role,
                organisation: None,
                second_factor,
            },
        }
    }

    fn check(path: &'static str, s: Option<&Session>) -> Guard {
        guard(&Uri::from_static(path), s)
    }

    #[test]
    fn signed_out_people_are_sent_to_sign_in_and_back() {
        assert_eq!(
            check("/portal?q=x", None),
            Guard::Redirect("/login?next=%2Fportal%3Fq%3Dx".into())
        );
        assert_eq!(check("/services", None), Guard::Pass);
        assert_eq!(check("/portalx", None), Guard::Pass);
        let half = session(Role::Member, true, Stage::SecondFactor);
        assert!(matches!(check("/account", Some(&half)), Guard::Redirect(_)));
        assert_eq!(check("/login/two-factor", Some(&half)), Guard::Pass);
        assert!(matches!(
            check("/login/two-factor", None),
            Guard::Redirect(_)
        ));
    }

    #[test]
    fn members_are_refused_admin_pages_and_admins_must_enrol_first() {
        let member = session(Role::Member, false, Stage::SignedIn);
        assert_eq!(check("/portal", Some(&member)), Guard::Pass);
        assert_eq!(
            check("/admin/organisations", Some(&member)),
            Guard::Forbidden
        );
        let new_admin = session(Role::Admin, false, Stage::SignedIn);
        assert_eq!(
            check("/admin", Some(&new_admin)),
            Guard::Redirect("/account/two-factor".into())
        );
        assert_eq!(check("/account/two-factor", Some(&new_admin)), Guard::Pass);
        let admin = session(Role::Admin, true, Stage::SignedIn);
        assert_eq!(check("/admin", Some(&admin)), Guard::Pass);
    }

    #[test]
    fn other_spellings_of_a_page_are_judged_as_the_page() {
        let member = session(Role::Member, false, Stage::SignedIn);
        for spelling in [
            "/x/../admin",
            "/./admin/",
            "//admin",
            "/%61dmin",
            "/portal/%2e%2e/admin/organisations",
        ] {
            assert_eq!(
                check(spelling, Some(&member)),
                Guard::Forbidden,
                "{spelling}"
            );
            assert!(
                matches!(check(spelling, None), Guard::Redirect(to) if to.starts_with("/login?next=")),
                "{spelling}"
            );
        }
        assert!(matches!(
            check("/services/../portal", None),
            Guard::Redirect(_)
        ));
        assert_eq!(check("/admin/../services", None), Guard::Pass);
        assert_eq!(check("/../../services", None), Guard::Pass);
    }
}
