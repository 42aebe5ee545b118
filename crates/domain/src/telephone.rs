/// Checks a UK telephone number as people type it ("01632 960 001",
/// "+44 (0)1632 960001", "07700 900123") and returns it tidied: digits and
/// single spaces kept as typed, brackets and dashes allowed. Ten or eleven
/// digits once a leading +44 or 0 is accounted for.
pub fn parse_uk_telephone(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err("Enter a telephone number".to_owned());
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+'))
    {
        return Err("Enter a telephone number, like 01632 960 001 or 07700 900 982".to_owned());
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let national = if value.starts_with('+') {
        match digits.strip_prefix("44") {
            // "+44 (0)1632 …": the bracketed trunk zero is dropped.
            Some(rest) => format!("0{}", rest.strip_prefix('0').unwrap_or(rest)),
            None => return Err("Enter a UK telephone number".to_owned()),
        }
    } else {
        digits
    };
    if !national.starts_with('0') || !(10..=11).contains(&national.len()) {
        return Err("Enter a telephone number, like 01632 960 001 or 07700 900 982".to_owned());
    }
    Ok(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("01632 960 001", "01632 960 001")]
    #[case("  07700   900982 ", "07700 900982")]
    #[case("+44 (0)1632 960001", "+44 (0)1632 960001")]
    #[case("+44 7700 900982", "+44 7700 900982")]
    #[case("020-7946-0018", "020-7946-0018")]
    fn accepts(#[case] raw: &str, #[case] expected: &str) {
        assert_eq!(parse_uk_telephone(raw), Ok(expected.to_owned()));
    }

    #[rstest]
    #[case("")]
    #[case("call me")]
    #[case("12345")]
    #[case("+1 202 555 0123")]
    #[case("1632 960 001")]
    #[case("01632 960 001 001 01")]
    fn rejects(#[case] raw: &str) {
        assert!(parse_uk_telephone(raw).is_err(), "{raw} should be rejected");
    }
}
