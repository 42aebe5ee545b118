use crate::db::Db;
use crate::error::{Error, Result, Unique};
use crate::library::{admin_only, require_admin};
use crate::{audit, clock, library, markdown};
use domain::account::Viewer;
use domain::audit::Action;
use domain::content::{
    Page, PageForm, PageRow, PageText, Service, ServiceDetail, ServiceForm, ServiceRow,
    ServiceSummary, is_slug,
};

/// Every service in catalogue order (from memory, see [`cache`]).
pub async fn list_services(db: &Db) -> Result<Vec<ServiceSummary>> {
    db.content()
        .services(db, async {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as("select slug, name, summary from services order by position, name")
                    .fetch_all(db.pool())
                    .await?;
            Ok(rows
                .into_iter()
                .map(|(slug, name, summary)| ServiceSummary {
                    slug,
                    name,
                    summary,
                })
                .collect())
        })
        .await
}

/// A number that moves whenever anything the public pages show may have
/// changed (services, pages, what the counts count), read from the shared
/// version at most once a second and at once after this instance changes
/// the content. Whatever was made from the public content at one
/// generation may be reused while it stays the same.
pub async fn generation(db: &Db) -> Result<u64> {
    db.content().fresh(db).await
}

/// The id of the service with `slug`, if there is one.
pub async fn service_id(db: &Db, slug: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("select id from services where slug = $1")
        .bind(slug)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|(id,)| id))
}

/// One service by its slug, with its description rendered to safe HTML
/// and its live counts (from memory, see [`cache`]).
pub async fn service(db: &Db, slug: &str) -> Result<ServiceDetail> {
    if !is_slug(slug) {
        return Err(Error::NotFound);
    }
    db.content().service(db, slug, read_service(db, slug)).await
}

async fn read_service(db: &Db, slug: &str) -> Result<ServiceDetail> {
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "select slug, name, summary, body_md, portal_offers from services where slug = $1",
    )
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    let (slug, name, summary, body_md, offers) = row.ok_or(Error::NotFound)?;
    let counts = library::service_counts(db, &slug).await?;
    Ok(ServiceDetail {
        slug,
        name,
        summary,
        body_html: markdown::to_safe_html(&body_md),
        portal_offers: offers
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        counts,
    })
}

/// Every service with how many resources it holds and how many
/// organisations subscribe, for administrators; anyone else gets
/// [`Error::NotFound`].
pub async fn admin_services(db: &Db, viewer: &Viewer) -> Result<Vec<ServiceRow>> {
    admin_only(db, viewer).await?;
    let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
        "select s.id, s.slug, s.name, \
         (select count(*) from resources r where r.service_id = s.id), \
         (select count(*) from organisation_services o where o.service_id = s.id) \
         from services s order by s.position, s.name",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, resources, subscribers)| ServiceRow {
            id,
            slug,
            name,
            resources,
            subscribers,
        })
        .collect())
}

/// Service `id` as its form shows it, for administrators.
pub async fn service_form(db: &Db, viewer: &Viewer, id: i64) -> Result<ServiceForm> {
    admin_only(db, viewer).await?;
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "select name, slug, summary, body_md, portal_offers from services where id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let (name, slug, summary, body_md, portal_offers) = row.ok_or(Error::NotFound)?;
    Ok(ServiceForm {
        name,
        slug,
        summary,
        body_md,
        portal_offers,
    })
}

/// Adds a service at the end of the catalogue; its id. Administrators only.
pub async fn create_service(db: &Db, viewer: &Viewer, service: &Service) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let now = clock::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into services (slug, name, summary, body_md, portal_offers, position, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, (select coalesce(max(position), 0) + 1 from services), $6, $6) \
         returning id",
    )
    .bind(&service.slug)
    .bind(&service.name)
    .bind(&service.summary)
    .bind(&service.body_md)
    .bind(&service.portal_offers)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| slug_taken(e.into()))?;
    audit::record(
        &mut tx,
        &actor,
        Action::ServiceCreated,
        Some(&format!("service:{id}")),
        service,
    )
    .await?;
    tx.commit().await?;
    db.content().forget();
    Ok(id)
}

/// Replaces service `id`'s name, address and texts, recording before and
/// after. Administrators only.
pub async fn update_service(db: &Db, viewer: &Viewer, id: i64, service: &Service) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let before: Option<(String, String, String, String, String)> = sqlx::query_as(
        "select name, slug, summary, body_md, portal_offers from services where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (name, slug, summary, body_md, portal_offers) = before.ok_or(Error::NotFound)?;
    let before = Service {
        name,
        slug,
        summary,
        body_md,
        portal_offers,
    };
    sqlx::query(
        "update services set slug = $1, name = $2, summary = $3, body_md = $4, portal_offers = $5, \
         updated_at = $6 where id = $7",
    )
    .bind(&service.slug)
    .bind(&service.name)
    .bind(&service.summary)
    .bind(&service.body_md)
    .bind(&service.portal_offers)
    .bind(clock::now())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| slug_taken(e.into()))?;
    audit::record(
        &mut tx,
        &actor,
        Action::ServiceUpdated,
        Some(&format!("service:{id}")),
        &serde_json::json!({ "before": before, "after": service }),
    )
    .await?;
    tx.commit().await?;
    db.content().forget();
    Ok(())
}

