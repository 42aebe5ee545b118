//! A secret or a result is shown on the page after the form that made it,
//! and only there. The server keeps it with the session and deletes it as the
//! page is drawn, so refreshing, the back button or a second tab never shows
//! it again and never repeats the action.

use serde::{Deserialize, Serialize};

/// Something to show once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flash {
    /// A new organisation and its first authorisation code.
    OrganisationAdded { id: i64, code: String },
    /// An organisation's replacement authorisation code.
    CodeReplaced { id: i64, code: String },
    /// The recovery codes made when a second factor was switched on.
    RecoveryCodes(Vec<String>),
}
