//! The public pages' content comes from memory, and a change made by
//! another instance shows once this one reads the shared version again;
//! a change made here shows at once. On SQLite and PostgreSQL.

use backend::testing::{self, TestDb, fixtures};
use backend::{Db, content};
use domain::account::Role;
use domain::content::PageText;
use std::time::Duration;

/// Long enough that no test reads the version again by itself.
const NEVER: Duration = Duration::from_secs(3_600);

async fn public_content_is_served_from_memory_until_the_shared_version_moves(test: &TestDb) {
    let here = &test.db;
    content::seed_demo_content(here).await.expect("seed");
    let admin = fixtures::user(here, "admin@csu.example", Role::Admin, None).await;
    // Another instance on the same database.
    let there = Db::connect(&test.url, &backend::db::PoolSettings::default())
        .await
        .expect("second pool");
    here.set_content_recheck(NEVER);

    let slug = "information-governance";
    let page = content::page(here, "about", &[]).await.expect("page");
    let service = content::service(here, slug).await.expect("service");
    let services = content::list_services(here).await.expect("services");

    // Changed elsewhere: services renamed, a page retitled, a resource
    // published (every write bumps the shared version).
    let edited = PageText {
        title: "About us, edited elsewhere".to_owned(),
        summary: page.summary.clone(),
        body_md: "Edited.".to_owned(),
    };
    content::update_page(&there, &admin, "about", &edited)
        .await
        .expect("edit");
    sqlx::query("update services set name = name || ' (renamed)'")
        .execute(there.pool())
        .await
        .expect("rename");
    let service_id = content::service_id(&there, slug)
        .await
        .expect("id")
        .expect("a service");
    fixtures::published(&there, &admin, service_id, "Counted elsewhere").await;

    // This instance has not read the version again: the same copies, and
    // the database is not asked (a closed pool would fail).
    here.close().await;
    assert_eq!(content::page(here, "about", &[]).await.expect("page"), page);
    assert_eq!(
        content::service(here, slug).await.expect("service"),
        service
    );
    assert_eq!(
        content::list_services(here).await.expect("services"),
        services
    );

    // Once it reads the version again, it reads everything again.
    let here = Db::connect(&test.url, &backend::db::PoolSettings::default())
        .await
        .expect("reopen");
    here.set_content_recheck(NEVER);
    let _ = content::page(&here, "about", &[]).await.expect("warm");
    content::update_page(&there, &admin, "about", &page_text("Edited again"))
        .await
        .expect("edit");
    assert_eq!(
        content::page(&here, "about", &[])
            .await
            .expect("page")
            .title,
        "About us, edited elsewhere",
        "kept until the version is read again"
    );
    here.set_content_recheck(Duration::ZERO);
    assert_eq!(
        content::page(&here, "about", &[])
            .await
            .expect("page")
            .title,
        "Edited again"
    );
    let counted = content::service(&here, slug).await.expect("service");
    assert_eq!(
        counted.counts.iter().map(|c| c.count).sum::<i64>(),
        service.counts.iter().map(|c| c.count).sum::<i64>() + 1,
        "the published resource is counted"
    );
    assert!(
        content::list_services(&here)
            .await
            .expect("services")
            .iter()
            .all(|s| s.name.ends_with(" (renamed)"))
    );

    // A change made here shows here at once, whatever the interval.
    here.set_content_recheck(NEVER);
    content::update_page(&here, &admin, "about", &page_text("Edited here"))
        .await
        .expect("edit");
    assert_eq!(
        content::page(&here, "about", &[])
            .await
            .expect("page")
            .title,
        "Edited here"
    );
    // Filled in with other values, a page is filled in again.
    let filled = content::page(&here, "privacy-policy", &[("controller_name", "Acme & Co")])
        .await
        .expect("page");
    let other = content::page(&here, "privacy-policy", &[("controller_name", "Other Ltd")])
        .await
        .expect("page");
    assert_ne!(filled.body_html, other.body_html);
    // An address that names nothing is not kept, and stays not found.
    for _ in 0..2 {
        assert!(matches!(
            content::page(&here, "no-such-page", &[]).await,
            Err(backend::Error::NotFound)
        ));
    }
    here.close().await;
    there.close().await;
}

fn page_text(title: &str) -> PageText {
    PageText {
        title: title.to_owned(),
        summary: "A summary.".to_owned(),
        body_md: "Text.".to_owned(),
    }
}

#[tokio::test]
async fn sqlite() {
    let test = testing::sqlite().await;
    public_content_is_served_from_memory_until_the_shared_version_moves(&test).await;
    test.finish().await;
}

#[tokio::test]
async fn postgres() {
    let Some(test) = testing::postgres().await else {
        return;
    };
    public_content_is_served_from_memory_until_the_shared_version_moves(&test).await;
    test.finish().await;
}
