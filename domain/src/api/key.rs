//! The API key's text: `pinbridge_<kind>_<43 base62 characters><6 base62 characters>`.
//!
//! - The prefix says pinbridge and whether the key is for production or
//!   development, so a person (or a secret scanner) can tell at a glance what
//!   a leaked key opens.
//! - The body is 256 random bits in base62 (no `-`, `_` or padding, so a
//!   double-click selects all of it).
//! - The last six characters are the CRC-32 of everything before them: a
//!   mistyped or truncated key is refused without a database read.
//!
//! Only the SHA-256 of the whole text is stored. Argon2 (or any slow hash)
//! exists to make guessing *low-entropy* secrets expensive; a key holds 256
//! random bits, so no guessing is feasible whatever the hash costs, and a
//! preimage of SHA-256 is equally out of reach. A fast hash keeps the check
//! on every API request to a microsecond and lets the key be found by an
//! index lookup on its hash.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::crypto::SecretString;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Characters 256 bits take in base62.
const BODY_LEN: usize = 43;
/// Characters a CRC-32 takes in base62.
const CHECKSUM_LEN: usize = 6;

/// Which kind of environment a key is for, as its prefix says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Production,
    Development,
}

impl KeyKind {
    pub const ALL: [KeyKind; 2] = [KeyKind::Production, KeyKind::Development];

    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Production => "pinbridge_prod_",
            KeyKind::Development => "pinbridge_dev_",
        }
    }

    /// An environment named "Production" (or "Prod…", "Live") makes production
    /// keys; every other environment makes development keys.
    pub fn of_environment(name: &str) -> Self {
        let name = name.trim().to_lowercase();
        if name.starts_with("prod") || name == "live" {
            KeyKind::Production
        } else {
            KeyKind::Development
        }
    }
}

/// Why a presented key was refused before any lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyShape {
    /// Not a pinbridge key at all (wrong prefix, length or characters).
    Malformed,
    /// A pinbridge key whose checksum does not match: mistyped or cut short.
    Checksum,
}

/// A freshly made key. Its text exists only here and in the one answer that
/// shows it; no `Debug` or `Serialize` can leak it.
pub struct NewKey {
    text: SecretString,
    pub kind: KeyKind,
    pub hash: KeyHash,
}

impl NewKey {
    pub fn generate(kind: KeyKind) -> Self {
        let (text, hash) = generate_prefixed(kind.prefix());
        Self { text, kind, hash }
    }

    pub fn expose(&self) -> &str {
        self.text.expose()
    }

    /// The last four characters, shown to recognise the key later.
    pub fn last_four(&self) -> String {
        let t = self.expose();
        t[t.len() - 4..].to_owned()
    }
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NewKey({}…redacted)", self.kind.prefix())
    }
}

/// Lower-case hex SHA-256 of a key: what the database holds and finds it by.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyHash(String);

