use crate::error::AppError;
use domain::content::{Page, ServiceDetail, ServiceSummary};
use leptos::prelude::*;

/// The service catalogue. Anyone may call it.
#[server(endpoint = "content/services")]
pub async fn list_services() -> Result<Vec<ServiceSummary>, AppError> {
    let state = crate::state::app_state()?;
    Ok(backend::content::list_services(&state.db).await?)
}

/// One service's page. Anyone may call it.
#[server(endpoint = "content/service")]
pub async fn get_service(slug: String) -> Result<ServiceDetail, AppError> {
    let state = crate::state::app_state()?;
    Ok(backend::content::service(&state.db, &slug).await?)
}

/// One content page (about, privacy statement…). Anyone may call it.
#[server(endpoint = "content/page")]
pub async fn get_page(slug: String) -> Result<Page, AppError> {
    let state = crate::state::app_state()?;
    let placeholders: Vec<(&str, &str)> = state
        .placeholders
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    Ok(backend::content::page(&state.db, &slug, &placeholders).await?)
}
