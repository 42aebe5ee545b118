//! Data-rights requests. Who may see and change which request is decided
//! by the backend ([`backend::rights`]): a member only their own,
//! administrators every one; these functions only say who is calling.

use crate::error::AppError;
use domain::rights::{
    CloseForm, ErasureForm, ExtendForm, LogRequestForm, RequestDetail, RequestPage, RequestQuery,
    RequestSummary, RightsRequestForm,
};
use leptos::prelude::*;

/// Makes a data-rights request of the caller's own, received today; leads
/// back to their data page. Signed-in people.
#[server(endpoint = "rights/request")]
pub async fn make_rights_request(
    #[server(flatten)] form: RightsRequestForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    let request = form.validate().map_err(AppError::Invalid)?;
    let state = &caller.state;
    backend::rights::submit(&state.db, viewer, &request, &state.team_email, &state.site).await?;
    Ok(format!("{}?done=request#requests", domain::mydata::MY_DATA))
}

/// The caller's own requests, newest first. Signed-in people.
#[server(endpoint = "rights/mine")]
pub async fn my_rights_requests() -> Result<Vec<RequestSummary>, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    Ok(backend::rights::mine(&caller.state.db, viewer).await?)
}

/// Every request, open ones first and soonest due first. Administrators
/// only.
#[server(endpoint = "admin/rights-requests")]
pub async fn rights_requests(
    #[server(flatten)] query: RequestQuery,
) -> Result<RequestPage, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::rights::list(&caller.state.db, viewer, &query).await?)
}

/// One request in full. Administrators only.
#[server(endpoint = "admin/rights-request")]
pub async fn rights_request(id: i64) -> Result<RequestDetail, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::rights::detail(&caller.state.db, viewer, id).await?)
}

/// Logs a request that arrived by letter or email; leads to its page.
/// Administrators only.
#[server(endpoint = "admin/rights-log")]
pub async fn log_rights_request(
    #[server(flatten)] form: LogRequestForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let request = form
        .validate(backend::clock::now())
        .map_err(AppError::Invalid)?;
    let id = backend::rights::log(&caller.state.db, viewer, &request).await?;
    Ok(format!("{}?done=logged", domain::rights::request_path(id)))
}

/// Extends a request's time limit, emailing the requester the new date
/// and why. Administrators only.
#[server(endpoint = "admin/rights-extend")]
pub async fn extend_rights_request(
    id: i64,
    #[server(flatten)] form: ExtendForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let extension = form.validate().map_err(AppError::Invalid)?;
    let state = &caller.state;
    backend::rights::extend(&state.db, viewer, id, &extension, &state.site).await?;
    Ok(format!(
        "{}?done=extended",
        domain::rights::request_path(id)
    ))
}

/// Closes a request as completed or refused, with a note. Administrators
/// only.
#[server(endpoint = "admin/rights-close")]
pub async fn close_rights_request(
    id: i64,
    #[server(flatten)] form: CloseForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let closing = form.validate().map_err(AppError::Invalid)?;
    backend::rights::close(&caller.state.db, viewer, id, &closing).await?;
    Ok(format!("{}?done=closed", domain::rights::request_path(id)))
}

/// Fulfils an erasure request: erases the linked account, as its owner's
/// own erasure would, and completes the request. Administrators only.
#[server(endpoint = "admin/rights-erase")]
pub async fn erase_for_rights_request(
    id: i64,
    #[server(flatten)] form: ErasureForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    form.validate().map_err(AppError::Invalid)?;
    backend::rights::erase_account(&caller.state.db, viewer, id).await?;
    Ok(format!("{}?done=erased", domain::rights::request_path(id)))
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
