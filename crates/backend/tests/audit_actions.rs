//! Every action the audit trail knows, provoked through the backend
//! operation that records it, on SQLite and PostgreSQL: each operation
//! leaves exactly one event of its action, naming the right actor and the
//! acting person's organisation (P5).
//!
//! [`provoke`] matches every [`Action`] with no catch-all arm, so an action
//! added without a way to provoke it here stops this file compiling.

use backend::accounts::{self, Password};
use backend::audit::{self, Actor, trail};
use backend::auth::{self, SignIn};
use backend::files::{Extractor, Storage};
use backend::keys::{CodeKey, Keys};
use backend::library::{self, files};
use backend::sessions::{self, Session, SessionToken};
use backend::testing::{self, documents, fixtures};
use backend::{Db, contact, content, demo, members, messages, mfa, orgs, rights};
use bytes::Bytes;
use domain::Email;
use domain::account::{RegistrationInput, Role, Viewer, second_factor_throttle, sign_in_throttle};
use domain::audit::{Action, AuditQuery};
use domain::authcode::AuthCode;
use domain::content::ServiceForm;
use domain::enquiry::EnquiryInput;
use domain::library::{Resource, ResourceKind, ResourceStatus};
use domain::members::RoleChange;
use domain::messages::{EntryKind, MessageState, NewMessage};
use domain::organisation::{OrgStatus, OrganisationForm};
use domain::rights::{Closing, Extension, LoggedRequest, NewRequest, RequestKind, RequestState};
use domain::site::SiteInfo;

