use crate::api::mydata::{CorrectMyName, EraseMyAccount, SignOutElsewhere, held_about_me};
use crate::api::rights::{MakeRightsRequest, my_rights_requests};
use crate::components::form::{
    Confirmation, Control, ErrorSummary, Field, PasswordField, PostForm, Problems, action_problems,
    first_problems, load_on_success, posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::{Main, viewer};
use crate::components::table::{Column, Table};
use crate::pages::admin::requests::RequestStateTag;
use crate::pages::auth::account::SignInFirst;
use crate::pages::auth::login::Notice;
use crate::pages::public::problem::Problem;
use domain::library::long_date;
use domain::mydata::{MY_DATA_EXPORT_ROUTE, MyData, Section};
use domain::paging::how_many;
use domain::rights::{RequestKind, RequestSummary};
use leptos::prelude::*;

/// `/portal/my-data`: everything held about the signed-in person, place
/// by place, each field explained, what is held but not shown and why,
/// and the same as a JSON file to keep.
#[component]
pub fn MyDataPage() -> impl IntoView {
    let Some(me) = viewer() else {
        return view! { <SignInFirst /> }.into_any();
    };
    let data = Resource::new(|| (), |_| held_about_me());
    // One summary for the page's forms: their fields have names of their
    // own, and a refused form without JavaScript comes back typed.
    let echo = posted_form_echo();
    let rename = ServerAction::<CorrectMyName>::new();
    let elsewhere = ServerAction::<SignOutElsewhere>::new();
    let erase = ServerAction::<EraseMyAccount>::new();
    let request = ServerAction::<MakeRightsRequest>::new();
    load_on_success(rename);
    load_on_success(elsewhere);
    load_on_success(erase);
    load_on_success(request);
    let problems = first_problems([
        action_problems(rename, echo.clone()),
        action_problems(erase, None),
        action_problems(elsewhere, None),
        action_problems(request, None),
    ]);
    let typed = |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    let (kind_typed, details_typed) = (typed("kind"), typed("details"));
    let typed_name = echo
        .map(|e| e.value("full_name"))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| me.full_name.clone());
    view! {
        <PageHead title="Your data" description="Everything we hold about you, and a copy to download." />
        <Main>
            <ErrorSummary problems />
            <h1>"Your data"</h1>
            <p class="nhsuk-lede-text">"Everything we hold about you, where it is kept, and what each part means."</p>
            <p>
                <a class="nhsuk-button" href=MY_DATA_EXPORT_ROUTE download="" role="button" data-testid="download-my-data">
                    "Download a copy (JSON)"
                </a>
            </p>
            <p>
                "Times in the download are in Unix seconds (seconds since 1 January 1970, UTC); "
                "this page shows them as dates. To correct your email address or password, go to "
                <a href="/account">"your account"</a>"."
            </p>
            <YourDetails full_name=typed_name rename elsewhere problems />
            <Suspense fallback=|| view! { <p>"Gathering your data…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! { <Sections data /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
            <YourRequests request problems kind=kind_typed details=details_typed />
            <EraseAccount second_factor=me.second_factor erase problems />
        </Main>
    }
    .into_any()
}

/// Correcting the name, and signing out of every other browser.
#[component]
fn YourDetails(
    full_name: String,
    rename: ServerAction<CorrectMyName>,
    elsewhere: ServerAction<SignOutElsewhere>,
    problems: Signal<Problems>,
) -> impl IntoView {
    let done = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("done"));
    let notice = done.and_then(|what| match what.as_str() {
        "name" => Some("Your name has been corrected."),
        "signed-out" => Some("Every other browser has been signed out."),
        _ => None,
    });
    view! {
        {notice.map(|text| view! { <Notice text /> })}
        <h2>"Correct your name"</h2>
        <PostForm action=rename>
            <Field name="full_name" label="Full name" autocomplete="name" value=full_name problems />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Save your name"</button>
        </PostForm>
        <h2>"Signed in elsewhere?"</h2>
        <p>"Sign out of every browser but this one: sessions are listed below, under “sessions”."</p>
        <PostForm action=elsewhere>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Sign out everywhere else"</button>
        </PostForm>
    }
}

/// Data-rights requests: making one, and the state and due date of each
/// of one's own.
#[component]
fn YourRequests(
    request: ServerAction<MakeRightsRequest>,
    problems: Signal<Problems>,
    kind: String,
    details: String,
) -> impl IntoView {
    let mine = Resource::new(|| (), |_| my_rights_requests());
    let sent = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("done"))
        .is_some_and(|done| done == "request");
    let kinds = std::iter::once((String::new(), "Choose one".to_owned()))
        .chain(RequestKind::choices())
        .collect();
    view! {
        <h2 id="requests">"Your rights over your data"</h2>
        {sent.then(|| view! { <Notice text="Your request has been sent. We will answer it by the date shown below." /> })}
        <p>
            "You can ask us for a copy of your data, to correct it, to erase it, to restrict how we use it, "
            "or object to a use of it. Much of this you can do yourself on this page; for anything else, "
            "make a request here. We answer within one calendar month of receiving it, and if we need up to "
            "two months more we tell you why."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match mine.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="nhsuk-body-s" data-testid="no-requests">"You have made no requests."</p> }.into_any(),
                    Ok(rows) => view! { <RequestList rows /> }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                }
            })}
        </Suspense>
        <PostForm action=request>
            <Field name="kind" label="What do you want us to do?" control=Control::Select(kinds) value=kind problems />
            <Field
                name="details"
                label="Tell us about your request"
                hint="For example, which data it is about, or what is wrong with it"
                control=Control::TextArea
                value=details
                problems
            />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Send the request"</button>
        </PostForm>
    }
}

