//! Second factor: time-based one-time passwords (RFC 6238) from an
//! authenticator app, and ten single-use recovery codes. Administrators must
//! enrol; members may.
//!
//! The TOTP secret is stored encrypted ([`crate::keys::TotpKey`]), and the
//! recovery codes as keyed hashes ([`crate::keys::RecoveryKey`]): a copy of
//! the database alone yields neither.

use crate::audit::{self, Actor};
use crate::auth::SignIn;
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::failures::{self, Rule, Scope};
use crate::keys::Keys;
use crate::mail;
use crate::sessions::{self, Session, SessionToken, Stage};
use crate::tokens;
use domain::Email;
use domain::account::{Viewer, second_factor_throttle};
use domain::audit::Action;
use domain::authcode::ALPHABET;
use domain::site::SiteInfo;
use sqlx::{Any, Transaction};
use totp_rs::{Algorithm, Secret, TOTP};

/// What the enrolment page shows: a QR code (SVG drawn here, nothing from
/// another host) and the same secret as text for typing in by hand.
#[derive(Clone)]
pub struct Enrolment {
    pub qr_svg: String,
    pub secret_text: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

const STEP_SECS: u64 = 30;

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret.to_vec(),
        Some(issuer.replace(':', " ")),
        account.to_owned(),
    )
    .map_err(|e| Error::Mfa(e.to_string()))
}

fn decode(secret: &str) -> Result<Vec<u8>> {
    Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| Error::Mfa(format!("{e:?}")))
}

/// A new secret for `account`, and what the enrolment page shows. Nothing
/// is stored until [`enrol`] confirms it with a code from the app, so
/// showing the page changes nothing.
pub fn new_secret(issuer: &str, account: &str) -> Result<Enrolment> {
    let mut secret = [0u8; 20];
    rand::fill(&mut secret);
    let encoded = Secret::Raw(secret.to_vec()).to_encoded().to_string();
    enrolment(&secret, encoded, issuer, account)
}

/// The enrolment page again for a secret already shown (after a refused
/// confirmation: the person has scanned it, so it must not change), or a
/// new one if `secret_text` is not a usable secret.
pub fn secret_again(issuer: &str, account: &str, secret_text: &str) -> Result<Enrolment> {
    match decode(secret_text.trim()) {
        Ok(secret) if secret.len() >= 20 => {
            enrolment(&secret, secret_text.trim().to_owned(), issuer, account)
        }
        _ => new_secret(issuer, account),
    }
}

fn enrolment(secret: &[u8], encoded: String, issuer: &str, account: &str) -> Result<Enrolment> {
    let totp = totp(secret, issuer, account)?;
    let qr =
        qrcode::QrCode::new(totp.get_url().as_bytes()).map_err(|e| Error::Mfa(e.to_string()))?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let qr_svg = match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    };
    Ok(Enrolment {
        qr_svg,
        secret_text: encoded,
    })
}

/// The time step `code` belongs to, if it matches now (allowing one step
/// of clock drift either way).
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    [now.saturating_sub(STEP_SECS), now, now + STEP_SECS]
        .into_iter()
        .find(|&t| totp.generate(t) == code)
        .and_then(|t| i64::try_from(t / STEP_SECS).ok())
}

fn now_u64() -> u64 {
    u64::try_from(clock::now()).unwrap_or_default()
}

fn code_problem(field: &str, message: &str) -> Error {
    Error::on_field(field, message)
}

