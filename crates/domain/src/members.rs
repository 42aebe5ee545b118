//! The administrators' view of people: the member list and its filters,
//! one person's record, and the forms that change an account.

use crate::account::Role;
use crate::validation::required_text;
use crate::{FieldErrors, lenient};
use serde::{Deserialize, Deserializer, Serialize};

/// The member list.
pub const MEMBERS: &str = "/admin/members";

/// Rows on one page of the member list.
pub const MEMBERS_PAGE_SIZE: i64 = 25;

/// Longest reason for a suspension, in characters.
pub const REASON_MAX: usize = 500;

/// The address of person `id`'s record in the administrators' area.
pub fn member_path(id: i64) -> String {
    format!("{MEMBERS}/{id}")
}

/// Where an account stands. Worked out from what is stored (when the
/// address was confirmed, when it was suspended), so there is no status
/// text that could be unreadable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Registered; the email address is not confirmed yet.
    Unverified,
    /// Confirmed and not suspended: may sign in.
    Active,
    /// Suspended by an administrator: signs nobody in, sees nothing.
    Suspended,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 3] = [
        MemberStatus::Unverified,
        MemberStatus::Active,
        MemberStatus::Suspended,
    ];

    /// The status of an account confirmed at `verified_at` and suspended at
    /// `suspended_at` (either may be absent).
    pub fn of(verified_at: Option<i64>, suspended_at: Option<i64>) -> Self {
        match (verified_at, suspended_at) {
            (_, Some(_)) => MemberStatus::Suspended,
            (None, None) => MemberStatus::Unverified,
            (Some(_), None) => MemberStatus::Active,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Unverified => "unverified",
            MemberStatus::Active => "active",
            MemberStatus::Suspended => "suspended",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberStatus::Unverified => "Email not confirmed",
            MemberStatus::Active => "Active",
            MemberStatus::Suspended => "Suspended",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// The member list's filters, read leniently from a query string: blank
/// or unknown values mean "any", a bad page is page 1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberQuery {
    /// Part of a name or email address.
    #[serde(
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub q: Option<String>,
    #[serde(
        deserialize_with = "lenient::id",
        skip_serializing_if = "Option::is_none"
    )]
    pub organisation: Option<i64>,
    #[serde(
        deserialize_with = "lenient_status",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<MemberStatus>,
    #[serde(
        deserialize_with = "lenient_role",
        skip_serializing_if = "Option::is_none"
    )]
    pub role: Option<Role>,
    #[serde(deserialize_with = "lenient::page")]
    pub page: i64,
}

fn lenient_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MemberStatus>, D::Error> {
    Ok(lenient::text(d)?.and_then(|raw| MemberStatus::parse(&raw)))
}

fn lenient_role<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Role>, D::Error> {
    Ok(lenient::text(d)?.and_then(|raw| Role::parse(&raw)))
}

impl MemberQuery {
    /// The page asked for, at least 1 and small enough that its offset
    /// cannot overflow.
    pub fn page(&self) -> i64 {
        self.page.clamp(1, 1_000_000)
    }

    /// How many rows come before this page.
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * MEMBERS_PAGE_SIZE
    }
}

/// One person in the member list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: i64,
    pub full_name: String,
    pub email: String,
    pub role: Role,
    pub organisation: Option<String>,
    pub status: MemberStatus,
    pub last_sign_in_at: Option<i64>,
}

/// One page of the member list.
pub type MemberPage = crate::paging::Paged<MemberRow>;

/// One person's record, as an administrator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub row: MemberRow,
    pub organisation_id: Option<i64>,
    /// Whether an authenticator app is set up.
    pub second_factor: bool,
    pub registered_at: i64,
    pub verified_at: Option<i64>,
    pub suspended_at: Option<i64>,
    /// Why, as the administrator who suspended the account wrote it.
    pub suspension_reason: Option<String>,
    /// Whether this is the administrator looking at it (who may not
    /// suspend, delete or change the role of their own account).
    pub is_you: bool,
}

/// Suspending an account: why, for the record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SuspendForm {
    pub reason: String,
}

impl SuspendForm {
    pub fn validate(&self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = errors.check(
            "reason",
            required_text(&self.reason, "why the account is suspended", REASON_MAX),
        );
        errors.into_result(|| reason.unwrap_or_default())
    }
}

