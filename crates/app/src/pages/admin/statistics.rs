use crate::api::stats::statistics;
use crate::components::chart::BarChart;
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, Table};
use crate::pages::admin::home::short_date;
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::stats::{PERIODS, PageViews, STATS_EXPORT_ROUTE, STATS_PAGE, StatsQuery};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// `/admin/statistics`: page views per day over a period, the most viewed
/// pages and the sites visitors came from, counted without cookies and
/// without anything about the visitor (P10). The period is in the address
/// (`?days=90`), so each view can be linked to.
#[component]
pub fn Statistics() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    // The period follows the address, so moving between periods without
    // a reload shows the new one.
    let location = use_location();
    let query = Memo::new(move |_| {
        serde_urlencoded::from_str::<StatsQuery>(&location.search.get()).unwrap_or_default()
    });
    let figures = Resource::new(move || query.get(), statistics);
    view! {
        <PageHead title="Statistics" description="Page views, counted without cookies." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Statistics"</h1>
            <p>
                "Views of each page, counted without cookies and without anything about the visitor. "
                "Browsers that send Do Not Track or Global Privacy Control are not counted."
            </p>
            <ul class="pp-periods">
                {move || {
                    let days = query.get().days();
                    PERIODS
                    .into_iter()
                    .map(|period| {
                        let label = format!("Last {period} days");
                        if period == days {
                            view! { <li><strong aria-current="page">{label}</strong></li> }.into_any()
                        } else {
                            let href = format!("{STATS_PAGE}?days={period}");
                            view! { <li><a href=href>{label}</a></li> }.into_any()
                        }
                    })
                    .collect_view()
                }}
            </ul>
            <Suspense fallback=|| view! { <p>"Counting…"</p> }>
                {move || Suspend::new(async move {
                    match figures.await {
                        Ok(figures) => view! { <Figures figures /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p>
                {move || {
                    let days = query.get().days();
                    view! {
                        <a href=format!("{STATS_EXPORT_ROUTE}?days={days}") download="">
                            {format!("Download the last {days} days as CSV")}
                        </a>
                    }
                }}
                " (each day, page and referring site)"
            </p>
        </Main>
    }
    .into_any()
}

const PAGE_COLUMNS: &[Column] = &[Column::text("Page"), Column::text("Views")];
const SITE_COLUMNS: &[Column] = &[Column::text("Site"), Column::text("Views")];

#[component]
fn Figures(figures: PageViews) -> impl IntoView {
    let bars = figures
        .per_day
        .iter()
        .map(|(day, views)| (short_date(*day), *views))
        .collect::<Vec<_>>();
    view! {
        <BarChart title="Page views per day" columns=("Day", "Views") bars />
        <Ranked
            caption="Most viewed pages"
            columns=PAGE_COLUMNS
            rows=figures.pages
            testid="pages"
        />
        <Ranked
            caption="Sites visitors came from"
            columns=SITE_COLUMNS
            rows=figures.referrers
            testid="referrers"
        />
    }
}

#[component]
fn Ranked(
    caption: &'static str,
    columns: &'static [Column],
    rows: Vec<(String, i64)>,
    testid: &'static str,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <h2 class="nhsuk-heading-s">{caption}</h2><p>"None in this period."</p> }
            .into_any();
    }
    view! {
        <Table caption columns testid>
            {rows
                .into_iter()
                .map(|(what, views)| view! { <tr><td>{what}</td><td>{views}</td></tr> })
                .collect_view()}
        </Table>
    }
    .into_any()
}
