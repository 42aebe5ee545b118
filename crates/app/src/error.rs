use domain::FieldErrors;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function can tell the browser went wrong. Every variant
/// carries only text meant for a person; causes stay in the server log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("We could not find that page.")]
    NotFound,
    #[error("There is a problem with what you entered.")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Throttled(String),
    #[error("Sign in to continue.")]
    SignInRequired,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Something went wrong on our side. Please try again in a few minutes.")]
    Internal,
    #[error("We could not reach the server. Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    /// The per-field problems, when the error is about the input.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

impl AppError {
    /// The HTTP status that goes with this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::Throttled(_) => 429,
            AppError::SignInRequired => 401,
            AppError::Forbidden => 403,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

/// Converting a backend error inside a server function also sets the HTTP
/// status the browser sees: 404, 422 for bad input, 429 when throttled,
/// 500 (with nothing but a sentence) for our own faults.
#[cfg(feature = "ssr")]
impl From<backend::Error> for AppError {
    fn from(error: backend::Error) -> Self {
        let status = match &error {
            backend::Error::NotFound => http::StatusCode::NOT_FOUND,
            backend::Error::Invalid(_) => http::StatusCode::UNPROCESSABLE_ENTITY,
            backend::Error::Throttled { .. } => http::StatusCode::TOO_MANY_REQUESTS,
            _ => http::StatusCode::INTERNAL_SERVER_ERROR,
        };
        crate::state::set_status(status);
        match error {
            backend::Error::NotFound => AppError::NotFound,
            backend::Error::Invalid(errors) => AppError::Invalid(errors),
            throttled @ backend::Error::Throttled { .. } => {
                tracing::info!(error = %throttled, "request throttled");
                AppError::Throttled(throttled.public_message())
            }
            internal => {
                tracing::error!(error = %internal, "server function failed");
                AppError::Internal
            }
        }
    }
}
