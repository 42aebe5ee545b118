//! The audit viewer and the dashboard, for administrators. Who may read
//! them is decided by the backend ([`backend::audit::trail`],
//! [`backend::console`]); these functions only say who is calling.

use crate::error::AppError;
use domain::audit::{AuditPage, AuditQuery, ChainReport};
use leptos::prelude::*;

/// A page of the trail, filtered by `query`. Administrators only.
#[server(endpoint = "admin/audit")]
pub async fn audit_trail(#[server(flatten)] query: AuditQuery) -> Result<AuditPage, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::audit::trail::page(&caller.state.db, viewer, &query).await?)
}

/// The organisations the trail names, as `(id, name)`. Administrators only.
#[server(endpoint = "admin/audit-organisations")]
pub async fn audit_organisations() -> Result<Vec<(i64, String)>, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::audit::trail::organisations(&caller.state.db, viewer).await?)
}

/// Checks the whole chain and reports the first break. Administrators only.
#[server(endpoint = "admin/audit-chain")]
pub async fn audit_chain() -> Result<ChainReport, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let state = &caller.state;
    Ok(backend::audit::trail::chain(&state.db, &state.keys, viewer).await?)
}

/// The dashboard's figures. Administrators only.
#[server(endpoint = "admin/dashboard")]
pub async fn dashboard() -> Result<domain::console::Dashboard, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::console::dashboard(&caller.state.db, viewer).await?)
}

/// What the next retention run would delete, kind by kind, with how long
/// members of ended organisations are kept. Administrators only.
#[server(endpoint = "admin/retention")]
pub async fn retention_preview() -> Result<(Vec<domain::console::RetentionRow>, u32), AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let policy = caller.state.retention;
    let due = backend::retention::preview(&caller.state.db, viewer, policy).await?;
    let rows = due
        .into_iter()
        .map(|d| domain::console::RetentionRow {
            what: d.category.label().to_owned(),
            count: d.count,
            oldest: d.oldest,
        })
        .collect();
    Ok((rows, policy.member_months))
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
