use crate::api::messages::{
    AssignMessage, NoteOnMessage, ReplyToMessage, SetMessageState, inbox_choices, message, messages,
};
use crate::components::form::{
    Control, ErrorSummary, Field, FilterSelect, PostForm, action_problems, first_problems,
    id_choices, load_on_success, posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, PagedTable, with_query};
use crate::pages::auth::login::Notice;
use crate::pages::portal::messages::{StateTag, Thread};
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::library::long_date;
use domain::messages::{
    InboxOptions, InboxQuery, MessageDetail, MessagePage, MessageState, MessageSummary,
    inbox_message_path,
};
use domain::paging::how_many;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

/// The administrators' inbox.
pub const INBOX: &str = "/admin/messages";

fn is_admin() -> bool {
    viewer().is_some_and(|v| v.is_admin())
}

/// `/admin/messages`: every message and enquiry, newest activity first,
/// filtered by state, service and organisation (a GET form, so each view
/// has its own address and works without JavaScript).
#[component]
pub fn Inbox() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let search = use_location().search.get_untracked();
    let query: InboxQuery = serde_urlencoded::from_str(&search).unwrap_or_default();
    let found = {
        let query = query.clone();
        Resource::new(move || query.clone(), messages)
    };
    let options = Resource::new(|| (), |_| inbox_choices());
    let (filter_query, list_query) = (query.clone(), query);
    view! {
        <PageHead title="Inbox" description="Messages from members and enquiries from the public." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Inbox"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    let query = filter_query.clone();
                    Suspend::new(async move {
                        let options = options.await.unwrap_or_default();
                        view! { <InboxFilters query options /> }
                    })
                }}
            </Suspense>
            <Suspense fallback=|| view! { <p>"Loading the inbox…"</p> }>
                {move || {
                    let query = list_query.clone();
                    Suspend::new(async move {
                        match found.await {
                            Ok(found) => view! { <InboxTable found query /> }.into_any(),
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
fn InboxFilters(query: InboxQuery, options: InboxOptions) -> impl IntoView {
    view! {
        <form method="get" action=INBOX class="pp-search">
            <FilterSelect
                id="state"
                label="State"
                any="Any state"
                chosen=query.state.map(|s| s.as_str().to_owned())
                choices=MessageState::ALL.into_iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect()
            />
            <FilterSelect
                id="service"
                label="Service"
                any="Any service"
                chosen=query.service.map(|s| s.to_string())
                choices=id_choices(options.services)
            />
            <FilterSelect
                id="organisation"
                label="Organisation"
                any="Any organisation"
                chosen=query.organisation.map(|o| o.to_string())
                choices=id_choices(options.organisations)
            />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Filter"</button>
        </form>
    }
}

#[component]
fn InboxTable(found: MessagePage, query: InboxQuery) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p data-testid="no-messages">"No messages match."</p> }.into_any();
    }
    const COLUMNS: &[Column] = &[
        Column::text("Subject"),
        Column::text("From"),
        Column::text("State"),
        Column::text("Assigned to"),
        Column::text("Last activity"),
    ];
    let caption = how_many(found.total, "message", "messages");
    let link = move |page| {
        with_query(
            INBOX,
            &InboxQuery {
                page,
                ..query.clone()
            },
        )
    };
    let row = |m: MessageSummary| {
        view! {
            <tr>
                <td><a href=inbox_message_path(m.id)>{m.subject}</a></td>
                <td>
                    {m.sender.name}
                    {m.sender.organisation.map(|o| view! { <br /><span class="nhsuk-body-s">{o}</span> })}
                    {(!m.sender.member).then(|| view! { <br /><span class="nhsuk-body-s">"Public enquiry"</span> })}
                </td>
                <td><StateTag state=m.state answered=m.answered /></td>
                <td>{m.assignee.unwrap_or_else(|| "Nobody".to_owned())}</td>
                <td>{long_date(m.updated_at)}</td>
            </tr>
        }
    };
    view! { <PagedTable found caption columns=COLUMNS row link /> }.into_any()
}

/// `/admin/messages/:id`: the message, who sent it, its thread, and what
/// administrators do with it: assign, reply, note, close or reopen.
#[component]
pub fn InboxMessage() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let id = use_params_map()
        .with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()).unwrap_or(0));
    let loaded = Resource::new(
        move || id,
        |id| async move {
            Ok::<_, crate::error::AppError>((message(id).await?, inbox_choices().await?))
        },
    );
    view! {
        <Breadcrumbs crumbs=vec![
            Crumb { href: "/admin", label: "Administration" },
            Crumb { href: INBOX, label: "Inbox" },
        ] />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok((detail, options)) => view! { <MessageView detail options /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn MessageView(detail: MessageDetail, options: InboxOptions) -> impl IntoView {
    let summary = detail.summary.clone();
    let id = summary.id;
    let done = use_query_map().with_untracked(|q| q.get("done"));
    let notice = done.and_then(|what| match what.as_str() {
        "assigned" => Some("Assignment saved."),
        "replied" => Some("Reply sent by email and kept with the message."),
        "noted" => Some("Note added. Only administrators see it."),
        "closed" => Some("Message closed."),
        "in_progress" => Some("Message reopened."),
        _ => None,
    });
    let echo = posted_form_echo();
    let assign = ServerAction::<AssignMessage>::new();
    let reply = ServerAction::<ReplyToMessage>::new();
    let note = ServerAction::<NoteOnMessage>::new();
    let state = ServerAction::<SetMessageState>::new();
    load_on_success(assign);
    load_on_success(reply);
    load_on_success(note);
    load_on_success(state);
    // Each form's fields have names of their own, so one summary serves
    // them all; a refused form without JavaScript comes back typed.
    let problems = first_problems([
        action_problems(reply, echo.clone()),
        action_problems(note, None),
        action_problems(assign, None),
        action_problems(state, None),
    ]);
    let typed = |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    let (reply_typed, note_typed) = (typed("body"), typed("note"));
    let administrators = std::iter::once((String::new(), "Nobody".to_owned()))
        .chain(
            options
                .administrators
                .into_iter()
                .map(|(id, name)| (id.to_string(), name)),
        )
        .collect();
    let assigned = summary
        .assignee_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let (next, button) = match summary.state {
        MessageState::Closed => (MessageState::InProgress, "Reopen"),
        _ => (MessageState::Closed, "Close"),
    };
    let sender = summary.sender.clone();
    view! {
        <PageHead title=summary.subject.clone() description="A message in the inbox." />
        <ErrorSummary problems />
        {notice.map(|text| view! { <Notice text /> })}
        <h1>{summary.subject.clone()}</h1>
        <dl class="nhsuk-summary-list">
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"From"</dt>
                <dd class="nhsuk-summary-list__value">
                    {sender.name}
                    {if sender.member { " (member)" } else { " (public enquiry)" }}
                    <br />
                    <a href=format!("mailto:{}", sender.email)>{sender.email.clone()}</a>
                    {sender.telephone.map(|t| view! { <br />{t} })}
                </dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Organisation"</dt>
                <dd class="nhsuk-summary-list__value">{sender.organisation.unwrap_or_else(|| "Not given".to_owned())}</dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Service"</dt>
                <dd class="nhsuk-summary-list__value">{summary.service.clone().unwrap_or_else(|| "Not about one service".to_owned())}</dd>
            </div>
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"State"</dt>
                <dd class="nhsuk-summary-list__value" data-testid="message-state">{summary.state.label()}</dd>
            </div>
        </dl>
        <Thread detail />
        <h2>"Reply"</h2>
        <PostForm action=reply>
            <input type="hidden" name="id" value=id />
            <Field
                name="body"
                label="Your reply"
                hint="Emailed to the sender, and kept with the message."
                control=Control::LongText
                value=reply_typed
                problems
            />
            <button class="nhsuk-button" type="submit">"Send reply"</button>
        </PostForm>
        <h2>"Internal note"</h2>
        <PostForm action=note>
            <input type="hidden" name="id" value=id />
            <Field name="note" label="Note for administrators" control=Control::TextArea value=note_typed problems />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Add note"</button>
        </PostForm>
        <h2>"Assign"</h2>
        <PostForm action=assign>
            <input type="hidden" name="id" value=id />
            <Field name="assignee_id" label="Assigned to" control=Control::Select(administrators) value=assigned problems />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Save assignment"</button>
        </PostForm>
        <PostForm action=state>
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="state" value=next.as_str() />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">{button}</button>
        </PostForm>
    }
}
