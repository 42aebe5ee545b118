use crate::authcode::AuthCode;
use crate::email::Email;
use crate::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The signed-in person, as pages see them. Carries nothing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub id: i64,
    pub full_name: String,
    pub email: String,
    pub role: Role,
    /// The member's organisation; administrators have none.
    pub organisation: Option<String>,
    /// Whether a second factor (TOTP) is enrolled.
    pub second_factor: bool,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Administrators must enrol a second factor before anything else.
    pub fn must_enrol_second_factor(&self) -> bool {
        self.is_admin() && !self.second_factor
    }
}

/// The areas only people signed in may see: the member portal, their
/// account and the administrators' pages.
pub const SIGNED_IN_AREAS: [&str; 3] = ["/portal", "/account", "/admin"];

/// Whether `path` is `area` or a page under it (`/admin/x`, not `/administer`).
pub fn under(path: &str, area: &str) -> bool {
    path == area
        || path
            .strip_prefix(area)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether `path` is a page only for people signed in.
pub fn is_signed_in_page(path: &str) -> bool {
    SIGNED_IN_AREAS.iter().any(|area| under(path, area))
}

/// Fewer characters than this is refused (NCSC: length, not composition).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Long enough for any passphrase; nothing shorter is ever truncated.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// The length rule for a new password: the part of the policy the browser
/// can check too. (Common and guessable passwords are refused on the server.)
pub fn password_length(raw: &str) -> Result<(), String> {
    let chars = raw.chars().count();
    if chars == 0 {
        Err("Enter a password".to_owned())
    } else if chars < PASSWORD_MIN_CHARS {
        Err(format!(
            "Password must be at least {PASSWORD_MIN_CHARS} characters"
        ))
    } else if chars > PASSWORD_MAX_CHARS {
        Err(format!(
            "Password must be {PASSWORD_MAX_CHARS} characters or fewer"
        ))
    } else {
        Ok(())
    }
}

/// The one message for a code that does not admit anyone, whatever the
/// reason. It never names an organisation (P2).
pub const CODE_REFUSED: &str = "That code isn't valid. Check it with your practice manager.";

/// The one message for an email address the code's organisation does not allow.
pub const DOMAIN_REFUSED: &str =
    "Use your work email address. Check which address to use with your practice manager.";

/// The one sign-in failure message, whatever failed.
pub const SIGN_IN_REFUSED: &str = "The email address or password is not right.";

/// What the registration form sends, exactly as typed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationInput {
    pub code: String,
    pub full_name: String,
    pub email: String,
    pub password: String,
    /// The "I have read the privacy statement" box.
    pub privacy: bool,
}