#[tokio::test]
async fn every_action_is_recorded_once_on_sqlite() {
    let mut problems = Vec::new();
    for &action in Action::ALL {
        let test = testing::sqlite().await;
        problems.extend(check(&test.db, &test.url, action).await);
        test.finish().await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn every_action_is_recorded_once_on_postgres() {
    let mut problems = Vec::new();
    for &action in Action::ALL {
        let Some(test) = testing::postgres().await else {
            return;
        };
        problems.extend(check(&test.db, &test.url, action).await);
        test.finish().await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Provokes `action` on a fresh database and compares the events it left
/// with the one expected; what differs, if anything.
async fn check(db: &Db, url: &str, action: Action) -> Option<String> {
    let (mark, by) = provoke(db, url, action).await;
    let found: Vec<(String, Option<i64>)> = sqlx::query_as(
        "select actor, organisation_id from audit_events where id > $1 and action = $2 order by id",
    )
    .bind(mark)
    .bind(action.code())
    .fetch_all(db.pool())
    .await
    .expect("read the trail");
    let expected = vec![(by.actor(), by.organisation())];
    (found != expected).then(|| {
        format!(
            "{action:?} ({}): expected (actor, organisation) {expected:?}, found {found:?}",
            action.code()
        )
    })
}

/// Who an event should name.
#[derive(Clone, Copy, Debug)]
enum By {
    /// A member, whose organisation the event names too.
    Member {
        id: i64,
        organisation: i64,
    },
    Admin {
        id: i64,
    },
    Public,
    Operator,
    System,
}

impl By {
    /// The actor as the trail stores it.
    fn actor(self) -> String {
        match self {
            By::Member { id, .. } | By::Admin { id } => format!("user:{id}"),
            By::Public => format!("public:{CLIENT}"),
            By::Operator => "operator".to_owned(),
            By::System => "system".to_owned(),
        }
    }

    /// The organisation the trail stores: only a member's.
    fn organisation(self) -> Option<i64> {
        match self {
            By::Member { organisation, .. } => Some(organisation),
            _ => None,
        }
    }
}

/// Sets up what `action` needs, then runs the one operation that records
/// it. Returns the newest event's id from just before that operation, and
/// who the event should name.
async fn provoke(db: &Db, url: &str, action: Action) -> (i64, By) {
    match action {
        Action::AccountRegistered => {
            let (_, code) = organisation(db).await;
            let mark = mark(db).await;
            register(db, &code).await;
            (mark, By::Public)
        }
        Action::AccountRegistrationRepeated => {
            let (organisation, code) = organisation(db).await;
            accounts::create_member(db, organisation, &email(SAM), "Sam Member", &password())
                .await
                .expect("member");
            let mark = mark(db).await;
            register(db, &code).await;
            (mark, By::Public)
        }
        Action::AccountRegistrationReplaced => {
            let (_, code) = organisation(db).await;
            register(db, &code).await;
            let mark = mark(db).await;
            register(db, &code).await;
            (mark, By::Public)
        }
        Action::AccountRegistrationRefused => {
            organisation(db).await;
            let mark = mark(db).await;
            auth::register(
                db,
                &key(),
                &site(),
                CLIENT,
                &registration(&orgs::new_code()),
            )
            .await
            .expect_err("an unknown code");
            (mark, By::Public)
        }
        Action::AccountVerified => {
            let (organisation, code) = organisation(db).await;
            register(db, &code).await;
            let token = token_in(&last_mail(db, SAM).await);
            let mark = mark(db).await;
            assert!(
                auth::verify_email(db, CLIENT, &token, PASSWORD)
                    .await
                    .expect("verify")
            );
            let id = user_id(db, SAM).await;
            (mark, By::Member { id, organisation })
        }
        Action::AccountSignedIn => {
            let sam = member(db).await;
            let mark = mark(db).await;
            session(db).await;
            (mark, sam)
        }
        Action::AccountPasswordAccepted => {
            let (sam, _, _) = enrolled(db).await;
            let mark = mark(db).await;
            password_accepted(db).await;
            (mark, sam)
        }
        Action::AccountSignInFailed => {
            member(db).await;
            let mark = mark(db).await;
            assert_eq!(
                sign_in(db, "not the password at all").await,
                SignIn::Refused
            );
            (mark, By::Public)
        }
        Action::AccountSignInThrottled => {
            member(db).await;
            for _ in 0..sign_in_throttle::FREE_FAILURES {
                assert_eq!(
                    sign_in(db, "not the password at all").await,
                    SignIn::Refused
                );
            }
            let mark = mark(db).await;
            let waited = sign_in(db, PASSWORD).await;
            assert!(matches!(waited, SignIn::Wait(_)), "{waited:?}");
            (mark, By::Public)
        }
        Action::AccountSecondFactorUsed => {
            let (sam, secret, _) = enrolled(db).await;
            // As if enrolled a while ago: the code used to enrol is not
            // replayed.
            sqlx::query("update users set totp_last_step = 0 where email = $1")
                .bind(SAM)
                .execute(db.pool())
                .await
                .expect("age the last step");
            let pending = password_accepted(db).await;
            let mark = mark(db).await;
            let outcome = second_factor(db, &pending, &mfa::current_code(&secret)).await;
            assert!(matches!(outcome, SignIn::SignedIn(_)), "{outcome:?}");
            (mark, sam)
        }
        Action::AccountRecoveryCodeUsed => {
            let (sam, _, recovery) = enrolled(db).await;
            let pending = password_accepted(db).await;
            let mark = mark(db).await;
            let outcome = second_factor(db, &pending, &recovery[0]).await;
            assert!(matches!(outcome, SignIn::SignedIn(_)), "{outcome:?}");
            (mark, sam)
        }
        Action::AccountSecondFactorThrottled => {
            let (sam, secret, _) = enrolled(db).await;
            let pending = password_accepted(db).await;
            for _ in 0..second_factor_throttle::MAX_FAILURES {
                let outcome = second_factor(db, &pending, &wrong_code(&secret)).await;
                assert_eq!(outcome, SignIn::Refused);
            }
            let again = password_accepted(db).await;
            let mark = mark(db).await;
            let waited = second_factor(db, &again, &mfa::current_code(&secret)).await;
            assert!(matches!(waited, SignIn::Wait(_)), "{waited:?}");
            (mark, sam)
        }
        Action::AccountSecondFactorSignInEnded => {
            let (sam, secret, _) = enrolled(db).await;
            let pending = password_accepted(db).await;
            for _ in 1..second_factor_throttle::MAX_FAILURES {
                let outcome = second_factor(db, &pending, &wrong_code(&secret)).await;
                assert_eq!(outcome, SignIn::Refused);
            }
            let mark = mark(db).await;
            let outcome = second_factor(db, &pending, &wrong_code(&secret)).await;
            assert_eq!(outcome, SignIn::Refused);
            (mark, sam)
        }
        Action::AccountSignedOut => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            auth::sign_out(db, &session).await.expect("signed out");
            (mark, sam)
        }
        Action::AccountSecondFactorEnrolled => {
            let sam = member(db).await;
            let session = session(db).await;
            let enrolment = mfa::new_secret(ISSUER, SAM).expect("secret");
            let mark = mark(db).await;
            mfa::enrol(
                db,
                &keys(),
                ISSUER,
                &session,
                PASSWORD,
                &enrolment.secret_text,
                &mfa::current_code(&enrolment.secret_text),
            )
            .await
            .expect("enrolled");
            (mark, sam)
        }
        Action::AccountSecondFactorRemoved => {
            enrolled(db).await;
            let mark = mark(db).await;
            assert!(
                mfa::remove(db, &site(), &Actor::Operator, &email(SAM))
                    .await
                    .expect("removed")
            );
            (mark, By::Operator)
        }
        Action::AccountResetRequested => {
            member(db).await;
            let mark = mark(db).await;
            auth::request_reset(db, &site(), CLIENT, SAM)
                .await
                .expect("reset requested");
            (mark, By::Public)
        }
        Action::AccountResetCompleted => {
            let sam = member(db).await;
            auth::request_reset(db, &site(), CLIENT, SAM)
                .await
                .expect("reset requested");
            let token = token_in(&last_mail(db, SAM).await);
            let mark = mark(db).await;
            auth::reset_password(db, CLIENT, &token, NEW_PASSWORD)
                .await
                .expect("reset");
            (mark, sam)
        }
        Action::AccountPasswordChanged => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            auth::change_password(db, &site(), &session, PASSWORD, NEW_PASSWORD)
                .await
                .expect("changed");
            (mark, sam)
        }
        Action::AccountPasswordCheckFailed => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            auth::change_password(
                db,
                &site(),
                &session,
                "not the password at all",
                NEW_PASSWORD,
            )
            .await
            .expect_err("the current password is wrong");
            (mark, sam)
        }
        Action::AccountEmailChangeRequested => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            auth::request_email_change(db, &site(), &session, PASSWORD, NEW_EMAIL)
                .await
                .expect("requested");
            (mark, sam)
        }
        Action::AccountEmailChanged => {
            let sam = member(db).await;
            let session = session(db).await;
            auth::request_email_change(db, &site(), &session, PASSWORD, NEW_EMAIL)
                .await
                .expect("requested");
            let token = token_in(&last_mail(db, NEW_EMAIL).await);
            let mark = mark(db).await;
            assert!(
                auth::confirm_email_change(db, &site(), &token)
                    .await
                    .expect("confirm")
            );
            (mark, sam)
        }
        Action::AccountAdminCreated => {
            let mark = mark(db).await;
            accounts::create_admin(db, &email(ALEX), "Alex Admin", &password())
                .await
                .expect("administrator");
            (mark, By::Operator)
        }
        Action::AccountMemberCreated => {
            let (organisation, _) = organisation(db).await;
            let mark = mark(db).await;
            accounts::create_member(db, organisation, &email(SAM), "Sam Member", &password())
                .await
                .expect("member");
            (mark, By::Operator)
        }
        Action::AccountVerificationResent => {
            let alex = admin(db).await;
            let (_, code) = organisation(db).await;
            register(db, &code).await;
            let sam = user_id(db, SAM).await;
            let mark = mark(db).await;
            members::resend_verification(db, &alex, &site(), sam)
                .await
                .expect("resent");
            (mark, By::Admin { id: alex.id })
        }
        Action::AccountSuspended => {
            let alex = admin(db).await;
            let By::Member { id, .. } = member(db).await else {
                unreachable!("a member")
            };
            let mark = mark(db).await;
            members::suspend(db, &alex, id, "Left the practice")
                .await
                .expect("suspended");
            (mark, By::Admin { id: alex.id })
        }
        Action::AccountReinstated => {
            let alex = admin(db).await;
            let By::Member { id, .. } = member(db).await else {
                unreachable!("a member")
            };
            members::suspend(db, &alex, id, "Left the practice")
                .await
                .expect("suspended");
            let mark = mark(db).await;
            members::reinstate(db, &alex, id).await.expect("reinstated");
            (mark, By::Admin { id: alex.id })
        }
        Action::AccountDeleted => {
            let alex = admin(db).await;
            let By::Member { id, .. } = member(db).await else {
                unreachable!("a member")
            };
            let mark = mark(db).await;
            members::delete(db, &alex, id).await.expect("deleted");
            (mark, By::Admin { id: alex.id })
        }
        Action::AccountRoleChanged => {
            let alex = admin(db).await;
            let (organisation, _) = organisation(db).await;
            let kim = fixtures::user(db, KIM, Role::Admin, Some(organisation)).await;
            let mark = mark(db).await;
            let demote = RoleChange {
                role: Role::Member,
                code: None,
            };
            members::change_role(db, &keys(), &site(), &alex, kim.id, &demote)
                .await
                .expect("demoted");
            (mark, By::Admin { id: alex.id })
        }
        Action::AccountDataExported => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            backend::mydata::export(db, &session.viewer)
                .await
                .expect("exported");
            (mark, sam)
        }
        Action::AccountErased => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            backend::mydata::erase_own(db, &keys(), ISSUER, &session, PASSWORD, "")
                .await
                .expect("erased");
            (mark, sam)
        }
        Action::AccountRenamed => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            auth::rename(db, &session, "Samuel Member")
                .await
                .expect("renamed");
            (mark, sam)
        }
        Action::AccountSignedOutElsewhere => {
            let sam = member(db).await;
            let session = session(db).await;
            let mark = mark(db).await;
            auth::sign_out_elsewhere(db, &session)
                .await
                .expect("signed out");
            (mark, sam)
        }
        Action::RetentionRun => {
            let (_, code) = organisation(db).await;
            register(db, &code).await;
            sqlx::query("update users set created_at = created_at - 8 * 86400")
                .execute(db.pool())
                .await
                .expect("as if registered eight days ago");
            let mark = mark(db).await;
            let policy = backend::retention::Policy {
                member_months: 6,
                message_months: 24,
                rights_months: 36,
            };
            let due = backend::retention::run(db, policy, backend::clock::now(), false)
                .await
                .expect("retention");
            assert_eq!(due[0].count, 1, "{due:?}");
            (mark, By::System)
        }
        Action::OrganisationCreated | Action::CodeIssued => {
            let alex = admin(db).await;
            let mark = mark(db).await;
            orgs::create(db, &key(), &as_admin(&alex), &practice())
                .await
                .expect("organisation");
            (mark, By::Admin { id: alex.id })
        }
        Action::OrganisationUpdated => {
            let alex = admin(db).await;
            let (organisation, _) = organisation(db).await;
            let mark = mark(db).await;
            let renamed = OrganisationForm::example("Riverside Medical Centre", "")
                .validate()
                .expect("valid organisation");
            orgs::update(db, &as_admin(&alex), organisation, &renamed)
                .await
                .expect("updated");
            (mark, By::Admin { id: alex.id })
        }
        Action::OrganisationStatusChanged => {
            let alex = admin(db).await;
            let (organisation, _) = organisation(db).await;
            let mark = mark(db).await;
            orgs::change_status(
                db,
                &as_admin(&alex),
                organisation,
                OrgStatus::Suspended,
                "Unpaid invoices",
            )
            .await
            .expect("suspended");
            (mark, By::Admin { id: alex.id })
        }
        Action::OrganisationServicesChanged => {
            let alex = admin(db).await;
            let (organisation, _) = organisation(db).await;
            let service = fixtures::service(db, "medicines").await;
            let mark = mark(db).await;
            orgs::set_services(db, &as_admin(&alex), organisation, &[service])
                .await
                .expect("subscribed");
            (mark, By::Admin { id: alex.id })
        }
        Action::CodeRotated => {
            let alex = admin(db).await;
            let (organisation, _) = organisation(db).await;
            let mark = mark(db).await;
            orgs::rotate_code(db, &key(), &as_admin(&alex), organisation)
                .await
                .expect("rotated");
            (mark, By::Admin { id: alex.id })
        }
        Action::CodeRevoked => {
            let alex = admin(db).await;
            let (organisation, _) = organisation(db).await;
            let mark = mark(db).await;
            orgs::revoke_code(db, &as_admin(&alex), organisation)
                .await
                .expect("revoked");
            (mark, By::Admin { id: alex.id })
        }
        Action::CodeLimitsChanged => {
            let alex = admin(db).await;
            let (organisation, _) = organisation(db).await;
            let mark = mark(db).await;
            orgs::set_code_limits(db, &as_admin(&alex), organisation, None, Some(3))
                .await
                .expect("limited");
            (mark, By::Admin { id: alex.id })
        }
        Action::DomainMarkedShared => {
            let alex = admin(db).await;
            let mark = mark(db).await;
            orgs::mark_domain_shared(db, &as_admin(&alex), "nhs.net")
                .await
                .expect("shared");
            (mark, By::Admin { id: alex.id })
        }
        Action::ServiceCreated => {
            let alex = admin(db).await;
            let mark = mark(db).await;
            content::create_service(db, &alex, &estates("Estates"))
                .await
                .expect("created");
            (mark, By::Admin { id: alex.id })
        }
        Action::ServiceUpdated => {
            let alex = admin(db).await;
            let id = content::create_service(db, &alex, &estates("Estates"))
                .await
                .expect("created");
            let mark = mark(db).await;
            content::update_service(db, &alex, id, &estates("Estates and facilities"))
                .await
                .expect("updated");
            (mark, By::Admin { id: alex.id })
        }
        Action::PageUpdated => {
            content::seed_demo_content(db).await.expect("seeded");
            let alex = admin(db).await;
            let mark = mark(db).await;
            let page = domain::content::PageText {
                title: "About us".into(),
                summary: "Who we are.".into(),
                body_md: "We support practices.".into(),
            };
            content::update_page(db, &alex, "about", &page)
                .await
                .expect("updated");
            (mark, By::Admin { id: alex.id })
        }
        Action::ContentSeeded => {
            let mark = mark(db).await;
            assert!(content::seed_demo_content(db).await.expect("seeded"));
            (mark, By::System)
        }
        Action::LibraryDemoSeeded => {
            content::seed_demo_content(db).await.expect("seeded");
            admin(db).await;
            let mark = mark(db).await;
            let added = demo::seed_library(db, &Storage::memory())
                .await
                .expect("seeded");
            assert!(added > 0);
            (mark, By::System)
        }
        Action::ResourceCreated => {
            let portal = Portal::new(db).await;
            let mark = mark(db).await;
            library::create(db, &portal.admin, &portal.resource("Cold chain"))
                .await
                .expect("created");
            (mark, portal.by_admin())
        }
        Action::ResourceUpdated => {
            let portal = Portal::new(db).await;
            let id = portal.draft(db).await;
            let mark = mark(db).await;
            library::update(
                db,
                &portal.admin,
                id,
                &portal.resource("Cold chain, revised"),
            )
            .await
            .expect("updated");
            (mark, portal.by_admin())
        }
        Action::ResourceStatusChanged => {
            let portal = Portal::new(db).await;
            let id = portal.draft(db).await;
            let mark = mark(db).await;
            library::set_status(db, &portal.admin, id, ResourceStatus::Published)
                .await
                .expect("published");
            (mark, portal.by_admin())
        }
        Action::ResourceFileUploaded => {
            let portal = Portal::new(db).await;
            let id = portal.draft(db).await;
            let mark = mark(db).await;
            portal.upload(db, &Storage::memory(), id).await;
            (mark, portal.by_admin())
        }
        Action::ResourceTextExtracted => {
            let portal = Portal::new(db).await;
            let storage = Storage::memory();
            let id = portal.draft(db).await;
            portal.upload(db, &storage, id).await;
            let mark = mark(db).await;
            let done = files::extract_pending(db, &storage, &Extractor::in_process())
                .await
                .expect("extracted");
            assert_eq!(done, 1);
            (mark, By::System)
        }
        Action::ResourceViewed => {
            let portal = Portal::new(db).await;
            let id = portal.published(db).await;
            let mark = mark(db).await;
            library::detail(db, &portal.member, id)
                .await
                .expect("viewed");
            (mark, portal.by_member())
        }
        Action::ResourceDownloaded => {
            let portal = Portal::new(db).await;
            let id = portal.published(db).await;
            portal.upload(db, &Storage::memory(), id).await;
            let mark = mark(db).await;
            files::download(db, &portal.member, id, None)
                .await
                .expect("downloaded");
            (mark, portal.by_member())
        }
        Action::MessageSent => {
            let portal = Portal::new(db).await;
            let mark = mark(db).await;
            portal.message(db).await;
            (mark, portal.by_member())
        }
        Action::EnquiryReceived => {
            let mark = mark(db).await;
            let enquiry = EnquiryInput {
                name: "Jo Bloggs".into(),
                organisation: "Not Yet A Customer".into(),
                email: "jo@example.org".into(),
                telephone: String::new(),
                message: "Do you cover estates?".into(),
            };
            contact::submit_enquiry(db, CLIENT, &enquiry, &team(), &SiteInfo::default())
                .await
                .expect("received");
            (mark, By::Public)
        }
        Action::MessageAssigned => {
            let portal = Portal::new(db).await;
            let id = portal.message(db).await;
            let mark = mark(db).await;
            messages::assign(db, &portal.admin, id, Some(portal.admin.id))
                .await
                .expect("assigned");
            (mark, portal.by_admin())
        }
        Action::MessageNoted | Action::MessageReplied => {
            let portal = Portal::new(db).await;
            let id = portal.message(db).await;
            let kind = if action == Action::MessageNoted {
                EntryKind::Note
            } else {
                EntryKind::Reply
            };
            let mark = mark(db).await;
            messages::add_entry(
                db,
                &portal.admin,
                id,
                kind,
                "Thank you: we are looking into it.",
                &SiteInfo::default(),
            )
            .await
            .expect("added");
            (mark, portal.by_admin())
        }
        Action::MessageStateChanged => {
            let portal = Portal::new(db).await;
            let id = portal.message(db).await;
            let mark = mark(db).await;
            messages::set_state(db, &portal.admin, id, MessageState::Closed)
                .await
                .expect("closed");
            (mark, portal.by_admin())
        }
        Action::RightsRequestMade => {
            let portal = Portal::new(db).await;
            let mark = mark(db).await;
            portal.rights_request(db, RequestKind::Access).await;
            (mark, portal.by_member())
        }
        Action::RightsRequestLogged => {
            let alex = admin(db).await;
            let mark = mark(db).await;
            let request = LoggedRequest {
                kind: RequestKind::Objection,
                name: "Jo Bloggs".into(),
                email: email("jo@example.org"),
                details: "Stop emailing me.".into(),
                received: backend::clock::now(),
                link: false,
            };
            rights::log(db, &alex, &request).await.expect("logged");
            (mark, By::Admin { id: alex.id })
        }
        Action::RightsRequestExtended => {
            let portal = Portal::new(db).await;
            let id = portal.rights_request(db, RequestKind::Access).await;
            let mark = mark(db).await;
            let extension = Extension {
                months: 2,
                reason: "Complex".into(),
            };
            rights::extend(db, &portal.admin, id, &extension, &site())
                .await
                .expect("extended");
            (mark, portal.by_admin())
        }
        Action::RightsDataExported => {
            let portal = Portal::new(db).await;
            let id = portal.rights_request(db, RequestKind::Access).await;
            let mark = mark(db).await;
            rights::access_export(db, &portal.admin, id)
                .await
                .expect("exported");
            (mark, portal.by_admin())
        }
        Action::RightsAccountErased => {
            let portal = Portal::new(db).await;
            let id = portal.rights_request(db, RequestKind::Erasure).await;
            let mark = mark(db).await;
            rights::erase_account(db, &portal.admin, id)
                .await
                .expect("erased");
            (mark, portal.by_admin())
        }
        Action::RightsRequestClosed => {
            let portal = Portal::new(db).await;
            let id = portal.rights_request(db, RequestKind::Rectification).await;
            let mark = mark(db).await;
            let closing = Closing {
                outcome: RequestState::Completed,
                note: "Corrected".into(),
            };
            rights::close(db, &portal.admin, id, &closing)
                .await
                .expect("closed");
            (mark, portal.by_admin())
        }
        Action::AuditExported => {
            let alex = admin(db).await;
            let mark = mark(db).await;
            trail::export(db, &alex, &AuditQuery::default())
                .await
                .expect("exported");
            (mark, By::Admin { id: alex.id })
        }
        Action::AuditPruned => {
            accounts::create_admin(db, &email(ALEX), "Alex Admin", &password())
                .await
                .expect("administrator");
            let mark = mark(db).await;
            let deleted = audit::prune(db, &keys(), backend::clock::now() + 1)
                .await
                .expect("pruned");
            assert!(deleted > 0, "the administrator's creation was old enough");
            (mark, By::System)
        }
        Action::BackupMade => {
            let dir = tempfile::tempdir().expect("backup directory");
            let plan = backend::backup::Plan {
                recipient: backend::backup::Identity::generate().to_public(),
                dir: dir.path().to_owned(),
                keep: 2,
            };
            let mark = mark(db).await;
            backend::backup::make(db, url, &Storage::memory(), &plan, &Actor::Operator)
                .await
                .expect("backup");
            (mark, By::Operator)
        }
    }
}

