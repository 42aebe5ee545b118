//! Organisations and authorisation codes (P1, P2), on SQLite and PostgreSQL.

use backend::audit::{self, Actor};
use backend::keys::{CodeKey, Keys};
use backend::orgs::{self, CodeRefusal};
use backend::{Db, Error, stories};
use domain::Email;
use domain::authcode::AuthCode;
use domain::organisation::{OrgStatus, Organisation, OrganisationForm};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

stories!(
    creating_an_organisation_issues_one_code_that_is_never_stored,
    a_code_admits_only_its_own_organisation_and_rotation_kills_the_old_one,
    revoked_expired_and_used_up_codes_are_refused,
    a_domain_belongs_to_one_organisation_unless_it_is_shared,
    status_changes_need_a_reason_and_suspend_registrations,
    organisations_are_searchable_by_name_ods_code_and_postcode,
    duplicate_ods_codes_are_a_field_error,
    a_code_hash_cannot_be_recomputed_from_the_raw_secret,
);

/// The server secret these tests run with.
const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

fn key() -> CodeKey {
    Keys::derive(SECRET).expect("keys").codes().clone()
}

const ADMIN: Actor = Actor::User { id: 1 };

fn org(name: &str, ods: &str, postcode: &str, domains: &str) -> Organisation {
    OrganisationForm {
        ods_code: ods.into(),
        postcode: postcode.into(),
        ..OrganisationForm::example(name, domains)
    }
    .validate()
    .expect("valid organisation")
}

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("email")
}

async fn redeem(db: &Db, code: &AuthCode, who: &str) -> Result<i64, CodeRefusal> {
    let mut tx = db.begin_write().await.expect("tx");
    let outcome = orgs::redeem_code(&mut tx, &key(), code, &email(who))
        .await
        .expect("query");
    tx.commit().await.expect("commit");
    outcome
}

async fn creating_an_organisation_issues_one_code_that_is_never_stored(db: Db) {
    let (id, code) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Riverside Surgery", "A81001", "EX1 1AA", ""),
    )
    .await
    .expect("create");
    assert_eq!(code.compact().len(), 16);

    // The code appears nowhere in the database, in any form.
    let hashes: Vec<(String,)> = sqlx::query_as("select code_hash from authorisation_codes")
        .fetch_all(db.pool())
        .await
        .expect("read");
    assert_eq!(hashes.len(), 1);
    for (hash,) in &hashes {
        assert!(!hash.contains(code.compact()) && !hash.to_uppercase().contains(code.compact()));
    }
    let audit_text: Vec<(String,)> = sqlx::query_as("select detail from audit_events")
        .fetch_all(db.pool())
        .await
        .expect("read");
    assert!(
        audit_text
            .iter()
            .all(|(d,)| !d.contains(code.compact()) && !d.contains(&code.to_string()))
    );

    // The record holds commercial information only (P1).
    let columns: Vec<(String,)> = match db.backend() {
        backend::Backend::Sqlite => sqlx::query_as("select name from pragma_table_info('organisations') order by cid").fetch_all(db.pool()).await,
        backend::Backend::Postgres => sqlx::query_as(
            "select column_name::text from information_schema.columns where table_name = 'organisations' order by ordinal_position",
        )
        .fetch_all(db.pool())
        .await,
    }
    .expect("columns");
    let columns: Vec<&str> = columns.iter().map(|(c,)| c.as_str()).collect();
    assert_eq!(
        columns,
        [
            "id",
            "name",
            "ods_code",
            "address_line1",
            "address_line2",
            "town",
            "postcode",
            "telephone",
            "email",
            "website",
            "status",
            "status_changed_at",
            "status_reason",
            "created_at",
            "updated_at",
        ]
    );

    assert_eq!(
        redeem(&db, &code, "new.starter@anywhere.nhs.uk").await,
        Ok(id)
    );
    let events = audit::recent(&db, 10).await.expect("audit");
    assert!(
        events
            .iter()
            .any(|e| e.action == "organisation.created" && e.actor == "user:1")
    );
}

async fn a_code_admits_only_its_own_organisation_and_rotation_kills_the_old_one(db: Db) {
    let (riverside, old) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Riverside Surgery", "A81001", "EX1 1AA", ""),
    )
    .await
    .expect("create");
    let (hilltop, other) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Hilltop Practice", "A81002", "EX2 2BB", ""),
    )
    .await
    .expect("create");
    assert_ne!(old, other);
    assert_eq!(redeem(&db, &other, "a@x.nhs.uk").await, Ok(hilltop));

    let new = orgs::rotate_code(&db, &key(), &ADMIN, riverside)
        .await
        .expect("rotate");
    assert_ne!(new, old);
    assert_eq!(
        redeem(&db, &old, "a@x.nhs.uk").await,
        Err(CodeRefusal::Unknown),
        "the old code stops at once"
    );
    assert_eq!(redeem(&db, &new, "a@x.nhs.uk").await, Ok(riverside));

    // A code hashed with another deployment's secret admits nobody here.
    let mut tx = db.begin_write().await.expect("tx");
    let foreign = Keys::derive(b"another-deployment-secret-xxxxxxxxxxx")
        .expect("keys")
        .codes()
        .clone();
    assert_eq!(
        orgs::redeem_code(&mut tx, &foreign, &new, &email("a@x.nhs.uk"))
            .await
            .expect("query"),
        Err(CodeRefusal::Unknown)
    );
}

