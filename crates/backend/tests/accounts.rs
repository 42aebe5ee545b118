//! Registration, verification, sign-in, sessions, resets, second factor and
//! mail (P2, P3, P9, P12), on SQLite and PostgreSQL.

use backend::audit::Actor;
use backend::auth::{self, SignIn};
use backend::keys::{CodeKey, Keys};
use backend::mail::{self, Mailer};
use backend::orgs;
use backend::sessions::{self, SessionToken, Stage};
use backend::{Db, Error, mfa, stories};
use domain::account::{CODE_REFUSED, DOMAIN_REFUSED, RegistrationInput};
use domain::authcode::AuthCode;
use domain::flash::Flash;
use domain::organisation::{OrgStatus, OrganisationForm};
use domain::site::SiteInfo;

stories!(
    a_member_registers_verifies_and_signs_in,
    registering_a_known_email_looks_the_same_and_tells_the_owner,
    bad_codes_domains_and_guessable_passwords_are_refused_plainly,
    failed_sign_ins_are_throttled_and_the_throttle_lifts,
    sessions_end_when_idle_too_old_signed_out_or_organisation_suspended,
    a_signed_in_page_is_not_held_up_by_a_long_write,
    a_password_reset_link_works_once_and_ends_every_session,
    changing_the_password_needs_the_current_one_and_ends_other_sessions,
    an_email_change_is_confirmed_from_the_new_address,
    a_second_factor_is_needed_once_enrolled_and_codes_work_once,
    unverified_sign_ups_are_deleted_after_seven_days,
    mail_waits_out_an_smtp_outage_then_reaches_a_real_smtp_server,
    a_burst_of_wrong_passwords_is_counted_before_it_is_checked,
    failures_from_many_clients_slow_the_account_and_tell_its_owner,
    five_wrong_second_factor_codes_from_anywhere_end_the_sign_in,
    concurrent_second_factor_guesses_are_counted_before_they_are_checked,
    a_newer_registration_replaces_an_unverified_one,
    a_registration_made_after_the_owners_cannot_be_confirmed_with_the_owners_password,
    a_code_for_three_admits_three_however_many_register_at_once,
    dead_reset_links_are_refused_and_resets_are_limited_per_client,
    wrong_current_passwords_count_as_failed_sign_ins,
    recovery_leaves_no_way_back,
    an_email_change_never_reveals_whether_the_address_is_registered,
    no_address_is_sent_more_than_five_unasked_messages_of_a_kind_in_half_an_hour,
    a_flash_is_shown_once_and_only_soon,
    a_second_factor_secret_is_stored_encrypted_for_its_own_account,
    recovery_codes_are_stored_as_keyed_hashes_and_work_once,
    an_operator_removes_a_second_factor_that_no_longer_decrypts,
    no_link_is_minted_for_a_message_over_its_cap,
    a_mail_with_a_link_keeps_no_body_once_the_link_has_expired,
    a_registration_replacing_an_unverified_one_uses_the_code_once,
);

const PASSWORD: &str = "correct horse battery staple";

/// The server secret these tests run with.
const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

fn keys() -> Keys {
    Keys::derive(SECRET).expect("keys")
}

fn key() -> CodeKey {
    keys().codes().clone()
}

fn site() -> SiteInfo {
    SiteInfo {
        public_url: "https://portal.example".into(),
        ..SiteInfo::default()
    }
}

/// An organisation that allows `domains` (none: any), and its code.
async fn organisation(db: &Db, name: &str, domains: &str) -> (i64, AuthCode) {
    let org = OrganisationForm::example(name, domains)
        .validate()
        .expect("valid organisation");
    orgs::create(db, &key(), &Actor::Operator, &org)
        .await
        .expect("create organisation")
}

fn registration(code: &AuthCode, email: &str) -> RegistrationInput {
    RegistrationInput {
        code: code.to_string().to_lowercase().replace('-', " "),
        full_name: "Sam Member".into(),
        email: email.into(),
        password: PASSWORD.into(),
        privacy: true,
    }
}

/// The newest queued mail to `to`: (subject, body).
async fn last_mail(db: &Db, to: &str) -> (String, String) {
    sqlx::query_as("select subject, body from outbox where recipient = $1 order by id desc limit 1")
        .bind(to)
        .fetch_one(db.pool())
        .await
        .expect("a mail to that address")
}

async fn mail_count(db: &Db, to: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("select count(*) from outbox where recipient = $1")
        .bind(to)
        .fetch_one(db.pool())
        .await
        .expect("count");
    n
}

/// The `token=` value of the link in a mail body.
fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

async fn register_and_verify(db: &Db, code: &AuthCode, email: &str) {
    auth::register(db, &key(), &site(), "client-a", &registration(code, email))
        .await
        .expect("registered");
    let (_, body) = last_mail(db, email).await;
    assert!(
        auth::verify_email(db, "client-a", &token_in(&body), PASSWORD)
            .await
            .expect("verify")
    );
}

async fn signed_in(db: &Db, email: &str, password: &str) -> SessionToken {
    match auth::sign_in(db, "client-a", email, password)
        .await
        .expect("sign in")
    {
        SignIn::SignedIn(token) => token,
        other => panic!("expected to be signed in, got {other:?}"),
    }
}

