//! A working portal on a first run: a demo library for an empty library,
//! and, only where a local run asks for them, demo accounts to sign in
//! with. Deployments never get the accounts (the server refuses them when
//! its public address is not this machine).

use crate::accounts::{self, Password};
use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::Result;
use crate::files::Storage;
use crate::keys::CodeKey;
use crate::library::files::{Upload, upload};
use crate::{documents, orgs};
use domain::Email;
use domain::account::{Role, Viewer};
use domain::audit::Action;
use domain::library::{DAY, ResourceKind};
use domain::organisation::OrganisationForm;

/// The demo administrator's email address (and username).
pub const DEMO_ADMIN: &str = "demo.admin@primarypoint.example";
/// The demo member's email address (and username).
pub const DEMO_MEMBER: &str = "demo.member@primarypoint.example";
/// The password of both demo accounts. Published in the README: these
/// accounts exist only on a local run.
pub const DEMO_PASSWORD: &str = "local demo only, never in production";

/// Creates the demo administrator and a demo practice, subscribed to every
/// service, with one verified member. Does nothing if the demo
/// administrator exists; returns whether it created them.
pub async fn create_accounts(db: &Db, key: &CodeKey) -> Result<bool> {
    let admin = email(DEMO_ADMIN)?;
    if accounts::password_hash_for(db, &admin).await?.is_some() {
        return Ok(false);
    }
    let password = Password::new(DEMO_PASSWORD.to_owned())
        .map_err(|message| crate::Error::on_field("password", &message))?;
    accounts::create_admin(db, &admin, "Dana Demo", &password).await?;
    let practice = OrganisationForm::example("Demo Surgery", "")
        .validate()
        .map_err(crate::Error::Invalid)?;
    let (organisation, _code) = orgs::create(db, key, &Actor::Operator, &practice).await?;
    let services: Vec<(i64,)> = sqlx::query_as("select id from services order by id")
        .fetch_all(db.pool())
        .await?;
    let services: Vec<i64> = services.into_iter().map(|(id,)| id).collect();
    orgs::set_services(db, &Actor::Operator, organisation, &services).await?;
    accounts::create_member(
        db,
        organisation,
        &email(DEMO_MEMBER)?,
        "Morgan Member",
        &password,
    )
    .await?;
    Ok(true)
}

fn email(raw: &str) -> Result<Email> {
    Email::parse(raw).map_err(|error| crate::Error::on_field("email", &error.to_string()))
}

/// What each service's demo resources are about: three topics a service,
/// each with one resource of every kind.
const TOPICS: &[(&str, [&str; 3])] = &[
    (
        "medicines-management",
        [
            "Repeat prescribing",
            "Controlled drugs",
            "Medicines reconciliation",
        ],
    ),
    (
        "information-governance",
        [
            "Data protection",
            "Subject access requests",
            "Records retention",
        ],
    ),
    (
        "hr-and-workforce",
        ["Recruitment", "Sickness absence", "Appraisal"],
    ),
    (
        "finance-and-contracts",
        ["Partnership accounts", "Contract claims", "Petty cash"],
    ),
    (
        "clinical-governance",
        ["Significant events", "Infection prevention", "Chaperoning"],
    ),
    (
        "health-and-safety",
        ["Fire safety", "Lone working", "Sharps injuries"],
    ),
    (
        "it-and-digital",
        [
            "Cyber security",
            "Clinical system access",
            "Online consultation",
        ],
    ),
];

/// A demo resource's title, summary and body.
fn write_up(topic: &str, kind: ResourceKind) -> (String, String, String) {
    let lower = topic.to_lowercase();
    let (title, summary) = match kind {
        ResourceKind::Policy => (
            format!("{topic} policy"),
            format!(
                "The practice's policy on {lower}: what we do, who is responsible and how we check it."
            ),
        ),
        ResourceKind::Procedure => (
            format!("{topic} procedure"),
            format!("Step by step: how staff carry out {lower} day to day."),
        ),
        ResourceKind::Information => (
            format!("{topic}: what practices need to know"),
            format!("A plain-English briefing on {lower}, the law and the standards behind it."),
        ),
        ResourceKind::Toolkit => (
            format!("{topic} toolkit"),
            format!("Checklists, audit tools and examples for {lower}."),
        ),
        ResourceKind::Guidance => (
            format!("{topic} guidance for practice managers"),
            format!("Practical guidance on {lower} for practice managers and partners."),
        ),
        ResourceKind::Template => (
            format!("{topic} record template"),
            format!("A template to record {lower}, ready to adapt to your practice."),
        ),
    };
    let body = format!(
        "## Purpose\n\n\
         This {kind} sets out how the practice approaches {lower}. It reflects current \
         national guidance and what inspectors expect to see.\n\n\
         ## Who it applies to\n\n\
         - GPs, nurses and other clinicians\n\
         - Reception and administrative staff\n\
         - Locums, students and anyone working in the practice\n\n\
         ## Responsibilities\n\n\
         The practice manager keeps this document up to date and makes sure staff have read it. \
         The lead for {lower} answers questions and reviews incidents.\n\n\
         ## Review\n\n\
         Review it every year, or sooner when the law or national guidance changes.\n",
        kind = kind.label().to_lowercase(),
    );
    (title, summary, body)
}

