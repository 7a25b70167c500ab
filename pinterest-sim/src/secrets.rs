//! Random credentials in Pinterest's formats, and the comparisons and
//! fingerprints that keep them out of logs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

pub const ACCESS_TOKEN_PREFIX: &str = "pina_";
pub const REFRESH_TOKEN_PREFIX: &str = "pinr.";

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn access_token() -> String {
    format!("{ACCESS_TOKEN_PREFIX}{}", random_b64(48))
}

pub fn refresh_token() -> String {
    format!("{REFRESH_TOKEN_PREFIX}{}", random_b64(48))
}

/// Authorization codes are 40 hex digits, as Pinterest's are.
pub fn authorization_code() -> String {
    random_hex(20)
}

pub fn app_secret() -> String {
    random_hex(20)
}

/// Identifies one pending consent form.
pub fn consent_request_id() -> String {
    random_hex(16)
}

/// A 7-digit app id.
pub fn app_id() -> String {
    rand::thread_rng()
        .gen_range(1_000_000u32..10_000_000)
        .to_string()
}

/// The `x-pinterest-rid` value: a random 64-bit number in decimal.
pub fn request_id() -> String {
    rand::thread_rng().next_u64().to_string()
}

/// A short, stable, non-reversible tag for a credential, for logs.
pub fn fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    format!("sha256:{}", hex::encode(&digest[..4]))
}

/// Compares secrets without an early exit on the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(access_token().starts_with("pina_"));
        assert!(refresh_token().starts_with("pinr."));
        let code = authorization_code();
        assert_eq!(code.len(), 40);
        assert!(code.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(app_id().len(), 7);
        assert!(request_id().bytes().all(|b| b.is_ascii_digit()));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}
