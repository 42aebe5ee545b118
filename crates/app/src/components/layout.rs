use domain::site::SiteInfo;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

/// The first focusable element: jumps keyboard users past the header.
#[component]
pub fn SkipLink() -> impl IntoView {
    view! {
        <a class="nhsuk-skip-link" href="#maincontent">
            "Skip to main content"
        </a>
    }
}

/// The signed-in person, if any (from the session, on every page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn(pub Option<domain::account::Viewer>);

/// The signed-in person on this page, if any.
pub fn viewer() -> Option<domain::account::Viewer> {
    use_context::<SignedIn>().and_then(|s| s.0)
}

/// The NHS.UK-style header: service name, account links and main menu.
/// The help link sits in the same place on every page.
#[component]
pub fn Header() -> impl IntoView {
    let site = expect_context::<SiteInfo>();
    view! {
        <header class="nhsuk-header" role="banner">
            <div class="nhsuk-header__container nhsuk-width-container">
                <div class="nhsuk-header__service">
                    <a class="nhsuk-header__service-name" href="/">
                        {site
                            .logo_path
                            .clone()
                            .map(|src| view! { <img class="pp-logo" src=src alt="" height="40" /> })}
                        {site.product_name.clone()}
                    </a>
                </div>
                <nav class="nhsuk-header__account" aria-label="Account">
                    <ul class="nhsuk-header__account-list">
                        {match viewer() {
                            Some(viewer) => view! {
                                <li class="nhsuk-header__account-item">
                                    <a class="nhsuk-header__account-link" href="/account">
                                        {viewer.full_name.clone()}
                                    </a>
                                </li>
                                <li class="nhsuk-header__account-item">
                                    <a class="nhsuk-header__account-link" href=if viewer.is_admin() { "/admin" } else { "/portal" }>
                                        {if viewer.is_admin() { "Administration" } else { "Member portal" }}
                                    </a>
                                </li>
                                <li class="nhsuk-header__account-item">
                                    <form method="post" action=crate::api::account::SignOut::url() class="pp-inline-form">
                                        <button class="nhsuk-header__account-button" type="submit">"Sign out"</button>
                                    </form>
                                </li>
                            }
                            .into_any(),
                            None => view! {
                                <li class="nhsuk-header__account-item">
                                    <a class="nhsuk-header__account-link" href="/login">
                                        "Sign in"
                                    </a>
                                </li>
                                <li class="nhsuk-header__account-item">
                                    <a class="nhsuk-header__account-link" href="/contact">
                                        "Help and contact"
                                    </a>
                                </li>
                            }
                            .into_any(),
                        }}
                    </ul>
                </nav>
            </div>
            <nav class="nhsuk-header__navigation" aria-label="Menu">
                <div class="nhsuk-header__navigation-container nhsuk-width-container">
                    <ul class="nhsuk-header__navigation-list">
                        <NavItem href="/services" label="Services" />
                        <NavItem href="/page/about" label="About us" />
                        <NavItem href="/contact" label="Contact us" />
                    </ul>
                </div>
            </nav>
        </header>
    }
}

#[component]
fn NavItem(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li class="nhsuk-header__navigation-item">
            <A href=href attr:class="nhsuk-header__navigation-link">
                {label}
            </A>
        </li>
    }
}

/// The footer: statutory pages and the organisation that runs the service.
#[component]
pub fn Footer() -> impl IntoView {
    let site = expect_context::<SiteInfo>();
    view! {
        <footer class="nhsuk-footer" role="contentinfo">
            <div class="nhsuk-width-container">
                <div class="nhsuk-footer__meta">
                    <h2 class="nhsuk-u-visually-hidden">"Support links"</h2>
                    <ul class="nhsuk-footer__list">
                        <FooterLink href="/page/privacy-policy" label="Privacy statement" />
                        <FooterLink href="/page/cookies" label="Cookies" />
                        <FooterLink href="/page/accessibility" label="Accessibility statement" />
                        <FooterLink href="/contact" label="Contact us" />
                    </ul>
                    <p class="nhsuk-body-s">
                        {format!("Run by {}. Call ", site.organisation_name)}
                        <a href=format!("tel:{}", site.contact_phone.replace(' ', ""))>{site.contact_phone.clone()}</a>
                        " or email "
                        <a href=format!("mailto:{}", site.contact_email)>{site.contact_email.clone()}</a>
                        "."
                    </p>
                    <p class="nhsuk-body-s">{format!("© {}", site.organisation_name)}</p>
                </div>
            </div>
        </footer>
    }
}

#[component]
fn FooterLink(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li class="nhsuk-footer__list-item">
            <a class="nhsuk-footer__list-item-link" href=href>
                {label}
            </a>
        </li>
    }
}

/// A crumb on the trail above a page's heading.
#[derive(Clone, Debug)]
pub struct Crumb {
    pub href: &'static str,
    pub label: &'static str,
}

/// The breadcrumb trail; the current page is not repeated in it.
#[component]
pub fn Breadcrumbs(crumbs: Vec<Crumb>) -> impl IntoView {
    let back = crumbs.last().cloned();
    view! {
        <nav class="nhsuk-breadcrumb" aria-label="Breadcrumb">
            <ol class="nhsuk-breadcrumb__list">
                {crumbs
                    .into_iter()
                    .map(|crumb| {
                        view! {
                            <li class="nhsuk-breadcrumb__list-item">
                                <a class="nhsuk-breadcrumb__link" href=crumb.href>
                                    {crumb.label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            {back
                .map(|crumb| {
                    view! {
                        <p class="nhsuk-breadcrumb__back">
                            <a class="nhsuk-breadcrumb__backlink" href=crumb.href>
                                <span class="nhsuk-u-visually-hidden">"Back to "</span>
                                {crumb.label}
                            </a>
                        </p>
                    }
                })}
        </nav>
    }
}

/// The `<main>` landmark every page puts its content in.
#[component]
pub fn Main(children: Children) -> impl IntoView {
    view! {
        <main class="nhsuk-main-wrapper" id="maincontent" tabindex="-1">
            {children()}
        </main>
    }
}
