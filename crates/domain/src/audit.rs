//! The audit trail's vocabulary (P5): every action it records, with the
//! stable code stored for it, and the viewer's filters and rows.

use crate::library::parse_date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`Action`] from one list: variant, stored code, what a person
/// reads. A code, once used, is never changed or reused.
macro_rules! actions {
    ($($variant:ident = $code:literal, $label:literal;)+) => {
        /// Something the audit trail records.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $(
                #[doc = $label]
                $variant,
            )+
        }

        impl Action {
            /// Every action, in the order the list declares them.
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The code stored in the trail.
            pub fn code(self) -> &'static str {
                match self {
                    $(Action::$variant => $code,)+
                }
            }

            /// What an administrator reads.
            pub fn label(self) -> &'static str {
                match self {
                    $(Action::$variant => $label,)+
                }
            }
        }
    };
}

actions! {
    AccountRegistered = "account.registered", "Registered";
    AccountRegistrationRepeated = "account.registration_repeated", "Registered again before verifying";
    AccountRegistrationReplaced = "account.registration_replaced", "Unverified registration replaced";
    AccountRegistrationRefused = "account.registration_refused", "Registration refused";
    AccountVerified = "account.verified", "Email address verified";
    AccountSignedIn = "account.signed_in", "Signed in";
    AccountPasswordAccepted = "account.password_accepted", "Password accepted, second factor asked";
    AccountSignInFailed = "account.sign_in_failed", "Sign-in failed";
    AccountSignInThrottled = "account.sign_in_throttled", "Sign-in throttled";
    AccountSecondFactorUsed = "account.mfa_used", "Signed in with a second factor";
    AccountRecoveryCodeUsed = "account.recovery_code_used", "Signed in with a recovery code";
    AccountSecondFactorThrottled = "account.second_factor_throttled", "Second factor throttled";
    AccountSecondFactorSignInEnded = "account.second_factor_sign_in_ended", "Sign-in ended after wrong second factors";
    AccountSignedOut = "account.signed_out", "Signed out";
    AccountSecondFactorEnrolled = "account.mfa_enrolled", "Second factor set up";
    AccountSecondFactorRemoved = "account.mfa_removed", "Second factor removed";
    AccountResetRequested = "account.reset_requested", "Password reset asked for";
    AccountResetCompleted = "account.reset_completed", "Password reset";
    AccountPasswordChanged = "account.password_changed", "Password changed";
    AccountPasswordCheckFailed = "account.password_check_failed", "Password check failed";
    AccountEmailChangeRequested = "account.email_change_requested", "Email change asked for";
    AccountEmailChanged = "account.email_changed", "Email address changed";
    AccountAdminCreated = "account.admin_created", "Administrator created";
    AccountMemberCreated = "account.member_created", "Member created";
    AccountVerificationResent = "account.verification_resent", "Confirmation email sent again";
    AccountSuspended = "account.suspended", "Account suspended";
    AccountReinstated = "account.reinstated", "Account reinstated";
    AccountDeleted = "account.deleted", "Account deleted";
    AccountRoleChanged = "account.role_changed", "Role changed";
    AccountDataExported = "account.data_exported", "Own data downloaded";
    AccountErased = "account.erased", "Account erased by its owner";
    AccountRenamed = "account.renamed", "Name corrected";
    AccountSignedOutElsewhere = "account.signed_out_elsewhere", "Signed out of every other browser";
    RetentionRun = "retention.run", "Data past its retention deleted";
    OrganisationCreated = "organisation.created", "Organisation created";
    OrganisationUpdated = "organisation.updated", "Organisation changed";
    OrganisationStatusChanged = "organisation.status_changed", "Organisation status changed";
    OrganisationServicesChanged = "organisation.services_changed", "Subscriptions changed";
    CodeIssued = "code.issued", "Authorisation code issued";
    CodeRotated = "code.rotated", "Authorisation code replaced";
    CodeRevoked = "code.revoked", "Authorisation code revoked";
    CodeLimitsChanged = "code.limits_changed", "Authorisation code limits changed";
    DomainMarkedShared = "domain.marked_shared", "Email domain marked as shared";
    ServiceCreated = "service.created", "Service created";
    ServiceUpdated = "service.updated", "Service changed";
    ContentSeeded = "content.seeded", "Website content seeded";
    PageUpdated = "page.updated", "Website page changed";
    LibraryDemoSeeded = "library.demo_seeded", "Demonstration library seeded";
    ResourceCreated = "resource.created", "Resource created";
    ResourceUpdated = "resource.updated", "Resource changed";
    ResourceStatusChanged = "resource.status_changed", "Resource status changed";
    ResourceFileUploaded = "resource.file_uploaded", "File uploaded";
    ResourceTextExtracted = "resource.text_extracted", "File text read";
    ResourceViewed = "resource.viewed", "Resource viewed";
    ResourceDownloaded = "resource.downloaded", "File downloaded";
    MessageSent = "message.sent", "Message sent";
    EnquiryReceived = "enquiry.received", "Enquiry received";
    MessageAssigned = "message.assigned", "Message assigned";
    MessageNoted = "message.noted", "Note added to a message";
    MessageReplied = "message.replied", "Message replied to";
    MessageStateChanged = "message.state_changed", "Message state changed";
    RightsRequestMade = "rights.requested", "Data-rights request made";
    RightsRequestLogged = "rights.logged", "Data-rights request logged";
    RightsRequestExtended = "rights.extended", "Data-rights request extended";
    RightsDataExported = "rights.data_exported", "Person's data downloaded for an access request";
    RightsAccountErased = "rights.account_erased", "Account erased for an erasure request";
    RightsRequestClosed = "rights.closed", "Data-rights request closed";
    AuditExported = "audit.exported", "Audit trail exported";
    AuditPruned = "audit.pruned", "Old audit events deleted";
    BackupMade = "backup.made", "Encrypted backup made";
}

