use crate::api::content::{UpdatePage, admin_pages, stored_page};
use crate::components::form::{Control, ErrorSummary, Field, PostForm, form_action};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, Table};
use crate::pages::admin::library::MarkdownPreview;
use crate::pages::auth::login::Notice;
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::content::{PageRow, admin_page_path};
use domain::library::long_date;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The administrators' list of content pages.
pub const ADMIN_PAGES: &str = "/admin/pages";

/// `/admin/pages`: the website's content pages (about, privacy statement,
/// cookies, accessibility), each with its last change.
#[component]
pub fn AdminPages() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let pages = Resource::new(|| (), |_| admin_pages());
    view! {
        <PageHead title="Website pages" description="The website's content pages." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Website pages"</h1>
            <p>
                "The privacy statement and the cookies page describe what the service does: change \
                 them only to say what it does."
            </p>
            <Suspense fallback=|| view! { <p>"Loading pages…"</p> }>
                {move || Suspend::new(async move {
                    match pages.await {
                        Ok(rows) => view! { <PageTable rows /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn PageTable(rows: Vec<PageRow>) -> impl IntoView {
    const COLUMNS: &[Column] = &[
        Column::text("Page"),
        Column::text("Address"),
        Column::text("Last changed"),
    ];
    view! {
        <Table caption="Website pages" hide_caption=true columns=COLUMNS>
            {rows
                .into_iter()
                .map(|row| {
                    let public = format!("/page/{}", row.slug);
                    view! {
                        <tr>
                            <td><a href=admin_page_path(&row.slug)>{row.title}</a></td>
                            <td><a href=public.clone()>{public.clone()}</a></td>
                            <td>{long_date(row.updated_at)}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}

/// `/admin/pages/:slug`: change a content page's title, summary and text,
/// with a preview of the Markdown.
#[component]
pub fn EditPage() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let saved = use_query_map().with_untracked(|q| q.get("saved"));
    let notice = saved
        .filter(|what| what == "changed")
        .map(|_| "Your changes are saved and live.");
    let (action, problems, echo) = form_action::<UpdatePage>();
    let loaded = {
        let slug = slug.clone();
        Resource::new(move || slug.clone(), stored_page)
    };
    view! {
        <Breadcrumbs crumbs=vec![
            Crumb { href: "/admin", label: "Administration" },
            Crumb { href: ADMIN_PAGES, label: "Website pages" },
        ] />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (echo, slug) = (echo.clone(), slug.clone());
                    Suspend::new(async move {
                        match loaded.await {
                            Ok(stored) => {
                                let title = stored.title.clone();
                                let public = format!("/page/{slug}");
                                let start = echo.map(|e| e.read()).unwrap_or(stored);
                                view! {
                                    <PageHead title=title.clone() description="Change a website page." />
                                    <div class="nhsuk-grid-row">
                                        <div class="nhsuk-grid-column-two-thirds">
                                            <ErrorSummary problems />
                                            {notice.map(|text| view! { <Notice text /> })}
                                            <h1>{title}</h1>
                                            <p><a href=public>"See the page"</a></p>
                                            <PostForm action>
                                                <input type="hidden" name="slug" value=slug />
                                                <Field name="title" label="Title" value=start.title problems />
                                                <Field
                                                    name="summary"
                                                    label="Summary"
                                                    hint="One sentence, shown in search results."
                                                    control=Control::TextArea
                                                    value=start.summary
                                                    problems
                                                />
                                                <Field
                                                    name="body_md"
                                                    label="Text"
                                                    hint="Markdown: # for headings, - for lists, [text](https://…) for links. {{organisation_name}} and the like are filled in from the settings. Scripts and styles are removed."
                                                    control=Control::LongText
                                                    value=start.body_md
                                                    problems
                                                />
                                                <MarkdownPreview />
                                                <button class="nhsuk-button" type="submit">"Save changes"</button>
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
