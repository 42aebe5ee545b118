//! Forms posted without JavaScript. The browser posts to the page's own
//! address; the server's form middleware hands the fields here. Success is
//! a redirect; failure re-renders the page with a [`FormEcho`].

use super::account::{self, Caller, Done};
use crate::components::form::FormEcho;
use crate::error::AppError;

/// What became of a posted form.
#[derive(Debug)]
pub enum Posted {
    /// Accepted: go here (303 See Other), setting or clearing the session
    /// cookie on the way.
    Redirect(Done),
    /// Not accepted (or accepted with something to show): render the page
    /// again with this, answering with `status`.
    Echo { echo: FormEcho, status: u16 },
}

/// Pages whose forms also work without JavaScript.
pub const FORM_PATHS: &[&str] = &[
    "/contact",
    "/register",
    "/login",
    "/login/two-factor",
    "/logout",
    "/verify-email",
    "/forgot-password",
    "/reset-password",
    "/account/password",
    "/account/email",
    "/confirm-email",
    "/account/two-factor",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/organisations/{id}",
    "/admin/organisations/{id}/edit",
];

/// Fields never sent back to the page: secrets and the honeypot.
const NEVER_ECHOED: &[&str] = &[
    "password",
    "current_password",
    "new_password",
    "code",
    "website",
];

/// Handles a form posted to `path`, or `None` if no form lives there.
pub async fn post(path: &str, caller: &Caller, fields: Vec<(String, String)>) -> Option<Posted> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let outcome: Result<Done, AppError> = match path {
        "/contact" => {
            let input = domain::enquiry::EnquiryInput {
                name: field("name"),
                organisation: field("organisation"),
                email: field("email"),
                telephone: field("telephone"),
                message: field("message"),
            };
            super::contact::accept_enquiry(&caller.state, &caller.client, &input, &field("website"))
                .await
                .map(|()| Done {
                    to: super::contact::THANKS_PATH.to_owned(),
                    set_cookie: None,
                })
        }
        "/register" => {
            let input = domain::account::RegistrationInput {
                // The code is kept in the echo below: it is not a secret
                // from the person who typed it, and retyping it is tedious.
                code: field("code"),
                full_name: field("full_name"),
                email: field("email"),
                password: field("password"),
                privacy: fields.iter().any(|(k, _)| k == "privacy"),
            };
            account::accept_registration(caller, &input).await
        }
        "/login" => {
            account::accept_sign_in(caller, &field("email"), &field("password"), &field("next"))
                .await
        }
        "/login/two-factor" => {
            account::accept_second_factor(caller, &field("code"), &field("next")).await
        }
        "/logout" => account::accept_sign_out(caller).await,
        "/verify-email" => account::accept_verify_email(caller, &field("token")).await,
        "/forgot-password" => account::accept_forgot_password(caller, &field("email")).await,
        "/reset-password" => {
            account::accept_reset_password(caller, &field("token"), &field("password")).await
        }
        "/account/password" => {
            account::accept_change_password(
                caller,
                &field("current_password"),
                &field("new_password"),
            )
            .await
        }
        "/account/email" => {
            account::accept_change_email(caller, &field("password"), &field("new_email")).await
        }
        "/confirm-email" => account::accept_confirm_email(caller, &field("token")).await,
        "/account/two-factor" => {
            return Some(
                match account::accept_enrolment(caller, &field("secret"), &field("code")).await {
                    Ok(codes) => Posted::Echo {
                        echo: FormEcho {
                            values: codes
                                .into_iter()
                                .map(|code| ("recovery_code".to_owned(), code))
                                .collect(),
                            ..FormEcho::default()
                        },
                        status: 200,
                    },
                    Err(error) => Posted::Echo {
                        status: error.status_code(),
                        echo: echo(fields, &error, path),
                    },
                },
            );
        }
        other if other.starts_with("/admin/organisations") => {
            return admin_post(other, caller, fields).await;
        }
        _ => return None,
    };
    Some(match outcome {
        Ok(done) => Posted::Redirect(done),
        Err(error) => Posted::Echo {
            status: error.status_code(),
            echo: echo(fields, &error, path),
        },
    })
}

