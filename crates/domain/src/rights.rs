//! Data-rights requests under the UK GDPR: a member asks from their data
//! page, or an administrator logs a request that arrived by letter or
//! email. Each is due one calendar month after it was received (the ICO's
//! rule), and may be extended by up to two further months with a reason.
//!
//! Dates here are Unix seconds at 00:00 UTC, as [`crate::library::parse_date`]
//! reads them from a date input.

use crate::Email;
use crate::library::{DAY, civil_date, days_from_civil, parse_date};
use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

/// Longest description of what is asked for, or note, in characters.
pub const DETAILS_MAX: usize = 5_000;
/// Longest name of someone who wrote in.
pub const NAME_MAX: usize = 200;
/// At most this many months may be added to the one-month limit.
pub const MAX_EXTENSION_MONTHS: i64 = 2;
/// An open request due within this many days stands out.
pub const DUE_SOON_DAYS: i64 = 7;
/// Requests on one page of the administrators' list.
pub const PAGE_SIZE: i64 = 50;

/// The administrators' list of requests.
pub const REQUESTS: &str = "/admin/requests";

/// Request `id`'s page for administrators.
pub fn request_path(id: i64) -> String {
    format!("{REQUESTS}/{id}")
}

/// Where an administrator downloads the data held about the person an
/// access request is about.
pub const REQUEST_EXPORT_ROUTE: &str = "/admin/requests/{id}/export.json";

/// [`REQUEST_EXPORT_ROUTE`] for request `id`.
pub fn request_export_path(id: i64) -> String {
    REQUEST_EXPORT_ROUTE.replace("{id}", &id.to_string())
}

/// Which right a request exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Objection,
}

impl RequestKind {
    pub const ALL: [RequestKind; 5] = [
        RequestKind::Access,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Objection,
    ];

    /// As stored and as forms post it.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Access => "Access: a copy of my data",
            RequestKind::Rectification => "Rectification: correct my data",
            RequestKind::Erasure => "Erasure: delete my data",
            RequestKind::Restriction => "Restriction: stop using my data for now",
            RequestKind::Objection => "Objection: stop a use of my data",
        }
    }

    /// The right's name alone, for lists and titles.
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Access => "Access",
            RequestKind::Rectification => "Rectification",
            RequestKind::Erasure => "Erasure",
            RequestKind::Restriction => "Restriction",
            RequestKind::Objection => "Objection",
        }
    }

    /// `(value, label)` for a select.
    pub fn choices() -> Vec<(String, String)> {
        Self::ALL
            .into_iter()
            .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
            .collect()
    }
}

/// Where a request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Open,
    Completed,
    Refused,
}

impl RequestState {
    pub const ALL: [RequestState; 3] = [
        RequestState::Open,
        RequestState::Completed,
        RequestState::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Completed => "completed",
            RequestState::Refused => "refused",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestState::Open => "Open",
            RequestState::Completed => "Completed",
            RequestState::Refused => "Refused",
        }
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day `months` calendar months after the day of `at` (Unix seconds):
/// the same day of the month, or that month's last day where there is no
/// such day (31 January + 1 month = 28 or 29 February). 00:00 UTC.
pub fn add_months(at: i64, months: i64) -> i64 {
    let (year, month, day) = civil_date(at);
    let index = year * 12 + (month - 1) + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    days_from_civil(year, month, day.min(days_in_month(year, month))) * DAY
}

/// When a request received on `received` must be answered: one calendar
/// month later, to the corresponding date, or the month's last day where
/// there is none (the ICO's rule).
pub fn due_date(received: i64) -> i64 {
    add_months(received, 1)
}

/// The due date once extended by `extra_months` (1 or 2) in all, counted
/// from the day received, as the limit itself is; `None` for any other
/// number of months.
pub fn extended_due(received: i64, extra_months: i64) -> Option<i64> {
    (1..=MAX_EXTENSION_MONTHS)
        .contains(&extra_months)
        .then(|| add_months(received, 1 + extra_months))
}

/// The day (00:00 UTC) of Unix seconds `at`.
pub fn day_of(at: i64) -> i64 {
    at.div_euclid(DAY) * DAY
}

/// How pressing an open request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Its due date has passed.
    Overdue,
    /// Due today or within [`DUE_SOON_DAYS`] days.
    DueThisWeek,
    Later,
}

