use pulldown_cmark::{Options, Parser, html};

/// Renders administrator-written Markdown to HTML that is safe to put in a
/// page: ammonia strips scripts, event handlers, styles and unknown tags,
/// and links to other sites get `rel="noopener noreferrer"`.
pub fn to_safe_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html =
            to_safe_html("## Your rights\n\n* access\n* erasure\n\n[ICO](https://ico.org.uk/)");
        assert!(html.contains("<h2>Your rights</h2>"), "{html}");
        assert!(html.contains("<li>erasure</li>"), "{html}");
        assert!(html.contains(r#"href="https://ico.org.uk/""#), "{html}");
    }

    #[test]
    fn strips_scripts_handlers_and_javascript_links() {
        let html = to_safe_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
