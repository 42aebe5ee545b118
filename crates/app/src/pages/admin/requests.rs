use crate::api::rights::{
    CloseRightsRequest, EraseForRightsRequest, ExtendRightsRequest, LogRightsRequest,
    rights_request, rights_requests,
};
use crate::components::form::{
    Confirmation, Control, ErrorSummary, Field, PostForm, action_problems, first_problems,
    form_action, load_on_success, posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, PagedTable};
use crate::pages::auth::login::Notice;
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::library::long_date;
use domain::paging::how_many;
use domain::rights::{
    LogRequestForm, MAX_EXTENSION_MONTHS, REQUESTS, RequestDetail, RequestKind, RequestPage,
    RequestQuery, RequestState, RequestSummary, Urgency, request_export_path, request_path,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

fn is_admin() -> bool {
    viewer().is_some_and(|v| v.is_admin())
}

/// Today as a date input's value, read on the server and carried into the
/// page, so hydration draws what the server did.
fn today() -> String {
    leptos::server::SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            domain::library::iso_date(backend::clock::now())
        }
        #[cfg(not(feature = "ssr"))]
        {
            String::new()
        }
    })
    .into_inner()
}

/// An open request's overdue or due-this-week tag.
#[component]
pub fn UrgencyTag(urgency: Option<Urgency>) -> impl IntoView {
    urgency.and_then(Urgency::tag).map(|(class, text)| {
        view! { " "<strong class=class data-testid="urgency">{text}</strong> }
    })
}

/// A request's state as a tag.
#[component]
pub fn RequestStateTag(state: RequestState) -> impl IntoView {
    let class = match state {
        RequestState::Open => "nhsuk-tag nhsuk-tag--blue",
        RequestState::Completed => "nhsuk-tag nhsuk-tag--green",
        RequestState::Refused => "nhsuk-tag nhsuk-tag--grey",
    };
    view! { <strong class=class>{state.label()}</strong> }
}

/// Who made a request, as a person reads it.
fn requester(summary: &RequestSummary) -> String {
    if summary.erased && summary.name.is_empty() {
        "Removed: their account was erased".to_owned()
    } else {
        summary.name.clone()
    }
}

/// `/admin/requests`: every data-rights request, open ones first and
/// soonest due first, overdue and due-this-week ones tagged; and the form
/// to log one that arrived by letter or email.
#[component]
pub fn Requests() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let search = use_location().search.get_untracked();
    let query: RequestQuery = serde_urlencoded::from_str(&search).unwrap_or_default();
    let found = Resource::new(move || query.clone(), rights_requests);
    view! {
        <PageHead title="Data-rights requests" description="Requests to see, correct or erase personal data, and their due dates." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Data-rights requests"</h1>
            <p>
                "Each request must be answered within one calendar month of the day it was received. "
                "It can be extended by up to two further months when it is complex or one of many; "
                "the requester is emailed the new date and why."
            </p>
            <Suspense fallback=|| view! { <p>"Loading the requests…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(found) => view! { <RequestTable found /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
            <LogRequest />
        </Main>
    }
    .into_any()
}

#[component]
fn RequestTable(found: RequestPage) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p data-testid="no-requests">"No requests yet."</p> }.into_any();
    }
    const COLUMNS: &[Column] = &[
        Column::text("Request"),
        Column::text("From"),
        Column::text("Received"),
        Column::text("Due"),
        Column::text("State"),
    ];
    let caption = how_many(found.total, "request", "requests");
    let link = |page: i64| format!("{REQUESTS}?page={page}");
    let row = |r: RequestSummary| {
        let who = requester(&r);
        view! {
            <tr>
                <td><a href=request_path(r.id)>{format!("{} #{}", r.kind.name(), r.id)}</a></td>
                <td>
                    {who}
                    {(!r.email.is_empty()).then(|| view! { <br /><span class="nhsuk-body-s">{r.email.clone()}</span> })}
                </td>
                <td>{long_date(r.received_on)}</td>
                <td>{long_date(r.due_on)}<UrgencyTag urgency=r.urgency /></td>
                <td><RequestStateTag state=r.state /></td>
            </tr>
        }
    };
    view! { <PagedTable found caption columns=COLUMNS row link /> }.into_any()
}

