use app::api::account::Caller;
use app::api::forms::{self, Posted};
use app::state::{AppState, ClientKey, CurrentSession};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::LeptosOptions;

/// What the handler for forms posted without JavaScript needs.
#[derive(Clone, Debug)]
pub struct FormRoute {
    pub state: AppState,
    pub leptos: LeptosOptions,
    pub max_body_bytes: usize,
}

/// A form posted to a page's own address (the browser ran no JavaScript):
/// checked here, then either a 303 redirect (accepted) or the page rendered
/// again, with status 422, showing what was typed and what was wrong.
pub async fn post(route: FormRoute, request: Request) -> Response {
    let path = request.uri().path().to_owned();
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
    let session = request
        .extensions()
        .get::<CurrentSession>()
        .and_then(|current| current.0.clone());
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, route.max_body_bytes).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "That form was too large to send.",
        )
            .into_response();
    };
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) else {
        return (
            StatusCode::BAD_REQUEST,
            "The form could not be read. Go back and try again.",
        )
            .into_response();
    };
    let caller = Caller {
        state: route.state.clone(),
        client,
        session,
    };
    match forms::post(&path, &caller, fields).await {
        Some(Posted::Redirect(done)) => {
            let mut response = Redirect::to(&done.to).into_response();
            if let Some(cookie) = done.set_cookie
                && let Ok(value) = header::HeaderValue::from_str(&cookie)
            {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Some(Posted::Echo { echo, status }) => {
            // Render the page as for a GET, with the echo attached.
            parts.method = Method::GET;
            parts.extensions.insert(echo);
            let context = crate::router::context(route.state.clone());
            let leptos = route.leptos.clone();
            let render = leptos_axum::render_app_async_with_context(context, move || {
                app::shell(leptos.clone())
            });
            let mut response = render(Request::from_parts(parts, Body::empty()))
                .await
                .into_response();
            // A refused form answers with the refusal's status, whatever the
            // page itself would have said.
            if status != 200
                && let Ok(status) = StatusCode::from_u16(status)
            {
                *response.status_mut() = status;
            }
            response
        }
        None => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}
