use crate::api::library::{
    CreateResource, PreviewMarkdown, SetResourceStatus, UpdateResource, library_resource,
    resource_options, reviews,
};
use crate::components::form::{
    Control, ErrorSummary, Field, PostForm, Problems, action_problems, form_action,
    load_on_success, posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, PagedTable, Table, with_query};
use crate::components::upload::FileUpload;
use crate::pages::auth::login::Notice;
use crate::pages::portal::library::{Downloads, FilteredLibrary};
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::library::{
    LibraryPage, LibraryQuery, ResourceDetail, ResourceFormOptions, ResourceInput, ResourceKind,
    ResourceStatus, ResourceSummary, ReviewItem, admin_resource_path, long_date, resource_path,
};
use domain::paging::how_many;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

/// The administrators' library.
pub const ADMIN_LIBRARY: &str = "/admin/library";
const NEW_RESOURCE: &str = "/admin/library/new";
pub const REVIEWS: &str = "/admin/library/reviews";

fn is_admin() -> bool {
    viewer().is_some_and(|v| v.is_admin())
}

fn crumbs() -> Vec<Crumb> {
    vec![
        Crumb {
            href: "/admin",
            label: "Administration",
        },
        Crumb {
            href: ADMIN_LIBRARY,
            label: "Library",
        },
    ]
}

fn route_id() -> i64 {
    use_params_map().with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()).unwrap_or(0))
}

/// `/admin/library`: every resource whatever its status, searchable and
/// filtered like the members' library.
#[component]
pub fn AdminLibrary() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let search = use_location().search.get_untracked();
    let query: LibraryQuery = serde_urlencoded::from_str(&search).unwrap_or_default();

    view! {
        <PageHead title="Library" description="Write, publish and review the library's resources." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Library"</h1>
            <p>
                <a class="nhsuk-button" href=NEW_RESOURCE role="button">"Add a resource"</a>
                " "
                <a href=REVIEWS>"Reviews due"</a>
            </p>
            <FilteredLibrary
                action=ADMIN_LIBRARY
                query
                results=|found, query| view! { <ResourceTable found query /> }.into_any()
            />
        </Main>
    }
    .into_any()
}

#[component]
fn ResourceTable(found: LibraryPage, query: LibraryQuery) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p>"No resources match."</p> }.into_any();
    }
    const COLUMNS: &[Column] = &[
        Column::text("Title"),
        Column::text("Kind"),
        Column::text("Service"),
        Column::text("Status"),
        Column::text("Updated"),
    ];
    let caption = how_many(found.total, "resource", "resources");
    let link = move |page| {
        with_query(
            ADMIN_LIBRARY,
            &LibraryQuery {
                page,
                ..query.clone()
            },
        )
    };
    let row = |r: ResourceSummary| {
        view! {
            <tr>
                <td>
                    <a href=admin_resource_path(r.id)>{r.title}</a>
                    {r.badge.map(|badge| view! { " "<strong class="nhsuk-tag nhsuk-tag--orange">{badge.label()}</strong> })}
                </td>
                <td>{r.kind.label()}</td>
                <td>{r.service.name}</td>
                <td>{r.status.label()}</td>
                <td>{long_date(r.updated_at)}</td>
            </tr>
        }
    };
    view! { <PagedTable found caption columns=COLUMNS row link /> }.into_any()
}

/// The resource form's fields, filled from `start`. Named as
/// [`ResourceInput`]'s fields.
#[component]
fn ResourceFields(
    start: ResourceInput,
    options: ResourceFormOptions,
    problems: Signal<Problems>,
    submit: &'static str,
) -> impl IntoView {
    let choose = |label: &str| (String::new(), label.to_owned());
    let services = std::iter::once(choose("Choose a service"))
        .chain(
            options
                .services
                .into_iter()
                .map(|(id, name)| (id.to_string(), name)),
        )
        .collect();
    let kinds = std::iter::once(choose("Choose a kind"))
        .chain(
            ResourceKind::ALL
                .into_iter()
                .map(|k| (k.as_str().to_owned(), k.label().to_owned())),
        )
        .collect();
    let owners = std::iter::once(choose("Choose an owner"))
        .chain(
            options
                .owners
                .into_iter()
                .map(|owner| (owner.id.to_string(), owner.full_name)),
        )
        .collect();
    view! {
        <Field name="title" label="Title" value=start.title problems />
        <Field name="summary" label="Summary" hint="One or two sentences, shown in lists and search results." control=Control::TextArea value=start.summary problems />
        <Field name="service_id" label="Service" control=Control::Select(services) value=start.service_id problems />
        <Field name="kind" label="Kind" control=Control::Select(kinds) value=start.kind problems />
        <Field
            name="body_md"
            label="Body (optional)"
            hint="Markdown: # for headings, - for lists, [text](https://…) for links. Scripts and styles are removed."
            control=Control::LongText
            value=start.body_md
            problems
        />
        <MarkdownPreview />
        <Field name="tags" label="Tags (optional)" hint="Separated by commas, for example infection control, audit" value=start.tags problems />
        <Field name="owner_id" label="Owner" hint="The administrator who keeps it up to date; they are emailed when its review is due." control=Control::Select(owners) value=start.owner_id problems />
        <Field name="review_date" label="Review date (optional)" hint="For example, 2027-03-31" control=Control::Date width="nhsuk-input--width-10" value=start.review_date problems />
        <div class="nhsuk-form-group">
            <div class="nhsuk-checkboxes">
                <div class="nhsuk-checkboxes__item">
                    <input class="nhsuk-checkboxes__input" id="for_all_customers" name="for_all_customers" type="checkbox" value="true" checked=start.for_all_customers />
                    <label class="nhsuk-label nhsuk-checkboxes__label" for="for_all_customers">
                        "For all customers, whatever services they subscribe to"
                    </label>
                </div>
            </div>
        </div>
        <button class="nhsuk-button" type="submit">{submit}</button>
    }
}

