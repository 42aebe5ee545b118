//! Usage statistics without cookies (P10): how many times each page was
//! viewed each day, and from which other site, in total only. Nothing is
//! kept about a visitor: no address, no account, no identifier of any
//! kind; a browser that sends `DNT: 1` or `Sec-GPC: 1` is not counted.

use crate::library::DAY;
use serde::{Deserialize, Serialize};

/// The administrators' statistics page.
pub const STATS_PAGE: &str = "/admin/statistics";

/// The same figures as CSV, one row per day, page and referring site.
pub const STATS_EXPORT_ROUTE: &str = "/admin/statistics.csv";

/// The periods the page offers, in days up to today.
pub const PERIODS: [i64; 4] = [7, 30, 90, 365];

/// Longest path counted; a longer one is not a page of this site.
pub const MAX_PATH: usize = 200;

/// Whether the browser asked not to be tracked, by Do Not Track
/// (`DNT: 1`) or Global Privacy Control (`Sec-GPC: 1`).
pub fn opted_out(dnt: Option<&str>, gpc: Option<&str>) -> bool {
    [dnt, gpc]
        .into_iter()
        .flatten()
        .any(|value| value.trim() == "1")
}

/// The host of the site a visitor came from, from the `Referer` header,
/// or `None` when there is none, it is this site (`own_host`), or it is
/// not a web address. Only the host is kept: paths and queries of other
/// sites can carry things about the visitor.
pub fn referring_host(referer: &str, own_host: &str) -> Option<String> {
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    // Credentials before an `@` are dropped with the port.
    let host_port = authority.rsplit('@').next()?;
    let host = host_port.split(':').next()?.to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let own = own_host.split(':').next().unwrap_or(own_host);
    (valid && !host.eq_ignore_ascii_case(own)).then_some(host)
}

/// The path a view is counted under: the request's path without its
/// query (which can carry one-time tokens), or `None` for anything that
/// is not a plain path of this site.
pub fn counted_path(path: &str) -> Option<&str> {
    let path = path.split(['?', '#']).next()?;
    let plain = path.starts_with('/')
        && path.len() <= MAX_PATH
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    plain.then_some(path)
}

/// Whether `path` is one of the app's routes, given as patterns whose
/// parameters are `:name` or `{name}` segments (`/services/:slug`).
pub fn matches_route(path: &str, pattern: &str) -> bool {
    let mut path = path.trim_end_matches('/').split('/');
    let mut pattern = pattern.trim_end_matches('/').split('/');
    loop {
        match (path.next(), pattern.next()) {
            (None, None) => return true,
            (Some(segment), Some(expected)) => {
                let parameter = expected.starts_with(':') || expected.starts_with('{');
                if parameter && segment.is_empty() || !parameter && segment != expected {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Which period the statistics page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsQuery {
    /// Days up to today; one of [`PERIODS`], else 30.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub days: Option<i64>,
}

impl StatsQuery {
    /// The period in days, one of [`PERIODS`].
    pub fn days(&self) -> i64 {
        self.days.filter(|d| PERIODS.contains(d)).unwrap_or(30)
    }

    /// The first and last day counted, as Unix seconds at 00:00 UTC, for
    /// a report made at `now`.
    pub fn range(&self, now: i64) -> (i64, i64) {
        let today = now.div_euclid(DAY) * DAY;
        (today - (self.days() - 1) * DAY, today)
    }

    /// The same period as a query string, for the CSV link.
    pub fn to_query(&self) -> String {
        format!("days={}", self.days())
    }
}

/// The figures for a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageViews {
    /// The period in days.
    pub days: i64,
    /// Views on each day (Unix seconds at 00:00 UTC), oldest first, every
    /// day of the period present.
    pub per_day: Vec<(i64, i64)>,
    /// The most viewed pages, most first.
    pub pages: Vec<(String, i64)>,
    /// The sites visitors came from most, most first.
    pub referrers: Vec<(String, i64)>,
}

impl PageViews {
    pub fn total(&self) -> i64 {
        self.per_day.iter().map(|(_, views)| views).sum()
    }
}

/// How many pages and referring sites the page lists (the CSV has all).
pub const TOP: i64 = 20;

/// One row of the CSV download.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewRow {
    pub day: i64,
    pub path: String,
    /// Empty when the visitor came from nowhere known or from this site.
    pub referrer: String,
    pub views: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, None, false)]
    #[case(Some("1"), None, true)]
    #[case(Some("0"), None, false)]
    #[case(None, Some("1"), true)]
    #[case(Some(" 1 "), Some("0"), true)]
    #[case(Some("yes"), None, false)]
    fn opting_out(#[case] dnt: Option<&str>, #[case] gpc: Option<&str>, #[case] out: bool) {
        assert_eq!(opted_out(dnt, gpc), out);
    }

    #[rstest]
    #[case("https://www.nhs.uk/conditions/?q=x", Some("www.nhs.uk"))]
    #[case("http://User:Pass@Example.ORG:8080/path", Some("example.org"))]
    #[case("https://portal.example/services", None)]
    #[case("https://portal.example:443/", None)]
    #[case("android-app://com.example", None)]
    #[case("", None)]
    #[case("https://<script>/", None)]
    #[case("https:///nohost", None)]
    fn referring_hosts(#[case] referer: &str, #[case] host: Option<&str>) {
        assert_eq!(referring_host(referer, "portal.example").as_deref(), host);
    }

    #[rstest]
    #[case("/services/governance?token=secret", Some("/services/governance"))]
    #[case("/", Some("/"))]
    #[case("/page/<b>", None)]
    #[case("services", None)]
    #[case("/a%20b", None)]
    fn paths(#[case] raw: &str, #[case] path: Option<&str>) {
        assert_eq!(counted_path(raw), path);
    }

    #[test]
    fn an_overlong_path_is_not_counted() {
        assert_eq!(counted_path(&format!("/{}", "a".repeat(MAX_PATH))), None);
    }

    #[rstest]
    #[case("/services/governance", "/services/:slug", true)]
    #[case("/services/governance", "/services/{slug}", true)]
    #[case("/services/", "/services/:slug", false)]
    #[case("/services", "/services", true)]
    #[case("/services/a/b", "/services/:slug", false)]
    #[case("/portal/library/12", "/portal/library/:id", true)]
    #[case("/portal/library/12", "/admin/library/:id", false)]
    #[case("/", "/", true)]
    #[case("/x", "/", false)]
    fn routes(#[case] path: &str, #[case] pattern: &str, #[case] matches: bool) {
        assert_eq!(matches_route(path, pattern), matches);
    }

    #[rstest]
    #[case(None, 30)]
    #[case(Some(7), 7)]
    #[case(Some(365), 365)]
    #[case(Some(31), 30)]
    #[case(Some(-1), 30)]
    fn periods(#[case] asked: Option<i64>, #[case] days: i64) {
        assert_eq!(StatsQuery { days: asked }.days(), days);
    }

    #[test]
    fn a_period_ends_today() {
        let now = 20_000 * DAY + 3_600;
        let (first, last) = StatsQuery { days: Some(7) }.range(now);
        assert_eq!(last, 20_000 * DAY);
        assert_eq!(first, 19_994 * DAY);
    }
}
