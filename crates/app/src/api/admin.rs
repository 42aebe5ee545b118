//! Organisations and their authorisation codes, for administrators. Every
//! function here is a public endpoint and refuses anyone who is not a
//! signed-in administrator with a second factor (401 or 403). Each form's
//! function returns the page to go to next.

use crate::error::AppError;
use domain::organisation::{OrganisationDetail, OrganisationForm, OrganisationPage};
use leptos::prelude::*;

/// Organisations matching `q` (name, ODS code or postcode), optionally of
/// one status, a page at a time. Administrators only.
#[server(endpoint = "admin/organisations")]
pub async fn list_organisations(
    q: Option<String>,
    status: Option<String>,
    page: Option<i64>,
) -> Result<OrganisationPage, AppError> {
    let caller = Caller::current()?;
    caller.admin()?;
    let status = status
        .as_deref()
        .and_then(domain::organisation::OrgStatus::parse);
    Ok(backend::orgs::list(
        &caller.state.db,
        q.as_deref().unwrap_or_default(),
        status,
        page.unwrap_or(1),
    )
    .await?)
}

/// One organisation in full. Administrators only.
#[server(endpoint = "admin/organisation")]
pub async fn organisation(id: i64) -> Result<OrganisationDetail, AppError> {
    let caller = Caller::current()?;
    caller.admin()?;
    Ok(backend::orgs::detail(&caller.state.db, id).await?)
}

/// Creates an organisation and its first code; the code is shown once, on
/// the organisation's page. Administrators only.
#[server(endpoint = "admin/organisation-create")]
pub async fn create_organisation(
    #[server(flatten)] form: OrganisationForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    let organisation = form.validate().map_err(AppError::Invalid)?;
    let state = &caller.state;
    let (id, code) =
        backend::orgs::create(&state.db, state.keys.codes(), &actor, &organisation).await?;
    caller
        .flash(&Flash::OrganisationAdded {
            id,
            code: code.to_string(),
        })
        .await?;
    Ok(organisation_path(id, None))
}

/// Changes an organisation's details. Administrators only.
#[server(endpoint = "admin/organisation-update")]
pub async fn update_organisation(
    id: i64,
    #[server(flatten)] form: OrganisationForm,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    let organisation = form.validate().map_err(AppError::Invalid)?;
    backend::orgs::update(&caller.state.db, &actor, id, &organisation).await?;
    Ok(organisation_path(id, Some("details")))
}

/// Makes an organisation active, suspended or ended, with a reason.
/// Administrators only.
#[server(endpoint = "admin/organisation-status")]
pub async fn change_organisation_status(
    id: i64,
    status: String,
    reason: String,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    let status = domain::organisation::OrgStatus::parse(&status)
        .ok_or_else(|| AppError::on_field("status", "Choose a status"))?;
    backend::orgs::change_status(&caller.state.db, &actor, id, status, &reason).await?;
    Ok(organisation_path(id, Some("status")))
}

/// Replaces the organisation's code; the old one stops working at once.
/// The new code is shown once, on the organisation's page. Administrators only.
#[server(endpoint = "admin/organisation-rotate-code")]
pub async fn rotate_organisation_code(id: i64) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    let state = &caller.state;
    let code = backend::orgs::rotate_code(&state.db, state.keys.codes(), &actor, id).await?;
    caller
        .flash(&Flash::CodeReplaced {
            id,
            code: code.to_string(),
        })
        .await?;
    Ok(organisation_path(id, None))
}

/// Revokes the organisation's code without a replacement. Administrators only.
#[server(endpoint = "admin/organisation-revoke-code")]
pub async fn revoke_organisation_code(id: i64) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    backend::orgs::revoke_code(&caller.state.db, &actor, id).await?;
    Ok(organisation_path(id, Some("revoked")))
}

/// Sets the services an organisation subscribes to (service ids; none
/// ticked means none). Administrators only.
#[server(endpoint = "admin/organisation-services")]
pub async fn set_organisation_services(
    id: i64,
    #[server(default)] services: Vec<i64>,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    backend::orgs::set_services(&caller.state.db, &actor, id, &services).await?;
    Ok(organisation_path(id, Some("services")))
}

/// Sets when the live code expires (`2027-03-31`, empty for never) and how
/// many registrations it admits (empty for no limit). Administrators only.
#[server(endpoint = "admin/organisation-code-limits")]
pub async fn set_code_limits(
    id: i64,
    expires: String,
    max_uses: String,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    let mut errors = domain::FieldErrors::new();
    let expires = errors.check("expires", domain::organisation::parse_code_expiry(&expires));
    let max_uses = errors.check("max_uses", domain::organisation::parse_max_uses(&max_uses));
    let (Some(expires), Some(max_uses)) = (expires, max_uses) else {
        return Err(AppError::Invalid(errors));
    };
    backend::orgs::set_code_limits(&caller.state.db, &actor, id, expires, max_uses).await?;
    Ok(organisation_path(id, Some("limits")))
}

/// Marks an email domain (such as nhs.net) as shared, so that several
/// organisations may list it. Administrators only.
#[server(endpoint = "admin/shared-domain")]
pub async fn share_domain(domain: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let actor = caller.admin_actor()?;
    backend::orgs::mark_domain_shared(&caller.state.db, &actor, &domain).await?;
    Ok("/admin/organisations?shared=1".to_owned())
}

/// The organisation's page, saying what was just saved.
pub fn organisation_path(id: i64, updated: Option<&str>) -> String {
    match updated {
        Some(what) => format!("/admin/organisations/{id}?updated={what}"),
        None => format!("/admin/organisations/{id}"),
    }
}

#[cfg(feature = "ssr")]
use {crate::api::account::Caller, domain::flash::Flash};

#[cfg(feature = "ssr")]
impl Caller {
    /// The administrator making a change, as the audit trail names them.
    fn admin_actor(&self) -> Result<backend::audit::Actor, AppError> {
        Ok(backend::audit::Actor::User {
            id: self.admin()?.viewer.id,
        })
    }
}
