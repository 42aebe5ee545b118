use crate::api::audit::dashboard;
use crate::components::chart::BarChart;
use crate::components::head::PageHead;
use crate::components::layout::{Main, viewer};
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::console::{Dashboard, DayActivity};
use domain::library::civil_date;
use leptos::prelude::*;

/// `/admin`: where administrators start: how the service stands, the last
/// 30 days' sign-ins and downloads, and the way to everything else. Anyone
/// else gets the 403 page (the server has already sent signed-out people
/// to sign in).
#[component]
pub fn AdminHome() -> impl IntoView {
    let Some(me) = viewer().filter(|v| v.is_admin()) else {
        return view! { <Forbidden /> }.into_any();
    };
    let figures = Resource::new(|| (), |_| dashboard());
    view! {
        <PageHead title="Administration" description="Run organisations, codes, members and content." />
        <Main>
            <h1>"Administration"</h1>
            <p class="nhsuk-lede-text">{format!("Signed in as {}", me.full_name)}</p>
            <ul class="nhsuk-list">
                <li><a href=crate::pages::admin::messages::INBOX>"Inbox"</a></li>
                <li><a href=domain::rights::REQUESTS>"Data-rights requests"</a></li>
                <li><a href="/admin/organisations">"Organisations and authorisation codes"</a></li>
                <li><a href=domain::members::MEMBERS>"Members"</a></li>
                <li><a href=crate::pages::admin::library::ADMIN_LIBRARY>"Library"</a></li>
                <li><a href=crate::pages::admin::services::ADMIN_SERVICES>"Services and their public pages"</a></li>
                <li><a href=crate::pages::admin::pages::ADMIN_PAGES>"Website pages"</a></li>
                <li><a href=crate::pages::admin::audit::AUDIT>"Audit trail"</a></li>
                <li><a href=crate::pages::admin::retention::RETENTION>"Retention: what is due for deletion"</a></li>
                <li><a href=domain::stats::STATS_PAGE>"Statistics: page views"</a></li>
                <li><a href="/portal">"Member portal"</a></li>
                <li><a href="/account">"Your account"</a></li>
            </ul>
            <Suspense fallback=|| view! { <p>"Loading the figures…"</p> }>
                {move || Suspend::new(async move {
                    match figures.await {
                        Ok(figures) => view! { <Figures figures /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

/// "5 Dec": a day on a chart.
pub(crate) fn short_date(day: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, month, day) = civil_date(day);
    let month = usize::try_from(month - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or_default();
    format!("{day} {month}")
}

#[component]
fn Figures(figures: Dashboard) -> impl IntoView {
    let row = |key: &'static str, value: String, link: Option<(&'static str, &'static str)>| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{key}</dt>
                <dd class="nhsuk-summary-list__value">{value}</dd>
                <dd class="nhsuk-summary-list__actions">
                    {link.map(|(href, text)| view! { <a href=href>{text}</a> })}
                </dd>
            </div>
        }
    };
    let series = |days: &[DayActivity], pick: fn(&DayActivity) -> i64| -> Vec<(String, i64)> {
        days.iter().map(|d| (short_date(d.day), pick(d))).collect()
    };
    let sign_ins = series(&figures.days, |d| d.sign_ins);
    let downloads = series(&figures.days, |d| d.downloads);
    view! {
        <h2>"How the service stands"</h2>
        {(figures.rights_overdue + figures.rights_due_soon > 0).then(|| view! {
            <p data-testid="rights-pressing">
                {(figures.rights_overdue > 0).then(|| view! {
                    <strong class="nhsuk-tag nhsuk-tag--red">{format!("{} overdue", figures.rights_overdue)}</strong>" "
                })}
                {(figures.rights_due_soon > 0).then(|| view! {
                    <strong class="nhsuk-tag nhsuk-tag--orange">{format!("{} due this week", figures.rights_due_soon)}</strong>" "
                })}
                <a href=domain::rights::REQUESTS>"Data-rights requests to answer"</a>
            </p>
        })}
        <dl class="nhsuk-summary-list" data-testid="dashboard">
            {row(
                "Organisations",
                format!(
                    "{} active, {} suspended, {} ended",
                    figures.organisations_active, figures.organisations_suspended, figures.organisations_ended
                ),
                Some(("/admin/organisations", "Organisations")),
            )}
            {row(
                "People",
                format!("{} members, {} administrators", figures.members, figures.administrators),
                None,
            )}
            {row(
                "Resources",
                format!(
                    "{} published, {} drafts, {} archived",
                    figures.resources_published, figures.resources_draft, figures.resources_archived
                ),
                Some((crate::pages::admin::library::ADMIN_LIBRARY, "Library")),
            )}
            {row(
                "Open messages",
                format!("{} open, {} new", figures.messages_open, figures.messages_new),
                Some((crate::pages::admin::messages::INBOX, "Inbox")),
            )}
            {row(
                "Data-rights requests",
                format!(
                    "{} overdue, {} due within 7 days",
                    figures.rights_overdue, figures.rights_due_soon
                ),
                Some((domain::rights::REQUESTS, "Data-rights requests")),
            )}
            {row(
                "Reviews",
                format!("{} overdue, {} due within 30 days", figures.reviews_overdue, figures.reviews_due),
                Some((crate::pages::admin::library::REVIEWS, "Reviews due")),
            )}
        </dl>
        <h2>"The last 30 days"</h2>
        <BarChart title="Sign-ins per day" columns=("Day", "Sign-ins") bars=sign_ins />
        <BarChart title="Downloads per day" columns=("Day", "Downloads") bars=downloads />
    }
}
