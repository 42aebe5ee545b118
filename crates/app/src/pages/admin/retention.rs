use crate::api::audit::retention_preview;
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, Table};
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::console::RetentionRow;
use domain::library::long_date;
use domain::paging::how_many;
use leptos::prelude::*;

/// The retention preview.
pub const RETENTION: &str = "/admin/retention";

/// `/admin/retention`: what the next retention run would delete, kind by
/// kind, how many and the oldest. The run itself happens on its own every
/// few minutes, or with `primarypoint retention run`.
#[component]
pub fn Retention() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let preview = Resource::new(|| (), |_| retention_preview());
    view! {
        <PageHead title="Retention" description="Personal data due for deletion." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Retention"</h1>
            <p>
                "Personal data is deleted once it is no longer needed, every few minutes, on its own. "
                "This is what the next run would delete now. Each run's counts are in the "
                <a href="/admin/audit?action=retention.run">"audit trail"</a>"."
            </p>
            <Suspense fallback=|| view! { <p>"Working it out…"</p> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok((rows, months)) => view! { <Due rows months /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn Due(rows: Vec<RetentionRow>, months: u32) -> impl IntoView {
    const COLUMNS: &[Column] = &[
        Column::text("What"),
        Column::text("How many"),
        Column::text("Oldest"),
    ];
    view! {
        <p>
            {format!(
                "Members of an organisation that ended or was suspended are kept for {} after it did.",
                how_many(months.into(), "month", "months")
            )}
        </p>
        <Table caption="Due for deletion" columns=COLUMNS testid="retention">
            {rows
                .into_iter()
                .map(|row| view! {
                    <tr>
                        <td>{row.what}</td>
                        <td>{row.count}</td>
                        <td>{row.oldest.map(long_date).unwrap_or_else(|| "—".to_owned())}</td>
                    </tr>
                })
                .collect_view()}
        </Table>
    }
}
