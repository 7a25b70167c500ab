//! The key ring: named AES-256-GCM keys, the first of which encrypts while all decrypt.
//!
//! Stored form of a sealed value: `pb1:<key id>:<base64url(nonce || ciphertext || tag)>`.
//! `pb1` is the format version; the key id says which key opens it, so keys can be
//! rotated without a flag day. The associated data binds a ciphertext to the row and
//! column it was written for: copied anywhere else, it no longer opens.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

use super::secret::SecretString;

const FORMAT_V1: &str = "pb1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;
const MAX_KEY_ID_LEN: usize = 32;

/// The name of a key, stored next to every ciphertext it sealed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(raw: &str) -> Result<Self, KeyRingError> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_KEY_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(KeyRingError::BadKeyId(raw.chars().take(40).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a ciphertext is bound to: the table, the column and the row's key.
///
/// Decrypting with any other binding fails, so a sealed value cannot be moved
/// to another row, column or tenant.
#[derive(Clone, Copy, Debug)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl Aad<'_> {
    fn bytes(&self) -> Vec<u8> {
        // NUL separators: no table/column/row text can contain one, so the
        // encoding is unambiguous.
        let mut out =
            Vec::with_capacity(16 + self.table.len() + self.column.len() + self.row.len());
        out.extend_from_slice(FORMAT_V1.as_bytes());
        for part in [self.table, self.column, self.row] {
            out.push(0);
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// A sealed (encrypted) value as stored in the database.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(String);

impl Sealed {
    /// Wraps text read from the database. It is checked when opened.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_stored(&self) -> &str {
        &self.0
    }

    /// The key id recorded in the stored form, if it is well formed.
    pub fn key_id(&self) -> Result<KeyId, CryptoError> {
        let (_, key_id, _) = self.parts()?;
        Ok(key_id)
    }

    fn parts(&self) -> Result<(&str, KeyId, &str), CryptoError> {
        let mut it = self.0.splitn(3, ':');
        let (Some(version), Some(key_id), Some(body)) = (it.next(), it.next(), it.next()) else {
            return Err(CryptoError::Malformed);
        };
        if version != FORMAT_V1 {
            return Err(CryptoError::UnsupportedVersion(
                version.chars().take(8).collect(),
            ));
        }
        let key_id = KeyId::parse(key_id).map_err(|_| CryptoError::Malformed)?;
        Ok((version, key_id, body))
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key_id() {
            Ok(id) => write!(f, "Sealed(key {id})"),
            Err(_) => f.write_str("Sealed(malformed)"),
        }
    }
}

struct Key {
    id: KeyId,
    cipher: Aes256Gcm,
    /// HMAC-SHA256 of a fixed label under the key: the key of [`KeyRing::fingerprint`].
    fingerprint_key: Zeroizing<[u8; 32]>,
}

/// What a key's fingerprint key is derived from (its HMAC under the key).
const FINGERPRINT_LABEL: &[u8] = b"pinbridge secret fingerprint v1";

/// Several keys; the first seals, every one of them opens.
pub struct KeyRing {
    keys: Vec<Key>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("ids", &self.ids().map(KeyId::as_str).collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Parses `id:base64key` entries separated by commas or newlines. Blank lines
    /// and lines starting with `#` are ignored. The first key encrypts.
    pub fn parse(spec: &str) -> Result<Self, KeyRingError> {
        let mut keys: Vec<Key> = Vec::new();
        for entry in entries(spec) {
            let Some((id, material)) = entry.split_once(':') else {
                return Err(KeyRingError::MissingSeparator);
            };
            let id = KeyId::parse(id.trim())?;
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(material.trim())
                    .or_else(|_| URL_SAFE_NO_PAD.decode(material.trim()))
                    .map_err(|_| KeyRingError::NotBase64(id.clone()))?,
            );
            if bytes.len() != KEY_LEN {
                return Err(KeyRingError::WrongLength {
                    id,
                    len: bytes.len(),
                });
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(KeyRingError::DuplicateId(id));
            }
            let cipher =
                Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeyRingError::WrongLength {
                    id: id.clone(),
                    len: bytes.len(),
                })?;
            let fingerprint_key = Zeroizing::new(hmac_sha256(&bytes, FINGERPRINT_LABEL).ok_or(
                KeyRingError::WrongLength {
                    id: id.clone(),
                    len: bytes.len(),
                },
            )?);
            keys.push(Key {
                id,
                cipher,
                fingerprint_key,
            });
        }
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        Ok(Self { keys })
    }

    /// A new ring with one random key, and the key-file text that reloads it.
    pub fn generate(id: &KeyId) -> (Self, Zeroizing<String>) {
        let spec = KeySpec::default().with_new_first(id.clone());
        (spec.ring(), spec.file_text())
    }

    /// A secret as people may see it: the first 12 hex digits of its
    /// HMAC-SHA256 under a key derived from the ring's first key. Two
    /// environments holding the same secret show the same fingerprint; unlike
    /// a plain hash, it cannot be tested against guesses by someone who only
    /// sees it (a weak secret stays unguessable without the key ring). It
    /// changes when a new first key is added, so compare fingerprints drawn
    /// at one moment.
    pub fn fingerprint(&self, secret: &str) -> String {
        hmac_sha256(&self.keys[0].fingerprint_key[..], secret.as_bytes())
            .map(|mac| hex::encode(mac)[..12].to_owned())
            .unwrap_or_default()
    }

    /// The id of the key that seals new values.
    pub fn primary_id(&self) -> &KeyId {
        &self.keys[0].id
    }

    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|k| &k.id)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn contains(&self, id: &KeyId) -> bool {
        self.keys.iter().any(|k| &k.id == id)
    }

    /// Seals `plaintext` under the primary key with a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8], aad: Aad<'_>) -> Result<Sealed, CryptoError> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = aad.bytes();
        let ciphertext = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::SealFailed)?;
        let mut body = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&ciphertext);
        Ok(Sealed(format!(
            "{FORMAT_V1}:{}:{}",
            key.id,
            URL_SAFE_NO_PAD.encode(body)
        )))
    }

    /// Seals a text secret.
    pub fn seal_str(&self, plaintext: &str, aad: Aad<'_>) -> Result<Sealed, CryptoError> {
        self.seal(plaintext.as_bytes(), aad)
    }

    /// Opens a sealed value with the key named in it.
    pub fn open(&self, sealed: &Sealed, aad: Aad<'_>) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (_, key_id, body) = sealed.parts()?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(CryptoError::UnknownKeyId(key_id))?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::Malformed)?;
        if body.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let aad = aad.bytes();
        key.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::DoesNotOpen)
    }

    /// Opens a sealed text secret.
    pub fn open_str(&self, sealed: &Sealed, aad: Aad<'_>) -> Result<SecretString, CryptoError> {
        let bytes = self.open(sealed, aad)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| CryptoError::Malformed)?;
        Ok(SecretString::new(text.to_owned()))
    }
}

