//! Registration with an authorisation code, email verification, sign-in
//! with throttling, sign-out, password reset and change, email change.
//!
//! Whatever the outcome, the person sees the same thing for a known and an
//! unknown email address; the difference goes to the audit trail and, where
//! it helps the address's owner, into an email only they can read.

use crate::accounts::{self, Password, PasswordHash};
use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result, Unique};
use crate::failures::{self, Reservation, Rule, Scope};
use crate::keys::CodeKey;
use crate::mail;
use crate::orgs::{self, CodeRefusal};
use crate::sessions::{self, SessionToken, Stage};
use crate::throttle::{self, Limit};
use crate::tokens;
use domain::account::{
    CODE_REFUSED, DOMAIN_REFUSED, Registration, RegistrationInput, Role, account_throttle,
    token_lifetime,
};
use domain::audit::Action;
use domain::organisation::OrgStatus;
use domain::site::SiteInfo;
use domain::{Email, FieldErrors};
use sqlx::{Any, Transaction};

/// Registration attempts per client: enough for a practice's staff sharing
/// one address, too few to try codes by the thousand.
const REGISTER_LIMIT: Limit = Limit {
    max_hits: 20,
    window_secs: 60 * 60,
};

/// Reset requests per client.
const RESET_LIMIT: Limit = Limit {
    max_hits: 10,
    window_secs: 15 * 60,
};

fn invalid(field: &str, message: &str) -> Error {
    Error::on_field(field, message)
}

