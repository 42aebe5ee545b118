use domain::FieldErrors;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the backend.
///
/// `Display` is written for the log. Callers decide what a person sees, and
/// never show database text or paths.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    #[error("too many attempts; retry after {retry_after_secs}s")]
    Throttled { retry_after_secs: i64 },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL: {0}")]
    UnsupportedDatabase(String),
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("second factor error: {0}")]
    Mfa(String),
    #[error("mail error: {0}")]
    Mail(String),
    /// A stored value this build does not recognise (an enum column, say).
    /// Treated as an internal error: never guessed at.
    #[error("unreadable value in {column}: {value:?}")]
    Unreadable { column: &'static str, value: String },
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    /// A key could not be derived or used.
    #[error("key error: {0}")]
    Key(&'static str),
    /// A stored secret that does not decrypt with this deployment's keys:
    /// `SECRET_KEY` has changed, or the value was altered or moved. Never
    /// read as "no secret".
    #[error("{0} does not decrypt with the keys from the current SECRET_KEY")]
    Undecryptable(&'static str),
}

impl Error {
    /// One problem with one form field.
    pub fn on_field(field: &str, message: &str) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Error::Invalid(errors)
    }

    /// Maps a unique-constraint violation on `constraint_hint` to a message on
    /// `field`, leaving every other error as it was.
    pub fn on_unique(self, constraint_hint: &str, field: &str, message: &str) -> Self {
        match &self {
            Error::Database(sqlx::Error::Database(db))
                if db.is_unique_violation() && db.message().contains(constraint_hint) =>
            {
                let mut errors = FieldErrors::new();
                errors.add(field, message);
                Error::Invalid(errors)
            }
            _ => self,
        }
    }
}