// ---------------------------------------------------------------- fixtures

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "violet umbrella quietly sings";
/// The pseudonymous network address every public request comes from.
const CLIENT: &str = "client-a";
const ISSUER: &str = "PrimaryPoint";
const SAM: &str = "sam@riverside.example";
const NEW_EMAIL: &str = "samuel@riverside.example";
const ALEX: &str = "alex@csu.example";
const KIM: &str = "kim@riverside.example";

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

fn team() -> Email {
    email("team@csu.example")
}

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("email")
}

fn password() -> Password {
    Password::new(PASSWORD.to_owned()).expect("password")
}

/// The newest event's id (0 when there is none).
async fn mark(db: &Db) -> i64 {
    let (id,): (i64,) = sqlx::query_as("select coalesce(max(id), 0) from audit_events")
        .fetch_one(db.pool())
        .await
        .expect("newest event");
    id
}

fn practice() -> domain::organisation::Organisation {
    OrganisationForm::example("Riverside Surgery", "")
        .validate()
        .expect("valid organisation")
}

/// An active organisation that admits any address, and its code.
async fn organisation(db: &Db) -> (i64, AuthCode) {
    orgs::create(db, &key(), &Actor::Operator, &practice())
        .await
        .expect("organisation")
}

fn registration(code: &AuthCode) -> RegistrationInput {
    RegistrationInput {
        code: code.to_string(),
        full_name: "Sam Member".into(),
        email: SAM.into(),
        password: PASSWORD.into(),
        privacy: true,
    }
}

