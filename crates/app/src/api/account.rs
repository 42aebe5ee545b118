//! Registration, sign-in and account security. Each form's server function
//! returns the address the browser goes to next; with JavaScript the page
//! loads it in full (so a new or ended session applies to the whole page),
//! without it the server answers the post with a 303 to it.

use crate::error::AppError;
use leptos::prelude::*;

/// Where each flow leads.
pub mod paths {
    pub const CHECK_EMAIL: &str = "/register/check-email";
    pub const SIGNED_IN: &str = "/portal";
    pub const ADMIN_HOME: &str = "/admin";
    pub const SECOND_FACTOR: &str = "/login/two-factor";
    pub const ENROL_SECOND_FACTOR: &str = "/account/two-factor";
    pub const RESET_SENT: &str = "/forgot-password/sent";
    pub const SIGNED_OUT: &str = "/login?signed-out=1";
    pub const VERIFIED: &str = "/login?verified=1";
    pub const PASSWORD_RESET: &str = "/login?reset=1";
    pub const ACCOUNT_UPDATED: &str = "/account?updated=1";
    pub const EMAIL_SENT: &str = "/account?email-sent=1";
    pub const EMAIL_CHANGED: &str = "/login?email-changed=1";
    pub const ERASED: &str = "/login?erased=1";
}

/// Registers a member with an authorisation code. Anyone may call it; it is
/// throttled per client. Leads to "check your email" whether or not the
/// address already had an account.
#[server(endpoint = "account/register")]
pub async fn register(
    code: String,
    full_name: String,
    email: String,
    password: String,
    privacy: Option<String>,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let input = domain::account::RegistrationInput {
        code,
        full_name,
        email,
        password,
        privacy: privacy.is_some(),
    };
    let state = &caller.state;
    backend::auth::register(
        &state.db,
        state.keys.codes(),
        &state.site,
        &caller.client.0,
        &input,
    )
    .await?;
    Ok(paths::CHECK_EMAIL.to_owned())
}

/// Signs in with email and password. Anyone may call it; failures are
/// throttled per account and client and per client.
#[server(endpoint = "account/sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use backend::auth::SignIn;
    let caller = Caller::current()?;
    let state = &caller.state;
    let next = next.unwrap_or_default();
    match backend::auth::sign_in(&state.db, &caller.client.0, &email, &password).await? {
        SignIn::SignedIn(token) => {
            // The browser's previous session, if any, ends: the id always changes.
            if let Some(old) = &caller.session {
                backend::auth::sign_out(&state.db, old).await?;
            }
            caller.set_session_cookie(&token);
            Ok(landing(&next))
        }
        SignIn::SecondFactorDue(token) => {
            caller.set_session_cookie(&token);
            Ok(match domain::account::local_next(&next) {
                Some(next) => format!(
                    "{}?{}",
                    paths::SECOND_FACTOR,
                    serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
                ),
                None => paths::SECOND_FACTOR.to_owned(),
            })
        }
        SignIn::Refused => Err(AppError::on_field(
            "email",
            domain::account::SIGN_IN_REFUSED,
        )),
        SignIn::Wait(retry_after_secs) => Err(AppError::Throttled { retry_after_secs }),
    }
}

/// Completes a sign-in with a code from the authenticator app or a
/// recovery code. Only a session waiting for its second factor may call it.
#[server(endpoint = "account/second-factor")]
pub async fn second_factor(code: String, next: Option<String>) -> Result<String, AppError> {
    use backend::auth::SignIn;
    let caller = Caller::current()?;
    let state = &caller.state;
    let Some(session) = &caller.session else {
        return Err(AppError::on_field(
            "code",
            "Your sign-in has timed out. Sign in again.",
        ));
    };
    match backend::mfa::complete_sign_in(
        &state.db,
        &state.keys,
        &state.site.product_name,
        &caller.client.0,
        &session.token,
        &code,
    )
    .await?
    {
        SignIn::SignedIn(token) => {
            caller.set_session_cookie(&token);
            Ok(landing(&next.unwrap_or_default()))
        }
        SignIn::Wait(retry_after_secs) => Err(AppError::Throttled { retry_after_secs }),
        _ if backend::sessions::resolve(&state.db, &session.token)
            .await?
            .is_none() =>
        {
            // Too many wrong codes: the half-signed-in session has ended.
            caller.clear_session_cookie();
            Err(AppError::on_field(
                "code",
                "Too many wrong codes. For your security, sign in again with your password.",
            ))
        }
        _ => Err(AppError::on_field(
            "code",
            "That code is not right. Enter the 6-digit code your app shows now, or a recovery code",
        )),
    }
}

