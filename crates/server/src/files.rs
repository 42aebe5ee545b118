//! Resource files over HTTP: downloads (plain GET routes, streamed from
//! the object store), and the request limits that let the one upload
//! address take a large, slow body while everything else keeps the small
//! limit and the short timeout.

use app::state::{AppState, CurrentSession};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use backend::sessions::{Session, Stage};
use leptos::server_fn::ServerFn;
use std::time::Duration;

/// The upload server function's address.
pub fn upload_path() -> &'static str {
    app::api::files::UploadResourceFile::PATH
}

/// Request limits: body size and time, by address.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest body anywhere but the upload address (`MAX_BODY_BYTES`).
    pub body_bytes: usize,
    /// Largest body at the upload address: the file limit plus room for
    /// the multipart framing and the other fields.
    pub upload_bytes: usize,
    /// Longest a request may take to be answered.
    pub timeout: Duration,
    /// Longest an upload may take (a 50 MB file on a slow line).
    pub upload_timeout: Duration,
}

/// Room in an upload's body for everything but the file.
pub const UPLOAD_OVERHEAD_BYTES: usize = 64 * 1024;

/// Caps the body (413 at once when the declared length is too long,
/// otherwise an error once too much has been read) and the time to answer.
pub async fn limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let upload = request.uri().path() == upload_path();
    let (max, timeout) = if upload {
        (limits.upload_bytes, limits.upload_timeout)
    } else {
        (limits.body_bytes, limits.timeout)
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = request.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, max));
    match tokio::time::timeout(timeout, next.run(Request::from_parts(parts, body))).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// `GET /portal/library/{id}/download`: the latest version.
pub async fn download_latest(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let session = signed_in(&request);
    match id.parse() {
        Ok(id) => download(&state, session, id, None).await,
        Err(_) => not_found(),
    }
}

/// `GET /portal/library/{id}/versions/{version}/download`.
pub async fn download_version(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
    request: Request,
) -> Response {
    let session = signed_in(&request);
    match (id.parse(), version.parse()) {
        (Ok(id), Ok(version)) => download(&state, session, id, Some(version)).await,
        _ => not_found(),
    }
}

pub(crate) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "We could not find that file.",
    )
        .into_response()
}

/// The request's fully signed-in session, if any.
pub(crate) fn signed_in(request: &Request) -> Option<Session> {
    request
        .extensions()
        .get::<CurrentSession>()
        .and_then(|current| current.0.clone())
        .filter(|session| session.stage == Stage::SignedIn)
}

/// The file, streamed, if the signed-in viewer may see its resource; 404
/// otherwise, the same as for a file that does not exist. (Signed-out
/// people never get here: the session guard sends them to sign in.)
async fn download(
    state: &AppState,
    session: Option<Session>,
    id: i64,
    version: Option<i64>,
) -> Response {
    let Some(session) = session else {
        return not_found();
    };
    let file =
        match backend::library::files::download(&state.db, &session.viewer, id, version).await {
            Ok(file) => file,
            Err(backend::Error::NotFound) => return not_found(),
            Err(error) => {
                tracing::error!(%error, "could not look up a download");
                return internal();
            }
        };
    let bytes = match state.files.get(&file.storage_key).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "could not read a stored file");
            return internal();
        }
    };
    // The name was cleaned at upload to letters, digits, spaces and ._-().
    let mut response = download_of(
        Body::from_stream(bytes),
        file.file_type.content_type(),
        &file.file_name,
    );
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(file.size_bytes));
    response
}

/// `body` as a file to save as `file_name` (already clean), of
/// `content_type`: never sniffed as something else, never kept by a
/// shared cache.
pub(crate) fn download_of(body: Body, content_type: &'static str, file_name: &str) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
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

pub(crate) fn internal() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Something went wrong on our side. Please try again in a few minutes.",
    )
        .into_response()
}
