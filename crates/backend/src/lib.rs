//! Everything behind PrimaryPoint's server functions, grouped by feature.
//!
//! Each public function does its work in one database transaction and, when
//! it changes something, writes its audit event in that same transaction.
//! Nothing here knows about HTTP or the UI.
#![forbid(unsafe_code)]

/// The connection pool, migrations and the small seam where SQLite and
/// PostgreSQL differ.
pub mod db;

/// The crate's error type: people get a sentence, the log gets the cause.
pub mod error;

/// The append-only audit trail.
pub mod audit;

/// Fixed-window rate limits kept in the database, shared by every instance.
pub mod throttle;

/// Failed attempts at a password or second factor, counted before each
/// check so that concurrent attempts cannot slip under a limit.
mod failures;

/// SQL built from fixed fragments and placeholders.
mod sql;

/// Services and content pages for the public website, and the demo seed.
pub mod content;
pub mod demo;

/// Public enquiries from the contact form.
pub mod contact;

/// The service team's inbox: members' messages and public enquiries.
pub mod messages;

/// The administrators' dashboard.
pub mod console;

/// The member library: who sees which resource, browsing, full-text
/// search, bookmarks, and administrators writing resources.
pub mod library;

/// Where uploaded files live (an object store), how their type is
/// checked, and text extraction in a limited child process.
pub mod files;

/// Customer organisations and their authorisation codes.
pub mod orgs;

/// Member and administrator accounts, and password hashing.
pub mod accounts;

/// People as administrators manage them: the member list, suspension,
/// deletion, second-factor resets and role changes.
pub mod members;

/// Everything held about one person, for their page and download (P6).
pub mod mydata;

/// Data-rights requests: made, logged, extended, fulfilled and closed.
pub mod rights;

/// Personal data deleted once past its retention, and its preview (P9).
pub mod retention;

/// Page views counted without cookies or anything about the visitor
/// (P10), and the administrators' report of them.
pub mod stats;

/// Registration, verification, sign-in, sign-out, password and email changes.
pub mod auth;

/// Server-side sessions shared by every instance.
pub mod sessions;

/// Second factor: TOTP and recovery codes.
pub mod mfa;

/// Outgoing mail: queued in the database, sent by a background worker.
pub mod mail;

/// Encrypted, rotated backups of the database and the file store, and
/// their restore into an empty deployment (P11).
pub mod backup;

/// Background work: mail delivery, retention sweeps, text extraction.
pub mod jobs;

/// Random tokens for cookies and links, stored only as hashes.
pub mod tokens;

/// The keys derived from the server's secret, one for each use.
pub mod keys;

/// Pseudonymous keys for network addresses.
pub mod pseudonym;

/// Small real PDF and Word documents made in code, for the demo library.
pub mod documents;

/// Fresh databases for tests, on SQLite and PostgreSQL.
#[cfg(feature = "testing")]
pub mod testing;

/// Markdown to sanitised HTML.
pub mod markdown;

/// Wall-clock time in Unix seconds, the unit every table stores.
pub mod clock;

pub use db::{Backend, Db};
pub use error::{Error, Result};
