use crate::api::content::{get_service, list_services};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main};
use crate::pages::public::problem::Problem;
use domain::content::{ServiceSummary, counts_sentence, filter_services};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A grid of service cards, each linking to the service's page.
#[component]
pub fn ServiceCards(services: Vec<ServiceSummary>) -> impl IntoView {
    if services.is_empty() {
        return view! {
            <p>"No services match your search. Try fewer or different words, or "
                <a href="/services">"see all services"</a>"."</p>
        }
        .into_any();
    }
    view! {
        <ul class="nhsuk-grid-row nhsuk-card-group">
            {services
                .into_iter()
                .map(|service| {
                    view! {
                        <li class="nhsuk-grid-column-one-third nhsuk-card-group__item">
                            <div class="nhsuk-card nhsuk-card--clickable">
                                <div class="nhsuk-card__content">
                                    <h3 class="nhsuk-card__heading nhsuk-heading-s">
                                        <a class="nhsuk-card__link" href=format!("/services/{}", service.slug)>
                                            {service.name}
                                        </a>
                                    </h3>
                                    <p class="nhsuk-card__description">{service.summary}</p>
                                </div>
                            </div>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// `/services?q=…`: the whole catalogue, optionally narrowed by a search.
#[component]
pub fn Services() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let services = Resource::new(|| (), |_| list_services());
    view! {
        <PageHead
            title="Services"
            description="The primary-care support services we offer GP practices and primary care networks."
        />
        <Breadcrumbs crumbs=vec![Crumb { href: "/", label: "Home" }] />
        <Main>
            <h1>"Services"</h1>
            <p class="nhsuk-lede-text">
                "Each service comes with a library of policies, procedures, toolkits and guidance in the \
                 member portal, kept up to date by our specialists."
            </p>
            <search>
                <form action="/services" method="get">
                    <div class="nhsuk-form-group">
                        <label class="nhsuk-label" for="services-search">"Search services"</label>
                        <input class="nhsuk-input nhsuk-u-width-two-thirds" id="services-search" name="q" type="search" value=q />
                        <button class="nhsuk-button nhsuk-button--secondary pp-finder__button" type="submit">"Search"</button>
                    </div>
                </form>
            </search>
            // The cards' headings are h3, as on the home page.
            <h2>"Our services"</h2>
            <Suspense fallback=|| view! { <p>"Loading services…"</p> }>
                {move || Suspend::new(async move {
                    match services.await {
                        Ok(all) => {
                            let q = q();
                            let shown: Vec<_> = filter_services(&all, &q).into_iter().cloned().collect();
                            view! { <ServiceCards services=shown /> }.into_any()
                        }
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
}

/// `/services/:slug`: one service and what customers get in the portal.
#[component]
pub fn Service() -> impl IntoView {
    let params = use_params_map();
    let service = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_service,
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match service.await {
                    Ok(service) => view! {
                        <PageHead title=service.name.clone() description=service.summary.clone() />
                        <Breadcrumbs crumbs=vec![
                            Crumb { href: "/", label: "Home" },
                            Crumb { href: "/services", label: "Services" },
                        ] />
                        <Main>
                            <div class="nhsuk-grid-row">
                                <div class="nhsuk-grid-column-two-thirds">
                                    <h1>{service.name}</h1>
                                    <p class="nhsuk-lede-text">{service.summary}</p>
                                    <div class="pp-prose" inner_html=service.body_html></div>
                                    <h2>"In the member portal"</h2>
                                    {counts_sentence(&service.counts).map(|counts| view! {
                                        <p class="nhsuk-body-l" data-testid="service-counts">
                                            {format!("Subscribers have {counts}, kept up to date.")}
                                        </p>
                                    })}
                                    <ul class="nhsuk-list nhsuk-list--tick">
                                        {service.portal_offers.into_iter().map(|offer| view! { <li>{offer}</li> }).collect_view()}
                                    </ul>
                                    <p>
                                        <a class="nhsuk-button" href="/contact" role="button" draggable="false">
                                            "Ask us about this service"
                                        </a>
                                    </p>
                                </div>
                            </div>
                        </Main>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
