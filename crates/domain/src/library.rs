//! The member library: what a resource is, the rules about it that need no
//! database, and the shapes that cross the wire between server and browser.

use crate::validation::{FieldErrors, optional_text, required_text};
use serde::{Deserialize, Serialize};

/// What sort of document a resource is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Policy,
    Procedure,
    Information,
    Toolkit,
    Guidance,
    /// A template or form to fill in.
    Template,
}

impl ResourceKind {
    /// Every kind, in the order filters and forms list them.
    pub const ALL: [ResourceKind; 6] = [
        ResourceKind::Policy,
        ResourceKind::Procedure,
        ResourceKind::Information,
        ResourceKind::Toolkit,
        ResourceKind::Guidance,
        ResourceKind::Template,
    ];

    /// The stored and URL value. Never changes once shipped.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Policy => "policy",
            ResourceKind::Procedure => "procedure",
            ResourceKind::Information => "information",
            ResourceKind::Toolkit => "toolkit",
            ResourceKind::Guidance => "guidance",
            ResourceKind::Template => "template",
        }
    }

    /// The kind a stored or posted value names, or `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Policy => "Policy",
            ResourceKind::Procedure => "Procedure",
            ResourceKind::Information => "Information",
            ResourceKind::Toolkit => "Toolkit",
            ResourceKind::Guidance => "Guidance",
            ResourceKind::Template => "Template or form",
        }
    }

    /// The kind in a count, in lower case: "1 policy", "34 policies".
    pub fn counted(self, count: i64) -> &'static str {
        let one = count == 1;
        match self {
            ResourceKind::Policy if one => "policy",
            ResourceKind::Policy => "policies",
            ResourceKind::Procedure if one => "procedure",
            ResourceKind::Procedure => "procedures",
            ResourceKind::Information if one => "information sheet",
            ResourceKind::Information => "information sheets",
            ResourceKind::Toolkit if one => "toolkit",
            ResourceKind::Toolkit => "toolkits",
            ResourceKind::Guidance if one => "guidance document",
            ResourceKind::Guidance => "guidance documents",
            ResourceKind::Template if one => "template or form",
            ResourceKind::Template => "templates and forms",
        }
    }
}

/// Where a resource is in its life. Only published resources reach members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceStatus {
    Draft,
    Published,
    Archived,
}

impl ResourceStatus {
    pub const ALL: [ResourceStatus; 3] = [
        ResourceStatus::Draft,
        ResourceStatus::Published,
        ResourceStatus::Archived,
    ];

    /// The stored value. Never changes once shipped.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Draft => "draft",
            ResourceStatus::Published => "published",
            ResourceStatus::Archived => "archived",
        }
    }

    /// The status a stored or posted value names, or `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            ResourceStatus::Draft => "Draft",
            ResourceStatus::Published => "Published",
            ResourceStatus::Archived => "Archived",
        }
    }
}

/// Seconds in a day; dates are stored as Unix seconds at 00:00 UTC.
pub const DAY: i64 = 86_400;

/// How many days ahead a review counts as due.
pub const REVIEW_DUE_DAYS: i64 = 30;

/// The badge a resource wears because of its review date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewBadge {
    /// The review date has passed.
    Overdue,
    /// The review date is today or within the next 30 days.
    DueSoon,
}

