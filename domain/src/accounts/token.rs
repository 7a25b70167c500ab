//! One-time tokens for setup and invitation links: 256 random bits shown once,
//! stored only as their SHA-256.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::crypto::SecretString;

/// The plaintext of a freshly issued token, to put in a link. It has no
/// `Serialize` and a redacted `Debug`; only its [`TokenHash`] is stored.
pub struct OneTimeToken(SecretString);

impl OneTimeToken {
    /// A new random token (32 bytes, URL-safe base64) and its hash.
    pub fn generate() -> (Self, TokenHash) {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let text = URL_SAFE_NO_PAD.encode(bytes);
        let hash = TokenHash::of(&text);
        (Self(SecretString::new(text)), hash)
    }

    /// The token, for the link shown to whoever passes it on.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeToken(redacted)")
    }
}

/// Lower-case hex SHA-256 of a token: what the database holds and looks up by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hashes a token as presented in a link. Surrounding whitespace (from
    /// copying and pasting) is ignored.
    pub fn of(token: &str) -> Self {
        Self(hex::encode(Sha256::digest(token.trim().as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_comparable() {
        let (a, hash_a) = OneTimeToken::generate();
        let (b, _) = OneTimeToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43, "256 bits in unpadded base64");
        assert_eq!(TokenHash::of(a.expose()), hash_a);
        assert_eq!(TokenHash::of(&format!(" {} ", a.expose())), hash_a);
        assert_eq!(hash_a.as_str().len(), 64);
        assert!(!hash_a.as_str().contains(a.expose()));
        assert_eq!(format!("{a:?}"), "OneTimeToken(redacted)");
    }
}
