//! The seam where full-text search differs between engines: FTS5 on SQLite,
//! a `tsvector` column with a GIN index and `websearch_to_tsquery` on
//! PostgreSQL. Everything else about a search (visibility, filters, paging,
//! snippets) is shared.
//!
//! Both engines take the same web-search style: words must all occur,
//! `"quoted phrases"` occur together, `or` between two terms offers either,
//! and a leading `-` excludes. Nothing typed is ever taken as syntax the
//! engine could refuse: PostgreSQL's `websearch_to_tsquery` never raises,
//! and for FTS5 every word is quoted.

use super::scope::Sql;
use crate::db::Backend;

/// Most terms passed on; FTS5 limits how deep an expression may nest.
const MAX_TERMS: usize = 32;

/// A search ready for one engine.
#[derive(Clone, Debug)]
pub(super) enum Matcher {
    Fts5(String),
    Websearch(String),
}

impl Matcher {
    /// The matcher for normalised search text `q`, or `None` when nothing
    /// in it could match (only exclusions, say).
    pub(super) fn new(backend: Backend, q: &str) -> Option<Self> {
        match backend {
            Backend::Sqlite => fts5_expression(q).map(Matcher::Fts5),
            // Same rule as FTS5 about what can match: exclusions alone find
            // nothing (websearch_to_tsquery would find everything else).
            Backend::Postgres => fts5_expression(q).map(|_| Matcher::Websearch(q.to_owned())),
        }
    }

    /// Whether the statement may be prepared once and reused. PostgreSQL
    /// must plan each search with its words in view: `websearch_to_tsquery`
    /// of a known text is folded into a constant whose frequency the planner
    /// knows, so a word in most resources walks the newest rows and stops,
    /// and a rare one reads the index. A statement prepared once is planned
    /// for no word in particular and reads every match. (An unnamed
    /// statement is planned with its values.)
    pub(super) fn persistent(&self) -> bool {
        matches!(self, Matcher::Fts5(_))
    }

    /// Appends the parsed query, on PostgreSQL.
    fn tsquery(sql: &mut Sql, q: &str) {
        sql.push("websearch_to_tsquery('english', ")
            .bind(q)
            .push(")");
    }

    /// The order that puts the newest matches first, in the order the
    /// engine can read them without sorting every match.
    pub(super) fn newest_first(&self) -> &'static str {
        match self {
            Matcher::Fts5(_) => " order by resources_fts.rowid desc",
            Matcher::Websearch(_) => " order by r.id desc",
        }
    }

    /// The `from` clause of a search over resources `r`.
    pub(super) fn from(&self) -> &'static str {
        match self {
            // `cross join` makes SQLite start from the full-text index's
            // matches and look each resource up by id, rather than walk
            // every visible resource and probe the index for each. Each
            // lookup reads the index holding what a match needs (see
            // migration 0022), not the row with all its text.
            Matcher::Fts5(_) => {
                "resources_fts cross join resources r indexed by resources_search_scope \
                 on r.id = resources_fts.rowid"
            }
            Matcher::Websearch(_) => "resources r",
        }
    }

    /// Appends the matching condition, starting ` and`.
    pub(super) fn condition(&self, sql: &mut Sql) {
        match self {
            Matcher::Fts5(expression) => {
                sql.push(" and resources_fts match ")
                    .bind(expression.as_str());
            }
            Matcher::Websearch(q) => {
                sql.push(" and r.search_vector @@ ");
                Self::tsquery(sql, q);
            }
        }
    }

    /// Appends the columns of each match: `id`, `updated_at` and `rank`,
    /// lower for a better match. Each engine scores a match while it reads
    /// it: FTS5 can only score then, and PostgreSQL has the row's page in
    /// hand for the visibility rule, where looking the newest matches up
    /// again by id to score them took longer than scoring every match. It
    /// scores from the short vector of the title, summary and tags
    /// (`rank_vector`, migration 0022), not the whole text, by how often
    /// and where the words occur (`ts_rank`): `ts_rank_cd`, which also
    /// weighs how close together they are, cost more than the match.
    pub(super) fn match_columns(&self, sql: &mut Sql) {
        match self {
            // Weights: title, summary, body, tags, file text.
            Matcher::Fts5(_) => {
                sql.push(
                    "r.id as id, r.updated_at as updated_at, \
                     bm25(resources_fts, 10.0, 4.0, 1.0, 4.0, 1.0) as rank",
                );
            }
            Matcher::Websearch(q) => {
                sql.push("r.id as id, r.updated_at as updated_at, -ts_rank(r.rank_vector, ");
                Self::tsquery(sql, q);
                sql.push(") as rank");
            }
        }
    }
}

