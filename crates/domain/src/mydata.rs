//! Everything held about the signed-in person (P6), as `/portal/my-data`
//! shows it and its JSON download carries it: one section per place it is
//! kept, each field described, and what is held but not shown, with why.

use crate::FieldErrors;
use serde::{Deserialize, Serialize};

/// The page.
pub const MY_DATA: &str = "/portal/my-data";

/// The download: the same data as JSON.
pub const MY_DATA_EXPORT_ROUTE: &str = "/portal/my-data.json";

/// Rows the page shows of each section, newest first; the download has
/// them all.
pub const PAGE_ROWS: i64 = 50;

/// A stored value as it is exported: text, a whole number, or nothing.
/// Written to JSON as a string, a number or `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(i64),
    Text(String),
    Null,
}

impl Value {
    /// The value as the page shows it.
    pub fn text(&self) -> String {
        match self {
            Value::Number(n) => n.to_string(),
            Value::Text(t) => t.clone(),
            Value::Null => String::new(),
        }
    }
}

/// A field of a section, and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub about: String,
}

/// One place data about the person is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Its name in the download (`account`, `sessions`).
    pub name: String,
    /// What it holds, as a person reads it.
    pub about: String,
    pub fields: Vec<Field>,
    /// Each row's values, in the order of `fields`.
    pub rows: Vec<Vec<Value>>,
    /// How many rows there are in all (the page shows at most
    /// [`PAGE_ROWS`] of them).
    pub total: i64,
    /// Fields held here but not shown, each with why.
    pub withheld: Vec<Field>,
}

/// Everything held about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyData {
    /// When this was gathered, Unix seconds.
    pub at: i64,
    pub sections: Vec<Section>,
}

/// Correcting one's own name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NameForm {
    pub full_name: String,
}

impl NameForm {
    pub fn validate(&self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check(
            "full_name",
            crate::validation::required_text(
                &self.full_name,
                "your full name",
                crate::account::FULL_NAME_MAX,
            ),
        );
        errors.into_result(|| name.unwrap_or_default())
    }
}

/// Erasing one's own account: the password again, a current code from
/// the authenticator app if one is set up, and a ticked box.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    pub password: String,
    pub code: String,
    #[serde(deserialize_with = "crate::lenient::checkbox")]
    pub confirm: bool,
}

impl std::fmt::Debug for EraseForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EraseForm")
            .field("password", &"<redacted>")
            .field("code", &"<redacted>")
            .field("confirm", &self.confirm)
            .finish()
    }
}

impl EraseForm {
    /// Checks that the form is complete (the password and code are
    /// checked by the server).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.password.is_empty() {
            errors.add("password", "Enter your password");
        }
        if !self.confirm {
            errors.add(
                "confirm",
                "Tick the box to confirm your account is to be erased",
            );
        }
        errors.into_result(|| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erasing_needs_the_password_and_the_box_ticked() {
        let errors = EraseForm::default().validate().expect_err("empty");
        assert_eq!(errors.get("password"), Some("Enter your password"));
        assert!(errors.get("confirm").is_some());
        let form: EraseForm =
            serde_urlencoded::from_str("password=x&code=&confirm=yes").expect("form");
        assert_eq!(form.validate(), Ok(()));
        assert!(!format!("{form:?}").contains("password: \"x\""));
    }
}