/// Registers Sam with `code`.
async fn register(db: &Db, code: &AuthCode) {
    auth::register(db, &key(), &site(), CLIENT, &registration(code))
        .await
        .expect("registered");
}

async fn user_id(db: &Db, email: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as("select id from users where email = $1")
        .bind(email)
        .fetch_one(db.pool())
        .await
        .expect("user");
    id
}

/// The body of the newest mail queued for `to`.
async fn last_mail(db: &Db, to: &str) -> String {
    let (body,): (String,) =
        sqlx::query_as("select body from outbox where recipient = $1 order by id desc limit 1")
            .bind(to)
            .fetch_one(db.pool())
            .await
            .expect("a mail to that address");
    body
}

/// The `token=` value of the link in a mail body.
fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Sam, a verified member of a new organisation who signs in with
/// [`PASSWORD`].
async fn member(db: &Db) -> By {
    let (organisation, _) = organisation(db).await;
    let id = accounts::create_member(db, organisation, &email(SAM), "Sam Member", &password())
        .await
        .expect("member");
    By::Member { id, organisation }
}

async fn sign_in(db: &Db, password: &str) -> SignIn {
    auth::sign_in(db, CLIENT, SAM, password)
        .await
        .expect("sign in")
}

/// Sam's session, signed in with the password alone.
async fn session(db: &Db) -> Session {
    let outcome = sign_in(db, PASSWORD).await;
    let SignIn::SignedIn(token) = outcome else {
        panic!("expected to be signed in, got {outcome:?}");
    };
    sessions::resolve(db, &token)
        .await
        .expect("resolve")
        .expect("live")
}

