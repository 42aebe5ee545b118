//! The `primarypoint` binary's library: a guided tour.
#![forbid(unsafe_code)]

/// Settings from the environment (one clap struct) and the subcommands.
pub mod config;

/// What each subcommand does: serve, migrate, admin create, backup, restore.
pub mod commands;

/// Logging: readable by default, JSON with `LOG_FORMAT=json`.
pub mod telemetry;

/// The axum router: pages, server functions, health checks, static files.
pub mod router;

/// The task spawner Leptos renders with: tokio, keeping the request's
/// audit origin in every task a request's render starts.
pub mod spawner;

/// Security headers, same-origin checks, and who the client is.
pub mod security;

/// Forms posted without JavaScript: checked here, re-rendered on failure.
pub mod forms;

/// The built site's static files, served ahead of the page machinery and
/// compressed once at build time.
pub mod assets;

/// Public pages as a first-time visitor sees them, rendered once and
/// reused until the public content changes.
pub mod page_cache;

/// Resource files: downloads, and the larger body limit of the upload.
pub mod files;

/// The audit trail as a CSV download.
pub mod exports;

/// Page views counted without cookies (P10), and their CSV download.
pub mod stats;

/// The session cookie, and who may see which pages.
pub mod session;

/// `robots.txt` and `sitemap.xml`.
pub mod seo;

/// `/healthz` and `/readyz`.
pub mod health;

/// Graceful shutdown on SIGTERM / Ctrl-C with a hard deadline.
pub mod shutdown;

/// Parses the command line and environment, runs the subcommand, and turns
/// the outcome into an exit code: 0 success, 1 failure, 2 bad settings.
pub fn main() -> std::process::ExitCode {
    let cli = match config::Cli::parse_env() {
        Ok(cli) => cli,
        Err(exit) => return exit,
    };
    commands::run(cli)
}
