//! Every server function has two kinds of caller: the hydrated page, which
//! sends the form and reads JSON back, and the browser itself, posting an
//! HTML form before (or without) JavaScript. Both reach the same function
//! at the same address, decoded into its own argument type by the server
//! function itself. This layer only changes how the answer is written:
//!
//! - a refusal's status comes from [`AppError::status_code`], for both,
//!   with `Retry-After` when the caller must wait;
//! - for a plain form, success is a 303 to the page the function returned
//!   (post/redirect/get), and a refusal is the page the form was on, drawn
//!   again with what was typed and what was wrong;
//! - a plain multipart form (a file upload) is passed through as it
//!   streams, never buffered here; a refusal draws the page again with the
//!   problem but no fields.

use app::components::form::{FormEcho, LINK_TOKEN};
use app::error::AppError;
use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::LeptosOptions;

/// The prefix of every server function's address.
const API_PREFIX: &str = "/api/";
/// The header server functions put on a refusal.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// Refusals and returned paths are short; anything longer is not ours.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What answering a plain form needs: the state and options to draw a page.
#[derive(Clone, Debug)]
pub struct FormRoute {
    pub state: AppState,
    pub leptos: LeptosOptions,
}

pub async fn server_functions(
    State(route): State<FormRoute>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with(API_PREFIX) {
        return next.run(request).await;
    }
    if request.method() == Method::GET
        && let Some(page) = form_page(request.uri())
    {
        // The address of a refused form, loaded again (Enter in the address
        // bar, a bookmark): the page the form is on.
        return Redirect::to(&page.to_string()).into_response();
    }
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let multipart = is_multipart(request.headers());
    if request.uri().path() == crate::files::upload_path() && !multipart {
        // The multipart decoder cannot read anything else; say so plainly.
        return (StatusCode::BAD_REQUEST, AppError::Unreadable.to_string()).into_response();
    }
    if !asks_for_page(request.headers()) || !(multipart || is_urlencoded(request.headers())) {
        let response = next.run(request).await;
        return match refusal(response).await {
            Ok((mut response, error)) => {
                mark_refusal(&mut response, &error);
                response
            }
            Err(response) => response,
        };
    }

    let (mut parts, body) = request.into_parts();
    let page = form_page(&parts.uri).or_else(|| referring_page(&parts.headers));
    // The function answers in JSON; we turn that into a page or a redirect.
    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::REFERER);
    let (body, fields) = if multipart {
        // A file upload streams through untouched, never held here; a
        // refused one echoes no fields.
        (body, Vec::new())
    } else {
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "That form was too large to send. Go back, shorten what you entered and try again.",
            )
                .into_response();
        };
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        (Body::from(bytes), fields)
    };
    let response = next.run(Request::from_parts(parts.clone(), body)).await;

    match refusal(response).await {
        Ok((refused, error)) => {
            let mut response = match page {
                Some(page) => {
                    let page = with_link_token(page, &fields);
                    let echo = FormEcho::new(fields, &error);
                    render(&route, parts, page, echo).await
                }
                None => error.to_string().into_response(),
            };
            mark_refusal(&mut response, &error);
            // A refusal may still end a session (too many wrong codes).
            keep_session_headers(refused.headers(), response.headers_mut());
            response
        }
        Err(response) if response.status().is_success() => accepted(response).await,
        Err(response) => response,
    }
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The browser itself asking for a page (a plain form post), not the
/// hydrated page asking for JSON.
fn asks_for_page(headers: &HeaderMap) -> bool {
    header_text(headers, header::ACCEPT).is_some_and(|v| v.contains("text/html"))
}

fn is_urlencoded(headers: &HeaderMap) -> bool {
    header_text(headers, header::CONTENT_TYPE)
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// A multipart body with a boundary the decoder can use.
fn is_multipart(headers: &HeaderMap) -> bool {
    header_text(headers, header::CONTENT_TYPE)
        .is_some_and(|v| v.starts_with("multipart/form-data") && v.contains("boundary="))
}

/// A refusal's status and, when throttled, how long to wait (RFC 9110
/// §10.2.3), so a client or load generator need not read the sentence.
fn mark_refusal(response: &mut Response, error: &AppError) {
    *response.status_mut() =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let AppError::Throttled { retry_after_secs } = error {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from((*retry_after_secs).max(1)),
        );
    }
}