impl ReviewBadge {
    /// The badge for a resource reviewed on `review_date` (Unix seconds),
    /// seen at `now`, or `None` when no review is near. Whole UTC days are
    /// compared, so a review due today is due, not overdue.
    pub fn for_review(review_date: Option<i64>, now: i64) -> Option<Self> {
        let days_left = review_date?.div_euclid(DAY) - now.div_euclid(DAY);
        if days_left < 0 {
            Some(ReviewBadge::Overdue)
        } else if days_left <= REVIEW_DUE_DAYS {
            Some(ReviewBadge::DueSoon)
        } else {
            None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewBadge::Overdue => "Review overdue",
            ReviewBadge::DueSoon => "Review due soon",
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of Unix seconds `at`, in UTC.
pub fn civil_date(at: i64) -> (i64, i64, i64) {
    let z = at.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` for Unix seconds `at`: the value of a date input.
pub fn iso_date(at: i64) -> String {
    let (y, m, d) = civil_date(at);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A Unix time as a date people read: "23 November 2026" (UTC).
pub fn long_date(at: i64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m, d) = civil_date(at);
    let month = usize::try_from(m - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or_default();
    format!("{d} {month} {y}")
}

/// A resource's page in the member library.
pub fn resource_path(id: i64) -> String {
    format!("/portal/library/{id}")
}

/// A resource's page for administrators: status, files and history.
pub fn admin_resource_path(id: i64) -> String {
    format!("/admin/library/{id}")
}

/// The choices the administrators' resource form offers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceFormOptions {
    /// Every service, as `(id, name)`.
    pub services: Vec<(i64, String)>,
    /// Every administrator who may own a resource.
    pub owners: Vec<ResourceOwner>,
}

/// A date as a date input posts it (`YYYY-MM-DD`), as Unix seconds at
/// 00:00 UTC. Blank is `None`.
pub fn parse_date(raw: &str) -> Result<Option<i64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let wrong = || Err("Enter a real date, like 2027-03-31".to_owned());
    let parts: Vec<&str> = raw.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return wrong();
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return wrong();
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<i64>(), d.parse::<i64>()) else {
        return wrong();
    };
    if !(2000..=2200).contains(&y) || !(1..=12).contains(&m) || d < 1 {
        return wrong();
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if d > days_in_month {
        return wrong();
    }
    Ok(Some(days_from_civil(y, m, d) * DAY))
}

/// Most tags a resource may carry.
pub const TAGS_MAX: usize = 20;
/// Longest tag, in characters.
pub const TAG_MAX_CHARS: usize = 40;

/// Tags as typed ("infection control, IPC,  hand hygiene") made tidy:
/// trimmed, inner spaces collapsed, lower case, no blanks, no repeats.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.split([',', '\n']) {
        let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > TAG_MAX_CHARS {
            return Err(format!(
                "Each tag must be {TAG_MAX_CHARS} characters or fewer"
            ));
        }
        let tag = tag.to_lowercase();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(format!("Use {TAGS_MAX} tags or fewer"));
    }
    Ok(tags)
}

/// Longest search kept, in characters; the rest of a longer one is dropped.
pub const SEARCH_MAX_CHARS: usize = 200;

/// What is left of a typed search to give the search engine: control
/// characters (NUL among them) become spaces, runs of space become one,
/// and only the whole words within the first [`SEARCH_MAX_CHARS`]
/// characters are kept. Anything
/// else — quotes, `-`, `OR`, emoji — is left for the engine's own parser.
pub fn normalise_search(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = String::new();
    for (i, word) in cleaned.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    match out.char_indices().nth(SEARCH_MAX_CHARS) {
        // Cut before the word that would not fit whole, so the search does
        // not end in a fragment; one endless word is cut where it must be.
        Some((cut, next)) => {
            let kept = &out[..cut];
            match kept.rfind(' ') {
                Some(space) if next != ' ' => kept[..space].to_owned(),
                _ => kept.trim_end().to_owned(),
            }
        }
        None => out,
    }
}

/// Resources per page of the library.
pub const PER_PAGE: i64 = 20;

/// How a library list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LibrarySort {
    /// Most recently updated first.
    #[default]
    Updated,
    /// A to Z by title.
    Title,
}

impl LibrarySort {
    pub fn as_str(self) -> &'static str {
        match self {
            LibrarySort::Updated => "updated",
            LibrarySort::Title => "title",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "updated" => Some(LibrarySort::Updated),
            "title" => Some(LibrarySort::Title),
            _ => None,
        }
    }
}

/// What the library page asks for: the query string of `/portal/library`.
/// Every field may be missing; what is missing means "any" (or page 1).
///
/// Reading it is forgiving, because a plain GET form sends every field:
/// a blank or unknown service, kind or sort means "any" (or the default
/// order), and a page that is not a number is page 1. A query string can
/// be edited by hand; it should never turn into an error page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LibraryQuery {
    /// A service's slug.
    #[serde(deserialize_with = "lenient::text")]
    pub service: Option<String>,
    #[serde(deserialize_with = "lenient::kind")]
    pub kind: Option<ResourceKind>,
    #[serde(deserialize_with = "lenient::sort")]
    pub sort: LibrarySort,
    /// 1-based; anything below 1 is page 1.
    #[serde(deserialize_with = "lenient::page")]
    pub page: i64,
    /// Words to search for; blank means browse.
    pub q: String,
}

/// Forgiving readers for [`LibraryQuery`]'s fields.
mod lenient {
    use super::{LibrarySort, ResourceKind};
    pub(super) use crate::lenient::{checkbox, page, text};
    use serde::Deserializer;

    pub(super) fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ResourceKind>, D::Error> {
        Ok(text(d)?.as_deref().and_then(ResourceKind::parse))
    }

    pub(super) fn sort<'de, D: Deserializer<'de>>(d: D) -> Result<LibrarySort, D::Error> {
        Ok(text(d)?
            .as_deref()
            .and_then(LibrarySort::parse)
            .unwrap_or_default())
    }
}

impl LibraryQuery {
    /// The page asked for, at least 1 and small enough that its offset
    /// cannot overflow.
    pub fn page(&self) -> i64 {
        self.page.clamp(1, 1_000_000)
    }

    /// How many rows come before this page.
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * PER_PAGE
    }
}

/// A piece of a search snippet: plain text, or a run that matched the search.
/// The UI renders each as text (never as HTML), marking the matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    pub text: String,
    pub matched: bool,
}

/// The service a resource belongs to, as a link needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A resource as a list or search result shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSummary {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub kind: ResourceKind,
    pub status: ResourceStatus,
    pub service: ServiceRef,
    pub tags: Vec<String>,
    /// Unix seconds at 00:00 UTC.
    pub review_date: Option<i64>,
    /// The review badge as of when it was read (so server and browser
    /// draw the same page).
    pub badge: Option<ReviewBadge>,
    /// When it was first published (Unix seconds).
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub for_all_customers: bool,
    /// Whether the viewer has saved it.
    pub bookmarked: bool,
    /// Where the search words occur; empty outside search results.
    pub snippet: Vec<SnippetPart>,
}

/// One resource's own page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDetail {
    pub summary: ResourceSummary,
    /// Sanitised HTML rendered from the resource's Markdown body.
    pub body_html: String,
    /// The body as written, for administrators' edit form; `None` for members.
    pub body_md: Option<String>,
    /// The administrator responsible for it; shown to administrators only.
    pub owner: Option<ResourceOwner>,
    pub created_at: i64,
    /// Every version of its file, latest first; empty when it has none.
    pub files: Vec<crate::files::ResourceFile>,
}

impl ResourceDetail {
    /// The latest version of its file, if it has one.
    pub fn latest_file(&self) -> Option<&crate::files::ResourceFile> {
        self.files.first()
    }
}

/// The administrator who owns a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceOwner {
    pub id: i64,
    pub full_name: String,
}

/// A page of the library (browse, search or saved resources), counted up
/// to [`MAX_RESULTS`]. Past that a list shows the first of them, a search
/// ranks the most recently added, and a person should narrow it (a
/// service, a kind, more words).
pub type LibraryPage = crate::paging::Paged<ResourceSummary>;

/// Most resources a list or search counts and pages through, and a search
/// ranks (the most recently added this many), so that a page costs the
/// same in a library of a thousand resources or a hundred thousand.
pub const MAX_RESULTS: i64 = 1_000;

/// Page `page` of the library, with `rows` on it, of `found` resources
/// (counted up to one more than [`MAX_RESULTS`]).
pub fn library_page(rows: Vec<ResourceSummary>, found: i64, page: i64) -> LibraryPage {
    LibraryPage::counted_to(rows, found, MAX_RESULTS, page, PER_PAGE)
}

/// A resource on the administrators' reviews page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub resource: ResourceSummary,
    pub owner: ResourceOwner,
    pub badge: ReviewBadge,
}

/// How many published resources of one kind a service offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCount {
    pub kind: ResourceKind,
    pub count: i64,
}

/// Longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest summary, in characters.
pub const SUMMARY_MAX: usize = 600;
/// Longest body, in characters.
pub const BODY_MAX: usize = 200_000;

/// The administrators' resource form, exactly as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceInput {
    pub title: String,
    pub summary: String,
    pub body_md: String,
    /// A service id, as the select posts it.
    pub service_id: String,
    /// A [`ResourceKind::as_str`] value.
    pub kind: String,
    /// Comma-separated.
    pub tags: String,
    /// An administrator's user id, as the select posts it.
    pub owner_id: String,
    /// `YYYY-MM-DD` or blank.
    pub review_date: String,
    /// A checkbox: ticked posts `true` (or `on`), unticked posts nothing.
    #[serde(deserialize_with = "lenient::checkbox")]
    pub for_all_customers: bool,
}

/// A resource whose fields passed every rule that needs no database. The
/// backend still checks that the service exists and the owner is an
/// administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub service_id: i64,
    pub kind: ResourceKind,
    pub tags: Vec<String>,
    pub owner_id: i64,
    pub review_date: Option<i64>,
    pub for_all_customers: bool,
}

impl ResourceInput {
    /// The form filled in with a stored resource, for editing it.
    pub fn from_detail(detail: &ResourceDetail) -> Self {
        let resource = &detail.summary;
        ResourceInput {
            title: resource.title.clone(),
            summary: resource.summary.clone(),
            body_md: detail.body_md.clone().unwrap_or_default(),
            service_id: resource.service.id.to_string(),
            kind: resource.kind.as_str().to_owned(),
            tags: resource.tags.join(", "),
            owner_id: detail
                .owner
                .as_ref()
                .map(|owner| owner.id.to_string())
                .unwrap_or_default(),
            review_date: resource.review_date.map(iso_date).unwrap_or_default(),
            for_all_customers: resource.for_all_customers,
        }
    }

    /// Checks every field and reports every problem at once, in form order.
    pub fn validate(&self) -> Result<Resource, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = errors.check("title", required_text(&self.title, "a title", TITLE_MAX));
        let summary = errors.check(
            "summary",
            required_text(&self.summary, "a summary", SUMMARY_MAX),
        );
        let body_md = errors.check(
            "body_md",
            optional_text(&self.body_md, "the body", BODY_MAX).map(Option::unwrap_or_default),
        );
        let service_id = errors.check(
            "service_id",
            self.service_id
                .trim()
                .parse::<i64>()
                .map_err(|_| "Choose a service".to_owned()),
        );
        let kind = errors.check(
            "kind",
            ResourceKind::parse(self.kind.trim()).ok_or_else(|| "Choose a kind".to_owned()),
        );
        let tags = errors.check("tags", parse_tags(&self.tags));
        let owner_id = errors.check(
            "owner_id",
            self.owner_id
                .trim()
                .parse::<i64>()
                .map_err(|_| "Choose an owner".to_owned()),
        );
        let review_date = errors.check("review_date", parse_date(&self.review_date));
        match (
            title,
            summary,
            body_md,
            service_id,
            kind,
            tags,
            owner_id,
            review_date,
        ) {
            (
                Some(title),
                Some(summary),
                Some(body_md),
                Some(service_id),
                Some(kind),
                Some(tags),
                Some(owner_id),
                Some(review_date),
            ) if errors.is_empty() => Ok(Resource {
                title,
                summary,
                body_md,
                service_id,
                kind,
                tags,
                owner_id,
                review_date,
                for_all_customers: self.for_all_customers,
            }),
            _ => Err(errors),
        }
    }
}

/// The route of the latest version of a resource's file (axum syntax);
/// [`download_path`] fills it in.
pub const DOWNLOAD_ROUTE: &str = "/portal/library/{id}/download";

/// The route of one version of a resource's file (axum syntax);
/// [`version_download_path`] fills it in.
pub const VERSION_DOWNLOAD_ROUTE: &str = "/portal/library/{id}/versions/{version}/download";

/// Where the latest version of resource `id`'s file downloads. The address
/// stays the same when a new version is uploaded.
pub fn download_path(id: i64) -> String {
    DOWNLOAD_ROUTE.replace("{id}", &id.to_string())
}

/// Where version `version` of resource `id`'s file downloads.
pub fn version_download_path(id: i64, version: i64) -> String {
    VERSION_DOWNLOAD_ROUTE
        .replace("{id}", &id.to_string())
        .replace("{version}", &version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// How a server function reads a form: its fields flattened into the
    /// function's arguments, every value text.
    #[derive(Deserialize)]
    struct Posted {
        #[serde(flatten)]
        form: ResourceInput,
    }

    #[rstest]
    #[case::ticked("title=T&for_all_customers=true", true)]
    #[case::ticked_without_a_value("title=T&for_all_customers=on", true)]
    #[case::unticked("title=T", false)]
    #[case::echoed_back_unticked("title=T&for_all_customers=false", false)]
    fn a_checkbox_reads_as_browsers_post_it(#[case] body: &str, #[case] ticked: bool) {
        let posted: Posted = serde_urlencoded::from_str(body).expect("readable");
        assert_eq!(posted.form.for_all_customers, ticked);
        assert_eq!(posted.form.title, "T");
    }

    #[test]
    fn download_paths_fill_in_their_routes() {
        assert_eq!(download_path(7), "/portal/library/7/download");
        assert_eq!(
            version_download_path(7, 2),
            "/portal/library/7/versions/2/download"
        );
        assert_eq!(admin_resource_path(7), "/admin/library/7");
    }
    use rstest::rstest;

    #[test]
    fn kinds_and_statuses_round_trip_and_refuse_anything_else() {
        for kind in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(kind.as_str()), Some(kind));
        }
        for status in ResourceStatus::ALL {
            assert_eq!(ResourceStatus::parse(status.as_str()), Some(status));
        }
        for raw in ["", "Policy", "form", "published ", "deleted"] {
            assert_eq!(ResourceKind::parse(raw), None, "{raw:?}");
            assert_eq!(ResourceStatus::parse(raw), None, "{raw:?}");
        }
        assert_eq!(ResourceKind::Template.label(), "Template or form");
    }

    const NOW: i64 = 1_795_000_000; // 2026-11-18 11:06:40 UTC

    #[rstest]
    #[case::now(NOW, "18 November 2026")]
    #[case::epoch(0, "1 January 1970")]
    #[case::leap_day(1_709_164_800, "29 February 2024")]
    #[case::new_years_eve(1_767_225_599, "31 December 2025")]
    fn dates_read_as_people_write_them(#[case] at: i64, #[case] expected: &str) {
        assert_eq!(long_date(at), expected);
    }

    #[rstest]
    #[case::no_review_date(None, None)]
    #[case::yesterday(Some(NOW - DAY), Some(ReviewBadge::Overdue))]
    #[case::a_year_ago(Some(NOW - 365 * DAY), Some(ReviewBadge::Overdue))]
    #[case::earlier_today(Some(NOW.div_euclid(DAY) * DAY), Some(ReviewBadge::DueSoon))]
    #[case::tomorrow(Some(NOW + DAY), Some(ReviewBadge::DueSoon))]
    #[case::in_thirty_days(Some(NOW + 30 * DAY), Some(ReviewBadge::DueSoon))]
    #[case::in_thirty_one_days(Some(NOW + 31 * DAY), None)]
    #[case::next_year(Some(NOW + 365 * DAY), None)]
    fn review_badges(#[case] review: Option<i64>, #[case] badge: Option<ReviewBadge>) {
        assert_eq!(ReviewBadge::for_review(review, NOW), badge);
    }

    #[rstest]
    #[case::blank("", Ok(None))]
    #[case::spaces("  ", Ok(None))]
    #[case::epoch_era("2000-01-01", Ok(Some(946_684_800)))]
    #[case::leap_day("2028-02-29", Ok(Some(1_835_395_200)))]
    #[case::not_a_leap_day("2027-02-29", Err(()))]
    #[case::month_13("2027-13-01", Err(()))]
    #[case::day_31_in_april("2027-04-31", Err(()))]
    #[case::british_order("31/03/2027", Err(()))]
    #[case::short_parts("2027-3-1", Err(()))]
    #[case::words("next week", Err(()))]
    #[case::too_far("2999-01-01", Err(()))]
    fn dates(#[case] raw: &str, #[case] expected: Result<Option<i64>, ()>) {
        assert_eq!(parse_date(raw).map_err(|_| ()), expected);
    }

    proptest! {
        #[test]
        fn dates_survive_a_round_trip(days in 10_957i64..84_000) {
            let at = days * DAY;
            prop_assert_eq!(parse_date(&iso_date(at)), Ok(Some(at)));
        }
    }

    #[rstest]
    #[case::blank("", &[])]
    #[case::tidied(" Infection  Control, IPC,,\nhand hygiene ", &["infection control", "ipc", "hand hygiene"])]
    #[case::repeats("GDPR, gdpr, Gdpr", &["gdpr"])]
    fn tags(#[case] raw: &str, #[case] expected: &[&str]) {
        assert_eq!(parse_tags(raw).expect("valid"), expected);
    }

    #[test]
    fn too_many_or_too_long_tags_are_refused() {
        let many = (0..=TAGS_MAX)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_tags(&many).is_err());
        assert!(parse_tags(&"x".repeat(TAG_MAX_CHARS + 1)).is_err());
    }

    #[rstest]
    #[case::plain("hand hygiene", "hand hygiene")]
    #[case::spaces_and_controls("  hand\t\u{0}hygiene\r\n", "hand hygiene")]
    #[case::operators_kept(
        "\"data protection\" -gdpr OR dpia*",
        "\"data protection\" -gdpr OR dpia*"
    )]
    #[case::emoji("🧼 hands", "🧼 hands")]
    fn searches_are_normalised(#[case] raw: &str, #[case] expected: &str) {
        assert_eq!(normalise_search(raw), expected);
    }

    proptest! {
        #[test]
        fn any_search_becomes_short_and_control_free(raw in ".{0,400}") {
            let out = normalise_search(&raw);
            prop_assert!(out.chars().count() <= SEARCH_MAX_CHARS);
            prop_assert!(!out.chars().any(char::is_control));
            prop_assert_eq!(out.trim(), out.as_str());
        }
    }

    #[test]
    fn a_long_search_keeps_whole_words() {
        let out = normalise_search(&"zebra ".repeat(2_000));
        assert_eq!(out, ["zebra"; 33].join(" "));
        let exact = format!("{} abcd", "x".repeat(195));
        assert_eq!(normalise_search(&format!("{exact} more")), exact);
    }

    #[test]
    fn ten_thousand_characters_are_cut_on_a_character_boundary() {
        let out = normalise_search(&"é😀".repeat(5_000));
        assert_eq!(out.chars().count(), SEARCH_MAX_CHARS);
    }

    #[rstest]
    #[case::missing(0, 1, 0)]
    #[case::first(1, 1, 0)]
    #[case::third(3, 3, 40)]
    #[case::negative(-5, 1, 0)]
    #[case::absurd(i64::MAX, 1_000_000, 19_999_980)]
    fn pages_and_offsets(#[case] asked: i64, #[case] page: i64, #[case] offset: i64) {
        let query = LibraryQuery {
            page: asked,
            ..LibraryQuery::default()
        };
        assert_eq!((query.page(), query.offset()), (page, offset));
    }

    fn read_query(pairs: &[(&str, &str)]) -> LibraryQuery {
        use serde::Deserialize;
        use serde::de::value::{Error, MapDeserializer};
        LibraryQuery::deserialize(MapDeserializer::<_, Error>::new(pairs.iter().copied()))
            .expect("a query string always reads")
    }

    #[rstest]
    #[case::nothing(&[], None, None, LibrarySort::Updated, 1, "")]
    #[case::all_blank(&[("service", ""), ("kind", ""), ("sort", ""), ("page", ""), ("q", "")], None, None, LibrarySort::Updated, 1, "")]
    #[case::everything(&[("service", "medicines"), ("kind", "toolkit"), ("sort", "title"), ("page", "3"), ("q", "hand")], Some("medicines"), Some(ResourceKind::Toolkit), LibrarySort::Title, 3, "hand")]
    #[case::unknown_values(&[("kind", "memo"), ("sort", "random"), ("page", "two")], None, None, LibrarySort::Updated, 1, "")]
    fn query_strings_always_read(
        #[case] pairs: &[(&str, &str)],
        #[case] service: Option<&str>,
        #[case] kind: Option<ResourceKind>,
        #[case] sort: LibrarySort,
        #[case] page: i64,
        #[case] q: &str,
    ) {
        let query = read_query(pairs);
        assert_eq!(query.service.as_deref(), service);
        assert_eq!(
            (query.kind, query.sort, query.page(), query.q.as_str()),
            (kind, sort, page, q)
        );
    }

    fn input() -> ResourceInput {
        ResourceInput {
            title: " Infection control policy ".into(),
            summary: "How the practice prevents infection.".into(),
            body_md: "## Scope\n\nEveryone.".into(),
            service_id: "3".into(),
            kind: "policy".into(),
            tags: "IPC, hygiene".into(),
            owner_id: "7".into(),
            review_date: "2027-03-31".into(),
            for_all_customers: false,
        }
    }

    #[test]
    fn a_complete_form_validates() {
        let resource = input().validate().expect("valid");
        assert_eq!(resource.title, "Infection control policy");
        assert_eq!(resource.kind, ResourceKind::Policy);
        assert_eq!(resource.tags, ["ipc", "hygiene"]);
        assert_eq!(resource.service_id, 3);
        assert_eq!(
            resource.review_date.map(iso_date).as_deref(),
            Some("2027-03-31")
        );
    }

    #[test]
    fn every_problem_is_reported_in_form_order() {
        let errors = ResourceInput::default().validate().expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "summary", "service_id", "kind", "owner_id"]
        );
    }
}
