//! Registration, sign-in and account security. Each server function
//! returns where the browser should go next; the page then loads it in
//! full, so the new session (or its end) applies to everything on it.
//!
//! The same work runs for forms posted without JavaScript
//! ([`super::forms`]), through the `accept_*` functions below.

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
    accept_registration(&caller, &input).await.map(Done::finish)
}

/// Signs in with email and password. Anyone may call it; failures are
/// throttled per account and client and per client.
#[server(endpoint = "account/sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_sign_in(
        &caller,
        &email,
        &password,
        next.as_deref().unwrap_or_default(),
    )
    .await
    .map(Done::finish)
}

/// Completes a sign-in with a code from the authenticator app or a
/// recovery code. Only a session waiting for its second factor may call it.
#[server(endpoint = "account/second-factor")]
pub async fn second_factor(code: String, next: Option<String>) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_second_factor(&caller, &code, next.as_deref().unwrap_or_default())
        .await
        .map(Done::finish)
}

/// Signs out: ends the session on the server. Anyone may call it.
#[server(endpoint = "account/sign-out")]
pub async fn sign_out() -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_sign_out(&caller).await.map(Done::finish)
}

/// Confirms an email address from the emailed link. Anyone holding the
/// link may call it.
#[server(endpoint = "account/verify-email")]
pub async fn verify_email(token: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_verify_email(&caller, &token).await.map(Done::finish)
}

/// Emails a reset link if the address has an account. Anyone may call it;
/// the answer is the same either way.
#[server(endpoint = "account/forgot-password")]
pub async fn forgot_password(email: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_forgot_password(&caller, &email)
        .await
        .map(Done::finish)
}

/// Sets a new password from a reset link. Anyone holding the link may call it.
#[server(endpoint = "account/reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_reset_password(&caller, &token, &password)
        .await
        .map(Done::finish)
}

/// Changes the signed-in person's password. Signed-in users only.
#[server(endpoint = "account/change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_change_password(&caller, &current_password, &new_password)
        .await
        .map(Done::finish)
}

/// Starts a change of email address. Signed-in users only.
#[server(endpoint = "account/change-email")]
pub async fn change_email(password: String, new_email: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_change_email(&caller, &password, &new_email)
        .await
        .map(Done::finish)
}

/// Confirms a new email address from the emailed link. Anyone holding the
/// link may call it.
#[server(endpoint = "account/confirm-email")]
pub async fn confirm_email(token: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    accept_confirm_email(&caller, &token)
        .await
        .map(Done::finish)
}

