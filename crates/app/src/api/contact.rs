use crate::error::AppError;
use leptos::prelude::*;

/// Where a sent enquiry leads.
pub const THANKS_PATH: &str = "/contact/thanks";

/// Sends a public enquiry to the service team. Anyone may call it; it is
/// throttled per client. Returns the confirmation page. `website` is a
/// honeypot: people never see it, bots fill it in, and then nothing is stored.
#[server(endpoint = "contact/enquiry")]
pub async fn send_enquiry(
    name: String,
    organisation: String,
    email: String,
    telephone: Option<String>,
    message: String,
    website: Option<String>,
) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let client = crate::state::client_key()?;
    if website.is_some_and(|honeypot| !honeypot.trim().is_empty()) {
        tracing::info!("enquiry discarded: honeypot field was filled in");
        return Ok(THANKS_PATH.to_owned());
    }
    let input = domain::enquiry::EnquiryInput {
        name,
        organisation,
        email,
        telephone: telephone.unwrap_or_default(),
        message,
    };
    backend::contact::submit_enquiry(&state.db, &client.0, &input, &state.team_email, &state.site)
        .await?;
    Ok(THANKS_PATH.to_owned())
}
