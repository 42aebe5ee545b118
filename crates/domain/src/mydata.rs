//! Everything held about the signed-in person (P6), as `/portal/my-data`
//! shows it and its JSON download carries it: one section per place it is
//! kept, each field described, and what is held but not shown, with why.

use serde::{Deserialize, Serialize};

/// The page.
pub const MY_DATA: &str = "/portal/my-data";

/// The download: the same data as JSON.
pub const MY_DATA_EXPORT_ROUTE: &str = "/portal/my-data.json";

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