impl Action {
    /// The action stored as `code`, or `None` for a code this build does
    /// not know.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.code() == code)
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Action::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown audit action {code:?}")))
    }
}

/// Rows on one page of the viewer.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// The viewer's filters, read leniently from a query string: blank or
/// unknown values mean "any", an unreadable date is ignored, a bad page is
/// page 1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// An email address (that person's events) or an actor as the trail
    /// names it: `user:12`, `public:…`, `operator`, `system`.
    #[serde(
        deserialize_with = "crate::lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub actor: Option<String>,
    /// The acting person's organisation.
    #[serde(
        deserialize_with = "crate::lenient::id",
        skip_serializing_if = "Option::is_none"
    )]
    pub organisation: Option<i64>,
    #[serde(
        deserialize_with = "lenient_action",
        skip_serializing_if = "Option::is_none"
    )]
    pub action: Option<Action>,
    /// What was acted on, as the trail names it: `resource:12`.
    #[serde(
        deserialize_with = "crate::lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub target: Option<String>,
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    #[serde(
        deserialize_with = "crate::lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    #[serde(
        deserialize_with = "crate::lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<String>,
    #[serde(
        deserialize_with = "crate::lenient::page",
        skip_serializing_if = "is_first_page"
    )]
    pub page: i64,
}

fn lenient_action<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Action>, D::Error> {
    Ok(crate::lenient::text(d)?.and_then(|code| Action::parse(&code)))
}

impl AuditQuery {
    /// The page asked for, at least 1 and small enough that its offset
    /// cannot overflow.
    pub fn page(&self) -> i64 {
        self.page.clamp(1, 1_000_000)
    }

    /// How many rows come before this page.
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * AUDIT_PAGE_SIZE
    }

    /// The time range the dates cover, as Unix seconds: from the start of
    /// `from` to the end of `to`. An unreadable date sets no bound.
    pub fn time_range(&self) -> (Option<i64>, Option<i64>) {
        let day = |raw: &Option<String>| raw.as_deref().and_then(|d| parse_date(d).ok().flatten());
        (
            day(&self.from),
            day(&self.to).map(|end| end + crate::library::DAY - 1),
        )
    }

    /// The same filters without a page: what the CSV export takes.
    pub fn all_pages(&self) -> Self {
        Self {
            page: 1,
            ..self.clone()
        }
    }
}

fn is_first_page(page: &i64) -> bool {
    *page <= 1
}

/// Where the filtered trail downloads as CSV.
pub const AUDIT_EXPORT_ROUTE: &str = "/admin/audit/export.csv";

/// One event as the viewer shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Its place in the chain; `None` until sealed (within a second).
    pub seq: Option<i64>,
    /// Unix seconds.
    pub at: i64,
    /// The actor as the trail names it (`user:12`, `system`, …).
    pub actor: String,
    /// The person's name and email address, while the account exists.
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    /// The acting person's organisation, when they had one.
    pub organisation: Option<String>,
    /// The stored action code.
    pub code: String,
    /// The action, or `None` for a code this build does not know (written
    /// by another version); the code is then shown as it is.
    pub action: Option<Action>,
    pub target: Option<String>,
    /// JSON: what changed (before → after) or the circumstances.
    pub detail: String,
    /// The caller's pseudonymous client key, for events written during a
    /// request.
    pub client: Option<String>,
    /// The caller's browser family ([`agent_family`]).
    pub agent: Option<String>,
}

impl AuditEntry {
    /// What the action was, as a person reads it.
    pub fn action_label(&self) -> &str {
        match self.action {
            Some(action) => action.label(),
            None => &self.code,
        }
    }
}