/// The form for a request that arrived by letter or email.
#[component]
fn LogRequest() -> impl IntoView {
    let (action, problems, echo) = form_action::<LogRightsRequest>();
    let typed: LogRequestForm = echo.as_ref().map(|e| e.read()).unwrap_or_default();
    let received = if typed.received.is_empty() {
        today()
    } else {
        typed.received.clone()
    };
    let kinds = std::iter::once((String::new(), "Choose a right".to_owned()))
        .chain(RequestKind::choices())
        .collect();
    let links = vec![
        (
            "no".to_owned(),
            "No: they have no account, or it is not confirmed that they do".to_owned(),
        ),
        (
            "yes".to_owned(),
            "Yes: the member account with this email address".to_owned(),
        ),
    ];
    view! {
        <h2 id="log">"Log a request"</h2>
        <p>"For a request that arrived by letter, email or telephone. A member can also make one from their data page."</p>
        <ErrorSummary problems />
        <PostForm action>
            <Field name="kind" label="Right asked about" control=Control::Select(kinds) value=typed.kind problems />
            <Field name="name" label="Requester's full name" value=typed.name problems />
            <Field
                name="email"
                label="Requester's email address"
                hint="We email them here if the time limit is extended"
                control=Control::Email
                value=typed.email
                problems
            />
            <Field name="details" label="What they ask for" control=Control::TextArea value=typed.details problems />
            <Field
                name="received"
                label="Date received"
                hint="The time limit runs from this day, for example 2026-12-01"
                control=Control::Date
                width="nhsuk-input--width-10"
                value=received
                problems
            />
            <Field name="link" label="Link it to their account?" control=Control::Select(links) value=typed.link problems />
            <button class="nhsuk-button" type="submit">"Log the request"</button>
        </PostForm>
    }
}

