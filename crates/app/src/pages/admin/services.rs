use crate::api::content::{CreateService, UpdateService, admin_services, stored_service};
use crate::components::form::{Control, ErrorSummary, Field, PostForm, Problems, form_action};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, Table};
use crate::pages::admin::library::MarkdownPreview;
use crate::pages::auth::login::Notice;
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::content::{ServiceForm, ServiceRow, admin_service_path};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The administrators' list of services.
pub const ADMIN_SERVICES: &str = "/admin/services";
const NEW_SERVICE: &str = "/admin/services/new";

fn crumbs() -> Vec<Crumb> {
    vec![
        Crumb {
            href: "/admin",
            label: "Administration",
        },
        Crumb {
            href: ADMIN_SERVICES,
            label: "Services",
        },
    ]
}

/// `/admin/services`: the catalogue, with how much each service holds and
/// how many organisations subscribe.
#[component]
pub fn AdminServices() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let services = Resource::new(|| (), |_| admin_services());
    view! {
        <PageHead title="Services" description="The services customers subscribe to." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Services"</h1>
            <p>
                "Each service has a public page and a part of the library. Organisations are \
                 subscribed to services on their own pages."
            </p>
            <p><a class="nhsuk-button" href=NEW_SERVICE role="button">"Add a service"</a></p>
            <Suspense fallback=|| view! { <p>"Loading services…"</p> }>
                {move || Suspend::new(async move {
                    match services.await {
                        Ok(rows) => view! { <ServiceTable rows /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn ServiceTable(rows: Vec<ServiceRow>) -> impl IntoView {
    const COLUMNS: &[Column] = &[
        Column::text("Service"),
        Column::text("Public page"),
        Column::numeric("Resources"),
        Column::numeric("Subscribers"),
    ];
    view! {
        <Table caption="Services" hide_caption=true columns=COLUMNS>
            {rows
                .into_iter()
                .map(|row| {
                    let public = format!("/services/{}", row.slug);
                    view! {
                        <tr>
                            <td><a href=admin_service_path(row.id)>{row.name}</a></td>
                            <td><a href=public.clone()>{public.clone()}</a></td>
                            <td class="nhsuk-table__cell--numeric">{row.resources}</td>
                            <td class="nhsuk-table__cell--numeric">{row.subscribers}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}

/// The service form's fields, filled from `start`, named as
/// [`ServiceForm`]'s fields.
#[component]
fn ServiceFields(
    start: ServiceForm,
    problems: Signal<Problems>,
    submit: &'static str,
) -> impl IntoView {
    view! {
        <Field name="name" label="Name" value=start.name problems />
        <Field
            name="slug"
            label="Address"
            hint="The end of the public page's address, /services/…: lower-case letters, digits and dashes."
            value=start.slug
            width="nhsuk-u-width-two-thirds"
            problems
        />
        <Field name="summary" label="Summary" hint="One or two sentences, shown on the services list." control=Control::TextArea value=start.summary problems />
        <Field
            name="body_md"
            label="Public description"
            hint="Markdown: # for headings, - for lists, [text](https://…) for links. Scripts and styles are removed."
            control=Control::LongText
            value=start.body_md
            problems
        />
        <MarkdownPreview />
        <Field
            name="portal_offers"
            label="In the member portal (optional)"
            hint="One line for each thing a subscribing organisation gets."
            control=Control::TextArea
            value=start.portal_offers
            problems
        />
        <button class="nhsuk-button" type="submit">{submit}</button>
    }
}

/// `/admin/services/new`: a new service.
#[component]
pub fn NewService() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let (action, problems, echo) = form_action::<CreateService>();
    let start: ServiceForm = echo.map(|e| e.read()).unwrap_or_default();
    view! {
        <PageHead title="Add a service" description="Add a service to the catalogue." />
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Add a service"</h1>
                    <p>"Its public page appears at once. Subscribe organisations to it from their pages."</p>
                    <PostForm action>
                        <ServiceFields start problems submit="Add the service" />
                    </PostForm>
                </div>
            </div>
        </Main>
    }
    .into_any()
}

/// `/admin/services/:id`: change a service's name, address and texts.
#[component]
pub fn EditService() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let id = use_params_map()
        .with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()).unwrap_or(0));
    let saved = use_query_map().with_untracked(|q| q.get("saved"));
    let notice = saved.and_then(|what| match what.as_str() {
        "added" => Some("Service added. Its public page is live."),
        "changed" => Some("Your changes are saved and live."),
        _ => None,
    });
    let (action, problems, echo) = form_action::<UpdateService>();
    let loaded = Resource::new(move || id, stored_service);
    view! {
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let echo = echo.clone();
                    Suspend::new(async move {
                        match loaded.await {
                            Ok(stored) => {
                                let title = stored.name.clone();
                                let public = format!("/services/{}", stored.slug);
                                let start = echo.map(|e| e.read()).unwrap_or(stored);
                                view! {
                                    <PageHead title=title.clone() description="Change a service." />
                                    <div class="nhsuk-grid-row">
                                        <div class="nhsuk-grid-column-two-thirds">
                                            <ErrorSummary problems />
                                            {notice.map(|text| view! { <Notice text /> })}
                                            <h1>{title}</h1>
                                            <p><a href=public>"See its public page"</a></p>
                                            <PostForm action>
                                                <input type="hidden" name="id" value=id />
                                                <ServiceFields start problems submit="Save changes" />
                                            </PostForm>
                                        </div>
                                    </div>
                                }
                                .into_any()
                            }
                            Err(error) => view! { <Problem error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </Main>
    }
    .into_any()
}