/// Sam with a second factor: the member, the app's secret and the
/// recovery codes.
async fn enrolled(db: &Db) -> (By, String, Vec<String>) {
    let sam = member(db).await;
    let session = session(db).await;
    let enrolment = mfa::new_secret(ISSUER, SAM).expect("secret");
    let recovery = mfa::enrol(
        db,
        &keys(),
        ISSUER,
        &session,
        PASSWORD,
        &enrolment.secret_text,
        &mfa::current_code(&enrolment.secret_text),
    )
    .await
    .expect("enrolled");
    (sam, enrolment.secret_text, recovery)
}

/// A sign-in of Sam's waiting for the second factor.
async fn password_accepted(db: &Db) -> SessionToken {
    match sign_in(db, PASSWORD).await {
        SignIn::SecondFactorDue(token) => token,
        other => panic!("expected a second factor due, got {other:?}"),
    }
}

async fn second_factor(db: &Db, pending: &SessionToken, code: &str) -> SignIn {
    mfa::complete_sign_in(db, &keys(), ISSUER, CLIENT, pending, code)
        .await
        .expect("complete")
}

/// A six-digit code that is not the app's (nor a neighbouring step's).
fn wrong_code(secret: &str) -> String {
    let right: u32 = mfa::current_code(secret).parse().expect("digits");
    format!("{:06}", (right + 500_000) % 1_000_000)
}

