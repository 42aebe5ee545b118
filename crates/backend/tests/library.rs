//! The member library on SQLite and PostgreSQL: who sees what, search that
//! never fails, bookmarks, and the audit trail of writes and views.

use backend::audit::{self, Actor};
use backend::library;
use backend::orgs;
use backend::testing::fixtures::{organisation, service, user};
use backend::{Db, Error, stories};
use domain::account::{Role, Viewer};
use domain::library::{
    DAY, KindCount, LibraryQuery, LibrarySort, Resource, ResourceKind, ResourceStatus,
    ResourceSummary, ReviewBadge,
};
use domain::organisation::OrgStatus;
use std::collections::BTreeSet;

stories!(
    the_visibility_matrix_holds_for_list_count_search_and_detail,
    a_hidden_resource_is_not_found_exactly_like_a_missing_one,
    a_suspension_hides_the_library_at_once,
    search_finds_a_word_only_in_extracted_file_text,
    search_ranks_highlights_and_understands_phrases_or_and_minus,
    any_search_text_gives_results_or_nothing_never_an_error,
    the_list_filters_sorts_and_pages_twenty_at_a_time,
    bookmarks_are_per_member_and_follow_visibility,
    writes_and_views_are_audited_and_only_administrators_write,
    unknown_stored_kinds_and_statuses_are_refused_and_fail_closed,
    whats_new_reviews_and_service_counts_follow_the_same_rules,
    the_demo_library_fills_an_empty_library_once_for_the_demo_member,
    owners_are_reminded_a_month_before_a_review_and_on_the_day_once_each,
    administrators_add_and_change_services_and_their_pages_count_live,
    a_word_in_most_of_the_library_ranks_the_newest_thousand,
);

// ---------------------------------------------------------------- fixtures

fn resource(title: &str, service_id: i64, owner: &Viewer) -> Resource {
    Resource {
        title: title.to_owned(),
        summary: format!("Summary of {title}."),
        body_md: "Everyone in the practice follows this. Keyword zebra.".to_owned(),
        service_id,
        kind: ResourceKind::Policy,
        tags: vec!["common".to_owned()],
        owner_id: owner.id,
        review_date: None,
        for_all_customers: false,
    }
}

async fn publish(db: &Db, admin: &Viewer, resource: &Resource) -> i64 {
    let id = library::create(db, admin, resource).await.expect("create");
    library::set_status(db, admin, id, ResourceStatus::Published)
        .await
        .expect("publish");
    id
}

fn ids(rows: &[ResourceSummary]) -> BTreeSet<i64> {
    rows.iter().map(|r| r.id).collect()
}

fn searching(q: &str) -> LibraryQuery {
    LibraryQuery {
        q: q.to_owned(),
        ..LibraryQuery::default()
    }
}

async fn views(db: &Db) -> Vec<(String, Option<String>)> {
    audit::recent(db, 1_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "resource.viewed")
        .map(|e| (e.actor, e.subject))
        .collect()
}

/// One of each case of the visibility matrix, and one person of each kind.
struct Library {
    admin: Viewer,
    member: Viewer,
    other: Viewer,
    suspended: Viewer,
    ended: Viewer,
    subscribed: i64,
    not_subscribed: i64,
    all_customers: i64,
    draft: i64,
    archived: i64,
    medicines: i64,
}

async fn library(db: &Db) -> Library {
    let medicines = service(db, "medicines").await;
    let governance = service(db, "governance").await;
    let workforce = service(db, "workforce").await;
    let ours = organisation(db, "Riverside Surgery", OrgStatus::Active, &[medicines]).await;
    let theirs = organisation(db, "Hillside Practice", OrgStatus::Active, &[workforce]).await;
    let suspended = organisation(db, "Paused Practice", OrgStatus::Suspended, &[medicines]).await;
    let ended = organisation(db, "Former Practice", OrgStatus::Ended, &[medicines]).await;
    let admin = user(db, "admin@example.org", Role::Admin, None).await;

    let subscribed = publish(
        db,
        &admin,
        &resource("Subscribed policy", medicines, &admin),
    )
    .await;
    let not_subscribed = publish(
        db,
        &admin,
        &resource("Unsubscribed policy", governance, &admin),
    )
    .await;
    let all_customers = publish(
        db,
        &admin,
        &Resource {
            for_all_customers: true,
            ..resource("Everyone policy", governance, &admin)
        },
    )
    .await;
    // Drafts and archived resources stay hidden even when marked for all.
    let draft = library::create(
        db,
        &admin,
        &Resource {
            for_all_customers: true,
            ..resource("Draft policy", medicines, &admin)
        },
    )
    .await
    .expect("draft");
    let archived = publish(
        db,
        &admin,
        &Resource {
            for_all_customers: true,
            ..resource("Archived policy", medicines, &admin)
        },
    )
    .await;
    library::set_status(db, &admin, archived, ResourceStatus::Archived)
        .await
        .expect("archive");

    Library {
        member: user(db, "member@riverside.example", Role::Member, Some(ours)).await,
        other: user(db, "member@hillside.example", Role::Member, Some(theirs)).await,
        suspended: user(db, "member@paused.example", Role::Member, Some(suspended)).await,
        ended: user(db, "member@former.example", Role::Member, Some(ended)).await,
        admin,
        subscribed,
        not_subscribed,
        all_customers,
        draft,
        archived,
        medicines,
    }
}

