use crate::api::audit::{audit_chain, audit_organisations, audit_trail};
use crate::components::form::{FilterSelect, id_choices};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, PagedTable, with_query};
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::audit::{AUDIT_EXPORT_ROUTE, Action, AuditEntry, AuditPage, AuditQuery, ChainReport};
use domain::library::long_date;
use domain::paging::how_many;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The audit viewer.
pub const AUDIT: &str = "/admin/audit";

/// The chain check's page.
pub const AUDIT_CHAIN: &str = "/admin/audit/chain";

fn crumbs() -> Vec<Crumb> {
    vec![Crumb {
        href: "/admin",
        label: "Administration",
    }]
}

/// `/admin/audit`: the trail, newest first, 50 to a page, filtered by
/// actor, organisation, action, target and dates (a GET form, so each
/// view has its own address and works without JavaScript), with the same
/// events as a CSV download.
#[component]
pub fn AuditTrail() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let search = use_location().search.get_untracked();
    let query: AuditQuery = serde_urlencoded::from_str(&search).unwrap_or_default();
    let found = {
        let query = query.clone();
        Resource::new(move || query.clone(), audit_trail)
    };
    let organisations = Resource::new(|| (), |_| audit_organisations());
    let (filter_query, list_query) = (query.clone(), query);
    view! {
        <PageHead title="Audit trail" description="Who did what, and when." />
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <h1>"Audit trail"</h1>
            <p>
                "Every change, sign-in, view and download, newest first. "
                <a href=AUDIT_CHAIN>"Check the trail has not been altered"</a>
            </p>
            <p class="nhsuk-body-s">
                "People's names, email addresses and organisations are shown as they are now; "
                "the trail itself records the account (user:12) and the organisation at the time."
            </p>
            <Suspense fallback=|| ()>
                {move || {
                    let query = filter_query.clone();
                    Suspend::new(async move {
                        let organisations = organisations.await.unwrap_or_default();
                        view! { <AuditFilters query organisations /> }
                    })
                }}
            </Suspense>
            <Suspense fallback=|| view! { <p>"Loading the trail…"</p> }>
                {move || {
                    let query = list_query.clone();
                    Suspend::new(async move {
                        match found.await {
                            Ok(found) => view! { <AuditTable found query /> }.into_any(),
                            Err(error) => view! { <Problem error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn AuditFilters(query: AuditQuery, organisations: Vec<(i64, String)>) -> impl IntoView {
    let text = |id: &'static str,
                label: &'static str,
                hint: &'static str,
                value: Option<String>| {
        let hint_id = format!("{id}-hint");
        view! {
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for=id>{label}</label>
                <div class="nhsuk-hint" id=hint_id.clone()>{hint}</div>
                <input class="nhsuk-input" id=id name=id type="text" value=value aria-describedby=hint_id />
            </div>
        }
    };
    let date = |id: &'static str, label: &'static str, value: Option<String>| {
        view! {
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for=id>{label}</label>
                <input class="nhsuk-input nhsuk-input--width-10" id=id name=id type="date" value=value />
            </div>
        }
    };
    view! {
        <form method="get" action=AUDIT class="pp-search">
            {text("actor", "Who", "An email address, or user:12, system, operator", query.actor)}
            <FilterSelect
                id="organisation"
                label="Their organisation"
                any="Any organisation"
                chosen=query.organisation.map(|o| o.to_string())
                choices=id_choices(organisations)
            />
            <FilterSelect
                id="action"
                label="Action"
                any="Any action"
                chosen=query.action.map(|a| a.code().to_owned())
                choices=Action::ALL.iter().map(|a| (a.code().to_owned(), a.label().to_owned())).collect()
            />
            {text("target", "Acted on", "For example resource:12 or user:3", query.target)}
            {date("from", "From", query.from)}
            {date("to", "To", query.to)}
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Filter"</button>
        </form>
    }
}

/// Who acted, as a person reads it.
fn actor_text(entry: &AuditEntry) -> String {
    match (&entry.actor_name, &entry.actor_email) {
        (Some(name), Some(email)) => format!("{name} ({email})"),
        _ => match entry.actor.as_str() {
            "system" => "PrimaryPoint".to_owned(),
            "operator" => "Operator (command line)".to_owned(),
            other => match other.strip_prefix("public:") {
                Some(client) => format!("Visitor {client}"),
                None => other.to_owned(),
            },
        },
    }
}

/// The browser and client an event came from, when it was a request.
fn origin_text(entry: &AuditEntry) -> Option<String> {
    match (&entry.agent, &entry.client) {
        (Some(agent), Some(client)) => Some(format!("{agent}, client {client}")),
        (Some(agent), None) => Some(agent.clone()),
        (None, Some(client)) => Some(format!("Client {client}")),
        (None, None) => None,
    }
}

#[component]
fn AuditTable(found: AuditPage, query: AuditQuery) -> impl IntoView {
    let export = {
        let filters = serde_urlencoded::to_string(query.all_pages()).unwrap_or_default();
        if filters.is_empty() {
            AUDIT_EXPORT_ROUTE.to_owned()
        } else {
            format!("{AUDIT_EXPORT_ROUTE}?{filters}")
        }
    };
    if found.rows.is_empty() {
        return view! { <p data-testid="no-events">"No events match."</p> }.into_any();
    }
    const COLUMNS: &[Column] = &[
        Column::text("When"),
        Column::text("Who"),
        Column::text("Action"),
        Column::text("Acted on"),
        Column::text("Detail"),
    ];
    let caption = if found.more {
        format!(
            "More than {} events: choose dates to see older ones",
            domain::audit::AUDIT_COUNT_LIMIT
        )
    } else {
        how_many(found.total, "event", "events")
    };
    let link = move |page| {
        with_query(
            AUDIT,
            &AuditQuery {
                page,
                ..query.clone()
            },
        )
    };
    let row = |entry: AuditEntry| {
        let who = actor_text(&entry);
        let origin = origin_text(&entry);
        let action = entry.action_label().to_owned();
        view! {
            <tr>
                <td>{long_date(entry.at)}<br /><span class="nhsuk-body-s">{time_of_day(entry.at)}</span></td>
                <td>
                    {who}
                    {entry.organisation.map(|o| view! { <br /><span class="nhsuk-body-s">{o}</span> })}
                    {origin.map(|o| view! { <br /><span class="nhsuk-body-s">{o}</span> })}
                </td>
                <td>{action}</td>
                <td>{entry.target}</td>
                <td><code class="pp-detail">{entry.detail}</code></td>
            </tr>
        }
    };
    view! {
        <p>
            <a class="nhsuk-link" href=export download="" data-testid="export">
                "Download these events as CSV"
            </a>
        </p>
        <PagedTable found caption columns=COLUMNS row link />
    }
    .into_any()
}

/// `14:05:09 UTC` for Unix seconds.
fn time_of_day(at: i64) -> String {
    let seconds = at.rem_euclid(domain::library::DAY);
    format!(
        "{:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// `/admin/audit/chain`: walks the whole trail and says whether every
/// event is still as it was written, or where the first break is.
#[component]
pub fn AuditChain() -> impl IntoView {
    if !viewer().is_some_and(|v| v.is_admin()) {
        return view! { <Forbidden /> }.into_any();
    }
    let report = Resource::new(|| (), |_| audit_chain());
    view! {
        <PageHead title="Audit trail check" description="Whether the audit trail has been altered." />
        <Breadcrumbs crumbs=vec![
            Crumb { href: "/admin", label: "Administration" },
            Crumb { href: AUDIT, label: "Audit trail" },
        ] />
        <Main>
            <h1>"Audit trail check"</h1>
            <Suspense fallback=|| view! { <p>"Checking every event…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <ChainResult report /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn ChainResult(report: ChainReport) -> impl IntoView {
    let checked = format!(
        "Checked {} on {} at {}.",
        how_many(report.checked, "event", "events"),
        long_date(report.at),
        time_of_day(report.at)
    );
    match report.first_break {
        None => view! {
            <div class="nhsuk-inset-text" data-testid="chain-intact">
                <p>"The trail is whole: every event is as it was written, in its place."</p>
                <p>{checked}</p>
            </div>
        }
        .into_any(),
        Some(first_break) => view! {
            <div class="nhsuk-error-summary" role="alert" data-testid="chain-broken">
                <h2 class="nhsuk-error-summary__title">"The trail has been altered"</h2>
                <div class="nhsuk-error-summary__body">
                    <p>{format!("First break: {first_break}.")}</p>
                    <p>{checked}</p>
                </div>
            </div>
        }
        .into_any(),
    }
}
