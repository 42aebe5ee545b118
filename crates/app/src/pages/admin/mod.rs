/// `/admin`: the administrators' home.
pub mod home;

/// `/admin/organisations`: list, create, view, edit, status and codes.
pub mod organisations;

/// `/admin/library`: resources, their status, and reviews due.
pub mod library;

/// `/admin/services`: the catalogue's services and their public pages.
pub mod services;

/// `/admin/messages`: the team's inbox.
pub mod messages;

/// `/admin/audit`: the audit trail, its CSV export and its chain check.
pub mod audit;

/// `/admin/pages`: the website's content pages.
pub mod pages;

/// `/admin/members`: people across organisations, and their accounts.
pub mod members;

/// `/admin/retention`: what the next retention run would delete.
pub mod retention;

/// `/admin/statistics`: page views counted without cookies.
pub mod statistics;

/// `/admin/requests`: data-rights requests, their due dates, extension,
/// fulfilment and closing.
pub mod requests;