impl Urgency {
    /// For a request due on `due_on` (a day), seen on day `today`.
    pub fn of(due_on: i64, today: i64) -> Self {
        let today = day_of(today);
        if due_on < today {
            Urgency::Overdue
        } else if due_on <= today + DUE_SOON_DAYS * DAY {
            Urgency::DueThisWeek
        } else {
            Urgency::Later
        }
    }

    /// The tag it wears (NHS.UK tag classes), if it stands out.
    pub fn tag(self) -> Option<(&'static str, &'static str)> {
        match self {
            Urgency::Overdue => Some(("nhsuk-tag nhsuk-tag--red", "Overdue")),
            Urgency::DueThisWeek => Some(("nhsuk-tag nhsuk-tag--orange", "Due this week")),
            Urgency::Later => None,
        }
    }
}

/// A member's own request, as typed on their data page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RightsRequestForm {
    pub kind: String,
    pub details: String,
}

/// A member's request that passed every rule that needs no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest {
    pub kind: RequestKind,
    pub details: String,
}

fn kind_field(errors: &mut FieldErrors, raw: &str) -> Option<RequestKind> {
    errors.check(
        "kind",
        RequestKind::parse(raw).ok_or_else(|| "Choose which right you are asking about".to_owned()),
    )
}

impl RightsRequestForm {
    pub fn validate(&self) -> Result<NewRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = kind_field(&mut errors, &self.kind);
        let details = errors.check(
            "details",
            required_text(&self.details, "what you are asking for", DETAILS_MAX),
        );
        errors.into_result(|| NewRequest {
            kind: kind.unwrap_or(RequestKind::Access),
            details: details.unwrap_or_default(),
        })
    }
}

/// A request an administrator logs for someone who wrote in, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogRequestForm {
    pub kind: String,
    /// The requester's name.
    pub name: String,
    /// The requester's email address (replies and extensions go to it).
    pub email: String,
    pub details: String,
    /// `YYYY-MM-DD`: the day the request arrived.
    pub received: String,
    /// `yes`: the requester is the member with this email address, and
    /// the request is linked to their account.
    pub link: String,
}

/// A logged request that passed every rule that needs no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    pub kind: RequestKind,
    pub name: String,
    pub email: Email,
    pub details: String,
    /// The day received, 00:00 UTC.
    pub received: i64,
    /// Whether to link it to the account with [`LoggedRequest::email`].
    pub link: bool,
}

impl LogRequestForm {
    /// Checks every field, in form order; `now` (Unix seconds) bounds the
    /// day received: not in the future.
    pub fn validate(&self, now: i64) -> Result<LoggedRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = kind_field(&mut errors, &self.kind);
        let name = errors.check(
            "name",
            required_text(&self.name, "the requester's name", NAME_MAX),
        );
        let email = errors.check(
            "email",
            Email::parse(&self.email).map_err(|e| e.to_string()),
        );
        let details = errors.check(
            "details",
            required_text(&self.details, "what they are asking for", DETAILS_MAX),
        );
        let received = errors.check(
            "received",
            parse_date(&self.received).and_then(|day| match day {
                None => Err("Enter the date the request was received".to_owned()),
                Some(day) if day > day_of(now) => {
                    Err("The date received cannot be in the future".to_owned())
                }
                Some(day) => Ok(day),
            }),
        );
        let link = errors.check(
            "link",
            match self.link.trim() {
                "" | "no" => Ok(false),
                "yes" => Ok(true),
                _ => Err("Choose whether to link the request to an account".to_owned()),
            },
        );
        match (kind, name, email, details, received, link) {
            (Some(kind), Some(name), Some(email), Some(details), Some(received), Some(link))
                if errors.is_empty() =>
            {
                Ok(LoggedRequest {
                    kind,
                    name,
                    email,
                    details,
                    received,
                    link,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An extension, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtendForm {
    /// `1` or `2`: further months.
    pub months: String,
    pub reason: String,
}

/// An extension that passed every rule that needs no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub months: i64,
    pub reason: String,
}

impl ExtendForm {
    pub fn validate(&self) -> Result<Extension, FieldErrors> {
        let mut errors = FieldErrors::new();
        let months = errors.check(
            "months",
            match self.months.trim().parse::<i64>() {
                Ok(m) if (1..=MAX_EXTENSION_MONTHS).contains(&m) => Ok(m),
                _ => Err("Choose one or two further months".to_owned()),
            },
        );
        let reason = errors.check(
            "reason",
            required_text(&self.reason, "the reason for the extension", DETAILS_MAX),
        );
        errors.into_result(|| Extension {
            months: months.unwrap_or(1),
            reason: reason.unwrap_or_default(),
        })
    }
}

/// Closing a request, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    /// `completed` or `refused`.
    pub outcome: String,
    pub note: String,
}

/// A closing that passed every rule that needs no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closing {
    /// [`RequestState::Completed`] or [`RequestState::Refused`].
    pub outcome: RequestState,
    pub note: String,
}

impl CloseForm {
    pub fn validate(&self) -> Result<Closing, FieldErrors> {
        let mut errors = FieldErrors::new();
        let outcome = errors.check(
            "outcome",
            match RequestState::parse(&self.outcome) {
                Some(state @ (RequestState::Completed | RequestState::Refused)) => Ok(state),
                _ => Err("Choose whether the request was completed or refused".to_owned()),
            },
        );
        let note = errors.check(
            "note",
            required_text(
                &self.note,
                "what was done, or why it was refused",
                DETAILS_MAX,
            ),
        );
        errors.into_result(|| Closing {
            outcome: outcome.unwrap_or(RequestState::Completed),
            note: note.unwrap_or_default(),
        })
    }
}

/// Fulfilling an erasure request: the administrator ticks a box to
/// confirm the account is to be erased.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErasureForm {
    #[serde(deserialize_with = "crate::lenient::checkbox")]
    pub confirm: bool,
}

impl ErasureForm {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !self.confirm {
            errors.add(
                "confirm",
                "Tick the box to confirm the account is to be erased",
            );
        }
        errors.into_result(|| ())
    }
}