async fn admin(db: &Db) -> Viewer {
    fixtures::user(db, ALEX, Role::Admin, None).await
}

fn as_admin(admin: &Viewer) -> Actor {
    Actor::User { id: admin.id }
}

fn estates(name: &str) -> domain::content::Service {
    ServiceForm::example(name, "estates")
        .validate()
        .expect("valid service")
}

/// A service, a practice subscribed to it, one of its members and an
/// administrator: the library and the inbox start from these.
struct Portal {
    admin: Viewer,
    member: Viewer,
    organisation: i64,
    service: i64,
}

impl Portal {
    async fn new(db: &Db) -> Self {
        let service = fixtures::service(db, "medicines").await;
        let organisation =
            fixtures::organisation(db, "Riverside Surgery", OrgStatus::Active, &[service]).await;
        Self {
            admin: admin(db).await,
            member: fixtures::user(db, SAM, Role::Member, Some(organisation)).await,
            organisation,
            service,
        }
    }

    fn by_admin(&self) -> By {
        By::Admin { id: self.admin.id }
    }

    fn by_member(&self) -> By {
        By::Member {
            id: self.member.id,
            organisation: self.organisation,
        }
    }

    fn resource(&self, title: &str) -> Resource {
        Resource {
            title: title.to_owned(),
            summary: format!("Summary of {title}."),
            body_md: "Everyone in the practice follows this.".to_owned(),
            service_id: self.service,
            kind: ResourceKind::Policy,
            tags: Vec::new(),
            owner_id: self.admin.id,
            review_date: None,
            for_all_customers: false,
        }
    }