/// Fills an empty library with the demo resources: every demo service gets
/// three of each kind, a few of them due for review. Each policy comes with
/// a PDF and each template with a Word document, uploaded to `storage` as
/// their owner (the text extraction job then indexes them). Needs an
/// administrator to own them, and does nothing when the library has
/// anything in it or no administrator exists yet. Returns how many
/// resources it added.
pub async fn seed_library(db: &Db, storage: &Storage) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    let (existing,): (i64,) = sqlx::query_as("select count(*) from resources")
        .fetch_one(&mut *tx)
        .await?;
    let owner: Option<(i64,)> =
        sqlx::query_as("select id from users where role = 'admin' order by id limit 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (Some((owner,)), 0) = (owner, existing) else {
        return Ok(0);
    };
    let now = clock::now();
    let today = now.div_euclid(DAY) * DAY;
    let mut added = 0_usize;
    let mut attachments = Vec::new();
    for (slug, topics) in TOPICS {
        let service: Option<(i64,)> = sqlx::query_as("select id from services where slug = $1")
            .bind(*slug)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((service,)) = service else { continue };
        for topic in topics {
            for kind in ResourceKind::ALL {
                let (title, summary, body) = write_up(topic, kind);
                // Every ninth is overdue and every thirteenth due within
                // the month; the rest are reviewed within the year.
                let review = match added {
                    n if n % 9 == 4 => today - 12 * DAY,
                    n if n % 13 == 7 => today + 14 * DAY,
                    n => today + (90 + i64::try_from(n % 200).unwrap_or(0)) * DAY,
                };
                // Spread the dates over the last two months, so "what's
                // new" has some and not all.
                let updated = now - i64::try_from(added % 60).unwrap_or(0) * DAY;
                let for_all =
                    kind == ResourceKind::Information && *slug == "information-governance";
                let id = sqlx::query_as(
                    "insert into resources (service_id, kind, title, summary, body_md, tags, owner_id, status, \
                     review_date, published_at, for_all_customers, created_at, updated_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, 'published', $8, $9, $10, $9, $9) returning id",
                )
                .bind(service)
                .bind(kind.as_str())
                .bind(&title)
                .bind(&summary)
                .bind(&body)
                .bind(topic.to_lowercase())
                .bind(owner)
                .bind(review)
                .bind(updated)
                .bind(i64::from(for_all))
                .fetch_one(&mut *tx)
                .await?;
                let (id,): (i64,) = id;
                match kind {
                    ResourceKind::Policy => attachments.push((
                        id,
                        format!("{}.pdf", file_stem(&title)),
                        documents::pdf(&format!("{title}. {summary}")),
                    )),
                    ResourceKind::Template => attachments.push((
                        id,
                        format!("{}.docx", file_stem(&title)),
                        documents::docx(&format!("{title}. {summary}")),
                    )),
                    _ => {}
                }
                added += 1;
            }
        }
    }
    audit::record(
        &mut tx,
        &Actor::System,
        Action::LibraryDemoSeeded,
        None,
        &serde_json::json!({ "resources": added, "files": attachments.len() }),
    )
    .await?;
    tx.commit().await?;
    // The public service pages count what was just published.
    db.content().forget();
    let owner = Viewer {
        id: owner,
        full_name: String::new(),
        email: String::new(),
        role: Role::Admin,
        organisation: None,
        second_factor: true,
    };
    for (resource_id, file_name, bytes) in attachments {
        let body =
            futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::from(bytes))]);
        let upload_to = Upload {
            resource_id,
            file_name: &file_name,
            max_bytes: u64::MAX,
        };
        upload(db, storage, &owner, upload_to, body).await?;
    }
    Ok(added)
}

/// "Fire safety policy" → "fire-safety-policy".
fn file_stem(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}
