//! Work that runs on its own inside the server: sending queued mail and
//! sweeping what is past its retention (P9), mail whose links have expired
//! included. Safe with many instances: each mail is claimed before it is
//! sent, and sweeps are idempotent.

use crate::db::Db;
use crate::mail::{self, Mailer};
use std::time::Duration;

/// How often the outbox is checked for mail that is due.
const MAIL_EVERY: Duration = Duration::from_secs(1);
/// How often expired data is swept.
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

/// Runs until the task is dropped. Errors are logged and retried on the
/// next tick; they never stop the loop.
pub async fn run(db: Db, mailer: Mailer) {
    let mut mail_tick = tokio::time::interval(MAIL_EVERY);
    let mut sweep_tick = tokio::time::interval(SWEEP_EVERY);
    mail_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = mail_tick.tick() => {
                if let Err(error) = mail::deliver_due(&db, &mailer).await {
                    tracing::warn!(%error, "mail delivery pass failed");
                }
            }
            _ = sweep_tick.tick() => {
                match crate::auth::sweep(&db).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "deleted unverified sign-ups past retention"),
                    Err(error) => tracing::warn!(%error, "retention sweep failed"),
                }
                match mail::sweep(&db, &mailer).await {
                    Ok((0, 0)) => {}
                    Ok((bodies, files)) => tracing::info!(bodies, files, "removed mail whose links had expired"),
                    Err(error) => tracing::warn!(%error, "mail retention sweep failed"),
                }
            }
        }
    }
}