impl KeyHash {
    pub(crate) fn of(text: &str) -> Self {
        Self(hex::encode(Sha256::digest(text.as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(…)")
    }
}

/// Checks a presented key's shape and checksum, and hashes it for the lookup.
pub fn parse(text: &str) -> Result<(KeyKind, KeyHash), KeyShape> {
    let kind = KeyKind::ALL
        .into_iter()
        .find(|k| text.starts_with(k.prefix()))
        .ok_or(KeyShape::Malformed)?;
    Ok((kind, parse_prefixed(kind.prefix(), text)?))
}

/// A secret in a key's shape with another prefix (the agent gateway's
/// OAuth codes and tokens, e.g. `pinbridge_at_`): its text and hash.
pub fn generate_prefixed(prefix: &str) -> (SecretString, KeyHash) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut text = String::with_capacity(prefix.len() + BODY_LEN + CHECKSUM_LEN);
    text.push_str(prefix);
    text.push_str(&base62(&bytes, BODY_LEN));
    let sum = crc32(text.as_bytes());
    text.push_str(&base62(&sum.to_be_bytes(), CHECKSUM_LEN));
    let hash = KeyHash::of(&text);
    (SecretString::new(text), hash)
}

/// Checks the shape and checksum of a secret made by [`generate_prefixed`]
/// with `prefix`, and hashes it for the lookup.
pub fn parse_prefixed(prefix: &str, text: &str) -> Result<KeyHash, KeyShape> {
    let rest = text.strip_prefix(prefix).ok_or(KeyShape::Malformed)?;
    if rest.len() != BODY_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(KeyShape::Malformed);
    }
    let (signed, sum) = text.split_at(text.len() - CHECKSUM_LEN);
    if base62(&crc32(signed.as_bytes()).to_be_bytes(), CHECKSUM_LEN) != sum {
        return Err(KeyShape::Checksum);
    }
    Ok(KeyHash::of(text))
}

/// `bytes` as a big-endian number in base62, left-padded with '0' to `len`.
fn base62(bytes: &[u8], len: usize) -> String {
    let mut number = bytes.to_vec();
    let mut digits = Vec::with_capacity(len);
    while number.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for byte in number.iter_mut() {
            let acc = (rem << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            rem = acc % 62;
        }
        digits.push(ALPHABET[rem as usize]);
    }
    while digits.len() < len {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// CRC-32 (IEEE 802.3, as in zlib), bit by bit: a few dozen bytes per request.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn base62_is_fixed_width_and_exact() {
        assert_eq!(base62(&[0, 0], 3), "000");
        assert_eq!(base62(&[0, 61], 2), "0z");
        assert_eq!(base62(&[0, 62], 2), "10");
        assert_eq!(base62(&[0xff; 32], BODY_LEN).len(), BODY_LEN);
        assert_eq!(base62(&[0xff; 4], CHECKSUM_LEN).len(), CHECKSUM_LEN);
    }

    #[test]
    fn keys_say_their_kind_parse_back_and_refuse_any_typo() {
        let key = NewKey::generate(KeyKind::Production);
        let text = key.expose().to_owned();
        assert!(text.starts_with("pinbridge_prod_"), "{text}");
        assert_eq!(text.len(), "pinbridge_prod_".len() + 49);
        assert_eq!(parse(&text), Ok((KeyKind::Production, key.hash.clone())));
        let dev = NewKey::generate(KeyKind::Development);
        assert!(dev.expose().starts_with("pinbridge_dev_"));
        assert_ne!(dev.expose(), text, "random");
        // Every single-character change is caught by the checksum.
        let bytes = text.as_bytes();
        for i in "pinbridge_prod_".len()..text.len() {
            let mut typo = bytes.to_vec();
            typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).unwrap();
            assert_eq!(parse(&typo).unwrap_err(), KeyShape::Checksum, "{i}");
        }
        // Two characters swapped, too.
        let mut swapped = bytes.to_vec();
        let i = swapped.len() - 10;
        swapped.swap(i, i + 1);
        if swapped != bytes {
            assert!(parse(std::str::from_utf8(&swapped).unwrap()).is_err());
        }
        assert_eq!(parse(&text[..text.len() - 1]), Err(KeyShape::Malformed));
        assert_eq!(parse(&format!("{text}x")), Err(KeyShape::Malformed));
        assert_eq!(parse("sk_live_abc"), Err(KeyShape::Malformed));
        assert_eq!(parse(""), Err(KeyShape::Malformed));
        let dashed = format!("{}-{}", &text[..20], &text[21..]);
        assert_eq!(parse(&dashed), Err(KeyShape::Malformed));
        assert!(!format!("{key:?}").contains(&text[16..]));
        assert!(!format!("{:?}", key.hash).contains(key.hash.as_str()));
        assert_eq!(key.last_four(), text[text.len() - 4..]);
    }

    #[test]
    fn the_kind_follows_the_environment_name() {
        assert_eq!(KeyKind::of_environment("Production"), KeyKind::Production);
        assert_eq!(KeyKind::of_environment(" prod-eu "), KeyKind::Production);
        assert_eq!(KeyKind::of_environment("Live"), KeyKind::Production);
        assert_eq!(KeyKind::of_environment("Development"), KeyKind::Development);
        assert_eq!(KeyKind::of_environment("Staging"), KeyKind::Development);
    }
}
