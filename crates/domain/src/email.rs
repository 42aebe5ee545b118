use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A work email address: trimmed, lower-cased, at most 254 characters, with a
/// domain that has a dot in it (mail to `user@localhost` cannot reach a person).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a string is not an [`Email`]; the `Display` text is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address")]
    Empty,
    #[error("Email address must be 254 characters or fewer")]
    TooLong,
    #[error("Enter an email address in the correct format, like name@example.nhs.uk")]
    Malformed,
}

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let parsed =
            email_address::EmailAddress::from_str(&value).map_err(|_| EmailError::Malformed)?;
        let domain = parsed.domain();
        let plain_domain = domain.contains('.')
            && !domain.starts_with('[')
            && domain.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !plain_domain || value.contains([' ', '<', '>']) {
            return Err(EmailError::Malformed);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("jo.bloggs@nhs.net", "jo.bloggs@nhs.net")]
    #[case("  Jo.Bloggs@Example.NHS.uk ", "jo.bloggs@example.nhs.uk")]
    #[case("first+tag@practice-surgery.co.uk", "first+tag@practice-surgery.co.uk")]
    fn accepts_and_normalises(#[case] raw: &str, #[case] expected: &str) {
        assert_eq!(Email::parse(raw).map(String::from), Ok(expected.to_owned()));
    }

    #[rstest]
    #[case("", EmailError::Empty)]
    #[case("   ", EmailError::Empty)]
    #[case("no-at-sign", EmailError::Malformed)]
    #[case("user@localhost", EmailError::Malformed)]
    #[case("two@@example.com", EmailError::Malformed)]
    #[case("a b@example.com", EmailError::Malformed)]
    #[case("Jo <jo@example.com>", EmailError::Malformed)]
    #[case("user@[127.0.0.1]", EmailError::Malformed)]
    #[case("user@example..com", EmailError::Malformed)]
    fn rejects(#[case] raw: &str, #[case] expected: EmailError) {
        assert_eq!(Email::parse(raw), Err(expected));
    }

    #[test]
    fn rejects_overlong_addresses() {
        let raw = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&raw), Err(EmailError::TooLong));
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9-]{1,20}\\.[a-z]{2,6}") {
            let raw = format!("{local}@{domain}");
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                prop_assert_eq!(email.domain(), domain.as_str());
            }
        }
    }
}