/// A key ring's entries, `#` comments and blank entries left out: the first
/// sealing, each `id:base64`.
fn entries(spec: &str) -> impl Iterator<Item = &str> {
    // `#` starts a comment that runs to the end of its line.
    spec.lines()
        .map(|line| line.split_once('#').map_or(line, |(before, _)| before))
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

/// A key ring in its text form (a key file, or `PINBRIDGE_ENCRYPTION_KEYS`),
/// for the commands that add a key to it or take one out.
#[derive(Default)]
pub struct KeySpec {
    /// Each key's id and its material as written (base64), the sealing key first.
    entries: Vec<(KeyId, Zeroizing<String>)>,
}

impl fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySpec")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .finish()
    }
}

impl KeySpec {
    /// Parses as [`KeyRing::parse`] does, refusing what it refuses.
    pub fn parse(spec: &str) -> Result<Self, KeyRingError> {
        KeyRing::parse(spec)?;
        let entries = entries(spec)
            .filter_map(|entry| {
                let (id, material) = entry.split_once(':')?;
                Some((
                    KeyId::parse(id.trim()).ok()?,
                    Zeroizing::new(material.trim().to_owned()),
                ))
            })
            .collect();
        Ok(Self { entries })
    }

    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.entries.iter().map(|(id, _)| id)
    }

    /// `k<n>` for the smallest `n` above every `k<digits>` id here that `taken`
    /// (ids used before, say) does not refuse.
    pub fn next_id(&self, taken: impl Fn(&str) -> bool) -> KeyId {
        let mut n = self
            .ids()
            .filter_map(|id| id.as_str().strip_prefix('k')?.parse::<u32>().ok())
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        loop {
            let id = KeyId(format!("k{n}"));
            if !taken(id.as_str()) && !self.ids().any(|k| k == &id) {
                return id;
            }
            n = n.saturating_add(1);
        }
    }

    /// This ring with a new random key named `id` first (sealing).
    pub fn with_new_first(&self, id: KeyId) -> Self {
        let mut material = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(material.as_mut());
        let mut entries = vec![(id, Zeroizing::new(STANDARD.encode(material.as_ref())))];
        entries.extend(self.entries.iter().map(|(i, m)| (i.clone(), m.clone())));
        Self { entries }
    }

    /// This ring without `id`, or `None` if it has no such key.
    pub fn without(&self, id: &KeyId) -> Option<Self> {
        if !self.ids().any(|k| k == id) {
            return None;
        }
        let entries = self
            .entries
            .iter()
            .filter(|(k, _)| k != id)
            .map(|(i, m)| (i.clone(), m.clone()))
            .collect();
        Some(Self { entries })
    }

    pub fn ring(&self) -> KeyRing {
        KeyRing::parse(&self.inline()).expect("a key spec's entries parse")
    }

    /// As a key file: a comment, then one key per line, the sealing key first.
    pub fn file_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::from(
            "# pinbridge encryption keys: one `id:base64` per line. The first key encrypts;\n\
             # every key decrypts. Keep this file secret, and back it up with the database:\n\
             # without it, stored secrets cannot be read.\n",
        ));
        for (id, material) in &self.entries {
            text.push_str(id.as_str());
            text.push(':');
            text.push_str(material);
            text.push('\n');
        }
        text
    }

    /// As the value of `PINBRIDGE_ENCRYPTION_KEYS`: entries separated by commas.
    pub fn inline(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::new());
        for (i, (id, material)) in self.entries.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(id.as_str());
            text.push(':');
            text.push_str(material);
        }
        text
    }
}

