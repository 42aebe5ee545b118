//! Downloads made for the person asking, each recorded in the audit trail
//! and so only started from this site's own pages:
//!
//! - `GET /admin/audit/export.csv`: the audit trail, filtered as the
//!   viewer was, streamed as CSV a thousand events at a time, so a trail
//!   of any length leaves memory flat.
//! - `GET /portal/my-data.json`: everything held about the signed-in
//!   person (P6).
//! - `GET /admin/requests/{id}/export.json`: the same, about the person an
//!   access request is from, for an administrator to send them.

use crate::files::{download_of, internal, not_found, signed_in};
use app::state::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::audit::AuditQuery;
use futures::TryStreamExt;

pub async fn audit_csv(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let session = match administrator(
        &request,
        "Only administrators can download the audit trail.",
    ) {
        Ok(session) => session,
        Err(refusal) => return *refusal,
    };
    if from_elsewhere(&request) {
        return refused("Start the download from the audit trail page.");
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
    download_of(
        Body::from_stream(body),
        "text/csv; charset=utf-8",
        &format!(
            "audit-{}.csv",
            domain::library::iso_date(backend::clock::now())
        ),
    )
}

/// Whether another site started the request. An export is recorded in the
/// trail, so another site must not be able to start one in someone's name
/// with a link.
fn from_elsewhere(request: &Request) -> bool {
    request
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none")
}

pub async fn my_data_json(State(state): State<AppState>, request: Request) -> Response {
    let Some(session) = signed_in(&request) else {
        return not_found();
    };
    if from_elsewhere(&request) {
        return refused("Start the download from the page about your data.");
    }
    json_download(
        backend::mydata::export(&state.db, &session.viewer).await,
        &format!(
            "my-data-{}.json",
            domain::library::iso_date(backend::clock::now())
        ),
    )
}

pub async fn rights_request_json(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let session = match administrator(
        &request,
        "Only administrators can download a person's data for a request.",
    ) {
        Ok(session) => session,
        Err(refusal) => return *refusal,
    };
    if from_elsewhere(&request) {
        return refused("Start the download from the request's page.");
    }
    json_download(
        backend::rights::access_export(&state.db, &session.viewer, id).await,
        &format!(
            "data-rights-request-{id}-{}.json",
            domain::library::iso_date(backend::clock::now())
        ),
    )
}

/// Everything held about a person as a JSON download, or the answer when
/// it could not be gathered (404 when they are not the caller's to see).
fn json_download(data: backend::Result<serde_json::Value>, file_name: &str) -> Response {
    let data = match data {
        Ok(data) => data,
        Err(backend::Error::NotFound) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "could not gather a person's data");
            return internal();
        }
    };
    let Ok(json) = serde_json::to_vec_pretty(&data) else {
        return internal();
    };
    download_of(Body::from(json), "application/json", file_name)
}

/// The signed-in administrator (with a second factor) asking for a
/// download, or the answer anyone else gets, as the administrators' pages
/// answer them: 404 signed out, 403 with `why` otherwise. The backend
/// checks the role again, as stored now.
pub(crate) fn administrator(
    request: &Request,
    why: &'static str,
) -> Result<backend::sessions::Session, Box<Response>> {
    let session = signed_in(request).ok_or_else(|| Box::new(not_found()))?;
    if session.viewer.is_admin() && session.viewer.second_factor {
        Ok(session)
    } else {
        Err(Box::new(refused(why)))
    }
}

fn refused(why: &'static str) -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        why,
    )
        .into_response()
}
