//! Outgoing mail. Features put a message in the `outbox` table inside their
//! own transaction; a background worker sends it and retries with backoff,
//! so a mail-server outage loses nothing and a rolled-back change sends
//! nothing. Delivery goes to SMTP when configured, otherwise to `.eml` files
//! in a directory (the embedded default).
//!
//! A link in a message is as good as a password until it expires, so no
//! copy of it outlives it: a delivered message loses its body at once; one
//! still queued when its link expires is never sent and loses its body at
//! the next [`sweep`]; and in the file outbox, a message with a link is
//! named for its expiry and deleted by the sweep once it has passed.

use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::throttle::{self, Limit};
use domain::Email;
use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{Any, Transaction};
use std::path::{Path, PathBuf};

/// Where mail goes.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    /// One `.eml` file per message in this directory.
    Files(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may hold a password: never show it.
        let transport = match &self.transport {
            Transport::Files(dir) => format!("files in {}", dir.display()),
            Transport::Smtp(_) => "smtp".to_owned(),
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &transport)
            .finish()
    }
}

/// How the file outbox names a message that carries a link, before the
/// Unix time after which it is deleted.
const EXPIRING_PREFIX: &str = "expires-";

impl Mailer {
    /// Writes messages as `.eml` files into `dir`, creating it if needed.
    /// A message with a link is named `expires-<Unix time>-<id>.eml`, and
    /// [`Mailer::remove_expired`] deletes it once that time has passed;
    /// others are named `<id>.eml` and kept.
    pub fn to_directory(dir: &Path, from: &str) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            from: parse_from(from)?,
            transport: Transport::Files(dir.to_owned()),
        })
    }

    /// Sends through the SMTP server at `url`: `smtps://user:pass@host:465`
    /// for TLS, `smtp://user:pass@host:587?tls=required` for STARTTLS, or
    /// plain `smtp://host:25` on a trusted network.
    pub fn smtp(url: &str, from: &str) -> Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::Mail(format!("SMTP_URL is not usable: {e}")))?
            .build();
        Ok(Self {
            from: parse_from(from)?,
            transport: Transport::Smtp(transport),
        })
    }

    async fn send(
        &self,
        recipient: &str,
        subject: &str,
        body: &str,
        purge_after: Option<i64>,
    ) -> Result<()> {
        let to: Mailbox = recipient
            .parse()
            .map_err(|e| Error::Mail(format!("bad recipient: {e}")))?;
        // lettre picks the transfer encoding (7-bit, quoted-printable or
        // base64) that keeps every line within the limits of SMTP.
        let body = Body::new(body.to_owned());
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| Error::Mail(e.to_string()))?;
        match &self.transport {
            Transport::Files(dir) => {
                let id = hex::encode(rand::random::<[u8; 16]>());
                let file = dir.join(match purge_after {
                    Some(at) => format!("{EXPIRING_PREFIX}{at}-{id}.eml"),
                    None => format!("{id}.eml"),
                });
                let (path, contents) = (file.clone(), message.formatted());
                tokio::task::spawn_blocking(move || write_private(&path, &contents)).await??;
                tracing::info!(file = %file.display(), "mail written to the outbox directory");
            }
            Transport::Smtp(smtp) => {
                smtp.send(message)
                    .await
                    .map_err(|e| Error::Mail(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Deletes the files of messages whose links expired by `now` (Unix
    /// seconds), returning how many went. Nothing to do for SMTP: what was
    /// sent is no longer ours.
    pub async fn remove_expired(&self, now: i64) -> Result<usize> {
        let Transport::Files(dir) = &self.transport else {
            return Ok(0);
        };
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let expired = name
                .to_str()
                .and_then(|name| name.strip_prefix(EXPIRING_PREFIX))
                .and_then(|rest| rest.split_once('-'))
                .and_then(|(at, _)| at.parse::<i64>().ok())
                .is_some_and(|at| at <= now);
            if !expired {
                continue;
            }
            match tokio::fs::remove_file(entry.path()).await {
                Ok(()) => removed += 1,
                // Another sweep got there first.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(removed)
    }
}

/// Writes `contents` to `file`, readable by this user only, under a
/// temporary name first so that no reader sees half a message.
fn write_private(file: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let partial = file.with_file_name(format!(
        ".{}.partial",
        hex::encode(rand::random::<[u8; 8]>())
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&partial)?;
    out.write_all(contents)?;
    out.sync_all()?;
    std::fs::rename(&partial, file)
}

fn parse_from(from: &str) -> Result<Mailbox> {
    from.parse()
        .map_err(|e| Error::Mail(format!("MAIL_FROM is not a mailbox: {e}")))
}

/// Queues a message inside the caller's transaction.
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    to: &Email,
    subject: &str,
    body: &str,
) -> Result<()> {
    insert(tx, to, subject, body, None).await
}

/// Queues a message carrying a link that stops working at `link_expires_at`
/// (Unix seconds). After then it is not sent, and no copy of its body is
/// kept (see [`sweep`]).
pub async fn enqueue_with_link(
    tx: &mut Transaction<'static, Any>,
    to: &Email,
    subject: &str,
    body: &str,
    link_expires_at: i64,
) -> Result<()> {
    insert(tx, to, subject, body, Some(link_expires_at)).await
}

async fn insert(
    tx: &mut Transaction<'static, Any>,
    to: &Email,
    subject: &str,
    body: &str,
    purge_after: Option<i64>,
) -> Result<()> {
    let now = clock::now();
    sqlx::query(
        "insert into outbox (recipient, subject, body, purge_after, attempts, next_attempt_at, created_at, updated_at) \
         values ($1, $2, $3, $4, 0, $5, $5, $5)",
    )
    .bind(to.as_str())
    .bind(subject)
    .bind(body)
    .bind(purge_after)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Messages that anyone can cause to be sent to an address, by kind. Each
/// kind has its own cap, so flooding one (say, "you already have an
/// account") cannot hold back another (a reset link).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unasked {
    Verification,
    AlreadyRegistered,
    Reset,
    ChangeEmail,
    ChangeEmailNotice,
}

impl Unasked {
    fn key(self) -> &'static str {
        match self {
            Unasked::Verification => "verification",
            Unasked::AlreadyRegistered => "already_registered",
            Unasked::Reset => "reset",
            Unasked::ChangeEmail => "change_email",
            Unasked::ChangeEmailNotice => "change_email_notice",
        }
    }
}

/// At most this many messages of one kind to one address in a window no
/// longer than the shortest link's life (a reset link lasts 30 minutes), so
/// the portal cannot be used to flood a mailbox, nor to keep a working link
/// out of it for long.
pub const PER_ADDRESS_LIMIT: Limit = Limit {
    max_hits: 5,
    window_secs: 30 * 60,
};

/// Counts one message of kind `kind` to `to`, which someone other than the
/// address's owner may have asked for: `true` if the address has had fewer
/// than [`PER_ADDRESS_LIMIT`] of that kind lately, so the message may be
/// queued. Ask before minting a link for it, so that nothing is minted for
/// a message that will not be sent. The caller says nothing different
/// either way.
pub async fn within_cap(
    tx: &mut Transaction<'static, Any>,
    kind: Unasked,
    to: &Email,
) -> Result<bool> {
    let key = format!("mail:{}:{}", kind.key(), to.as_str());
    let allowed = throttle::allow(tx, &key, PER_ADDRESS_LIMIT).await?;
    if !allowed {
        tracing::info!("message not queued: its address has had enough of this kind lately");
    }
    Ok(allowed)
}

/// Queues a message of kind `kind` (one that carries no link) if
/// [`within_cap`] allows it. `false` when it was not queued.
pub async fn enqueue_capped(
    tx: &mut Transaction<'static, Any>,
    kind: Unasked,
    to: &Email,
    subject: &str,
    body: &str,
) -> Result<bool> {
    if !within_cap(tx, kind, to).await? {
        return Ok(false);
    }
    enqueue(tx, to, subject, body).await?;
    Ok(true)
}

/// Seconds before retry number `attempts` + 1: one minute, doubling, at
/// most six hours. Mail is never given up on.
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.clamp(1, 16) - 1).unwrap_or(0);
    (60_i64 << doublings).min(6 * 60 * 60)
}

/// How long one instance holds a message while sending it. If it dies
/// mid-send, another instance picks the message up after this.
const LEASE_SECS: i64 = 120;

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    recipient: String,
    subject: String,
    body: String,
    purge_after: Option<i64>,
    attempts: i64,
    next_attempt_at: i64,
}

/// Sends every message that is due, returning how many went. Each message
/// is claimed first, so several instances never send the same one. A
/// message whose link has expired is not sent.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> Result<usize> {
    let now = clock::now();
    let due: Vec<Due> = sqlx::query_as(
        "select id, recipient, subject, body, purge_after, attempts, next_attempt_at from outbox \
         where sent_at is null and next_attempt_at <= $1 and (purge_after is null or purge_after > $1) \
         order by id limit 50",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut sent = 0;
    for message in due {
        let claimed = sqlx::query(
            "update outbox set next_attempt_at = $1, updated_at = $2 \
             where id = $3 and next_attempt_at = $4 and sent_at is null",
        )
        .bind(now + LEASE_SECS)
        .bind(now)
        .bind(message.id)
        .bind(message.next_attempt_at)
        .execute(db.writer())
        .await?
        .rows_affected();
        if claimed != 1 {
            continue;
        }
        match mailer
            .send(
                &message.recipient,
                &message.subject,
                &message.body,
                message.purge_after,
            )
            .await
        {
            Ok(()) => {
                // Delivered: keep the record, drop the body (it may hold a link).
                sqlx::query(
                    "update outbox set sent_at = $1, body = '', attempts = attempts + 1, \
                     last_error = null, updated_at = $1 where id = $2",
                )
                .bind(clock::now())
                .bind(message.id)
                .execute(db.writer())
                .await?;
                sent += 1;
            }
            Err(error) => {
                let attempts = message.attempts + 1;
                let retry_at = clock::now() + backoff_secs(attempts);
                tracing::warn!(id = message.id, attempts, %error, "mail not delivered; will retry");
                sqlx::query(
                    "update outbox set attempts = $1, next_attempt_at = $2, last_error = $3, \
                     updated_at = $4 where id = $5",
                )
                .bind(attempts)
                .bind(retry_at)
                .bind(error.to_string())
                .bind(clock::now())
                .bind(message.id)
                .execute(db.writer())
                .await?;
            }
        }
    }
    Ok(sent)
}

/// Retention for mail: clears the body of every message whose link has
/// expired (delivered ones have none already; undelivered ones will not be
/// sent), and deletes such messages from the file outbox. Returns how many
/// bodies and files went.
pub async fn sweep(db: &Db, mailer: &Mailer) -> Result<(u64, usize)> {
    let now = clock::now();
    let cleared = sqlx::query(
        "update outbox set body = '', updated_at = $1 where purge_after <= $1 and body <> ''",
    )
    .bind(now)
    .execute(db.writer())
    .await?
    .rows_affected();
    let removed = mailer.remove_expired(now).await?;
    Ok((cleared, removed))
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_from_a_minute_to_six_hours() {
        assert_eq!(backoff_secs(1), 60);
        assert_eq!(backoff_secs(2), 120);
        assert_eq!(backoff_secs(3), 240);
        assert_eq!(backoff_secs(9), 15_360);
        assert_eq!(backoff_secs(10), 6 * 60 * 60);
        assert_eq!(backoff_secs(1000), 6 * 60 * 60);
    }
}