// ------------------------------------------------------------------ stories

async fn the_visibility_matrix_holds_for_list_count_search_and_detail(db: Db) {
    let lib = library(&db).await;
    let everything = [
        lib.subscribed,
        lib.not_subscribed,
        lib.all_customers,
        lib.draft,
        lib.archived,
    ];
    // A member claiming to be an administrator is still a member: the
    // scope is read from the database, not from the caller.
    let impostor = Viewer {
        role: Role::Admin,
        ..lib.member.clone()
    };
    let matrix: [(&str, &Viewer, Vec<i64>); 6] = [
        ("administrator", &lib.admin, everything.to_vec()),
        (
            "member",
            &lib.member,
            vec![lib.subscribed, lib.all_customers],
        ),
        (
            "impostor",
            &impostor,
            vec![lib.subscribed, lib.all_customers],
        ),
        (
            "member of another organisation",
            &lib.other,
            vec![lib.all_customers],
        ),
        ("member of a suspended organisation", &lib.suspended, vec![]),
        ("member of an ended organisation", &lib.ended, vec![]),
    ];
    for (who, viewer, expected) in &matrix {
        let expected: BTreeSet<i64> = expected.iter().copied().collect();
        let listed = library::list(&db, viewer, &LibraryQuery::default())
            .await
            .expect("list");
        assert_eq!(ids(&listed.rows), expected, "list for {who}");
        assert_eq!(listed.total, expected.len() as i64, "list total for {who}");
        let count = library::count(&db, viewer, &LibraryQuery::default())
            .await
            .expect("count");
        assert_eq!(count, expected.len() as i64, "count for {who}");

        // Every resource mentions "zebra" in its body and "policy" in its title.
        for q in ["zebra", "policy"] {
            let found = library::search(&db, viewer, &searching(q))
                .await
                .expect("search");
            assert_eq!(ids(&found.rows), expected, "search {q:?} for {who}");
            assert_eq!(found.total, expected.len() as i64, "search total for {who}");
            let count = library::count(&db, viewer, &searching(q))
                .await
                .expect("count");
            assert_eq!(count, expected.len() as i64, "search count for {who}");
        }

        for id in everything {
            let seen = library::detail(&db, viewer, id).await;
            if expected.contains(&id) {
                let detail = seen.unwrap_or_else(|e| panic!("{who} should see {id}: {e}"));
                assert_eq!(detail.summary.id, id);
                assert_eq!(
                    detail.owner.is_some(),
                    *who == "administrator",
                    "only administrators see the owner"
                );
            } else {
                assert!(
                    matches!(seen, Err(Error::NotFound)),
                    "{who} must not see {id}: {seen:?}"
                );
            }
        }
    }
}

async fn a_hidden_resource_is_not_found_exactly_like_a_missing_one(db: Db) {
    let lib = library(&db).await;
    let missing = lib.archived + 1_000;
    let before = views(&db).await;
    for id in [lib.draft, lib.not_subscribed, lib.archived, missing] {
        let hidden = library::detail(&db, &lib.member, id).await;
        assert!(matches!(hidden, Err(Error::NotFound)), "{id}: {hidden:?}");
        let bookmarked = library::bookmark(&db, &lib.member, id).await;
        assert!(
            matches!(bookmarked, Err(Error::NotFound)),
            "{id}: {bookmarked:?}"
        );
    }
    // Nothing is recorded for either, so not even the audit trail tells a
    // hidden resource from a missing one.
    assert_eq!(views(&db).await, before);
    let (bookmarks,): (i64,) = sqlx::query_as("select count(*) from bookmarks")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(bookmarks, 0);
}

async fn a_suspension_hides_the_library_at_once(db: Db) {
    let lib = library(&db).await;
    let (organisation,): (i64,) = sqlx::query_as("select organisation_id from users where id = $1")
        .bind(lib.member.id)
        .fetch_one(db.pool())
        .await
        .expect("organisation");
    library::detail(&db, &lib.member, lib.subscribed)
        .await
        .expect("visible while active");
    orgs::change_status(
        &db,
        &Actor::User { id: lib.admin.id },
        organisation,
        OrgStatus::Suspended,
        "Invoice unpaid",
    )
    .await
    .expect("suspend");
    let listed = library::list(&db, &lib.member, &LibraryQuery::default())
        .await
        .expect("list");
    assert!(listed.rows.is_empty());
    assert!(matches!(
        library::detail(&db, &lib.member, lib.subscribed).await,
        Err(Error::NotFound)
    ));
    orgs::change_status(
        &db,
        &Actor::User { id: lib.admin.id },
        organisation,
        OrgStatus::Active,
        "Paid",
    )
    .await
    .expect("restore");
    assert_eq!(
        library::count(&db, &lib.member, &LibraryQuery::default())
            .await
            .expect("count"),
        2
    );
}

