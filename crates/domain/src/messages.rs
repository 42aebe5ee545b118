//! Messages to the service team: members write from the portal, the public
//! through the contact form, and administrators answer from one inbox
//! (P4: only administrators read them; a member sees only their own).

use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

/// Longest subject, in characters.
pub const SUBJECT_MAX: usize = 150;
/// Longest message, reply or note, in characters.
pub const BODY_MAX: usize = 5_000;
/// Messages on one page of the inbox or of a member's list.
pub const PAGE_SIZE: i64 = 20;

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Nobody has picked it up.
    New,
    /// Assigned, noted or answered, and not closed.
    InProgress,
    Closed,
}

impl MessageState {
    pub const ALL: [MessageState; 3] = [
        MessageState::New,
        MessageState::InProgress,
        MessageState::Closed,
    ];

    /// As stored and as the inbox filter posts it.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::New => "new",
            MessageState::InProgress => "in_progress",
            MessageState::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            MessageState::New => "New",
            MessageState::InProgress => "In progress",
            MessageState::Closed => "Closed",
        }
    }
}

/// What a member's message form sends, exactly as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageForm {
    pub subject: String,
    pub body: String,
    /// A service id, or blank for "not about one service".
    pub service_id: String,
}

/// A member's message that passed every rule that needs no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub subject: String,
    pub body: String,
    pub service_id: Option<i64>,
}

impl MessageForm {
    /// Checks every field and reports every problem at once, in form order.
    pub fn validate(&self) -> Result<NewMessage, FieldErrors> {
        let mut errors = FieldErrors::new();
        let subject = errors.check(
            "subject",
            required_text(&self.subject, "a subject", SUBJECT_MAX).and_then(|subject| {
                if subject.contains(['\n', '\r']) {
                    Err("Enter the subject on one line".to_owned())
                } else {
                    Ok(subject)
                }
            }),
        );
        let body = errors.check("body", required_text(&self.body, "your message", BODY_MAX));
        let service_id = errors.check(
            "service_id",
            match self.service_id.trim() {
                "" => Ok(None),
                raw => raw
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| "Choose a service from the list".to_owned()),
            },
        );
        errors.into_result(|| NewMessage {
            subject: subject.unwrap_or_default(),
            body: body.unwrap_or_default(),
            service_id: service_id.flatten(),
        })
    }
}

/// An administrator's reply, as typed: emailed to the sender, and shown to
/// a member in the portal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    pub body: String,
}

impl ReplyForm {
    pub fn validate(&self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        let body = errors.check("body", required_text(&self.body, "your reply", BODY_MAX));
        errors.into_result(|| body.unwrap_or_default())
    }
}

/// An administrator's internal note, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    pub note: String,
}

impl NoteForm {
    pub fn validate(&self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        let note = errors.check("note", required_text(&self.note, "the note", BODY_MAX));
        errors.into_result(|| note.unwrap_or_default())
    }
}

/// Who wrote a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub name: String,
    /// Members' work email, or the address a public enquiry gave.
    pub email: String,
    /// The member's organisation, or the one a public enquiry named.
    pub organisation: Option<String>,
    /// Only public enquiries give one.
    pub telephone: Option<String>,
    /// `true` for a member of a customer organisation, `false` for a
    /// public enquiry.
    pub member: bool,
}

/// A message as a list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub id: i64,
    pub subject: String,
    pub state: MessageState,
    pub sender: Sender,
    pub service: Option<String>,
    pub assignee: Option<String>,
    pub assignee_id: Option<i64>,
    /// Whether an administrator has replied.
    pub answered: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A reply or an internal note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// Sent to the sender by email; a member also sees it in the portal.
    Reply,
    /// Administrators only.
    Note,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Reply => "reply",
            EntryKind::Note => "note",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [EntryKind::Reply, EntryKind::Note]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// One reply or note on a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    /// The administrator's name; a member sees "the team" instead.
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

