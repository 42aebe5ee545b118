use domain::FieldErrors;
use domain::paging::how_many;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function can tell the browser went wrong. Every variant
/// carries only what a person should read; causes stay in the server log.
/// The HTTP status of every refusal, with or without JavaScript, comes from
/// [`AppError::status_code`] and nowhere else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("We could not find that page.")]
    NotFound,
    #[error("There is a problem with what you entered.")]
    Invalid(FieldErrors),
    #[error("Too many attempts. Wait {}, then try again.", wait_text(*retry_after_secs))]
    Throttled { retry_after_secs: i64 },
    #[error("Sign in to continue.")]
    SignInRequired,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("The form could not be read. Go back to the page and try again.")]
    Unreadable,
    #[error("Something went wrong on our side. Please try again in a few minutes.")]
    Internal,
    #[error("We could not reach the server. Check your connection and try again.")]
    Unreachable,
}

/// "40 seconds", "1 minute", "5 minutes".
fn wait_text(secs: i64) -> String {
    let secs = secs.max(1);
    if secs < 60 {
        how_many(secs, "second", "seconds")
    } else {
        how_many((secs + 59) / 60, "minute", "minutes")
    }
}

impl AppError {
    /// The per-field problems, when the error is about the input.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }

    /// One problem with one field.
    pub fn on_field(field: &str, message: &str) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    /// The HTTP status that goes with this error: the only place one is
    /// chosen for a refusal.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::Throttled { .. } => 429,
            AppError::SignInRequired => 401,
            AppError::Forbidden => 403,
            AppError::Unreadable => 400,
            AppError::Internal => 500,
            AppError::Unreachable => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Errors of the transport itself. The detail goes to the log (or the
    /// browser console), never into the page.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match &value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => AppError::Unreadable,
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Unreachable,
            _ => AppError::Internal,
        };
        #[cfg(feature = "ssr")]
        tracing::info!(error = %value, "server function call refused");
        #[cfg(not(feature = "ssr"))]
        leptos::logging::warn!("server function call failed: {value}");
        error
    }
}

/// A backend error as the browser may see it: a sentence, never the cause.
#[cfg(feature = "ssr")]
impl From<backend::Error> for AppError {
    fn from(error: backend::Error) -> Self {
        match error {
            backend::Error::NotFound => AppError::NotFound,
            backend::Error::Invalid(errors) => AppError::Invalid(errors),
            backend::Error::Throttled { retry_after_secs } => {
                tracing::info!(retry_after_secs, "request throttled");
                AppError::Throttled { retry_after_secs }
            }
            internal => {
                tracing::error!(error = %internal, "server function failed");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_reads_naturally() {
        let text = |secs| {
            AppError::Throttled {
                retry_after_secs: secs,
            }
            .to_string()
        };
        assert_eq!(text(1), "Too many attempts. Wait 1 second, then try again.");
        assert_eq!(
            text(15),
            "Too many attempts. Wait 15 seconds, then try again."
        );
        assert_eq!(
            text(60),
            "Too many attempts. Wait 1 minute, then try again."
        );
        assert_eq!(
            text(61),
            "Too many attempts. Wait 2 minutes, then try again."
        );
    }
}