async fn search_finds_a_word_only_in_extracted_file_text(db: Db) {
    let lib = library(&db).await;
    assert_eq!(
        library::search(&db, &lib.member, &searching("quinquennial"))
            .await
            .expect("search")
            .total,
        0
    );
    library::set_file_text(
        &db,
        lib.subscribed,
        Some("Appendix B. The quinquennial audit of the cold chain is due in March."),
    )
    .await
    .expect("file text");
    let found = library::search(&db, &lib.member, &searching("quinquennial"))
        .await
        .expect("search");
    assert_eq!(ids(&found.rows), BTreeSet::from([lib.subscribed]));
    let snippet = &found.rows[0].snippet;
    assert!(
        snippet
            .iter()
            .any(|p| p.matched && p.text.to_lowercase().contains("quinquennial")),
        "{snippet:?}"
    );

    // A hidden resource's file text is no more findable than its title.
    library::set_file_text(&db, lib.not_subscribed, Some("A quinquennial review."))
        .await
        .expect("file text");
    assert_eq!(
        library::count(&db, &lib.member, &searching("quinquennial"))
            .await
            .expect("count"),
        1
    );

    // New text replaces the old in the index.
    library::set_file_text(&db, lib.subscribed, Some("Only annual checks now."))
        .await
        .expect("file text");
    let found = library::search(&db, &lib.admin, &searching("quinquennial"))
        .await
        .expect("search");
    assert_eq!(ids(&found.rows), BTreeSet::from([lib.not_subscribed]));
    assert!(matches!(
        library::set_file_text(&db, lib.archived + 1_000, Some("x")).await,
        Err(Error::NotFound)
    ));
}

async fn search_ranks_highlights_and_understands_phrases_or_and_minus(db: Db) {
    let medicines = service(&db, "medicines").await;
    let admin = user(&db, "admin@example.org", Role::Admin, None).await;
    let mentions = publish(
        &db,
        &admin,
        &Resource {
            body_md: "Staff should read the guidance on hand hygiene before starting.".to_owned(),
            ..resource("Induction checklist", medicines, &admin)
        },
    )
    .await;
    let about = publish(
        &db,
        &admin,
        &Resource {
            summary: "Hand hygiene: when and how to wash hands.".to_owned(),
            tags: vec!["hygiene".to_owned()],
            ..resource("Hand hygiene policy", medicines, &admin)
        },
    )
    .await;
    let other = publish(
        &db,
        &admin,
        &Resource {
            body_md: "Hygiene of the kitchen; hands off the cake.".to_owned(),
            ..resource("Kitchen rules", medicines, &admin)
        },
    )
    .await;

    let found = library::search(&db, &admin, &searching("hand hygiene"))
        .await
        .expect("search");
    let order: Vec<i64> = found.rows.iter().map(|r| r.id).collect();
    assert_eq!(order.first(), Some(&about), "title match first: {order:?}");
    assert!(order.contains(&mentions));
    let highlighted: Vec<String> = found.rows[0]
        .snippet
        .iter()
        .filter(|p| p.matched)
        .map(|p| p.text.to_lowercase())
        .collect();
    assert!(
        highlighted.iter().any(|t| t.contains("hygiene")),
        "{:?}",
        found.rows[0].snippet
    );

    let cases: [(&str, Vec<i64>); 5] = [
        ("\"hand hygiene\"", vec![mentions, about]),
        ("hygiene -kitchen", vec![mentions, about]),
        ("cake or induction", vec![mentions, other]),
        ("-hygiene", vec![]),
        ("-kitchen", vec![]),
    ];
    for (q, expected) in cases {
        let found = library::search(&db, &admin, &searching(q))
            .await
            .expect("search");
        assert_eq!(
            ids(&found.rows),
            expected.into_iter().collect::<BTreeSet<_>>(),
            "{q:?}"
        );
    }
}

async fn any_search_text_gives_results_or_nothing_never_an_error(db: Db) {
    let lib = library(&db).await;
    let long = "zebra ".repeat(2_000);
    let long_quotes = "\"".repeat(10_000);
    let hostile: &[&str] = &[
        "\"",
        "\"\"",
        "\"unclosed phrase",
        "zebra\"",
        "AND",
        "OR",
        "NOT",
        "zebra AND",
        "OR OR OR",
        "zebra NOT policy",
        "NEAR(zebra policy)",
        "-",
        "--",
        "-zebra",
        "*",
        "zeb*",
        "^zebra",
        "title:zebra",
        "{title summary}: zebra",
        "(",
        ")",
        "zebra)",
        "'; drop table resources; --",
        "\\",
        "!zebra & policy | <->",
        ":*",
        "🦓",
        "🦓 zebra 👩‍⚕️",
        "\u{0}zebra\u{0}",
        "\u{E000}zebra\u{E001}",
        "ZÉBRA",
        "المكتبة",
        "図書館",
        "the",
        "   ",
        &long,
        &long_quotes,
    ];
    for q in hostile {
        for viewer in [&lib.member, &lib.admin] {
            let page = library::search(&db, viewer, &searching(q))
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "search {:?} failed: {e}",
                        q.chars().take(40).collect::<String>()
                    )
                });
            assert!(page.rows.len() <= 20);
            library::count(&db, viewer, &searching(q))
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "count {:?} failed: {e}",
                        q.chars().take(40).collect::<String>()
                    )
                });
        }
    }
    // The long one was cut, not refused: it still finds the zebras.
    let found = library::search(&db, &lib.member, &searching(&long))
        .await
        .expect("search");
    assert_eq!(found.total, 2);
}