/// One term of web-search-style text: a word or a quoted phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Term {
    pub(super) text: String,
    /// Written `-term`: matches must not contain it.
    pub(super) excluded: bool,
    /// Written after `or`, following a term that is not excluded: either
    /// may occur.
    pub(super) or_previous: bool,
}

/// The terms of web-search-style text, at most [`MAX_TERMS`]: quoted
/// phrases whole (an unclosed quote runs to the end), `-` marking an
/// exclusion, and a bare `or` joining its neighbours.
pub(super) fn terms(q: &str) -> Vec<Term> {
    let mut terms: Vec<Term> = Vec::new();
    let mut pending_or = false;
    let mut chars = q.chars().peekable();
    while terms.len() < MAX_TERMS {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let excluded = chars.next_if_eq(&'-').is_some();
        let mut text = String::new();
        let quoted = chars.next_if_eq(&'"').is_some();
        if quoted {
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                text.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '"') {
                text.push(c);
            }
        }
        if !quoted && !excluded && text.eq_ignore_ascii_case("or") {
            pending_or = terms.iter().any(|t| !t.excluded);
            continue;
        }
        if text.trim().is_empty() {
            continue;
        }
        terms.push(Term {
            text,
            excluded,
            or_previous: pending_or && !excluded,
        });
        pending_or = false;
    }
    terms
}

/// An FTS5 expression for web-search-style text: every term quoted (a
/// quote inside doubled), terms joined by `AND`, `or` between two terms
/// making an `OR`, `-term` excluded with `NOT`. `None` when no term is left
/// to look for.
pub(super) fn fts5_expression(q: &str) -> Option<String> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut excluded: Vec<String> = Vec::new();
    for term in terms(q) {
        let quoted = format!("\"{}\"", term.text.replace('"', "\"\""));
        if term.excluded {
            excluded.push(quoted);
        } else if let (true, Some(last)) = (term.or_previous, groups.last_mut()) {
            last.push(quoted);
        } else {
            groups.push(vec![quoted]);
        }
    }
    if groups.is_empty() {
        return None;
    }
    let included = groups
        .iter()
        .map(|group| match group.as_slice() {
            [one] => one.clone(),
            many => format!("({})", many.join(" OR ")),
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    Some(if excluded.is_empty() {
        included
    } else {
        format!("({included}) NOT ({})", excluded.join(" OR "))
    })
}

#[cfg(test)]
mod tests {
    use super::fts5_expression;

    #[test]
    fn web_search_text_becomes_quoted_fts5() {
        let cases: &[(&str, Option<&str>)] = &[
            ("hand hygiene", Some(r#""hand" AND "hygiene""#)),
            (
                r#""data protection" policy"#,
                Some(r#""data protection" AND "policy""#),
            ),
            ("gdpr or dpia", Some(r#"("gdpr" OR "dpia")"#)),
            ("gdpr -draft", Some(r#"("gdpr") NOT ("draft")"#)),
            ("-draft", None),
            ("or", None),
            ("or gdpr", Some(r#""gdpr""#)),
            ("AND NOT NEAR", Some(r#""AND" AND "NOT" AND "NEAR""#)),
            ("title:secret", Some(r#""title:secret""#)),
            ("polic*", Some(r#""polic*""#)),
            (r#"a"b"#, Some(r#""a" AND "b""#)),
            (r#"""#, None),
            (r#""unclosed phrase"#, Some(r#""unclosed phrase""#)),
            ("-", None),
            ("🧼", Some(r#""🧼""#)),
        ];
        for (q, expected) in cases {
            assert_eq!(fts5_expression(q).as_deref(), *expected, "{q:?}");
        }
    }

    #[test]
    fn long_searches_are_cut_to_a_bounded_expression() {
        let expression = fts5_expression(&"word ".repeat(2_000)).expect("expression");
        assert_eq!(expression.matches(" AND ").count(), 31);
    }
}
