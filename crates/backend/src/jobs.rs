//! Work that runs on its own inside the server: sealing audit events into
//! their chain and sending queued mail (every second),
//! sweeping what is past its retention (P9), mail whose links have expired
//! and audit events older than their period included, reminding owners of
//! reviews, and making encrypted backups when they are due. Safe with many
//! instances: each mail is claimed before it is sent, sweeps are
//! idempotent, and one instance makes each backup.

use crate::db::Db;
use crate::mail::{self, Mailer};
use std::time::Duration;

/// How often the outbox is checked for mail that is due.
const MAIL_EVERY: Duration = Duration::from_secs(1);
/// How often page-view counts are written.
const STATS_EVERY: Duration = Duration::from_secs(10);
/// How often expired data is swept.
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

/// What the scheduled work needs besides the database and the mailer.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Makes the links in review reminders.
    pub public_url: String,
    /// Signs the checkpoint left when old audit events are pruned.
    pub keys: crate::keys::Keys,
    /// Audit events older than this many seconds are pruned.
    pub audit_retention_secs: i64,
    /// What else is kept how long.
    pub retention: crate::retention::Policy,
    /// Page views counted in memory, written every few seconds.
    pub stats: crate::stats::Counter,
}

/// Runs until the task is dropped. Errors are logged and retried on the
/// next tick; they never stop the loop.
pub async fn run(db: Db, mailer: Mailer, schedule: Schedule) {
    let mut mail_tick = tokio::time::interval(MAIL_EVERY);
    let mut sweep_tick = tokio::time::interval(SWEEP_EVERY);
    let mut stats_tick = tokio::time::interval(STATS_EVERY);
    mail_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = mail_tick.tick() => {
                if let Err(error) = crate::audit::seal_backlog(&db).await {
                    tracing::warn!(%error, "sealing audit events failed");
                }
                if let Err(error) = mail::deliver_due(&db, &mailer).await {
                    tracing::warn!(%error, "mail delivery pass failed");
                }
            }
            _ = stats_tick.tick() => {
                if let Err(error) = schedule.stats.flush(&db).await {
                    tracing::warn!(%error, "writing page-view counts failed");
                }
            }
            _ = sweep_tick.tick() => {
                let now = crate::clock::now();
                match crate::retention::run(&db, schedule.retention, now, false).await {
                    Ok(due) => {
                        for done in due.iter().filter(|d| d.count > 0) {
                            tracing::info!(category = ?done.category, count = done.count, "deleted past retention");
                        }
                    }
                    Err(error) => tracing::warn!(%error, "retention run failed"),
                }
                if let Err(error) = crate::auth::sweep(&db).await {
                    tracing::warn!(%error, "sweeping sign-in counters failed");
                }
                match mail::sweep(&db, &mailer).await {
                    Ok((0, 0)) => {}
                    Ok((bodies, files)) => tracing::info!(bodies, files, "removed mail whose links had expired"),
                    Err(error) => tracing::warn!(%error, "mail retention sweep failed"),
                }
                let cutoff = now - schedule.audit_retention_secs;
                match crate::audit::prune(&db, &schedule.keys, cutoff).await {
                    Ok(0) => {}
                    Ok(pruned) => tracing::info!(pruned, "pruned audit events past retention"),
                    Err(error) => tracing::warn!(%error, "pruning the audit trail failed"),
                }
                match crate::library::reminders::send_due(&db, &schedule.public_url, now).await {
                    Ok(0) => {}
                    Ok(sent) => tracing::info!(sent, "review reminders queued"),
                    Err(error) => tracing::warn!(%error, "review reminders failed"),
                }
            }
        }
    }
}

/// How often files waiting for text extraction are looked for.
const EXTRACT_EVERY: Duration = Duration::from_secs(2);

/// Extracts the text of newly uploaded files, one at a time, until the
/// task is dropped. Safe with many instances: each file is claimed with a
/// lease before it is read. Errors are logged and retried on the next tick.
pub async fn extract_files(
    db: Db,
    storage: crate::files::Storage,
    extractor: crate::files::Extractor,
) {
    let mut tick = tokio::time::interval(EXTRACT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match crate::library::files::extract_pending(&db, &storage, &extractor).await {
            Ok(0) => {}
            Ok(done) => tracing::info!(done, "extracted the text of uploaded files"),
            Err(error) => tracing::warn!(%error, "text extraction pass failed"),
        }
    }
}

/// How often the backup schedule looks whether a backup is due.
const BACKUP_CHECK_EVERY: Duration = Duration::from_secs(10 * 60);

/// Makes an encrypted backup whenever none has been made for `every`
/// (P11), checking every ten minutes (and at once on start), until the
/// task is dropped. Safe with many instances: one makes it, under an
/// advisory lock, and the audit trail tells the others it is done. Errors
/// are logged and retried at the next check.
pub async fn backups(
    db: Db,
    database_url: String,
    storage: crate::files::Storage,
    plan: crate::backup::Plan,
    every: Duration,
) {
    let every_secs = i64::try_from(every.as_secs()).unwrap_or(i64::MAX);
    let mut tick = tokio::time::interval(BACKUP_CHECK_EVERY.min(every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match crate::backup::make_if_due(&db, &database_url, &storage, &plan, every_secs).await {
            Ok(None) => {}
            Ok(Some(made)) => tracing::info!(
                path = %made.path.display(),
                bytes = made.bytes,
                files = made.files,
                removed = made.removed.len(),
                "encrypted backup made"
            ),
            Err(error) => tracing::warn!(%error, "scheduled backup failed"),
        }
    }
}
