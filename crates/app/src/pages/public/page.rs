use crate::api::content::get_page;
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main};
use crate::pages::public::problem::Problem;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/page/:slug`: a content page written in Markdown by administrators.
#[component]
pub fn ContentPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_page,
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! {
                        <PageHead title=page.title.clone() description=page.summary.clone() />
                        <Breadcrumbs crumbs=vec![Crumb { href: "/", label: "Home" }] />
                        <Main>
                            <div class="nhsuk-grid-row">
                                <div class="nhsuk-grid-column-two-thirds">
                                    <h1>{page.title}</h1>
                                    <div class="pp-prose" inner_html=page.body_html></div>
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
