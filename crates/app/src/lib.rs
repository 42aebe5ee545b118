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
use leptos_meta::provide_meta_context;
use leptos_router::{
    Lazy, SsrMode,
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

/// The HTML document around the app. Runs on the server only. The
/// stylesheets and scripts are linked by addresses that name their content.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let links = use_context::<state::AppState>()
        .map(|state| state.links)
        .unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.ico" sizes="any" />
                <link rel="stylesheet" href=links.nhsuk_stylesheet />
                <leptos_meta::HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options />
                <StartOnFirstTouch script=links.app_script wasm=links.app_wasm />
                <leptos_meta::MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Starts the app the first time the visitor moves the pointer, touches,
/// types, focuses or scrolls (`start.js`), instead of Leptos'
/// `HydrationScripts`, which fetches the app and preloads every wasm chunk
/// of the page's route from `<head>` as the page loads.
///
/// Every page is whole without JavaScript, so the app only adds client-side
/// navigation and live forms. Fetched and run at load, it competed with
/// the first paint and kept the browser's main thread busy while the
/// visitor began to read; now neither happens until someone is there to use
/// it. A first click made before the app is live is followed as a plain
/// link or form, as it would be without JavaScript. If fetching the app
/// fails (the network dropped), the page stays as it is and the visitor's
/// next click or key tries again.
#[cfg(feature = "ssr")]
#[component]
fn StartOnFirstTouch(script: String, wasm: String) -> impl IntoView {
    // Without the server's state there is no app to link.
    (!script.is_empty()).then(|| {
        let nonce = leptos::nonce::use_nonce();
        let start = format!("{}({script:?}, {wasm:?});", include_str!("start.js"));
        view! { <script type="module" nonce=nonce>{start}</script> }
    })
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

    view! {
        <Router>
            <div class="app">
                <SkipLink />
                <CountNavigations />
                <Header />
                <div class="nhsuk-width-container">
                    <Routes fallback=public::not_found::NotFound>
                        <Route path=path!("/") view={Lazy::<HomePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/services") view={Lazy::<ServicesPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/services/:slug") view={Lazy::<ServicePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/page/:slug") view={Lazy::<ContentPageLazy>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/contact") view={Lazy::<ContactPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/contact/thanks") view={Lazy::<ContactThanksPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/register") view={Lazy::<RegisterPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/register/check-email") view={Lazy::<CheckEmailPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/verify-email") view={Lazy::<VerifyEmailPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/confirm-email") view={Lazy::<ConfirmEmailPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/login") view={Lazy::<LoginPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/login/two-factor") view={Lazy::<TwoFactorPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/logout") view={Lazy::<SignOutPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/forgot-password/sent") view={Lazy::<ResetSentPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/reset-password") view={Lazy::<ResetPasswordPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/account") view={Lazy::<AccountPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/account/password") view={Lazy::<ChangePasswordPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/account/email") view={Lazy::<ChangeEmailPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/account/two-factor") view={Lazy::<EnrolPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal") view={Lazy::<PortalHomePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal/library") view={Lazy::<LibraryPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal/library/:id") view={Lazy::<LibraryResourcePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal/saved") view={Lazy::<SavedPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal/my-data") view={Lazy::<MyDataPageLazy>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal/messages") view={Lazy::<MyMessagesPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal/messages/new") view={Lazy::<WriteMessagePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/portal/messages/:id") view={Lazy::<MyMessagePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin") view={Lazy::<AdminHomePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/messages") view={Lazy::<InboxPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/requests") view={Lazy::<RequestsPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/requests/:id") view={Lazy::<RightsRequestPageLazy>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/audit") view={Lazy::<AuditTrailPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/pages") view={Lazy::<AdminPagesPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/pages/:slug") view={Lazy::<EditPageLazy>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/audit/chain") view={Lazy::<AuditChainPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/messages/:id") view={Lazy::<InboxMessagePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/library") view={Lazy::<AdminLibraryPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/new") view={Lazy::<NewResourcePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/reviews") view={Lazy::<ReviewsPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/:id") view={Lazy::<AdminResourcePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/library/:id/edit") view={Lazy::<EditResourcePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/services") view={Lazy::<AdminServicesPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/services/new") view={Lazy::<NewServicePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/services/:id") view={Lazy::<EditServicePage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/members") view={Lazy::<MembersPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/retention") view={Lazy::<RetentionPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/statistics") view={Lazy::<StatisticsPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/members/:id") view={Lazy::<MemberRecordPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations") view={Lazy::<OrganisationsPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations/new") view={Lazy::<NewOrganisationPage>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations/:id") view={Lazy::<OrganisationPageLazy>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/admin/organisations/:id/edit") view={Lazy::<EditOrganisationPage>::new()} ssr=SsrMode::Async />
                    </Routes>
                </div>
                <Footer />
            </div>
        </Router>
    }
}

/// Every page is a lazy route: its code is a wasm chunk of its own (`cargo
/// leptos build --split`) that the browser fetches when the app starts on
/// that page or navigates to it, so a visitor's first download is the
/// layout, the router and the page in hand, never the forms, the portal or
/// the administrators' pages. On the server a lazy page renders as any
/// other.
macro_rules! lazy_pages {
    ($($route:ident => $($page:ident)::+),* $(,)?) => {$(
        struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let $route = this;
                untrack(|| $($page)::+().into_any())
            }
        }
    )*};
}