/// The administrators' organisation forms.
async fn admin_post(path: &str, caller: &Caller, fields: Vec<(String, String)>) -> Option<Posted> {
    use super::admin::{self, OrganisationFields};
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let organisation_fields = || OrganisationFields {
        name: field("name"),
        ods_code: field("ods_code"),
        address_line1: field("address_line1"),
        address_line2: field("address_line2"),
        town: field("town"),
        postcode: field("postcode"),
        telephone: field("telephone"),
        email: field("email"),
        website: field("website"),
        contact_name: field("contact_name"),
        contact_role: field("contact_role"),
        contact_email: field("contact_email"),
        contact_telephone: field("contact_telephone"),
        contact2_name: field("contact2_name"),
        contact2_role: field("contact2_role"),
        contact2_email: field("contact2_email"),
        contact2_telephone: field("contact2_telephone"),
        email_domains: field("email_domains"),
    };
    let shown = |values: Vec<(&str, String)>| Posted::Echo {
        echo: FormEcho {
            values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            ..FormEcho::default()
        },
        status: 200,
    };
    if path == "/admin/organisations" {
        let outcome = admin::accept_share_domain(caller, &field("domain"))
            .await
            .map(|()| {
                Posted::Redirect(Done {
                    to: "/admin/organisations?shared=1".to_owned(),
                    set_cookie: None,
                })
            });
        return Some(outcome.unwrap_or_else(|error| Posted::Echo {
            status: error.status_code(),
            echo: echo(fields.clone(), &error, path),
        }));
    }
    let rest = path.strip_prefix("/admin/organisations/")?;
    let outcome: Result<Posted, AppError> = if rest == "new" {
        admin::accept_create(caller, &organisation_fields())
            .await
            .map(|created| {
                shown(vec![
                    ("created_id", created.id.to_string()),
                    ("created_code", created.code),
                ])
            })
    } else {
        let (id, edit) = match rest.strip_suffix("/edit") {
            Some(id) => (id, true),
            None => (rest, false),
        };
        let id: i64 = id.parse().ok()?;
        let back = |what: &str| {
            Posted::Redirect(Done {
                to: format!("/admin/organisations/{id}?updated={what}"),
                set_cookie: None,
            })
        };
        if edit {
            admin::accept_update(caller, id, &organisation_fields())
                .await
                .map(|()| back("details"))
        } else {
            match field("action").as_str() {
                "status" => admin::accept_status(caller, id, &field("status"), &field("reason"))
                    .await
                    .map(|()| back("status")),
                "rotate" => admin::accept_rotate(caller, id)
                    .await
                    .map(|code| shown(vec![("new_code", code)])),
                "limits" => admin::accept_limits(caller, id, &field("expires"), &field("max_uses"))
                    .await
                    .map(|()| back("limits")),
                "revoke" => admin::accept_revoke(caller, id)
                    .await
                    .map(|()| back("revoked")),
                "services" => {
                    let services: Vec<i64> = fields
                        .iter()
                        .filter(|(k, _)| k == "services")
                        .filter_map(|(_, v)| v.parse().ok())
                        .collect();
                    admin::accept_services(caller, id, &services)
                        .await
                        .map(|()| back("services"))
                }
                _ => return None,
            }
        }
    };
    Some(match outcome {
        Ok(posted) => posted,
        Err(error) => Posted::Echo {
            status: error.status_code(),
            echo: echo(fields, &error, path),
        },
    })
}

fn echo(fields: Vec<(String, String)>, error: &AppError, path: &str) -> FormEcho {
    let values = fields
        .into_iter()
        .filter(|(k, _)| {
            !NEVER_ECHOED.contains(&k.as_str()) || (path == "/register" && k == "code")
        })
        .collect();
    FormEcho::from_error(values, error)
}
