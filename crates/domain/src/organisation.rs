//! Rules for organisation records. An organisation holds commercial
//! information only (P1): these are its fields and nothing else.

use serde::{Deserialize, Serialize};

/// Whether an organisation's account is live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    Active,
    Suspended,
    Ended,
}

impl OrgStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Suspended => "suspended",
            OrgStatus::Ended => "ended",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(OrgStatus::Active),
            "suspended" => Some(OrgStatus::Suspended),
            "ended" => Some(OrgStatus::Ended),
            _ => None,
        }
    }
}

/// A UK postcode, normalised to upper case with one space: `SW1A 1AA`.
pub fn parse_postcode(raw: &str) -> Result<String, String> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if compact.is_empty() {
        return Err("Enter a postcode".to_owned());
    }
    let malformed = || Err("Enter a full UK postcode, like LS1 4AP".to_owned());
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return malformed();
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    // A9, A99, AA9, AA99, A9A, AA9A
    let shape: String = outward
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_ascii_alphabetic() {
                'A'
            } else {
                '?'
            }
        })
        .collect();
    let outward_ok = matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    );
    if !(inward_ok && outward_ok) {
        return malformed();
    }
    Ok(format!("{outward} {inward}"))
}

/// An ODS (Organisation Data Service) code: 3 to 6 letters and digits,
/// upper case, such as `A81001` for a practice or `U12345` for a PCN.
pub fn parse_ods_code(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_uppercase();
    if (3..=6).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && code.bytes().any(|b| b.is_ascii_digit())
    {
        Ok(code)
    } else {
        Err("Enter an ODS code of 3 to 6 letters and numbers, like A81001".to_owned())
    }
}

/// A website address: http or https, a host with a dot, no spaces.
pub fn parse_website(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| "Enter a website address starting with https://".to_owned())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_ok = host.contains('.')
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !host_ok || value.contains(char::is_whitespace) || value.len() > 200 {
        return Err("Enter a website address, like https://www.example-surgery.nhs.uk".to_owned());
    }
    Ok(value.to_owned())
}

