use crate::library::KindCount;
use crate::validation::{FieldErrors, optional_text, required_text};
use serde::{Deserialize, Serialize};

/// A service in the public catalogue, as a card shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub slug: String,
    pub name: String,
    pub summary: String,
}

/// A service's own page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub slug: String,
    pub name: String,
    pub summary: String,
    /// Sanitised HTML rendered from the service's Markdown description.
    pub body_html: String,
    /// What members of a subscribing organisation find in the portal.
    pub portal_offers: Vec<String>,
    /// Published resources a subscriber gets, by kind, counted live.
    pub counts: Vec<KindCount>,
}

/// "34 policies, 12 toolkits and 1 procedure": what a service's counts say
/// in a sentence, or `None` when it offers nothing yet.
pub fn counts_sentence(counts: &[KindCount]) -> Option<String> {
    let parts: Vec<String> = counts
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| format!("{} {}", c.count, c.kind.counted(c.count)))
        .collect();
    match parts.as_slice() {
        [] => None,
        [only] => Some(only.clone()),
        [first @ .., last] => Some(format!("{} and {last}", first.join(", "))),
    }
}

/// Longest service name, in characters.
pub const SERVICE_NAME_MAX: usize = 200;
/// Longest service summary, in characters.
pub const SERVICE_SUMMARY_MAX: usize = 400;
/// Longest public description or offer list, in characters.
pub const SERVICE_TEXT_MAX: usize = 20_000;

/// The administrators' service form, exactly as typed. Its field names are
/// the form's `name`s, the server function's arguments and the keys of
/// its [`FieldErrors`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    pub name: String,
    /// The service's address: `/services/{slug}`.
    pub slug: String,
    pub summary: String,
    /// The public page's Markdown.
    pub body_md: String,
    /// One offer per line: what a subscribing organisation gets.
    pub portal_offers: String,
}

/// A service whose fields passed every rule that needs no database; the
/// database still keeps slugs unique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Service {
    pub name: String,
    pub slug: String,
    pub summary: String,
    pub body_md: String,
    /// Trimmed, one per line, blank lines left out.
    pub portal_offers: String,
}

impl ServiceForm {
    /// Checks every field and reports every problem at once, in form order.
    pub fn validate(&self) -> Result<Service, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check(
            "name",
            required_text(&self.name, "a name", SERVICE_NAME_MAX),
        );
        let slug = errors.check("slug", parse_slug(&self.slug));
        let summary = errors.check(
            "summary",
            required_text(&self.summary, "a summary", SERVICE_SUMMARY_MAX),
        );
        let body_md = errors.check(
            "body_md",
            required_text(&self.body_md, "a description", SERVICE_TEXT_MAX),
        );
        let offers = errors.check(
            "portal_offers",
            optional_text(&self.portal_offers, "the offers", SERVICE_TEXT_MAX),
        );
        errors.into_result(|| Service {
            name: name.unwrap_or_default(),
            slug: slug.unwrap_or_default(),
            summary: summary.unwrap_or_default(),
            body_md: body_md.unwrap_or_default(),
            portal_offers: offers
                .flatten()
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        })
    }

    /// The example service the tests and the CLI start from.
    pub fn example(name: &str, slug: &str) -> Self {
        ServiceForm {
            name: name.to_owned(),
            slug: slug.to_owned(),
            summary: format!("What {name} gives a practice."),
            body_md: format!("## {name}\n\nHow we help."),
            portal_offers: "Policies kept up to date\nToolkits".to_owned(),
        }
    }
}

fn parse_slug(raw: &str) -> Result<String, String> {
    let slug = raw.trim();
    if slug.is_empty() {
        Err("Enter an address, for example medicines-optimisation".to_owned())
    } else if is_slug(slug) {
        Ok(slug.to_owned())
    } else {
        Err("Use only lower-case letters, digits and single dashes, for example medicines-optimisation".to_owned())
    }
}

/// A service as the administrators' list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Resources of any status in it.
    pub resources: i64,
    /// Organisations subscribed to it.
    pub subscribers: i64,
}

/// The route of a service's administration page (axum syntax).
pub fn admin_service_path(id: i64) -> String {
    format!("/admin/services/{id}")
}

/// A content page (about, privacy statement, cookies, accessibility).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub slug: String,
    pub title: String,
    /// One sentence for the meta description and search results.
    pub summary: String,
    /// Sanitised HTML rendered from the page's Markdown.
    pub body_html: String,
    /// Unix seconds.
    pub updated_at: i64,
}

/// Longest content page, in characters of Markdown.
pub const PAGE_TEXT_MAX: usize = 100_000;

/// A content page as administrators edit it. The page's address (its
/// slug) is fixed: the site links to each page by it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PageForm {
    pub title: String,
    /// One sentence for the meta description and search results.
    pub summary: String,
    /// The page's Markdown; `{{name}}` placeholders are filled in from the
    /// deployment's settings when it is shown.
    pub body_md: String,
}