/// A request as a list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: i64,
    pub kind: RequestKind,
    pub state: RequestState,
    /// The requester's name: their account's, or as they gave it; empty
    /// once their account was erased.
    pub name: String,
    pub email: String,
    /// Whether it is linked to a member's account.
    pub member: bool,
    /// Whether the person's account was erased (their details are gone).
    pub erased: bool,
    /// Days, 00:00 UTC.
    pub received_on: i64,
    pub due_on: i64,
    /// Months added to the one-month limit (0, 1 or 2).
    pub extended_months: i64,
    /// For open requests.
    pub urgency: Option<Urgency>,
    /// Unix seconds.
    pub closed_at: Option<i64>,
}

/// A request in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub summary: RequestSummary,
    pub details: String,
    pub extension_reason: Option<String>,
    pub outcome_note: Option<String>,
    /// The administrator who logged it, if one did and is still here.
    pub logged_by: Option<String>,
}

/// A page of requests: open ones first, soonest due first.
pub type RequestPage = crate::paging::Paged<RequestSummary>;

/// The list's page number, read leniently.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestQuery {
    #[serde(deserialize_with = "crate::lenient::page")]
    pub page: i64,
}

impl RequestQuery {
    pub fn page(&self) -> i64 {
        self.page.clamp(1, 1_000_000)
    }

