//! PrimaryPoint's user interface, rendered on the server and hydrated in the
//! browser. Pages are grouped by who sees them; each server function lives
//! beside the feature it serves and stays thin: authorise, validate with
//! `domain`, make one `backend` call, map the result.
#![forbid(unsafe_code)]

/// Server functions, one small module per resource.
pub mod api;

/// Building blocks shared by pages: layout, headings, forms.
pub mod components;

/// The error every server function returns.
pub mod error;

/// Pages, grouped by audience.
pub mod pages;

/// What the server hands every request: database and site details.
#[cfg(feature = "ssr")]
pub mod state;

use components::layout::{Footer, Header, SkipLink};
use domain::site::SiteInfo;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};
use pages::public;

/// The HTML document around the app. Runs on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    state::set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.ico" sizes="any" />
                <link rel="stylesheet" href="/css/nhsuk-frontend.min.css" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The whole application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Site details come from the server's configuration and travel to the
    // browser inside the page, so hydration sees exactly what SSR rendered.
    let site = leptos::server::SharedValue::new(|| use_context::<SiteInfo>().unwrap_or_default())
        .into_inner();
    provide_context(site);
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/primarypoint.css" />
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().then_some("true")>
                <SkipLink />
                <Header />
                <div class="nhsuk-width-container">
                    <Routes fallback=public::not_found::NotFound>
                        <Route path=path!("/") view=public::home::Home ssr=SsrMode::Async />
                        <Route path=path!("/services") view=public::services::Services ssr=SsrMode::Async />
                        <Route path=path!("/services/:slug") view=public::services::Service ssr=SsrMode::Async />
                        <Route path=path!("/page/:slug") view=public::page::ContentPage ssr=SsrMode::Async />
                        <Route path=path!("/contact") view=public::contact::Contact ssr=SsrMode::Async />
                        <Route path=path!("/contact/thanks") view=public::contact::ContactThanks ssr=SsrMode::Async />
                    </Routes>
                </div>
                <Footer />
            </div>
        </Router>
    }
}