/// An email domain an organisation's staff register with: lower case,
/// dotted, no `@`.
pub fn parse_email_domain(raw: &str) -> Result<String, String> {
    let domain = raw.trim().trim_start_matches('@').to_lowercase();
    let ok = domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(domain)
    } else {
        Err(format!(
            "“{}” is not an email domain, like nhs.net",
            raw.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("sw1a1aa", "SW1A 1AA")]
    #[case("  ls1 4ap ", "LS1 4AP")]
    #[case("M1 1AE", "M1 1AE")]
    #[case("b33 8th", "B33 8TH")]
    #[case("CR2 6XH", "CR2 6XH")]
    #[case("DN55 1PT", "DN55 1PT")]
    #[case("w1a 0ax", "W1A 0AX")]
    fn postcodes_are_normalised(#[case] raw: &str, #[case] expected: &str) {
        assert_eq!(parse_postcode(raw), Ok(expected.to_owned()));
    }

    #[rstest]
    #[case("")]
    #[case("LS1")]
    #[case("12345")]
    #[case("LS1 4A")]
    #[case("LS1 AAP")]
    #[case("LSS1 4AP")]
    #[case("LS1! 4AP")]
    #[case("ÅS1 4AP")]
    fn bad_postcodes_are_refused(#[case] raw: &str) {
        assert!(parse_postcode(raw).is_err(), "{raw:?}");
    }

    #[rstest]
    #[case("a81001", Ok("A81001"))]
    #[case("U12345", Ok("U12345"))]
    #[case("15N", Ok("15N"))]
    #[case("AB", Err(()))]
    #[case("A810011", Err(()))]
    #[case("ABCDEF", Err(()))]
    #[case("A8-001", Err(()))]
    fn ods_codes(#[case] raw: &str, #[case] expected: Result<&str, ()>) {
        assert_eq!(
            parse_ods_code(raw).map_err(|_| ()),
            expected.map(str::to_owned)
        );
    }

    #[rstest]
    #[case("https://www.example-surgery.nhs.uk", true)]
    #[case("http://example.org/about?x=1", true)]
    #[case("www.example.org", false)]
    #[case("javascript:alert(1)", false)]
    #[case("https://localhost", false)]
    #[case("https://exa mple.org", false)]
    #[case("ftp://example.org", false)]
    fn websites(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(parse_website(raw).is_ok(), ok, "{raw}");
    }

    #[rstest]
    #[case("NHS.net", Ok("nhs.net"))]
    #[case("@riverside.nhs.uk", Ok("riverside.nhs.uk"))]
    #[case("localhost", Err(()))]
    #[case("bad domain.org", Err(()))]
    #[case("a@b.org", Err(()))]
    fn email_domains(#[case] raw: &str, #[case] expected: Result<&str, ()>) {
        assert_eq!(
            parse_email_domain(raw).map_err(|_| ()),
            expected.map(str::to_owned)
        );
    }

    #[test]
    fn statuses_round_trip() {
        for status in [OrgStatus::Active, OrgStatus::Suspended, OrgStatus::Ended] {
            assert_eq!(OrgStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrgStatus::parse("deleted"), None);
    }
}

/// An organisation record exactly as an administrator types it and as the
/// form posts it: flat, one field per input, with one key contact and an
/// optional second. The page, the server function, the command line and the
/// tests all use this type, and problems come back keyed by these field
/// names (`contact_email`, `contact2_name`), so each message sits beside its
/// input. With the `clap` feature it is also the flags of
/// `primarypoint organisation create` (`--contact-email`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(default)]
pub struct OrganisationForm {
    #[cfg_attr(feature = "clap", arg(long))]
    pub name: String,
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub ods_code: String,
    #[cfg_attr(feature = "clap", arg(long))]
    pub address_line1: String,
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub address_line2: String,
    #[cfg_attr(feature = "clap", arg(long))]
    pub town: String,
    #[cfg_attr(feature = "clap", arg(long))]
    pub postcode: String,
    #[cfg_attr(feature = "clap", arg(long))]
    pub telephone: String,
    #[cfg_attr(feature = "clap", arg(long))]
    pub email: String,
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub website: String,
    /// The key contact's name.
    #[cfg_attr(feature = "clap", arg(long))]
    pub contact_name: String,
    #[cfg_attr(feature = "clap", arg(long))]
    pub contact_role: String,
    #[cfg_attr(feature = "clap", arg(long))]
    pub contact_email: String,
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub contact_telephone: String,
    /// A second key contact, if there is one.
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub contact2_name: String,
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub contact2_role: String,
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub contact2_email: String,
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub contact2_telephone: String,
    /// Email domains registrations must use: one per line, or separated by
    /// commas or spaces.
    #[cfg_attr(feature = "clap", arg(long, default_value = ""))]
    pub email_domains: String,
}

/// A key contact that passed every rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub role: String,
    pub email: crate::Email,
    pub telephone: Option<String>,
}

/// An organisation record that passed every rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub name: String,
    pub ods_code: Option<String>,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub town: String,
    pub postcode: String,
    pub telephone: String,
    pub email: crate::Email,
    pub website: Option<String>,
    pub contacts: Vec<Contact>,
    pub email_domains: Vec<String>,
}

/// One key contact's four inputs on the form, named by the prefix their
/// fields share (`contact` or `contact2`).
#[derive(Debug)]
pub struct ContactFields<'a> {
    prefix: &'static str,
    pub name: &'a str,
    pub role: &'a str,
    pub email: &'a str,
    pub telephone: &'a str,
}

impl ContactFields<'_> {
    fn is_blank(&self) -> bool {
        [self.name, self.role, self.email, self.telephone]
            .iter()
            .all(|value| value.trim().is_empty())
    }

    fn validate(&self, e: &mut crate::FieldErrors) -> Option<Contact> {
        use crate::validation::required_text;
        let field = |part: &str| format!("{}_{part}", self.prefix);
        let name = e.check(
            &field("name"),
            required_text(self.name, "the contact's name", 100),
        );
        let role = e.check(
            &field("role"),
            required_text(self.role, "the contact's role", 100),
        );
        let email = e.check(
            &field("email"),
            crate::Email::parse(self.email).map_err(|err| err.to_string()),
        );
        let telephone = e.check(
            &field("telephone"),
            match self.telephone.trim() {
                "" => Ok(None),
                raw => crate::telephone::parse_uk_telephone(raw).map(Some),
            },
        );
        Some(Contact {
            name: name?,
            role: role?,
            email: email?,
            telephone: telephone?,
        })
    }
}

impl OrganisationForm {
    /// The two contact blocks on the form, in order.
    fn contact_fields(&self) -> [ContactFields<'_>; 2] {
        [
            ContactFields {
                prefix: "contact",
                name: &self.contact_name,
                role: &self.contact_role,
                email: &self.contact_email,
                telephone: &self.contact_telephone,
            },
            ContactFields {
                prefix: "contact2",
                name: &self.contact2_name,
                role: &self.contact2_role,
                email: &self.contact2_email,
                telephone: &self.contact2_telephone,
            },
        ]
    }

