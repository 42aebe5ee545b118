//! Everything held about the caller (P6). Who may read what is decided by
//! the backend ([`backend::mydata`]): only ever the caller's own.

use crate::error::AppError;
use domain::mydata::{EraseForm, MyData, NameForm};
use leptos::prelude::*;

/// Everything held about the signed-in caller, the newest rows of each
/// kind (the download has them all).
#[server(endpoint = "my-data")]
pub async fn held_about_me() -> Result<MyData, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    let newest = Some(domain::mydata::PAGE_ROWS);
    Ok(backend::mydata::gather(&caller.state.db, viewer, newest).await?)
}

/// Corrects the caller's name. Signed-in people.
#[server(endpoint = "my-data/name")]
pub async fn correct_my_name(#[server(flatten)] form: NameForm) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    let name = form.validate().map_err(AppError::Invalid)?;
    backend::auth::rename(&caller.state.db, session, &name).await?;
    Ok(format!("{}?done=name", domain::mydata::MY_DATA))
}

/// Ends every other session of the caller's. Signed-in people.
#[server(endpoint = "my-data/sign-out-elsewhere")]
pub async fn sign_out_elsewhere() -> Result<String, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    backend::auth::sign_out_elsewhere(&caller.state.db, session).await?;
    Ok(format!("{}?done=signed-out", domain::mydata::MY_DATA))
}

/// Erases the caller's own account once they give their password (and a
/// code from their authenticator app, if they use one) and confirm; signs
/// the browser out. Signed-in people.
#[server(endpoint = "my-data/erase")]
pub async fn erase_my_account(#[server(flatten)] form: EraseForm) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    form.validate().map_err(AppError::Invalid)?;
    let state = &caller.state;
    backend::mydata::erase_own(
        &state.db,
        &state.keys,
        &state.site.product_name,
        session,
        &form.password,
        &form.code,
    )
    .await?;
    caller.end_browser_session();
    Ok(crate::api::account::paths::ERASED.to_owned())
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
