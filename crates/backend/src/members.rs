//! People, as administrators manage them: the member list across
//! organisations, one person's record, and the changes an administrator
//! makes to an account (send the confirmation email again, suspend,
//! reinstate, delete, remove a lost second factor, change the role).
//!
//! Administrators only: anyone else gets [`Error::NotFound`], as if there
//! were nobody here. Every change is checked against the account as stored
//! in the same transaction that makes it, and audited there.

use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::keys::Keys;
use crate::library::{admin_only, require_admin};
use crate::sql::{Sql, escape_like};
use crate::{auth, mail, mfa, sessions};
use domain::Email;
use domain::account::{Role, Viewer};
use domain::audit::Action;
use domain::members::{
    MEMBERS_PAGE_SIZE, MemberDetail, MemberPage, MemberQuery, MemberRow, MemberStatus, RoleChange,
};
use domain::site::SiteInfo;
use sqlx::{Any, Transaction};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    full_name: String,
    email: String,
    role: String,
    organisation: Option<String>,
    organisation_id: Option<i64>,
    email_verified_at: Option<i64>,
    suspended_at: Option<i64>,
    suspension_reason: Option<String>,
    last_sign_in_at: Option<i64>,
    totp_enabled_at: Option<i64>,
    created_at: i64,
}

const COLUMNS: &str = "select u.id, u.full_name, u.email, u.role, o.name as organisation, \
     u.organisation_id, u.email_verified_at, u.suspended_at, u.suspension_reason, \
     u.last_sign_in_at, u.totp_enabled_at, u.created_at \
     from users u left join organisations o on o.id = u.organisation_id";

/// The one account `id`.
fn by_id(id: i64) -> Sql {
    let mut sql = Sql::new();
    sql.push(COLUMNS).push(" where u.id = ").bind(id);
    sql
}

impl Row {
    /// A role this build does not know is an error, never a guess.
    fn role(&self) -> Result<Role> {
        Role::parse(&self.role).ok_or_else(|| Error::Unreadable {
            column: "users.role",
            value: self.role.clone(),
        })
    }

    fn into_row(self) -> Result<MemberRow> {
        Ok(MemberRow {
            role: self.role()?,
            status: MemberStatus::of(self.email_verified_at, self.suspended_at),
            id: self.id,
            full_name: self.full_name,
            email: self.email,
            organisation: self.organisation,
            last_sign_in_at: self.last_sign_in_at,
        })
    }
}

/// One page of people matching `query`, by name. Administrators only.
pub async fn list(db: &Db, viewer: &Viewer, query: &MemberQuery) -> Result<MemberPage> {
    admin_only(db, viewer).await?;
    let conditions = |sql: &mut Sql| {
        if let Some(q) = &query.q {
            let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
            sql.push(" and (lower(u.full_name) like ")
                .bind(pattern.clone())
                .push(" escape '\\' or u.email like ")
                .bind(pattern)
                .push(" escape '\\')");
        }
        if let Some(organisation) = query.organisation {
            sql.push(" and u.organisation_id = ").bind(organisation);
        }
        if let Some(role) = query.role {
            sql.push(" and u.role = ").bind(role.as_str());
        }
        sql.push(match query.status {
            None => "",
            Some(MemberStatus::Unverified) => {
                " and u.email_verified_at is null and u.suspended_at is null"
            }
            Some(MemberStatus::Active) => {
                " and u.email_verified_at is not null and u.suspended_at is null"
            }
            Some(MemberStatus::Suspended) => " and u.suspended_at is not null",
        });
    };
    let mut count = Sql::new();
    count.push("select count(*) from users u where 1 = 1");
    conditions(&mut count);
    let (total,): (i64,) = count.query_as().fetch_one(db.pool()).await?;
    let mut sql = Sql::new();
    sql.push(COLUMNS).push(" where 1 = 1");
    conditions(&mut sql);
    sql.push(" order by lower(u.full_name), u.id limit ")
        .bind(MEMBERS_PAGE_SIZE)
        .push(" offset ")
        .bind(query.offset());
    let rows: Vec<Row> = sql.query_as().fetch_all(db.pool()).await?;
    let rows = rows.into_iter().map(Row::into_row).collect::<Result<_>>()?;
    Ok(MemberPage::new(
        rows,
        total,
        query.page(),
        MEMBERS_PAGE_SIZE,
    ))
}

