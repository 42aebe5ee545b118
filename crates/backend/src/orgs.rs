//! Customer organisations and their authorisation codes (P1, P2).
//!
//! A code is shown once, when it is made; the database keeps only its
//! HMAC-SHA256 under a key derived from the server's secret
//! ([`CodeKey`]), so a dump of it admits nobody.

use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result, Unique};
use crate::keys::CodeKey;
use crate::sql::escape_like;
use domain::audit::Action;
use domain::authcode::{AuthCode, RANDOM_BYTES};
use domain::library::long_date as date;
use domain::organisation::{OrgStatus, Organisation};
use domain::{Email, FieldErrors};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// A fresh code from the operating system's CSPRNG.
pub fn new_code() -> AuthCode {
    let mut bytes = [0u8; RANDOM_BYTES];
    rand::fill(&mut bytes);
    AuthCode::from_random(bytes)
}

/// Creates an organisation and its first code, returning the code so the
/// administrator can be shown it once.
pub async fn create(
    db: &Db,
    key: &CodeKey,
    actor: &Actor,
    org: &Organisation,
) -> Result<(i64, AuthCode)> {
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    let (id,): (i64,) = sqlx::query_as(
        "insert into organisations (name, ods_code, address_line1, address_line2, town, postcode, telephone, email, \
         website, status, status_changed_at, status_reason, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, 'created', $10, $10) returning id",
    )
    .bind(&org.name)
    .bind(org.ods_code.as_deref())
    .bind(&org.address_line1)
    .bind(org.address_line2.as_deref())
    .bind(&org.town)
    .bind(&org.postcode)
    .bind(&org.telephone)
    .bind(org.email.as_str())
    .bind(org.website.as_deref())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(Error::from)
    .map_err(|e| e.on_unique(Unique::OrganisationOdsCode, "ods_code", "Another organisation already has this ODS code"))?;
    write_children(&mut tx, id, org, now).await?;
    let code = issue_code(&mut tx, key, id, now).await?;
    audit::record(
        &mut tx,
        actor,
        Action::OrganisationCreated,
        Some(&format!("organisation:{id}")),
        &Snapshot::of(org, OrgStatus::Active),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Action::CodeIssued,
        Some(&format!("organisation:{id}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok((id, code))
}

/// Replaces an organisation's record (not its status or code).
pub async fn update(db: &Db, actor: &Actor, id: i64, org: &Organisation) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    let now = clock::now();
    sqlx::query(
        "update organisations set name = $1, ods_code = $2, address_line1 = $3, address_line2 = $4, town = $5, \
         postcode = $6, telephone = $7, email = $8, website = $9, updated_at = $10 where id = $11",
    )
    .bind(&org.name)
    .bind(org.ods_code.as_deref())
    .bind(&org.address_line1)
    .bind(org.address_line2.as_deref())
    .bind(&org.town)
    .bind(&org.postcode)
    .bind(&org.telephone)
    .bind(org.email.as_str())
    .bind(org.website.as_deref())
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(Error::from)
    .map_err(|e| e.on_unique(Unique::OrganisationOdsCode, "ods_code", "Another organisation already has this ODS code"))?;
    sqlx::query("delete from organisation_contacts where organisation_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from organisation_domains where organisation_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    write_children(&mut tx, id, org, now).await?;
    let after = Snapshot::of(org, before.status);
    audit::record(
        &mut tx,
        actor,
        Action::OrganisationUpdated,
        Some(&format!("organisation:{id}")),
        &serde_json::json!({ "before": before, "after": after }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn write_children(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    org: &Organisation,
    now: i64,
) -> Result<()> {
    for (position, contact) in org.contacts.iter().enumerate() {
        sqlx::query(
            "insert into organisation_contacts (organisation_id, position, name, role, email, telephone, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&contact.name)
        .bind(&contact.role)
        .bind(contact.email.as_str())
        .bind(contact.telephone.as_deref())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    for domain in &org.email_domains {
        let (shared,): (i64,) =
            sqlx::query_as("select count(*) from shared_domains where domain = $1")
                .bind(domain)
                .fetch_one(&mut **tx)
                .await?;
        sqlx::query(
            "insert into organisation_domains (organisation_id, domain, exclusive, created_at, updated_at) \
             values ($1, $2, $3, $4, $4)",
        )
        .bind(id)
        .bind(domain)
        .bind(i64::from(shared == 0))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(Error::from)
        .map_err(|e| {
            e.on_unique(
                Unique::OrganisationDomain,
                "email_domains",
                &format!("{domain} is already used by another organisation. Ask for it to be marked as shared if several organisations use it."),
            )
        })?;
    }
    Ok(())
}

/// What the audit trail records of an organisation: its commercial details.
#[derive(Clone, Debug, Serialize)]
struct Snapshot {
    name: String,
    ods_code: Option<String>,
    postcode: String,
    email: String,
    status: &'static str,
    email_domains: Vec<String>,
}

impl Snapshot {
    fn of(org: &Organisation, status: OrgStatus) -> Self {
        Self {
            name: org.name.clone(),
            ods_code: org.ods_code.clone(),
            postcode: org.postcode.clone(),
            email: org.email.as_str().to_owned(),
            status: status.as_str(),
            email_domains: org.email_domains.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct Stored {
    name: String,
    ods_code: Option<String>,
    postcode: String,
    email: String,
    #[serde(skip)]
    status: OrgStatus,
}

async fn load(tx: &mut Transaction<'static, Any>, id: i64) -> Result<Stored> {
    let row: Option<(String, Option<String>, String, String, String)> = sqlx::query_as(
        "select name, ods_code, postcode, email, status from organisations where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let (name, ods_code, postcode, email, status) = row.ok_or(Error::NotFound)?;
    Ok(Stored {
        name,
        ods_code,
        postcode,
        email,
        status: stored_status(&status)?,
    })
}

/// A stored status, or an error: an unknown value is never guessed at.
fn stored_status(raw: &str) -> Result<OrgStatus> {
    OrgStatus::parse(raw).ok_or_else(|| Error::Unreadable {
        column: "organisations.status",
        value: raw.to_owned(),
    })
}

/// Moves an organisation to `status`, recording the reason.
pub async fn change_status(
    db: &Db,
    actor: &Actor,
    id: i64,
    status: OrgStatus,
    reason: &str,
) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("reason", "Enter the reason for the change");
        return Err(Error::Invalid(errors));
    }
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    let now = clock::now();
    sqlx::query("update organisations set status = $1, status_changed_at = $2, status_reason = $3, updated_at = $2 where id = $4")
        .bind(status.as_str())
        .bind(now)
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into organisation_status_changes (organisation_id, status, reason, actor, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(reason)
    .bind(actor.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Action::OrganisationStatusChanged,
        Some(&format!("organisation:{id}")),
        &serde_json::json!({ "before": before.status.as_str(), "after": status.as_str(), "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn issue_code(
    tx: &mut Transaction<'static, Any>,
    key: &CodeKey,
    org: i64,
    now: i64,
) -> Result<AuthCode> {
    let code = new_code();
    sqlx::query(
        "insert into authorisation_codes (organisation_id, code_hash, created_at, updated_at) values ($1, $2, $3, $3)",
    )
    .bind(org)
    .bind(key.hash(code.compact()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(code)
}

/// Replaces the live code: the old one stops working at once. Limits
/// (expiry, maximum uses) carry over to the new code.
pub async fn rotate_code(db: &Db, key: &CodeKey, actor: &Actor, org: i64) -> Result<AuthCode> {
    let mut tx = db.begin_write().await?;
    load(&mut tx, org).await?;
    let now = clock::now();
    let limits: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("select expires_at, max_uses from authorisation_codes where organisation_id = $1 and revoked_at is null")
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query("update authorisation_codes set revoked_at = $1, updated_at = $1 where organisation_id = $2 and revoked_at is null")
        .bind(now)
        .bind(org)
        .execute(&mut *tx)
        .await?;
    let code = issue_code(&mut tx, key, org, now).await?;
    if let Some((expires_at, max_uses)) = limits {
        sqlx::query("update authorisation_codes set expires_at = $1, max_uses = $2 where organisation_id = $3 and revoked_at is null")
            .bind(expires_at)
            .bind(max_uses)
            .bind(org)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Action::CodeRotated,
        Some(&format!("organisation:{org}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// Withdraws the live code without issuing another.
pub async fn revoke_code(db: &Db, actor: &Actor, org: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    load(&mut tx, org).await?;
    let now = clock::now();
    let done = sqlx::query("update authorisation_codes set revoked_at = $1, updated_at = $1 where organisation_id = $2 and revoked_at is null")
        .bind(now)
        .bind(org)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Action::CodeRevoked,
        Some(&format!("organisation:{org}")),
        &serde_json::json!({ "had_live_code": done.rows_affected() > 0 }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets (or clears) the live code's expiry (Unix seconds) and maximum
/// number of registrations.
pub async fn set_code_limits(
    db: &Db,
    actor: &Actor,
    org: i64,
    expires_at: Option<i64>,
    max_uses: Option<i64>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "update authorisation_codes set expires_at = $1, max_uses = $2, updated_at = $3 where organisation_id = $4 and revoked_at is null",
    )
    .bind(expires_at)
    .bind(max_uses)
    .bind(clock::now())
    .bind(org)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        actor,
        Action::CodeLimitsChanged,
        Some(&format!("organisation:{org}")),
        &serde_json::json!({ "expires_at": expires_at, "max_uses": max_uses }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LiveCode {
    id: i64,
    organisation_id: i64,
    expires_at: Option<i64>,
    max_uses: Option<i64>,
    uses: i64,
    status: String,
}

/// Why a code was refused. People are shown one plain message whatever
/// the reason; the reason goes to the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeRefusal {
    Unknown,
    Expired,
    UsedUp,
    OrganisationInactive,
    DomainNotAllowed,
}

/// Checks that `code` admits a registration for `email` and counts the use,
/// inside the registration's transaction. Returns the organisation's id,
/// which is never shown to the person who typed the code.
pub async fn redeem_code(
    tx: &mut Transaction<'static, Any>,
    key: &CodeKey,
    code: &AuthCode,
    email: &Email,
) -> Result<std::result::Result<i64, CodeRefusal>> {
    Ok(match check_code(tx, key, code, email).await? {
        Ok(admitted) => count_code_use(tx, &admitted)
            .await?
            .map(|()| admitted.organisation_id),
        Err(refusal) => Err(refusal),
    })
}

/// A code that admits a registration, not yet counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub organisation_id: i64,
    code_id: i64,
}

/// Checks that `code` admits a registration for `email` without counting
/// the use (see [`count_code_use`]).
pub async fn check_code(
    tx: &mut Transaction<'static, Any>,
    key: &CodeKey,
    code: &AuthCode,
    email: &Email,
) -> Result<std::result::Result<Admitted, CodeRefusal>> {
    let now = clock::now();
    let row: Option<LiveCode> = sqlx::query_as(
        "select c.id, c.organisation_id, c.expires_at, c.max_uses, c.uses, o.status \
         from authorisation_codes c join organisations o on o.id = c.organisation_id \
         where c.code_hash = $1 and c.revoked_at is null",
    )
    .bind(key.hash(code.compact()))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(LiveCode {
        id: code_id,
        organisation_id,
        expires_at,
        max_uses,
        uses,
        status,
    }) = row
    else {
        return Ok(Err(CodeRefusal::Unknown));
    };
    if expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(CodeRefusal::Expired));
    }
    if max_uses.is_some_and(|max| uses >= max) {
        return Ok(Err(CodeRefusal::UsedUp));
    }
    if status != OrgStatus::Active.as_str() {
        return Ok(Err(CodeRefusal::OrganisationInactive));
    }
    if !email_domain_allowed(tx, organisation_id, email).await? {
        return Ok(Err(CodeRefusal::DomainNotAllowed));
    }
    Ok(Ok(Admitted {
        organisation_id,
        code_id,
    }))
}

/// Whether `email` may belong to a member of `organisation`: any address
/// when it lists no domains, otherwise one of its domains.
pub async fn email_domain_allowed(
    tx: &mut Transaction<'static, Any>,
    organisation: i64,
    email: &Email,
) -> Result<bool> {
    let domains: Vec<(String,)> =
        sqlx::query_as("select domain from organisation_domains where organisation_id = $1")
            .bind(organisation)
            .fetch_all(&mut **tx)
            .await?;
    Ok(domains.is_empty() || domains.iter().any(|(d,)| d == email.domain()))
}

/// Counts one registration against the code that admitted it, unless the
/// code has been used up since it was checked. The limit is checked and the
/// use counted in one statement, so concurrent registrations (which wait
/// for each other's row lock on PostgreSQL) can never exceed it.
pub async fn count_code_use(
    tx: &mut Transaction<'static, Any>,
    admitted: &Admitted,
) -> Result<std::result::Result<(), CodeRefusal>> {
    let counted = sqlx::query(
        "update authorisation_codes set uses = uses + 1, updated_at = $1 \
         where id = $2 and (max_uses is null or uses < max_uses)",
    )
    .bind(clock::now())
    .bind(admitted.code_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if counted == 1 {
        Ok(())
    } else {
        Err(CodeRefusal::UsedUp)
    })
}

/// Marks a domain as shared by many organisations (such as nhs.net), so
/// that more than one may list it.
pub async fn mark_domain_shared(db: &Db, actor: &Actor, domain: &str) -> Result<()> {
    let domain = domain::organisation::parse_email_domain(domain).map_err(|message| {
        let mut errors = FieldErrors::new();
        errors.add("domain", message);
        Error::Invalid(errors)
    })?;
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    sqlx::query("insert into shared_domains (domain, created_at, updated_at) values ($1, $2, $2) on conflict (domain) do nothing")
        .bind(&domain)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update organisation_domains set exclusive = 0, updated_at = $1 where domain = $2")
        .bind(now)
        .bind(&domain)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Action::DomainMarkedShared,
        Some(&format!("domain:{domain}")),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One row of the organisations list.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OrgSummary {
    pub id: i64,
    pub name: String,
    pub ods_code: Option<String>,
    pub postcode: String,
    pub status: String,
}

/// Organisations whose name, ODS code or postcode contain `query`
/// (ignoring case), optionally of one status, a page at a time.
pub async fn search(
    db: &Db,
    query: &str,
    status: Option<OrgStatus>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<OrgSummary>, i64)> {
    let pattern = format!("%{}%", escape_like(&query.trim().to_lowercase()));
    let compact = format!(
        "%{}%",
        escape_like(&query.trim().to_uppercase().replace(' ', ""))
    );
    let status = status.map(OrgStatus::as_str);
    let filter = "(lower(name) like $1 escape '\\' or upper(coalesce(ods_code, '')) like $2 escape '\\' \
                  or replace(postcode, ' ', '') like $2 escape '\\') \
                  and ($3 is null or status = $3)";
    let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select count(*) from organisations where {filter}"
    )))
    .bind(&pattern)
    .bind(&compact)
    .bind(status)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select id, name, ods_code, postcode, status from organisations where {filter} \
         order by lower(name), id limit $4 offset $5"
    )))
    .bind(&pattern)
    .bind(&compact)
    .bind(status)
    .bind(per_page)
    .bind((page.max(1) - 1) * per_page)
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}

/// A page of the organisation list for administrators.
pub async fn list(
    db: &Db,
    query: &str,
    status: Option<OrgStatus>,
    page: i64,
) -> Result<domain::organisation::OrganisationPage> {
    const PER_PAGE: i64 = 20;
    let page = page.max(1);
    let (rows, total) = search(db, query, status, page, PER_PAGE).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            Ok(domain::organisation::OrganisationRow {
                status: stored_status(&r.status)?,
                id: r.id,
                name: r.name,
                ods_code: r.ods_code,
                postcode: r.postcode,
            })
        })
        .collect::<Result<_>>()?;
    Ok(domain::organisation::OrganisationPage::new(
        rows, total, page, PER_PAGE,
    ))
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    name: String,
    ods_code: Option<String>,
    address_line1: String,
    address_line2: Option<String>,
    town: String,
    postcode: String,
    telephone: String,
    email: String,
    website: Option<String>,
    status: String,
}

/// Everything an administrator sees about organisation `id`.
pub async fn detail(db: &Db, id: i64) -> Result<domain::organisation::OrganisationDetail> {
    use domain::organisation::{
        CodeInfo, OrganisationDetail, OrganisationForm, StatusChange, Subscription,
    };
    let row: DetailRow = sqlx::query_as(
        "select name, ods_code, address_line1, address_line2, town, postcode, telephone, email, website, status \
         from organisations where id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(Error::NotFound)?;
    let contacts: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "select name, role, email, telephone from organisation_contacts where organisation_id = $1 order by position",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let domains: Vec<(String,)> = sqlx::query_as(
        "select domain from organisation_domains where organisation_id = $1 order by domain",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let history: Vec<(String, String, i64)> = sqlx::query_as(
        "select status, reason, created_at from organisation_status_changes \
         where organisation_id = $1 order by created_at desc, id desc",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let code: Option<(i64, Option<i64>, Option<i64>, i64)> = sqlx::query_as(
        "select created_at, expires_at, max_uses, uses from authorisation_codes \
         where organisation_id = $1 and revoked_at is null",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let services: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "select s.id, s.name, os.organisation_id from services s \
         left join organisation_services os on os.service_id = s.id and os.organisation_id = $1 \
         order by s.position, s.name",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(OrganisationDetail {
        id,
        status: stored_status(&row.status)?,
        record: {
            let mut contacts = contacts.into_iter();
            let (contact_name, contact_role, contact_email, contact_telephone) =
                contacts.next().unwrap_or_default();
            let (contact2_name, contact2_role, contact2_email, contact2_telephone) =
                contacts.next().unwrap_or_default();
            OrganisationForm {
                name: row.name,
                ods_code: row.ods_code.unwrap_or_default(),
                address_line1: row.address_line1,
                address_line2: row.address_line2.unwrap_or_default(),
                town: row.town,
                postcode: row.postcode,
                telephone: row.telephone,
                email: row.email,
                website: row.website.unwrap_or_default(),
                contact_name,
                contact_role,
                contact_email,
                contact_telephone: contact_telephone.unwrap_or_default(),
                contact2_name,
                contact2_role,
                contact2_email,
                contact2_telephone: contact2_telephone.unwrap_or_default(),
                email_domains: domains
                    .into_iter()
                    .map(|(d,)| d)
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        },
        history: history
            .into_iter()
            .map(|(status, reason, at)| {
                Ok(StatusChange {
                    status: stored_status(&status)?,
                    reason,
                    date: date(at),
                })
            })
            .collect::<Result<_>>()?,
        code: code.map(|(issued, expires, max_uses, uses)| CodeInfo {
            issued: date(issued),
            expires: expires.map(date),
            max_uses,
            uses,
        }),
        services: services
            .into_iter()
            .map(|(service_id, title, subscribed)| Subscription {
                service_id,
                title,
                subscribed: subscribed.is_some(),
            })
            .collect(),
    })
}

/// Sets the services organisation `id` subscribes to.
pub async fn set_services(db: &Db, actor: &Actor, id: i64, services: &[i64]) -> Result<()> {
    let mut tx = db.begin_write().await?;
    load(&mut tx, id).await?;
    let now = clock::now();
    sqlx::query("delete from organisation_services where organisation_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let mut kept = Vec::new();
    for &service in services {
        let inserted = sqlx::query(
            "insert into organisation_services (organisation_id, service_id, created_at, updated_at) \
             select $1, id, $3, $3 from services where id = $2 \
             on conflict do nothing",
        )
        .bind(id)
        .bind(service)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            kept.push(service);
        }
    }
    audit::record(
        &mut tx,
        actor,
        Action::OrganisationServicesChanged,
        Some(&format!("organisation:{id}")),
        &serde_json::json!({ "services": kept }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
