//! Organisations and their authorisation codes, for administrators. Every
//! function here is a public endpoint and refuses anyone who is not a
//! signed-in administrator with a second factor (401 or 403).

use crate::error::AppError;
use domain::organisation::{OrganisationDetail, OrganisationPage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The organisation form's fields, flat as the form posts them: one key
/// contact, and a second if the administrator fills it in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationFields {
    pub name: String,
    #[serde(default)]
    pub ods_code: String,
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
    pub telephone: String,
    pub email: String,
    #[serde(default)]
    pub website: String,
    pub contact_name: String,
    pub contact_role: String,
    pub contact_email: String,
    #[serde(default)]
    pub contact_telephone: String,
    #[serde(default)]
    pub contact2_name: String,
    #[serde(default)]
    pub contact2_role: String,
    #[serde(default)]
    pub contact2_email: String,
    #[serde(default)]
    pub contact2_telephone: String,
    #[serde(default)]
    pub email_domains: String,
}

/// A new organisation and its code, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: i64,
    pub code: String,
}

/// Organisations matching `q` (name, ODS code or postcode), optionally of
/// one status, a page at a time. Administrators only.
#[server(endpoint = "admin/organisations")]
pub async fn list_organisations(
    q: Option<String>,
    status: Option<String>,
    page: Option<i64>,
) -> Result<OrganisationPage, AppError> {
    let caller = super::account::Caller::current()?;
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
    let caller = super::account::Caller::current()?;
    caller.admin()?;
    Ok(backend::orgs::detail(&caller.state.db, id).await?)
}

/// Creates an organisation and its first code. Administrators only.
#[server(endpoint = "admin/organisation-create")]
pub async fn create_organisation(fields: OrganisationFields) -> Result<Created, AppError> {
    let caller = super::account::Caller::current()?;
    accept_create(&caller, &fields).await
}

/// Changes an organisation's details. Administrators only.
#[server(endpoint = "admin/organisation-update")]
pub async fn update_organisation(id: i64, fields: OrganisationFields) -> Result<(), AppError> {
    let caller = super::account::Caller::current()?;
    accept_update(&caller, id, &fields).await
}

/// Makes an organisation active, suspended or ended, with a reason.
/// Administrators only.
#[server(endpoint = "admin/organisation-status")]
pub async fn change_organisation_status(
    id: i64,
    status: String,
    reason: String,
) -> Result<(), AppError> {
    let caller = super::account::Caller::current()?;
    accept_status(&caller, id, &status, &reason).await
}

/// Replaces the organisation's code; the old one stops working at once.
/// Returns the new code, shown this once. Administrators only.
#[server(endpoint = "admin/organisation-rotate-code")]
pub async fn rotate_organisation_code(id: i64) -> Result<String, AppError> {
    let caller = super::account::Caller::current()?;
    accept_rotate(&caller, id).await
}

/// Revokes the organisation's code without a replacement. Administrators only.
#[server(endpoint = "admin/organisation-revoke-code")]
pub async fn revoke_organisation_code(id: i64) -> Result<(), AppError> {
    let caller = super::account::Caller::current()?;
    accept_revoke(&caller, id).await
}

/// Sets the services an organisation subscribes to (service ids).
/// Administrators only.
#[server(endpoint = "admin/organisation-services")]
pub async fn set_organisation_services(id: i64, services: Vec<i64>) -> Result<(), AppError> {
    let caller = super::account::Caller::current()?;
    accept_services(&caller, id, &services).await
}

/// Sets when the live code expires (`2027-03-31`, empty for never) and how
/// many registrations it admits (empty for no limit). Administrators only.
#[server(endpoint = "admin/organisation-code-limits")]
pub async fn set_code_limits(id: i64, expires: String, max_uses: String) -> Result<(), AppError> {
    let caller = super::account::Caller::current()?;
    accept_limits(&caller, id, &expires, &max_uses).await
}

/// Marks an email domain (such as nhs.net) as shared, so that several
/// organisations may list it. Administrators only.
#[server(endpoint = "admin/shared-domain")]
pub async fn share_domain(domain: String) -> Result<(), AppError> {
    let caller = super::account::Caller::current()?;
    accept_share_domain(&caller, &domain).await
}

#[cfg(feature = "ssr")]
pub use work::*;

#[cfg(feature = "ssr")]
mod work {
    use super::{Created, OrganisationFields};
    use crate::api::account::Caller;
    use crate::error::AppError;
    use backend::audit::Actor;
    use domain::FieldErrors;
    use domain::organisation::{ContactInput, OrgStatus, Organisation, OrganisationInput};

    fn actor(caller: &Caller) -> Result<Actor, AppError> {
        Ok(Actor::User {
            id: caller.admin()?.viewer.id,
        })
    }

