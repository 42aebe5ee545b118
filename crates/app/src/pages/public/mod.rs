/// `/`: what the service offers and where to go next.
pub mod home;

/// `/services` and `/services/:slug`: the catalogue.
pub mod services;

/// `/page/:slug`: about, privacy, cookies, accessibility.
pub mod page;

/// `/contact`: the public enquiry form and its confirmation.
pub mod contact;

/// Anything else: a 404 that helps the person on.
pub mod not_found;

/// Shown when a page cannot be loaded for a reason of ours.
pub mod problem;
