use crate::error::AppError;
use domain::content::{
    Page, PageForm, PageRow, ServiceDetail, ServiceForm, ServiceRow, ServiceSummary,
};
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

/// Every service with its resource and subscriber counts. Administrators
/// only.
#[server(endpoint = "admin/services")]
pub async fn admin_services() -> Result<Vec<ServiceRow>, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::content::admin_services(&caller.state.db, viewer).await?)
}

/// Service `id` as its form shows it. Administrators only.
#[server(endpoint = "admin/service")]
pub async fn stored_service(id: i64) -> Result<ServiceForm, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::content::service_form(&caller.state.db, viewer, id).await?)
}

/// Adds a service to the catalogue. Administrators only.
#[server(endpoint = "admin/service-create")]
pub async fn create_service(#[server(flatten)] form: ServiceForm) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let service = form.validate().map_err(AppError::Invalid)?;
    let id = backend::content::create_service(&caller.state.db, viewer, &service).await?;
    Ok(format!(
        "{}?saved=added",
        domain::content::admin_service_path(id)
    ))
}

/// Changes a service's name, address and texts. Administrators only.
#[server(endpoint = "admin/service-update")]
pub async fn update_service(
    id: i64,
    #[server(flatten)] form: ServiceForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let service = form.validate().map_err(AppError::Invalid)?;
    backend::content::update_service(&caller.state.db, viewer, id, &service).await?;
    Ok(format!(
        "{}?saved=changed",
        domain::content::admin_service_path(id)
    ))
}

/// Every content page. Administrators only.
#[server(endpoint = "admin/pages")]
pub async fn admin_pages() -> Result<Vec<PageRow>, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::content::admin_pages(&caller.state.db, viewer).await?)
}

/// Content page `slug` as its form shows it. Administrators only.
#[server(endpoint = "admin/page")]
pub async fn stored_page(slug: String) -> Result<PageForm, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::content::page_form(&caller.state.db, viewer, &slug).await?)
}

/// Changes a content page's title, summary and text. Administrators only.
#[server(endpoint = "admin/page-update")]
pub async fn update_page(
    slug: String,
    #[server(flatten)] form: PageForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let page = form.validate().map_err(AppError::Invalid)?;
    backend::content::update_page(&caller.state.db, viewer, &slug, &page).await?;
    Ok(format!(
        "{}?saved=changed",
        domain::content::admin_page_path(&slug)
    ))
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