#[component]
fn RequestList(rows: Vec<RequestSummary>) -> impl IntoView {
    const COLUMNS: &[Column] = &[
        Column::text("Request"),
        Column::text("Received"),
        Column::text("Answer due by"),
        Column::text("State"),
    ];
    view! {
        <Table caption="Your requests" hide_caption=true columns=COLUMNS testid="my-requests">
            {rows
                .into_iter()
                .map(|r| view! {
                    <tr>
                        <td>{r.kind.name()}</td>
                        <td>{long_date(r.received_on)}</td>
                        <td>
                            {long_date(r.due_on)}
                            {(r.extended_months > 0).then_some(" (extended)")}
                        </td>
                        <td><RequestStateTag state=r.state /></td>
                    </tr>
                })
                .collect_view()}
        </Table>
    }
}

/// Erasing one's own account, with the password again (and a code from
/// the authenticator app when one is set up).
#[component]
fn EraseAccount(
    second_factor: bool,
    erase: ServerAction<EraseMyAccount>,
    problems: Signal<Problems>,
) -> impl IntoView {
    view! {
        <h2 id="erase">"Erase your account"</h2>
        <p>
            "This deletes your account and everything above that hangs from it: your sessions, "
            "saved resources and messages. The audit trail keeps its record of what happened, "
            "naming your account only by its number. You can register again later with the same address."
        </p>
        <PostForm action=erase>
            <PasswordField name="password" label="Your password" autocomplete="current-password" problems />
            {second_factor.then(|| view! {
                <Field
                    name="code"
                    label="Code from your authenticator app"
                    autocomplete="one-time-code"
                    width="nhsuk-input--width-5"
                    value=String::new()
                    problems
                />
            })}
            <Confirmation name="confirm" problems>"Yes, erase my account"</Confirmation>
            <button class="nhsuk-button nhsuk-button--warning" type="submit" disabled=move || erase.pending().get()>
                "Erase my account"
            </button>
        </PostForm>
    }
}

#[component]
fn Sections(data: MyData) -> impl IntoView {
    data.sections
        .into_iter()
        .map(|section| view! { <DataSection section /> })
        .collect_view()
}

/// Whether a field holds a time (shown as a date).
fn is_time(field: &str) -> bool {
    field.ends_with("_at")
}

#[component]
fn DataSection(section: Section) -> impl IntoView {
    let id = format!("data-{}", section.name);
    let (labelled_by, test_id) = (id.clone(), id.clone());
    let count = section.total;
    let shown = i64::try_from(section.rows.len()).unwrap_or(i64::MAX);
    let fields = section.fields.clone();
    let rows = section.rows;
    let heading = format!(
        "{} ({})",
        section.name.replace('_', " "),
        how_many(count, "entry", "entries")
    );
    let heading_text = heading.clone();
    view! {
        <section aria-labelledby=labelled_by data-testid=test_id>
            <h2 id=id>{heading_text}</h2>
            <p>{section.about}</p>
            {(count > shown).then(|| view! {
                <p class="nhsuk-body-s">
                    {format!("The newest {shown} of {count} are shown here; the download has them all.")}
                </p>
            })}
            {if rows.is_empty() {
                view! { <p class="nhsuk-body-s">"Nothing held."</p> }.into_any()
            } else {
                let names = fields.clone();
                let label = format!("{heading}, as a table");
                view! {
                    // Wider than the page: it scrolls, so it takes the
                    // keyboard's focus to be scrolled without a mouse.
                    <div class="pp-wide" tabindex="0" role="region" aria-label=label>
                        <table class="nhsuk-table">
                            <thead class="nhsuk-table__head">
                                <tr>{names.into_iter().map(|f| view! { <th scope="col">{f.name}</th> }).collect_view()}</tr>
                            </thead>
                            <tbody class="nhsuk-table__body">
                                {rows
                                    .into_iter()
                                    .map(|row| {
                                        let cells = fields.iter().zip(row).map(|(field, value)| {
                                            let shown = match value {
                                                domain::mydata::Value::Number(at) if is_time(&field.name) => long_date(at),
                                                other => other.text(),
                                            };
                                            view! { <td>{shown}</td> }
                                        });
                                        view! { <tr>{cells.collect_view()}</tr> }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
            <details class="nhsuk-details">
                <summary class="nhsuk-details__summary">
                    <span class="nhsuk-details__summary-text">"What these fields mean"</span>
                </summary>
                <div class="nhsuk-details__text">
                    <dl class="nhsuk-summary-list">
                        {section.fields.into_iter().map(|f| view! {
                            <div class="nhsuk-summary-list__row">
                                <dt class="nhsuk-summary-list__key"><code>{f.name}</code></dt>
                                <dd class="nhsuk-summary-list__value">{f.about}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                    {(!section.withheld.is_empty()).then(|| view! {
                        <p>"Also held here, and not shown:"</p>
                        <ul class="nhsuk-list nhsuk-list--bullet">
                            {section.withheld.into_iter().map(|f| view! {
                                <li><code>{f.name}</code>": "{f.about}</li>
                            }).collect_view()}
                        </ul>
                    })}
                </div>
            </details>
        </section>
    }
}
