//! A text secret held in memory: redacted in `Debug`, wiped on drop.

use std::fmt;

use zeroize::Zeroizing;

/// Plaintext of a secret (client secret, token). It has no `Display` and no
/// `Serialize`, so it cannot end up in a page, a JSON body or a log by accident.
#[derive(Clone)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The plaintext, for the one place that must send it (Pinterest).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, stored beside a sealed secret so operators
    /// can recognise it without it being opened.
    pub fn last4(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }

    /// The last four characters as shown: `…abcd`.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.last4())
    }
}

/// How a stored last-four is shown: `…abcd`.
pub fn fingerprint_of(last4: &str) -> String {
    format!("…{last4}")
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_fingerprint_shows_only_the_tail() {
        let s = SecretString::new("abcdefgh1234".into());
        assert_eq!(format!("{s:?}"), "SecretString(redacted)");
        assert_eq!(s.fingerprint(), "…1234");
        assert_eq!(SecretString::new("ab".into()).fingerprint(), "…ab");
    }
}
