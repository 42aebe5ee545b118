use crate::api::content::list_services;
use crate::api::library::{SaveResource, library, library_resource, saved_resources};
use crate::components::form::PostForm;
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main};
use crate::components::pager::Pager;
use crate::components::table::with_query;
use crate::pages::public::problem::Problem;
use domain::files::ResourceFile;
use domain::library::{
    LibraryPage, LibraryQuery, LibrarySort, MAX_RESULTS, ResourceDetail, ResourceKind,
    ResourceSummary, SnippetPart, download_path, long_date, resource_path,
};
use domain::paging::how_many;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

/// The library's address.
pub const LIBRARY: &str = "/portal/library";
/// The member's saved resources.
pub const SAVED: &str = "/portal/saved";

/// This page's address, query included: where a form on it comes back to.
fn here() -> String {
    let location = use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

/// `/portal/library`: browse by service and kind, or search, 20 to a page.
/// The filters are a GET form, so every result page has its own address
/// and works without JavaScript.
#[component]
pub fn Library() -> impl IntoView {
    let search = use_location().search.get_untracked();
    let query: LibraryQuery = serde_urlencoded::from_str(&search).unwrap_or_default();
    let searching = !query.q.trim().is_empty();
    let title = if searching {
        format!("Search results for {}", query.q.trim())
    } else {
        "Library".to_owned()
    };
    view! {
        <PageHead title=title.clone() description="Policies, procedures, information, toolkits and guidance for your organisation." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/portal", label: "Member portal" }] />
        <Main>
            <h1>{title}</h1>
            <FilteredLibrary
                action=LIBRARY
                query
                results=|found, query| view! { <ResultList found query /> }.into_any()
            />
        </Main>
    }
}

/// The library's filters and one page of what they find, for the members'
/// and the administrators' library alike: the filters are a GET form to
/// `action`, and `results` draws the page (cards, or a table).
#[component]
pub fn FilteredLibrary(
    action: &'static str,
    query: LibraryQuery,
    results: fn(LibraryPage, LibraryQuery) -> AnyView,
) -> impl IntoView {
    let page = {
        let query = query.clone();
        Resource::new(move || query.clone(), library)
    };
    let services = Resource::new(|| (), |_| list_services());
    let (filter_query, list_query) = (query.clone(), query);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let query = filter_query.clone();
                Suspend::new(async move {
                    let services = services.await.unwrap_or_default();
                    view! { <LibraryFilters action query services /> }
                })
            }}
        </Suspense>
        <Suspense fallback=|| view! { <p>"Loading the library…"</p> }>
            {move || {
                let query = list_query.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(found) => results(found, query),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The search box and the service, kind and order filters, as a GET form
/// to `action` (the members' or the administrators' library).
#[component]
fn LibraryFilters(
    action: &'static str,
    query: LibraryQuery,
    services: Vec<domain::content::ServiceSummary>,
) -> impl IntoView {
    let service = query.service.clone().unwrap_or_default();
    let kind = query.kind;
    let sort = query.sort;
    view! {
        <form method="get" action=action class="pp-search" role="search">
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="q">"Search the library"</label>
                <input class="nhsuk-input nhsuk-input--width-30" id="q" name="q" type="search" value=query.q.clone() />
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="service">"Service"</label>
                <select class="nhsuk-select" id="service" name="service">
                    <option value="" selected=service.is_empty()>"All services"</option>
                    {services
                        .into_iter()
                        .map(|s| {
                            let selected = s.slug == service;
                            view! { <option value=s.slug selected=selected>{s.name}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="kind">"Kind"</label>
                <select class="nhsuk-select" id="kind" name="kind">
                    <option value="" selected=kind.is_none()>"All kinds"</option>
                    {ResourceKind::ALL
                        .into_iter()
                        .map(|k| view! { <option value=k.as_str() selected=kind == Some(k)>{k.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="sort">"Order (when not searching)"</label>
                <select class="nhsuk-select" id="sort" name="sort">
                    <option value=LibrarySort::Updated.as_str() selected=sort == LibrarySort::Updated>"Recently updated"</option>
                    <option value=LibrarySort::Title.as_str() selected=sort == LibrarySort::Title>"Title, A to Z"</option>
                </select>
            </div>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
        </form>
    }
}

/// One page of results, with a count and links to the pages either side.
#[component]
fn ResultList(found: LibraryPage, query: LibraryQuery) -> impl IntoView {
    let searching = !query.q.trim().is_empty();
    if found.rows.is_empty() {
        return view! {
            <p data-testid="no-results">
                {if searching {
                    "No resources match your search. Try fewer or different words, or another service or kind."
                } else {
                    "There are no resources here yet."
                }}
            </p>
        }
        .into_any();
    }
    let caption = if found.more && searching {
        format!(
            "More than {MAX_RESULTS} results: the {MAX_RESULTS} most recently added, best first. Add words to find older ones."
        )
    } else if found.more {
        format!(
            "More than {MAX_RESULTS} resources: the first {MAX_RESULTS} are listed. Choose a service or kind, or search, to narrow them."
        )
    } else {
        let (one, many) = if searching {
            ("result", "results")
        } else {
            ("resource", "resources")
        };
        how_many(found.total, one, many)
    };
    let link = move |page| {
        with_query(
            LIBRARY,
            &LibraryQuery {
                page,
                ..query.clone()
            },
        )
    };
    view! {
        <p class="nhsuk-body-s" data-testid="result-count">{caption}</p>
        <ResourceCards rows=found.rows.clone() />
        <Pager page=found.page pages=found.pages link />
    }
    .into_any()
}

/// Resources as a list of cards: title, kind and service, review badge,
/// where the search words occur, and a save button.
#[component]
pub fn ResourceCards(rows: Vec<ResourceSummary>) -> impl IntoView {
    view! {
        <ul class="nhsuk-list pp-results">
            {rows.into_iter().map(|resource| view! { <ResourceCard resource /> }).collect_view()}
        </ul>
    }
}

#[component]
fn ResourceCard(resource: ResourceSummary) -> impl IntoView {
    let href = resource_path(resource.id);
    view! {
        <li class="pp-result">
            <h2 class="nhsuk-heading-s">
                <a href=href>{resource.title.clone()}</a>
            </h2>
            <ResourceMeta resource=resource.clone() />
            <p>{resource.summary.clone()}</p>
            {(!resource.snippet.is_empty()).then(|| view! { <Snippet parts=resource.snippet.clone() /> })}
            <SaveButton id=resource.id saved=resource.bookmarked title=resource.title.clone() />
        </li>
    }
}

/// Kind, service, review badge and last update, in one line.
#[component]
fn ResourceMeta(resource: ResourceSummary) -> impl IntoView {
    view! {
        <p class="nhsuk-body-s pp-meta">
            <strong class="nhsuk-tag nhsuk-tag--blue">{resource.kind.label()}</strong>
            " "{resource.service.name.clone()}
            {resource.badge.map(|badge| view! {
                " "<strong class="nhsuk-tag nhsuk-tag--orange">{badge.label()}</strong>
            })}
            {(resource.status != domain::library::ResourceStatus::Published).then(|| view! {
                " "<strong class="nhsuk-tag nhsuk-tag--grey">{resource.status.label()}</strong>
            })}
            " · Updated "{long_date(resource.updated_at)}
        </p>
    }
}

/// A search snippet: the matched words marked, everything shown as text
/// (with `…` where the snippet left text out).
#[component]
fn Snippet(parts: Vec<SnippetPart>) -> impl IntoView {
    view! {
        <p class="nhsuk-body-s pp-snippet">
            {parts
                .into_iter()
                .map(|part| {
                    if part.matched {
                        view! { <mark>{part.text}</mark> }.into_any()
                    } else {
                        part.text.into_any()
                    }
                })
                .collect_view()}
        </p>
    }
}

/// Saves a resource or forgets it. With JavaScript the button changes in
/// place; without, the form posts and this page comes back.
#[component]
fn SaveButton(id: i64, saved: bool, title: String) -> impl IntoView {
    let action = ServerAction::<SaveResource>::new();
    let saved = RwSignal::new(saved);
    Effect::new(move || {
        if let Some(Ok(_)) = action.value().get() {
            saved.update(|s| *s = !*s);
        }
    });
    let back = here();
    view! {
        <PostForm action class="pp-inline-form">
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="save" value=move || (!saved.get()).to_string() />
            <input type="hidden" name="back" value=back />
            <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">
                {move || if saved.get() { "Remove from saved" } else { "Save" }}
                <span class="nhsuk-u-visually-hidden">{format!(": {title}")}</span>
            </button>
        </PostForm>
    }
}

/// `/portal/library/:id`: one resource.
#[component]
pub fn LibraryResource() -> impl IntoView {
    let id: i64 = use_params_map()
        .with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()))
        .unwrap_or(0);
    let detail = Resource::new(move || id, library_resource);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <ResourcePage detail /> }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ResourcePage(detail: ResourceDetail) -> impl IntoView {
    let resource = detail.summary.clone();
    view! {
        <PageHead title=resource.title.clone() description=resource.summary.clone() />
        <Breadcrumbs crumbs=vec![
            Crumb { href: "/portal", label: "Member portal" },
            Crumb { href: LIBRARY, label: "Library" },
        ] />
        <Main>
            <h1>{resource.title.clone()}</h1>
            <ResourceMeta resource=resource.clone() />
            <p class="nhsuk-lede-text">{resource.summary.clone()}</p>
            <SaveButton id=resource.id saved=resource.bookmarked title=resource.title.clone() />
            <Downloads id=resource.id files=detail.files.clone() />
            <div class="pp-prose" inner_html=detail.body_html.clone()></div>
            <dl class="nhsuk-summary-list">
                {resource.published_at.map(|at| view! {
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"First published"</dt>
                        <dd class="nhsuk-summary-list__value">{long_date(at)}</dd>
                    </div>
                })}
                <div class="nhsuk-summary-list__row">
                    <dt class="nhsuk-summary-list__key">"Last updated"</dt>
                    <dd class="nhsuk-summary-list__value">{long_date(resource.updated_at)}</dd>
                </div>
                {resource.review_date.map(|at| view! {
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Next review"</dt>
                        <dd class="nhsuk-summary-list__value">{long_date(at)}</dd>
                    </div>
                })}
                {(!resource.tags.is_empty()).then(|| view! {
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Tags"</dt>
                        <dd class="nhsuk-summary-list__value">{resource.tags.join(", ")}</dd>
                    </div>
                })}
            </dl>
        </Main>
    }
}

/// The resource's file to download, and its earlier versions with their
/// dates. The latest file's address never changes.
#[component]
pub fn Downloads(id: i64, files: Vec<ResourceFile>) -> impl IntoView {
    let mut files = files.into_iter();
    let latest = files.next();
    let earlier: Vec<ResourceFile> = files.collect();
    latest.map(|latest| view! {
        <p>
            <a class="nhsuk-button" href=download_path(id) download="" data-testid="download">
                {format!("Download {}", latest.file_name)}
                <span class="nhsuk-u-visually-hidden">{format!(" ({})", latest.description())}</span>
            </a>
            <br />
            <span class="nhsuk-body-s">{format!("{}, uploaded {}", latest.description(), long_date(latest.uploaded_at))}</span>
        </p>
        {(!earlier.is_empty()).then(|| view! {
            <details class="nhsuk-details">
                <summary class="nhsuk-details__summary">
                    <span class="nhsuk-details__summary-text">"Earlier versions"</span>
                </summary>
                <div class="nhsuk-details__text">
                    <ul class="nhsuk-list">
                        {earlier
                            .into_iter()
                            .map(|file| view! {
                                <li>
                                    <a href=file.download_path.clone() download="">
                                        {format!("Version {}: {}", file.version, file.file_name)}
                                    </a>
                                    {format!(" ({}, uploaded {})", file.description(), long_date(file.uploaded_at))}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                </div>
            </details>
        })}
    })
}

/// `/portal/saved`: the member's saved resources.
#[component]
pub fn Saved() -> impl IntoView {
    let page: i64 = use_location()
        .search
        .with_untracked(|search| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(search)
                .ok()
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "page"))
                .and_then(|(_, v)| v.parse().ok())
        })
        .unwrap_or(1);
    let found = Resource::new(move || page, |page| saved_resources(Some(page)));
    view! {
        <PageHead title="Saved resources" description="Resources you have saved." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/portal", label: "Member portal" }] />
        <Main>
            <h1>"Saved resources"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(found) if found.rows.is_empty() => view! {
                            <p>"You have not saved anything yet. Use "<strong>"Save"</strong>" on any resource in the "<a href=LIBRARY>"library"</a>" to keep it here."</p>
                        }
                        .into_any(),
                        Ok(found) => view! {
                            <ResourceCards rows=found.rows.clone() />
                            <Pager page=found.page pages=found.pages link=|page| format!("{SAVED}?page={page}") />
                        }
                        .into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
}