/// The organisations people belong to, as `(id, name)` by name, for the
/// list's filter. Administrators only.
pub async fn organisations(db: &Db, viewer: &Viewer) -> Result<Vec<(i64, String)>> {
    admin_only(db, viewer).await?;
    Ok(
        sqlx::query_as("select id, name from organisations order by lower(name), id")
            .fetch_all(db.pool())
            .await?,
    )
}

/// One person's record. Administrators only.
pub async fn detail(db: &Db, viewer: &Viewer, id: i64) -> Result<MemberDetail> {
    admin_only(db, viewer).await?;
    let row: Option<Row> = by_id(id).query_as().fetch_optional(db.pool()).await?;
    let row = row.ok_or(Error::NotFound)?;
    Ok(MemberDetail {
        organisation_id: row.organisation_id,
        second_factor: row.totp_enabled_at.is_some(),
        registered_at: row.created_at,
        verified_at: row.email_verified_at,
        suspended_at: row.suspended_at,
        suspension_reason: row.suspension_reason.clone(),
        is_you: row.id == viewer.id,
        row: row.into_row()?,
    })
}

/// The account an administrator is changing, read in the change's
/// transaction, and the administrator as the audit trail names them.
async fn target(
    tx: &mut Transaction<'static, Any>,
    viewer: &Viewer,
    id: i64,
) -> Result<(Actor, Row)> {
    let actor = require_admin(tx, viewer).await?;
    let row: Option<Row> = by_id(id).query_as().fetch_optional(&mut **tx).await?;
    Ok((actor, row.ok_or(Error::NotFound)?))
}

/// Refuses a change an administrator may not make to their own account
/// (they would lock themselves out, or leave nobody to undo it).
fn not_yourself(viewer: &Viewer, row: &Row, field: &str, message: &str) -> Result<()> {
    if row.id == viewer.id {
        Err(Error::on_field(field, message))
    } else {
        Ok(())
    }
}

fn subject(id: i64) -> String {
    format!("user:{id}")
}

