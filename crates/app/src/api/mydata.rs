//! Everything held about the caller (P6). Who may read what is decided by
//! the backend ([`backend::mydata`]): only ever the caller's own.

use crate::error::AppError;
use domain::mydata::MyData;
use leptos::prelude::*;

/// Everything held about the signed-in caller.
#[server(endpoint = "my-data")]
pub async fn held_about_me() -> Result<MyData, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    Ok(backend::mydata::gather(&caller.state.db, viewer).await?)
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