/// Switches the second factor on for `session`'s user with the secret the
/// enrolment page showed and a code from the app proving it was saved.
/// Returns ten recovery codes to show once.
pub async fn enrol(
    db: &Db,
    keys: &Keys,
    issuer: &str,
    session: &Session,
    password: &str,
    secret_text: &str,
    code: &str,
) -> Result<Vec<String>> {
    // Someone at an unattended, signed-in screen cannot tie the account to
    // their own phone: the password is asked for again (and a wrong one
    // counts as a failed sign-in).
    if !crate::auth::own_password_ok(db, session, password).await? {
        return Err(code_problem("password", "Your password is not right"));
    }
    let user = session.viewer.id;
    let secret = decode(secret_text.trim())
        .ok()
        .filter(|bytes| bytes.len() >= 20)
        .ok_or_else(|| code_problem("code", "Start again: scan the new QR code with your app"))?;
    let totp = totp(&secret, issuer, &session.viewer.email)?;
    let Some(step) = matching_step(&totp, code, now_u64()) else {
        return Err(code_problem(
            "code",
            "That code is not right. Enter the 6-digit code your app shows now",
        ));
    };
    let sealed = keys.totp().seal(user, &secret)?;
    let codes = new_recovery_codes();
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    let enabled = sqlx::query(
        "update users set totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3, updated_at = $2 \
         where id = $4 and totp_enabled_at is null",
    )
    .bind(sealed)
    .bind(now)
    .bind(step)
    .bind(user)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if enabled != 1 {
        return Err(code_problem("code", "A second factor is already set up"));
    }
    sqlx::query("delete from recovery_codes where user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    for code in &codes {
        sqlx::query(
            "insert into recovery_codes (user_id, code_hash, created_at, updated_at) values ($1, $2, $3, $3)",
        )
        .bind(user)
        .bind(keys.recovery().hash(&normalise_recovery(code)))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // Other sessions signed in without the second factor: end them, and
    // any reset or email-change link not yet used.
    sessions::end_all(&mut tx, user, Some(&session.token)).await?;
    crate::auth::drop_unused_links(&mut tx, user).await?;
    audit::record(
        &mut tx,
        &Actor::User { id: user },
        Action::AccountSecondFactorEnrolled,
        Some(&format!("user:{user}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Ten codes of ten characters from the unambiguous alphabet (50 bits
/// each), shown as `XXXXX-XXXXX`.
fn new_recovery_codes() -> Vec<String> {
    (0..10)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::fill(&mut bytes);
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(b % 32)] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Completes a sign-in that is waiting for its second factor: a current
/// code from the app, or an unused recovery code. On success the session
/// is replaced by a new one (its token changes again).
///
/// Wrong codes are counted per account, whatever the client, and each try
/// is counted before the code is checked. The fifth failure in a day ends
/// the waiting sign-in (the password is needed again, and later tries wait
/// longer) and tells the owner that someone had their password. An ended
/// sign-in answers [`SignIn::Refused`].
pub async fn complete_sign_in(
    db: &Db,
    keys: &Keys,
    issuer: &str,
    client: &str,
    token: &SessionToken,
    code: &str,
) -> Result<SignIn> {
    let Some(session) = sessions::resolve(db, token).await? else {
        return Ok(SignIn::Refused);
    };
    if session.stage != Stage::SecondFactor {
        return Ok(SignIn::Refused);
    }
    let user = session.viewer.id;
    let scope = Scope::new(format!("second_factor:{user}"), Rule::SecondFactor);
    let mut tx = db.begin_write().await?;
    let reservation = match failures::reserve(&mut tx, std::slice::from_ref(&scope)).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            audit::record(
                &mut tx,
                &Actor::User { id: user },
                Action::AccountSecondFactorThrottled,
                Some(&format!("user:{user}")),
                &serde_json::json!({ "wait_secs": wait, "client": client }),
            )
            .await?;
            tx.commit().await?;
            return Ok(SignIn::Wait(wait));
        }
    };
    // The waiting sign-in may have been ended while this try queued.
    if !pending(&mut tx, token).await? {
        return Ok(SignIn::Refused);
    }
    tx.commit().await?;

    let secret: (Option<String>,) = sqlx::query_as("select totp_secret from users where id = $1")
        .bind(user)
        .fetch_one(db.pool())
        .await?;
    let now = clock::now();
    let mut tx = db.begin_write().await?;
    let mut used = None;
    if let (Some(sealed),) = &secret {
        // A secret that does not decrypt is an error, never "no app".
        let totp = totp(
            &keys.totp().open(user, sealed)?,
            issuer,
            &session.viewer.email,
        )?;
        if let Some(step) = matching_step(&totp, code, now_u64()) {
            // A code works once: refuse a step already used.
            let fresh = sqlx::query(
                "update users set totp_last_step = $1, updated_at = $2 \
                 where id = $3 and (totp_last_step is null or totp_last_step < $1)",
            )
            .bind(step)
            .bind(now)
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fresh == 1 {
                used = Some(Action::AccountSecondFactorUsed);
            }
        }
    }
    if used.is_none() {
        let spent = sqlx::query(
            "update recovery_codes set used_at = $1, updated_at = $1 \
             where user_id = $2 and code_hash = $3 and used_at is null",
        )
        .bind(now)
        .bind(user)
        .bind(keys.recovery().hash(&normalise_recovery(code)))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if spent > 0 {
            used = Some(Action::AccountRecoveryCodeUsed);
        }
    }
    let outcome = match used {
        Some(action) => {
            // Claim the waiting sign-in; if a concurrent failure ended it,
            // this right code comes too late (and is not spent).
            if !end_pending(&mut tx, token).await? {
                return Ok(SignIn::Refused);
            }
            failures::release(&mut tx, reservation).await?;
            let fresh = sessions::start(&mut tx, user, Stage::SignedIn).await?;
            audit::record(
                &mut tx,
                &Actor::User { id: user },
                action,
                Some(&format!("user:{user}")),
                &serde_json::json!({}),
            )
            .await?;
            audit::record(
                &mut tx,
                &Actor::User { id: user },
                Action::AccountSignedIn,
                Some(&format!("user:{user}")),
                &serde_json::json!({ "client": client }),
            )
            .await?;
            SignIn::SignedIn(fresh)
        }
        None => {
            // The try was counted as a failure before the check: it stays.
            audit::record(
                &mut tx,
                &Actor::User { id: user },
                Action::AccountSignInFailed,
                Some(&format!("user:{user}")),
                &serde_json::json!({ "reason": "second_factor", "client": client }),
            )
            .await?;
            if reservation.count(&scope.key) >= second_factor_throttle::MAX_FAILURES {
                end_pending(&mut tx, token).await?;
                audit::record(
                    &mut tx,
                    &Actor::User { id: user },
                    Action::AccountSecondFactorSignInEnded,
                    Some(&format!("user:{user}")),
                    &serde_json::json!({ "failures": reservation.count(&scope.key) }),
                )
                .await?;
                if failures::first_warning(&mut tx, &scope).await? {
                    warn_owner(&mut tx, issuer, &session.viewer.email).await?;
                }
            }
            SignIn::Refused
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Whether `token` is a sign-in still waiting for its second factor.
async fn pending(tx: &mut Transaction<'static, Any>, token: &SessionToken) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select user_id from sessions where token_hash = $1 and stage = 'second_factor'",
    )
    .bind(tokens::hash(token.as_str()))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Ends a sign-in waiting for its second factor; `false` if it had ended.
async fn end_pending(tx: &mut Transaction<'static, Any>, token: &SessionToken) -> Result<bool> {
    let ended =
        sqlx::query("delete from sessions where token_hash = $1 and stage = 'second_factor'")
            .bind(tokens::hash(token.as_str()))
            .execute(&mut **tx)
            .await?
            .rows_affected();
    Ok(ended == 1)
}

/// Tells the owner that someone had their password but not their second
/// factor.
async fn warn_owner(tx: &mut Transaction<'static, Any>, product: &str, email: &str) -> Result<()> {
    let Ok(to) = Email::parse(email) else {
        return Ok(());
    };
    mail::enqueue(
        tx,
        &to,
        &format!("Someone used your {product} password"),
        &format!(
            "Someone signed in to {product} with your email address and password, then \
             entered {max} wrong codes for your second factor, so we stopped that sign-in.\n\n\
             If this was you, you can sign in again.\n\n\
             If it was not you, someone knows your password. Change it now: use \
             \"Forgotten your password?\" on the sign-in page, and choose a long password \
             that you use nowhere else. Resetting your password signs out every session.\n\n\
             We will never ask for your password or your codes by email.\n",
            max = second_factor_throttle::MAX_FAILURES,
        ),
    )
    .await
}

/// Removes the second factor of the account with address `email`, for an
/// operator: after `SECRET_KEY` has changed (the secret no longer
/// decrypts), or when the owner has lost both their app and their recovery
/// codes. See [`remove_in`]. `false` when no account has a second factor at
/// that address.
pub async fn remove(db: &Db, site: &SiteInfo, actor: &Actor, email: &Email) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let user: Option<(i64,)> = sqlx::query_as("select id from users where email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let Some((user,)) = user else {
        return Ok(false);
    };
    let removed = remove_in(&mut tx, site, actor, user).await?;
    tx.commit().await?;
    Ok(removed)
}

/// Removes `user`'s second factor (authenticator app and recovery codes)
/// in `tx`. Every session of the account ends, and the owner is told by
/// email. They sign in with their password next, and set a second factor
/// up again (administrators must). `false` when the account has none.
pub(crate) async fn remove_in(
    tx: &mut Transaction<'static, Any>,
    site: &SiteInfo,
    actor: &Actor,
    user: i64,
) -> Result<bool> {
    let removed: Option<(String,)> = sqlx::query_as(
        "update users set totp_secret = null, totp_enabled_at = null, totp_last_step = null, \
         updated_at = $1 where id = $2 and (totp_secret is not null or totp_enabled_at is not null) \
         returning email",
    )
    .bind(clock::now())
    .bind(user)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((email,)) = removed else {
        return Ok(false);
    };
    sqlx::query("delete from recovery_codes where user_id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    sessions::end_all(tx, user, None).await?;
    if let Ok(to) = Email::parse(&email) {
        mail::enqueue(
            tx,
            &to,
            &format!("Your {} second factor was removed", site.product_name),
            &format!(
                "The second factor (authenticator app and recovery codes) of your {product} \
                 account was removed by our service team, and every session was signed out.\n\n\
                 Sign in with your password to set up your authenticator app again: \
                 {url}/login\n\n\
                 If you did not expect this, tell us: {contact}\n\n\
                 We will never ask for your password or your codes by email.\n",
                product = site.product_name,
                url = site.public_url,
                contact = site.contact_email,
            ),
        )
        .await?;
    }
    audit::record(
        tx,
        actor,
        Action::AccountSecondFactorRemoved,
        Some(&format!("user:{user}")),
        &serde_json::json!({}),
    )
    .await?;
    Ok(true)
}

/// Shown when a confirming code is wrong.
pub const CODE_REFUSED: &str =
    "That code is not right. Enter the 6-digit code your authenticator app shows now";

/// Checks a current code from `viewer`'s own authenticator
/// app, to confirm a change that needs more than a session (making someone
/// an administrator). The try is counted with the account's second-factor
/// failures before the code is checked, so a stolen session cannot guess
/// codes faster than a sign-in could; a code works once.
pub(crate) async fn confirm(
    db: &Db,
    keys: &Keys,
    issuer: &str,
    viewer: &Viewer,
    code: &str,
) -> Result<()> {
    let user = viewer.id;
    let scope = Scope::new(format!("second_factor:{user}"), Rule::SecondFactor);
    let mut tx = db.begin_write().await?;
    let reservation = match failures::reserve(&mut tx, std::slice::from_ref(&scope)).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            tx.commit().await?;
            return Err(Error::Throttled {
                retry_after_secs: wait,
            });
        }
    };
    tx.commit().await?;

    let secret: Option<(Option<String>,)> =
        sqlx::query_as("select totp_secret from users where id = $1")
            .bind(user)
            .fetch_optional(db.pool())
            .await?;
    let Some((Some(sealed),)) = secret else {
        return Err(code_problem("code", "Set up your authenticator app first"));
    };
    let totp = totp(&keys.totp().open(user, &sealed)?, issuer, &viewer.email)?;
    let Some(step) = matching_step(&totp, code, now_u64()) else {
        return Err(code_problem("code", CODE_REFUSED));
    };
    let mut tx = db.begin_write().await?;
    let fresh = sqlx::query(
        "update users set totp_last_step = $1, updated_at = $2 \
         where id = $3 and (totp_last_step is null or totp_last_step < $1)",
    )
    .bind(step)
    .bind(clock::now())
    .bind(user)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if fresh != 1 {
        tx.commit().await?;
        return Err(code_problem(
            "code",
            "That code has been used. Wait for the next one",
        ));
    }
    failures::release(&mut tx, reservation).await?;
    tx.commit().await?;
    Ok(())
}

/// Recovery codes not yet used.
pub async fn recovery_codes_left(db: &Db, user: i64) -> Result<i64> {
    let (left,): (i64,) = sqlx::query_as(
        "select count(*) from recovery_codes where user_id = $1 and used_at is null",
    )
    .bind(user)
    .fetch_one(db.pool())
    .await?;
    Ok(left)
}

/// Computes the current code for a secret, for tests that play the
/// authenticator app.
#[cfg(feature = "testing")]
pub fn current_code(secret_text: &str) -> String {
    let bytes = decode(secret_text).expect("a secret this module made");
    totp(&bytes, "test", "test@example.com")
        .expect("valid parameters")
        .generate(now_u64())
}
