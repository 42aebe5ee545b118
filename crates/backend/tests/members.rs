//! Administrators managing people, on SQLite and PostgreSQL: suspension
//! holds at sign-in, on live sessions and in the library; making someone
//! an administrator needs the acting administrator's own current code;
//! nobody else can do any of it; the list finds people by name, email,
//! organisation, status and role.

use backend::accounts::{self, Password};
use backend::auth::{self, SignIn};
use backend::keys::Keys;
use backend::sessions::{self, Session};
use backend::testing::fixtures::{self, PASSWORD, organisation, service, user};
use backend::{Db, Error, library, members, mfa, stories};
use domain::Email;
use domain::account::{Role, Viewer};
use domain::library::LibraryQuery;
use domain::members::{MemberQuery, MemberStatus, RoleChange};
use domain::organisation::OrgStatus;
use domain::site::SiteInfo;

stories!(
    a_suspended_account_cannot_sign_in_and_sees_nothing_until_reinstated,
    making_an_administrator_needs_the_acting_administrators_current_code,
    only_administrators_manage_people_and_never_their_own_account,
    the_list_finds_people_by_name_email_organisation_status_and_role,
    a_deleted_account_is_gone_and_its_address_can_register_again,
    a_lost_second_factor_is_removed_and_its_owner_told,
);

const CLIENT: &str = "client-a";
const SAM: &str = "sam@riverside.example";
const ALEX: &str = "alex@csu.example";

fn site() -> SiteInfo {
    SiteInfo::default()
}

fn keys() -> Keys {
    Keys::derive(b"test-secret-test-secret-test-secret!").expect("keys")
}

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("email")
}

async fn sign_in(db: &Db, address: &str) -> SignIn {
    auth::sign_in(db, CLIENT, address, PASSWORD)
        .await
        .expect("sign in")
}

async fn session(db: &Db, address: &str) -> Session {
    fixtures::signed_in(db, address).await
}

/// A practice subscribed to a service with one published resource, and
/// Sam, a member there who signs in with [`PASSWORD`].
struct Practice {
    organisation: i64,
    sam: i64,
    resource: i64,
}

async fn practice(db: &Db, admin: &Viewer) -> Practice {
    let medicines = service(db, "medicines").await;
    let organisation = organisation(db, "Riverside Surgery", OrgStatus::Active, &[medicines]).await;
    Practice {
        organisation,
        sam: fixtures::member(db, organisation, SAM, "Sam Member").await,
        resource: fixtures::published(db, admin, medicines, "Cold chain").await,
    }
}

/// Alex, an administrator with an authenticator app: the viewer and the
/// app's secret.
async fn alex(db: &Db) -> (Viewer, String) {
    let password = Password::new(PASSWORD.to_owned()).expect("password");
    accounts::create_admin(db, &email(ALEX), "Alex Admin", &password)
        .await
        .expect("administrator");
    let session = session(db, ALEX).await;
    let enrolment = mfa::new_secret("PrimaryPoint", ALEX).expect("secret");
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
    // As if enrolled a while ago: the code used to enrol is not replayed.
    sqlx::query("update users set totp_last_step = 0 where email = $1")
        .bind(ALEX)
        .execute(db.pool())
        .await
        .expect("age the last step");
    (session.viewer, enrolment.secret_text)
}

async fn visible(db: &Db, viewer: &Viewer) -> usize {
    library::list(db, viewer, &LibraryQuery::default())
        .await
        .expect("list")
        .rows
        .len()
}

fn field_error(error: Error, field: &str) -> String {
    match error {
        Error::Invalid(errors) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no problem on {field}: {errors:?}"))
            .to_owned(),
        other => panic!("expected a problem on {field}, got {other:?}"),
    }
}