/// The refusal in a server function's answer, with the answer rebuilt, or
/// the answer untouched when it is not a refusal.
async fn refusal(response: Response) -> Result<(Response, AppError), Response> {
    if !response.headers().contains_key(SERVER_FN_ERROR) {
        return Err(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ANSWER_BYTES)
        .await
        .unwrap_or_default();
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(error) => Ok((Response::from_parts(parts, Body::from(bytes)), error)),
        Err(_) => Err(Response::from_parts(parts, Body::from(bytes))),
    }
}

/// An accepted plain form: 303 to the page the function returned, keeping
/// the cookies it set (a new or ended session) and any request to clear
/// the browser's copy of the site (sign-out).
async fn accepted(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_ANSWER_BYTES)
        .await
        .unwrap_or_default();
    let Some(to) = serde_json::from_slice::<String>(&bytes)
        .ok()
        .filter(|to| domain::account::local_next(to).is_some())
    else {
        tracing::error!("a form's server function did not return a page to go to");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again in a few minutes.",
        )
            .into_response();
    };
    let mut redirect = Redirect::to(&to).into_response();
    keep_session_headers(&parts.headers, redirect.headers_mut());
    redirect
}

/// Copies what the server function said about the session (cookies set or
/// cleared, the browser's cache to drop) onto the answer the browser gets.
fn keep_session_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for name in [
        header::SET_COOKIE,
        HeaderName::from_static("clear-site-data"),
    ] {
        for value in from.get_all(&name) {
            to.append(name.clone(), value.clone());
        }
    }
}

/// The page the form is on, as its address names it (`?from=/register`):
/// a local path only, and never a server function.
fn form_page(uri: &Uri) -> Option<Uri> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query()?).ok()?;
    let (_, from) = pairs
        .into_iter()
        .find(|(name, _)| name == app::components::form::FROM)?;
    let local = domain::account::local_next(&from)?;
    if local.starts_with(API_PREFIX) {
        return None;
    }
    local.parse().ok()
}

/// `page` with the one-time link token the form posted put back into its
/// query, where the link page reads it. The form's own address never
/// carries it (see [`LINK_TOKEN`]); this address is only drawn, never sent.
fn with_link_token(page: Uri, fields: &[(String, String)]) -> Uri {
    let Some((_, token)) = fields.iter().find(|(name, _)| name == LINK_TOKEN) else {
        return page;
    };
    let mut query: Vec<(String, String)> = page
        .query()
        .and_then(|query| serde_urlencoded::from_str(query).ok())
        .unwrap_or_default();
    query.retain(|(name, _)| name != LINK_TOKEN);
    query.push((LINK_TOKEN.to_owned(), token.clone()));
    let query = serde_urlencoded::to_string(&query).unwrap_or_default();
    format!("{}?{query}", page.path()).parse().unwrap_or(page)
}

/// The page on this site that a form without a `from` was posted from.
/// Browsers send it for same-origin posts (our `Referrer-Policy` is
/// `same-origin`).
fn referring_page(headers: &HeaderMap) -> Option<Uri> {
    let referer: Uri = headers.get(header::REFERER)?.to_str().ok()?.parse().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let same_site = referer
        .authority()
        .is_some_and(|authority| authority.as_str().eq_ignore_ascii_case(host));
    let path = referer.path_and_query()?;
    (same_site && !path.path().starts_with(API_PREFIX)).then(|| Uri::from(path.clone()))
}

/// Draws `page` as for a GET, with the echo of the refused form attached.
async fn render(
    route: &FormRoute,
    mut parts: axum::http::request::Parts,
    page: Uri,
    echo: FormEcho,
) -> Response {
    parts.method = Method::GET;
    parts.uri = page;
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("text/html"));
    parts.extensions.insert(echo);
    let context = crate::router::context(route.state.clone());
    let leptos = route.leptos.clone();
    let render =
        leptos_axum::render_app_async_with_context(context, move || app::shell(leptos.clone()));
    render(Request::from_parts(parts, Body::empty()))
        .await
        .into_response()
}
