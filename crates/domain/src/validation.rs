use serde::{Deserialize, Serialize};

/// One problem with one form field, worded for the person filling it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's `name`, which is also the id of its input.
    pub field: String,
    pub message: String,
}

/// Every problem found with a form, in field order, so an error summary can
/// list them in the order a person meets the fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`. Only the first problem per field is
    /// kept: one clear message beats a list of everything that is wrong.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }

    /// Runs `check` and records its error, if any, against `field`,
    /// returning the value when it was valid.
    pub fn check<T>(&mut self, field: &str, check: Result<T, String>) -> Option<T> {
        match check {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(value)` when nothing was recorded, otherwise the errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// Trims `raw` and checks it is present and no longer than `max` characters.
/// `what` names the field in the message, in lower case ("your name").
pub fn required_text(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(format!("Enter {what}"));
    }
    optional_text(value, what, max).map(|v| v.unwrap_or_default())
}

/// Trims `raw`; empty becomes `None`. Longer than `max` characters is an error.
pub fn optional_text(raw: &str, what: &str, max: usize) -> Result<Option<String>, String> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(format!(
            "{} must be {max} characters or fewer",
            capitalise(what)
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(format!(
            "{} contains characters we cannot accept",
            capitalise(what)
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

fn capitalise(what: &str) -> String {
    let what = what
        .strip_prefix("your ")
        .or_else(|| what.strip_prefix("a "))
        .or_else(|| what.strip_prefix("the "))
        .unwrap_or(what);
    let mut chars = what.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("  Ada  ", Ok("Ada".to_owned()))]
    #[case("", Err("Enter your name".to_owned()))]
    #[case("   ", Err("Enter your name".to_owned()))]
    #[case("abcdefghijk", Err("Name must be 10 characters or fewer".to_owned()))]
    #[case("a\u{0}b", Err("Name contains characters we cannot accept".to_owned()))]
    fn required_text_rules(#[case] raw: &str, #[case] expected: Result<String, String>) {
        assert_eq!(required_text(raw, "your name", 10), expected);
    }

    #[test]
    fn only_the_first_problem_per_field_is_kept_and_order_is_preserved() {
        let mut errors = FieldErrors::new();
        errors.add("email", "Enter your email");
        errors.add("name", "Enter your name");
        errors.add("email", "second problem");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "name"]);
        assert_eq!(errors.get("email"), Some("Enter your email"));
    }
}