fn field_error(error: Error, field: &str) -> String {
    match error {
        Error::Invalid(errors) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
            .to_owned(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn a_member_registers_verifies_and_signs_in(db: Db) {
    let (org, code) = organisation(&db, "Riverside Surgery", "").await;
    auth::register(
        &db,
        &key(),
        &site(),
        "client-a",
        &registration(&code, "Sam@Riverside.example"),
    )
    .await
    .expect("registered");

    // Not usable until verified.
    assert_eq!(
        auth::sign_in(&db, "client-a", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::Refused
    );

    let (subject, body) = last_mail(&db, "sam@riverside.example").await;
    assert!(subject.contains("Confirm your email"), "{subject}");
    assert!(body.contains("https://portal.example/verify-email?token="));
    assert!(!body.contains(PASSWORD), "P12: no mail contains a password");
    let token = token_in(&body);
    let (stored,): (i64,) =
        sqlx::query_as("select count(*) from email_tokens where token_hash = $1")
            .bind(&token)
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(stored, 0, "the link's token is stored only hashed");

    // The link alone is not enough: the password chosen at registration too.
    let wrong = auth::verify_email(&db, "client-a", &token, "not the password at all")
        .await
        .expect_err("the registration password is needed");
    assert_eq!(
        field_error(wrong, "password"),
        auth::VERIFY_PASSWORD_REFUSED
    );
    assert!(
        auth::verify_email(&db, "client-a", &token, PASSWORD)
            .await
            .expect("verify")
    );
    assert!(
        !auth::verify_email(&db, "client-a", &token, PASSWORD)
            .await
            .expect("verify"),
        "a verification link works once"
    );

    let token = signed_in(&db, "SAM@riverside.example ", PASSWORD).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("a live session");
    assert_eq!(session.stage, Stage::SignedIn);
    assert_eq!(session.organisation_id, Some(org));
    assert_eq!(session.viewer.full_name, "Sam Member");
    assert_eq!(
        session.viewer.organisation.as_deref(),
        Some("Riverside Surgery")
    );

    // P3: the account holds name, email and an Argon2id hash, nothing else.
    let (hash,): (String,) = sqlx::query_as("select password_hash from users where id = $1")
        .bind(session.viewer.id)
        .fetch_one(db.pool())
        .await
        .expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));

    // The only personal data an account holds: name and work email (P3).
    let columns: Vec<(String,)> = match db.backend() {
        backend::Backend::Sqlite => {
            sqlx::query_as("select name from pragma_table_info('users') order by cid")
                .fetch_all(db.pool())
                .await
        }
        backend::Backend::Postgres => {
            sqlx::query_as(
                "select column_name::text from information_schema.columns \
                 where table_name = 'users' order by ordinal_position",
            )
            .fetch_all(db.pool())
            .await
        }
    }
    .expect("columns");
    let columns: Vec<&str> = columns.iter().map(|(c,)| c.as_str()).collect();
    assert_eq!(
        columns,
        [
            "id",
            "email",
            "full_name",
            "password_hash",
            "role",
            "email_verified_at",
            "created_at",
            "updated_at",
            "organisation_id",
            "totp_secret",
            "totp_enabled_at",
            "totp_last_step",
            "suspended_at",
            "suspension_reason",
            "last_sign_in_at",
        ]
    );

    // The code's use was counted.
    let (uses,): (i64,) =
        sqlx::query_as("select uses from authorisation_codes where organisation_id = $1")
            .bind(org)
            .fetch_one(db.pool())
            .await
            .expect("uses");
    assert_eq!(uses, 1);
}

async fn registering_a_known_email_looks_the_same_and_tells_the_owner(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;

    let again = auth::register(
        &db,
        &key(),
        &site(),
        "client-b",
        &registration(&code, "sam@riverside.example"),
    )
    .await;
    assert!(again.is_ok(), "same outcome as a new registration");
    let (subject, body) = last_mail(&db, "sam@riverside.example").await;
    assert!(subject.contains("already have"), "{subject}");
    assert!(body.contains("/forgot-password"));
    let (users,): (i64,) = sqlx::query_as("select count(*) from users")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(users, 1);
}

async fn bad_codes_domains_and_guessable_passwords_are_refused_plainly(db: Db) {
    let (org, code) = organisation(&db, "Hillside Practice", "hillside.example").await;
    let wrong_code = orgs::new_code();
    let error = auth::register(
        &db,
        &key(),
        &site(),
        "client-a",
        &registration(&wrong_code, "kim@hillside.example"),
    )
    .await
    .expect_err("unknown code");
    assert_eq!(field_error(error, "code"), CODE_REFUSED);

    let error = auth::register(
        &db,
        &key(),
        &site(),
        "client-a",
        &registration(&code, "kim@gmail.example"),
    )
    .await
    .expect_err("domain not allowed");
    assert_eq!(field_error(error, "email"), DOMAIN_REFUSED);

    for weak in ["password1234", "qwertyuiopas", "kim@hillside.example"] {
        let mut input = registration(&code, "kim@hillside.example");
        input.password = weak.into();
        let error = auth::register(&db, &key(), &site(), "client-a", &input)
            .await
            .expect_err(weak);
        assert!(
            field_error(error, "password").contains("too easy to guess"),
            "{weak}"
        );
    }

    // Suspended organisation: the same plain message as an unknown code.
    orgs::change_status(
        &db,
        &Actor::Operator,
        org,
        OrgStatus::Suspended,
        "Contract paused",
    )
    .await
    .expect("suspend");
    let error = auth::register(
        &db,
        &key(),
        &site(),
        "client-a",
        &registration(&code, "kim@hillside.example"),
    )
    .await
    .expect_err("suspended");
    let message = field_error(error, "code");
    assert_eq!(message, CODE_REFUSED);
    assert!(
        !message.contains("Hillside"),
        "P2: never names the organisation"
    );
    assert_eq!(mail_count(&db, "kim@hillside.example").await, 0);
}

async fn failed_sign_ins_are_throttled_and_the_throttle_lifts(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;

    for _ in 0..10 {
        assert_eq!(
            auth::sign_in(&db, "client-a", "sam@riverside.example", "wrong password!")
                .await
                .expect("sign in"),
            SignIn::Refused
        );
    }
    // The eleventh attempt waits, even with the right password.
    let waited = auth::sign_in(&db, "client-a", "sam@riverside.example", PASSWORD)
        .await
        .expect("sign in");
    assert!(
        matches!(waited, SignIn::Wait(secs) if secs > 0 && secs <= 15),
        "{waited:?}"
    );
    // Another client (the real member elsewhere) is not locked out.
    assert!(matches!(
        auth::sign_in(&db, "client-b", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::SignedIn(_)
    ));
    // Once the failures age out of the window, the throttle lifts.
    sqlx::query("update sign_in_failures set failed_at = failed_at - 301")
        .execute(db.pool())
        .await
        .expect("age failures");
    signed_in(&db, "sam@riverside.example", PASSWORD).await;
}

async fn sessions_end_when_idle_too_old_signed_out_or_organisation_suspended(db: Db) {
    let (org, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let live = |token: SessionToken| {
        let db = db.clone();
        async move {
            sessions::resolve(&db, &token)
                .await
                .expect("resolve")
                .is_some()
        }
    };

    let idle = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let first = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    assert_ne!(idle, first, "every sign-in gets a new session id");
    sqlx::query("update sessions set last_seen_at = last_seen_at - 1801")
        .execute(db.pool())
        .await
        .expect("idle");
    assert!(!live(idle.clone()).await, "30 idle minutes end a session");

    let old = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    sqlx::query("update sessions set created_at = created_at - 43201")
        .execute(db.pool())
        .await
        .expect("age");
    assert!(!live(old).await, "no session outlives 12 hours");

    let token = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");
    auth::sign_out(&db, &session).await.expect("sign out");
    assert!(
        !live(token).await,
        "sign-out ends the session on the server"
    );

    let token = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    assert!(live(token.clone()).await);
    orgs::change_status(&db, &Actor::Operator, org, OrgStatus::Suspended, "Unpaid")
        .await
        .expect("suspend");
    assert!(
        !live(token).await,
        "a suspended organisation's session stops at the next request"
    );
    assert_eq!(
        auth::sign_in(&db, "client-a", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::Refused
    );
}

async fn a_signed_in_page_is_not_held_up_by_a_long_write(db: Db) {
    use std::time::Duration;
    let (org, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let token = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    sqlx::query("update sessions set last_seen_at = last_seen_at - 120")
        .execute(db.pool())
        .await
        .expect("two minutes idle");
    let last_seen = || async {
        let (at,): (i64,) = sqlx::query_as("select last_seen_at from sessions")
            .fetch_one(db.pool())
            .await
            .expect("read");
        at
    };
    let before = last_seen().await;

    let mut long = db.begin_write().await.expect("a long write");
    sqlx::query("update organisations set updated_at = updated_at where id = $1")
        .bind(org)
        .execute(&mut *long)
        .await
        .expect("write");
    let session = tokio::time::timeout(Duration::from_secs(2), sessions::resolve(&db, &token))
        .await
        .expect("the session is read without waiting for the write")
        .expect("resolve");
    assert!(session.is_some(), "the session is live");
    long.commit().await.expect("commit");

    // Past half its idle window, a session's clock is moved on whatever
    // else is writing, so a session in use never runs out.
    sqlx::query("update sessions set last_seen_at = last_seen_at - 900")
        .execute(db.pool())
        .await
        .expect("seventeen minutes idle");
    sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("still live");
    assert!(
        last_seen().await > before,
        "the session's idle clock moves on"
    );
}

async fn a_password_reset_link_works_once_and_ends_every_session(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let session = signed_in(&db, "sam@riverside.example", PASSWORD).await;

    auth::request_reset(&db, &site(), "client-a", "nobody@riverside.example")
        .await
        .expect("unknown address looks the same");
    assert_eq!(mail_count(&db, "nobody@riverside.example").await, 0);

    auth::request_reset(&db, &site(), "client-a", "sam@riverside.example")
        .await
        .expect("reset requested");
    let (_, body) = last_mail(&db, "sam@riverside.example").await;
    assert!(body.contains("/reset-password?token="));
    let token = token_in(&body);
    assert!(auth::reset_token_usable(&db, &token).await.expect("check"));

    let new_password = "violet umbrella quietly sings";
    auth::reset_password(&db, "client", &token, new_password)
        .await
        .expect("reset");
    assert!(
        sessions::resolve(&db, &session)
            .await
            .expect("resolve")
            .is_none(),
        "a reset ends every session"
    );
    assert!(
        auth::reset_password(&db, "client", &token, "another fine passphrase")
            .await
            .is_err()
    );
    assert_eq!(
        auth::sign_in(&db, "client-a", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::Refused
    );
    signed_in(&db, "sam@riverside.example", new_password).await;

    // Links expire after 30 minutes.
    auth::request_reset(&db, &site(), "client-a", "sam@riverside.example")
        .await
        .expect("reset requested");
    let (_, body) = last_mail(&db, "sam@riverside.example").await;
    let token = token_in(&body);
    sqlx::query("update email_tokens set expires_at = expires_at - 1801")
        .execute(db.pool())
        .await
        .expect("expire");
    assert!(!auth::reset_token_usable(&db, &token).await.expect("check"));
}

async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let other = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let this = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let session = sessions::resolve(&db, &this)
        .await
        .expect("resolve")
        .expect("live");

    let error = auth::change_password(
        &db,
        &site(),
        &session,
        "not my password",
        "a brand new passphrase",
    )
    .await
    .expect_err("wrong current password");
    assert!(field_error(error, "current_password").contains("not right"));

    auth::change_password(&db, &site(), &session, PASSWORD, "a brand new passphrase")
        .await
        .expect("changed");
    assert!(
        sessions::resolve(&db, &this)
            .await
            .expect("resolve")
            .is_some()
    );
    assert!(
        sessions::resolve(&db, &other)
            .await
            .expect("resolve")
            .is_none()
    );
    let (subject, _) = last_mail(&db, "sam@riverside.example").await;
    assert!(subject.contains("password has changed"));
}

async fn an_email_change_is_confirmed_from_the_new_address(db: Db) {
    let (_, code) = organisation(&db, "Hillside Practice", "hillside.example").await;
    register_and_verify(&db, &code, "kim@hillside.example").await;
    let token = signed_in(&db, "kim@hillside.example", PASSWORD).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");

    let error = auth::request_email_change(&db, &site(), &session, PASSWORD, "kim@gmail.example")
        .await
        .expect_err("outside the organisation's domains");
    assert_eq!(field_error(error, "new_email"), DOMAIN_REFUSED);

    auth::request_email_change(&db, &site(), &session, PASSWORD, "k.lee@hillside.example")
        .await
        .expect("requested");
    let (_, body) = last_mail(&db, "k.lee@hillside.example").await;
    assert!(
        auth::confirm_email_change(&db, &site(), &token_in(&body))
            .await
            .expect("confirm")
    );
    signed_in(&db, "k.lee@hillside.example", PASSWORD).await;
    let (subject, _) = last_mail(&db, "kim@hillside.example").await;
    assert!(subject.contains("email address has changed"));
}

async fn a_second_factor_is_needed_once_enrolled_and_codes_work_once(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let token = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");

    let enrolment = mfa::new_secret("PrimaryPoint", &session.viewer.email).expect("secret");
    assert!(enrolment.qr_svg.starts_with("<svg"), "QR drawn as SVG here");
    assert!(
        mfa::enrol(
            &db,
            &keys(),
            "PrimaryPoint",
            &session,
            PASSWORD,
            &enrolment.secret_text,
            "000000"
        )
        .await
        .is_err()
    );
    // The password is asked for again: a right code with a wrong password
    // changes nothing.
    let wrong_password = mfa::enrol(
        &db,
        &keys(),
        "PrimaryPoint",
        &session,
        "not the password at all",
        &enrolment.secret_text,
        &mfa::current_code(&enrolment.secret_text),
    )
    .await
    .expect_err("the password is needed");
    assert!(field_error(wrong_password, "password").contains("not right"));
    // One code, kept: a step boundary between enrolling and replaying must
    // not turn the replay into a fresh code.
    let enrolment_code = mfa::current_code(&enrolment.secret_text);
    let recovery = mfa::enrol(
        &db,
        &keys(),
        "PrimaryPoint",
        &session,
        PASSWORD,
        &enrolment.secret_text,
        &enrolment_code,
    )
    .await
    .expect("enrolled");
    assert_eq!(recovery.len(), 10);

    // Sign in: the password alone is not enough any more.
    let SignIn::SecondFactorDue(pending) =
        auth::sign_in(&db, "client-a", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in")
    else {
        panic!("second factor due");
    };
    let half = sessions::resolve(&db, &pending)
        .await
        .expect("resolve")
        .expect("live");
    assert_eq!(half.stage, Stage::SecondFactor);
    // The code used at enrolment cannot be replayed.
    assert_eq!(
        mfa::complete_sign_in(
            &db,
            &keys(),
            "PrimaryPoint",
            "client-a",
            &pending,
            &enrolment_code
        )
        .await
        .expect("complete"),
        SignIn::Refused
    );
    // A recovery code works, once, and the session id changes.
    let SignIn::SignedIn(full) = mfa::complete_sign_in(
        &db,
        &keys(),
        "PrimaryPoint",
        "client-a",
        &pending,
        &recovery[0].to_lowercase(),
    )
    .await
    .expect("complete") else {
        panic!("signed in with a recovery code");
    };
    assert_ne!(full, pending);
    assert!(
        sessions::resolve(&db, &pending)
            .await
            .expect("resolve")
            .is_none()
    );
    assert_eq!(
        mfa::recovery_codes_left(&db, half.viewer.id)
            .await
            .expect("left"),
        9
    );

    let SignIn::SecondFactorDue(again) =
        auth::sign_in(&db, "client-a", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in")
    else {
        panic!("second factor due");
    };
    assert_eq!(
        mfa::complete_sign_in(
            &db,
            &keys(),
            "PrimaryPoint",
            "client-a",
            &again,
            &recovery[0]
        )
        .await
        .expect("complete"),
        SignIn::Refused,
        "a recovery code works once"
    );
}

async fn unverified_sign_ups_are_deleted_after_seven_days(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    for email in ["old@riverside.example", "new@riverside.example"] {
        auth::register(
            &db,
            &key(),
            &site(),
            "client-a",
            &registration(&code, email),
        )
        .await
        .expect("registered");
    }
    register_and_verify(&db, &code, "kept@riverside.example").await;
    sqlx::query("update users set created_at = created_at - 8 * 86400 where email <> 'new@riverside.example'")
        .execute(db.pool())
        .await
        .expect("age");
    let policy = backend::retention::Policy {
        member_months: 6,
        message_months: 24,
        rights_months: 36,
    };
    let due = backend::retention::run(&db, policy, backend::clock::now(), false)
        .await
        .expect("retention");
    assert_eq!(due[0].count, 1, "{due:?}");
    let emails: Vec<(String,)> = sqlx::query_as("select email from users order by email")
        .fetch_all(db.pool())
        .await
        .expect("users");
    assert_eq!(
        emails.into_iter().map(|(e,)| e).collect::<Vec<_>>(),
        ["kept@riverside.example", "new@riverside.example"]
    );
}

/// A real SMTP server (Python's aiosmtpd) that prints what it receives.
struct SmtpPeer {
    child: std::process::Child,
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpPeer {
    fn start(port: u16) -> Option<Self> {
        let python = std::env::var("PRIMARYPOINT_TEST_PYTHON").ok()?;
        let child = std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .env("PYTHONUNBUFFERED", "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start aiosmtpd");
        Some(Self { child })
    }

    fn output(mut self) -> String {
        use std::io::Read;
        let _ = self.child.kill();
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            let _ = stdout.read_to_string(&mut out);
        }
        out
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn mail_waits_out_an_smtp_outage_then_reaches_a_real_smtp_server(db: Db) {
    let port = free_port();
    let mailer = Mailer::smtp(
        &format!("smtp://127.0.0.1:{port}"),
        "PrimaryPoint <no-reply@portal.example>",
    )
    .expect("mailer");
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    auth::register(
        &db,
        &key(),
        &site(),
        "client-a",
        &registration(&code, "sam@riverside.example"),
    )
    .await
    .expect("registered");

    // Nothing listens yet: the message stays queued with a retry time.
    assert_eq!(mail::deliver_due(&db, &mailer).await.expect("pass"), 0);
    let (attempts, next, sent): (i64, i64, Option<i64>) =
        sqlx::query_as("select attempts, next_attempt_at, sent_at from outbox")
            .fetch_one(db.pool())
            .await
            .expect("row");
    assert_eq!(attempts, 1);
    assert!(next > backend::clock::now(), "retried later");
    assert!(sent.is_none());

    let Some(peer) = SmtpPeer::start(port) else {
        if std::env::var_os("CI").is_some() {
            panic!("PRIMARYPOINT_TEST_PYTHON must name a Python with aiosmtpd in CI");
        }
        eprintln!("skipped the SMTP half: PRIMARYPOINT_TEST_PYTHON is not set");
        return;
    };
    sqlx::query("update outbox set next_attempt_at = 0")
        .execute(db.pool())
        .await
        .expect("due now");
    let mut delivered = 0;
    for _ in 0..50 {
        delivered = mail::deliver_due(&db, &mailer).await.expect("pass");
        if delivered == 1 {
            break;
        }
        sqlx::query("update outbox set next_attempt_at = 0 where sent_at is null")
            .execute(db.pool())
            .await
            .expect("due now");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (error,): (Option<String>,) = sqlx::query_as("select last_error from outbox")
        .fetch_one(db.pool())
        .await
        .expect("row");
    assert_eq!(delivered, 1, "delivered once the server was up: {error:?}");
    let (body,): (String,) = sqlx::query_as("select body from outbox")
        .fetch_one(db.pool())
        .await
        .expect("row");
    assert!(body.is_empty(), "a delivered body is not kept");
    let received = peer.output();
    assert!(
        received.contains("Confirm your email address"),
        "{received}"
    );
    assert!(received.contains("sam@riverside.example"));
}

/// How many times an audit action was recorded with `detail` containing `needle`.
async fn audited(db: &Db, action: &str, needle: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from audit_events where action = $1 and detail like $2")
            .bind(action)
            .bind(format!("%{needle}%"))
            .fetch_one(db.pool())
            .await
            .expect("count");
    n
}

/// Mails to `to` whose subject contains `subject`.
async fn mails_about(db: &Db, to: &str, subject: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from outbox where recipient = $1 and subject like $2")
            .bind(to)
            .bind(format!("%{subject}%"))
            .fetch_one(db.pool())
            .await
            .expect("count");
    n
}

async fn a_burst_of_wrong_passwords_is_counted_before_it_is_checked(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;

    let attempts: Vec<_> = (0..40)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                auth::sign_in(&db, "client-a", "sam@riverside.example", "wrong password!")
                    .await
                    .expect("sign in")
            })
        })
        .collect();
    let mut refused = 0;
    let mut waited = 0;
    for attempt in attempts {
        match attempt.await.expect("task") {
            SignIn::Refused => refused += 1,
            SignIn::Wait(secs) => {
                assert!(secs > 0);
                waited += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    // Only as many passwords were checked as the limit allows.
    assert_eq!(refused, 10, "checked");
    assert_eq!(waited, 30);
    assert_eq!(
        audited(&db, "account.sign_in_failed", "wrong_password").await,
        10
    );
    // The member elsewhere is not held up by this client's burst.
    assert!(matches!(
        auth::sign_in(&db, "client-b", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::SignedIn(_)
    ));
}

async fn failures_from_many_clients_slow_the_account_and_tell_its_owner(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let warning = "trying to sign in to your account";

    // Twenty guesses, each from a different client: no client is throttled.
    for n in 0..20 {
        assert_eq!(
            auth::sign_in(
                &db,
                &format!("guesser-{n}"),
                "sam@riverside.example",
                "wrong password!"
            )
            .await
            .expect("sign in"),
            SignIn::Refused
        );
    }
    assert_eq!(mails_about(&db, "sam@riverside.example", warning).await, 1);
    let (_, body) = last_mail(&db, "sam@riverside.example").await;
    assert!(body.contains("Forgotten your password?"), "{body}");

    // Now every attempt on the account waits a little, from any client,
    // whatever it fails on or even when the password is right.
    let waited = auth::sign_in(
        &db,
        "guesser-new",
        "sam@riverside.example",
        "wrong password!",
    )
    .await
    .expect("sign in");
    assert!(matches!(waited, SignIn::Wait(1..=5)), "{waited:?}");
    let waited = auth::sign_in(&db, "member-desk", "sam@riverside.example", PASSWORD)
        .await
        .expect("sign in");
    assert!(matches!(waited, SignIn::Wait(1..=5)), "{waited:?}");
    // ...but only a little: after the wait the member signs in.
    sqlx::query("update sign_in_failures set failed_at = failed_at - 6")
        .execute(db.pool())
        .await
        .expect("age failures");
    assert!(matches!(
        auth::sign_in(&db, "member-desk", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::SignedIn(_)
    ));
    // One more guess later that day: the owner is not mailed again.
    sqlx::query("update sign_in_failures set failed_at = failed_at - 600")
        .execute(db.pool())
        .await
        .expect("age failures");
    assert_eq!(
        auth::sign_in(&db, "guesser-0", "sam@riverside.example", "wrong password!")
            .await
            .expect("sign in"),
        SignIn::Refused
    );
    assert_eq!(mails_about(&db, "sam@riverside.example", warning).await, 1);

    // A hundred failures in a day: a long wait, for every new client...
    let (failures,): (i64,) = sqlx::query_as(
        "select count(*) from sign_in_failures where scope = 'account:sam@riverside.example'",
    )
    .fetch_one(db.pool())
    .await
    .expect("count");
    assert_eq!(failures, 21, "the right password did not count");
    for _ in failures..99 {
        sqlx::query(
            "insert into sign_in_failures (scope, failed_at, created_at, updated_at) \
             values ('account:sam@riverside.example', $1, $1, $1)",
        )
        .bind(backend::clock::now() - 3600)
        .execute(db.pool())
        .await
        .expect("insert");
    }
    sqlx::query("update sign_in_failures set failed_at = failed_at - 121")
        .execute(db.pool())
        .await
        .expect("age failures");
    assert_eq!(
        auth::sign_in(&db, "guesser-1", "sam@riverside.example", "wrong password!")
            .await
            .expect("sign in"),
        SignIn::Refused,
        "the hundredth"
    );
    let waited = auth::sign_in(&db, "member-phone", "sam@riverside.example", PASSWORD)
        .await
        .expect("sign in");
    assert!(matches!(waited, SignIn::Wait(121..=900)), "{waited:?}");
    // ...except one the member has signed in from before: guessing from
    // elsewhere never locks the owner out of their own desk.
    assert!(matches!(
        auth::sign_in(&db, "member-desk", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::SignedIn(_)
    ));
    // The long wait still ends within a quarter of an hour.
    sqlx::query("update sign_in_failures set failed_at = failed_at - 900")
        .execute(db.pool())
        .await
        .expect("age failures");
    assert!(matches!(
        auth::sign_in(&db, "member-phone", "sam@riverside.example", PASSWORD)
            .await
            .expect("sign in"),
        SignIn::SignedIn(_)
    ));
}

/// Registers, verifies and enrols a second factor for `email`; returns the
/// secret (to play the authenticator app).
async fn enrolled(db: &Db, email: &str) -> String {
    let (_, code) = organisation(db, "Riverside Surgery", "").await;
    register_and_verify(db, &code, email).await;
    let token = signed_in(db, email, PASSWORD).await;
    let session = sessions::resolve(db, &token)
        .await
        .expect("resolve")
        .expect("live");
    let enrolment = mfa::new_secret("PrimaryPoint", email).expect("secret");
    mfa::enrol(
        db,
        &keys(),
        "PrimaryPoint",
        &session,
        PASSWORD,
        &enrolment.secret_text,
        &mfa::current_code(&enrolment.secret_text),
    )
    .await
    .expect("enrolled");
    enrolment.secret_text
}

async fn password_accepted(db: &Db, client: &str, email: &str) -> SessionToken {
    match auth::sign_in(db, client, email, PASSWORD)
        .await
        .expect("sign in")
    {
        SignIn::SecondFactorDue(token) => token,
        other => panic!("expected a second factor due, got {other:?}"),
    }
}

/// A six-digit code that is not the app's (nor a neighbouring step's).
fn wrong_code(secret: &str) -> String {
    let right: u32 = mfa::current_code(secret).parse().expect("digits");
    format!("{:06}", (right + 500_000) % 1_000_000)
}

async fn five_wrong_second_factor_codes_from_anywhere_end_the_sign_in(db: Db) {
    let email = "sam@riverside.example";
    let secret = enrolled(&db, email).await;
    let pending = password_accepted(&db, "client-a", email).await;

    // Five guesses, each from a different client.
    for n in 0..5 {
        assert!(
            sessions::resolve(&db, &pending)
                .await
                .expect("resolve")
                .is_some(),
            "still waiting for the second factor before guess {n}"
        );
        assert_eq!(
            mfa::complete_sign_in(
                &db,
                &keys(),
                "PrimaryPoint",
                &format!("client-{n}"),
                &pending,
                &wrong_code(&secret)
            )
            .await
            .expect("complete"),
            SignIn::Refused
        );
    }
    // The half-finished sign-in has ended: even the right code is refused.
    assert!(
        sessions::resolve(&db, &pending)
            .await
            .expect("resolve")
            .is_none()
    );
    assert_eq!(
        mfa::complete_sign_in(
            &db,
            &keys(),
            "PrimaryPoint",
            "client-a",
            &pending,
            &mfa::current_code(&secret)
        )
        .await
        .expect("complete"),
        SignIn::Refused
    );
    // The owner hears that someone had their password.
    let (subject, body) = last_mail(&db, email).await;
    assert!(
        subject.contains("used your PrimaryPoint password"),
        "{subject}"
    );
    assert!(body.contains("Forgotten your password?"), "{body}");

    // With the password again, the next try must wait first.
    let again = password_accepted(&db, "client-z", email).await;
    let waited = mfa::complete_sign_in(
        &db,
        &keys(),
        "PrimaryPoint",
        "client-z",
        &again,
        &mfa::current_code(&secret),
    )
    .await
    .expect("complete");
    assert!(matches!(waited, SignIn::Wait(1..=60)), "{waited:?}");
}

async fn concurrent_second_factor_guesses_are_counted_before_they_are_checked(db: Db) {
    let email = "sam@riverside.example";
    let secret = enrolled(&db, email).await;
    let pending = password_accepted(&db, "client-a", email).await;
    let guesses: Vec<_> = (0..40)
        .map(|n| {
            let (db, pending, code) = (db.clone(), pending.clone(), wrong_code(&secret));
            tokio::spawn(async move {
                mfa::complete_sign_in(
                    &db,
                    &keys(),
                    "PrimaryPoint",
                    &format!("client-{n}"),
                    &pending,
                    &code,
                )
                .await
                .expect("complete")
            })
        })
        .collect();
    for guess in guesses {
        let outcome = guess.await.expect("task");
        assert!(
            matches!(outcome, SignIn::Refused | SignIn::Wait(_)),
            "{outcome:?}"
        );
    }
    assert_eq!(
        audited(&db, "account.sign_in_failed", "second_factor").await,
        5,
        "codes checked"
    );
    assert!(
        sessions::resolve(&db, &pending)
            .await
            .expect("resolve")
            .is_none()
    );
    assert_eq!(mails_about(&db, email, "used your").await, 1);
}

async fn a_newer_registration_replaces_an_unverified_one(db: Db) {
    let (_, attacker_code) = organisation(&db, "Mallory Medical", "").await;
    let (victim_org, victim_code) = organisation(&db, "Riverside Surgery", "").await;
    let email = "victim@nhs.net";
    let attacker_password = "mallory knows this one";
    let victim_password = "only the victim knows this";

    // Someone registers the victim's address first, with their own code
    // and password...
    let mut first = registration(&attacker_code, email);
    first.full_name = "Mallory".into();
    first.password = attacker_password.into();
    auth::register(&db, &key(), &site(), "client-m", &first)
        .await
        .expect("registered");
    let (_, body) = last_mail(&db, email).await;
    let attacker_link = token_in(&body);

    // ...then the victim registers with theirs and opens their link.
    let mut second = registration(&victim_code, email);
    second.full_name = "Vic Tim".into();
    second.password = victim_password.into();
    auth::register(&db, &key(), &site(), "client-v", &second)
        .await
        .expect("registered");
    let (_, body) = last_mail(&db, email).await;
    let victim_link = token_in(&body);
    assert_ne!(attacker_link, victim_link);
    assert!(
        !auth::verify_email(&db, "client-m", &attacker_link, attacker_password)
            .await
            .expect("verify"),
        "the older link no longer works"
    );
    assert!(
        auth::verify_email(&db, "client-v", &victim_link, victim_password)
            .await
            .expect("verify")
    );

    let token = signed_in(&db, email, victim_password).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");
    assert_eq!(session.organisation_id, Some(victim_org));
    assert_eq!(session.viewer.full_name, "Vic Tim");
    assert_eq!(
        auth::sign_in(&db, "client-m", email, attacker_password)
            .await
            .expect("sign in"),
        SignIn::Refused
    );
    assert!(
        !auth::verify_email(&db, "client-m", &attacker_link, attacker_password)
            .await
            .expect("verify")
    );
    let (users,): (i64,) = sqlx::query_as("select count(*) from users")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(users, 1);
}

async fn a_registration_made_after_the_owners_cannot_be_confirmed_with_the_owners_password(db: Db) {
    let (_, victim_code) = organisation(&db, "Riverside Surgery", "").await;
    let (_, attacker_code) = organisation(&db, "Mallory Medical", "").await;
    let email = "victim@nhs.net";
    let victim_password = "only the victim knows this";

    // The owner registers; someone else then registers the same address
    // with a password of their own, replacing the unconfirmed account.
    let mut own = registration(&victim_code, email);
    own.password = victim_password.into();
    auth::register(&db, &key(), &site(), "client-v", &own)
        .await
        .expect("registered");
    let mut other = registration(&attacker_code, email);
    other.password = "mallory knows this one".into();
    auth::register(&db, &key(), &site(), "client-m", &other)
        .await
        .expect("registered");
    let (_, body) = last_mail(&db, email).await;
    let newest = token_in(&body);

    // The owner opens the newest link with their own password: refused, so
    // the account with someone else's password is never confirmed.
    let refused = auth::verify_email(&db, "client-v", &newest, victim_password)
        .await
        .expect_err("not their password");
    assert_eq!(
        field_error(refused, "password"),
        auth::VERIFY_PASSWORD_REFUSED
    );
    let (verified,): (i64,) =
        sqlx::query_as("select count(*) from users where email_verified_at is not null")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(verified, 0);
    assert_eq!(
        auth::sign_in(&db, "client-m", email, "mallory knows this one")
            .await
            .expect("sign in"),
        SignIn::Refused
    );

    // Registering again takes the address back, and then it confirms.
    auth::register(&db, &key(), &site(), "client-v", &own)
        .await
        .expect("registered again");
    let (_, body) = last_mail(&db, email).await;
    assert!(
        auth::verify_email(&db, "client-v", &token_in(&body), victim_password)
            .await
            .expect("verify")
    );
    signed_in(&db, email, victim_password).await;
}

async fn a_code_for_three_admits_three_however_many_register_at_once(db: Db) {
    let (org, code) = organisation(&db, "Riverside Surgery", "").await;
    orgs::set_code_limits(&db, &Actor::Operator, org, None, Some(3))
        .await
        .expect("limit");
    let attempts: Vec<_> = (0..10)
        .map(|n| {
            let db = db.clone();
            let input = registration(&code, &format!("member{n}@riverside.example"));
            tokio::spawn(async move {
                auth::register(&db, &key(), &site(), &format!("client-{n}"), &input).await
            })
        })
        .collect();
    let mut admitted = 0;
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(()) => admitted += 1,
            Err(error) => assert_eq!(field_error(error, "code"), CODE_REFUSED),
        }
    }
    assert_eq!(admitted, 3);
    let (uses,): (i64,) =
        sqlx::query_as("select uses from authorisation_codes where organisation_id = $1")
            .bind(org)
            .fetch_one(db.pool())
            .await
            .expect("uses");
    assert_eq!(uses, 3);
    let (users,): (i64,) = sqlx::query_as("select count(*) from users")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(users, 3);
}

async fn dead_reset_links_are_refused_and_resets_are_limited_per_client(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;

    // Made-up links are refused (the link is checked, and used up, before
    // the new password is hashed; see auth::reset_password).
    for n in 0..3 {
        let error = auth::reset_password(
            &db,
            "client",
            &format!("{n:064x}"),
            "violet umbrella quietly sings",
        )
        .await
        .expect_err("no such link");
        assert!(field_error(error, "password").contains("expired"));
    }

    // Concurrent resets with one good link: one wins, the rest find it used.
    auth::request_reset(&db, &site(), "client-a", "sam@riverside.example")
        .await
        .expect("reset requested");
    let (_, body) = last_mail(&db, "sam@riverside.example").await;
    let link = token_in(&body);
    let attempts: Vec<_> = (0..5)
        .map(|n| {
            let (db, link) = (db.clone(), link.clone());
            tokio::spawn(async move {
                auth::reset_password(
                    &db,
                    "client-a",
                    &link,
                    &format!("violet umbrella quietly sings {n}"),
                )
                .await
            })
        })
        .collect();
    let mut done = 0;
    for attempt in attempts {
        if attempt.await.expect("task").is_ok() {
            done += 1;
        }
    }
    assert_eq!(done, 1);

    // Ten tries a quarter-hour per client.
    for n in 5..10 {
        assert!(matches!(
            auth::reset_password(&db, "client-a", &format!("{n:064x}"), "whatever it is now").await,
            Err(Error::Invalid(_))
        ));
    }
    assert!(matches!(
        auth::reset_password(&db, "client-a", &link, "whatever it is now").await,
        Err(Error::Throttled { .. })
    ));
    assert!(matches!(
        auth::reset_password(&db, "client-b", &link, "whatever it is now").await,
        Err(Error::Invalid(_))
    ));
}

async fn wrong_current_passwords_count_as_failed_sign_ins(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let one = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let one = sessions::resolve(&db, &one)
        .await
        .expect("resolve")
        .expect("live");
    let two = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let two = sessions::resolve(&db, &two)
        .await
        .expect("resolve")
        .expect("live");

    // Someone with a session guesses the password to change it...
    for _ in 0..10 {
        let error = auth::change_password(
            &db,
            &site(),
            &one,
            "a guess at it",
            "a brand new passphrase",
        )
        .await
        .expect_err("wrong");
        assert!(field_error(error, "current_password").contains("not right"));
    }
    assert!(matches!(
        auth::change_password(&db, &site(), &one, PASSWORD, "a brand new passphrase").await,
        Err(Error::Throttled {
            retry_after_secs: 1..=15
        })
    ));
    // ...or the address; every guess counts against the account too.
    for _ in 0..10 {
        let error = auth::request_email_change(
            &db,
            &site(),
            &two,
            "a guess at it",
            "new@riverside.example",
        )
        .await
        .expect_err("wrong");
        assert!(field_error(error, "password").contains("not right"));
    }
    assert_eq!(
        mails_about(&db, "sam@riverside.example", "trying to sign in").await,
        1
    );
    let waited = auth::sign_in(&db, "client-z", "sam@riverside.example", PASSWORD)
        .await
        .expect("sign in");
    assert!(matches!(waited, SignIn::Wait(1..=5)), "{waited:?}");
}

/// A reset link for `email`, requested from a client of its own.
async fn reset_link(db: &Db, email: &str, client: &str) -> String {
    auth::request_reset(db, &site(), client, email)
        .await
        .expect("reset requested");
    let (subject, body) = last_mail(db, email).await;
    assert!(subject.contains("Reset"), "{subject}");
    token_in(&body)
}

async fn recovery_leaves_no_way_back(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    let email = "sam@riverside.example";
    register_and_verify(&db, &code, email).await;
    let token = signed_in(&db, email, PASSWORD).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");

    // Someone in the account asks to move it to their address: the owner
    // hears at the current address.
    auth::request_email_change(&db, &site(), &session, PASSWORD, "thief@riverside.example")
        .await
        .expect("requested");
    let (_, body) = last_mail(&db, "thief@riverside.example").await;
    let change_link = token_in(&body);
    let (subject, body) = last_mail(&db, email).await;
    assert!(subject.contains("change of email address"), "{subject}");
    assert!(body.contains("thief@riverside.example"));
    let spare_reset = reset_link(&db, email, "client-thief").await;

    // The owner resets the password: the thief's links die with it.
    let used = reset_link(&db, email, "client-owner").await;
    auth::reset_password(&db, "client", &used, "violet umbrella quietly sings")
        .await
        .expect("reset");
    assert!(
        !auth::reset_token_usable(&db, &spare_reset)
            .await
            .expect("check")
    );
    assert!(
        !auth::confirm_email_change(&db, &site(), &change_link)
            .await
            .expect("confirm")
    );

    // So does changing the password...
    let token = signed_in(&db, email, "violet umbrella quietly sings").await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");
    let spare_reset = reset_link(&db, email, "client-thief").await;
    auth::change_password(
        &db,
        &site(),
        &session,
        "violet umbrella quietly sings",
        "a brand new passphrase",
    )
    .await
    .expect("changed");
    assert!(
        !auth::reset_token_usable(&db, &spare_reset)
            .await
            .expect("check")
    );

    // ...and setting up a second factor.
    let spare_reset = reset_link(&db, email, "client-thief").await;
    let enrolment = mfa::new_secret("PrimaryPoint", email).expect("secret");
    let recovery = mfa::enrol(
        &db,
        &keys(),
        "PrimaryPoint",
        &session,
        "a brand new passphrase",
        &enrolment.secret_text,
        &mfa::current_code(&enrolment.secret_text),
    )
    .await
    .expect("enrolled");
    assert!(
        !auth::reset_token_usable(&db, &spare_reset)
            .await
            .expect("check")
    );

    // A confirmed change of address ends every session.
    let other = signed_in_fully(&db, email, "a brand new passphrase", &recovery[0]).await;
    auth::request_email_change(
        &db,
        &site(),
        &session,
        "a brand new passphrase",
        "s.m@riverside.example",
    )
    .await
    .expect("requested");
    let (_, body) = last_mail(&db, "s.m@riverside.example").await;
    assert!(
        auth::confirm_email_change(&db, &site(), &token_in(&body))
            .await
            .expect("confirm")
    );
    for token in [&session.token, &other] {
        assert!(
            sessions::resolve(&db, token)
                .await
                .expect("resolve")
                .is_none()
        );
    }
}

/// Signs in with a password and a recovery code.
async fn signed_in_fully(db: &Db, email: &str, password: &str, recovery: &str) -> SessionToken {
    let SignIn::SecondFactorDue(pending) = auth::sign_in(db, "client-b", email, password)
        .await
        .expect("sign in")
    else {
        panic!("second factor due");
    };
    match mfa::complete_sign_in(db, &keys(), "PrimaryPoint", "client-b", &pending, recovery)
        .await
        .expect("complete")
    {
        SignIn::SignedIn(token) => token,
        other => panic!("{other:?}"),
    }
}

async fn an_email_change_never_reveals_whether_the_address_is_registered(db: Db) {
    let (_, code) = organisation(&db, "Hillside Practice", "hillside.example").await;
    register_and_verify(&db, &code, "kim@hillside.example").await;
    register_and_verify(&db, &code, "lee@hillside.example").await;
    let token = signed_in(&db, "kim@hillside.example", PASSWORD).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");

    auth::request_email_change(&db, &site(), &session, PASSWORD, "lee@hillside.example")
        .await
        .expect("the same answer as for a free address");
    let (subject, body) = last_mail(&db, "lee@hillside.example").await;
    assert!(
        subject.contains("Someone tried to use your email address"),
        "{subject}"
    );
    assert!(!body.contains("token="), "no link to take the address");
    assert!(!body.contains("kim@"), "does not say whose account asked");
    let (subject, _) = last_mail(&db, "kim@hillside.example").await;
    assert!(subject.contains("change of email address"), "{subject}");
    signed_in(&db, "lee@hillside.example", PASSWORD).await;
}

async fn no_address_is_sent_more_than_five_unasked_messages_of_a_kind_in_half_an_hour(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    // Registrations for an address nobody verifies...
    for n in 0..8 {
        auth::register(
            &db,
            &key(),
            &site(),
            &format!("client-{n}"),
            &registration(&code, "target@riverside.example"),
        )
        .await
        .expect("same answer every time");
    }
    assert_eq!(mail_count(&db, "target@riverside.example").await, 5);

    // ...and reset requests for one that exists, from many clients.
    register_and_verify(&db, &code, "sam@riverside.example").await;
    for n in 0..8 {
        auth::request_reset(
            &db,
            &site(),
            &format!("client-{n}"),
            "sam@riverside.example",
        )
        .await
        .expect("same answer every time");
    }
    // Its verification mail, then five reset links: each kind has its own
    // cap, so flooding one kind never holds back another.
    assert_eq!(mail_count(&db, "sam@riverside.example").await, 6);
    // Half an hour later (a reset link's life), mail flows again.
    sqlx::query("update throttles set window_start = window_start - 1801")
        .execute(db.pool())
        .await
        .expect("age");
    auth::request_reset(&db, &site(), "client-9", "sam@riverside.example")
        .await
        .expect("reset requested");
    assert_eq!(mail_count(&db, "sam@riverside.example").await, 7);
}

async fn a_flash_is_shown_once_and_only_soon(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    register_and_verify(&db, &code, "sam@riverside.example").await;
    let token = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    let shown = |code: &str| Flash::CodeReplaced {
        id: 1,
        code: code.to_owned(),
    };
    let take = |token: SessionToken| {
        let db = db.clone();
        async move { sessions::take_flash(&db, &token).await.expect("take") }
    };

    sessions::set_flash(&db, &token, &shown("the new code"))
        .await
        .expect("flash");
    assert_eq!(take(token.clone()).await, Some(shown("the new code")));
    assert_eq!(take(token.clone()).await, None, "once");

    // Not shown within its lifetime: dropped, never shown later.
    sessions::set_flash(&db, &token, &shown("a stale code"))
        .await
        .expect("flash");
    sqlx::query("update session_flashes set created_at = created_at - $1")
        .bind(sessions::FLASH_LIFETIME_SECS + 1)
        .execute(db.pool())
        .await
        .expect("age");
    assert_eq!(take(token.clone()).await, None);

    // A flash replaced just before it is shown counts its life afresh.
    sessions::set_flash(&db, &token, &shown("first"))
        .await
        .expect("flash");
    sqlx::query("update session_flashes set created_at = created_at - $1")
        .bind(sessions::FLASH_LIFETIME_SECS + 1)
        .execute(db.pool())
        .await
        .expect("age");
    sessions::set_flash(&db, &token, &shown("second"))
        .await
        .expect("flash");
    assert_eq!(take(token.clone()).await, Some(shown("second")));

    // Another session never sees this one's flash.
    sessions::set_flash(&db, &token, &shown("mine"))
        .await
        .expect("flash");
    let other = signed_in(&db, "sam@riverside.example", PASSWORD).await;
    assert_eq!(take(other).await, None);

    // A refused enrolment draws the same secret again, not a new one.
    let shown = mfa::new_secret("PrimaryPoint", "sam@riverside.example").expect("secret");
    let again = mfa::secret_again("PrimaryPoint", "sam@riverside.example", &shown.secret_text)
        .expect("again");
    assert_eq!(again.secret_text, shown.secret_text);
    let fresh =
        mfa::secret_again("PrimaryPoint", "sam@riverside.example", "not a secret").expect("fresh");
    assert_ne!(fresh.secret_text, shown.secret_text);
}

/// The stored second-factor secret and id of `email`'s account.
async fn stored_secret(db: &Db, email: &str) -> (String, i64) {
    sqlx::query_as("select totp_secret, id from users where email = $1")
        .bind(email)
        .fetch_one(db.pool())
        .await
        .expect("an enrolled account")
}

async fn a_second_factor_secret_is_stored_encrypted_for_its_own_account(db: Db) {
    let sam = "sam@riverside.example";
    let secret = enrolled(&db, sam).await;
    let (stored, _) = stored_secret(&db, sam).await;
    let raw = totp_rs::Secret::Encoded(secret.clone())
        .to_bytes()
        .expect("base32");
    assert!(!stored.to_uppercase().contains(&secret), "{stored}");
    assert!(!stored.contains(&hex::encode(&raw)), "{stored}");

    // The app's codes still work: the server decrypts the secret.
    sqlx::query("update users set totp_last_step = 0 where email = $1")
        .bind(sam)
        .execute(db.pool())
        .await
        .expect("as if enrolled a while ago");
    let pending = password_accepted(&db, "client-a", sam).await;
    assert!(matches!(
        mfa::complete_sign_in(
            &db,
            &keys(),
            "PrimaryPoint",
            "client-a",
            &pending,
            &mfa::current_code(&secret)
        )
        .await
        .expect("complete"),
        SignIn::SignedIn(_)
    ));

    // Sam's encrypted secret copied into Kim's account does not decrypt
    // there: the sign-in fails with an error, not as an account without a
    // second factor, and stays waiting for one.
    let kim = "kim@riverside.example";
    enrolled(&db, kim).await;
    sqlx::query("update users set totp_secret = $1 where email = $2")
        .bind(&stored)
        .bind(kim)
        .execute(db.pool())
        .await
        .expect("move the secret");
    let pending = password_accepted(&db, "client-k", kim).await;
    let moved = mfa::complete_sign_in(
        &db,
        &keys(),
        "PrimaryPoint",
        "client-k",
        &pending,
        &mfa::current_code(&secret),
    )
    .await;
    assert!(matches!(moved, Err(Error::Undecryptable(_))), "{moved:?}");
    let waiting = sessions::resolve(&db, &pending)
        .await
        .expect("resolve")
        .expect("still there");
    assert_eq!(waiting.stage, Stage::SecondFactor);

    // Under another SECRET_KEY the secret does not decrypt either.
    let rotated = Keys::derive(b"a-new-secret-after-rotation-xxxxxxxxx").expect("keys");
    let pending = password_accepted(&db, "client-a", sam).await;
    let after_rotation = mfa::complete_sign_in(
        &db,
        &rotated,
        "PrimaryPoint",
        "client-a",
        &pending,
        &mfa::current_code(&secret),
    )
    .await;
    assert!(
        matches!(after_rotation, Err(Error::Undecryptable(_))),
        "{after_rotation:?}"
    );
}

async fn recovery_codes_are_stored_as_keyed_hashes_and_work_once(db: Db) {
    use sha2::{Digest, Sha256};
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    let email = "sam@riverside.example";
    register_and_verify(&db, &code, email).await;
    let session = sessions::resolve(&db, &signed_in(&db, email, PASSWORD).await)
        .await
        .expect("resolve")
        .expect("live");
    let enrolment = mfa::new_secret("PrimaryPoint", email).expect("secret");
    let recovery = mfa::enrol(
        &db,
        &keys(),
        "PrimaryPoint",
        &session,
        PASSWORD,
        &enrolment.secret_text,
        &mfa::current_code(&enrolment.secret_text),
    )
    .await
    .expect("enrolled");

    let stored: Vec<(String,)> = sqlx::query_as("select code_hash from recovery_codes")
        .fetch_all(db.pool())
        .await
        .expect("hashes");
    assert_eq!(stored.len(), 10);
    for shown in &recovery {
        let normalised = shown.replace('-', "");
        for unkeyed in [
            hex::encode(Sha256::digest(normalised.as_bytes())),
            hex::encode(Sha256::digest(shown.as_bytes())),
        ] {
            assert!(
                stored.iter().all(|(hash,)| *hash != unkeyed),
                "a recovery code is stored as a plain SHA-256"
            );
        }
        assert!(stored.iter().all(|(hash,)| !hash.contains(&normalised)));
    }

    let pending = password_accepted(&db, "client-a", email).await;
    assert!(matches!(
        mfa::complete_sign_in(
            &db,
            &keys(),
            "PrimaryPoint",
            "client-a",
            &pending,
            &recovery[3]
        )
        .await
        .expect("complete"),
        SignIn::SignedIn(_)
    ));
    let pending = password_accepted(&db, "client-a", email).await;
    assert_eq!(
        mfa::complete_sign_in(
            &db,
            &keys(),
            "PrimaryPoint",
            "client-a",
            &pending,
            &recovery[3]
        )
        .await
        .expect("complete"),
        SignIn::Refused,
        "a recovery code works once"
    );
    assert_eq!(
        mfa::recovery_codes_left(&db, session.viewer.id)
            .await
            .expect("left"),
        9
    );
}

async fn an_operator_removes_a_second_factor_that_no_longer_decrypts(db: Db) {
    let email = "sam@riverside.example";
    let secret = enrolled(&db, email).await;
    let elsewhere = password_accepted(&db, "client-b", email).await;

    // SECRET_KEY has changed: the secret no longer decrypts, so Sam cannot
    // finish signing in.
    let rotated = Keys::derive(b"a-new-secret-after-rotation-xxxxxxxxx").expect("keys");
    let pending = password_accepted(&db, "client-a", email).await;
    assert!(matches!(
        mfa::complete_sign_in(
            &db,
            &rotated,
            "PrimaryPoint",
            "client-a",
            &pending,
            &mfa::current_code(&secret)
        )
        .await,
        Err(Error::Undecryptable(_))
    ));

    let address = domain::Email::parse(email).expect("email");
    assert!(
        mfa::remove(&db, &site(), &Actor::Operator, &address)
            .await
            .expect("removed")
    );
    assert!(
        !mfa::remove(&db, &site(), &Actor::Operator, &address)
            .await
            .expect("nothing left to remove")
    );
    for token in [&pending, &elsewhere] {
        assert!(
            sessions::resolve(&db, token)
                .await
                .expect("resolve")
                .is_none(),
            "every session ended"
        );
    }
    let (codes,): (i64,) = sqlx::query_as("select count(*) from recovery_codes")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(codes, 0, "the recovery codes went too");
    let (subject, body) = last_mail(&db, email).await;
    assert!(subject.contains("second factor was removed"), "{subject}");
    assert!(body.contains("https://portal.example/login"), "{body}");
    assert_eq!(audited(&db, "account.mfa_removed", "").await, 1);

    // The password alone signs Sam in now, to set a second factor up again.
    let token = signed_in(&db, email, PASSWORD).await;
    let session = sessions::resolve(&db, &token)
        .await
        .expect("resolve")
        .expect("live");
    assert!(!session.viewer.second_factor);
}

async fn no_link_is_minted_for_a_message_over_its_cap(db: Db) {
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    let email = "sam@riverside.example";
    register_and_verify(&db, &code, email).await;
    for n in 0..8 {
        auth::request_reset(&db, &site(), &format!("client-{n}"), email)
            .await
            .expect("same answer every time");
    }
    let (links,): (i64,) =
        sqlx::query_as("select count(*) from email_tokens where purpose = 'reset'")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(links, mail::PER_ADDRESS_LIMIT.max_hits);
    assert_eq!(mails_about(&db, email, "Reset").await, links);
}

/// The names of the files in `dir`.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("outbox directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

async fn a_mail_with_a_link_keeps_no_body_once_the_link_has_expired(db: Db) {
    let outbox = tempfile::tempdir().expect("outbox directory");
    let mailer = Mailer::to_directory(outbox.path(), "PrimaryPoint <no-reply@portal.example>")
        .expect("mailer");
    let (_, code) = organisation(&db, "Riverside Surgery", "").await;
    let email = "sam@riverside.example";
    register_and_verify(&db, &code, email).await;
    // A message without a link: "you already have an account".
    auth::register(
        &db,
        &key(),
        &site(),
        "client-a",
        &registration(&code, email),
    )
    .await
    .expect("same answer");
    assert_eq!(mail::deliver_due(&db, &mailer).await.expect("deliver"), 2);

    // Delivered: the database keeps no body. The file outbox keeps the
    // verification message, named for its link's expiry, until then.
    let (bodies,): (i64,) = sqlx::query_as("select count(*) from outbox where body <> ''")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(bodies, 0);
    let files = files_in(outbox.path());
    assert_eq!(files.len(), 2, "{files:?}");
    let (verify_expires,): (i64,) =
        sqlx::query_as("select expires_at from email_tokens where purpose = 'verify'")
            .fetch_one(db.pool())
            .await
            .expect("the verification link");
    let expiring = format!("expires-{verify_expires}-");
    assert!(
        files.iter().any(|name| name.starts_with(&expiring)),
        "{files:?}"
    );
    let now = backend::clock::now();
    assert_eq!(mail::sweep(&db, &mailer).await.expect("sweep"), (0, 0));
    assert_eq!(
        mailer
            .remove_expired(verify_expires - 1)
            .await
            .expect("sweep"),
        0
    );
    assert_eq!(
        mailer.remove_expired(verify_expires).await.expect("sweep"),
        1
    );
    let kept = files_in(outbox.path());
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].starts_with("expires-"), "{kept:?}");
    let notice = std::fs::read_to_string(outbox.path().join(&kept[0])).expect("read");
    assert!(notice.contains("already have"), "{notice}");

    // A reset link still queued when it expires (the mail server was down
    // for half an hour) is never sent, and the sweep clears its body.
    auth::request_reset(&db, &site(), "client-a", email)
        .await
        .expect("reset requested");
    let (purge_after,): (Option<i64>,) =
        sqlx::query_as("select purge_after from outbox where subject like 'Reset%'")
            .fetch_one(db.pool())
            .await
            .expect("queued");
    let (reset_expires,): (i64,) =
        sqlx::query_as("select expires_at from email_tokens where purpose = 'reset'")
            .fetch_one(db.pool())
            .await
            .expect("the reset link");
    assert_eq!(purge_after, Some(reset_expires));
    assert!(reset_expires > now);
    sqlx::query("update outbox set purge_after = $1 where subject like 'Reset%'")
        .bind(now - 1)
        .execute(db.pool())
        .await
        .expect("as if half an hour had passed");
    assert_eq!(mail::deliver_due(&db, &mailer).await.expect("deliver"), 0);
    assert_eq!(mail::sweep(&db, &mailer).await.expect("sweep"), (1, 0));
    let (body, sent): (String, Option<i64>) =
        sqlx::query_as("select body, sent_at from outbox where subject like 'Reset%'")
            .fetch_one(db.pool())
            .await
            .expect("the record stays");
    assert_eq!(body, "");
    assert_eq!(sent, None);
    assert_eq!(files_in(outbox.path()).len(), 1, "and no file was written");
}

/// How many registrations organisation `org`'s live code has admitted.
async fn code_uses(db: &Db, org: i64) -> i64 {
    let (uses,): (i64,) = sqlx::query_as(
        "select uses from authorisation_codes where organisation_id = $1 and revoked_at is null",
    )
    .bind(org)
    .fetch_one(db.pool())
    .await
    .expect("uses");
    uses
}

async fn a_registration_replacing_an_unverified_one_uses_the_code_once(db: Db) {
    let (org, code) = organisation(&db, "Riverside Surgery", "").await;
    orgs::set_code_limits(&db, &Actor::Operator, org, None, Some(2))
        .await
        .expect("limit");
    let register = async |email: &str| {
        auth::register(
            &db,
            &key(),
            &site(),
            "client-a",
            &registration(&code, email),
        )
        .await
    };
    register("sam@riverside.example").await.expect("registered");
    assert_eq!(code_uses(&db, org).await, 1);
    // Sam registers again before confirming (a mistyped password, say):
    // the same place, not another.
    register("sam@riverside.example")
        .await
        .expect("registered again");
    assert_eq!(code_uses(&db, org).await, 1);
    register("kim@riverside.example")
        .await
        .expect("the second place is still free");
    assert_eq!(code_uses(&db, org).await, 2);
    let refused = register("lee@riverside.example")
        .await
        .expect_err("used up");
    assert_eq!(field_error(refused, "code"), CODE_REFUSED);
}
