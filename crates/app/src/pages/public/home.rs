use crate::api::content::list_services;
use crate::components::head::PageHead;
use crate::components::layout::Main;
use crate::pages::public::problem::Problem;
use crate::pages::public::services::ServiceCards;
use domain::content::{ServiceSummary, filter_services};
use domain::site::SiteInfo;
use leptos::prelude::*;

/// The home page: what the service offers, the catalogue at a glance, and
/// where to go next.
#[component]
pub fn Home() -> impl IntoView {
    let site = expect_context::<SiteInfo>();
    let services = Resource::new(|| (), |_| list_services());
    view! {
        <PageHead
            title=""
            description=format!(
                "{} supports GP practices and primary care networks with medicines management, \
                 information governance, HR, finance, quality and digital services.",
                site.organisation_name,
            )
        />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <h1>"Support services for GP practices and primary care networks"</h1>
                    <p class="nhsuk-lede-text">
                        "Specialist help with medicines, information governance, HR, finance, quality and \
                         digital, so your team can spend more time with patients."
                    </p>
                    <div class="nhsuk-inset-text">
                        <span class="nhsuk-u-visually-hidden">"Information: "</span>
                        <p>
                            "Already a customer? Your practice manager has an authorisation code that lets \
                             everyone on your staff join the member portal."
                        </p>
                        <p>
                            <a href="/register">"Register with your code"</a>
                            " or "
                            <a href="/login">"sign in"</a>
                            "."
                        </p>
                    </div>
                    <p>
                        <a class="nhsuk-button" href="/contact" role="button" draggable="false">
                            "Contact us about our services"
                        </a>
                    </p>
                </div>
            </div>
            <h2>"Our services"</h2>
            <Suspense fallback=|| view! { <p>"Loading services…"</p> }>
                {move || Suspend::new(async move {
                    match services.await {
                        Ok(services) => view! { <ServiceFinder services /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
}

/// Filters the catalogue as you type once the page is interactive; before
/// that (or without JavaScript) the same form searches on the services page.
#[component]
fn ServiceFinder(services: Vec<ServiceSummary>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    // The app starts when the visitor first types or focuses, so the box
    // may already hold what they typed: filter by it once live. The input
    // sets no value of its own, which would wipe that text on hydrating.
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move || {
        if let Some(input) = input.get() {
            query.set(input.value());
        }
    });
    let services = StoredValue::new(services);
    let shown = Memo::new(move |_| {
        services.with_value(|all| {
            filter_services(all, &query.get())
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <search>
            <form class="pp-finder" action="/services" method="get">
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label" for="service-filter">
                        "Find a service"
                    </label>
                    <div class="nhsuk-hint" id="service-filter-hint">
                        "For example, prescribing, contracts or cyber security"
                    </div>
                    <input
                        class="nhsuk-input nhsuk-u-width-two-thirds"
                        id="service-filter"
                        name="q"
                        type="search"
                        autocomplete="off"
                        aria-describedby="service-filter-hint service-filter-count"
                        node_ref=input
                        on:input=move |ev| query.set(event_target_value(&ev))
                    />
                    <button class="nhsuk-button nhsuk-button--secondary pp-finder__button" type="submit">
                        "Search"
                    </button>
                </div>
            </form>
        </search>
        <p class="nhsuk-body-s" id="service-filter-count" role="status">
            {move || match shown.with(Vec::len) {
                1 => "1 service".to_owned(),
                n => format!("{n} services"),
            }}
        </p>
        {move || view! { <ServiceCards services=shown.get() /> }}
    }
}
