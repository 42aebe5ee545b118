//! Messages to the service team. Who may read which message is decided by
//! the backend ([`backend::messages`]): a member their own, administrators
//! the inbox; these functions only say who is calling.

use crate::error::AppError;
use domain::messages::{
    InboxOptions, InboxQuery, MessageDetail, MessageForm, MessagePage, NoteForm, ReplyForm,
};
use leptos::prelude::*;

/// Sends a message to the team from the portal; leads to the message's
/// own page. Signed-in people.
#[server(endpoint = "messages/send")]
pub async fn send_message(#[server(flatten)] form: MessageForm) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    let message = form.validate().map_err(AppError::Invalid)?;
    let state = &caller.state;
    let id = backend::messages::send(&state.db, viewer, &message, &state.team_email, &state.site)
        .await?;
    Ok(format!("{}?sent=1", domain::messages::my_message_path(id)))
}

/// The caller's own messages, or (for administrators) the inbox, a page at
/// a time and filtered by `query`. Signed-in people.
#[server(endpoint = "messages")]
pub async fn messages(#[server(flatten)] query: InboxQuery) -> Result<MessagePage, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    Ok(backend::messages::list(&caller.state.db, viewer, &query).await?)
}

/// One message the caller may read. Signed-in people; anyone else's is
/// "not found".
#[server(endpoint = "messages/one")]
pub async fn message(id: i64) -> Result<MessageDetail, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.signed_in()?.viewer;
    Ok(backend::messages::detail(&caller.state.db, viewer, id).await?)
}

/// The services a message may be about. Signed-in people.
#[server(endpoint = "messages/services")]
pub async fn message_services() -> Result<Vec<(i64, String)>, AppError> {
    let caller = Caller::current()?;
    caller.signed_in()?;
    Ok(backend::messages::services(&caller.state.db).await?)
}

/// What the inbox's filters and assignment offer. Administrators only.
#[server(endpoint = "admin/inbox-options")]
pub async fn inbox_choices() -> Result<InboxOptions, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    Ok(backend::messages::options(&caller.state.db, viewer).await?)
}

/// Gives a message to an administrator (blank: to nobody). Administrators
/// only.
#[server(endpoint = "admin/message-assign")]
pub async fn assign_message(id: i64, assignee_id: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let assignee = match assignee_id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::on_field("assignee_id", "Choose an administrator"))?,
        ),
    };
    backend::messages::assign(&caller.state.db, viewer, id, assignee).await?;
    Ok(format!(
        "{}?done=assigned",
        domain::messages::inbox_message_path(id)
    ))
}

/// Replies to a message's sender by email, keeping the reply with the
/// message. Administrators only.
#[server(endpoint = "admin/message-reply")]
pub async fn reply_to_message(
    id: i64,
    #[server(flatten)] form: ReplyForm,
) -> Result<String, AppError> {
    let body = form.validate().map_err(AppError::Invalid)?;
    add_entry(id, domain::messages::EntryKind::Reply, &body).await?;
    Ok(format!(
        "{}?done=replied",
        domain::messages::inbox_message_path(id)
    ))
}

/// Adds an internal note, seen by administrators only. Administrators
/// only.
#[server(endpoint = "admin/message-note")]
pub async fn note_on_message(
    id: i64,
    #[server(flatten)] form: NoteForm,
) -> Result<String, AppError> {
    let note = form.validate().map_err(AppError::Invalid)?;
    add_entry(id, domain::messages::EntryKind::Note, &note).await?;
    Ok(format!(
        "{}?done=noted",
        domain::messages::inbox_message_path(id)
    ))
}

/// Adds a reply or note to message `id` as the calling administrator.
#[cfg(feature = "ssr")]
async fn add_entry(id: i64, kind: domain::messages::EntryKind, body: &str) -> Result<(), AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let state = &caller.state;
    backend::messages::add_entry(&state.db, viewer, id, kind, body, &state.site).await?;
    Ok(())
}

/// Closes a message or reopens it. Administrators only.
#[server(endpoint = "admin/message-state")]
pub async fn set_message_state(id: i64, state: String) -> Result<String, AppError> {
    let caller = Caller::current()?;
    let viewer = &caller.admin()?.viewer;
    let state = domain::messages::MessageState::parse(&state)
        .ok_or_else(|| AppError::on_field("state", "Choose what to do with the message"))?;
    backend::messages::set_state(&caller.state.db, viewer, id, state).await?;
    Ok(format!(
        "{}?done={}",
        domain::messages::inbox_message_path(id),
        state.as_str()
    ))
}

#[cfg(feature = "ssr")]
use crate::api::account::Caller;
