//! The member library: browsing, searching, reading and saving resources,
//! and administrators writing them. Who may see what is decided by the
//! backend ([`backend::library`]), which answers "not found" for anything
//! the caller may not see; these functions only say who is calling.

use crate::error::AppError;
use domain::library::{
    LibraryPage, LibraryQuery, ResourceDetail, ResourceFormOptions, ResourceInput, ResourceSummary,
    ReviewItem,
};
use leptos::prelude::*;

/// A page of the library as the caller may see it: a ranked search when
/// `q` has words, otherwise browsing in the order asked. Signed-in people.
#[server(endpoint = "library")]
pub async fn library(#[server(flatten)] query: LibraryQuery) -> Result<LibraryPage, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    let db = &caller.state.db;
    Ok(if query.q.trim().is_empty() {
        backend::library::list(db, viewer, &query).await?
    } else {
        backend::library::search(db, viewer, &query).await?
    })
}

/// One resource, recorded as a view. Signed-in people; one they may not
/// see is "not found".
#[server(endpoint = "library/resource")]
pub async fn library_resource(id: i64) -> Result<ResourceDetail, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    Ok(backend::library::detail(&caller.state.db, viewer, id).await?)
}

/// What changed in the last 30 days that the caller may see, newest first.
#[server(endpoint = "library/new")]
pub async fn whats_new() -> Result<Vec<ResourceSummary>, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    let since = backend::clock::now() - WHATS_NEW_DAYS * domain::library::DAY;
    Ok(backend::library::recent(&caller.state.db, viewer, since).await?)
}

/// The caller's saved resources, a page at a time.
#[server(endpoint = "library/saved")]
pub async fn saved_resources(page: Option<i64>) -> Result<LibraryPage, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    Ok(backend::library::bookmarks(&caller.state.db, viewer, page.unwrap_or(1)).await?)
}

/// Saves resource `id` (`save` true) or forgets it, then goes back to
/// `back` (a page on this site) or to the resource.
#[server(endpoint = "library/save")]
pub async fn save_resource(id: i64, save: bool, back: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    let db = &caller.state.db;
    if save {
        backend::library::bookmark(db, viewer, id).await?;
    } else {
        backend::library::unbookmark(db, viewer, id).await?;
    }
    Ok(domain::account::local_next(&back)
        .map(str::to_owned)
        .unwrap_or_else(|| domain::library::resource_path(id)))
}

/// The services and owners the resource form offers. Administrators only.
#[server(endpoint = "admin/resource-options")]
pub async fn resource_options() -> Result<ResourceFormOptions, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::library::form_options(&caller.state.db, viewer).await?)
}

/// Adds a draft resource. Administrators only.
#[server(endpoint = "admin/resource-create")]
pub async fn create_resource(#[server(flatten)] form: ResourceInput) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let resource = form.validate().map_err(AppError::Invalid)?;
    let id = backend::library::create(&caller.state.db, viewer, &resource).await?;
    Ok(domain::library::admin_resource_path(id))
}

/// Replaces a resource's content (not its status or files). Administrators
/// only.
#[server(endpoint = "admin/resource-update")]
pub async fn update_resource(
    id: i64,
    #[server(flatten)] form: ResourceInput,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let resource = form.validate().map_err(AppError::Invalid)?;
    backend::library::update(&caller.state.db, viewer, id, &resource).await?;
    Ok(format!(
        "{}?updated=details",
        domain::library::admin_resource_path(id)
    ))
}

/// Publishes, archives or restores (to draft) a resource. Administrators
/// only.
#[server(endpoint = "admin/resource-status")]
pub async fn set_resource_status(id: i64, status: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let status = domain::library::ResourceStatus::parse(&status)
        .ok_or_else(|| AppError::on_field("status", "Choose what to do with the resource"))?;
    backend::library::set_status(&caller.state.db, viewer, id, status).await?;
    Ok(format!(
        "{}?updated={}",
        domain::library::admin_resource_path(id),
        status.as_str()
    ))
}

/// The body `body_md` as members would see it: Markdown rendered and
/// sanitised, exactly as the resource's page does. Administrators only.
#[server(endpoint = "admin/markdown-preview")]
pub async fn preview_markdown(body_md: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    caller.admin()?;
    Ok(backend::markdown::to_safe_html(&body_md))
}

/// Resources whose review is overdue or due within 30 days, by owner.
/// Administrators only.
#[server(endpoint = "admin/reviews")]
pub async fn reviews() -> Result<Vec<ReviewItem>, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::library::reviews(&caller.state.db, viewer, backend::clock::now()).await?)
}

/// How far back "what's new" looks.
pub const WHATS_NEW_DAYS: i64 = 30;

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
