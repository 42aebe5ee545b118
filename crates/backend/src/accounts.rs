use crate::audit::{self, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result, Unique};
use argon2::password_hash::{
    Output, ParamsString, PasswordHash as Phc, Salt, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use domain::account::Role;
use domain::audit::Action;
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
    /// Applies the length rules (NCSC: length, not composition).
    pub fn new(raw: String) -> std::result::Result<Self, String> {
        domain::account::password_length(&raw)?;
        Ok(Self(raw))
    }

    /// A password typed to sign in or confirm a change: checked against a
    /// hash, so no rules apply.
    pub fn for_checking(raw: &str) -> Self {
        Self(raw.to_owned())
    }
}

impl PasswordHash {
    /// A hash as stored.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }
}

/// Refuses passwords that are common or easy to guess from the person's own
/// details, using the zxcvbn strength estimator (score 3 of 4 or better).
pub fn check_strength(
    password: &Password,
    own_details: &[&str],
) -> std::result::Result<(), String> {
    let mut inputs: Vec<&str> = own_details.to_vec();
    inputs.extend(own_details.iter().flat_map(|d| d.split(['@', '.', ' '])));
    inputs.push("primarypoint");
    let estimate = zxcvbn::zxcvbn(&password.0, &inputs);
    if estimate.score() >= zxcvbn::Score::Three {
        Ok(())
    } else {
        Err(
            "That password is too easy to guess. Try three or four random words together."
                .to_owned(),
        )
    }
}

/// At most this many Argon2 computations run at once (19 MiB each), so a
/// flood of sign-ins queues instead of exhausting memory and every core.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores)
    })
}

async fn on_hashing_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| Error::PasswordHash(e.to_string()))?;
    tokio::task::spawn_blocking(work).await?
}

/// Argon2id with the OWASP-recommended parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(ALGORITHM, VERSION, params)
}

const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

/// Argon2's working memory for `params`, given back to the system when it
/// is dropped. Asked for above glibc's largest threshold for mapping a
/// block on its own (32 MiB), so it is always mapped and unmapped. The
/// crate's own 19 MiB block is mapped only the first time: freeing it
/// raises that threshold to its size, and every later one came from the
/// heap and stayed there, leaving an idle server 20 MiB larger after one
/// sign-in (BENCHMARKS.md). Only the 19 MiB used is ever touched.
fn working_memory(params: &Params) -> Vec<Block> {
    const MAPPED_BYTES: usize = 33 << 20;
    let blocks = params.block_count();
    let mut memory = Vec::with_capacity(blocks.max(MAPPED_BYTES / Block::SIZE));
    memory.resize(blocks, Block::default());
    memory
}

fn hash_error(error: impl fmt::Display) -> Error {
    Error::PasswordHash(error.to_string())
}

/// `len` bytes of `hasher`'s output for `password` and `salt`, computed in
/// [`working_memory`].
fn output(hasher: &Argon2<'_>, password: &[u8], salt: Salt<'_>, len: usize) -> Result<Output> {
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let raw_salt = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    Output::init_with(len, |out| {
        hasher
            .hash_password_into_with_memory(
                password,
                raw_salt,
                out,
                working_memory(hasher.params()),
            )
            .map_err(argon2::password_hash::Error::from)
    })
    .map_err(hash_error)
}

/// The PHC string of `password` hashed by [`argon2`] with `salt`.
fn hash_with(password: &[u8], salt: &SaltString) -> Result<PasswordHash> {
    let hasher = argon2();
    let params = hasher.params();
    let salt = salt.as_salt();
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let phc = Phc {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(params).map_err(hash_error)?,
        salt: Some(salt),
        hash: Some(output(&hasher, password, salt, len)?),
    };
    Ok(PasswordHash(phc.to_string()))
}

/// Whether `password` hashes to `phc`, with the algorithm, version and
/// parameters `phc` names; the outputs are compared in constant time. A
/// stored hash that cannot be read is an error, never a wrong password.
fn verify_with(password: &[u8], phc: &str) -> Result<bool> {
    let parsed = Phc::new(phc).map_err(hash_error)?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(hash_error)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(hash_error)?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(hash_error)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(Error::PasswordHash("no salt or hash".into()));
    };
    let hasher = Argon2::new(algorithm, version, params);
    Ok(output(&hasher, password, salt, expected.len())? == expected)
}

