use crate::email::Email;
use crate::telephone::parse_uk_telephone;
use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

/// What the public enquiry form sends, exactly as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnquiryInput {
    pub name: String,
    pub organisation: String,
    pub email: String,
    #[serde(default)]
    pub telephone: String,
    pub message: String,
}

/// An enquiry that passed every rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enquiry {
    pub name: String,
    pub organisation: String,
    pub email: Email,
    pub telephone: Option<String>,
    pub message: String,
}

impl Enquiry {
    pub const NAME_MAX: usize = 100;
    pub const ORGANISATION_MAX: usize = 200;
    pub const MESSAGE_MAX: usize = 5000;
}

impl EnquiryInput {
    /// Checks every field and reports every problem at once, in form order.
    pub fn validate(&self) -> Result<Enquiry, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check(
            "name",
            required_text(&self.name, "your full name", Enquiry::NAME_MAX),
        );
        let organisation = errors.check(
            "organisation",
            required_text(
                &self.organisation,
                "the name of your organisation",
                Enquiry::ORGANISATION_MAX,
            ),
        );
        let email = errors.check(
            "email",
            Email::parse(&self.email).map_err(|e| e.to_string()),
        );
        let telephone = errors.check(
            "telephone",
            match self.telephone.trim() {
                "" => Ok(None),
                raw => parse_uk_telephone(raw).map(Some),
            },
        );
        let message = errors.check(
            "message",
            required_text(&self.message, "your message", Enquiry::MESSAGE_MAX),
        );
        match (name, organisation, email, telephone, message) {
            (Some(name), Some(organisation), Some(email), Some(telephone), Some(message))
                if errors.is_empty() =>
            {
                Ok(Enquiry {
                    name,
                    organisation,
                    email,
                    telephone,
                    message,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> EnquiryInput {
        EnquiryInput {
            name: "Dr Jo Bloggs".into(),
            organisation: "Riverside Surgery".into(),
            email: "Jo.Bloggs@nhs.net".into(),
            telephone: "".into(),
            message: "Please tell us about medicines management support.".into(),
        }
    }

    #[test]
    fn a_complete_enquiry_is_accepted_and_normalised() {
        let enquiry = valid().validate().expect("valid");
        assert_eq!(enquiry.email.as_str(), "jo.bloggs@nhs.net");
        assert_eq!(enquiry.telephone, None);
    }

    #[test]
    fn every_problem_is_reported_on_its_own_field_in_form_order() {
        let input = EnquiryInput {
            name: " ".into(),
            organisation: "".into(),
            email: "not-an-email".into(),
            telephone: "call me".into(),
            message: "x".repeat(Enquiry::MESSAGE_MAX + 1),
        };
        let errors = input.validate().expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "organisation", "email", "telephone", "message"]
        );
        assert_eq!(errors.get("name"), Some("Enter your full name"));
        assert_eq!(
            errors.get("message"),
            Some("Message must be 5000 characters or fewer")
        );
    }

    #[test]
    fn an_optional_telephone_is_checked_when_given() {
        let mut input = valid();
        input.telephone = "01632 960 001".into();
        assert_eq!(
            input.validate().expect("valid").telephone.as_deref(),
            Some("01632 960 001")
        );
    }
}
