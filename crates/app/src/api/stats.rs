//! Page views counted without cookies (P10), and their report.

use crate::error::AppError;
use domain::stats::{PageViews, StatsQuery};
use leptos::prelude::*;

/// Counts a page the browser moved to without reloading (a reload is
/// counted by the server as it renders the page). Anyone; not counted
/// when the browser sends Do Not Track or Global Privacy Control, nor
/// for a path that is no page of this site.
#[server(endpoint = "view")]
pub async fn count_view(path: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let opted_out = use_context::<http::request::Parts>().is_none_or(|parts| {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        domain::stats::opted_out(header("dnt"), header("sec-gpc"))
    });
    if !opted_out {
        state.stats.count(backend::clock::now(), &path, None);
    }
    Ok(())
}

/// Page views for the period asked, this instance's latest counts
/// included. Administrators only.
#[server(endpoint = "admin/statistics")]
pub async fn statistics(#[server(flatten)] query: StatsQuery) -> Result<PageViews, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let state = &caller.state;
    if let Err(error) = state.stats.flush(&state.db).await {
        tracing::warn!(%error, "could not write page-view counts before a report");
    }
    Ok(backend::stats::report(&state.db, viewer, &query, backend::clock::now()).await?)
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