/// A message in full, with the replies (and, for administrators, notes)
/// that the viewer may see, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDetail {
    pub summary: MessageSummary,
    pub body: String,
    pub entries: Vec<Entry>,
}

/// A page of messages.
pub type MessagePage = crate::paging::Paged<MessageSummary>;

/// The inbox's filters, read leniently from a query string: anything blank
/// or unknown means "any", a bad page is page 1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    #[serde(
        deserialize_with = "lenient::state",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<MessageState>,
    #[serde(
        deserialize_with = "lenient::id",
        skip_serializing_if = "Option::is_none"
    )]
    pub service: Option<i64>,
    #[serde(
        deserialize_with = "lenient::id",
        skip_serializing_if = "Option::is_none"
    )]
    pub organisation: Option<i64>,
    #[serde(deserialize_with = "lenient::page")]
    pub page: i64,
}

impl InboxQuery {
    /// The page asked for, at least 1 and small enough that its offset
    /// cannot overflow.
    pub fn page(&self) -> i64 {
        self.page.clamp(1, 1_000_000)
    }

    /// How many rows come before this page.
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * PAGE_SIZE
    }
}

mod lenient {
    use super::MessageState;
    pub(super) use crate::lenient::{id, page};
    use serde::Deserializer;

    pub(super) fn state<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MessageState>, D::Error> {
        Ok(crate::lenient::text(d)?
            .as_deref()
            .and_then(MessageState::parse))
    }
}

/// What the inbox's filters and the assignment list offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxOptions {
    pub services: Vec<(i64, String)>,
    pub organisations: Vec<(i64, String)>,
    pub administrators: Vec<(i64, String)>,
}

/// The address of message `id` in the administrators' inbox.
pub fn inbox_message_path(id: i64) -> String {
    format!("/admin/messages/{id}")
}

/// The address of message `id` in its member's portal.
pub fn my_message_path(id: i64) -> String {
    format!("/portal/messages/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reports_each_problem_on_its_field() {
        let errors = MessageForm {
            subject: "  ".into(),
            body: "x".repeat(BODY_MAX + 1),
            service_id: "medicines".into(),
        }
        .validate()
        .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["subject", "body", "service_id"]);
        assert_eq!(errors.get("subject"), Some("Enter a subject"));
    }

    #[test]
    fn a_subject_is_one_line_so_it_cannot_add_mail_headers() {
        let errors = MessageForm {
            subject: "Hello\r\nBcc: everyone@example.org".into(),
            body: "Hi".into(),
            service_id: String::new(),
        }
        .validate()
        .expect_err("two lines");
        assert_eq!(errors.get("subject"), Some("Enter the subject on one line"));
    }

    #[test]
    fn a_blank_service_means_none() {
        let message = MessageForm {
            subject: " Fire drill ".into(),
            body: "When is the next one?".into(),
            service_id: " ".into(),
        }
        .validate()
        .expect("valid");
        assert_eq!(message.subject, "Fire drill");
        assert_eq!(message.service_id, None);
    }

    #[test]
    fn the_inbox_query_reads_anything() {
        let query: InboxQuery =
            serde_urlencoded::from_str("state=nonsense&service=7&organisation=x&page=-3")
                .expect("always reads");
        assert_eq!(
            query,
            InboxQuery {
                state: None,
                service: Some(7),
                organisation: None,
                page: -3,
            }
        );
        assert_eq!(query.page(), 1);
        let query: InboxQuery = serde_urlencoded::from_str("state=in_progress").expect("reads");
        assert_eq!(query.state, Some(MessageState::InProgress));
    }

    #[test]
    fn states_round_trip_and_unknown_ones_do_not_parse() {
        for state in MessageState::ALL {
            assert_eq!(MessageState::parse(state.as_str()), Some(state));
        }
        assert_eq!(MessageState::parse("open"), None);
    }
}
