//! PrimaryPoint's shared model.
//!
//! Everything here is pure: value types that can only hold valid data, the
//! rules that decide validity, and the data-transfer objects that cross the
//! wire between the server and the browser. It builds for the server and for
//! wasm alike, and imports nothing else of ours.
#![forbid(unsafe_code)]

/// Collected per-field problems with a form, in the order the fields appear.
pub mod validation;

/// `Email`: a trimmed, lower-cased work email address.
pub mod email;

/// UK telephone numbers as people type them.
pub mod telephone;

/// Authorisation codes: generation from randomness, forgiving parsing.
pub mod authcode;

/// Organisation records: postcode, ODS code, website, email domain, status.
pub mod organisation;

/// Services and content pages as the public website shows them.
pub mod content;

/// Accounts: roles, the signed-in viewer, registration rules, safe
/// redirects, session and token lifetimes, sign-in throttling.
pub mod account;

/// The member library: resource kinds and statuses, review badges, the
/// library query and the pages and results it returns.
pub mod library;

/// Files attached to resources: accepted types, sniffing, safe names,
/// and the versions a resource's page lists.
pub mod files;

/// The deployment's public identity (name, contact details, canonical URL).
pub mod site;

/// The public enquiry form: input, rules and the validated enquiry.
pub mod enquiry;

pub use email::Email;
pub use validation::{FieldError, FieldErrors};

/// Things shown once, on the page after the form that made them.
pub mod flash;

/// Long lists a page at a time, and counts as people read them.
pub mod paging;

/// Query-string and form readers that never fail a request.
mod lenient;

/// Messages to the service team and the administrators' inbox.
pub mod messages;

/// The audit trail's actions, with their stored codes, and the viewer's
/// filters and rows.
pub mod audit;

/// The administrators' dashboard figures.
pub mod console;

/// People as administrators manage them: the member list, one person's
/// record, suspension and role changes.
pub mod members;

/// Everything held about the signed-in person, as their page and download
/// show it (P6).
pub mod mydata;

/// Cookieless page-view counts (P10): what is counted, what is not, and
/// the administrators' report.
pub mod stats;

/// Every cookie the site sets (P8), the one list the code and the cookies
/// page both use.
pub mod cookies;

/// Data-rights requests (access, rectification, erasure, restriction,
/// objection): their forms, states and the ICO's one-month due date.
pub mod rights;
