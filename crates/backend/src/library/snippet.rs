//! The snippet under each search result: a short stretch of the resource's
//! summary, body or file text with the searched words marked. Made here,
//! for the rows of the page only, the same way on both engines.
//!
//! Words are compared as the engines index them, closely enough for
//! marking: letters and digits in runs, lower case, accents removed, and
//! English endings stemmed (Snowball's English stemmer, as PostgreSQL's
//! `english` configuration uses; FTS5's Porter stemmer agrees on nearly
//! every word, and a word they disagree on is found but not marked).
//!
//! The engines' own snippet functions read the whole of every column they
//! are given for each row (FTS5 also runs the match again per row); this
//! reads the sources in order and stops at the first with a word to mark,
//! stems only words that could match, and shows a bounded stretch however
//! the text is laid out.

use super::search::terms;
use domain::library::SnippetPart;
use rust_stemmers::{Algorithm, Stemmer};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words a snippet shows at most.
const WORDS: usize = 24;
/// Words shown before the first marked one, when there are that many.
const LEAD: usize = 4;
/// Longest word shown whole; a longer one (a URL, a run of CJK) is cut.
const WORD_CHARS: usize = 40;
/// Longest text shown between two words; longer (dot leaders, a table's
/// rules) is shown as `…`.
const GAP_CHARS: usize = 12;
/// A stemmer only takes endings off, never more than this many characters.
const STEM_SLACK: usize = 10;
/// Most words whose stemming a page remembers.
const STEMMED_KEPT: usize = 10_000;

/// English words too common to search for, as PostgreSQL's `english`
/// configuration drops them (Snowball's list): not marked unless every
/// searched word is one.
const STOP_WORDS: &str = "\
    i me my myself we our ours ourselves you your yours yourself \
    yourselves he him his himself she her hers herself it its itself they \
    them their theirs themselves what which who whom this that these \
    those am is are was were be been being have has had having do does \
    did doing a an the and but if or because as until while of at by for \
    with about against between into through during before after above \
    below to from up down in out on off over under again further then \
    once here there when where why how all any both each few more most \
    other some such no nor not only own same so than too very s t can \
    will just don should now";

/// Finds the searched words in a resource's text.
pub(super) struct Highlighter {
    stemmer: Stemmer,
    stems: HashSet<String>,
    /// The first character of every stem: a word starting otherwise cannot
    /// match, and is not stemmed (stemming changes only endings).
    initials: HashSet<char>,
    /// Words longer than this cannot stem to any of `stems`, and are not
    /// stemmed (the stemmer's time grows with the square of a long word's
    /// length).
    longest: usize,
    /// Whether each word stemmed so far matched: a page's texts use the
    /// same words over and over, and stemming is most of the work.
    stemmed: HashMap<String, bool>,
}

impl Highlighter {
    /// For normalised search text `q`: every word of its terms but the
    /// excluded ones.
    pub(super) fn new(q: &str) -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let searched: Vec<String> = terms(q)
            .iter()
            .filter(|term| !term.excluded)
            .flat_map(|term| {
                words(&term.text)
                    .map(|(start, end)| fold(&term.text[start..end]).into_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let common = |word: &str| STOP_WORDS.split_ascii_whitespace().any(|w| w == word);
        let all_common = searched.iter().all(|w| common(w));
        let stems: HashSet<String> = searched
            .iter()
            .filter(|w| all_common || !common(w))
            .map(|w| stemmer.stem(w).into_owned())
            .collect();
        let initials = stems.iter().filter_map(|s| s.chars().next()).collect();
        let longest = stems.iter().map(|s| s.chars().count()).max().unwrap_or(0) + STEM_SLACK;
        Self {
            stemmer,
            stems,
            initials,
            longest,
            stemmed: HashMap::new(),
        }
    }

    fn matches(&mut self, word: &str) -> bool {
        let folded = fold(word);
        if !folded
            .chars()
            .next()
            .is_some_and(|c| self.initials.contains(&c))
            || folded.chars().count() > self.longest
        {
            return false;
        }
        // No English ending ends in a digit: such a word is its own stem.
        if folded.ends_with(|c: char| c.is_ascii_digit()) {
            return self.stems.contains(folded.as_ref());
        }
        if let Some(&matched) = self.stemmed.get(folded.as_ref()) {
            return matched;
        }
        let matched = self.stems.contains(self.stemmer.stem(&folded).as_ref());
        if self.stemmed.len() < STEMMED_KEPT {
            self.stemmed.insert(folded.into_owned(), matched);
        }
        matched
    }

    /// The snippet for a resource whose text is `sources`, in order of
    /// preference: the best stretch of the first that has a searched word,
    /// or nothing when none has (the words were in the title or tags, which
    /// the result shows anyway).
    pub(super) fn snippet(&mut self, sources: &[&str]) -> Vec<SnippetPart> {
        for source in sources {
            let found: Vec<(usize, usize, bool)> = words(source)
                .map(|(start, end)| (start, end, self.matches(&source[start..end])))
                .collect();
            if let Some(first) = best_window(&found) {
                return parts(source, &found, first);
            }
        }
        Vec::new()
    }
}

/// The byte ranges of the words of `text`: runs of letters and digits,
/// with the accents written after a letter (as text taken from PDFs often
/// has them).
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let in_word = |c: &char| c.is_alphanumeric() || is_combining_mark(*c);
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.next_if(|(_, c)| !c.is_alphanumeric()).is_some() {}
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some((at, c)) = chars.next_if(|(_, c)| in_word(c)) {
            end = at + c.len_utf8();
        }
        Some((start, end))
    })
}

