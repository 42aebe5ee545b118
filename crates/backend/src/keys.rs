//! The keys PrimaryPoint derives from `SECRET_KEY`, one for each use.
//!
//! Each key is HKDF-SHA256 of the secret with a label of its own, so no
//! stored value can be recomputed from the raw secret, and a key that
//! leaked from one use (say, the client pseudonyms) opens nothing else.
//! [`Keys::derive`] makes them all once, at start-up.

use crate::error::{Error, Result};
use chacha20poly1305::aead::{Aead, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Labels (HKDF `info`) of the derived keys. Changing one changes that key,
/// as rotating `SECRET_KEY` would.
const CODES: &[u8] = b"primarypoint/v1/authorisation-code-hash";
const PSEUDONYMS: &[u8] = b"primarypoint/v1/client-pseudonym";
const TOTP: &[u8] = b"primarypoint/v1/totp-secret-encryption";
const RECOVERY: &[u8] = b"primarypoint/v1/recovery-code-hash";
const AUDIT: &[u8] = b"primarypoint/v1/audit-checkpoint-signature";

/// Every key the server uses, derived from its secret.
#[derive(Clone)]
pub struct Keys {
    codes: CodeKey,
    pseudonyms: PseudonymKey,
    totp: TotpKey,
    recovery: RecoveryKey,
    audit: CheckpointKey,
}

impl Keys {
    /// Derives every key from `secret` (the bytes of `SECRET_KEY`).
    pub fn derive(secret: &[u8]) -> Result<Self> {
        let hkdf = Hkdf::<Sha256>::new(None, secret);
        let key = |label: &[u8]| -> Result<[u8; 32]> {
            let mut key = [0u8; 32];
            hkdf.expand(label, &mut key)
                .map_err(|_| Error::Key("HKDF refused a 32-byte key"))?;
            Ok(key)
        };
        Ok(Self {
            codes: CodeKey(MacKey::new(&key(CODES)?)?),
            pseudonyms: PseudonymKey(MacKey::new(&key(PSEUDONYMS)?)?),
            totp: TotpKey(XChaCha20Poly1305::new(&key(TOTP)?.into())),
            recovery: RecoveryKey(MacKey::new(&key(RECOVERY)?)?),
            audit: CheckpointKey(MacKey::new(&key(AUDIT)?)?),
        })
    }

    /// Keys the stored hashes of authorisation codes.
    pub fn codes(&self) -> &CodeKey {
        &self.codes
    }

    /// Keys the pseudonyms of clients' network addresses.
    pub fn pseudonyms(&self) -> &PseudonymKey {
        &self.pseudonyms
    }

    /// Encrypts second-factor (TOTP) secrets.
    pub fn totp(&self) -> &TotpKey {
        &self.totp
    }

    /// Keys the stored hashes of recovery codes.
    pub fn recovery(&self) -> &RecoveryKey {
        &self.recovery
    }

    /// Signs the audit trail's checkpoints.
    pub fn audit(&self) -> &CheckpointKey {
        &self.audit
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

/// An HMAC-SHA256 key, ready to use.
#[derive(Clone)]
struct MacKey(Hmac<Sha256>);

impl MacKey {
    fn new(key: &[u8; 32]) -> Result<Self> {
        Hmac::<Sha256>::new_from_slice(key)
            .map(Self)
            .map_err(|_| Error::Key("HMAC refused a 32-byte key"))
    }

    /// HMAC-SHA256 of `data`, hex encoded.
    fn hash(&self, data: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Keys the stored hashes of authorisation codes.
#[derive(Clone)]
pub struct CodeKey(MacKey);

impl CodeKey {
    /// What the database stores for a code (its compact form).
    pub(crate) fn hash(&self, code: &str) -> String {
        self.0.hash(code.as_bytes())
    }
}

/// Keys the pseudonyms of clients' network addresses.
#[derive(Clone)]
pub struct PseudonymKey(MacKey);

impl PseudonymKey {
    /// HMAC-SHA256 of `data`, hex encoded.
    pub(crate) fn hash(&self, data: &[u8]) -> String {
        self.0.hash(data)
    }
}

/// Keys the stored hashes of recovery codes.
#[derive(Clone)]
pub struct RecoveryKey(MacKey);

impl RecoveryKey {
    /// What the database stores for a recovery code (normalised).
    pub(crate) fn hash(&self, code: &str) -> String {
        self.0.hash(code.as_bytes())
    }
}

/// Signs the checkpoint left where old audit events were pruned: the place
/// and hash the chain continues from. Only this deployment can make one.
#[derive(Clone)]
pub struct CheckpointKey(MacKey);

impl CheckpointKey {
    fn message(seq: i64, hash: &str) -> String {
        format!("audit-checkpoint:{seq}:{hash}")
    }

    /// The signature stored with a checkpoint at place `seq`, hash `hash`.
    pub(crate) fn sign(&self, seq: i64, hash: &str) -> String {
        self.0.hash(Self::message(seq, hash).as_bytes())
    }

    /// Whether `signature` is this key's for `seq` and `hash` (in constant
    /// time).
    pub(crate) fn verify(&self, seq: i64, hash: &str, signature: &str) -> bool {
        let Ok(signature) = hex::decode(signature) else {
            return false;
        };
        let mut mac = self.0.0.clone();
        mac.update(Self::message(seq, hash).as_bytes());
        mac.verify_slice(&signature).is_ok()
    }
}

/// Encrypts second-factor secrets with XChaCha20-Poly1305 under a random
/// nonce. The owner's user id is the associated data, so a secret copied
/// into another account's row does not decrypt there.
#[derive(Clone)]
pub struct TotpKey(XChaCha20Poly1305);

/// How a sealed secret starts: the scheme's version, so a later scheme can
/// be told apart.
const SEALED_PREFIX: &str = "v1:";

impl TotpKey {
    /// `user`'s secret as stored: `v1:` and the hex of nonce, ciphertext
    /// and tag.
    pub(crate) fn seal(&self, user: i64, secret: &[u8]) -> Result<String> {
        let mut nonce = [0u8; 24];
        rand::fill(&mut nonce);
        let nonce = XNonce::from(nonce);
        let sealed = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: secret,
                    aad: &Self::associated_data(user),
                },
            )
            .map_err(|_| Error::Key("XChaCha20-Poly1305 refused to encrypt"))?;
        Ok(format!(
            "{SEALED_PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// `user`'s secret from what [`TotpKey::seal`] stored. Anything that
    /// does not decrypt with this key for this user is an error: sealed
    /// under another `SECRET_KEY`, altered, moved from another row, or
    /// never sealed at all.
    pub(crate) fn open(&self, user: i64, stored: &str) -> Result<Vec<u8>> {
        let unreadable = || Error::Undecryptable("users.totp_secret");
        let bytes = stored
            .strip_prefix(SEALED_PREFIX)
            .and_then(|hex_text| hex::decode(hex_text).ok())
            .ok_or_else(unreadable)?;
        if bytes.len() < 24 {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| unreadable())?;
        self.0
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &Self::associated_data(user),
                },
            )
            .map_err(|_| unreadable())
    }

    fn associated_data(user: i64) -> Vec<u8> {
        format!("users.totp_secret:{user}").into_bytes()
    }
}

macro_rules! redacted_debug {
    ($($key:ident),+) => {
        $(impl std::fmt::Debug for $key {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($key), "(<redacted>)"))
            }
        })+
    };
}

redacted_debug!(CodeKey, PseudonymKey, RecoveryKey, TotpKey, CheckpointKey);

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

    fn label_key(label: &[u8]) -> [u8; 32] {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, SECRET)
            .expand(label, &mut key)
            .expect("expand");
        key
    }

    fn hmac_hex(key: &[u8], data: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("key");
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn each_use_has_its_own_key_and_none_is_the_secret() {
        let labels = [CODES, PSEUDONYMS, TOTP, RECOVERY, AUDIT];
        let derived: Vec<[u8; 32]> = labels.iter().map(|label| label_key(label)).collect();
        for (i, key) in derived.iter().enumerate() {
            assert_ne!(&key[..], &SECRET[..32], "a derived key is not the secret");
            for other in &derived[i + 1..] {
                assert_ne!(key, other, "two uses share a key");
            }
        }

        // Each key in use is the one derived with its label, and none is
        // the raw secret.
        let keys = Keys::derive(SECRET).expect("keys");
        let data = "ABCDEFGHJKMNPQ";
        assert_eq!(
            keys.codes().hash(data),
            hmac_hex(&label_key(CODES), data.as_bytes())
        );
        assert_eq!(
            keys.pseudonyms().hash(data.as_bytes()),
            hmac_hex(&label_key(PSEUDONYMS), data.as_bytes())
        );
        assert_eq!(
            keys.recovery().hash(data),
            hmac_hex(&label_key(RECOVERY), data.as_bytes())
        );
        assert_eq!(
            keys.audit().sign(12, "ab"),
            hmac_hex(&label_key(AUDIT), b"audit-checkpoint:12:ab")
        );
        let hashes = [
            keys.codes().hash(data),
            keys.pseudonyms().hash(data.as_bytes()),
            keys.recovery().hash(data),
            keys.audit().0.hash(data.as_bytes()),
            hmac_hex(SECRET, data.as_bytes()),
        ];
        for (i, hash) in hashes.iter().enumerate() {
            for other in &hashes[i + 1..] {
                assert_ne!(hash, other);
            }
        }
        let sealed = keys.totp().seal(7, b"twenty bytes secret!").expect("seal");
        let under_label = XChaCha20Poly1305::new(&label_key(TOTP).into());
        let under_secret =
            XChaCha20Poly1305::new(&<[u8; 32]>::try_from(&SECRET[..32]).expect("32").into());
        let bytes = hex::decode(&sealed[SEALED_PREFIX.len()..]).expect("hex");
        let (nonce, body) = bytes.split_at(24);
        let nonce = XNonce::try_from(nonce).expect("nonce");
        let payload = |msg| Payload {
            msg,
            aad: b"users.totp_secret:7",
        };
        assert_eq!(
            under_label.decrypt(&nonce, payload(body)).expect("opens"),
            b"twenty bytes secret!"
        );
        assert!(under_secret.decrypt(&nonce, payload(body)).is_err());
    }

    #[test]
    fn another_secret_gives_other_keys() {
        let one = Keys::derive(SECRET).expect("keys");
        let two = Keys::derive(b"another-deployment-secret-xxxxxxxxxxx").expect("keys");
        assert_ne!(one.codes().hash("CODE"), two.codes().hash("CODE"));
        let sealed = one.totp().seal(1, b"secret").expect("seal");
        assert!(matches!(
            two.totp().open(1, &sealed),
            Err(Error::Undecryptable(_))
        ));
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_own_user_and_unaltered() {
        let keys = Keys::derive(SECRET).expect("keys");
        let secret = b"12345678901234567890";
        let sealed = keys.totp().seal(42, secret).expect("seal");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains(&hex::encode(secret)));
        assert_ne!(
            sealed,
            keys.totp().seal(42, secret).expect("seal"),
            "a fresh nonce each time"
        );
        assert_eq!(keys.totp().open(42, &sealed).expect("open"), secret);
        assert!(
            keys.totp().open(43, &sealed).is_err(),
            "moved to another row"
        );
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        let altered = String::from_utf8(altered).expect("utf-8");
        assert!(keys.totp().open(42, &altered).is_err(), "altered");
        for junk in ["", "v1:", "v1:zz", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"] {
            assert!(keys.totp().open(42, junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn a_checkpoint_signature_holds_only_for_its_place_and_hash() {
        let keys = Keys::derive(SECRET).expect("keys");
        let signature = keys.audit().sign(40, "cafe");
        assert!(keys.audit().verify(40, "cafe", &signature));
        assert!(!keys.audit().verify(41, "cafe", &signature));
        assert!(!keys.audit().verify(40, "cafd", &signature));
        assert!(!keys.audit().verify(40, "cafe", "not hex"));
        let other = Keys::derive(b"another-deployment-secret-xxxxxxxxxxx").expect("keys");
        assert!(!other.audit().verify(40, "cafe", &signature));
    }
}