    pub fn offset(&self) -> i64 {
        (self.page() - 1) * PAGE_SIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::iso_date;
    use proptest::prelude::*;
    use rstest::rstest;

    fn day(raw: &str) -> i64 {
        parse_date(raw).expect("a date").expect("not blank")
    }

    #[rstest]
    #[case("2027-01-31", "2027-02-28")]
    #[case("2028-01-31", "2028-02-29")]
    #[case("2028-01-30", "2028-02-29")]
    #[case("2027-01-30", "2027-02-28")]
    #[case("2027-01-28", "2027-02-28")]
    #[case("2027-03-31", "2027-04-30")]
    #[case("2027-01-15", "2027-02-15")]
    #[case("2026-12-31", "2027-01-31")]
    #[case("2027-08-31", "2027-09-30")]
    #[case("2027-02-28", "2027-03-28")]
    #[case("2028-02-29", "2028-03-29")]
    #[case("2027-05-31", "2027-06-30")]
    #[case("2027-04-30", "2027-05-30")]
    fn a_request_is_due_a_calendar_month_later_or_on_the_months_last_day(
        #[case] received: &str,
        #[case] due: &str,
    ) {
        assert_eq!(iso_date(due_date(day(received))), due);
    }

    #[rstest]
    #[case("2027-01-31", 1, Some("2027-03-31"))]
    #[case("2027-01-31", 2, Some("2027-04-30"))]
    #[case("2027-11-30", 2, Some("2028-02-29"))]
    #[case("2027-12-31", 1, Some("2028-02-29"))]
    #[case("2027-10-31", 2, Some("2028-01-31"))]
    #[case("2027-03-31", 2, Some("2027-06-30"))]
    #[case("2027-01-15", 0, None)]
    #[case("2027-01-15", 3, None)]
    fn an_extension_counts_from_the_day_received(
        #[case] received: &str,
        #[case] months: i64,
        #[case] due: Option<&str>,
    ) {
        assert_eq!(
            extended_due(day(received), months).map(iso_date).as_deref(),
            due
        );
    }

    proptest! {
        #[test]
        fn the_due_date_is_28_to_31_days_after_receipt(days in 0i64..200_000) {
            let received = days * DAY;
            let due = due_date(received);
            prop_assert_eq!(due % DAY, 0);
            let gap = (due - received) / DAY;
            prop_assert!((28..=31).contains(&gap), "{} days", gap);
            // An extension never brings the date forward.
            let once = extended_due(received, 1).expect("one month");
            let twice = extended_due(received, 2).expect("two months");
            prop_assert!(due < once && once < twice);
        }
    }

    #[rstest]
    #[case("2027-03-09", Urgency::Overdue)]
    #[case("2027-03-10", Urgency::DueThisWeek)]
    #[case("2027-03-17", Urgency::DueThisWeek)]
    #[case("2027-03-18", Urgency::Later)]
    fn urgency_depends_on_days_left(#[case] due: &str, #[case] urgency: Urgency) {
        // Seen in the afternoon of 10 March.
        let now = day("2027-03-10") + 15 * 3600;
        assert_eq!(Urgency::of(day(due), now), urgency);
    }

    #[test]
    fn a_logged_request_reports_each_problem_on_its_field() {
        let now = day("2027-03-10");
        let errors = LogRequestForm {
            kind: "gossip".into(),
            name: " ".into(),
            email: "nope".into(),
            details: String::new(),
            received: "2027-03-11".into(),
            link: "maybe".into(),
        }
        .validate(now)
        .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["kind", "name", "email", "details", "received", "link"]
        );
        let logged = LogRequestForm {
            kind: "erasure".into(),
            name: " Pat Writer ".into(),
            email: "Pat@Example.org".into(),
            details: "Please delete my data.".into(),
            received: "2027-03-10".into(),
            link: "yes".into(),
        }
        .validate(now + 3600)
        .expect("valid");
        assert_eq!(logged.kind, RequestKind::Erasure);
        assert_eq!(logged.email.as_str(), "pat@example.org");
        assert_eq!(logged.received, now);
        assert!(logged.link);
    }

    #[rstest]
    #[case("1", "Busy", Ok(1))]
    #[case("2", "Complex request", Ok(2))]
    #[case("3", "Too long", Err("months"))]
    #[case("0", "Nothing", Err("months"))]
    #[case("1", "  ", Err("reason"))]
    fn an_extension_needs_one_or_two_months_and_a_reason(
        #[case] months: &str,
        #[case] reason: &str,
        #[case] expected: Result<i64, &str>,
    ) {
        let form = ExtendForm {
            months: months.into(),
            reason: reason.into(),
        };
        match (form.validate(), expected) {
            (Ok(extension), Ok(months)) => assert_eq!(extension.months, months),
            (Err(errors), Err(field)) => assert!(errors.get(field).is_some(), "{errors:?}"),
            (got, want) => panic!("{got:?} against {want:?}"),
        }
    }

    #[test]
    fn a_request_closes_completed_or_refused_with_a_note() {
        let refused = CloseForm {
            outcome: "open".into(),
            note: String::new(),
        }
        .validate()
        .expect_err("neither");
        assert!(refused.get("outcome").is_some() && refused.get("note").is_some());
        let closing = CloseForm {
            outcome: "refused".into(),
            note: "Manifestly unfounded".into(),
        }
        .validate()
        .expect("valid");
        assert_eq!(closing.outcome, RequestState::Refused);
    }

    #[test]
    fn kinds_and_states_round_trip() {
        for kind in RequestKind::ALL {
            assert_eq!(RequestKind::parse(kind.as_str()), Some(kind));
        }
        for state in RequestState::ALL {
            assert_eq!(RequestState::parse(state.as_str()), Some(state));
        }
        assert_eq!(RequestKind::parse("portability"), None);
        let member = RightsRequestForm {
            kind: "access".into(),
            details: "Everything, please".into(),
        }
        .validate()
        .expect("valid");
        assert_eq!(member.kind, RequestKind::Access);
    }
}
