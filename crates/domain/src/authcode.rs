use serde::{Deserialize, Serialize};
use std::fmt;

/// The 32 characters a code is made of: digits 2–9 and the letters without
/// I and O, so nothing can be misread as 0, O, 1, I or l.
pub const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Characters in a code (16 × 5 bits = 80 bits).
pub const LENGTH: usize = 16;

/// Random bytes needed to make one code.
pub const RANDOM_BYTES: usize = LENGTH * 5 / 8;

/// An organisation's authorisation code, `ABCD-EFGH-JKLM-NPQR`. It is pure
/// randomness: nothing about the organisation goes into it (P2).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuthCode(String);

/// Why typed text is not a code; the message is shown to people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthCodeError {
    #[error("Enter your organisation's authorisation code")]
    Empty,
    #[error("An authorisation code is 16 letters and numbers, like ABCD-EFGH-JKLM-NPQR")]
    Malformed,
}

impl AuthCode {
    /// Makes a code from 80 bits of randomness (from a CSPRNG: the caller's job).
    pub fn from_random(bytes: [u8; RANDOM_BYTES]) -> Self {
        let mut bits: u128 = 0;
        for byte in bytes {
            bits = (bits << 8) | u128::from(byte);
        }
        let code = (0..LENGTH)
            .map(|i| {
                let index = (bits >> ((LENGTH - 1 - i) * 5)) & 0x1f;
                char::from(ALPHABET[index as usize])
            })
            .collect();
        Self(code)
    }

    /// Reads a code as a person typed it: case, spaces and dashes do not matter.
    pub fn parse(typed: &str) -> Result<Self, AuthCodeError> {
        let compact: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '–')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(AuthCodeError::Empty);
        }
        if compact.len() != LENGTH || !compact.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(AuthCodeError::Malformed);
        }
        Ok(Self(compact))
    }

    /// The 16 characters without separators: what gets hashed.
    pub fn compact(&self) -> &str {
        &self.0
    }
}

/// Shown in groups of four for reading aloud and typing.
impl fmt::Display for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<&str> = (0..LENGTH / 4).map(|i| &self.0[i * 4..i * 4 + 4]).collect();
        f.write_str(&groups.join("-"))
    }
}

/// Never printed by accident in a log line.
impl fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthCode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[test]
    fn the_alphabet_has_32_unambiguous_characters() {
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
        for confusing in b"01IO" {
            assert!(!ALPHABET.contains(confusing));
        }
    }

    #[test]
    fn codes_use_every_bit_of_the_randomness() {
        assert_eq!(
            AuthCode::from_random([0; RANDOM_BYTES]).compact(),
            "2222222222222222"
        );
        assert_eq!(
            AuthCode::from_random([0xff; RANDOM_BYTES]).compact(),
            "ZZZZZZZZZZZZZZZZ"
        );
        let mut one = [0; RANDOM_BYTES];
        one[RANDOM_BYTES - 1] = 1;
        assert_eq!(AuthCode::from_random(one).compact(), "2222222222222223");
    }

    #[rstest]
    #[case("ABCD-EFGH-JKLM-NPQR")]
    #[case("abcd efgh jklm npqr")]
    #[case(" abcdefghjklmnpqr ")]
    #[case("AbCd–EfGh–JkLm–NpQr")]
    fn typing_is_forgiving(#[case] typed: &str) {
        assert_eq!(
            AuthCode::parse(typed).map(|c| c.to_string()),
            Ok("ABCD-EFGH-JKLM-NPQR".to_owned())
        );
    }

    #[rstest]
    #[case("", AuthCodeError::Empty)]
    #[case(" - ", AuthCodeError::Empty)]
    #[case("ABCD-EFGH-JKLM", AuthCodeError::Malformed)]
    #[case("ABCD-EFGH-JKLM-NPQR-S", AuthCodeError::Malformed)]
    #[case("ABCD-EFGH-JKLM-NPQ0", AuthCodeError::Malformed)]
    #[case("ABCD-EFGH-JKLM-NPQI", AuthCodeError::Malformed)]
    #[case("ABCD-EFGH-JKLM-NPQ!", AuthCodeError::Malformed)]
    fn rejects(#[case] typed: &str, #[case] error: AuthCodeError) {
        assert_eq!(AuthCode::parse(typed), Err(error));
    }

    #[test]
    fn debug_output_hides_the_code() {
        let code = AuthCode::from_random([7; RANDOM_BYTES]);
        assert_eq!(format!("{code:?}"), "AuthCode(<redacted>)");
    }

    proptest! {
        #[test]
        fn every_code_reads_back_from_its_display_form(bytes in proptest::array::uniform10(any::<u8>())) {
            let code = AuthCode::from_random(bytes);
            prop_assert_eq!(code.compact().len(), LENGTH);
            prop_assert_eq!(AuthCode::parse(&code.to_string()), Ok(code.clone()));
            prop_assert_eq!(AuthCode::parse(&code.compact().to_lowercase()), Ok(code));
        }
    }
}