/// Hashes on the blocking pool: Argon2 is deliberately slow and must not
/// stall the async runtime.
pub async fn hash_password(password: &Password) -> Result<PasswordHash> {
    let password = password.0.clone();
    on_hashing_pool(move || hash_with(password.as_bytes(), &SaltString::generate(&mut OsRng))).await
}

/// Checks `password` against a stored hash, on the blocking pool.
pub async fn verify_password(password: &Password, hash: &PasswordHash) -> Result<bool> {
    let password = password.0.clone();
    let hash = hash.0.clone();
    on_hashing_pool(move || verify_with(password.as_bytes(), &hash)).await
}

/// Spends the time of one real verify, for an email with no account, so
/// a sign-in's duration does not tell whether the account exists.
pub async fn dummy_verify(password: &Password) -> Result<()> {
    static DUMMY: tokio::sync::OnceCell<PasswordHash> = tokio::sync::OnceCell::const_new();
    let hash = DUMMY
        .get_or_try_init(|| async {
            let mut random = [0u8; 24];
            rand::fill(&mut random);
            hash_password(&Password(hex::encode(random))).await
        })
        .await?;
    verify_password(password, hash).await.map(|_| ())
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
    create_verified(db, email, full_name, password, None).await
}

/// Creates a member of organisation `organisation_id`, verified from the
/// start (an operator vouches for it, as for the demo member of a local
/// run). Refuses an email that already has an account.
pub async fn create_member(
    db: &Db,
    organisation_id: i64,
    email: &Email,
    full_name: &str,
    password: &Password,
) -> Result<i64> {
    create_verified(db, email, full_name, password, Some(organisation_id)).await
}

/// An account an operator vouches for: a member of `organisation`, or an
/// administrator when there is none.
async fn create_verified(
    db: &Db,
    email: &Email,
    full_name: &str,
    password: &Password,
    organisation: Option<i64>,
) -> Result<i64> {
    let mut errors = FieldErrors::new();
    let full_name = errors.check(
        "full_name",
        domain::validation::required_text(full_name, "a full name", 100),
    );
    let Some(full_name) = full_name else {
        return Err(Error::Invalid(errors));
    };
    let role = match organisation {
        Some(_) => Role::Member,
        None => Role::Admin,
    };
    let hash = hash_password(password).await?;
    let mut tx = db.begin_write().await?;
    let now = clock::now();
    let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
        "insert into users (email, full_name, password_hash, role, organisation_id, email_verified_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $6, $6) returning id",
    )
    .bind(email.as_str())
    .bind(&full_name)
    .bind(hash.as_phc())
    .bind(role.as_str())
    .bind(organisation)
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let (id,) = inserted.map_err(Error::from).map_err(|e| {
        e.on_unique(
            Unique::UserEmail,
            "email",
            "An account with that email address already exists",
        )
    })?;
    audit::record(
        &mut tx,
        &Actor::Operator,
        match role {
            Role::Admin => Action::AccountAdminCreated,
            Role::Member => Action::AccountMemberCreated,
        },
        Some(&format!("user:{id}")),
        // The account's number names the person; their address is not
        // copied into the trail, which must outlive an erased account.
        &serde_json::json!({ "organisation_id": organisation }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_are_the_argon2_crates_own_and_verify_both_ways() {
        let salt = SaltString::generate(&mut OsRng);
        let ours = hash_with(b"correct horse", &salt).expect("hash");
        let theirs = argon2()
            .hash_password(b"correct horse", &salt)
            .expect("hash")
            .to_string();
        assert_eq!(ours.0, theirs);
        assert!(
            argon2()
                .verify_password(b"correct horse", &Phc::new(&ours.0).expect("phc"))
                .is_ok()
        );
        assert!(verify_with(b"correct horse", &theirs).expect("verify"));
        assert!(!verify_with(b"correct horsE", &theirs).expect("verify"));
        assert!(verify_with(b"correct horse", "not a hash").is_err());
    }

    #[test]
    fn a_hash_keeps_the_algorithm_version_and_costs_it_names() {
        let salt = SaltString::generate(&mut OsRng);
        let params = Params::new(1024, 1, 2, Some(16)).expect("params");
        let older = Argon2::new(Algorithm::Argon2i, Version::V0x10, params)
            .hash_password(b"pass phrase", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_with(b"pass phrase", &older).expect("verify"));
        assert!(!verify_with(b"pass phrasf", &older).expect("verify"));
    }
}