/// Registers a member. `Ok(())` means "check your email" whether the
/// address was new or already had an account (its owner is told by email).
pub async fn register(
    db: &Db,
    key: &CodeKey,
    site: &SiteInfo,
    client: &str,
    input: &RegistrationInput,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    throttle::hit(&mut tx, &format!("register:{client}"), REGISTER_LIMIT).await?;
    tx.commit().await?;

    let registration = input.validate().map_err(Error::Invalid)?;
    let Registration {
        code,
        full_name,
        email,
        password,
    } = registration;
    let password = Password::new(password).map_err(|m| invalid("password", &m))?;
    accounts::check_strength(&password, &[email.as_str(), &full_name])
        .map_err(|m| invalid("password", &m))?;
    // Hash before taking the write lock: it is the slow part.
    let hash = accounts::hash_password(&password).await?;

    let actor = Actor::Public {
        client: client.to_owned(),
    };
    let mut tx = db.begin_write().await?;
    let admitted = match orgs::check_code(&mut tx, key, &code, &email).await? {
        Ok(admitted) => admitted,
        Err(refusal) => return refuse_registration(tx, &actor, refusal).await,
    };

    let existing: Option<(i64, Option<i64>, Option<i64>)> =
        sqlx::query_as("select id, email_verified_at, organisation_id from users where email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((id, Some(_), _)) = existing {
        mail::enqueue_capped(
            &mut tx,
            mail::Unasked::AlreadyRegistered,
            &email,
            &format!("You already have a {} account", site.product_name),
            &already_registered_mail(site),
        )
        .await?;
        audit::record(
            &mut tx,
            &actor,
            Action::AccountRegistrationRepeated,
            Some(&format!("user:{id}")),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    // A registration that replaces an unverified one for the same
    // organisation takes its place, and the use already counted for it.
    let replaces =
        matches!(existing, Some((_, None, Some(org))) if org == admitted.organisation_id);
    if !replaces && let Err(refusal) = orgs::count_code_use(&mut tx, &admitted).await? {
        return refuse_registration(tx, &actor, refusal).await;
    }
    let now = clock::now();
    let (id, action) = match existing {
        Some((id, _, _)) => {
            // Registered before but never verified. The address is not
            // proven, so the earlier registration may not be its owner's:
            // this one replaces its name, password and organisation, and the
            // links sent for it stop working. Whoever opens the newest link
            // (the mailbox's owner) gets the account they asked for.
            sqlx::query(
                "update users set full_name = $1, password_hash = $2, organisation_id = $3, \
                 updated_at = $4 where id = $5 and email_verified_at is null",
            )
            .bind(&full_name)
            .bind(hash.as_phc())
            .bind(admitted.organisation_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("delete from email_tokens where user_id = $1 and used_at is null")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            (id, Action::AccountRegistrationReplaced)
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "insert into users (email, full_name, password_hash, role, organisation_id, created_at, updated_at) \
                 values ($1, $2, $3, 'member', $4, $5, $5) returning id",
            )
            .bind(email.as_str())
            .bind(&full_name)
            .bind(hash.as_phc())
            .bind(admitted.organisation_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            (id, Action::AccountRegistered)
        }
    };
    audit::record(
        &mut tx,
        &actor,
        action,
        Some(&format!("user:{id}")),
        &serde_json::json!({ "organisation": admitted.organisation_id }),
    )
    .await?;
    send_verification(&mut tx, site, id, &email).await?;
    tx.commit().await?;
    Ok(())
}

/// Records why a code did not admit a registration and returns the plain
/// message for the form.
async fn refuse_registration(
    mut tx: Transaction<'static, Any>,
    actor: &Actor,
    refusal: CodeRefusal,
) -> Result<()> {
    audit::record(
        &mut tx,
        actor,
        Action::AccountRegistrationRefused,
        None,
        &serde_json::json!({ "reason": format!("{refusal:?}") }),
    )
    .await?;
    tx.commit().await?;
    Err(match refusal {
        CodeRefusal::DomainNotAllowed => invalid("email", DOMAIN_REFUSED),
        _ => invalid("code", CODE_REFUSED),
    })
}

/// A single-use link's token, and when it stops working.
struct Link {
    token: String,
    expires_at: i64,
}

/// Mints a link for `user` and stores its hash. Call only once the message
/// that carries it is sure to be queued ([`mail::within_cap`]).
async fn new_email_token(
    tx: &mut Transaction<'static, Any>,
    user: i64,
    purpose: &str,
    new_email: Option<&Email>,
    lifetime: i64,
) -> Result<Link> {
    let token = tokens::new_token();
    let now = clock::now();
    let expires_at = now + lifetime;
    sqlx::query(
        "insert into email_tokens (token_hash, user_id, purpose, new_email, expires_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(tokens::hash(&token))
    .bind(user)
    .bind(purpose)
    .bind(new_email.map(Email::as_str))
    .bind(expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(Link { token, expires_at })
}

/// Emails `user` a link to confirm `email`, unless the address has had
/// its share of unasked-for mail today; whether it was queued.
pub(crate) async fn send_verification(
    tx: &mut Transaction<'static, Any>,
    site: &SiteInfo,
    user: i64,
    email: &Email,
) -> Result<bool> {
    if !mail::within_cap(tx, mail::Unasked::Verification, email).await? {
        return Ok(false);
    }
    let link = new_email_token(tx, user, "verify", None, token_lifetime::VERIFY).await?;
    let body = format!(
        "Confirm your email address to finish registering for {product}.\n\n\
         Open this link within 24 hours:\n\n{url}/verify-email?token={token}\n\n\
         If you did not register, ignore this email and the registration will be deleted.\n\n\
         We will never ask for your password by email.\n",
        product = site.product_name,
        url = site.public_url,
        token = link.token,
    );
    mail::enqueue_with_link(
        tx,
        email,
        &format!("Confirm your email address for {}", site.product_name),
        &body,
        link.expires_at,
    )
    .await?;
    Ok(true)
}

fn already_registered_mail(site: &SiteInfo) -> String {
    format!(
        "Someone, probably you, tried to register for {product} with this email address. \
         It already has an account, so nothing has changed.\n\n\
         Sign in: {url}/login\n\
         Forgotten your password? {url}/forgot-password\n\n\
         If this was not you, you can ignore this email.\n",
        product = site.product_name,
        url = site.public_url,
    )
}

/// Uses a token of `purpose`, returning its user and new email address.
/// `None` if it is unknown, used or expired.
async fn take_token(
    tx: &mut Transaction<'static, Any>,
    token: &str,
    purpose: &str,
) -> Result<Option<(i64, Option<String>)>> {
    let now = clock::now();
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "update email_tokens set used_at = $1, updated_at = $1 \
         where token_hash = $2 and purpose = $3 and used_at is null and expires_at > $1 \
         returning user_id, new_email",
    )
    .bind(now)
    .bind(tokens::hash(token))
    .bind(purpose)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row)
}

/// Attempts per client to confirm an address with its password.
const VERIFY_LIMIT: Limit = Limit {
    max_hits: 10,
    window_secs: 15 * 60,
};

/// Shown when the password given with a verification link is not the one
/// chosen at registration.
pub const VERIFY_PASSWORD_REFUSED: &str = "That is not the password chosen when this address \
     was registered. If that was not you, register again: the newest registration replaces \
     any unconfirmed one.";

/// Confirms an email address from the link sent at registration, with the
/// password chosen then. Whoever can read the mailbox must also know the
/// password, so a registration someone else made for the address (with a
/// password of their own) cannot be confirmed by its owner by mistake.
/// `false` when the link is unknown, used or expired; a dead link costs no
/// hashing.
pub async fn verify_email(db: &Db, client: &str, token: &str, password: &str) -> Result<bool> {
    let owner: Option<(String,)> = sqlx::query_as(
        "select u.password_hash from email_tokens t join users u on u.id = t.user_id \
         where t.token_hash = $1 and t.purpose = 'verify' and t.used_at is null and t.expires_at > $2",
    )
    .bind(tokens::hash(token))
    .bind(clock::now())
    .fetch_optional(db.pool())
    .await?;
    let Some((hash,)) = owner else {
        return Ok(false);
    };
    let mut tx = db.begin_write().await?;
    throttle::hit(&mut tx, &format!("verify:{client}"), VERIFY_LIMIT).await?;
    tx.commit().await?;
    let password = Password::for_checking(password);
    if !accounts::verify_password(&password, &PasswordHash::from_phc(hash)).await? {
        return Err(invalid("password", VERIFY_PASSWORD_REFUSED));
    }
    // A newer registration in the meantime deleted this link: `take_token`
    // then finds nothing.
    let mut tx = db.begin_write().await?;
    let Some((user, _)) = take_token(&mut tx, token, "verify").await? else {
        return Ok(false);
    };
    let now = clock::now();
    sqlx::query(
        "update users set email_verified_at = coalesce(email_verified_at, $1), updated_at = $1 where id = $2",
    )
    .bind(now)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::User { id: user },
        Action::AccountVerified,
        Some(&format!("user:{user}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// What became of a sign-in attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: set this session cookie.
    SignedIn(SessionToken),
    /// The password was right; ask for the second factor next.
    SecondFactorDue(SessionToken),
    /// Refused: one message whatever failed.
    Refused,
    /// Too many recent failures: try again after this many seconds.
    Wait(i64),
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    password_hash: String,
    email_verified_at: Option<i64>,
    role: String,
    totp_enabled_at: Option<i64>,
    suspended_at: Option<i64>,
    organisation_status: Option<String>,
}

/// The scopes a password attempt on `email` from `client` counts in: the
/// account on this client, the client, and (unless the client has signed
/// in to this account before) the account from every client.
fn sign_in_scopes(client: &str, email: &str, known_client: bool) -> Vec<Scope> {
    let mut scopes = vec![
        Scope::new(
            format!("account:{email}|client:{client}"),
            Rule::AccountOnClient,
        ),
        Scope::new(format!("client:{client}"), Rule::Client),
    ];
    if !known_client {
        scopes.push(account_scope(email));
    }
    scopes
}

/// Whether `client` has signed in to `email`'s account before.
async fn known_client(
    tx: &mut Transaction<'static, Any>,
    email: &str,
    client: &str,
) -> Result<bool> {
    let found: Option<(i64,)> =
        sqlx::query_as("select 1 from sign_in_known_clients where account = $1 and client = $2")
            .bind(email)
            .bind(client)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(found.is_some())
}

/// Remembers that `client` signed in to `email`'s account with its password.
async fn remember_client(
    tx: &mut Transaction<'static, Any>,
    email: &str,
    client: &str,
) -> Result<()> {
    let now = clock::now();
    sqlx::query(
        "insert into sign_in_known_clients (account, client, created_at, updated_at) \
         values ($1, $2, $3, $3) \
         on conflict (account, client) do update set updated_at = excluded.updated_at",
    )
    .bind(email)
    .bind(client)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn account_scope(email: &str) -> Scope {
    Scope::new(format!("account:{email}"), Rule::Account)
}

/// After a failed password on a known account: the first time in a day
/// that failures from everywhere make every attempt wait, tell the owner.
async fn warn_if_account_throttled(
    tx: &mut Transaction<'static, Any>,
    reservation: &Reservation,
    email: &str,
) -> Result<()> {
    let scope = account_scope(email);
    if reservation.count(&scope.key) < account_throttle::FREE_FAILURES
        || !failures::first_warning(tx, &scope).await?
    {
        return Ok(());
    }
    let Ok(to) = Email::parse(email) else {
        return Ok(());
    };
    mail::enqueue(
        tx,
        &to,
        "Someone is trying to sign in to your account",
        &format!(
            "There have been {failures} failed attempts to sign in to your account with this \
             email address in the last day, from one or more places.\n\n\
             To protect your account, each new attempt must now wait a little longer, \
             whoever makes it. You can still sign in as usual; if you are asked to wait, \
             wait and try again.\n\n\
             If this was not you, someone may be guessing your password. Choose a new, \
             long password that you use nowhere else: use \"Forgotten your password?\" on \
             the sign-in page.\n\n\
             We will never ask for your password by email.\n",
            failures = reservation.count(&scope.key),
        ),
    )
    .await
}

/// Checks an email and password. Unknown addresses cost the same Argon2
/// verify as known ones, and every failure looks the same to the caller.
///
/// The attempt is counted before the password is checked, per account on this client, per client and per account
/// from everywhere; a burst of concurrent attempts cannot exceed the limits.
pub async fn sign_in(db: &Db, client: &str, email: &str, password: &str) -> Result<SignIn> {
    let email = email.trim().to_lowercase();
    let actor = Actor::Public {
        client: client.to_owned(),
    };
    let mut tx = db.begin_write().await?;
    let scopes = sign_in_scopes(client, &email, known_client(&mut tx, &email, client).await?);
    let reservation = match failures::reserve(&mut tx, &scopes).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            audit::record(
                &mut tx,
                &actor,
                Action::AccountSignInThrottled,
                None,
                &serde_json::json!({ "wait_secs": wait }),
            )
            .await?;
            tx.commit().await?;
            return Ok(SignIn::Wait(wait));
        }
    };
    tx.commit().await?;

    let candidate: Option<Candidate> = sqlx::query_as(
        "select u.id, u.password_hash, u.email_verified_at, u.role, u.totp_enabled_at, u.suspended_at, \
                o.status as organisation_status \
         from users u left join organisations o on o.id = u.organisation_id where u.email = $1",
    )
    .bind(&email)
    .fetch_optional(db.pool())
    .await?;
    let password = Password::for_checking(password);
    let password_ok = match &candidate {
        Some(c) => {
            accounts::verify_password(&password, &PasswordHash::from_phc(c.password_hash.clone()))
                .await?
        }
        None => {
            accounts::dummy_verify(&password).await?;
            false
        }
    };
    let refusal = match &candidate {
        None => Some("unknown_email"),
        Some(_) if !password_ok => Some("wrong_password"),
        Some(c) if c.email_verified_at.is_none() => Some("unverified"),
        Some(c) if c.suspended_at.is_some() => Some("suspended"),
        // A role this build does not know signs nobody in.
        Some(c) if Role::parse(&c.role).is_none() => Some("unknown_role"),
        Some(c)
            if Role::parse(&c.role) == Some(Role::Member)
                && c.organisation_status.as_deref() != Some(OrgStatus::Active.as_str()) =>
        {
            Some("organisation_inactive")
        }
        Some(_) => None,
    };

    let mut tx = db.begin_write().await?;
    let outcome = match (refusal, candidate) {
        (None, Some(user)) => {
            let stage = if user.totp_enabled_at.is_some() {
                Stage::SecondFactor
            } else {
                Stage::SignedIn
            };
            let token = sessions::start(&mut tx, user.id, stage).await?;
            failures::release(&mut tx, reservation).await?;
            failures::clear(&mut tx, &scopes[0].key).await?;
            remember_client(&mut tx, &email, client).await?;
            let action = match stage {
                Stage::SignedIn => Action::AccountSignedIn,
                Stage::SecondFactor => Action::AccountPasswordAccepted,
            };
            audit::record(
                &mut tx,
                &Actor::User { id: user.id },
                action,
                Some(&format!("user:{}", user.id)),
                &serde_json::json!({ "client": client }),
            )
            .await?;
            match stage {
                Stage::SignedIn => SignIn::SignedIn(token),
                Stage::SecondFactor => SignIn::SecondFactorDue(token),
            }
        }
        (reason, user) => {
            // The attempt was counted as a failure before the check: it stays.
            if reason == Some("wrong_password") {
                warn_if_account_throttled(&mut tx, &reservation, &email).await?;
            }
            audit::record(
                &mut tx,
                &actor,
                Action::AccountSignInFailed,
                user.map(|u| format!("user:{}", u.id)).as_deref(),
                &serde_json::json!({ "reason": reason.unwrap_or("unknown") }),
            )
            .await?;
            SignIn::Refused
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Ends a session on the server.
pub async fn sign_out(db: &Db, session: &sessions::Session) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sessions::end(&mut tx, &session.token).await?;
    audit::record(
        &mut tx,
        &Actor::User {
            id: session.viewer.id,
        },
        Action::AccountSignedOut,
        Some(&format!("user:{}", session.viewer.id)),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the signed-in person except this one (a browser
/// left signed in elsewhere); how many ended.
pub async fn sign_out_elsewhere(db: &Db, session: &sessions::Session) -> Result<u64> {
    let user = session.viewer.id;
    let mut tx = db.begin_write().await?;
    let (others,): (i64,) =
        sqlx::query_as("select count(*) from sessions where user_id = $1 and token_hash <> $2")
            .bind(user)
            .bind(crate::tokens::hash(session.token.as_str()))
            .fetch_one(&mut *tx)
            .await?;
    sessions::end_all(&mut tx, user, Some(&session.token)).await?;
    audit::record(
        &mut tx,
        &Actor::User { id: user },
        Action::AccountSignedOutElsewhere,
        Some(&format!("user:{user}")),
        &serde_json::json!({ "sessions": others }),
    )
    .await?;
    tx.commit().await?;
    Ok(u64::try_from(others).unwrap_or_default())
}

/// Corrects the signed-in person's name, recording before and after.
pub async fn rename(db: &Db, session: &sessions::Session, full_name: &str) -> Result<()> {
    let user = session.viewer.id;
    let mut tx = db.begin_write().await?;
    let (before,): (String,) = sqlx::query_as("select full_name from users where id = $1")
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("update users set full_name = $1, updated_at = $2 where id = $3")
        .bind(full_name)
        .bind(clock::now())
        .bind(user)
        .execute(&mut *tx)
        .await?;
    // The names themselves stay out of the trail, which outlives an
    // erased account; whether it changed is enough.
    audit::record(
        &mut tx,
        &Actor::User { id: user },
        Action::AccountRenamed,
        Some(&format!("user:{user}")),
        &serde_json::json!({ "changed": before != full_name }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a reset link if `email` has a verified account. The caller shows
/// the same page whatever happened here.
pub async fn request_reset(db: &Db, site: &SiteInfo, client: &str, email: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    throttle::hit(&mut tx, &format!("reset:{client}"), RESET_LIMIT).await?;
    let Ok(email) = Email::parse(email) else {
        tx.commit().await?;
        return Err(invalid(
            "email",
            "Enter your email address, like name@example.nhs.uk",
        ));
    };
    let user: Option<(i64,)> =
        sqlx::query_as("select id from users where email = $1 and email_verified_at is not null")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((id,)) = user {
        if mail::within_cap(&mut tx, mail::Unasked::Reset, &email).await? {
            let link = new_email_token(&mut tx, id, "reset", None, token_lifetime::RESET).await?;
            let body = format!(
                "Someone asked to reset the password of your {product} account.\n\n\
                 Choose a new password within 30 minutes:\n\n{url}/reset-password?token={token}\n\n\
                 If it was not you, ignore this email: your password has not changed.\n\n\
                 We will never ask for your password by email.\n",
                product = site.product_name,
                url = site.public_url,
                token = link.token,
            );
            mail::enqueue_with_link(
                &mut tx,
                &email,
                &format!("Reset your {} password", site.product_name),
                &body,
                link.expires_at,
            )
            .await?;
        }
        audit::record(
            &mut tx,
            &Actor::Public {
                client: client.to_owned(),
            },
            Action::AccountResetRequested,
            Some(&format!("user:{id}")),
            &serde_json::json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether a reset link is still usable (to show the form or say it has
/// expired). Does not use it up.
pub async fn reset_token_usable(db: &Db, token: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select user_id from email_tokens where token_hash = $1 and purpose = 'reset' \
         and used_at is null and expires_at > $2",
    )
    .bind(tokens::hash(token))
    .bind(clock::now())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.is_some())
}

/// Reset attempts (setting the new password) per client.
const RESET_PASSWORD_LIMIT: Limit = Limit {
    max_hits: 10,
    window_secs: 15 * 60,
};

const RESET_LINK_DEAD: &str = "This reset link has expired or has been used. Ask for a new one.";

/// Sets a new password from a reset link and ends every session, limited to
/// a few attempts per client. The link is checked, and then used up, before
/// the new password is hashed, so a dead or guessed link costs no hashing,
/// and one link is hashed for once.
pub async fn reset_password(db: &Db, client: &str, token: &str, new_password: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    throttle::hit(
        &mut tx,
        &format!("reset_password:{client}"),
        RESET_PASSWORD_LIMIT,
    )
    .await?;
    tx.commit().await?;
    reset(db, token, new_password).await
}

async fn reset(db: &Db, token: &str, new_password: &str) -> Result<()> {
    let password = Password::new(new_password.to_owned()).map_err(|m| invalid("password", &m))?;
    let owner: Option<(String, String)> = sqlx::query_as(
        "select u.email, u.full_name from email_tokens t join users u on u.id = t.user_id \
         where t.token_hash = $1 and t.purpose = 'reset' and t.used_at is null and t.expires_at > $2",
    )
    .bind(tokens::hash(token))
    .bind(clock::now())
    .fetch_optional(db.pool())
    .await?;
    let Some((email, name)) = &owner else {
        return Err(invalid("password", RESET_LINK_DEAD));
    };
    accounts::check_strength(&password, &[email, name]).map_err(|m| invalid("password", &m))?;
    // Use the link up before the slow part: of concurrent attempts with
    // one link, only one goes on to hash.
    let mut tx = db.begin_write().await?;
    let Some((user, _)) = take_token(&mut tx, token, "reset").await? else {
        return Err(invalid("password", RESET_LINK_DEAD));
    };
    tx.commit().await?;
    let hash = accounts::hash_password(&password).await?;
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    sqlx::query(
        "update users set password_hash = $1, email_verified_at = coalesce(email_verified_at, $2), \
         updated_at = $2 where id = $3",
    )
    .bind(hash.as_phc())
    .bind(now)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    sessions::end_all(&mut tx, user, None).await?;
    drop_unused_links(&mut tx, user).await?;
    audit::record(
        &mut tx,
        &Actor::User { id: user },
        Action::AccountResetCompleted,
        Some(&format!("user:{user}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the user's reset and email-change links not yet used: after a
/// password reset or change, or a new second factor, whoever asked for
/// them (perhaps someone who had the account) cannot use them to get back.
pub(crate) async fn drop_unused_links(tx: &mut Transaction<'static, Any>, user: i64) -> Result<()> {
    sqlx::query(
        "delete from email_tokens where user_id = $1 and used_at is null \
         and purpose in ('reset', 'change_email')",
    )
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Checks the signed-in user's own password, counted like a sign-in
/// attempt (before the check, per account on this session and per account
/// from everywhere): a stolen session cannot be used to guess it.
pub(crate) async fn own_password_ok(
    db: &Db,
    session: &sessions::Session,
    password: &str,
) -> Result<bool> {
    let email = session.viewer.email.to_lowercase();
    let session_key = tokens::hash(session.token.as_str());
    let scopes = [
        Scope::new(
            format!("account:{email}|session:{}", &session_key[..16]),
            Rule::AccountOnClient,
        ),
        account_scope(&email),
    ];
    let mut tx = db.begin_write().await?;
    let reservation = match failures::reserve(&mut tx, &scopes).await? {
        Ok(reservation) => reservation,
        Err(wait) => {
            return Err(Error::Throttled {
                retry_after_secs: wait,
            });
        }
    };
    tx.commit().await?;
    let ok = current_password_ok(db, session.viewer.id, password).await?;
    let mut tx = db.begin_write().await?;
    if ok {
        failures::release(&mut tx, reservation).await?;
    } else {
        warn_if_account_throttled(&mut tx, &reservation, &email).await?;
        audit::record(
            &mut tx,
            &Actor::User {
                id: session.viewer.id,
            },
            Action::AccountPasswordCheckFailed,
            Some(&format!("user:{}", session.viewer.id)),
            &serde_json::json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ok)
}

async fn current_password_ok(db: &Db, user: i64, current: &str) -> Result<bool> {
    let (phc,): (String,) = sqlx::query_as("select password_hash from users where id = $1")
        .bind(user)
        .fetch_one(db.pool())
        .await?;
    accounts::verify_password(
        &Password::for_checking(current),
        &PasswordHash::from_phc(phc),
    )
    .await
}

/// Changes the password of the signed-in user, who must give the current
/// one (a wrong one counts as a failed sign-in; too many answer
/// [`Error::Throttled`]). Every other session ends, and unused reset and
/// email-change links stop working.
pub async fn change_password(
    db: &Db,
    site: &SiteInfo,
    session: &sessions::Session,
    current: &str,
    new_password: &str,
) -> Result<()> {
    let viewer = &session.viewer;
    let mut errors = FieldErrors::new();
    let password = errors.check("new_password", Password::new(new_password.to_owned()));
    if let Some(password) = &password {
        errors.check(
            "new_password",
            accounts::check_strength(password, &[&viewer.email, &viewer.full_name]),
        );
    }
    if !own_password_ok(db, session, current).await? {
        errors.add("current_password", "Your current password is not right");
    }
    let (Some(password), true) = (password, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    let hash = accounts::hash_password(&password).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("update users set password_hash = $1, updated_at = $2 where id = $3")
        .bind(hash.as_phc())
        .bind(clock::now())
        .bind(viewer.id)
        .execute(&mut *tx)
        .await?;
    sessions::end_all(&mut tx, viewer.id, Some(&session.token)).await?;
    drop_unused_links(&mut tx, viewer.id).await?;
    let email = Email::parse(&viewer.email).map_err(|e| Error::Mail(e.to_string()))?;
    mail::enqueue(
        &mut tx,
        &email,
        &format!("Your {} password has changed", site.product_name),
        &format!(
            "The password of your {product} account was changed, and every other session \
             was signed out.\n\nIf you did not do this, reset your password now: \
             {url}/forgot-password\n",
            product = site.product_name,
            url = site.public_url,
        ),
    )
    .await?;
    audit::record(
        &mut tx,
        &Actor::User { id: viewer.id },
        Action::AccountPasswordChanged,
        Some(&format!("user:{}", viewer.id)),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Starts a change of email address: checks the password (counted like a
/// sign-in attempt) and the organisation's domain rules, then emails a link
/// to the new address and a notice to the current one. An address that
/// already has an account gets a notice instead of a link, and the caller
/// sees the same outcome as for a free one.
pub async fn request_email_change(
    db: &Db,
    site: &SiteInfo,
    session: &sessions::Session,
    password: &str,
    new_email: &str,
) -> Result<()> {
    let viewer = &session.viewer;
    let mut errors = FieldErrors::new();
    let email = errors.check(
        "new_email",
        Email::parse(new_email).map_err(|e| e.to_string()),
    );
    if !own_password_ok(db, session, password).await? {
        errors.add("password", "Your password is not right");
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    let mut tx = db.begin_write().await?;
    if let Some(org) = session.organisation_id
        && !orgs::email_domain_allowed(&mut tx, org, &email).await?
    {
        return Err(invalid("new_email", DOMAIN_REFUSED));
    }
    let taken: Option<(i64,)> = sqlx::query_as("select id from users where email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        // Answer as for a free address: whether an address has an account
        // is for its owner to know, so they are the one told.
        mail::enqueue_capped(
            &mut tx,
            mail::Unasked::ChangeEmailNotice,
            &email,
            &format!(
                "Someone tried to use your email address on {}",
                site.product_name
            ),
            &format!(
                "Someone signed in to {product} asked to move their account to this email \
                 address. It already belongs to an account (yours), so nothing has changed.\n\n\
                 If you are changing your own address, sign in to that account first.\n\
                 If this is unexpected, you can ignore this email, or tell us: {contact}\n",
                product = site.product_name,
                contact = site.contact_email,
            ),
        )
        .await?;
    } else if mail::within_cap(&mut tx, mail::Unasked::ChangeEmail, &email).await? {
        let link = new_email_token(
            &mut tx,
            viewer.id,
            "change_email",
            Some(&email),
            token_lifetime::CHANGE_EMAIL,
        )
        .await?;
        mail::enqueue_with_link(
            &mut tx,
            &email,
            &format!("Confirm your new email address for {}", site.product_name),
            &format!(
                "Confirm that {product} should use this email address for your account.\n\n\
                 Open this link within 24 hours:\n\n{url}/confirm-email?token={token}\n\n\
                 If you did not ask for this, ignore this email.\n",
                product = site.product_name,
                url = site.public_url,
                token = link.token,
            ),
            link.expires_at,
        )
        .await?;
    }
    // The current address hears of it either way, so its owner can act if
    // it was not them.
    if let Ok(current) = Email::parse(&viewer.email) {
        mail::enqueue(
            &mut tx,
            &current,
            &format!(
                "A change of email address was requested for {}",
                site.product_name
            ),
            &format!(
                "Someone signed in to your {product} account asked to change its email address \
                 to {new}. Nothing changes until the link sent there is opened.\n\n\
                 If this was not you, reset your password now: {url}/forgot-password \
                 (that also cancels the change), then tell us: {contact}\n",
                product = site.product_name,
                new = email.as_str(),
                url = site.public_url,
                contact = site.contact_email,
            ),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &Actor::User { id: viewer.id },
        Action::AccountEmailChangeRequested,
        Some(&format!("user:{}", viewer.id)),
        &serde_json::json!({ "address_taken": taken.is_some() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Completes a change of email address from the emailed link and ends every
/// session of the account (it signs in again with the new address).
/// `false` when the link is unknown, used or expired, or the address was
/// taken since.
pub async fn confirm_email_change(db: &Db, site: &SiteInfo, token: &str) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let Some((user, Some(new_email))) = take_token(&mut tx, token, "change_email").await? else {
        return Ok(false);
    };
    let (old_email,): (String,) = sqlx::query_as("select email from users where id = $1")
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
    let updated = sqlx::query("update users set email = $1, updated_at = $2 where id = $3")
        .bind(&new_email)
        .bind(clock::now())
        .bind(user)
        .execute(&mut *tx)
        .await;
    match updated {
        Ok(_) => {}
        Err(error) => {
            let error = Error::from(error).on_unique(Unique::UserEmail, "email", "taken");
            return match error {
                Error::Invalid(_) => Ok(false),
                other => Err(other),
            };
        }
    }
    // The username has changed: every session, wherever it is, signs in
    // again with the new address.
    sessions::end_all(&mut tx, user, None).await?;
    if let Ok(old) = Email::parse(&old_email) {
        mail::enqueue(
            &mut tx,
            &old,
            &format!("Your {} email address has changed", site.product_name),
            &format!(
                "Your {product} account now uses a different email address, so we will no \
                 longer write to this one.\n\nIf you did not do this, contact {contact}.\n",
                product = site.product_name,
                contact = site.contact_email,
            ),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &Actor::User { id: user },
        Action::AccountEmailChanged,
        Some(&format!("user:{user}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Deletes throttle rows and sign-in failures past their windows, and
/// networks not signed in from for half a year. (What is personal data
/// past its retention, [`crate::retention`] deletes.)
pub async fn sweep(db: &Db) -> Result<()> {
    let now = clock::now();
    let mut tx = db.begin_write().await?;
    failures::sweep(&mut tx).await?;
    // Known clients are forgotten after a quiet half-year.
    sqlx::query("delete from sign_in_known_clients where updated_at < $1")
        .bind(now - 183 * 24 * 60 * 60)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from throttles where updated_at < $1")
        .bind(now - 24 * 60 * 60)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    sessions::sweep(db).await?;
    Ok(())
}