fn slug_taken(error: Error) -> Error {
    error.on_unique(
        Unique::ServiceSlug,
        "slug",
        "Another service already has this address; choose another",
    )
}

/// Every content page, for administrators.
pub async fn admin_pages(db: &Db, viewer: &Viewer) -> Result<Vec<PageRow>> {
    admin_only(db, viewer).await?;
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("select slug, title, updated_at from pages order by title, slug")
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, updated_at)| PageRow {
            slug,
            title,
            updated_at,
        })
        .collect())
}

/// Content page `slug` as its form shows it (placeholders unfilled), for
/// administrators.
pub async fn page_form(db: &Db, viewer: &Viewer, slug: &str) -> Result<PageForm> {
    admin_only(db, viewer).await?;
    let row: Option<(String, String, String)> =
        sqlx::query_as("select title, summary, body_md from pages where slug = $1")
            .bind(slug)
            .fetch_optional(db.pool())
            .await?;
    let (title, summary, body_md) = row.ok_or(Error::NotFound)?;
    Ok(PageForm {
        title,
        summary,
        body_md,
    })
}

/// Replaces content page `slug`'s title, summary and text, recording
/// before and after. Administrators only.
pub async fn update_page(db: &Db, viewer: &Viewer, slug: &str, page: &PageText) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let actor = require_admin(&mut tx, viewer).await?;
    let before: Option<(String, String, String)> =
        sqlx::query_as("select title, summary, body_md from pages where slug = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
    let (title, summary, body_md) = before.ok_or(Error::NotFound)?;
    let before = PageText {
        title,
        summary,
        body_md,
    };
    sqlx::query(
        "update pages set title = $1, summary = $2, body_md = $3, updated_at = $4 where slug = $5",
    )
    .bind(&page.title)
    .bind(&page.summary)
    .bind(&page.body_md)
    .bind(clock::now())
    .bind(slug)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &actor,
        Action::PageUpdated,
        Some(&format!("page:{slug}")),
        &serde_json::json!({ "before": before, "after": page }),
    )
    .await?;
    tx.commit().await?;
    db.content().forget();
    Ok(())
}

/// One content page by its slug, rendered to safe HTML (from memory, see
/// [`cache`]). Each `{{name}}` in the Markdown is replaced by its value
/// from `placeholders` (the deployment's organisation and data-controller
/// details).
pub async fn page(db: &Db, slug: &str, placeholders: &[(&str, &str)]) -> Result<Page> {
    if !is_slug(slug) {
        return Err(Error::NotFound);
    }
    db.content()
        .page(db, slug, placeholders, read_page(db, slug, placeholders))
        .await
}

async fn read_page(db: &Db, slug: &str, placeholders: &[(&str, &str)]) -> Result<Page> {
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "select slug, title, summary, body_md, updated_at from pages where slug = $1",
    )
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    let (slug, title, summary, body_md, updated_at) = row.ok_or(Error::NotFound)?;
    Ok(Page {
        slug,
        title,
        summary,
        body_html: markdown::to_safe_html(&fill_placeholders(&body_md, placeholders)),
        updated_at,
    })
}

fn fill_placeholders(text: &str, placeholders: &[(&str, &str)]) -> String {
    placeholders
        .iter()
        .fold(text.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), value)
        })
}

/// Slugs and last-modified times of every public page, for the sitemap.
pub async fn page_index(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("select slug, updated_at from pages order by slug")
            .fetch_all(db.pool())
            .await?,
    )
}

/// A service as the seed (or, later, an administrator) writes it.
#[derive(Clone, Debug)]
pub struct NewService<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub body_md: &'a str,
    pub portal_offers: &'a [&'a str],
}

/// A content page as the seed (or, later, an administrator) writes it.
#[derive(Clone, Debug)]
pub struct NewPage<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body_md: &'a str,
}

/// Fills an empty database with the demo catalogue and the statutory pages,
/// so a fresh install shows a real site. Does nothing when any service or
/// page already exists; returns whether it seeded.
pub async fn seed_demo_content(db: &Db) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let (existing,): (i64,) =
        sqlx::query_as("select (select count(*) from services) + (select count(*) from pages)")
            .fetch_one(&mut *tx)
            .await?;
    if existing > 0 {
        return Ok(false);
    }
    let now = clock::now();
    for (position, service) in crate::content::seed::SERVICES.iter().enumerate() {
        sqlx::query(
            "insert into services (slug, name, summary, body_md, portal_offers, position, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(service.slug)
        .bind(service.name)
        .bind(service.summary)
        .bind(service.body_md)
        .bind(service.portal_offers.join("\n"))
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for page in crate::content::seed::PAGES {
        sqlx::query(
            "insert into pages (slug, title, summary, body_md, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(page.slug)
        .bind(page.title)
        .bind(page.summary)
        .bind(page.body_md)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        &audit::Actor::System,
        Action::ContentSeeded,
        None,
        &serde_json::json!({
            "services": seed::SERVICES.len(),
            "pages": seed::PAGES.len(),
        }),
    )
    .await?;
    tx.commit().await?;
    db.content().forget();
    Ok(true)
}

/// The demo catalogue and the statutory pages.
pub(crate) mod cache;
pub mod seed;
