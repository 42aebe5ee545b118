/// What everyone sees: home, services, content pages, contact, errors.
pub mod public;
