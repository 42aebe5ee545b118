use crate::api::messages::{SendMessage, message, message_services, messages};
use crate::components::form::{Control, ErrorSummary, Field, PostForm, form_action};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main};
use crate::components::pager::Pager;
use crate::pages::auth::login::Notice;
use crate::pages::public::problem::Problem;
use domain::library::long_date;
use domain::messages::{
    Entry, EntryKind, InboxQuery, MessageDetail, MessageForm, MessagePage, MessageState,
    MessageSummary, my_message_path,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

/// The member's messages.
pub const MY_MESSAGES: &str = "/portal/messages";
/// Where a member writes to the team.
pub const NEW_MESSAGE: &str = "/portal/messages/new";

fn crumbs() -> Vec<Crumb> {
    vec![
        Crumb {
            href: "/portal",
            label: "Member portal",
        },
        Crumb {
            href: MY_MESSAGES,
            label: "Your messages",
        },
    ]
}

/// A message's state as a tag.
#[component]
pub fn StateTag(state: MessageState, answered: bool) -> impl IntoView {
    let (class, label) = match (state, answered) {
        (MessageState::Closed, _) => ("nhsuk-tag nhsuk-tag--grey", "Closed"),
        (_, true) => ("nhsuk-tag nhsuk-tag--green", "Answered"),
        (MessageState::InProgress, false) => ("nhsuk-tag nhsuk-tag--blue", "In progress"),
        (MessageState::New, false) => ("nhsuk-tag", "Open"),
    };
    view! { <strong class=class>{label}</strong> }
}

/// `/portal/messages`: what the member has sent and whether each is open
/// or answered.
#[component]
pub fn MyMessages() -> impl IntoView {
    let search = use_location().search.get_untracked();
    let query: InboxQuery = serde_urlencoded::from_str(&search).unwrap_or_default();
    let found = Resource::new(move || query.clone(), messages);
    view! {
        <PageHead title="Your messages" description="Messages you have sent to the team, and their answers." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/portal", label: "Member portal" }] />
        <Main>
            <h1>"Your messages"</h1>
            <p>"Only you and the team's administrators can read these."</p>
            <p><a class="nhsuk-button" href=NEW_MESSAGE role="button">"Write to the team"</a></p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(found) => view! { <MyMessageList found /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
}

#[component]
fn MyMessageList(found: MessagePage) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p data-testid="no-messages">"You have not sent any messages yet."</p> }
            .into_any();
    }
    view! {
        <ul class="nhsuk-list nhsuk-list--border">
            {found
                .rows
                .into_iter()
                .map(|m: MessageSummary| view! {
                    <li>
                        <a href=my_message_path(m.id)>{m.subject}</a>
                        " "
                        <StateTag state=m.state answered=m.answered />
                        <br />
                        <span class="nhsuk-body-s">{format!("Sent {}", long_date(m.created_at))}</span>
                    </li>
                })
                .collect_view()}
        </ul>
        <Pager page=found.page pages=found.pages link=|page| format!("{MY_MESSAGES}?page={page}") />
    }
    .into_any()
}

/// `/portal/messages/new`: subject, message and (optionally) a service.
#[component]
pub fn WriteMessage() -> impl IntoView {
    let (action, problems, echo) = form_action::<SendMessage>();
    let start: MessageForm = echo.map(|e| e.read()).unwrap_or_default();
    let services = Resource::new(|| (), |_| message_services());
    view! {
        <PageHead title="Write to the team" description="Send a message to the service team." />
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Write to the team"</h1>
                    <p>"Only the team's administrators read your message. We usually answer within two working days."</p>
                    <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                        {
                            let start = start.clone();
                            move || {
                                let start = start.clone();
                                Suspend::new(async move {
                                    let choices = std::iter::once((String::new(), "Not about one service".to_owned()))
                                        .chain(
                                            services
                                                .await
                                                .unwrap_or_default()
                                                .into_iter()
                                                .map(|(id, name)| (id.to_string(), name)),
                                        )
                                        .collect();
                                    view! {
                                        <PostForm action>
                                            <Field name="subject" label="Subject" value=start.subject problems />
                                            <Field name="service_id" label="Service (optional)" control=Control::Select(choices) value=start.service_id problems />
                                            <Field name="body" label="Your message" control=Control::LongText value=start.body problems />
                                            <button class="nhsuk-button" type="submit">"Send message"</button>
                                        </PostForm>
                                    }
                                })
                            }
                        }
                    </Suspense>
                </div>
            </div>
        </Main>
    }
}

/// The message and its thread, as people read it: the original first,
/// then each reply (and, for administrators, each note) in order.
#[component]
pub fn Thread(detail: MessageDetail) -> impl IntoView {
    view! {
        <div class="nhsuk-card">
            <div class="nhsuk-card__content">
                <p class="nhsuk-body-s">
                    {format!("{}, {}", detail.summary.sender.name, long_date(detail.summary.created_at))}
                </p>
                <p class="pp-message">{detail.body}</p>
            </div>
        </div>
        {detail
            .entries
            .into_iter()
            .map(|entry: Entry| {
                let (class, label) = match entry.kind {
                    EntryKind::Reply => ("nhsuk-card pp-reply", "Reply from"),
                    EntryKind::Note => ("nhsuk-card pp-note", "Internal note by"),
                };
                view! {
                    <div class=class>
                        <div class="nhsuk-card__content">
                            <p class="nhsuk-body-s">
                                <strong>{format!("{label} {}", entry.author)}</strong>
                                {format!(", {}", long_date(entry.created_at))}
                            </p>
                            <p class="pp-message">{entry.body}</p>
                        </div>
                    </div>
                }
            })
            .collect_view()}
    }
}

/// `/portal/messages/:id`: one of the member's messages and the team's
/// replies. Anyone else's is "not found".
#[component]
pub fn MyMessage() -> impl IntoView {
    let id = use_params_map()
        .with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()).unwrap_or(0));
    let sent = use_query_map().with_untracked(|q| q.get("sent").is_some());
    let detail = Resource::new(move || id, message);
    view! {
        <Breadcrumbs crumbs=crumbs() />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => {
                            let subject = detail.summary.subject.clone();
                            view! {
                                <PageHead title=subject.clone() description="Your message to the team." />
                                {sent.then(|| view! { <Notice text="Message sent. We will reply by email, and the reply will appear here too." /> })}
                                <h1>{subject}</h1>
                                <p>
                                    <StateTag state=detail.summary.state answered=detail.summary.answered />
                                    {detail.summary.service.clone().map(|s| format!(" About {s}"))}
                                </p>
                                <Thread detail />
                            }
                            .into_any()
                        }
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
}