/// A word as it is compared: lower case, accents removed.
fn fold(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Cow::Borrowed(word)
    } else if word.is_ascii() {
        Cow::Owned(word.to_ascii_lowercase())
    } else {
        Cow::Owned(
            word.nfd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .collect(),
        )
    }
}

/// The index of the word the stretch starts at: [`LEAD`] words before the
/// marked word that begins the window of [`WORDS`] with the most marked
/// words (the earliest of equals). `None` when no word is marked.
fn best_window(found: &[(usize, usize, bool)]) -> Option<usize> {
    let marked: Vec<usize> = (0..found.len()).filter(|&i| found[i].2).collect();
    let (mut best, mut best_count) = (None, 0);
    for (n, &at) in marked.iter().enumerate() {
        let count = marked[n..]
            .iter()
            .take_while(|&&i| i < at + WORDS - LEAD)
            .count();
        if count > best_count {
            (best, best_count) = (Some(at), count);
        }
    }
    best.map(|at| at.saturating_sub(LEAD))
}

/// The stretch of `source` from word `first`, [`WORDS`] words at most,
/// with runs of white space made single spaces, long words cut, and `…`
/// where text was left out.
fn parts(source: &str, found: &[(usize, usize, bool)], first: usize) -> Vec<SnippetPart> {
    if found.is_empty() {
        return Vec::new();
    }
    let last = (first + WORDS).min(found.len());
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |text: &str, matched: bool| match parts.last_mut() {
        _ if text.is_empty() => {}
        Some(part) if part.matched == matched => part.text.push_str(text),
        _ => parts.push(SnippetPart {
            text: text.to_owned(),
            matched,
        }),
    };
    let gap = |text: &str| -> String {
        let text = collapse_spaces(text);
        if text.chars().count() > GAP_CHARS {
            " … ".to_owned()
        } else {
            text
        }
    };
    if first > 0 {
        push("… ", false);
    } else {
        push(gap(&source[..found[0].0]).trim_start(), false);
    }
    for (n, &(start, end, matched)) in found[first..last].iter().enumerate() {
        if n > 0 {
            push(&gap(&source[found[first + n - 1].1..start]), false);
        }
        let word = &source[start..end];
        match word.char_indices().nth(WORD_CHARS) {
            Some((cut, _)) => {
                push(&word[..cut], matched);
                push("…", false);
            }
            None => push(word, matched),
        }
    }
    if last < found.len() {
        push(" …", false);
    } else {
        push(gap(&source[found[last - 1].1..]).trim_end(), false);
    }
    parts
}