/// `/admin/requests/:id`: a request, its dates, and what administrators do
/// with it: download the person's data, erase their account, extend the
/// time limit, or close it as completed or refused.
#[component]
pub fn RightsRequestPage() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let id = use_params_map()
        .with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()).unwrap_or(0));
    let loaded = Resource::new(move || id, rights_request);
    view! {
        <Breadcrumbs crumbs=vec![
            Crumb { href: "/admin", label: "Administration" },
            Crumb { href: REQUESTS, label: "Data-rights requests" },
        ] />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(detail) => view! { <RequestView detail /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn RequestView(detail: RequestDetail) -> impl IntoView {
    let summary = detail.summary.clone();
    let id = summary.id;
    let done = use_query_map().with_untracked(|q| q.get("done"));
    let notice = done.and_then(|what| match what.as_str() {
        "logged" => Some("Request logged. Its due date is shown below."),
        "extended" => {
            Some("Time limit extended. The requester has been emailed the new date and why.")
        }
        "closed" => Some("Request closed."),
        "erased" => Some("The account was erased and the request completed."),
        _ => None,
    });
    let echo = posted_form_echo();
    let extend = ServerAction::<ExtendRightsRequest>::new();
    let close = ServerAction::<CloseRightsRequest>::new();
    let erase = ServerAction::<EraseForRightsRequest>::new();
    load_on_success(extend);
    load_on_success(close);
    load_on_success(erase);
    let problems = first_problems([
        action_problems(extend, echo.clone()),
        action_problems(close, None),
        action_problems(erase, None),
    ]);
    let typed = |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    let (reason_typed, note_typed) = (typed("reason"), typed("note"));
    let who = requester(&summary);
    let title = format!("{} request from {}", summary.kind.name(), who);
    // The tab and the browser's history name the request, not the person.
    let page_title = format!("{} request {}", summary.kind.name(), summary.id);
    let open = summary.state == RequestState::Open;
    let remaining = MAX_EXTENSION_MONTHS - summary.extended_months;
    let months: Vec<(String, String)> = (1..=remaining)
        .map(|m| {
            (
                m.to_string(),
                if m == 1 { "One month" } else { "Two months" }.to_owned(),
            )
        })
        .collect();
    let outcomes = [RequestState::Completed, RequestState::Refused]
        .into_iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let extended = (summary.extended_months > 0).then(|| {
        format!(
            " (extended by {} month{})",
            summary.extended_months,
            if summary.extended_months == 1 {
                ""
            } else {
                "s"
            }
        )
    });
    let can_download = open && summary.kind == RequestKind::Access && summary.member;
    let can_erase = open && summary.kind == RequestKind::Erasure && summary.member;
    let row = |key: &'static str, value: AnyView| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{key}</dt>
                <dd class="nhsuk-summary-list__value">{value}</dd>
            </div>
        }
    };
    let from = {
        let email = summary.email.clone();
        let how = if summary.member {
            " (member account)"
        } else if summary.erased {
            ""
        } else {
            " (wrote in)"
        };
        view! {
            {who.clone()}{how}
            {(!email.is_empty()).then(|| view! { <br /><a href=format!("mailto:{email}")>{email.clone()}</a> })}
        }
        .into_any()
    };
    let details = if summary.erased && detail.details.is_empty() {
        "Removed when the person's account was erased.".to_owned()
    } else {
        detail.details.clone()
    };
    view! {
        <PageHead title=page_title description="A data-rights request." />
        <ErrorSummary problems />
        {notice.map(|text| view! { <Notice text /> })}
        <h1>{title}</h1>
        <dl class="nhsuk-summary-list">
            {row("From", from)}
            {row("Right", summary.kind.label().into_any())}
            {row("Received", long_date(summary.received_on).into_any())}
            {row(
                "Due",
                view! {
                    <span data-testid="due">{long_date(summary.due_on)}</span>
                    {extended}
                    <UrgencyTag urgency=summary.urgency />
                }
                .into_any(),
            )}
            {row("State", view! { <RequestStateTag state=summary.state /> }.into_any())}
            {row("What they ask for", view! { <p class="pp-message">{details}</p> }.into_any())}
            {detail.extension_reason.clone().map(|reason| row("Why it was extended", view! { <p class="pp-message">{reason}</p> }.into_any()))}
            {detail.outcome_note.clone().map(|note| row("Outcome", view! { <p class="pp-message">{note}</p> }.into_any()))}
            {summary.closed_at.map(|at| row("Closed", long_date(at).into_any()))}
            {detail.logged_by.clone().map(|name| row("Logged by", name.into_any()))}
        </dl>
        {can_download.then(|| view! {
            <h2>"Their data"</h2>
            <p>"The same download the person gets from their own data page. Downloading it is recorded in the audit trail."</p>
            <p>
                <a class="nhsuk-button nhsuk-button--secondary" href=request_export_path(id) download="" role="button" data-testid="download-their-data">
                    "Download their data (JSON)"
                </a>
            </p>
        })}
        {can_erase.then(|| view! {
            <h2>"Erase their account"</h2>
            <p>
                "This erases the account exactly as its owner's own erasure would: the account, its sessions, "
                "saved resources and messages. The request is then completed. This cannot be undone."
            </p>
            <PostForm action=erase>
                <input type="hidden" name="id" value=id />
                <Confirmation name="confirm" problems>"Yes, erase this account"</Confirmation>
                <button class="nhsuk-button nhsuk-button--warning" type="submit">"Erase the account"</button>
            </PostForm>
        })}
        {(open && remaining > 0).then(|| view! {
            <h2>"Extend the time limit"</h2>
            <PostForm action=extend>
                <input type="hidden" name="id" value=id />
                <Field name="months" label="Further time" control=Control::Select(months) value="1" problems />
                <Field
                    name="reason"
                    label="Why more time is needed"
                    hint="Emailed to the requester with the new date"
                    control=Control::TextArea
                    value=reason_typed
                    problems
                />
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Extend"</button>
            </PostForm>
        })}
        {open.then(|| view! {
            <h2>"Close the request"</h2>
            <PostForm action=close>
                <input type="hidden" name="id" value=id />
                <Field name="outcome" label="Outcome" control=Control::Select(outcomes) value="completed" problems />
                <Field name="note" label="What was done, or why it was refused" control=Control::TextArea value=note_typed problems />
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Close the request"</button>
            </PostForm>
        })}
    }
}
