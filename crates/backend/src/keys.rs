//! The keys PrimaryPoint derives from `SECRET_KEY`, one for each use.
//!
//! Each key is HKDF-SHA256 of the secret with a label of its own, so no
//! stored value can be recomputed from the raw secret, and a key that
//! leaked from one use (say, the client pseudonyms) opens nothing else.
//! [`Keys::derive`] makes them all once, at start-up.

use crate::error::{Error, Result};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit as _, Mac};
use sha2::Sha256;

/// Labels (HKDF `info`) of the derived keys. Changing one changes that key,
/// as rotating `SECRET_KEY` would.
const CODES: &[u8] = b"primarypoint/v1/authorisation-code-hash";
const PSEUDONYMS: &[u8] = b"primarypoint/v1/client-pseudonym";

/// Every key the server uses, derived from its secret.
#[derive(Clone)]
pub struct Keys {
    codes: CodeKey,
    pseudonyms: PseudonymKey,
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

macro_rules! redacted_debug {
    ($($key:ident),+) => {
        $(impl std::fmt::Debug for $key {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($key), "(<redacted>)"))
            }
        })+
    };
}

redacted_debug!(CodeKey, PseudonymKey);

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
        let labels = [CODES, PSEUDONYMS];
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
        let hashes = [
            keys.codes().hash(data),
            keys.pseudonyms().hash(data.as_bytes()),
            hmac_hex(SECRET, data.as_bytes()),
        ];
        for (i, hash) in hashes.iter().enumerate() {
            for other in &hashes[i + 1..] {
                assert_ne!(hash, other);
            }
        }
    }

    #[test]
    fn another_secret_gives_other_keys() {
        let one = Keys::derive(SECRET).expect("keys");
        let two = Keys::derive(b"another-deployment-secret-xxxxxxxxxxx").expect("keys");
        assert_ne!(one.codes().hash("CODE"), two.codes().hash("CODE"));
    }
}