/// `text` with each run of white space made one space.
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_space = false;
    for c in text.chars() {
        let space = c.is_whitespace();
        if !(space && after_space) {
            out.push(if space { ' ' } else { c });
        }
        after_space = space;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(parts: &[SnippetPart]) -> String {
        parts
            .iter()
            .map(|p| {
                if p.matched {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn a_word_ending_in_a_digit_is_its_own_stem() {
        let stemmer = Stemmer::create(Algorithm::English);
        for word in ["term12345", "covid19", "iso9001", "ies2", "dying1", "y2"] {
            assert_eq!(stemmer.stem(word), word);
        }
        let mut h = Highlighter::new("Covid19 ISO9001");
        assert_eq!(
            shown(&h.snippet(&["After covid19, see iso9001 and iso9002."])),
            "After [covid19], see [iso9001] and iso9002."
        );
    }

    #[test]
    fn searched_words_are_marked_in_any_form() {
        let mut h = Highlighter::new("hand hygiene");
        assert_eq!(
            shown(&h.snippet(&["Wash your HANDS: good practice."])),
            "Wash your [HANDS]: good practice."
        );
        let mut h = Highlighter::new("policies");
        assert_eq!(
            shown(&h.snippet(&["The policy, and other Policies."])),
            "The [policy], and other [Policies]."
        );
        let mut h = Highlighter::new("cafe");
        assert_eq!(shown(&h.snippet(&["Le Café"])), "Le [Café]");
    }

    #[test]
    fn excluded_words_and_syntax_are_not_marked() {
        let mut h = Highlighter::new(r#""cold chain" or fridge -vaccine"#);
        assert_eq!(
            shown(&h.snippet(&["Vaccine fridge and cold chain, or not."])),
            "Vaccine [fridge] and [cold] [chain], or not."
        );
    }

    #[test]
    fn the_first_source_with_a_match_is_used() {
        let mut h = Highlighter::new("quinquennial");
        let parts = h.snippet(&[
            "A summary.",
            "A body.",
            "Appendix B. The quinquennial audit.",
        ]);
        assert_eq!(shown(&parts), "Appendix B. The [quinquennial] audit.");
        // No match anywhere (the word was in the title): no snippet, rather
        // than the summary the result shows already.
        assert!(h.snippet(&["A summary.", "A body."]).is_empty());
        assert!(h.snippet(&["", "  "]).is_empty());
    }

    #[test]
    fn a_long_text_is_cut_around_the_densest_matches() {
        let text = format!(
            "{} alpha {} alpha beta alpha {}",
            "one ".repeat(30),
            "two ".repeat(30),
            "three ".repeat(30)
        );
        let mut h = Highlighter::new("alpha beta");
        let out = shown(&h.snippet(&[&text]));
        assert_eq!(
            out,
            format!(
                "… two two two two [alpha] [beta] [alpha] {}…",
                "three ".repeat(17)
            )
        );
    }

    #[test]
    fn common_words_are_marked_only_when_nothing_else_was_searched() {
        let mut h = Highlighter::new("the storage of vaccines");
        assert_eq!(
            shown(&h.snippet(&["The storage of the vaccine."])),
            "The [storage] of the [vaccine]."
        );
        let mut h = Highlighter::new("the");
        assert_eq!(shown(&h.snippet(&["Of the two."])), "Of [the] two.");
    }

    #[test]
    fn accents_written_after_the_letter_are_part_of_the_word() {
        let mut h = Highlighter::new("naive");
        assert_eq!(
            shown(&h.snippet(&["A nai\u{308}ve plan."])),
            "A [nai\u{308}ve] plan."
        );
    }

    #[test]
    fn long_words_and_long_gaps_are_cut() {
        let mut h = Highlighter::new("contents");
        let toc = format!("Contents{}3 {}", ".".repeat(200), "x".repeat(500));
        assert_eq!(
            shown(&h.snippet(&[&toc])),
            format!("[Contents] … 3 {}…", "x".repeat(40))
        );
        // A hostile 100,000-letter word is neither stemmed nor shown whole.
        let mut h = Highlighter::new("ay");
        let word = "ay".repeat(50_000);
        let parts = h.snippet(&[&format!("ay {word}")]);
        assert_eq!(shown(&parts), format!("[ay] {}…", &word[..40]));
    }

    #[test]
    fn white_space_is_collapsed_and_markup_kept() {
        let mut h = Highlighter::new("gdpr");
        assert_eq!(
            shown(&h.snippet(&["## Data\n\n* **GDPR**   applies"])),
            "## Data * **[GDPR]** applies"
        );
    }

    #[test]
    fn any_text_gives_a_snippet_without_panicking() {
        let mut h = Highlighter::new("🧼 ß \u{0301} x");
        let texts = [
            String::new(),
            "🧼🧼".to_owned(),
            "\u{0301}\u{0301}".to_owned(),
            "ẞtraße x".to_owned(),
            "x ".repeat(10_000),
            format!("x{}x", "🧼".repeat(10_000)),
            "x".repeat(10_000),
        ];
        for text in &texts {
            let parts = h.snippet(&[text]);
            let shown: usize = parts.iter().map(|p| p.text.chars().count()).sum();
            assert!(shown <= WORDS * (WORD_CHARS + 1 + GAP_CHARS), "{shown}");
        }
    }
}
