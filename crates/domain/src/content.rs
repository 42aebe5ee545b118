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
    use rstest::rstest;

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
