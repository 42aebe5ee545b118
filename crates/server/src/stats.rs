//! Page views counted without cookies (P10): every page this server
//! renders for a `GET` is counted by path, day and referring site, unless
//! the browser sends `DNT: 1` or `Sec-GPC: 1`. Pages the browser moves to
//! without reloading are counted by the `count_view` server function, with
//! the same rule. Nothing about the visitor is read but those two headers
//! and the referring site's host.
//!
//! `GET /admin/statistics.csv` is the administrators' download of the
//! counts.

use crate::files::{download_of, internal, not_found};
use app::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use domain::stats::{StatsQuery, opted_out, referring_host};
use futures::TryStreamExt;

/// What the counting middleware needs.
#[derive(Clone, Debug)]
pub struct Counting {
    pub counter: backend::stats::Counter,
    /// This site's host (and port), from PUBLIC_URL: a visitor coming from
    /// it is moving around the site, not arriving from elsewhere.
    pub own_host: String,
}

/// Counts the response if it is a page rendered for a `GET`.
pub async fn count(State(counting): State<Counting>, request: Request, next: Next) -> Response {
    let asked = (request.method() == Method::GET && !opted_out_by(request.headers())).then(|| {
        (
            request.uri().path().to_owned(),
            referrer(request.headers(), &counting.own_host),
        )
    });
    let response = next.run(request).await;
    if let Some((path, referrer)) = asked {
        let page = response.status() == StatusCode::OK
            && response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
        if page {
            counting
                .counter
                .count(backend::clock::now(), &path, referrer);
        }
    }
    response
}

/// Whether the request carries a Do Not Track or Global Privacy Control
/// signal.
pub fn opted_out_by(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    opted_out(header("dnt"), header("sec-gpc"))
}

/// The other site the visitor came from, if any.
fn referrer(headers: &HeaderMap, own_host: &str) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = referring_host(referer, own_host)?;
    // Behind a proxy the Host header may name the site differently.
    let requested = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split(':').next());
    (requested != Some(host.as_str())).then_some(host)
}

/// The counts for the period asked, as CSV, for administrators.
pub async fn csv(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let session = match crate::exports::administrator(
        &request,
        "Only administrators can download the statistics.",
    ) {
        Ok(session) => session,
        Err(refusal) => return *refusal,
    };
    let query: StatsQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    if let Err(error) = state.stats.flush(&state.db).await {
        tracing::warn!(%error, "could not write page-view counts before an export");
    }
    let now = backend::clock::now();
    let rows = match backend::stats::export(&state.db, &session.viewer, &query, now).await {
        Ok(rows) => rows,
        Err(backend::Error::NotFound) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "could not start a statistics export");
            return internal();
        }
    };
    let body = rows.inspect_err(|error| {
        tracing::error!(%error, "a statistics export stopped part way");
    });
    download_of(
        Body::from_stream(body),
        "text/csv; charset=utf-8",
        &format!("page-views-{}.csv", domain::library::iso_date(now)),
    )
}
