//! The Pinterest app's credentials as typed into the portal: the "App id"
//! (OAuth client id) and the "App secret key" (client secret), and which
//! Pinterest API the environment talks to.

use std::fmt;

use crate::crypto::SecretString;
use crate::shared::PinterestApi;

/// Longest App id accepted. Pinterest's are 7 digits today; the room is for growth.
pub const CLIENT_ID_MAX: usize = 32;
/// Shortest and longest App secret key accepted. Pinterest's are 40 characters.
pub const SECRET_MIN: usize = 8;
pub const SECRET_MAX: usize = 128;

/// What is wrong with a typed credential, worded to sit next to its field.
/// Messages never quote a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialInput {
    #[error(
        "App id is required: copy it from the API keys section of your app on developers.pinterest.com."
    )]
    ClientIdRequired,
    #[error("App id must be at most {CLIENT_ID_MAX} digits (this one has {actual} characters).")]
    ClientIdTooLong { actual: usize },
    #[error(
        "App id must be digits only, like 1234567: Pinterest shows it as “App id” under API keys. This one contains {found}."
    )]
    ClientIdNotDigits { found: &'static str },
    #[error(
        "App secret key is required for the first save: on your app's page, click “Show app secret key” and copy it."
    )]
    SecretRequired,
    #[error("App secret key must be at least {SECRET_MIN} characters (this one has {actual}).")]
    SecretTooShort { actual: usize },
    #[error("App secret key must be at most {SECRET_MAX} characters (this one has {actual}).")]
    SecretTooLong { actual: usize },
    #[error(
        "App secret key can only contain letters, digits and - _ . ~ + / = (this one contains {found}); copy it again from “Show app secret key”."
    )]
    SecretCharacters { found: &'static str },
    #[error("Pinterest API must be Production or Sandbox.")]
    UnknownApi,
}

impl CredentialInput {
    /// The form field the message belongs next to.
    pub fn field(&self) -> &'static str {
        match self {
            Self::ClientIdRequired
            | Self::ClientIdTooLong { .. }
            | Self::ClientIdNotDigits { .. } => "client_id",
            Self::SecretRequired
            | Self::SecretTooShort { .. }
            | Self::SecretTooLong { .. }
            | Self::SecretCharacters { .. } => "client_secret",
            Self::UnknownApi => "api",
        }
    }
}

/// A kind of character, named for a message without quoting what was typed.
fn describe(c: char) -> &'static str {
    match c {
        ' ' | '\u{a0}' => "a space",
        c if c.is_whitespace() || c.is_control() => {
            "a tab, line break or other invisible character"
        }
        '<' | '>' => "< or >",
        '"' | '\'' | '`' | '“' | '”' | '‘' | '’' => "a quotation mark",
        c if c.is_ascii_alphabetic() => "a letter",
        c if c.is_ascii_punctuation() => "punctuation",
        _ => "a character outside plain ASCII",
    }
}

/// Pinterest's "App id", the OAuth client id: digits only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    /// Parses a typed App id; spaces around it (from copying) are dropped.
    pub fn parse(raw: &str) -> Result<Self, CredentialInput> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(CredentialInput::ClientIdRequired);
        }
        let actual = value.chars().count();
        if actual > CLIENT_ID_MAX {
            return Err(CredentialInput::ClientIdTooLong { actual });
        }
        if let Some(c) = value.chars().find(|c| !c.is_ascii_digit()) {
            return Err(CredentialInput::ClientIdNotDigits { found: describe(c) });
        }
        Ok(Self(value.to_owned()))
    }

    /// A value read back from pinbridge's own database.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A newly typed App secret key, checked and trimmed.
#[derive(Debug)]
pub struct NewSecret {
    pub secret: SecretString,
    /// Whether spaces or line breaks around it were removed (the page says so).
    pub trimmed: bool,
}

impl NewSecret {
    /// `None` when the field was left empty (keep the stored secret).
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, CredentialInput> {
        let Some(raw) = raw else { return Ok(None) };
        let value = raw.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let actual = value.chars().count();
        if actual > SECRET_MAX {
            return Err(CredentialInput::SecretTooLong { actual });
        }
        if let Some(c) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.~+/=".contains(*c)))
        {
            return Err(CredentialInput::SecretCharacters { found: describe(c) });
        }
        if actual < SECRET_MIN {
            return Err(CredentialInput::SecretTooShort { actual });
        }
        Ok(Some(Self {
            trimmed: value.len() != raw.len(),
            secret: SecretString::new(value.to_owned()),
        }))
    }
}

/// The API choice as the form sends it (`production` or `sandbox`).
pub fn parse_api(value: &str) -> Result<PinterestApi, CredentialInput> {
    PinterestApi::parse(value.trim()).ok_or(CredentialInput::UnknownApi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_are_digits_trimmed_and_bounded() {
        assert_eq!(ClientId::parse(" 1234567\n").unwrap().as_str(), "1234567");
        assert_eq!(
            ClientId::parse("  "),
            Err(CredentialInput::ClientIdRequired)
        );
        assert_eq!(
            ClientId::parse("12a4"),
            Err(CredentialInput::ClientIdNotDigits { found: "a letter" })
        );
        assert_eq!(
            ClientId::parse("<script>alert(1)</script>"),
            Err(CredentialInput::ClientIdNotDigits { found: "< or >" })
        );
        assert_eq!(
            ClientId::parse("12 34"),
            Err(CredentialInput::ClientIdNotDigits { found: "a space" })
        );
        assert_eq!(
            ClientId::parse(&"1".repeat(10_000)),
            Err(CredentialInput::ClientIdTooLong { actual: 10_000 })
        );
        // Non-ASCII digits are not Pinterest's.
        assert!(ClientId::parse("١٢٣").is_err());
        assert_eq!(ClientId::parse("").unwrap_err().field(), "client_id");
    }

    #[test]
    fn secrets_are_trimmed_with_a_note_and_never_quoted() {
        let s = NewSecret::parse(Some("  abcdef0123456789\t"))
            .unwrap()
            .unwrap();
        assert_eq!(s.secret.expose(), "abcdef0123456789");
        assert!(s.trimmed);
        let s = NewSecret::parse(Some("sim-demo-secret")).unwrap().unwrap();
        assert!(!s.trimmed);
        assert!(NewSecret::parse(Some("   ")).unwrap().is_none());
        assert!(NewSecret::parse(None).unwrap().is_none());
        assert_eq!(
            NewSecret::parse(Some("short")).unwrap_err(),
            CredentialInput::SecretTooShort { actual: 5 }
        );
        assert_eq!(
            NewSecret::parse(Some(&"a".repeat(10_000))).unwrap_err(),
            CredentialInput::SecretTooLong { actual: 10_000 }
        );
        let err = NewSecret::parse(Some("<script>alert(1)</script>")).unwrap_err();
        assert_eq!(err, CredentialInput::SecretCharacters { found: "< or >" });
        assert!(!err.to_string().contains("script"));
        assert_eq!(
            NewSecret::parse(Some("abc def ghi")).unwrap_err(),
            CredentialInput::SecretCharacters { found: "a space" }
        );
        assert_eq!(err.field(), "client_secret");
    }

    #[test]
    fn the_api_is_one_of_two_names_never_a_url() {
        assert_eq!(parse_api("sandbox"), Ok(PinterestApi::Sandbox));
        assert_eq!(parse_api(" production\n"), Ok(PinterestApi::Production));
        assert_eq!(
            parse_api("https://evil.example"),
            Err(CredentialInput::UnknownApi)
        );
    }
}