async fn role_of(db: &Db, id: i64) -> String {
    let (role,): (String,) = sqlx::query_as("select role from users where id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .expect("role");
    role
}

async fn mail_to(db: &Db, to: &str) -> Vec<(String, String)> {
    sqlx::query_as("select subject, body from outbox where recipient = $1 order by id")
        .bind(to)
        .fetch_all(db.pool())
        .await
        .expect("outbox")
}

async fn a_suspended_account_cannot_sign_in_and_sees_nothing_until_reinstated(db: Db) {
    let (alex, _) = alex(&db).await;
    let practice = practice(&db, &alex).await;
    let live = session(&db, SAM).await;
    assert_eq!(visible(&db, &live.viewer).await, 1);

    members::suspend(&db, &alex, practice.sam, "Left the practice")
        .await
        .expect("suspended");
    assert_eq!(
        sessions::resolve(&db, &live.token).await.expect("resolve"),
        None,
        "a suspended account's session ends at once"
    );
    assert_eq!(sign_in(&db, SAM).await, SignIn::Refused);
    assert_eq!(visible(&db, &live.viewer).await, 0);
    assert!(matches!(
        library::detail(&db, &live.viewer, practice.resource).await,
        Err(Error::NotFound)
    ));
    let record = members::detail(&db, &alex, practice.sam)
        .await
        .expect("record");
    assert_eq!(record.row.status, MemberStatus::Suspended);
    assert_eq!(
        record.suspension_reason.as_deref(),
        Some("Left the practice")
    );
    let again = members::suspend(&db, &alex, practice.sam, "Twice")
        .await
        .expect_err("already suspended");
    assert_eq!(
        field_error(again, "reason"),
        "This account is already suspended"
    );

    members::reinstate(&db, &alex, practice.sam)
        .await
        .expect("reinstated");
    let back = session(&db, SAM).await;
    assert_eq!(visible(&db, &back.viewer).await, 1);
    let record = members::detail(&db, &alex, practice.sam)
        .await
        .expect("record");
    assert_eq!(record.row.status, MemberStatus::Active);
    assert!(record.row.last_sign_in_at.is_some());
}

async fn making_an_administrator_needs_the_acting_administrators_current_code(db: Db) {
    let (alex, secret) = alex(&db).await;
    let practice = practice(&db, &alex).await;
    let sam_session = session(&db, SAM).await;
    let promote = |code: Option<String>| RoleChange {
        role: Role::Admin,
        code,
    };

    // No code, or a wrong one: nothing changes.
    for code in [None, Some("000000".to_owned())] {
        let refused =
            members::change_role(&db, &keys(), &site(), &alex, practice.sam, &promote(code))
                .await
                .expect_err("no valid code");
        assert_eq!(field_error(refused, "code"), mfa::CODE_REFUSED);
        assert_eq!(role_of(&db, practice.sam).await, "member");
    }
    // Sam's own code (Sam has none) or Sam's session cannot promote anyone.
    let by_member = members::change_role(
        &db,
        &keys(),
        &site(),
        &sam_session.viewer,
        practice.sam,
        &promote(Some(mfa::current_code(&secret))),
    )
    .await
    .expect_err("members cannot");
    assert!(matches!(by_member, Error::NotFound), "{by_member:?}");

    let code = mfa::current_code(&secret);
    members::change_role(
        &db,
        &keys(),
        &site(),
        &alex,
        practice.sam,
        &promote(Some(code.clone())),
    )
    .await
    .expect("promoted");
    assert_eq!(role_of(&db, practice.sam).await, "admin");
    assert_eq!(
        sessions::resolve(&db, &sam_session.token)
            .await
            .expect("resolve"),
        None,
        "the promoted person signs in again"
    );
    let told = mail_to(&db, SAM).await;
    assert!(
        told.iter()
            .any(|(subject, _)| subject.contains("now a PrimaryPoint administrator")),
        "{told:?}"
    );

    // The same code cannot be used twice.
    let kim = user(
        &db,
        "kim@riverside.example",
        Role::Member,
        Some(practice.organisation),
    )
    .await;
    let replayed = members::change_role(&db, &keys(), &site(), &alex, kim.id, &promote(Some(code)))
        .await
        .expect_err("a used code");
    assert_eq!(
        field_error(replayed, "code"),
        "That code has been used. Wait for the next one"
    );
    assert_eq!(role_of(&db, kim.id).await, "member");

    // Back to member: no code needed.
    members::change_role(
        &db,
        &keys(),
        &site(),
        &alex,
        practice.sam,
        &RoleChange {
            role: Role::Member,
            code: None,
        },
    )
    .await
    .expect("demoted");
    assert_eq!(role_of(&db, practice.sam).await, "member");
}

async fn only_administrators_manage_people_and_never_their_own_account(db: Db) {
    let (alex, _) = alex(&db).await;
    let practice = practice(&db, &alex).await;
    let sam = session(&db, SAM).await.viewer;
    let kim = user(
        &db,
        "kim@riverside.example",
        Role::Member,
        Some(practice.organisation),
    )
    .await;

    let refusals = [
        members::list(&db, &sam, &MemberQuery::default())
            .await
            .map(|_| ()),
        members::organisations(&db, &sam).await.map(|_| ()),
        members::detail(&db, &sam, kim.id).await.map(|_| ()),
        members::suspend(&db, &sam, kim.id, "x").await,
        members::reinstate(&db, &sam, kim.id).await,
        members::delete(&db, &sam, kim.id).await,
        members::reset_second_factor(&db, &sam, &site(), alex.id).await,
        members::resend_verification(&db, &sam, &site(), kim.id).await,
    ];
    for refused in refusals {
        assert!(matches!(refused, Err(Error::NotFound)), "{refused:?}");
    }
    assert_eq!(role_of(&db, kim.id).await, "member");

    let own = [
        (members::suspend(&db, &alex, alex.id, "x").await, "reason"),
        (members::delete(&db, &alex, alex.id).await, "confirm"),
        (
            members::reset_second_factor(&db, &alex, &site(), alex.id).await,
            "second_factor",
        ),
        (
            members::change_role(
                &db,
                &keys(),
                &site(),
                &alex,
                alex.id,
                &RoleChange {
                    role: Role::Member,
                    code: None,
                },
            )
            .await,
            "role",
        ),
    ];
    for (refused, field) in own {
        let message = field_error(refused.expect_err("own account"), field);
        assert!(message.starts_with("You cannot"), "{message}");
    }
    let record = members::detail(&db, &alex, alex.id).await.expect("record");
    assert!(record.is_you);
    assert_eq!(record.row.status, MemberStatus::Active);

    // An administrator who owns resources keeps them until they have
    // another owner.
    let jo = user(&db, "jo@csu.example", Role::Admin, None).await;
    let kept = members::delete(&db, &jo, alex.id)
        .await
        .expect_err("owns a resource");
    let message = field_error(kept, "confirm");
    assert!(message.contains("owns 1 resource"), "{message}");
    assert_eq!(role_of(&db, alex.id).await, "admin");
}

async fn the_list_finds_people_by_name_email_organisation_status_and_role(db: Db) {
    let (alex, _) = alex(&db).await;
    let practice = practice(&db, &alex).await;
    let hillside = organisation(&db, "Hillside Practice", OrgStatus::Active, &[]).await;
    let percent = user(&db, "pat@hillside.example", Role::Member, Some(hillside)).await;
    sqlx::query("update users set full_name = '100% Pat', email_verified_at = null where id = $1")
        .bind(percent.id)
        .execute(db.pool())
        .await
        .expect("rename");
    members::suspend(&db, &alex, practice.sam, "Left")
        .await
        .expect("suspended");

    assert_eq!(
        found(&db, &alex, "").await,
        ["pat@hillside.example", ALEX, SAM]
    );
    assert_eq!(found(&db, &alex, "q=SAM+mem").await, [SAM]);
    assert_eq!(
        found(&db, &alex, "q=hillside.example").await,
        ["pat@hillside.example"]
    );
    // `%` and `_` are matched as themselves.
    assert_eq!(
        found(&db, &alex, "q=100%25").await,
        ["pat@hillside.example"]
    );
    assert_eq!(found(&db, &alex, "q=_").await, Vec::<String>::new());
    assert_eq!(
        found(&db, &alex, &format!("organisation={hillside}")).await,
        ["pat@hillside.example"]
    );
    assert_eq!(found(&db, &alex, "status=suspended").await, [SAM]);
    assert_eq!(
        found(&db, &alex, "status=unverified").await,
        ["pat@hillside.example"]
    );
    assert_eq!(found(&db, &alex, "status=active").await, [ALEX]);
    assert_eq!(found(&db, &alex, "role=admin").await, [ALEX]);
    assert_eq!(
        found(&db, &alex, "role=member&status=active").await,
        Vec::<String>::new()
    );
}

/// The addresses of the people `query` finds, in the list's order.
async fn found(db: &Db, admin: &Viewer, query: &str) -> Vec<String> {
    let query: MemberQuery = serde_urlencoded::from_str(query).expect("query");
    let page = members::list(db, admin, &query).await.expect("list");
    assert_eq!(page.total, i64::try_from(page.rows.len()).expect("small"));
    page.rows.into_iter().map(|row| row.email).collect()
}

async fn a_deleted_account_is_gone_and_its_address_can_register_again(db: Db) {
    let (alex, _) = alex(&db).await;
    let practice = practice(&db, &alex).await;
    let live = session(&db, SAM).await;
    library::bookmark(&db, &live.viewer, practice.resource)
        .await
        .expect("saved");

    members::delete(&db, &alex, practice.sam)
        .await
        .expect("deleted");
    assert!(matches!(
        members::detail(&db, &alex, practice.sam).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        sessions::resolve(&db, &live.token).await.expect("resolve"),
        None
    );
    let (left,): (i64,) = sqlx::query_as(
        "select (select count(*) from users where email = $1) \
              + (select count(*) from bookmarks where user_id = $2) \
              + (select count(*) from sign_in_known_clients where account = $1)",
    )
    .bind(SAM)
    .bind(practice.sam)
    .fetch_one(db.pool())
    .await
    .expect("count");
    assert_eq!(left, 0, "nothing of the account is left");
    let (detail,): (String,) = sqlx::query_as(
        "select detail from audit_events where action = 'account.deleted' and subject = $1",
    )
    .bind(format!("user:{}", practice.sam))
    .fetch_one(db.pool())
    .await
    .expect("the deletion is recorded");
    assert!(
        !detail.contains(SAM) && !detail.contains("Sam Member"),
        "{detail}"
    );

    // The address can register again.
    fixtures::member(&db, practice.organisation, SAM, "Sam Member").await;
}

async fn a_lost_second_factor_is_removed_and_its_owner_told(db: Db) {
    let (alex, _) = alex(&db).await;
    let jo = user(&db, "jo@csu.example", Role::Admin, None).await;
    let before = mail_to(&db, ALEX).await.len();
    members::reset_second_factor(&db, &jo, &site(), alex.id)
        .await
        .expect("removed");
    let record = members::detail(&db, &jo, alex.id).await.expect("record");
    assert!(!record.second_factor);
    let told = mail_to(&db, ALEX).await;
    assert_eq!(told.len(), before + 1);
    assert!(
        told[before].0.contains("second factor was removed"),
        "{told:?}"
    );
    let twice = members::reset_second_factor(&db, &jo, &site(), alex.id)
        .await
        .expect_err("none left");
    assert_eq!(
        field_error(twice, "second_factor"),
        "This account has no second factor to remove"
    );
}
