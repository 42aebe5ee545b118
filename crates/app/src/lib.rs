//! PrimaryPoint's user interface, rendered on the server and hydrated in the
//! browser. Pages are grouped by who sees them; each server function lives
//! beside the feature it serves and stays thin: authorise, validate with
//! `domain`, make one `backend` call, map the result.
#![forbid(unsafe_code)]
// Deeply nested views (forms inside pages inside the layout) need more
// room than the default when the compiler works out their types.
#![recursion_limit = "256"]

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
use pages::{admin, auth, portal, public};

/// A refused form without JavaScript is drawn at the address it was posted
/// to (`/api/…?from=/register`). Before hydrating, put the page's own
/// address back, so the router draws the same page the server did and a
/// refresh loads that page rather than posting again.
#[cfg(feature = "hydrate")]
pub fn restore_page_address() {
    let window = leptos::prelude::window();
    let location = window.location();
    let Ok(path) = location.pathname() else {
        return;
    };
    if !path.starts_with("/api/") {
        return;
    }
    let from = location
        .search()
        .ok()
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .and_then(|params| params.get(components::form::FROM));
    if let (Some(from), Ok(history)) = (from, window.history())
        && let Some(page) = domain::account::local_next(&from)
        && !page.starts_with("/api/")
    {
        let _ =
            history.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(page));
    }
}

