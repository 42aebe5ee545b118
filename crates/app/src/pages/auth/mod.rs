/// `/register` and "check your email".
pub mod register;

/// `/verify-email` and `/confirm-email`: the links sent by email.
pub mod links;

/// `/login`, its second step, and `/logout`.
pub mod login;

/// `/forgot-password` and `/reset-password`.
pub mod password;

/// `/account`: details, password and email changes.
pub mod account;

/// `/account/two-factor`: authenticator app enrolment.
pub mod two_factor;
