use serde::{Deserialize, Serialize};

/// One page of a longer list, and where it sits in the whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    /// How many there are, up to the list's counting limit if it has one.
    pub total: i64,
    /// More than `total` match: the list stopped counting there, and a
    /// person should narrow it.
    pub more: bool,
    /// This page, from 1.
    pub page: i64,
    /// How many pages `total` fills; at least 1.
    pub pages: i64,
}

impl<T> Paged<T> {
    /// Page `page` of `total` rows shown `per_page` at a time.
    pub fn new(rows: Vec<T>, total: i64, page: i64, per_page: i64) -> Self {
        Self::counted_to(rows, total, i64::MAX, page, per_page)
    }

    /// The same for a list that counts no further than one past `limit`:
    /// `found` beyond `limit` is shown as `limit`, and more.
    pub fn counted_to(rows: Vec<T>, found: i64, limit: i64, page: i64, per_page: i64) -> Self {
        let total = found.clamp(0, limit);
        Self {
            rows,
            total,
            more: found > limit,
            page,
            pages: (total / per_page + i64::from(total % per_page != 0)).max(1),
        }
    }
}

/// A count as people read it: "1 message", "3 messages", "2 people".
pub fn how_many(count: i64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0, 1)]
    #[case(1, 1)]
    #[case(20, 1)]
    #[case(21, 2)]
    #[case(40, 2)]
    #[case(1_000, 50)]
    fn a_list_fills_whole_pages_and_always_has_one(#[case] total: i64, #[case] pages: i64) {
        let page: Paged<()> = Paged::new(Vec::new(), total, 1, 20);
        assert_eq!((page.total, page.pages, page.more), (total, pages, false));
    }

    #[test]
    fn a_list_counted_past_its_limit_says_there_are_more() {
        let page: Paged<()> = Paged::counted_to(Vec::new(), 1_001, 1_000, 3, 20);
        assert_eq!((page.total, page.pages, page.more), (1_000, 50, true));
        let page: Paged<()> = Paged::counted_to(Vec::new(), 1_000, 1_000, 3, 20);
        assert_eq!((page.total, page.more), (1_000, false));
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(how_many(1, "person", "people"), "1 person");
        assert_eq!(how_many(0, "person", "people"), "0 people");
        assert_eq!(how_many(3, "message", "messages"), "3 messages");
    }
}