/// Emails a new confirmation link to someone who registered but has not
/// confirmed their address; earlier links stop working.
pub async fn resend_verification(db: &Db, viewer: &Viewer, site: &SiteInfo, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (actor, row) = target(&mut tx, viewer, id).await?;
    if MemberStatus::of(row.email_verified_at, row.suspended_at) != MemberStatus::Unverified {
        return Err(Error::on_field(
            "resend",
            "Only an account whose email address is not confirmed can be sent the link again",
        ));
    }
    let email = Email::parse(&row.email)
        .map_err(|_| Error::on_field("resend", "This account's email address is not valid"))?;
    sqlx::query(
        "delete from email_tokens where user_id = $1 and purpose = 'verify' and used_at is null",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if !auth::send_verification(&mut tx, site, id, &email).await? {
        return Err(Error::on_field(
            "resend",
            "This address has been sent enough confirmation emails today. Try again tomorrow",
        ));
    }
    audit::record(
        &mut tx,
        &actor,
        Action::AccountVerificationResent,
        Some(&subject(id)),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Suspends an account: every session ends at once, sign-in is refused
/// and the library shows it nothing until it is reinstated.
pub async fn suspend(db: &Db, viewer: &Viewer, id: i64, reason: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (actor, row) = target(&mut tx, viewer, id).await?;
    not_yourself(
        viewer,
        &row,
        "reason",
        "You cannot suspend your own account",
    )?;
    let now = clock::now();
    let suspended = sqlx::query(
        "update users set suspended_at = $1, suspension_reason = $2, updated_at = $1 \
         where id = $3 and suspended_at is null",
    )
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if suspended != 1 {
        return Err(Error::on_field(
            "reason",
            "This account is already suspended",
        ));
    }
    sessions::end_all(&mut tx, id, None).await?;
    audit::record(
        &mut tx,
        &actor,
        Action::AccountSuspended,
        Some(&subject(id)),
        &serde_json::json!({ "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Lifts a suspension: the person may sign in again.
pub async fn reinstate(db: &Db, viewer: &Viewer, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (actor, _) = target(&mut tx, viewer, id).await?;
    let reinstated = sqlx::query(
        "update users set suspended_at = null, suspension_reason = null, updated_at = $1 \
         where id = $2 and suspended_at is not null",
    )
    .bind(clock::now())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if reinstated != 1 {
        return Err(Error::on_field(
            "reinstate",
            "This account is not suspended",
        ));
    }
    audit::record(
        &mut tx,
        &actor,
        Action::AccountReinstated,
        Some(&subject(id)),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an account, as its owner erasing it would
/// ([`crate::mydata::erase_in`]): with its sessions, links, second factor,
/// saved resources and messages. The audit trail keeps its events under
/// the account's number; the deletion is recorded without the person's
/// name or address.
pub async fn delete(db: &Db, viewer: &Viewer, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (actor, row) = target(&mut tx, viewer, id).await?;
    not_yourself(
        viewer,
        &row,
        "confirm",
        "You cannot delete your own account",
    )?;
    let erased = crate::mydata::erase_in(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &actor,
        Action::AccountDeleted,
        Some(&subject(id)),
        &serde_json::json!({ "role": erased.role, "organisation_id": erased.organisation_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the second factor of someone who has lost their app and their
/// recovery codes; every session of theirs ends and they are told by email.
pub async fn reset_second_factor(db: &Db, viewer: &Viewer, site: &SiteInfo, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (actor, row) = target(&mut tx, viewer, id).await?;
    not_yourself(
        viewer,
        &row,
        "second_factor",
        "You cannot remove your own second factor here: ask another administrator",
    )?;
    if !mfa::remove_in(&mut tx, site, &actor, id).await? {
        return Err(Error::on_field(
            "second_factor",
            "This account has no second factor to remove",
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// Makes someone a member or an administrator. Making an administrator
/// needs the acting administrator's current authenticator code, checked
/// and spent before anything changes. The person's sessions end (a new
/// administrator sets up a second factor at their next sign-in) and they
/// are told by email.
pub async fn change_role(
    db: &Db,
    keys: &Keys,
    site: &SiteInfo,
    viewer: &Viewer,
    id: i64,
    change: &RoleChange,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (_, row) = target(&mut tx, viewer, id).await?;
    let from = check_role_change(viewer, &row, change.role)?;
    tx.rollback().await?;
    if change.role == Role::Admin {
        let code = change.code.as_deref().unwrap_or_default();
        mfa::confirm(db, keys, &site.product_name, viewer, code).await?;
    }

    let mut tx = db.begin_write().await?;
    let (actor, row) = target(&mut tx, viewer, id).await?;
    check_role_change(viewer, &row, change.role)?;
    sqlx::query("update users set role = $1, updated_at = $2 where id = $3 and role = $4")
        .bind(change.role.as_str())
        .bind(clock::now())
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
    sessions::end_all(&mut tx, id, None).await?;
    if let Ok(to) = Email::parse(&row.email) {
        let (subject_line, what) = match change.role {
            Role::Admin => (
                format!("You are now a {} administrator", site.product_name),
                "You are now an administrator. Sign in again; you will be asked to set up an \
                 authenticator app before you can use the administrators' pages.",
            ),
            Role::Member => (
                format!("You are no longer a {} administrator", site.product_name),
                "You are now a member: the administrators' pages are closed to you. Sign in \
                 again to use the portal.",
            ),
        };
        mail::enqueue(
            &mut tx,
            &to,
            &subject_line,
            &format!(
                "{what}\n\n{url}/login\n\nIf you did not expect this, tell us: {contact}\n",
                url = site.public_url,
                contact = site.contact_email,
            ),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &actor,
        Action::AccountRoleChanged,
        Some(&subject(id)),
        &serde_json::json!({ "from": from.as_str(), "to": change.role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The account's current role, if it may become `to`.
fn check_role_change(viewer: &Viewer, row: &Row, to: Role) -> Result<Role> {
    not_yourself(viewer, row, "role", "You cannot change your own role")?;
    let from = row.role()?;
    match (from, to) {
        (from, to) if from == to => Err(Error::on_field(
            "role",
            match to {
                Role::Admin => "They are already an administrator",
                Role::Member => "They are already a member",
            },
        )),
        (_, Role::Member) if row.organisation_id.is_none() => Err(Error::on_field(
            "role",
            "This administrator belongs to no organisation, so cannot become a member",
        )),
        (_, Role::Admin) if row.email_verified_at.is_none() || row.suspended_at.is_some() => {
            Err(Error::on_field(
                "role",
                "Only an active account, with its email address confirmed, can become an administrator",
            ))
        }
        (from, _) => Ok(from),
    }
}