/// Signs out: ends the session on the server. Anyone may call it.
#[server(endpoint = "account/sign-out")]
pub async fn sign_out() -> Result<String, AppError> {
    let caller = Caller::current()?;
    if let Some(session) = &caller.session {
        backend::auth::sign_out(&caller.state.db, session).await?;
    }
    caller.clear_session_cookie();
    clear_site_data();
    Ok(paths::SIGNED_OUT.to_owned())
}

/// Confirms an email address from the emailed link, with the password
/// chosen at registration. Anyone holding the link may call it; it is
/// throttled per client.
#[server(endpoint = "account/verify-email")]
pub async fn verify_email(token: String, password: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let state = &caller.state;
    if backend::auth::verify_email(&state.db, &caller.client.0, &token, &password).await? {
        Ok(paths::VERIFIED.to_owned())
    } else {
        Err(AppError::on_field(
            "token",
            "This link has expired or has already been used. Register again to get a new one.",
        ))
    }
}

/// Emails a reset link if the address has an account. Anyone may call it;
/// the answer is the same either way.
#[server(endpoint = "account/forgot-password")]
pub async fn forgot_password(email: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let state = &caller.state;
    backend::auth::request_reset(&state.db, &state.site, &caller.client.0, &email).await?;
    Ok(paths::RESET_SENT.to_owned())
}

/// Sets a new password from a reset link. Anyone holding the link may call it.
#[server(endpoint = "account/reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    backend::auth::reset_password(&caller.state.db, &caller.client.0, &token, &password).await?;
    // Every session ended, this browser's included.
    caller.clear_session_cookie();
    Ok(paths::PASSWORD_RESET.to_owned())
}

/// Changes the signed-in person's password. Signed-in users only.
#[server(endpoint = "account/change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    let state = &caller.state;
    backend::auth::change_password(
        &state.db,
        &state.site,
        session,
        &current_password,
        &new_password,
    )
    .await?;
    Ok(paths::ACCOUNT_UPDATED.to_owned())
}

/// Starts a change of email address. Signed-in users only.
#[server(endpoint = "account/change-email")]
pub async fn change_email(password: String, new_email: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    let state = &caller.state;
    backend::auth::request_email_change(&state.db, &state.site, session, &password, &new_email)
        .await?;
    Ok(paths::EMAIL_SENT.to_owned())
}

/// Confirms a new email address from the emailed link. Anyone holding the
/// link may call it.
#[server(endpoint = "account/confirm-email")]
pub async fn confirm_email(token: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let state = &caller.state;
    if backend::auth::confirm_email_change(&state.db, &state.site, &token).await? {
        // Every session of the account has ended, this browser's included.
        caller.clear_session_cookie();
        Ok(paths::EMAIL_CHANGED.to_owned())
    } else {
        Err(AppError::on_field(
            "token",
            "This link has expired or has already been used. Ask for a new one from your account page.",
        ))
    }
}

/// An authenticator secret to enrol, drawn as a QR code: `secret` again
/// when given (the one already scanned, after a refused confirmation), else
/// a new one. Signed-in users without a second factor only. Changes nothing
/// until confirmed.
#[server(endpoint = "account/second-factor-setup")]
pub async fn second_factor_setup(secret: Option<String>) -> Result<AuthenticatorSetup, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    if session.viewer.second_factor {
        return Err(AppError::NotFound);
    }
    let (issuer, account) = (&caller.state.site.product_name, &session.viewer.email);
    let setup = match secret.filter(|s| !s.is_empty()) {
        Some(secret) => backend::mfa::secret_again(issuer, account, &secret)?,
        None => backend::mfa::new_secret(issuer, account)?,
    };
    Ok(AuthenticatorSetup {
        qr_svg: setup.qr_svg,
        secret: setup.secret_text,
    })
}

