//! Forms posted without JavaScript. The browser posts to the page's own
//! address; the server's form middleware hands the fields here. Success is
//! a redirect; failure re-renders the page with a [`FormEcho`].

use crate::components::form::FormEcho;
use crate::state::{AppState, ClientKey};

/// What became of a posted form.
#[derive(Debug)]
pub enum Posted {
    /// Accepted: go here (303 See Other).
    Redirect(&'static str),
    /// Not accepted: render the page again with this.
    Echo(FormEcho),
}

/// Pages whose forms also work without JavaScript.
pub const FORM_PATHS: &[&str] = &["/contact"];

/// Handles a form posted to `path`, or `None` if no form lives there.
pub async fn post(
    path: &str,
    state: &AppState,
    client: &ClientKey,
    fields: Vec<(String, String)>,
) -> Option<Posted> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    match path {
        "/contact" => {
            let input = domain::enquiry::EnquiryInput {
                name: field("name"),
                organisation: field("organisation"),
                email: field("email"),
                telephone: field("telephone"),
                message: field("message"),
            };
            let outcome =
                super::contact::accept_enquiry(state, client, &input, &field("website")).await;
            Some(match outcome {
                Ok(()) => Posted::Redirect(super::contact::THANKS_PATH),
                Err(error) => {
                    // Never echo the honeypot back.
                    let values = fields.into_iter().filter(|(k, _)| k != "website").collect();
                    Posted::Echo(FormEcho::from_error(values, &error))
                }
            })
        }
        _ => None,
    }
}
