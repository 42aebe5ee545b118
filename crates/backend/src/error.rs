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
    #[error("file storage error: {0}")]
    Storage(String),
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
    /// A backup could not be made or restored; the sentence, meant for the
    /// operator, says why.
    #[error("{0}")]
    Backup(String),
    /// A restore's target (`the database`, `the file store`) already holds
    /// data, so nothing was changed.
    #[error(
        "{0} is not empty: a backup is restored only into an empty database and file store, \
         so nothing was changed"
    )]
    RestoreTargetNotEmpty(&'static str),
}

impl Error {
    /// One problem with one form field.
    pub fn on_field(field: &str, message: &str) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Error::Invalid(errors)
    }

    /// Maps a violation of `constraint` to `message` on `field`, leaving
    /// every other error as it was.
    pub fn on_unique(self, constraint: Unique, field: &str, message: &str) -> Self {
        match &self {
            Error::Database(sqlx::Error::Database(db))
                if Unique::of(db.as_ref()) == Some(constraint) =>
            {
                Error::on_field(field, message)
            }
            _ => self,
        }
    }
}

/// The unique constraints a person can run into by what they type, so a
/// violation can be told to them on the right field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unique {
    /// `users.email`: one account per address.
    UserEmail,
    /// `organisations.ods_code`: one organisation per ODS code.
    OrganisationOdsCode,
    /// `organisation_domains_exclusive`: a domain not marked as shared
    /// belongs to one organisation.
    OrganisationDomain,
    /// `services.slug`: one service per address.
    ServiceSlug,
}

impl Unique {
    const ALL: [Unique; 4] = [
        Unique::UserEmail,
        Unique::OrganisationOdsCode,
        Unique::OrganisationDomain,
        Unique::ServiceSlug,
    ];

    /// The constraint's name in the PostgreSQL schema.
    fn postgres_name(self) -> &'static str {
        match self {
            Unique::UserEmail => "users_email_key",
            Unique::OrganisationOdsCode => "organisations_ods_code_key",
            Unique::OrganisationDomain => "organisation_domains_exclusive",
            Unique::ServiceSlug => "services_slug_key",
        }
    }

    /// SQLite names no constraint in its errors; it names the indexed
    /// columns instead (`UNIQUE constraint failed: users.email`).
    fn sqlite_columns(self) -> &'static str {
        match self {
            Unique::UserEmail => "users.email",
            Unique::OrganisationOdsCode => "organisations.ods_code",
            Unique::OrganisationDomain => "organisation_domains.domain",
            Unique::ServiceSlug => "services.slug",
        }
    }

    /// Which of these constraints `error` violates, if any.
    fn of(error: &dyn sqlx::error::DatabaseError) -> Option<Unique> {
        if !error.is_unique_violation() {
            return None;
        }
        match error.constraint() {
            Some(name) => Unique::ALL.into_iter().find(|u| u.postgres_name() == name),
            None => {
                let columns = error.message().strip_prefix("UNIQUE constraint failed: ")?;
                Unique::ALL
                    .into_iter()
                    .find(|u| u.sqlite_columns() == columns)
            }
        }
    }
}