    /// The form's flat fields as the domain's input. Contact errors come
    /// back as `contacts[0].name`; the form calls that field `contact_name`.
    fn validate(fields: &OrganisationFields) -> Result<Organisation, AppError> {
        let input = OrganisationInput {
            name: fields.name.clone(),
            ods_code: fields.ods_code.clone(),
            address_line1: fields.address_line1.clone(),
            address_line2: fields.address_line2.clone(),
            town: fields.town.clone(),
            postcode: fields.postcode.clone(),
            telephone: fields.telephone.clone(),
            email: fields.email.clone(),
            website: fields.website.clone(),
            contacts: contacts(fields),
            email_domains: fields.email_domains.clone(),
        };
        input.validate().map_err(|errors| {
            crate::state::set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
            AppError::Invalid(flat_errors(&errors))
        })
    }

    fn contacts(fields: &OrganisationFields) -> Vec<ContactInput> {
        let first = ContactInput {
            name: fields.contact_name.clone(),
            role: fields.contact_role.clone(),
            email: fields.contact_email.clone(),
            telephone: fields.contact_telephone.clone(),
        };
        let second = ContactInput {
            name: fields.contact2_name.clone(),
            role: fields.contact2_role.clone(),
            email: fields.contact2_email.clone(),
            telephone: fields.contact2_telephone.clone(),
        };
        let second_given = [&second.name, &second.role, &second.email, &second.telephone]
            .iter()
            .any(|v| !v.trim().is_empty());
        if second_given {
            vec![first, second]
        } else {
            vec![first]
        }
    }

    fn flat_errors(errors: &FieldErrors) -> FieldErrors {
        let mut flat = FieldErrors::new();
        for error in errors.iter() {
            let field = if let Some(part) = error.field.strip_prefix("contacts[0].") {
                format!("contact_{part}")
            } else if let Some(part) = error.field.strip_prefix("contacts[1].") {
                format!("contact2_{part}")
            } else if error.field == "contacts" {
                "contact_name".to_owned()
            } else {
                error.field.clone()
            };
            flat.add(&field, error.message.clone());
        }
        flat
    }

    fn flatten(error: backend::Error) -> AppError {
        match error {
            backend::Error::Invalid(errors) => {
                crate::state::set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
                AppError::Invalid(flat_errors(&errors))
            }
            other => other.into(),
        }
    }

    pub async fn accept_create(
        caller: &Caller,
        fields: &OrganisationFields,
    ) -> Result<Created, AppError> {
        let actor = actor(caller)?;
        let organisation = validate(fields)?;
        let state = &caller.state;
        let (id, code) = backend::orgs::create(&state.db, &state.code_key, &actor, &organisation)
            .await
            .map_err(flatten)?;
        Ok(Created {
            id,
            code: code.to_string(),
        })
    }

    pub async fn accept_update(
        caller: &Caller,
        id: i64,
        fields: &OrganisationFields,
    ) -> Result<(), AppError> {
        let actor = actor(caller)?;
        let organisation = validate(fields)?;
        backend::orgs::update(&caller.state.db, &actor, id, &organisation)
            .await
            .map_err(flatten)
    }

    pub async fn accept_status(
        caller: &Caller,
        id: i64,
        status: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        let actor = actor(caller)?;
        let Some(status) = OrgStatus::parse(status) else {
            let mut errors = FieldErrors::new();
            errors.add("status", "Choose a status");
            return Err(AppError::Invalid(errors));
        };
        Ok(backend::orgs::change_status(&caller.state.db, &actor, id, status, reason).await?)
    }

    pub async fn accept_rotate(caller: &Caller, id: i64) -> Result<String, AppError> {
        let actor = actor(caller)?;
        let state = &caller.state;
        let code = backend::orgs::rotate_code(&state.db, &state.code_key, &actor, id).await?;
        Ok(code.to_string())
    }

    pub async fn accept_revoke(caller: &Caller, id: i64) -> Result<(), AppError> {
        let actor = actor(caller)?;
        Ok(backend::orgs::revoke_code(&caller.state.db, &actor, id).await?)
    }

    pub async fn accept_limits(
        caller: &Caller,
        id: i64,
        expires: &str,
        max_uses: &str,
    ) -> Result<(), AppError> {
        let actor = actor(caller)?;
        let mut errors = FieldErrors::new();
        let expires = errors.check("expires", domain::organisation::parse_code_expiry(expires));
        let max_uses = errors.check("max_uses", domain::organisation::parse_max_uses(max_uses));
        let (Some(expires), Some(max_uses)) = (expires, max_uses) else {
            crate::state::set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
            return Err(AppError::Invalid(errors));
        };
        Ok(backend::orgs::set_code_limits(&caller.state.db, &actor, id, expires, max_uses).await?)
    }

    pub async fn accept_share_domain(caller: &Caller, domain: &str) -> Result<(), AppError> {
        let actor = actor(caller)?;
        Ok(backend::orgs::mark_domain_shared(&caller.state.db, &actor, domain).await?)
    }

    pub async fn accept_services(
        caller: &Caller,
        id: i64,
        services: &[i64],
    ) -> Result<(), AppError> {
        let actor = actor(caller)?;
        Ok(backend::orgs::set_services(&caller.state.db, &actor, id, services).await?)
    }
}
