//! Who may see which resource: the one rule every library query is built on.
//!
//! A [`Scope`] is read from the database for the person asking (never taken
//! from what a session or form claims), and [`Scope::select`] is the only
//! way this module starts a query over resources, so no list, count, search,
//! detail or download lookup can leave the rule out.

use crate::error::{Error, Result};
pub(crate) use crate::sql::Sql;
use domain::account::Role;
use domain::organisation::OrgStatus;
use sqlx::{Any, Executor};

/// What one person may see of the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scope {
    viewer: i64,
    sees: Sees,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sees {
    /// An administrator: every resource, whatever its status.
    Everything,
    /// A member of an active organisation: published resources of the
    /// services it subscribes to, and those for all customers.
    Subscribed { organisation_id: i64 },
    /// Anyone else (a suspended account, a member of a suspended or ended
    /// organisation, a member with no organisation, an account that no
    /// longer exists).
    Nothing,
    /// Nobody in particular: published resources, for the public
    /// catalogue's counts. Never used to show a resource.
    Catalogue,
}

impl Scope {
    /// The scope of user `viewer`, from their account and organisation as
    /// stored now. A role or status this build does not know is an error,
    /// never a guess.
    pub(crate) async fn of<'e>(
        executor: impl Executor<'e, Database = Any>,
        viewer: i64,
    ) -> Result<Self> {
        #[derive(sqlx::FromRow)]
        struct Account {
            role: String,
            suspended_at: Option<i64>,
            organisation_id: Option<i64>,
            status: Option<String>,
        }
        let row: Option<Account> = sqlx::query_as(
            "select u.role, u.suspended_at, u.organisation_id, o.status from users u \
             left join organisations o on o.id = u.organisation_id where u.id = $1",
        )
        .bind(viewer)
        .fetch_optional(executor)
        .await?;
        let sees = match row {
            None => Sees::Nothing,
            Some(Account {
                role,
                suspended_at,
                organisation_id,
                status,
            }) => {
                let role = Role::parse(&role).ok_or_else(|| Error::Unreadable {
                    column: "users.role",
                    value: role.clone(),
                })?;
                let status = status
                    .map(|raw| {
                        OrgStatus::parse(&raw).ok_or(Error::Unreadable {
                            column: "organisations.status",
                            value: raw,
                        })
                    })
                    .transpose()?;
                match (role, organisation_id, status) {
                    _ if suspended_at.is_some() => Sees::Nothing,
                    (Role::Admin, _, _) => Sees::Everything,
                    (Role::Member, Some(organisation_id), Some(OrgStatus::Active)) => {
                        Sees::Subscribed { organisation_id }
                    }
                    (Role::Member, _, _) => Sees::Nothing,
                }
            }
        };
        Ok(Self { viewer, sees })
    }

    /// The scope of the public catalogue's counts ("34 policies"): what
    /// is published, whoever may read it. Counts only, never resources.
    pub(crate) fn catalogue() -> Self {
        Self {
            viewer: 0,
            sees: Sees::Catalogue,
        }
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.sees == Sees::Everything
    }

    /// Appends `select {columns} from {from} … where <visibility>` to `sql`.
    /// `from` must name the resources table `r`, with whatever else the
    /// columns need joined; with `bookmarks`, the viewer's bookmark (if
    /// any) is joined as `b`. Callers add their own conditions with
    /// `and …`.
    pub(crate) fn select(
        &self,
        sql: &mut Sql,
        columns: &'static str,
        from: &'static str,
        bookmarks: bool,
    ) {
        self.select_with(
            sql,
            |sql| {
                sql.push(columns);
            },
            from,
            bookmarks,
        );
    }

    /// As [`Scope::select`], with columns that need values of their own.
    pub(crate) fn select_with(
        &self,
        sql: &mut Sql,
        columns: impl FnOnce(&mut Sql),
        from: &'static str,
        bookmarks: bool,
    ) {
        sql.push("select ");
        columns(sql);
        sql.push(" from ").push(from);
        if bookmarks {
            sql.push(" left join bookmarks b on b.resource_id = r.id and b.user_id = ")
                .bind(self.viewer);
        }
        sql.push(" where ");
        match self.sees {
            Sees::Everything => {
                sql.push("1 = 1");
            }
            Sees::Nothing => {
                sql.push("1 = 0");
            }
            Sees::Catalogue => {
                sql.push("r.status = 'published'");
            }
            Sees::Subscribed { organisation_id } => {
                // The organisation is checked again here, in the same
                // statement, so a suspension takes effect at once.
                sql.push("r.status = 'published' and exists (select 1 from organisations o where o.id = ")
                    .bind(organisation_id)
                    .push(" and o.status = 'active') and (r.for_all_customers = 1 or exists (select 1 from organisation_services os where os.organisation_id = ")
                    .bind(organisation_id)
                    .push(" and os.service_id = r.service_id))");
            }
        }
    }
}
