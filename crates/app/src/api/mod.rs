//! Server functions. Each is a public HTTP endpoint under `/api`, so each
//! authorises its caller itself before doing anything.

/// The public catalogue and content pages.
pub mod content;

/// The public enquiry form.
pub mod contact;

/// Registration, sign-in and account security.
pub mod account;

/// Organisations and codes, for administrators.
pub mod admin;

/// People and their accounts, for administrators.
pub mod members;

/// The member library, and administrators writing it.
pub mod library;

/// Resources' files, for administrators.
pub mod files;

/// Messages to the team, and the administrators' inbox.
pub mod messages;

/// The audit trail and the dashboard, for administrators.
pub mod audit;

/// Everything held about the caller.
pub mod mydata;

/// Page views counted without cookies, and their report.
pub mod stats;

/// Data-rights requests: members' own, and administrators handling them.
pub mod rights;