async fn revoked_expired_and_used_up_codes_are_refused(db: Db) {
    let (id, code) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Riverside Surgery", "", "EX1 1AA", ""),
    )
    .await
    .expect("create");

    orgs::set_code_limits(&db, &ADMIN, id, None, Some(2))
        .await
        .expect("limit");
    assert!(redeem(&db, &code, "one@x.nhs.uk").await.is_ok());
    assert!(redeem(&db, &code, "two@x.nhs.uk").await.is_ok());
    assert_eq!(
        redeem(&db, &code, "three@x.nhs.uk").await,
        Err(CodeRefusal::UsedUp)
    );

    orgs::set_code_limits(&db, &ADMIN, id, Some(backend::clock::now() - 1), None)
        .await
        .expect("expire");
    assert_eq!(
        redeem(&db, &code, "four@x.nhs.uk").await,
        Err(CodeRefusal::Expired)
    );
    orgs::set_code_limits(&db, &ADMIN, id, Some(backend::clock::now() + 3600), None)
        .await
        .expect("extend");
    assert!(redeem(&db, &code, "five@x.nhs.uk").await.is_ok());

    orgs::revoke_code(&db, &ADMIN, id).await.expect("revoke");
    assert_eq!(
        redeem(&db, &code, "six@x.nhs.uk").await,
        Err(CodeRefusal::Unknown)
    );
    assert!(
        matches!(
            orgs::set_code_limits(&db, &ADMIN, id, None, None).await,
            Err(Error::NotFound)
        ),
        "no live code left"
    );
    let fresh = orgs::rotate_code(&db, &key(), &ADMIN, id)
        .await
        .expect("a new code after revoking");
    assert!(redeem(&db, &fresh, "seven@x.nhs.uk").await.is_ok());
}

async fn a_domain_belongs_to_one_organisation_unless_it_is_shared(db: Db) {
    let (riverside, code) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Riverside Surgery", "", "EX1 1AA", "riverside.nhs.uk"),
    )
    .await
    .expect("create");
    assert_eq!(
        redeem(&db, &code, "jo@riverside.nhs.uk").await,
        Ok(riverside)
    );
    assert_eq!(
        redeem(&db, &code, "jo@hilltop.nhs.uk").await,
        Err(CodeRefusal::DomainNotAllowed)
    );

    let taken = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Imposter Practice", "", "EX3 3CC", "riverside.nhs.uk"),
    )
    .await;
    let Err(Error::Invalid(errors)) = taken else {
        panic!("a claimed domain must be refused")
    };
    assert!(
        errors
            .get("email_domains")
            .is_some_and(|m| m.contains("riverside.nhs.uk"))
    );

    orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Hilltop Practice", "", "EX2 2BB", "nhs.net"),
    )
    .await
    .expect("first nhs.net");
    assert!(
        orgs::create(
            &db,
            &key(),
            &ADMIN,
            &org("Valley Practice", "", "EX4 4DD", "nhs.net")
        )
        .await
        .is_err()
    );
    orgs::mark_domain_shared(&db, &ADMIN, "NHS.net")
        .await
        .expect("share");
    orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Valley Practice", "", "EX4 4DD", "nhs.net"),
    )
    .await
    .expect("shared domain");
}