    /// The key contacts filled in, in order.
    pub fn contacts(&self) -> impl Iterator<Item = ContactFields<'_>> {
        self.contact_fields()
            .into_iter()
            .filter(|contact| !contact.is_blank())
    }

    /// Checks every field, reporting each problem on the form's own field.
    pub fn validate(&self) -> Result<Organisation, crate::FieldErrors> {
        use crate::validation::{optional_text, required_text};
        let mut e = crate::FieldErrors::new();
        let name = e.check(
            "name",
            required_text(&self.name, "the organisation's name", 200),
        );
        let ods_code = e.check(
            "ods_code",
            match self.ods_code.trim() {
                "" => Ok(None),
                raw => parse_ods_code(raw).map(Some),
            },
        );
        let address_line1 = e.check(
            "address_line1",
            required_text(&self.address_line1, "the first line of the address", 200),
        );
        let address_line2 = e.check(
            "address_line2",
            optional_text(&self.address_line2, "the second line of the address", 200),
        );
        let town = e.check("town", required_text(&self.town, "the town or city", 100));
        let postcode = e.check("postcode", parse_postcode(&self.postcode));
        let telephone = e.check(
            "telephone",
            crate::telephone::parse_uk_telephone(&self.telephone),
        );
        let email = e.check(
            "email",
            crate::Email::parse(&self.email).map_err(|err| err.to_string()),
        );
        let website = e.check(
            "website",
            match self.website.trim() {
                "" => Ok(None),
                raw => parse_website(raw).map(Some),
            },
        );
        if self.contacts().next().is_none() {
            e.add("contact_name", "Enter at least one key contact");
        }
        let contacts: Vec<Contact> = self
            .contacts()
            .filter_map(|contact| contact.validate(&mut e))
            .collect();
        let mut email_domains = Vec::new();
        for raw in self
            .email_domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
        {
            if let Some(domain) = e.check("email_domains", parse_email_domain(raw))
                && !email_domains.contains(&domain)
            {
                email_domains.push(domain);
            }
        }
        let valid = || {
            Some(Organisation {
                name: name?,
                ods_code: ods_code?,
                address_line1: address_line1?,
                address_line2: address_line2?,
                town: town?,
                postcode: postcode?,
                telephone: telephone?,
                email: email?,
                website: website?,
                contacts,
                email_domains,
            })
        };
        match valid() {
            Some(organisation) if e.is_empty() => Ok(organisation),
            _ => Err(e),
        }
    }

    /// A complete, valid record for tests and demonstrations: a practice
    /// called `name` whose members register with an address at one of
    /// `email_domains` (empty: any address).
    pub fn example(name: &str, email_domains: &str) -> OrganisationForm {
        OrganisationForm {
            name: name.into(),
            address_line1: "1 High Street".into(),
            town: "Exampletown".into(),
            postcode: "EX1 1AA".into(),
            telephone: "01632 960 111".into(),
            email: "reception@example.nhs.uk".into(),
            contact_name: "Pat Manager".into(),
            contact_role: "Practice manager".into(),
            contact_email: "pat@example.nhs.uk".into(),
            email_domains: email_domains.into(),
            ..OrganisationForm::default()
        }
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    fn riverside() -> OrganisationForm {
        OrganisationForm {
            ods_code: "a81001".into(),
            postcode: "ex11aa".into(),
            email: "Reception@Riverside.nhs.uk".into(),
            website: "https://riverside.example.nhs.uk".into(),
            ..OrganisationForm::example("Riverside Surgery", "riverside.nhs.uk, NHS.net\nnhs.net")
        }
    }

    #[test]
    fn a_complete_record_is_normalised() {
        let org = riverside().validate().expect("valid");
        assert_eq!(org.ods_code.as_deref(), Some("A81001"));
        assert_eq!(org.postcode, "EX1 1AA");
        assert_eq!(org.email.as_str(), "reception@riverside.nhs.uk");
        assert_eq!(org.email_domains, ["riverside.nhs.uk", "nhs.net"]);
        assert_eq!(org.address_line2, None);
        assert_eq!(org.contacts.len(), 1);
    }

    #[test]
    fn each_problem_lands_on_its_own_field() {
        let mut form = riverside();
        form.postcode = "nowhere".into();
        form.website = "riverside.nhs.uk".into();
        form.ods_code = "??".into();
        form.contact_email = "pat".into();
        form.contact2_name = "Sam".into();
        form.email_domains = "not a domain!".into();
        let errors = form.validate().expect_err("invalid");
        for field in [
            "postcode",
            "website",
            "ods_code",
            "contact_email",
            "contact2_role",
            "email_domains",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(errors.get("name").is_none());
        assert!(errors.get("contact2_name").is_none());
    }

    #[test]
    fn a_second_contact_is_kept_in_order() {
        let mut form = riverside();
        form.contact2_name = "Sam Nurse".into();
        form.contact2_role = "Lead nurse".into();
        form.contact2_email = "sam@riverside.nhs.uk".into();
        let org = form.validate().expect("valid");
        let names: Vec<_> = org.contacts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Pat Manager", "Sam Nurse"]);
    }

    #[test]
    fn at_least_one_key_contact_is_needed() {
        let mut form = riverside();
        form.contact_name.clear();
        form.contact_role.clear();
        form.contact_email.clear();
        let errors = form.validate().expect_err("invalid");
        assert_eq!(
            errors.get("contact_name"),
            Some("Enter at least one key contact")
        );
    }
}

impl OrgStatus {
    /// The word people see.
    pub fn label(self) -> &'static str {
        match self {
            OrgStatus::Active => "Active",
            OrgStatus::Suspended => "Suspended",
            OrgStatus::Ended => "Ended",
        }
    }

    pub const ALL: [OrgStatus; 3] = [OrgStatus::Active, OrgStatus::Suspended, OrgStatus::Ended];
}

