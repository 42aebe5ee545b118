use crate::error::AppError;
use leptos::prelude::*;

/// Sends a public enquiry to the service team. Anyone may call it; it is
/// throttled per client. On success the browser goes to the confirmation
/// page. `website` is a honeypot: people never see it, bots fill it in.
#[server(endpoint = "contact/enquiry")]
pub async fn send_enquiry(
    name: String,
    organisation: String,
    email: String,
    telephone: Option<String>,
    message: String,
    website: Option<String>,
) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let client = crate::state::client_key()?;
    let input = domain::enquiry::EnquiryInput {
        name,
        organisation,
        email,
        telephone: telephone.unwrap_or_default(),
        message,
    };
    accept_enquiry(
        &state,
        &client,
        &input,
        website.as_deref().unwrap_or_default(),
    )
    .await?;
    leptos_axum::redirect(THANKS_PATH);
    Ok(())
}

/// Where a sent enquiry leads.
pub const THANKS_PATH: &str = "/contact/thanks";

/// The work behind both ways of sending an enquiry (server function and
/// plain form post).
#[cfg(feature = "ssr")]
pub async fn accept_enquiry(
    state: &crate::state::AppState,
    client: &crate::state::ClientKey,
    input: &domain::enquiry::EnquiryInput,
    honeypot: &str,
) -> Result<(), AppError> {
    if !honeypot.trim().is_empty() {
        // Looks sent to the bot; nothing is stored.
        tracing::info!("enquiry discarded: honeypot field was filled in");
        return Ok(());
    }
    backend::contact::submit_enquiry(&state.db, &client.0, input).await?;
    Ok(())
}