    async fn draft(&self, db: &Db) -> i64 {
        library::create(db, &self.admin, &self.resource("Cold chain"))
            .await
            .expect("created")
    }

    /// A published resource the member may see.
    async fn published(&self, db: &Db) -> i64 {
        let id = self.draft(db).await;
        library::set_status(db, &self.admin, id, ResourceStatus::Published)
            .await
            .expect("published");
        id
    }

    /// Uploads a PDF to resource `id`, as the administrator.
    async fn upload(&self, db: &Db, storage: &Storage, id: i64) {
        let bytes = Bytes::from(documents::pdf(
            "Keep vaccines between two and eight degrees.",
        ));
        files::upload(
            db,
            storage,
            &self.admin,
            files::Upload {
                resource_id: id,
                file_name: "cold-chain.pdf",
                max_bytes: 1024 * 1024,
            },
            futures::stream::iter([Ok::<_, std::io::Error>(bytes)]),
        )
        .await
        .expect("uploaded");
    }

    /// A data-rights request of the member's; its id.
    async fn rights_request(&self, db: &Db, kind: RequestKind) -> i64 {
        let request = NewRequest {
            kind,
            details: "As the form says.".into(),
        };
        rights::submit(db, &self.member, &request, &team(), &site())
            .await
            .expect("requested")
    }

    /// A message from the member to the team; its id.
    async fn message(&self, db: &Db) -> i64 {
        let message = NewMessage {
            subject: "Cold chain breach".into(),
            body: "The fridge was off overnight.".into(),
            service_id: Some(self.service),
        };
        messages::send(db, &self.member, &message, &team(), &SiteInfo::default())
            .await
            .expect("sent")
    }
}
