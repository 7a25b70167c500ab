//! An operator's email address, normalised so that one person has one account.

use std::fmt;

use super::input::{Field, InvalidInput};

/// Longest address accepted (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;

/// A trimmed, lower-cased address with one `@`, a non-empty local part and a
/// dotted domain. Deliberately not a full RFC 5322 parser: the invitation link
/// is passed on by hand, so the check only catches typing mistakes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, InvalidInput> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(InvalidInput::Required {
                field: Field::Email,
            });
        }
        let actual = trimmed.chars().count();
        if trimmed.len() > EMAIL_MAX {
            return Err(InvalidInput::TooLong {
                field: Field::Email,
                max: EMAIL_MAX,
                actual,
            });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(InvalidInput::ControlCharacters {
                field: Field::Email,
            });
        }
        if trimmed.chars().any(char::is_whitespace) {
            return Err(InvalidInput::EmailSpaces);
        }
        let normalised = trimmed.to_lowercase();
        let Some((local, domain)) = normalised.split_once('@') else {
            return Err(InvalidInput::EmailShape);
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(InvalidInput::EmailShape);
        }
        let labels_ok = domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if !domain.contains('.') || !labels_ok {
            return Err(InvalidInput::EmailDomain);
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, which a password must not contain.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(&self.0, |(local, _)| local)
    }

    /// Rebuilds an address read back from storage, where only parsed ones are written.
    pub(crate) fn from_stored(stored: String) -> Self {
        Self(stored)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let email = Email::parse("  Ada.Lovelace@Example.COM \n").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
        assert_eq!(email.local_part(), "ada.lovelace");
    }

    #[test]
    fn each_problem_gets_its_own_message() {
        assert_eq!(
            Email::parse("   "),
            Err(InvalidInput::Required {
                field: Field::Email
            })
        );
        assert_eq!(Email::parse("ada"), Err(InvalidInput::EmailShape));
        assert_eq!(Email::parse("@example.com"), Err(InvalidInput::EmailShape));
        assert_eq!(Email::parse("ada@"), Err(InvalidInput::EmailShape));
        assert_eq!(
            Email::parse("a@b@example.com"),
            Err(InvalidInput::EmailShape)
        );
        assert_eq!(
            Email::parse("ada lovelace@example.com"),
            Err(InvalidInput::EmailSpaces)
        );
        assert_eq!(
            Email::parse("ada@localhost"),
            Err(InvalidInput::EmailDomain)
        );
        assert_eq!(
            Email::parse("ada@example..com"),
            Err(InvalidInput::EmailDomain)
        );
        assert_eq!(
            Email::parse("ada\u{7}@example.com"),
            Err(InvalidInput::ControlCharacters {
                field: Field::Email
            })
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(matches!(
            Email::parse(&long),
            Err(InvalidInput::TooLong { max: 254, .. })
        ));
        assert_eq!(
            InvalidInput::EmailShape.to_string(),
            "Email must have exactly one @ with text on both sides, like name@example.com."
        );
        assert_eq!(InvalidInput::EmailShape.field().name(), "email");
    }

    #[test]
    fn accepts_the_longest_allowed_address() {
        let local = "a".repeat(EMAIL_MAX - "@example.com".len());
        assert!(Email::parse(&format!("{local}@example.com")).is_ok());
    }
}