/// The viewer counts matching events up to this many: beyond it, a count
/// costs a read of every match and says nothing more useful than "narrow
/// the dates". The CSV export is not limited.
pub const AUDIT_COUNT_LIMIT: i64 = 10_000;

/// A page of events, newest first, counted up to [`AUDIT_COUNT_LIMIT`].
pub type AuditPage = crate::paging::Paged<AuditEntry>;

/// What the chain check found, as a page reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Events checked before the first break (or all of them).
    pub checked: i64,
    /// The first break, in words; `None` when the chain is whole.
    pub first_break: Option<String>,
    /// Unix seconds when the check ran.
    pub at: i64,
}

/// The family of browser (or other program) a `User-Agent` header names,
/// as the audit trail records it: coarse on purpose, so it describes the
/// software and never singles a person out (no versions, no platform).
pub fn agent_family(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    // Order matters: Edge and Opera also say "Chrome", Chrome also says
    // "Safari", and many crawlers claim to be a browser as well.
    const FAMILIES: &[(&str, &str)] = &[
        ("bot", "Robot"),
        ("spider", "Robot"),
        ("crawl", "Robot"),
        ("headlesschrome", "Automated browser"),
        ("curl/", "Command line"),
        ("wget/", "Command line"),
        ("edg/", "Edge"),
        ("edga/", "Edge"),
        ("edgios/", "Edge"),
        ("opr/", "Opera"),
        ("samsungbrowser/", "Samsung Internet"),
        ("firefox/", "Firefox"),
        ("fxios/", "Firefox"),
        ("crios/", "Chrome"),
        ("chromium/", "Chromium"),
        ("chrome/", "Chrome"),
        ("trident/", "Internet Explorer"),
        ("msie ", "Internet Explorer"),
        ("safari/", "Safari"),
    ];
    if ua.trim().is_empty() {
        return "Not given";
    }
    FAMILIES
        .iter()
        .find(|(marker, _)| ua.contains(marker))
        .map_or("Other", |(_, family)| family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome"
    )]
    #[case(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Edge"
    )]
    #[case(
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox"
    )]
    #[case(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Safari"
    )]
    #[case(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1",
        "Chrome"
    )]
    #[case(
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0 Mobile Safari/537.36",
        "Samsung Internet"
    )]
    #[case(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 OPR/115.0",
        "Opera"
    )]
    #[case(
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer"
    )]
    #[case(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Robot"
    )]
    #[case(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36",
        "Automated browser"
    )]
    #[case("curl/8.5.0", "Command line")]
    #[case("", "Not given")]
    #[case("  ", "Not given")]
    #[case("SomethingElse/1.0", "Other")]
    fn browsers_are_named_by_family_only(#[case] user_agent: &str, #[case] family: &str) {
        assert_eq!(agent_family(user_agent), family);
    }
    use std::collections::HashSet;

    #[test]
    fn every_action_has_its_own_code_and_reads_back() {
        let mut codes = HashSet::new();
        for &action in Action::ALL {
            assert!(codes.insert(action.code()), "{action:?} repeats a code");
            assert_eq!(Action::parse(action.code()), Some(action));
            assert!(!action.label().is_empty());
        }
        assert_eq!(Action::parse("account.hacked"), None);
    }

    #[test]
    fn the_viewers_filters_read_leniently() {
        let query: AuditQuery = serde_urlencoded::from_str(
            "actor=+a%40b.example+&organisation=x&action=resource.viewed&target=&from=2026-11-01&to=nonsense&page=-3",
        )
        .expect("reads");
        assert_eq!(query.actor.as_deref(), Some("a@b.example"));
        assert_eq!(query.organisation, None);
        assert_eq!(query.action, Some(Action::ResourceViewed));
        assert_eq!(query.target, None);
        assert_eq!(query.page(), 1);
        let (from, to) = query.time_range();
        assert_eq!(
            from.map(crate::library::iso_date).as_deref(),
            Some("2026-11-01")
        );
        assert_eq!(to, None);
        let unknown: AuditQuery = serde_urlencoded::from_str("action=nope").expect("reads");
        assert_eq!(unknown.action, None);
    }

    #[test]
    fn a_day_range_covers_both_whole_days() {
        let query = AuditQuery {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-01".into()),
            ..AuditQuery::default()
        };
        let (Some(from), Some(to)) = query.time_range() else {
            panic!("both dates read");
        };
        assert_eq!(to - from, crate::library::DAY - 1);
    }

    #[test]
    fn the_export_keeps_the_filters_but_not_the_page() {
        let query = AuditQuery {
            action: Some(Action::AuditExported),
            page: 4,
            ..AuditQuery::default()
        };
        assert_eq!(
            serde_urlencoded::to_string(query.all_pages()).expect("encodes"),
            "action=audit.exported"
        );
    }
}