/// Changing someone's role. Making someone an administrator needs the
/// acting administrator's current code from their authenticator app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub role: String,
    /// The acting administrator's authenticator code.
    pub code: String,
}

/// A role change that passed the form's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleChange {
    pub role: Role,
    /// The code, digits only; present whenever `role` is administrator.
    pub code: Option<String>,
}

/// Shown on the code field when promoting without one.
pub const CODE_NEEDED: &str =
    "Enter the 6-digit code from your authenticator app to make someone an administrator";

impl RoleForm {
    pub fn validate(&self) -> Result<RoleChange, FieldErrors> {
        let mut errors = FieldErrors::new();
        let role = Role::parse(self.role.trim());
        if role.is_none() {
            errors.add("role", "Choose member or administrator");
        }
        let digits: String = self.code.chars().filter(char::is_ascii_digit).collect();
        let code = (!digits.is_empty()).then_some(digits);
        if role == Some(Role::Admin) && code.is_none() {
            errors.add("code", CODE_NEEDED);
        }
        errors.into_result(|| RoleChange {
            role: role.unwrap_or(Role::Member),
            code,
        })
    }
}

/// Deleting an account: the administrator ticks a box to confirm.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    #[serde(deserialize_with = "lenient::checkbox")]
    pub confirm: bool,
}

impl DeleteForm {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !self.confirm {
            errors.add(
                "confirm",
                "Tick the box to confirm the account is to be deleted",
            );
        }
        errors.into_result(|| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, None, MemberStatus::Unverified)]
    #[case(Some(1), None, MemberStatus::Active)]
    #[case(Some(1), Some(2), MemberStatus::Suspended)]
    #[case(None, Some(2), MemberStatus::Suspended)]
    fn status_follows_what_is_stored(
        #[case] verified: Option<i64>,
        #[case] suspended: Option<i64>,
        #[case] status: MemberStatus,
    ) {
        assert_eq!(MemberStatus::of(verified, suspended), status);
        assert_eq!(MemberStatus::parse(status.as_str()), Some(status));
    }

    #[test]
    fn the_query_ignores_what_it_cannot_read() {
        let query: MemberQuery =
            serde_urlencoded::from_str("q=+sam+&organisation=x&status=gone&role=admin&page=-4")
                .expect("lenient");
        assert_eq!(
            query,
            MemberQuery {
                q: Some("sam".to_owned()),
                role: Some(Role::Admin),
                page: -4,
                ..MemberQuery::default()
            }
        );
        assert_eq!((query.page(), query.offset()), (1, 0));
    }

    #[rstest]
    #[case("member", "", Ok((Role::Member, None)))]
    #[case("admin", "123 456", Ok((Role::Admin, Some("123456"))))]
    #[case("admin", " ", Err(("code", CODE_NEEDED)))]
    #[case("owner", "", Err(("role", "Choose member or administrator")))]
    fn a_role_change_needs_a_code_to_promote(
        #[case] role: &str,
        #[case] code: &str,
        #[case] expected: Result<(Role, Option<&str>), (&str, &str)>,
    ) {
        let form = RoleForm {
            role: role.to_owned(),
            code: code.to_owned(),
        };
        match (form.validate(), expected) {
            (Ok(change), Ok((role, code))) => {
                assert_eq!((change.role, change.code.as_deref()), (role, code));
            }
            (Err(errors), Err((field, message))) => {
                assert_eq!(errors.get(field), Some(message), "{errors:?}");
            }
            (got, expected) => panic!("{got:?} against {expected:?}"),
        }
    }

    #[rstest]
    #[case("confirm=yes", true)]
    #[case("confirm=on", true)]
    #[case("confirm=", false)]
    #[case("", false)]
    fn a_deletion_needs_its_box_ticked(#[case] posted: &str, #[case] confirmed: bool) {
        let form: DeleteForm = serde_urlencoded::from_str(posted).expect("lenient");
        assert_eq!(form.validate().is_ok(), confirmed);
    }

    #[test]
    fn a_suspension_needs_a_reason() {
        let errors = SuspendForm::default().validate().expect_err("blank");
        assert_eq!(
            errors.get("reason"),
            Some("Enter why the account is suspended")
        );
    }
}