/// One line of the administrators' organisation list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRow {
    pub id: i64,
    pub name: String,
    pub ods_code: Option<String>,
    pub postcode: String,
    pub status: OrgStatus,
}

/// A page of the organisation list.
pub type OrganisationPage = crate::paging::Paged<OrganisationRow>;

/// One change of status, for the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: OrgStatus,
    pub reason: String,
    /// When, as a date people read ("23 November 2026").
    pub date: String,
}

/// The live authorisation code's limits and use (never the code itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    pub issued: String,
    pub expires: Option<String>,
    pub max_uses: Option<i64>,
    pub uses: i64,
}

/// A service an organisation may subscribe to, and whether it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub service_id: i64,
    pub title: String,
    pub subscribed: bool,
}

/// Everything an administrator sees about one organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationDetail {
    pub id: i64,
    /// The record as stored, in the shape the edit form uses.
    pub record: OrganisationForm,
    pub status: OrgStatus,
    pub history: Vec<StatusChange>,
    /// `None` when the code has been revoked and no new one issued.
    pub code: Option<CodeInfo>,
    pub services: Vec<Subscription>,
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A code's expiry as typed (`2027-03-31`, or empty for none): the last
/// second of that day, UTC, in Unix seconds.
pub fn parse_code_expiry(raw: &str) -> Result<Option<i64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let problem = || "Enter the expiry date as year-month-day, for example 2027-03-31".to_owned();
    let parts: Vec<&str> = raw.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(problem());
    };
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<i64>(),
        month.parse::<i64>(),
        day.parse::<i64>(),
    ) else {
        return Err(problem());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(problem()),
    };
    if !(2000..=9999).contains(&year) || !(1..=days_in_month).contains(&day) {
        return Err(problem());
    }
    Ok(Some(days_from_civil(year, month, day) * 86_400 + 86_399))
}

/// A code's maximum number of registrations as typed (empty for no limit).
pub fn parse_max_uses(raw: &str) -> Result<Option<i64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i64>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(Some(n)),
        _ => Err("Enter the most registrations as a whole number, such as 25".to_owned()),
    }
}

#[cfg(test)]
mod code_limit_tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("", Ok(None))]
    #[case("2000-01-01", Ok(Some(946_771_199)))]
    #[case("2026-11-23", Ok(Some(1_795_478_399)))]
    #[case("2028-02-29", Ok(Some(1_835_481_599)))]
    #[case("2027-02-29", Err(()))]
    #[case("2027-13-01", Err(()))]
    #[case("31/03/2027", Err(()))]
    #[case("soon", Err(()))]
    fn expiry_dates(#[case] raw: &str, #[case] expected: Result<Option<i64>, ()>) {
        assert_eq!(parse_code_expiry(raw).map_err(|_| ()), expected, "{raw}");
    }

    #[rstest]
    #[case("", Ok(None))]
    #[case(" 25 ", Ok(Some(25)))]
    #[case("0", Err(()))]
    #[case("-3", Err(()))]
    #[case("ten", Err(()))]
    fn maximum_uses(#[case] raw: &str, #[case] expected: Result<Option<i64>, ()>) {
        assert_eq!(parse_max_uses(raw).map_err(|_| ()), expected, "{raw}");
    }
}
