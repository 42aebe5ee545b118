use app::api::forms::{self, Posted};
use app::state::{AppState, ClientKey};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// A form posted to a page's own address (the browser had no JavaScript):
/// handled here, then either a redirect (accepted) or the page rendered
/// again with what was typed and what was wrong.
pub async fn no_javascript(
    State((state, max_body_bytes)): State<(AppState, usize)>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if request.method() != Method::POST || !forms::FORM_PATHS.contains(&path.as_str()) {
        return next.run(request).await;
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the form from the page it is on.",
        )
            .into_response();
    }
    let Some(client) = request.extensions().get::<ClientKey>().cloned() else {
        tracing::error!("ClientKey missing from form post");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "That form was too large to send.",
            )
                .into_response();
        }
    };
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) else {
        return (
            StatusCode::BAD_REQUEST,
            "The form could not be read. Go back and try again.",
        )
            .into_response();
    };
    match forms::post(&path, &state, &client, fields).await {
        Some(Posted::Redirect(to)) => Redirect::to(to).into_response(),
        Some(Posted::Echo(echo)) => {
            // Render the page as for a GET, with the echo attached.
            parts.method = Method::GET;
            parts.extensions.insert(echo);
            let mut response = next.run(Request::from_parts(parts, Body::empty())).await;
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            response
        }
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}