/// Why a key ring specification was refused. Never carries key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyRingError {
    #[error("no keys given (expected `id:base64key`, comma- or newline-separated)")]
    Empty,
    #[error("an entry is not `id:base64key`")]
    MissingSeparator,
    #[error("key id {0:?} is invalid (1-32 characters: letters, digits, '-' or '_')")]
    BadKeyId(String),
    #[error("key {0} is not valid base64")]
    NotBase64(KeyId),
    #[error("key {id} is {len} bytes long; AES-256 needs exactly 32 (base64 of 32 random bytes)")]
    WrongLength { id: KeyId, len: usize },
    #[error("key id {0} appears more than once")]
    DuplicateId(KeyId),
}

/// Why sealing or opening failed. Never carries plaintext or key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the value was sealed with key id {0}, which is not in the key ring")]
    UnknownKeyId(KeyId),
    #[error("the sealed value uses format {0:?}, which this version cannot read")]
    UnsupportedVersion(String),
    #[error("the sealed value is malformed")]
    Malformed,
    #[error(
        "the sealed value does not open: wrong key, altered bytes, or moved from another row or column"
    )]
    DoesNotOpen,
    #[error("sealing failed")]
    SealFailed,
}

/// HMAC-SHA256 (`None` never happens: HMAC takes a key of any length).
fn hmac_sha256(key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AAD: Aad<'static> = Aad {
        table: "pinterest_settings",
        column: "client_secret",
        row: "env-1",
    };

    fn key_b64(byte: u8) -> String {
        STANDARD.encode([byte; KEY_LEN])
    }

    fn ring(spec: &[(&str, u8)]) -> KeyRing {
        let text = spec
            .iter()
            .map(|(id, b)| format!("{id}:{}", key_b64(*b)))
            .collect::<Vec<_>>()
            .join(",");
        KeyRing::parse(&text).unwrap()
    }

    #[test]
    fn a_fingerprint_is_keyed_by_the_first_key() {
        let one = ring(&[("k1", 1)]);
        let same = ring(&[("k1", 1), ("k0", 9)]);
        let other = ring(&[("k2", 2), ("k1", 1)]);
        let f = one.fingerprint("secret123");
        assert_eq!(f.len(), 12);
        assert!(f.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            f,
            same.fingerprint("secret123"),
            "the same first key, the same fingerprint"
        );
        assert_ne!(f, one.fingerprint("secret124"));
        assert_ne!(
            f,
            other.fingerprint("secret123"),
            "another first key, another fingerprint"
        );
        let plain = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"secret123"));
        assert_ne!(
            f,
            plain[..12],
            "not the plain hash a guess could be checked against"
        );
    }

    #[test]
    fn round_trip() {
        let ring = ring(&[("k1", 1)]);
        let sealed = ring.seal_str("client-secret-value", AAD).unwrap();
        assert!(sealed.as_stored().starts_with("pb1:k1:"));
        assert!(!sealed.as_stored().contains("client-secret-value"));
        assert_eq!(
            ring.open_str(&sealed, AAD).unwrap().expose(),
            "client-secret-value"
        );
    }

    #[test]
    fn nonces_are_fresh() {
        let ring = ring(&[("k1", 1)]);
        let a = ring.seal_str("same", AAD).unwrap();
        let b = ring.seal_str("same", AAD).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_associated_data_fails() {
        let ring = ring(&[("k1", 1)]);
        let sealed = ring.seal_str("s3cret", AAD).unwrap();
        for other in [
            Aad {
                row: "env-2",
                ..AAD
            },
            Aad {
                column: "access_token",
                ..AAD
            },
            Aad {
                table: "connections",
                ..AAD
            },
        ] {
            assert_eq!(ring.open(&sealed, other), Err(CryptoError::DoesNotOpen));
        }
    }

    #[test]
    fn associated_data_encoding_is_unambiguous() {
        let ring = ring(&[("k1", 1)]);
        let a = Aad {
            table: "ab",
            column: "c",
            row: "r",
        };
        let b = Aad {
            table: "a",
            column: "bc",
            row: "r",
        };
        let sealed = ring.seal(b"x", a).unwrap();
        assert!(ring.open(&sealed, b).is_err());
    }

    #[test]
    fn every_tampered_byte_fails() {
        let ring = ring(&[("k1", 1)]);
        let sealed = ring.seal_str("s3cret", AAD).unwrap();
        let (prefix, body) = sealed.as_stored().rsplit_once(':').unwrap();
        let raw = URL_SAFE_NO_PAD.decode(body).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let tampered =
                Sealed::from_stored(format!("{prefix}:{}", URL_SAFE_NO_PAD.encode(&bad)));
            assert_eq!(
                ring.open(&tampered, AAD),
                Err(CryptoError::DoesNotOpen),
                "byte {i}"
            );
        }
        let truncated =
            Sealed::from_stored(format!("{prefix}:{}", URL_SAFE_NO_PAD.encode(&raw[..20])));
        assert_eq!(ring.open(&truncated, AAD), Err(CryptoError::Malformed));
    }

    #[test]
    fn unknown_key_id_is_named() {
        let old = ring(&[("k1", 1)]);
        let sealed = old.seal_str("s3cret", AAD).unwrap();
        let new = ring(&[("k2", 2)]);
        let err = new.open(&sealed, AAD).unwrap_err();
        assert_eq!(err, CryptoError::UnknownKeyId(KeyId::parse("k1").unwrap()));
        assert!(err.to_string().contains("key id k1"), "{err}");
    }

    #[test]
    fn older_key_in_the_ring_still_opens() {
        let old = ring(&[("k1", 1)]);
        let sealed_old = old.seal_str("from-before", AAD).unwrap();
        let rotated = ring(&[("k2", 2), ("k1", 1)]);
        assert_eq!(
            rotated.open_str(&sealed_old, AAD).unwrap().expose(),
            "from-before"
        );
        let sealed_new = rotated.seal_str("after", AAD).unwrap();
        assert_eq!(sealed_new.key_id().unwrap().as_str(), "k2");
        assert_eq!(rotated.primary_id().as_str(), "k2");
    }

    #[test]
    fn same_id_with_other_material_does_not_open() {
        let sealed = ring(&[("k1", 1)]).seal_str("s", AAD).unwrap();
        assert_eq!(
            ring(&[("k1", 9)]).open(&sealed, AAD),
            Err(CryptoError::DoesNotOpen)
        );
    }

    #[test]
    fn unsupported_version_and_garbage_are_refused() {
        let ring = ring(&[("k1", 1)]);
        let sealed = ring.seal_str("s", AAD).unwrap();
        let v2 = Sealed::from_stored(sealed.as_stored().replacen("pb1", "pb2", 1));
        assert_eq!(
            ring.open(&v2, AAD),
            Err(CryptoError::UnsupportedVersion("pb2".into()))
        );
        for junk in ["", "pb1", "pb1:k1", "pb1:k 1:AAAA", "pb1:k1:!!!"] {
            assert!(
                ring.open(&Sealed::from_stored(junk.into()), AAD).is_err(),
                "{junk}"
            );
        }
    }

    #[test]
    fn parse_refuses_bad_specs_with_specific_errors() {
        assert_eq!(KeyRing::parse("").unwrap_err(), KeyRingError::Empty);
        assert_eq!(
            KeyRing::parse("# only a comment, really\n").unwrap_err(),
            KeyRingError::Empty
        );
        let commented = format!("# a: comment, with commas\nk1:{} # trailing\n", key_b64(1));
        assert_eq!(KeyRing::parse(&commented).unwrap().len(), 1);
        assert_eq!(
            KeyRing::parse("nocolon").unwrap_err(),
            KeyRingError::MissingSeparator
        );
        assert!(matches!(
            KeyRing::parse("bad id:AAAA").unwrap_err(),
            KeyRingError::BadKeyId(_)
        ));
        assert!(matches!(
            KeyRing::parse("k1:not base64!").unwrap_err(),
            KeyRingError::NotBase64(_)
        ));
        let short = format!("k1:{}", STANDARD.encode([0u8; 16]));
        let err = KeyRing::parse(&short).unwrap_err();
        assert!(matches!(err, KeyRingError::WrongLength { len: 16, .. }));
        assert!(err.to_string().contains("16 bytes"));
        let dup = format!("k1:{},k1:{}", key_b64(1), key_b64(2));
        assert!(matches!(
            KeyRing::parse(&dup).unwrap_err(),
            KeyRingError::DuplicateId(_)
        ));
    }

    #[test]
    fn errors_and_debug_never_show_key_material() {
        let material = key_b64(7);
        let ring = KeyRing::parse(&format!("k1:{material}")).unwrap();
        assert!(!format!("{ring:?}").contains(&material));
        let short = STANDARD.encode([7u8; 31]);
        let err = KeyRing::parse(&format!("k1:{short}")).unwrap_err();
        assert!(!err.to_string().contains(&short));
    }

    #[test]
    fn a_spec_gains_a_first_key_and_loses_one() {
        let old = ring(&[("k1", 1)]);
        let sealed = old.seal_str("v", AAD).unwrap();
        let spec = KeySpec::parse(&format!("# c\nk1:{} # note\n", key_b64(1))).unwrap();
        let id = spec.next_id(|_| false);
        assert_eq!(id.as_str(), "k2");
        assert_eq!(spec.next_id(|t| t == "k2").as_str(), "k3");
        let added = spec.with_new_first(id.clone());
        assert_eq!(
            added.ids().map(KeyId::as_str).collect::<Vec<_>>(),
            ["k2", "k1"]
        );
        for text in [added.file_text(), added.inline()] {
            let reloaded = KeyRing::parse(&text).unwrap();
            assert_eq!(reloaded.primary_id().as_str(), "k2");
            assert_eq!(reloaded.open_str(&sealed, AAD).unwrap().expose(), "v");
        }
        let k1 = KeyId::parse("k1").unwrap();
        let kept = added.without(&k1).unwrap();
        assert_eq!(kept.ids().map(KeyId::as_str).collect::<Vec<_>>(), ["k2"]);
        assert!(kept.ring().open(&sealed, AAD).is_err());
        assert!(kept.without(&k1).is_none());
        assert!(!format!("{added:?}").contains(&key_b64(1)));
        assert!(KeySpec::parse("k1:short").is_err());
    }

    #[test]
    fn generated_ring_reloads_from_its_file_text() {
        let id = KeyId::parse("k1").unwrap();
        let (ring, text) = KeyRing::generate(&id);
        let sealed = ring.seal_str("v", AAD).unwrap();
        let reloaded = KeyRing::parse(&text).unwrap();
        assert_eq!(reloaded.open_str(&sealed, AAD).unwrap().expose(), "v");
    }
}