/// A new authenticator secret to enrol, drawn as a QR code. Signed-in users
/// without a second factor only. Changes nothing until confirmed.
#[server(endpoint = "account/second-factor-setup")]
pub async fn second_factor_setup() -> Result<AuthenticatorSetup, AppError> {
    let caller = Caller::current()?;
    let session = caller.signed_in()?;
    if session.viewer.second_factor {
        return Err(AppError::NotFound);
    }
    let setup = backend::mfa::new_secret(&caller.state.site.product_name, &session.viewer.email)?;
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

/// Switches the second factor on with a code from the app, returning the
/// ten recovery codes to show once. Signed-in users only.
#[server(endpoint = "account/second-factor-enrol")]
pub async fn enrol_second_factor(secret: String, code: String) -> Result<Vec<String>, AppError> {
    let caller = Caller::current()?;
    accept_enrolment(&caller, &secret, &code).await
}

#[cfg(feature = "ssr")]
pub use work::*;

#[cfg(feature = "ssr")]
mod work {
    use super::paths;
    use crate::error::AppError;
    use crate::state::{AppState, ClientKey};
    use backend::auth::{self, SignIn};
    use backend::sessions::{Session, SessionToken, Stage};
    use domain::account::RegistrationInput;

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

        /// The caller's session, if fully signed in; otherwise 401.
        pub fn signed_in(&self) -> Result<&Session, AppError> {
            match &self.session {
                Some(session) if session.stage == Stage::SignedIn => Ok(session),
                _ => {
                    crate::state::set_status(http::StatusCode::UNAUTHORIZED);
                    Err(AppError::SignInRequired)
                }
            }
        }

        /// The caller's session if they are an administrator with a second
        /// factor; otherwise 401 or 403.
        pub fn admin(&self) -> Result<&Session, AppError> {
            let session = self.signed_in()?;
            if session.viewer.is_admin() && session.viewer.second_factor {
                Ok(session)
            } else {
                crate::state::set_status(http::StatusCode::FORBIDDEN);
                Err(AppError::Forbidden)
            }
        }
    }

    /// Where to go next, and the session cookie to set or clear on the way.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Done {
        pub to: String,
        pub set_cookie: Option<String>,
    }

    impl Done {
        fn to(path: &str) -> Self {
            Self {
                to: path.to_owned(),
                set_cookie: None,
            }
        }

        /// For server functions: sends the cookie and returns the path.
        pub fn finish(self) -> String {
            if let (Some(cookie), Some(response)) = (
                self.set_cookie,
                leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            ) && let Ok(value) = http::HeaderValue::from_str(&cookie)
            {
                response.append_header(http::header::SET_COOKIE, value);
            }
            self.to
        }
    }

    fn wait_message(secs: i64) -> AppError {
        crate::state::set_status(http::StatusCode::TOO_MANY_REQUESTS);
        let wait = if secs < 60 {
            format!("{secs} seconds")
        } else {
            let minutes = (secs + 59) / 60;
            format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
        };
        AppError::Throttled(format!(
            "Too many attempts to sign in. Wait {wait}, then try again."
        ))
    }

    fn refused(field: &str, message: &str) -> AppError {
        crate::state::set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
        let mut errors = domain::FieldErrors::new();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    /// After signing in: `next` if it is a local path, else the home of
    /// the person's role.
    fn landing(state: &AppState, token: &SessionToken, next: &str) -> Done {
        Done {
            to: domain::account::local_next(next)
                .unwrap_or(paths::SIGNED_IN)
                .to_owned(),
            set_cookie: Some(state.session_cookie(token)),
        }
    }

    pub async fn accept_registration(
        caller: &Caller,
        input: &RegistrationInput,
    ) -> Result<Done, AppError> {
        let state = &caller.state;
        auth::register(
            &state.db,
            &state.code_key,
            &state.site,
            &caller.client.0,
            input,
        )
        .await?;
        Ok(Done::to(paths::CHECK_EMAIL))
    }

    pub async fn accept_sign_in(
        caller: &Caller,
        email: &str,
        password: &str,
        next: &str,
    ) -> Result<Done, AppError> {
        let state = &caller.state;
        match auth::sign_in(&state.db, &caller.client.0, email, password).await? {
            SignIn::SignedIn(token) => {
                if let Some(old) = &caller.session {
                    // The old session, if any, ends: the id always changes.
                    backend::auth::sign_out(&state.db, old).await?;
                }
                Ok(landing(state, &token, next))
            }
            SignIn::SecondFactorDue(token) => {
                let mut to = paths::SECOND_FACTOR.to_owned();
                if let Some(next) = domain::account::local_next(next) {
                    to.push_str("?next=");
                    to.push_str(&encode(next));
                }
                Ok(Done {
                    to,
                    set_cookie: Some(state.session_cookie(&token)),
                })
            }
            SignIn::Refused => Err(refused("email", domain::account::SIGN_IN_REFUSED)),
            SignIn::Wait(secs) => Err(wait_message(secs)),
        }
    }

    /// Percent-encodes a path for a query string value.
    fn encode(value: &str) -> String {
        value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect()
    }

    pub async fn accept_second_factor(
        caller: &Caller,
        code: &str,
        next: &str,
    ) -> Result<Done, AppError> {
        let state = &caller.state;
        let Some(session) = &caller.session else {
            return Err(refused(
                "code",
                "Your sign-in has timed out. Sign in again.",
            ));
        };
        match backend::mfa::complete_sign_in(
            &state.db,
            &state.site.product_name,
            &caller.client.0,
            &session.token,
            code,
        )
        .await?
        {
            SignIn::SignedIn(token) => Ok(landing(state, &token, next)),
            SignIn::Wait(secs) => Err(wait_message(secs)),
            _ => Err(refused(
                "code",
                "That code is not right. Enter the 6-digit code your app shows now, or a recovery code",
            )),
        }
    }

    pub async fn accept_sign_out(caller: &Caller) -> Result<Done, AppError> {
        if let Some(session) = &caller.session {
            auth::sign_out(&caller.state.db, session).await?;
        }
        Ok(Done {
            to: paths::SIGNED_OUT.to_owned(),
            set_cookie: Some(caller.state.clear_session_cookie()),
        })
    }

    pub async fn accept_verify_email(caller: &Caller, token: &str) -> Result<Done, AppError> {
        if auth::verify_email(&caller.state.db, token).await? {
            Ok(Done::to(paths::VERIFIED))
        } else {
            Err(refused(
                "token",
                "This link has expired or has already been used. Register again to get a new one.",
            ))
        }
    }

    pub async fn accept_forgot_password(caller: &Caller, email: &str) -> Result<Done, AppError> {
        let state = &caller.state;
        auth::request_reset(&state.db, &state.site, &caller.client.0, email).await?;
        Ok(Done::to(paths::RESET_SENT))
    }

    pub async fn accept_reset_password(
        caller: &Caller,
        token: &str,
        password: &str,
    ) -> Result<Done, AppError> {
        auth::reset_password(&caller.state.db, token, password).await?;
        Ok(Done {
            to: paths::PASSWORD_RESET.to_owned(),
            // Every session ended, this browser's included.
            set_cookie: Some(caller.state.clear_session_cookie()),
        })
    }

    pub async fn accept_change_password(
        caller: &Caller,
        current: &str,
        new_password: &str,
    ) -> Result<Done, AppError> {
        let session = caller.signed_in()?;
        let state = &caller.state;
        auth::change_password(&state.db, &state.site, session, current, new_password).await?;
        Ok(Done::to(paths::ACCOUNT_UPDATED))
    }

    pub async fn accept_change_email(
        caller: &Caller,
        password: &str,
        new_email: &str,
    ) -> Result<Done, AppError> {
        let session = caller.signed_in()?;
        let state = &caller.state;
        auth::request_email_change(&state.db, &state.site, session, password, new_email).await?;
        Ok(Done::to(paths::EMAIL_SENT))
    }

    pub async fn accept_confirm_email(caller: &Caller, token: &str) -> Result<Done, AppError> {
        let state = &caller.state;
        if auth::confirm_email_change(&state.db, &state.site, token).await? {
            Ok(Done::to(paths::ACCOUNT_UPDATED))
        } else {
            Err(refused(
                "token",
                "This link has expired or has already been used. Ask for a new one from your account page.",
            ))
        }
    }

    pub async fn accept_enrolment(
        caller: &Caller,
        secret: &str,
        code: &str,
    ) -> Result<Vec<String>, AppError> {
        let session = caller.signed_in()?;
        let state = &caller.state;
        Ok(backend::mfa::enrol(&state.db, &state.site.product_name, session, secret, code).await?)
    }
}