lazy_pages! {
    HomePage => public::home::Home,
    ServicesPage => public::services::Services,
    ServicePage => public::services::Service,
    ContentPageLazy => public::page::ContentPage,
    ContactPage => public::contact::Contact,
    ContactThanksPage => public::contact::ContactThanks,
    RegisterPage => auth::register::Register,
    CheckEmailPage => auth::register::CheckEmail,
    VerifyEmailPage => auth::links::VerifyEmail,
    ConfirmEmailPage => auth::links::ConfirmEmail,
    LoginPage => auth::login::Login,
    TwoFactorPage => auth::login::TwoFactor,
    SignOutPage => auth::login::SignOut,
    ForgotPasswordPage => auth::password::ForgotPassword,
    ResetSentPage => auth::password::ResetSent,
    ResetPasswordPage => auth::password::ResetPassword,
    AccountPage => auth::account::Account,
    ChangePasswordPage => auth::account::ChangePassword,
    ChangeEmailPage => auth::account::ChangeEmail,
    EnrolPage => auth::two_factor::Enrol,
    PortalHomePage => portal::home::PortalHome,
    LibraryPage => portal::library::Library,
    LibraryResourcePage => portal::library::LibraryResource,
    SavedPage => portal::library::Saved,
    MyDataPageLazy => portal::my_data::MyDataPage,
    MyMessagesPage => portal::messages::MyMessages,
    WriteMessagePage => portal::messages::WriteMessage,
    MyMessagePage => portal::messages::MyMessage,
    AdminHomePage => admin::home::AdminHome,
    InboxPage => admin::messages::Inbox,
    RequestsPage => admin::requests::Requests,
    RightsRequestPageLazy => admin::requests::RightsRequestPage,
    AuditTrailPage => admin::audit::AuditTrail,
    AdminPagesPage => admin::pages::AdminPages,
    EditPageLazy => admin::pages::EditPage,
    AuditChainPage => admin::audit::AuditChain,
    InboxMessagePage => admin::messages::InboxMessage,
    AdminLibraryPage => admin::library::AdminLibrary,
    NewResourcePage => admin::library::NewResource,
    ReviewsPage => admin::library::Reviews,
    AdminResourcePage => admin::library::AdminResource,
    EditResourcePage => admin::library::EditResource,
    AdminServicesPage => admin::services::AdminServices,
    NewServicePage => admin::services::NewService,
    EditServicePage => admin::services::EditService,
    MembersPage => admin::members::Members,
    RetentionPage => admin::retention::Retention,
    StatisticsPage => admin::statistics::Statistics,
    MemberRecordPage => admin::members::MemberRecord,
    OrganisationsPage => admin::organisations::Organisations,
    NewOrganisationPage => admin::organisations::NewOrganisation,
    OrganisationPageLazy => admin::organisations::OrganisationPage,
    EditOrganisationPage => admin::organisations::EditOrganisation,
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