async fn status_changes_need_a_reason_and_suspend_registrations(db: Db) {
    let (id, code) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Riverside Surgery", "", "EX1 1AA", ""),
    )
    .await
    .expect("create");
    let Err(Error::Invalid(errors)) =
        orgs::change_status(&db, &ADMIN, id, OrgStatus::Suspended, "  ").await
    else {
        panic!("a reason is required")
    };
    assert!(errors.get("reason").is_some());

    orgs::change_status(&db, &ADMIN, id, OrgStatus::Suspended, "Invoice unpaid")
        .await
        .expect("suspend");
    assert_eq!(
        redeem(&db, &code, "jo@x.nhs.uk").await,
        Err(CodeRefusal::OrganisationInactive)
    );
    orgs::change_status(&db, &ADMIN, id, OrgStatus::Active, "Paid")
        .await
        .expect("reactivate");
    assert!(redeem(&db, &code, "jo@x.nhs.uk").await.is_ok());

    let events = audit::recent(&db, 20).await.expect("audit");
    let change = events
        .iter()
        .find(|e| e.action == "organisation.status_changed" && e.detail.contains("Invoice unpaid"))
        .expect("audited");
    assert!(
        change.detail.contains(r#""before":"active""#)
            && change.detail.contains(r#""after":"suspended""#),
        "{}",
        change.detail
    );
    assert!(matches!(
        orgs::change_status(&db, &ADMIN, 999, OrgStatus::Ended, "x").await,
        Err(Error::NotFound)
    ));
}

async fn organisations_are_searchable_by_name_ods_code_and_postcode(db: Db) {
    for (name, ods, postcode) in [
        ("Riverside Surgery", "A81001", "EX1 1AA"),
        ("Hilltop Practice", "A81002", "EX2 2BB"),
        ("Riverbank PCN", "U12345", "EX3 3CC"),
    ] {
        orgs::create(&db, &key(), &ADMIN, &org(name, ods, postcode, ""))
            .await
            .expect("create");
    }
    let names = |rows: Vec<orgs::OrgSummary>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
    let (rows, total) = orgs::search(&db, "river", None, 1, 10)
        .await
        .expect("search");
    assert_eq!(
        (names(rows), total),
        (
            vec!["Riverbank PCN".to_owned(), "Riverside Surgery".to_owned()],
            2
        )
    );
    let (rows, _) = orgs::search(&db, "a81002", None, 1, 10)
        .await
        .expect("search");
    assert_eq!(names(rows), ["Hilltop Practice"]);
    let (rows, _) = orgs::search(&db, "ex33cc", None, 1, 10)
        .await
        .expect("search");
    assert_eq!(names(rows), ["Riverbank PCN"]);
    let (rows, total) = orgs::search(&db, "", None, 2, 2).await.expect("page 2");
    assert_eq!(
        (names(rows), total),
        (vec!["Riverside Surgery".to_owned()], 3)
    );

    let (hilltop, _) = orgs::search(&db, "hilltop", None, 1, 1)
        .await
        .expect("search");
    orgs::change_status(
        &db,
        &ADMIN,
        hilltop[0].id,
        OrgStatus::Ended,
        "Contract ended",
    )
    .await
    .expect("end");
    let (rows, total) = orgs::search(&db, "", Some(OrgStatus::Ended), 1, 10)
        .await
        .expect("filter");
    assert_eq!(
        (names(rows), total),
        (vec!["Hilltop Practice".to_owned()], 1)
    );
    let (rows, _) = orgs::search(&db, "100%_", None, 1, 10)
        .await
        .expect("wildcards are literal");
    assert!(rows.is_empty());
}

async fn duplicate_ods_codes_are_a_field_error(db: Db) {
    let (id, _) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Riverside Surgery", "A81001", "EX1 1AA", ""),
    )
    .await
    .expect("create");
    let Err(Error::Invalid(errors)) =
        orgs::create(&db, &key(), &ADMIN, &org("Copy", "a81001", "EX1 1AA", "")).await
    else {
        panic!("duplicate ODS code must be refused")
    };
    assert_eq!(
        errors.get("ods_code"),
        Some("Another organisation already has this ODS code")
    );
    let (other, _) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Hilltop", "A81002", "EX2 2BB", ""),
    )
    .await
    .expect("create");
    let Err(Error::Invalid(errors)) =
        orgs::update(&db, &ADMIN, other, &org("Hilltop", "A81001", "EX2 2BB", "")).await
    else {
        panic!("duplicate ODS code on edit must be refused")
    };
    assert!(errors.get("ods_code").is_some());
    orgs::update(
        &db,
        &ADMIN,
        id,
        &org("Riverside Surgery (main site)", "A81001", "EX1 1AA", ""),
    )
    .await
    .expect("edit keeps its own code");
}

fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}

async fn a_code_hash_cannot_be_recomputed_from_the_raw_secret(db: Db) {
    let (id, code) = orgs::create(
        &db,
        &key(),
        &ADMIN,
        &org("Riverside Surgery", "", "EX1 1AA", ""),
    )
    .await
    .expect("create");
    let (stored,): (String,) = sqlx::query_as("select code_hash from authorisation_codes")
        .fetch_one(db.pool())
        .await
        .expect("read");

    // Whoever has the database and SECRET_KEY, but not the derivation,
    // cannot test a guessed code against the stored hash: it is keyed with
    // a key of its own, neither the raw secret (as it was before) nor
    // nothing at all.
    let compact = code.compact().as_bytes();
    for recomputed in [
        hmac_hex(SECRET, &[b"authorisation-code:", compact]),
        hmac_hex(SECRET, &[compact]),
        hex::encode(Sha256::digest(compact)),
    ] {
        assert_ne!(stored, recomputed);
    }
    assert_eq!(stored.len(), 64, "an HMAC-SHA256, hex encoded");

    // The code still works with the derived key, which the server has.
    assert_eq!(redeem(&db, &code, "sam@x.nhs.uk").await, Ok(id));
}