/// Shows the body as members will see it. The button appears once the
/// page is interactive; without JavaScript, the resource's own page shows
/// the body as saved (a draft is seen by administrators only).
#[component]
pub(crate) fn MarkdownPreview() -> impl IntoView {
    let interactive = RwSignal::new(false);
    Effect::new(move || interactive.set(true));
    let action = ServerAction::<PreviewMarkdown>::new();
    let show = move |_| {
        use leptos::wasm_bindgen::JsCast;
        let body = document()
            .get_element_by_id("body_md")
            .and_then(|element| {
                element
                    .dyn_into::<leptos::web_sys::HtmlTextAreaElement>()
                    .ok()
            })
            .map(|area| area.value())
            .unwrap_or_default();
        action.dispatch(PreviewMarkdown { body_md: body });
    };
    view! {
        <Show when=move || interactive.get()>
            <p><button class="nhsuk-button nhsuk-button--secondary" type="button" on:click=show>"Preview the body"</button></p>
            {move || action.value().get().map(|preview| match preview {
                Ok(html) => view! {
                    <div class="nhsuk-inset-text pp-prose" aria-live="polite">
                        <span class="nhsuk-u-visually-hidden">"Preview: "</span>
                        <div inner_html=html></div>
                    </div>
                }
                .into_any(),
                Err(error) => view! { <p class="nhsuk-error-message">{error.to_string()}</p> }.into_any(),
            })}
        </Show>
    }
}

/// `/admin/library/new`: a new draft resource.
#[component]
pub fn NewResource() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let (action, problems, echo) = form_action::<CreateResource>();
    let start: ResourceInput = echo.map(|e| e.read()).unwrap_or_else(|| ResourceInput {
        owner_id: viewer().map(|v| v.id.to_string()).unwrap_or_default(),
        ..ResourceInput::default()
    });
    let options = Resource::new(|| (), |_| resource_options());
    view! {
        <PageHead title="Add a resource" description="Write a new resource for the library." />
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Add a resource"</h1>
                    <p>"It is saved as a draft: members see it once you publish it."</p>
                    <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                        {
                            let start = start.clone();
                            move || {
                                let start = start.clone();
                                Suspend::new(async move {
                                    match options.await {
                                        Ok(options) => view! {
                                            <PostForm action>
                                                <ResourceFields start options problems submit="Save as draft" />
                                            </PostForm>
                                        }
                                        .into_any(),
                                        Err(error) => view! { <Problem error /> }.into_any(),
                                    }
                                })
                            }
                        }
                    </Suspense>
                </div>
            </div>
        </Main>
    }
    .into_any()
}