/// A content page whose fields passed every rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageText {
    pub title: String,
    pub summary: String,
    pub body_md: String,
}

impl PageForm {
    /// Checks every field and reports every problem at once, in form order.
    pub fn validate(&self) -> Result<PageText, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = errors.check(
            "title",
            required_text(&self.title, "a title", SERVICE_NAME_MAX),
        );
        let summary = errors.check(
            "summary",
            required_text(&self.summary, "a summary", SERVICE_SUMMARY_MAX),
        );
        let body_md = errors.check(
            "body_md",
            required_text(&self.body_md, "the page's text", PAGE_TEXT_MAX),
        );
        errors.into_result(|| PageText {
            title: title.unwrap_or_default(),
            summary: summary.unwrap_or_default(),
            body_md: body_md.unwrap_or_default(),
        })
    }
}

/// A content page as the administrators' list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRow {
    pub slug: String,
    pub title: String,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A content page's administration page.
pub fn admin_page_path(slug: &str) -> String {
    format!("/admin/pages/{slug}")
}

/// A slug is lower-case ASCII letters, digits and single dashes, 1–64 long.
/// Anything else can be refused before it reaches the database.
pub fn is_slug(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
        && !raw.contains("--")
}

/// Narrows a catalogue to the services whose name or summary mention every
/// word of `query`, ignoring case. An empty query keeps everything. The
/// browser and the server use this same rule, so filtering gives the same
/// answer with JavaScript on or off.
pub fn filter_services<'a>(services: &'a [ServiceSummary], query: &str) -> Vec<&'a ServiceSummary> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    services
        .iter()
        .filter(|s| {
            let haystack = format!("{} {}", s.name, s.summary).to_lowercase();
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::ResourceKind;
    use rstest::rstest;

    #[test]
    fn counts_read_as_a_sentence() {
        let count = |kind, count| KindCount { kind, count };
        assert_eq!(counts_sentence(&[]), None);
        assert_eq!(
            counts_sentence(&[count(ResourceKind::Policy, 1)]).as_deref(),
            Some("1 policy")
        );
        assert_eq!(
            counts_sentence(&[
                count(ResourceKind::Policy, 34),
                count(ResourceKind::Toolkit, 12),
                count(ResourceKind::Template, 2),
            ])
            .as_deref(),
            Some("34 policies, 12 toolkits and 2 templates and forms")
        );
    }

    #[test]
    fn a_service_form_reports_each_problem_on_its_field() {
        let form = ServiceForm {
            name: " ".into(),
            slug: "Medicines Optimisation".into(),
            summary: "x".repeat(SERVICE_SUMMARY_MAX + 1),
            body_md: String::new(),
            portal_offers: "ok".into(),
        };
        let errors = form.validate().expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "slug", "summary", "body_md"]);
        assert_eq!(errors.get("name"), Some("Enter a name"));
    }

    #[test]
    fn a_service_forms_offers_are_trimmed_one_per_line() {
        let form = ServiceForm {
            portal_offers: "  Policies  \r\n\n Toolkits\n".into(),
            ..ServiceForm::example("Medicines", "medicines")
        };
        let service = form.validate().expect("valid");
        assert_eq!(service.portal_offers, "Policies\nToolkits");
        assert_eq!(service.slug, "medicines");
    }

    #[rstest]
    #[case("privacy-policy", true)]
    #[case("hr-and-workforce", true)]
    #[case("a", true)]
    #[case("", false)]
    #[case("-leading", false)]
    #[case("trailing-", false)]
    #[case("double--dash", false)]
    #[case("Upper", false)]
    #[case("../etc/passwd", false)]
    #[case("with space", false)]
    fn slugs(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(is_slug(raw), ok);
    }

    fn service(name: &str, summary: &str) -> ServiceSummary {
        ServiceSummary {
            slug: name.to_lowercase().replace(' ', "-"),
            name: name.to_owned(),
            summary: summary.to_owned(),
        }
    }

    #[test]
    fn filter_matches_every_word_in_name_or_summary_ignoring_case() {
        let all = [
            service("Medicines Management", "Prescribing support and audits"),
            service("HR and Workforce", "Contracts, policies and recruitment"),
            service("Finance", "Contracts and claims"),
        ];
        let names = |q: &str| -> Vec<String> {
            filter_services(&all, q)
                .iter()
                .map(|s| s.name.clone())
                .collect()
        };
        assert_eq!(names("").len(), 3);
        assert_eq!(names("CONTRACTS"), ["HR and Workforce", "Finance"]);
        assert_eq!(names("contracts claims"), ["Finance"]);
        assert_eq!(names("medicines   audits"), ["Medicines Management"]);
        assert!(names("dentistry").is_empty());
    }
}