/// The HTML document around the app. Runs on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
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
    // Who is signed in, read from the session on the server and carried
    // into the page the same way.
    let viewer = leptos::server::SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            state::current_session()
                .filter(|s| s.stage == backend::sessions::Stage::SignedIn)
                .map(|s| s.viewer)
        }
        #[cfg(not(feature = "ssr"))]
        {
            None::<domain::account::Viewer>
        }
    })
    .into_inner();
    provide_context(components::layout::SignedIn(viewer));
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/primarypoint.css" />
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().then_some("true")>
                <SkipLink />
                <CountNavigations />
                <Header />
                <div class="nhsuk-width-container">
                    <Routes fallback=public::not_found::NotFound>
                        <Route path=path!("/") view=public::home::Home ssr=SsrMode::Async />
                        <Route path=path!("/services") view=public::services::Services ssr=SsrMode::Async />
                        <Route path=path!("/services/:slug") view=public::services::Service ssr=SsrMode::Async />
                        <Route path=path!("/page/:slug") view=public::page::ContentPage ssr=SsrMode::Async />
                        <Route path=path!("/contact") view=public::contact::Contact ssr=SsrMode::Async />
                        <Route path=path!("/contact/thanks") view=public::contact::ContactThanks ssr=SsrMode::Async />
                        <Route path=path!("/register") view=auth::register::Register ssr=SsrMode::Async />
                        <Route path=path!("/register/check-email") view=auth::register::CheckEmail ssr=SsrMode::Async />
                        <Route path=path!("/verify-email") view=auth::links::VerifyEmail ssr=SsrMode::Async />
                        <Route path=path!("/confirm-email") view=auth::links::ConfirmEmail ssr=SsrMode::Async />
                        <Route path=path!("/login") view=auth::login::Login ssr=SsrMode::Async />
                        <Route path=path!("/login/two-factor") view=auth::login::TwoFactor ssr=SsrMode::Async />
                        <Route path=path!("/logout") view=auth::login::SignOut ssr=SsrMode::Async />
                        <Route path=path!("/forgot-password") view=auth::password::ForgotPassword ssr=SsrMode::Async />
                        <Route path=path!("/forgot-password/sent") view=auth::password::ResetSent ssr=SsrMode::Async />
                        <Route path=path!("/reset-password") view=auth::password::ResetPassword ssr=SsrMode::Async />
                        <Route path=path!("/account") view=auth::account::Account ssr=SsrMode::Async />
                        <Route path=path!("/account/password") view=auth::account::ChangePassword ssr=SsrMode::Async />
                        <Route path=path!("/account/email") view=auth::account::ChangeEmail ssr=SsrMode::Async />
                        <Route path=path!("/account/two-factor") view=auth::two_factor::Enrol ssr=SsrMode::Async />
                        <Route path=path!("/portal") view=portal::home::PortalHome ssr=SsrMode::Async />
                        <Route path=path!("/portal/library") view=portal::library::Library ssr=SsrMode::Async />
                        <Route path=path!("/portal/library/:id") view=portal::library::LibraryResource ssr=SsrMode::Async />
                        <Route path=path!("/portal/saved") view=portal::library::Saved ssr=SsrMode::Async />
                        <Route path=path!("/portal/my-data") view=portal::my_data::MyDataPage ssr=SsrMode::Async />
                        <Route path=path!("/portal/messages") view=portal::messages::MyMessages ssr=SsrMode::Async />
                        <Route path=path!("/portal/messages/new") view=portal::messages::WriteMessage ssr=SsrMode::Async />
                        <Route path=path!("/portal/messages/:id") view=portal::messages::MyMessage ssr=SsrMode::Async />
                        <Route path=path!("/admin") view=admin::home::AdminHome ssr=SsrMode::Async />
                        <Route path=path!("/admin/messages") view=admin::messages::Inbox ssr=SsrMode::Async />
                        <Route path=path!("/admin/requests") view=admin::requests::Requests ssr=SsrMode::Async />
                        <Route path=path!("/admin/requests/:id") view=admin::requests::RightsRequestPage ssr=SsrMode::Async />
                        <Route path=path!("/admin/audit") view=admin::audit::AuditTrail ssr=SsrMode::Async />
                        <Route path=path!("/admin/pages") view=admin::pages::AdminPages ssr=SsrMode::Async />
                        <Route path=path!("/admin/pages/:slug") view=admin::pages::EditPage ssr=SsrMode::Async />
                        <Route path=path!("/admin/audit/chain") view=admin::audit::AuditChain ssr=SsrMode::Async />
                        <Route path=path!("/admin/messages/:id") view=admin::messages::InboxMessage ssr=SsrMode::Async />
                        <Route path=path!("/admin/library") view=admin::library::AdminLibrary ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/new") view=admin::library::NewResource ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/reviews") view=admin::library::Reviews ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/:id") view=admin::library::AdminResource ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/:id/edit") view=admin::library::EditResource ssr=SsrMode::Async />
                        <Route path=path!("/admin/services") view=admin::services::AdminServices ssr=SsrMode::Async />
                        <Route path=path!("/admin/services/new") view=admin::services::NewService ssr=SsrMode::Async />
                        <Route path=path!("/admin/services/:id") view=admin::services::EditService ssr=SsrMode::Async />
                        <Route path=path!("/admin/members") view=admin::members::Members ssr=SsrMode::Async />
                        <Route path=path!("/admin/retention") view=admin::retention::Retention ssr=SsrMode::Async />
                        <Route path=path!("/admin/statistics") view=admin::statistics::Statistics ssr=SsrMode::Async />
                        <Route path=path!("/admin/members/:id") view=admin::members::MemberRecord ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations") view=admin::organisations::Organisations ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations/new") view=admin::organisations::NewOrganisation ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations/:id") view=admin::organisations::OrganisationPage ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations/:id/edit") view=admin::organisations::EditOrganisation ssr=SsrMode::Async />
                    </Routes>
                </div>
                <Footer />
            </div>
        </Router>
    }
}

/// Counts each page the browser moves to without reloading, as the server
/// counts the pages it renders (P10). Effects run only in the browser,
/// and the first run is the page the server rendered and counted.
#[component]
fn CountNavigations() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|previous| previous != path) {
            let counted = path.clone();
            leptos::task::spawn_local(async move {
                // Counting is best effort: a lost count harms nobody.
                let _ = api::stats::count_view(counted).await;
            });
        }
        path
    });
}
