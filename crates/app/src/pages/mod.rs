/// What everyone sees: home, services, content pages, contact, errors.
pub mod public;

/// Registration, sign-in, email links and the account page.
pub mod auth;

/// The member portal.
pub mod portal;

/// The administrators' area.
pub mod admin;
