use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use domain::{Email, FieldErrors};
use std::fmt;

/// An Argon2id hash in PHC string form. It deliberately implements neither
/// `Serialize` nor a revealing `Debug`, so it cannot cross the wire or end
/// up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

impl PasswordHash {
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

/// A password as typed. `Debug` never shows it (P12).
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 12;
    /// Long enough for any passphrase, short enough that hashing it is cheap.
    pub const MAX_CHARS: usize = 256;

    /// Applies the length rules (NCSC: length, not composition).
    pub fn new(raw: String) -> std::result::Result<Self, String> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!(
                "Password must be at least {} characters",
                Self::MIN_CHARS
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "Password must be {} characters or fewer",
                Self::MAX_CHARS
            ));
        }
        Ok(Self(raw))
    }
}

/// Argon2id with the OWASP-recommended parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the blocking pool: Argon2 is deliberately slow and must not
/// stall the async runtime.
pub async fn hash_password(password: &Password) -> Result<PasswordHash> {
    let password = password.0.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(|e| Error::PasswordHash(e.to_string()))
    })
    .await?
}

/// Checks `password` against a stored hash, on the blocking pool.
pub async fn verify_password(password: &Password, hash: &PasswordHash) -> Result<bool> {
    use argon2::password_hash::{PasswordHash as Phc, PasswordVerifier};
    let password = password.0.clone();
    let hash = hash.0.clone();
    tokio::task::spawn_blocking(move || {
        let parsed = Phc::new(&hash).map_err(|e| Error::PasswordHash(e.to_string()))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// Creates an administrator account, verified from the start (an operator
/// on the server vouches for it). Refuses an email that already has an
/// account.
pub async fn create_admin(
    db: &Db,
    email: &Email,
    full_name: &str,
    password: &Password,
) -> Result<i64> {
    let mut errors = FieldErrors::new();
    let full_name = errors.check(
        "full_name",
        domain::validation::required_text(full_name, "a full name", 100),
    );
    let Some(full_name) = full_name else {
        return Err(Error::Invalid(errors));
    };
    let hash = hash_password(password).await?;
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
        "insert into users (email, full_name, password_hash, role, email_verified_at, created_at, updated_at) \
         values ($1, $2, $3, 'admin', $4, $4, $4) returning id",
    )
    .bind(email.as_str())
    .bind(&full_name)
    .bind(hash.as_phc())
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let (id,) = inserted.map_err(Error::from).map_err(|e| {
        e.on_unique(
            "email",
            "email",
            "An account with that email address already exists",
        )
    })?;
    audit::record(
        &mut tx,
        &Actor::Operator,
        "account.admin_created",
        Some(&format!("user:{id}")),
        &serde_json::json!({ "email": email.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The stored hash for an email, if there is such an account.
pub async fn password_hash_for(db: &Db, email: &Email) -> Result<Option<PasswordHash>> {
    let row: Option<(String,)> = sqlx::query_as("select password_hash from users where email = $1")
        .bind(email.as_str())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|(phc,)| PasswordHash(phc)))
}