/// `/admin/library/:id/edit`: change a resource's content.
#[component]
pub fn EditResource() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let id = route_id();
    let (action, problems, echo) = form_action::<UpdateResource>();
    let loaded = Resource::new(
        move || id,
        |id| async move {
            Ok::<_, crate::error::AppError>((
                library_resource(id).await?,
                resource_options().await?,
            ))
        },
    );
    view! {
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let echo = echo.clone();
                    Suspend::new(async move {
                        match loaded.await {
                            Ok((detail, options)) => {
                                let start = echo
                                    .map(|e| e.read())
                                    .unwrap_or_else(|| ResourceInput::from_detail(&detail));
                                let title = detail.summary.title.clone();
                                view! {
                                    <PageHead title=format!("Change {title}") description="Change a resource." />
                                    <div class="nhsuk-grid-row">
                                        <div class="nhsuk-grid-column-two-thirds">
                                            <ErrorSummary problems />
                                            <h1>{format!("Change {title}")}</h1>
                                            <PostForm action>
                                                <input type="hidden" name="id" value=id />
                                                <ResourceFields start options problems submit="Save changes" />
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

/// `/admin/library/:id`: a resource as administrators manage it: its
/// status and the ways to change it, its body as members see it, its owner
/// and review date.
#[component]
pub fn AdminResource() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let id = route_id();
    let detail = Resource::new(move || id, library_resource);
    view! {
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <AdminResourceView detail /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn AdminResourceView(detail: ResourceDetail) -> impl IntoView {
    let resource = detail.summary.clone();
    let id = resource.id;
    let updated = use_query_map().with_untracked(|q| q.get("updated"));
    let notice = updated.and_then(|what| match what.as_str() {
        "details" => Some("Your changes are saved."),
        "published" => Some("Published: members of subscribed organisations can see it now."),
        "archived" => Some("Archived: members no longer see it."),
        "draft" => Some("Returned to draft: members no longer see it."),
        _ => None,
    });
    let actions: Vec<(ResourceStatus, &'static str)> = match resource.status {
        ResourceStatus::Draft => vec![
            (ResourceStatus::Published, "Publish"),
            (ResourceStatus::Archived, "Archive"),
        ],
        ResourceStatus::Published => vec![
            (ResourceStatus::Archived, "Archive"),
            (ResourceStatus::Draft, "Return to draft"),
        ],
        ResourceStatus::Archived => vec![
            (ResourceStatus::Draft, "Restore as a draft"),
            (ResourceStatus::Published, "Restore and publish"),
        ],
    };
    let echo = posted_form_echo();
    let action = ServerAction::<SetResourceStatus>::new();
    let problems = action_problems(action, echo);
    load_on_success(action);
    view! {
        <PageHead title=resource.title.clone() description="A library resource." />
        <ErrorSummary problems />
        {notice.map(|text| view! { <Notice text /> })}
        <h1>{resource.title.clone()}</h1>
        <dl class="nhsuk-summary-list">
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Status"</dt>
                <dd class="nhsuk-summary-list__value" data-testid="resource-status">{resource.status.label()}</dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Service"</dt>
                <dd class="nhsuk-summary-list__value">
                    {resource.service.name.clone()}
                    {resource.for_all_customers.then_some(" (shown to all customers)")}
                </dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Kind"</dt>
                <dd class="nhsuk-summary-list__value">{resource.kind.label()}</dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Owner"</dt>
                <dd class="nhsuk-summary-list__value">{detail.owner.as_ref().map(|o| o.full_name.clone())}</dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Review date"</dt>
                <dd class="nhsuk-summary-list__value">
                    {resource.review_date.map(long_date).unwrap_or_else(|| "None set".to_owned())}
                    {resource.badge.map(|badge| view! { " "<strong class="nhsuk-tag nhsuk-tag--orange">{badge.label()}</strong> })}
                </dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Last updated"</dt>
                <dd class="nhsuk-summary-list__value">{long_date(resource.updated_at)}</dd>
            </div>
        </dl>
        <p>
            <a class="nhsuk-button nhsuk-button--secondary" href=format!("{}/edit", admin_resource_path(id)) role="button">"Change"</a>
            " "
            {(resource.status == ResourceStatus::Published).then(|| view! {
                <a href=resource_path(id)>"See it as members do"</a>
            })}
        </p>
        {actions
            .into_iter()
            .map(|(status, label)| view! {
                <PostForm action class="pp-inline-form">
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="status" value=status.as_str() />
                    <button class="nhsuk-button nhsuk-button--secondary" type="submit">{label}</button>
                </PostForm>
            })
            .collect_view()}
        <h2>"File"</h2>
        {detail.files.is_empty().then(|| view! { <p>"No file yet."</p> })}
        <Downloads id files=detail.files.clone() />
        <ul class="nhsuk-list">
            {detail
                .files
                .iter()
                .map(|file| view! {
                    <li>{format!("Version {}: {} — {}", file.version, file.file_name, file.text_status.label())}</li>
                })
                .collect_view()}
        </ul>
        <FileUpload resource_id=id />
        <h2>"Summary"</h2>
        <p>{resource.summary.clone()}</p>
        <h2>"Body, as members see it"</h2>
        <div class="pp-prose" inner_html=detail.body_html.clone()></div>
    }
}

/// `/admin/library/reviews`: resources whose review is overdue or due
/// within 30 days, by owner.
#[component]
pub fn Reviews() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let due = Resource::new(|| (), |_| reviews());
    view! {
        <PageHead title="Reviews due" description="Resources whose review is overdue or due soon." />
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <h1>"Reviews due"</h1>
            <p>"Resources whose review date has passed or falls in the next 30 days, by owner. Owners are emailed 30 days before and on the day."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match due.await {
                        Ok(items) if items.is_empty() => view! { <p>"No reviews are due in the next 30 days."</p> }.into_any(),
                        Ok(items) => view! { <ReviewTable items /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn ReviewTable(items: Vec<ReviewItem>) -> impl IntoView {
    const COLUMNS: &[Column] = &[
        Column::text("Owner"),
        Column::text("Resource"),
        Column::text("Review date"),
        Column::text("State"),
    ];
    view! {
        <Table caption=format!("{} due", items.len()) columns=COLUMNS>
            {items
                .into_iter()
                .map(|item| view! {
                    <tr>
                        <td>{item.owner.full_name}</td>
                        <td><a href=admin_resource_path(item.resource.id)>{item.resource.title}</a></td>
                        <td>{item.resource.review_date.map(long_date)}</td>
                        <td><strong class="nhsuk-tag nhsuk-tag--orange">{item.badge.label()}</strong></td>
                    </tr>
                })
                .collect_view()}
        </Table>
    }
}