/// What the enrolment page shows: the QR code and the secret as text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthenticatorSetup {
    pub qr_svg: String,
    pub secret: String,
}

/// Switches the second factor on with a code from the app, after the
/// password again. The ten
/// recovery codes are kept for the next page only, which shows them once.
/// Signed-in users only.
#[server(endpoint = "account/second-factor-enrol")]
pub async fn enrol_second_factor(
    password: String,
    secret: String,
    code: String,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    let state = &caller.state;
    let codes = backend::mfa::enrol(
        &state.db,
        &state.keys,
        &state.site.product_name,
        session,
        &password,
        &secret,
        &code,
    )
    .await?;
    caller
        .flash(&domain::flash::Flash::RecoveryCodes(codes))
        .await?;
    Ok(paths::ENROL_SECOND_FACTOR.to_owned())
}

#[cfg(feature = "ssr")]
pub use work::*;

#[cfg(feature = "ssr")]
mod work {
    use super::paths;
    use crate::error::AppError;
    use crate::state::{AppState, ClientKey};
    use backend::sessions::{Session, SessionToken, Stage};

    /// Who is calling: the state, their client key and session.
    #[derive(Clone, Debug)]
    pub struct Caller {
        pub state: AppState,
        pub client: ClientKey,
        pub session: Option<Session>,
    }

    impl Caller {
        /// The caller of the current server function.
        pub fn current() -> Result<Self, AppError> {
            Ok(Self {
                state: crate::state::app_state()?,
                client: crate::state::client_key()?,
                session: crate::state::current_session(),
            })
        }

        /// The caller's session, if fully signed in.
        pub fn signed_in(&self) -> Result<&Session, AppError> {
            match &self.session {
                Some(session) if session.stage == Stage::SignedIn => Ok(session),
                _ => Err(AppError::SignInRequired),
            }
        }

        /// The caller's session if they are an administrator with a second
        /// factor.
        pub fn admin(&self) -> Result<&Session, AppError> {
            let session = self.signed_in()?;
            if session.viewer.is_admin() && session.viewer.second_factor {
                Ok(session)
            } else {
                Err(AppError::Forbidden)
            }
        }

        /// Keeps `flash` for this session's next page, which shows it once.
        pub async fn flash(&self, flash: &domain::flash::Flash) -> Result<(), AppError> {
            let session = self.signed_in()?;
            backend::sessions::set_flash(&self.state.db, &session.token, flash).await?;
            Ok(())
        }

        pub(super) fn set_session_cookie(&self, token: &SessionToken) {
            set_cookie(&self.state.session_cookie(token));
        }

        pub(super) fn clear_session_cookie(&self) {
            set_cookie(&self.state.clear_session_cookie());
        }

        /// Expires the session cookie and asks the browser to drop what
        /// it cached of signed-in pages, once the session has ended on
        /// the server.
        pub fn end_browser_session(&self) {
            self.clear_session_cookie();
            clear_site_data();
        }
    }

    /// Asks the browser to drop what it cached of signed-in pages at
    /// sign-out. (Not "cookies": that would clear every site sharing the
    /// registrable domain; the session cookie is expired on its own.)
    pub(super) fn clear_site_data() {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.insert_header(
                http::HeaderName::from_static("clear-site-data"),
                http::HeaderValue::from_static("\"cache\""),
            );
        }
    }

    fn set_cookie(cookie: &str) {
        if let (Some(response), Ok(value)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(cookie),
        ) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }

    /// After signing in: `next` if it is a local path, else the portal.
    pub(super) fn landing(next: &str) -> String {
        domain::account::local_next(next)
            .unwrap_or(paths::SIGNED_IN)
            .to_owned()
    }
}