async fn the_list_filters_sorts_and_pages_twenty_at_a_time(db: Db) {
    let medicines = service(&db, "medicines").await;
    let governance = service(&db, "governance").await;
    let ours = organisation(
        &db,
        "Riverside Surgery",
        OrgStatus::Active,
        &[medicines, governance],
    )
    .await;
    let admin = user(&db, "admin@example.org", Role::Admin, None).await;
    let member = user(&db, "member@riverside.example", Role::Member, Some(ours)).await;
    for i in 0..23 {
        publish(
            &db,
            &admin,
            &Resource {
                kind: if i % 2 == 0 {
                    ResourceKind::Toolkit
                } else {
                    ResourceKind::Guidance
                },
                ..resource(&format!("Medicines {:02}", 22 - i), medicines, &admin)
            },
        )
        .await;
    }
    publish(&db, &admin, &resource("Governance one", governance, &admin)).await;

    let first = library::list(&db, &member, &LibraryQuery::default())
        .await
        .expect("list");
    assert_eq!((first.total, first.pages, first.rows.len()), (24, 2, 20));
    let second = library::list(
        &db,
        &member,
        &LibraryQuery {
            page: 2,
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("list");
    assert_eq!((second.rows.len(), second.total), (4, 24));
    assert!(ids(&first.rows).is_disjoint(&ids(&second.rows)));
    let beyond = library::list(
        &db,
        &member,
        &LibraryQuery {
            page: 3,
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("list");
    assert_eq!(
        (beyond.rows.len(), beyond.total),
        (0, 24),
        "past the last page: nothing on it, and still the same count"
    );

    let by_title = library::list(
        &db,
        &member,
        &LibraryQuery {
            service: Some("medicines".to_owned()),
            sort: LibrarySort::Title,
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("list");
    assert_eq!(by_title.total, 23);
    let titles: Vec<&str> = by_title.rows.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(
        titles[..3],
        ["Medicines 00", "Medicines 01", "Medicines 02"]
    );

    let toolkits = library::list(
        &db,
        &member,
        &LibraryQuery {
            kind: Some(ResourceKind::Toolkit),
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("list");
    assert_eq!(toolkits.total, 12);
    assert!(
        toolkits
            .rows
            .iter()
            .all(|r| r.kind == ResourceKind::Toolkit)
    );

    let nowhere = library::list(
        &db,
        &member,
        &LibraryQuery {
            service: Some("no-such-service".to_owned()),
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("list");
    assert_eq!((nowhere.total, nowhere.pages), (0, 1));

    let searched = library::search(
        &db,
        &member,
        &LibraryQuery {
            q: "zebra".to_owned(),
            service: Some("governance".to_owned()),
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("search");
    assert_eq!(searched.total, 1);
    assert_eq!(searched.rows[0].service.slug, "governance");
}

async fn bookmarks_are_per_member_and_follow_visibility(db: Db) {
    let lib = library(&db).await;
    library::bookmark(&db, &lib.member, lib.subscribed)
        .await
        .expect("bookmark");
    library::bookmark(&db, &lib.member, lib.subscribed)
        .await
        .expect("bookmarking twice is fine");
    library::bookmark(&db, &lib.member, lib.all_customers)
        .await
        .expect("bookmark");
    library::bookmark(&db, &lib.other, lib.all_customers)
        .await
        .expect("bookmark");

    let mine = library::bookmarks(&db, &lib.member, 1)
        .await
        .expect("bookmarks");
    assert_eq!(
        ids(&mine.rows),
        BTreeSet::from([lib.subscribed, lib.all_customers])
    );
    assert!(mine.rows.iter().all(|r| r.bookmarked));
    let listed = library::list(&db, &lib.member, &LibraryQuery::default())
        .await
        .expect("list");
    assert!(listed.rows.iter().all(|r| r.bookmarked));
    let theirs = library::list(&db, &lib.other, &LibraryQuery::default())
        .await
        .expect("list");
    assert_eq!(ids(&theirs.rows), BTreeSet::from([lib.all_customers]));
    assert!(theirs.rows[0].bookmarked);
    let admin = library::list(&db, &lib.admin, &LibraryQuery::default())
        .await
        .expect("list");
    assert!(admin.rows.iter().all(|r| !r.bookmarked));

    // Archiving a saved resource takes it off the member's list.
    library::set_status(&db, &lib.admin, lib.subscribed, ResourceStatus::Archived)
        .await
        .expect("archive");
    let mine = library::bookmarks(&db, &lib.member, 1)
        .await
        .expect("bookmarks");
    assert_eq!(ids(&mine.rows), BTreeSet::from([lib.all_customers]));
    assert_eq!(mine.total, 1);

    library::unbookmark(&db, &lib.member, lib.all_customers)
        .await
        .expect("unbookmark");
    let mine = library::bookmarks(&db, &lib.member, 1)
        .await
        .expect("bookmarks");
    assert!(mine.rows.is_empty());
    let theirs = library::bookmarks(&db, &lib.other, 1)
        .await
        .expect("bookmarks");
    assert_eq!(theirs.total, 1, "another member's bookmark is untouched");
}

async fn writes_and_views_are_audited_and_only_administrators_write(db: Db) {
    let lib = library(&db).await;
    let admin_actor = format!("user:{}", lib.admin.id);
    let subject = format!("resource:{}", lib.subscribed);

    let mut changed = resource("Subscribed policy, revised", lib.medicines, &lib.admin);
    changed.review_date = Some(1_830_211_200);
    library::update(&db, &lib.admin, lib.subscribed, &changed)
        .await
        .expect("update");
    let detail = library::detail(&db, &lib.member, lib.subscribed)
        .await
        .expect("detail");
    assert_eq!(detail.summary.title, "Subscribed policy, revised");
    assert_eq!(detail.summary.review_date, Some(1_830_211_200));
    assert!(detail.summary.published_at.is_some());
    assert!(
        detail.body_md.is_none(),
        "members get the rendered body only"
    );
    assert!(detail.body_html.contains("zebra"));

    let events = audit::recent(&db, 1_000).await.expect("audit");
    let about = |action: &str| {
        events
            .iter()
            .filter(|e| e.action == action && e.subject.as_deref() == Some(subject.as_str()))
            .collect::<Vec<_>>()
    };
    assert_eq!(about("resource.created").len(), 1);
    assert_eq!(about("resource.created")[0].actor, admin_actor);
    assert_eq!(about("resource.status_changed").len(), 1);
    assert!(
        about("resource.status_changed")[0]
            .detail
            .contains("published")
    );
    assert_eq!(about("resource.updated").len(), 1);
    assert!(about("resource.updated")[0].detail.contains("revised"));
    let viewed = about("resource.viewed");
    assert_eq!(viewed.len(), 1);
    assert_eq!(viewed[0].actor, format!("user:{}", lib.member.id));

    // Members write nothing, and a refused write leaves no trace.
    let before = audit::recent(&db, 1_000).await.expect("audit").len();
    assert!(matches!(
        library::create(
            &db,
            &lib.member,
            &resource("Mine", lib.medicines, &lib.admin)
        )
        .await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        library::update(&db, &lib.member, lib.subscribed, &changed).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        library::set_status(&db, &lib.member, lib.draft, ResourceStatus::Published).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        audit::recent(&db, 1_000).await.expect("audit").len(),
        before
    );

    // The owner must be an administrator and the service must exist.
    let refused = library::create(
        &db,
        &lib.admin,
        &Resource {
            owner_id: lib.member.id,
            service_id: 999_999,
            ..resource("Orphan", lib.medicines, &lib.admin)
        },
    )
    .await;
    let Err(Error::Invalid(errors)) = refused else {
        panic!("expected field errors: {refused:?}");
    };
    assert!(errors.get("owner_id").is_some() && errors.get("service_id").is_some());

    // Publishing again keeps the first published date.
    let first = detail.summary.published_at;
    library::set_status(&db, &lib.admin, lib.subscribed, ResourceStatus::Archived)
        .await
        .expect("archive");
    library::set_status(&db, &lib.admin, lib.subscribed, ResourceStatus::Published)
        .await
        .expect("restore");
    let again = library::detail(&db, &lib.admin, lib.subscribed)
        .await
        .expect("detail");
    assert_eq!(again.summary.published_at, first);
    assert_eq!(again.summary.status, ResourceStatus::Published);
}

async fn unknown_stored_kinds_and_statuses_are_refused_and_fail_closed(db: Db) {
    let lib = library(&db).await;
    for (column, value) in [("kind", "memo"), ("status", "deleted")] {
        let refused = sqlx::query(sqlx::AssertSqlSafe(format!(
            "update resources set {column} = $1 where id = $2"
        )))
        .bind(value)
        .bind(lib.subscribed)
        .execute(db.pool())
        .await;
        assert!(refused.is_err(), "the database refuses {column} {value:?}");
    }

    // Were a value this build does not know to get in anyway (a newer
    // version's data, a hand edit), reading it is an error, never a guess.
    let mut conn = db.pool().acquire().await.expect("connection");
    match db.backend() {
        backend::Backend::Sqlite => {
            sqlx::query("pragma ignore_check_constraints = on")
                .execute(&mut *conn)
                .await
                .expect("pragma");
        }
        backend::Backend::Postgres => {
            sqlx::query("alter table resources drop constraint resources_kind_check")
                .execute(&mut *conn)
                .await
                .expect("drop check");
        }
    }
    sqlx::query("update resources set kind = 'memo' where id = $1")
        .bind(lib.subscribed)
        .execute(&mut *conn)
        .await
        .expect("smuggle");
    drop(conn);
    let before = views(&db).await;
    for viewer in [&lib.member, &lib.admin] {
        let listed = library::list(&db, viewer, &LibraryQuery::default()).await;
        assert!(
            matches!(
                listed,
                Err(Error::Unreadable {
                    column: "resources.kind",
                    ..
                })
            ),
            "{listed:?}"
        );
        let found = library::search(&db, viewer, &searching("subscribed")).await;
        assert!(matches!(found, Err(Error::Unreadable { .. })), "{found:?}");
        let detail = library::detail(&db, viewer, lib.subscribed).await;
        assert!(
            matches!(detail, Err(Error::Unreadable { .. })),
            "{detail:?}"
        );
    }
    assert_eq!(
        views(&db).await,
        before,
        "a view that failed is not recorded"
    );
}

async fn whats_new_reviews_and_service_counts_follow_the_same_rules(db: Db) {
    let lib = library(&db).await;
    let now = backend::clock::now();

    // Everything was just written: what's new is what each person may see.
    let new = library::recent(&db, &lib.member, now - 30 * DAY)
        .await
        .expect("recent");
    assert_eq!(
        ids(&new),
        BTreeSet::from([lib.subscribed, lib.all_customers])
    );
    assert!(
        library::recent(&db, &lib.suspended, now - 30 * DAY)
            .await
            .expect("recent")
            .is_empty()
    );
    assert!(
        library::recent(&db, &lib.member, now + DAY)
            .await
            .expect("recent")
            .is_empty()
    );

    // Reviews: overdue and due within 30 days, not archived, for
    // administrators only.
    let second_owner = user(&db, "aaron@example.org", Role::Admin, None).await;
    let dated = |title: &str, review: i64, owner: &Viewer| Resource {
        review_date: Some(review),
        ..resource(title, lib.medicines, owner)
    };
    let overdue = publish(
        &db,
        &lib.admin,
        &dated("Overdue", now - 3 * DAY, &lib.admin),
    )
    .await;
    let due = library::create(
        &db,
        &lib.admin,
        &dated("Due", now + 10 * DAY, &second_owner),
    )
    .await
    .expect("draft");
    publish(&db, &lib.admin, &dated("Later", now + 60 * DAY, &lib.admin)).await;
    let gone = publish(&db, &lib.admin, &dated("Gone", now - 3 * DAY, &lib.admin)).await;
    library::set_status(&db, &lib.admin, gone, ResourceStatus::Archived)
        .await
        .expect("archive");
    let reviews = library::reviews(&db, &lib.admin, now)
        .await
        .expect("reviews");
    let seen: Vec<(i64, ReviewBadge)> = reviews.iter().map(|r| (r.resource.id, r.badge)).collect();
    assert_eq!(
        seen,
        [(due, ReviewBadge::DueSoon), (overdue, ReviewBadge::Overdue)],
        "by owner name: Person aaron@… before Person admin@…"
    );
    assert!(matches!(
        library::reviews(&db, &lib.member, now).await,
        Err(Error::NotFound)
    ));

    // The public count is of what a subscriber gets: published only.
    let counts = library::service_counts(&db, "medicines")
        .await
        .expect("counts");
    assert_eq!(
        counts,
        [KindCount {
            kind: ResourceKind::Policy,
            count: 3
        }],
        "subscribed, overdue and later; not the drafts or the archived"
    );
    assert!(
        library::service_counts(&db, "workforce")
            .await
            .expect("counts")
            .is_empty()
    );
}

async fn the_demo_library_fills_an_empty_library_once_for_the_demo_member(db: Db) {
    use backend::demo;
    let keys = backend::keys::Keys::derive(b"demo-secret-demo-secret-demo-secret!").expect("keys");
    let key = keys.codes();
    backend::content::seed_demo_content(&db)
        .await
        .expect("catalogue");
    let storage = backend::files::Storage::memory();
    // No administrator yet: nobody could own the resources, so none.
    assert_eq!(demo::seed_library(&db, &storage).await.expect("seed"), 0);
    assert!(demo::create_accounts(&db, key).await.expect("accounts"));
    assert!(
        !demo::create_accounts(&db, key).await.expect("again"),
        "once only"
    );
    let added = demo::seed_library(&db, &storage).await.expect("seed");
    assert!(added >= 7 * 3 * ResourceKind::ALL.len(), "{added}");
    assert_eq!(
        demo::seed_library(&db, &storage).await.expect("again"),
        0,
        "once only"
    );

    // The demo member, subscribed to everything, sees every resource, of
    // every kind in every service, some of them due for review.
    let (member,): (i64,) = sqlx::query_as("select id from users where email = $1")
        .bind(demo::DEMO_MEMBER)
        .fetch_one(db.pool())
        .await
        .expect("the demo member");
    let viewer = Viewer {
        id: member,
        full_name: "Morgan Member".into(),
        email: demo::DEMO_MEMBER.into(),
        role: Role::Member,
        organisation: Some("Demo Surgery".into()),
        second_factor: false,
    };
    let everything = library::count(&db, &viewer, &LibraryQuery::default())
        .await
        .expect("count");
    assert_eq!(everything, i64::try_from(added).expect("fits"));
    for kind in ResourceKind::ALL {
        let query = LibraryQuery {
            kind: Some(kind),
            ..LibraryQuery::default()
        };
        assert!(library::count(&db, &viewer, &query).await.expect("count") >= 7 * 3);
    }
    let first = library::list(&db, &viewer, &LibraryQuery::default())
        .await
        .expect("list");
    assert!(!first.rows.is_empty());
    let found = library::search(
        &db,
        &viewer,
        &LibraryQuery {
            q: "controlled drugs".into(),
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("search");
    assert!(
        found.total >= 6,
        "a topic's resources are found: {}",
        found.total
    );
    let (overdue,): (i64,) =
        sqlx::query_as("select count(*) from resources where review_date < $1")
            .bind(backend::clock::now())
            .fetch_one(db.pool())
            .await
            .expect("overdue");
    assert!(overdue > 0, "some reviews are overdue");

    // Every policy has a PDF and every template a Word document, real
    // files the demo member downloads.
    let (with_files,): (i64,) =
        sqlx::query_as("select count(distinct resource_id) from resource_files")
            .fetch_one(db.pool())
            .await
            .expect("files");
    assert_eq!(with_files, 7 * 3 * 2);
    for (kind, magic) in [
        (ResourceKind::Policy, &b"%PDF-"[..]),
        (ResourceKind::Template, &b"PK\x03\x04"[..]),
    ] {
        let query = LibraryQuery {
            kind: Some(kind),
            ..LibraryQuery::default()
        };
        let first = &library::list(&db, &viewer, &query)
            .await
            .expect("list")
            .rows[0];
        let download = library::files::download(&db, &viewer, first.id, None)
            .await
            .expect("a file");
        let mut stream = storage.get(&download.storage_key).await.expect("stored");
        let mut bytes = Vec::new();
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            bytes.extend_from_slice(&chunk.expect("chunk"));
        }
        assert!(bytes.starts_with(magic), "{kind:?}");
    }
}

async fn owners_are_reminded_a_month_before_a_review_and_on_the_day_once_each(db: Db) {
    use backend::library::reminders;
    let lib = library(&db).await;
    let now = backend::clock::now();
    let today = now.div_euclid(DAY) * DAY;
    let dated = |title: &str, review: i64| Resource {
        review_date: Some(review),
        ..resource(title, lib.medicines, &lib.admin)
    };
    let soon = publish(&db, &lib.admin, &dated("Due in ten days", today + 10 * DAY)).await;
    publish(
        &db,
        &lib.admin,
        &dated("Due in forty days", today + 40 * DAY),
    )
    .await;
    let archived = publish(&db, &lib.admin, &dated("Archived and due", today - DAY)).await;
    library::set_status(&db, &lib.admin, archived, ResourceStatus::Archived)
        .await
        .expect("archive");
    let mail = |db: &Db| {
        let db = db.clone();
        async move {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as("select recipient, subject, body from outbox order by id")
                    .fetch_all(db.pool())
                    .await
                    .expect("outbox");
            rows
        }
    };

    // A month ahead: one reminder, to the owner, linking to the page.
    let url = "https://portal.example";
    assert_eq!(reminders::send_due(&db, url, now).await.expect("send"), 1);
    assert_eq!(
        reminders::send_due(&db, url, now).await.expect("again"),
        0,
        "once"
    );
    let sent = mail(&db).await;
    assert_eq!(sent.len(), 1);
    let (to, subject, body) = &sent[0];
    assert_eq!(to, &lib.admin.email);
    assert!(
        subject.starts_with("Review due on ") && subject.ends_with("Due in ten days"),
        "{subject}"
    );
    assert!(
        body.contains(&format!("{url}/admin/library/{soon}")),
        "{body}"
    );

    // On the day: one more, and still none for the archived resource or
    // the one due in forty days (which is now thirty days off).
    let on_the_day = today + 10 * DAY + 3600;
    assert_eq!(
        reminders::send_due(&db, url, on_the_day)
            .await
            .expect("day"),
        2
    );
    assert_eq!(
        reminders::send_due(&db, url, on_the_day)
            .await
            .expect("again"),
        0
    );
    let subjects: Vec<String> = mail(&db).await.into_iter().map(|(_, s, _)| s).collect();
    assert!(
        subjects.contains(&"Review due: Due in ten days".to_owned()),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.ends_with("Due in forty days")),
        "{subjects:?}"
    );
    assert!(
        !subjects.iter().any(|s| s.contains("Archived")),
        "{subjects:?}"
    );
}

async fn administrators_add_and_change_services_and_their_pages_count_live(db: Db) {
    use backend::content;
    use domain::content::ServiceForm;
    let lib = library(&db).await;
    let form = ServiceForm::example("Estates & </title> care", "estates");
    let service = form.validate().expect("valid");

    // Members cannot add, list or read services for editing.
    assert!(matches!(
        content::create_service(&db, &lib.member, &service).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        content::admin_services(&db, &lib.member).await,
        Err(Error::NotFound)
    ));

    let id = content::create_service(&db, &lib.admin, &service)
        .await
        .expect("created");
    assert_eq!(
        content::service_form(&db, &lib.admin, id)
            .await
            .expect("form"),
        ServiceForm {
            portal_offers: "Policies kept up to date\nToolkits".into(),
            ..form.clone()
        }
    );
    let page = content::service(&db, "estates").await.expect("public page");
    assert_eq!(page.name, "Estates & </title> care");
    assert!(page.counts.is_empty(), "nothing published in it yet");

    // A taken address is told on its field, and nothing changes.
    let taken = ServiceForm {
        slug: "medicines".into(),
        ..form.clone()
    }
    .validate()
    .expect("valid");
    for refused in [
        content::create_service(&db, &lib.admin, &taken)
            .await
            .map(|_| ()),
        content::update_service(&db, &lib.admin, id, &taken).await,
    ] {
        match refused {
            Err(Error::Invalid(errors)) => assert_eq!(
                errors.get("slug"),
                Some("Another service already has this address; choose another")
            ),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    // A change moves the page and is audited before → after.
    let renamed = ServiceForm {
        name: "Estates".into(),
        slug: "estates-and-facilities".into(),
        ..form
    }
    .validate()
    .expect("valid");
    content::update_service(&db, &lib.admin, id, &renamed)
        .await
        .expect("updated");
    assert!(matches!(
        content::service(&db, "estates").await,
        Err(Error::NotFound)
    ));
    let event = audit::recent(&db, 10)
        .await
        .expect("audit")
        .into_iter()
        .find(|e| e.action == "service.updated")
        .expect("audited");
    assert_eq!(
        event.subject.as_deref(),
        Some(format!("service:{id}").as_str())
    );
    let detail: serde_json::Value = serde_json::from_str(&event.detail).expect("json");
    assert_eq!(detail["before"]["slug"], "estates");
    assert_eq!(detail["after"]["slug"], "estates-and-facilities");

    // Published resources count on the public page, drafts do not.
    publish(&db, &lib.admin, &resource("Fire safety", id, &lib.admin)).await;
    publish(
        &db,
        &lib.admin,
        &Resource {
            kind: ResourceKind::Toolkit,
            ..resource("Legionella toolkit", id, &lib.admin)
        },
    )
    .await;
    library::create(&db, &lib.admin, &resource("Unfinished", id, &lib.admin))
        .await
        .expect("draft");
    let page = content::service(&db, "estates-and-facilities")
        .await
        .expect("public page");
    assert_eq!(
        domain::content::counts_sentence(&page.counts).as_deref(),
        Some("1 policy and 1 toolkit")
    );
    let rows = content::admin_services(&db, &lib.admin)
        .await
        .expect("rows");
    let row = rows.iter().find(|r| r.id == id).expect("listed");
    assert_eq!((row.resources, row.subscribers), (3, 0));
}

async fn a_word_in_most_of_the_library_ranks_the_newest_thousand(db: Db) {
    let admin = user(&db, "ada@csu.example", Role::Admin, None).await;
    let infection = service(&db, "infection").await;
    let other = service(&db, "other").await;
    let surgery = organisation(&db, "Riverside", OrgStatus::Active, &[infection]).await;
    let member = user(&db, "sam@riverside.example", Role::Member, Some(surgery)).await;
    // 1,010 resources the member sees and 500 they do not, all saying
    // "hygiene"; the oldest visible one also says "zebra".
    sqlx::query(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1510) \
         insert into resources (service_id, kind, title, summary, body_md, tags, owner_id, status, \
         published_at, created_at, updated_at) \
         select case when i <= 1010 then $1 else $2 end, 'policy', 'Hygiene note ' || i, \
         case when i = 1 then 'Hygiene and zebra' else 'Hygiene' end, 'Hand hygiene.', '', $3, \
         'published', i, i, i from n",
    )
    .bind(infection)
    .bind(other)
    .bind(admin.id)
    .execute(db.pool())
    .await
    .expect("resources");

    let common = library::search(&db, &member, &searching("hygiene"))
        .await
        .expect("search");
    assert!(common.more, "more matches than are ranked");
    assert_eq!(
        (common.total, common.pages, common.rows.len()),
        (1_000, 50, 20)
    );
    let last = library::search(
        &db,
        &member,
        &LibraryQuery {
            page: 50,
            ..searching("hygiene")
        },
    )
    .await
    .expect("last page");
    assert_eq!(last.rows.len(), 20);
    let seen: BTreeSet<i64> = ids(&common.rows).union(&ids(&last.rows)).copied().collect();
    let newest: BTreeSet<i64> = sqlx::query_as::<_, (i64,)>(
        "select id from resources where service_id = $1 order by id desc limit 1000",
    )
    .bind(infection)
    .fetch_all(db.pool())
    .await
    .expect("newest")
    .into_iter()
    .map(|(id,)| id)
    .collect();
    assert_eq!(seen.len(), 40);
    assert!(
        seen.is_subset(&newest),
        "only the newest thousand the member may see are ranked: {seen:?}"
    );

    // Another word finds an older one; a selective search is exact.
    let narrowed = library::search(&db, &member, &searching("hygiene zebra"))
        .await
        .expect("search");
    assert!(!narrowed.more);
    assert_eq!(narrowed.total, 1);
    assert_eq!(narrowed.rows[0].title, "Hygiene note 1");

    // Past the last page: nothing on it, and still the same count.
    for (q, total, more) in [("hygiene", 1_000, true), ("hygiene zebra", 1, false)] {
        let beyond = library::search(
            &db,
            &member,
            &LibraryQuery {
                page: 51,
                ..searching(q)
            },
        )
        .await
        .expect("beyond");
        assert!(beyond.rows.is_empty(), "{q}");
        assert_eq!((beyond.total, beyond.more), (total, more), "{q}");
    }
    // The list counts the same way.
    let listed = library::list(&db, &member, &LibraryQuery::default())
        .await
        .expect("list");
    assert_eq!((listed.total, listed.more, listed.pages), (1_000, true, 50));
    let beyond = library::list(
        &db,
        &member,
        &LibraryQuery {
            page: 60,
            ..LibraryQuery::default()
        },
    )
    .await
    .expect("beyond");
    assert!(beyond.rows.is_empty(), "1,010 visible: nothing on page 60");
    assert_eq!((beyond.total, beyond.more), (1_000, true));
    assert_eq!(
        library::count(&db, &member, &LibraryQuery::default())
            .await
            .expect("count"),
        1_000
    );
}
