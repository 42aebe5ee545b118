//! People, for administrators: the member list, one person's record, and
//! the changes made to an account. Who may do this is decided by the
//! backend ([`backend::members`]); these functions say who is calling and
//! return the page to go to next.

use crate::error::AppError;
use domain::members::{DeleteForm, MemberDetail, MemberPage, MemberQuery, RoleForm, SuspendForm};
use leptos::prelude::*;

/// A page of people matching `query`. Administrators only.
#[server(endpoint = "admin/members")]
pub async fn list_members(#[server(flatten)] query: MemberQuery) -> Result<MemberPage, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::members::list(&caller.state.db, viewer, &query).await?)
}

/// Organisations for the list's filter, as `(id, name)`. Administrators only.
#[server(endpoint = "admin/member-organisations")]
pub async fn member_organisations() -> Result<Vec<(i64, String)>, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::members::organisations(&caller.state.db, viewer).await?)
}

/// One person's record. Administrators only.
#[server(endpoint = "admin/member")]
pub async fn member_record(id: i64) -> Result<MemberDetail, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::members::detail(&caller.state.db, viewer, id).await?)
}

/// Emails a new confirmation link. Administrators only.
#[server(endpoint = "admin/member-resend")]
pub async fn resend_member_verification(id: i64) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let state = &caller.state;
    backend::members::resend_verification(&state.db, viewer, &state.site, id).await?;
    Ok(done(id, "resent"))
}

/// Suspends an account, with a reason. Administrators only.
#[server(endpoint = "admin/member-suspend")]
pub async fn suspend_member(
    id: i64,
    #[server(flatten)] form: SuspendForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let reason = form.validate().map_err(AppError::Invalid)?;
    backend::members::suspend(&caller.state.db, viewer, id, &reason).await?;
    Ok(done(id, "suspended"))
}

/// Lifts a suspension. Administrators only.
#[server(endpoint = "admin/member-reinstate")]
pub async fn reinstate_member(id: i64) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    backend::members::reinstate(&caller.state.db, viewer, id).await?;
    Ok(done(id, "reinstated"))
}

/// Deletes an account, once confirmed. Administrators only.
#[server(endpoint = "admin/member-delete")]
pub async fn delete_member(
    id: i64,
    #[server(flatten)] form: DeleteForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    form.validate().map_err(AppError::Invalid)?;
    backend::members::delete(&caller.state.db, viewer, id).await?;
    Ok(format!("{}?deleted=1", domain::members::MEMBERS))
}

/// Removes a lost second factor; the person is told by email.
/// Administrators only.
#[server(endpoint = "admin/member-second-factor")]
pub async fn reset_member_second_factor(id: i64) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let state = &caller.state;
    backend::members::reset_second_factor(&state.db, viewer, &state.site, id).await?;
    Ok(done(id, "second_factor"))
}

/// Makes someone a member or an administrator; making an administrator
/// needs the caller's current authenticator code. Administrators only.
#[server(endpoint = "admin/member-role")]
pub async fn change_member_role(
    id: i64,
    #[server(flatten)] form: RoleForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let change = form.validate().map_err(AppError::Invalid)?;
    let state = &caller.state;
    backend::members::change_role(&state.db, &state.keys, &state.site, viewer, id, &change).await?;
    Ok(done(id, "role"))
}

/// Person `id`'s record, saying what was just done.
#[cfg(feature = "ssr")]
fn done(id: i64, what: &str) -> String {
    format!("{}?done={what}", domain::members::member_path(id))
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
