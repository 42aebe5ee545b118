//! `GET /admin/audit/export.csv`: the audit trail, filtered as the viewer
//! was, streamed as CSV a thousand events at a time, so a trail of any
//! length leaves memory flat. The export is recorded in the trail before
//! the first byte is sent, and only started from this site's own pages.

use crate::files::{internal, not_found, signed_in};
use app::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::audit::AuditQuery;
use futures::TryStreamExt;

pub async fn audit_csv(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let Some(session) = signed_in(&request) else {
        return not_found();
    };
    // As the administrators' pages answer anyone else (the backend checks
    // the role again, as stored now).
    if !(session.viewer.is_admin() && session.viewer.second_factor) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Only administrators can download the audit trail.",
        )
            .into_response();
    }
    // An export is recorded in the trail, so another site must not be
    // able to start one in an administrator's name with a link.
    let from_elsewhere = request
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    if from_elsewhere {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Start the download from the audit trail page.",
        )
            .into_response();
    }
    let query: AuditQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let export = match backend::audit::trail::export(&state.db, &session.viewer, &query).await {
        Ok(export) => export,
        Err(backend::Error::NotFound) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "could not start an audit export");
            return internal();
        }
    };
    let body = export.into_stream().inspect_err(|error| {
        tracing::error!(%error, "an audit export stopped part way");
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name = format!(
        "attachment; filename=\"audit-{}.csv\"",
        domain::library::iso_date(backend::clock::now())
    );
    if let Ok(disposition) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
