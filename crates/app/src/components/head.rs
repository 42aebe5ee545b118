use domain::site::SiteInfo;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::use_location;

/// Sets the page's title ("Services – PrimaryPoint"), meta description and
/// canonical link. Every page renders exactly one of these.
#[component]
pub fn PageHead(
    /// The page's own name; empty for the home page.
    #[prop(into)]
    title: String,
    /// One sentence describing the page for search results.
    #[prop(into)]
    description: String,
) -> impl IntoView {
    let site = expect_context::<SiteInfo>();
    let canonical = site.canonical(&use_location().pathname.get_untracked());
    let text = site.title(&title);
    // leptos_meta writes the title into the server's HTML as it is, so a
    // stored name holding `</title>` could add markup to the page. Escape it
    // there; in the browser the title is set as text and needs no escaping.
    #[cfg(feature = "ssr")]
    let text = html_escape::encode_text(&text).into_owned();
    view! {
        <Title text />
        <Meta name="description" content=description />
        <Link rel="canonical" href=canonical />
    }
}