impl fmt::Debug for RegistrationInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationInput")
            .field("full_name", &self.full_name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A registration whose fields passed every rule the browser could check.
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    pub code: AuthCode,
    pub full_name: String,
    pub email: Email,
    pub password: String,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("full_name", &self.full_name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Longest full name accepted.
pub const FULL_NAME_MAX: usize = 100;

impl RegistrationInput {
    /// Checks every field and reports every problem at once, in form order.
    pub fn validate(&self) -> Result<Registration, FieldErrors> {
        let mut errors = FieldErrors::new();
        let code = errors.check(
            "code",
            match self.code.trim() {
                "" => Err("Enter the authorisation code from your practice manager".to_owned()),
                raw => AuthCode::parse(raw).map_err(|_| CODE_REFUSED.to_owned()),
            },
        );
        let full_name = errors.check(
            "full_name",
            required_text(&self.full_name, "your full name", FULL_NAME_MAX),
        );
        let email = errors.check(
            "email",
            Email::parse(&self.email).map_err(|e| e.to_string()),
        );
        errors.check("password", password_length(&self.password));
        if !self.privacy {
            errors.add(
                "privacy",
                "Confirm that you have read the privacy statement",
            );
        }
        let (Some(code), Some(full_name), Some(email)) = (code, full_name, email) else {
            return Err(errors);
        };
        errors.into_result(|| Registration {
            code,
            full_name,
            email,
            password: self.password.clone(),
        })
    }
}

/// `next` if it is a path on this site, otherwise `None`. Refuses anything
/// a browser could read as another host: `//evil`, `/\evil`, `https://…`,
/// and control characters.
pub fn local_next(next: &str) -> Option<&str> {
    let rest = next.strip_prefix('/')?;
    if rest.starts_with('/') || rest.starts_with('\\') {
        return None;
    }
    if next.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    Some(next)
}

/// Unverified sign-ups are deleted this many days after they were made (P9).
pub const UNVERIFIED_RETENTION_DAYS: i64 = 7;

/// The `created_at` before which an unverified sign-up is deleted at `now`
/// (both in Unix seconds).
pub fn unverified_cutoff(now: i64) -> i64 {
    now - UNVERIFIED_RETENTION_DAYS * 24 * 60 * 60
}

/// How long links sent by email stay valid, in seconds.
pub mod token_lifetime {
    /// Email verification: 24 hours.
    pub const VERIFY: i64 = 24 * 60 * 60;
    /// Password reset: 30 minutes.
    pub const RESET: i64 = 30 * 60;
    /// Confirming a new email address: 24 hours.
    pub const CHANGE_EMAIL: i64 = 24 * 60 * 60;
}

/// Session limits, in seconds.
pub mod session_limits {
    /// A session unused for this long ends.
    pub const IDLE: i64 = 30 * 60;
    /// No session lasts longer than this.
    pub const ABSOLUTE: i64 = 12 * 60 * 60;
}

/// Sign-in throttling: after `FREE_FAILURES` failures within `WINDOW_SECS`,
/// each further attempt must wait, longer after each failure, up to the
/// window. Nothing locks an account for good.
pub mod sign_in_throttle {
    pub const WINDOW_SECS: i64 = 5 * 60;
    /// Failures allowed per account and client before attempts must wait.
    pub const FREE_FAILURES: i64 = 10;
    /// Failures allowed per client (many people may share one address).
    pub const FREE_FAILURES_PER_CLIENT: i64 = 100;

    /// Seconds to wait after the `failures`-th failure in the window with
    /// `free` free failures: nothing at first, then 15 s, 30 s, 60 s, …
    /// up to the window's length.
    pub fn wait_secs(failures: i64, free: i64) -> i64 {
        if failures < free {
            return 0;
        }
        let doublings = u32::try_from((failures - free).min(10)).unwrap_or(10);
        (15_i64 << doublings).min(WINDOW_SECS)
    }
}

/// Failed sign-ins on one account from every client together (NIST SP
/// 800-63B §5.2.2: no more than 100 failures before a long wait). The waits
/// grow slowly, so the member on their own computer is held up by minutes
/// at most while someone elsewhere guesses.
pub mod account_throttle {
    /// Failures are remembered this long.
    pub const WINDOW_SECS: i64 = 24 * 60 * 60;
    /// Failures before any wait (the member is emailed when waits begin).
    pub const FREE_FAILURES: i64 = 20;
    /// Failures after which every attempt waits [`LONG_WAIT_SECS`].
    pub const LONG_WAIT_AFTER: i64 = 100;
    /// The longest wait before [`LONG_WAIT_AFTER`] failures.
    pub const SHORT_WAIT_MAX_SECS: i64 = 2 * 60;
    pub const LONG_WAIT_SECS: i64 = 15 * 60;

    /// Seconds to wait after the `failures`-th failure: nothing at first,
    /// then 5 s more for each failure up to two minutes, then a quarter of
    /// an hour from the hundredth.
    pub fn wait_secs(failures: i64) -> i64 {
        if failures < FREE_FAILURES {
            0
        } else if failures < LONG_WAIT_AFTER {
            ((failures - FREE_FAILURES + 1) * 5).min(SHORT_WAIT_MAX_SECS)
        } else {
            LONG_WAIT_SECS
        }
    }
}

/// Wrong second-factor codes on one account, from every client together.
pub mod second_factor_throttle {
    /// Failures are remembered this long.
    pub const WINDOW_SECS: i64 = 24 * 60 * 60;
    /// Failures after which the half-finished sign-in ends (the password is
    /// needed again), the owner is emailed, and each further try waits.
    pub const MAX_FAILURES: i64 = 5;

    /// Seconds to wait after the `failures`-th failure: nothing before
    /// [`MAX_FAILURES`], then one minute, doubling to a quarter of an hour.
    pub fn wait_secs(failures: i64) -> i64 {
        if failures < MAX_FAILURES {
            return 0;
        }
        let doublings = u32::try_from((failures - MAX_FAILURES).min(4)).unwrap_or(4);
        (60_i64 << doublings).min(15 * 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("/portal", true)]
    #[case("/portal/library?q=x", true)]
    #[case("/", true)]
    #[case("//evil.example", false)]
    #[case("/\\evil.example", false)]
    #[case("https://evil.example", false)]
    #[case("evil.example", false)]
    #[case("", false)]
    #[case("/ok\nLocation: x", false)]
    #[case("/a\\b", false)]
    fn only_local_paths_are_followed(#[case] next: &str, #[case] local: bool) {
        assert_eq!(local_next(next).is_some(), local, "{next:?}");
    }

    #[rstest]
    #[case("", false)]
    #[case("elevenchars", false)]
    #[case("twelve chars", true)]
    #[case("émoji 🙂 passphrase", true)]
    fn password_length_rule(#[case] password: &str, #[case] ok: bool) {
        assert_eq!(password_length(password).is_ok(), ok, "{password:?}");
    }

    #[test]
    fn passwords_are_never_truncated_below_the_maximum() {
        let long = "x".repeat(PASSWORD_MAX_CHARS);
        assert!(password_length(&long).is_ok());
        assert!(password_length(&format!("{long}x")).is_err());
    }

    #[test]
    fn registration_reports_every_problem_in_form_order() {
        let errors = RegistrationInput::default()
            .validate()
            .expect_err("empty form");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["code", "full_name", "email", "password", "privacy"]
        );
    }

    #[test]
    fn a_malformed_code_gets_the_plain_message() {
        let input = RegistrationInput {
            code: "not-a-code".into(),
            ..RegistrationInput::default()
        };
        let errors = input.validate().expect_err("malformed code");
        assert_eq!(errors.get("code"), Some(CODE_REFUSED));
    }

    #[test]
    fn debug_never_shows_the_password_or_code() {
        let input = RegistrationInput {
            code: "ABCD-EFGH-JKLM-NPQR".into(),
            password: "correct horse battery".into(),
            ..RegistrationInput::default()
        };
        let shown = format!("{input:?}");
        assert!(!shown.contains("horse"));
        assert!(!shown.contains("ABCD"));
    }

    #[rstest]
    #[case(0, 0)]
    #[case(9, 0)]
    #[case(10, 15)]
    #[case(11, 30)]
    #[case(12, 60)]
    #[case(14, 240)]
    #[case(15, 300)]
    #[case(1000, 300)]
    fn sign_in_waits_grow_and_are_capped(#[case] failures: i64, #[case] wait: i64) {
        assert_eq!(
            sign_in_throttle::wait_secs(failures, sign_in_throttle::FREE_FAILURES),
            wait
        );
    }

    #[rstest]
    #[case(0, 0)]
    #[case(19, 0)]
    #[case(20, 5)]
    #[case(21, 10)]
    #[case(43, 120)]
    #[case(99, 120)]
    #[case(100, 900)]
    #[case(10_000, 900)]
    fn account_waits_grow_slowly_then_long_after_a_hundred(
        #[case] failures: i64,
        #[case] wait: i64,
    ) {
        assert_eq!(account_throttle::wait_secs(failures), wait);
    }

    #[test]
    fn no_more_than_a_hundred_failures_before_a_long_wait() {
        // What a guesser gets in a day: attempts spaced by the waits.
        let (mut failures, mut elapsed) = (0, 0);
        while elapsed < account_throttle::WINDOW_SECS
            && account_throttle::wait_secs(failures) < account_throttle::LONG_WAIT_SECS
        {
            elapsed += account_throttle::wait_secs(failures);
            failures += 1;
        }
        assert_eq!(failures, account_throttle::LONG_WAIT_AFTER);
        // ...and it took them hours, not seconds.
        assert!(elapsed > 2 * 60 * 60, "{elapsed}");
    }

    #[rstest]
    #[case(0, 0)]
    #[case(4, 0)]
    #[case(5, 60)]
    #[case(6, 120)]
    #[case(9, 900)]
    #[case(500, 900)]
    fn second_factor_waits(#[case] failures: i64, #[case] wait: i64) {
        assert_eq!(second_factor_throttle::wait_secs(failures), wait);
    }

    #[test]
    fn unverified_sign_ups_are_kept_seven_days() {
        assert_eq!(unverified_cutoff(1_000_000), 1_000_000 - 604_800);
    }
}
